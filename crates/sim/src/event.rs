//! Everything that can happen at an instant. Small and `Copy`: payloads are indexes
//! into the simulation's tables, with generations so that stale events are ignored.

/// One event. `call`/`job` indexes come with the generation they were scheduled for.
#[derive(Debug, Clone, Copy)]
pub enum Ev {
    /// The 100 ms tick: recorder flush, users, alerts, conditions, progress.
    Tick,
    /// The run's planned end: no new operations start after it.
    End,
    /// A virtual user starts its next operation.
    UserWake(u32),
    /// The next open-model arrival.
    Arrival,
    /// A request reaches a node.
    Deliver { job: u32, gen: u32 },
    /// A node finished its own work on a request.
    ServiceDone { job: u32, gen: u32 },
    /// An answer reaches a caller's attempt.
    Reply {
        call: u32,
        gen: u32,
        attempt: u32,
        fail: u8,
    },
    /// A call attempt's timeout.
    AttemptTimeout { call: u32, gen: u32, attempt: u32 },
    /// A waiting call's pool acquire timeout.
    AcquireTimeout { call: u32, gen: u32, attempt: u32 },
    /// A retry's backoff is over.
    Retry { call: u32, gen: u32 },
    /// A load balancer checks one instance.
    HealthCheck { lb: u16, node: u32 },
    /// The outcome of a health check reaches its balancer: an answer after the
    /// network's delay, or a failure when the check's timeout expires unanswered.
    /// `check` is the check's number for that instance (a later check's outcome that
    /// came first wins).
    HealthVerdict {
        lb: u16,
        node: u32,
        check: u32,
        ok: bool,
    },
    /// A database's failover controller checks its nodes.
    ControllerCheck { db: u16 },
    /// The outcome of a failover controller's check of the node in `slot` reaches it
    /// (an answer after the network's delay, or a failure when the check's timeout
    /// expires unanswered). `check` is the check's number for that slot.
    ControllerVerdict {
        db: u16,
        slot: u32,
        check: u32,
        ok: bool,
    },
    /// A promotion or spare takeover completes.
    Promote { db: u16, slot: u32, node: u32 },
    /// A replicated write reaches another node.
    Replicate { idx: u32 },
    /// A fault starts.
    Inject { fault: u32 },
    /// A fault ends.
    Heal { fault: u32 },
    /// A new service instance starts (autoscaling, spare).
    InstanceStart { comp: u16, node: u32 },
    /// An autoscaler evaluates.
    Autoscale { comp: u16 },
}

/// Failure codes carried by `Ev::Reply` (0 = success).
pub mod fail {
    use faultline_record::FailureClass;

    /// Success.
    pub const OK: u8 = 0;

    /// The code of a failure class.
    pub fn code(class: FailureClass) -> u8 {
        match class {
            FailureClass::Refused => 1,
            FailureClass::Reset => 2,
            FailureClass::Timeout => 3,
            FailureClass::ServerError => 4,
            FailureClass::PoolExhausted => 5,
            FailureClass::Other => 6,
        }
    }

    /// The class of a non-zero code.
    pub fn class(code: u8) -> FailureClass {
        match code {
            1 => FailureClass::Refused,
            2 => FailureClass::Reset,
            3 => FailureClass::Timeout,
            4 => FailureClass::ServerError,
            5 => FailureClass::PoolExhausted,
            _ => FailureClass::Other,
        }
    }
}
