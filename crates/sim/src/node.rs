//! Work at a node: queueing, service, the calls a request makes, answers.

use faultline_record::{FailureClass, OpKind};

use crate::call::writable;
use crate::event::{fail, Ev};
use crate::sim::{Caller, Ep, Job, JobKind, Parent, Simulation};
use crate::world::Kind;

impl Simulation {
    /// Allocates a job.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(crate) fn new_job(
        &mut self,
        call: u32,
        call_gen: u32,
        attempt: u32,
        from: Ep,
        node: u32,
        kind: JobKind,
        key: u64,
        write_id: u64,
        lb: u16,
        service_us: u64,
    ) -> u32 {
        let fresh = |gen| Job {
            gen,
            node,
            call,
            call_gen,
            attempt,
            from,
            kind,
            key,
            write_id,
            t_arrive: 0,
            step: 0,
            hit: false,
            service_us,
            lb,
            arrived: false,
        };
        match self.free_jobs.pop() {
            Some(i) => {
                // A free slot's generation is even: the next one is odd.
                let gen = self.jobs[i as usize].gen.wrapping_add(1);
                debug_assert!(crate::sim::slot_in_use(gen), "a free job slot was in use");
                self.jobs[i as usize] = fresh(gen);
                i
            }
            None => {
                self.jobs.push(fresh(1));
                (self.jobs.len() - 1) as u32
            }
        }
    }

    #[inline]
    pub(crate) fn job_valid(&self, job: u32, gen: u32) -> bool {
        self.jobs[job as usize].gen == gen
    }

    #[inline]
    fn free_job(&mut self, job: u32) {
        let j = &mut self.jobs[job as usize];
        debug_assert!(j.live(), "job {job} freed twice");
        j.gen = j.gen.wrapping_add(1);
        self.free_jobs.push(job);
    }

    fn op_of(kind: JobKind) -> OpKind {
        match kind {
            JobKind::Write => OpKind::Write,
            _ => OpKind::Read,
        }
    }

    /// A request reached its node.
    #[inline(always)]
    pub(crate) fn deliver(&mut self, job: u32, gen: u32) {
        if self.job_valid(job, gen) {
            self.arrive(job);
        }
    }

    /// A live request reached its node.
    #[inline(always)]
    pub(crate) fn arrive(&mut self, job: u32) {
        // The fields it needs, not a copy of the whole job.
        let j = &self.jobs[job as usize];
        let (n, kind) = (j.node as usize, j.kind);
        let node = &self.nodes[n];
        if !node.alive || node.retired || self.now < node.serving_from_us {
            self.answer(job, Err(FailureClass::Refused), 0);
            self.free_job(job);
            return;
        }
        let arrived = &mut self.jobs[job as usize];
        arrived.t_arrive = self.now;
        arrived.arrived = true;
        let comp = node.comp as usize;
        if kind != JobKind::Connect {
            self.requests += 1;
            let c = &mut self.comps[comp];
            let l = &mut c.little;
            l.arrivals += 1;
            l.enter(self.now);
            if let (Some(rec), Some(s)) = (&mut self.rec, c.series) {
                rec.op_started(s, Self::op_of(kind), self.now);
            }
        }
        let node = &self.nodes[n];
        if !node.paused && node.busy < node.concurrency && node.queue.is_empty() {
            self.start_service(job);
        } else if node
            .queue_limit
            .is_some_and(|limit| node.queue.len() as u32 >= limit)
        {
            self.decide("queue.full", true, 0.0);
            self.complete(job, Err(FailureClass::ServerError), 0, false);
        } else {
            self.nodes[n].queue.push_back(job);
        }
    }

    /// Capacity factor of a node now (warm-up).
    fn capacity(&self, n: usize) -> f64 {
        let node = &self.nodes[n];
        let Some(from) = node.warm_from_us else {
            return 1.0;
        };
        let warm = match &self.comps[node.comp as usize].kind {
            Kind::Service(s) => s.warm,
            Kind::Db(d) => d.warm,
            _ => None,
        };
        match warm {
            Some(w) if self.now < from + w.duration_us => {
                let p = (self.now.saturating_sub(from)) as f64 / w.duration_us as f64;
                w.initial + (1.0 - w.initial) * p
            }
            _ => 1.0,
        }
    }

    /// Starts serving `job`.
    #[inline(always)]
    fn start_service(&mut self, job: u32) {
        let j = &self.jobs[job as usize];
        let (n, kind, t_arrive, connect_us, gen) =
            (j.node as usize, j.kind, j.t_arrive, j.service_us, j.gen);
        let node = &mut self.nodes[n];
        node.busy += 1;
        let (comp, warming) = (node.comp as usize, node.warm_from_us.is_some());
        if kind != JobKind::Connect {
            let l = &mut self.comps[comp].little;
            l.start(self.now);
            l.started_service += 1;
            l.wait_us_sum += u128::from(self.now - t_arrive);
        }
        let base_us = match (&mut self.comps[comp].kind, kind) {
            (_, JobKind::Connect) => connect_us,
            (Kind::Service(s), _) => s.service_time.sample_us(&mut self.rng),
            (Kind::Db(d), JobKind::Read) => d.read.sample_us(&mut self.rng),
            (Kind::Db(d), _) => d.write.sample_us(&mut self.rng),
            (Kind::Cache(c), JobKind::Read) => {
                let warm = c.filled_keys as f64 / c.capacity_keys as f64;
                let hit = self.rng.chance(c.hit_ratio * warm.min(1.0));
                self.jobs[job as usize].hit = hit;
                if hit {
                    c.hit_time.sample_us(&mut self.rng)
                } else {
                    0
                }
            }
            _ => 0,
        };
        // Only a node warming up serves slower.
        let service_us = if warming {
            let cap = self.capacity(n);
            if cap < 1.0 {
                (base_us as f64 / cap) as u64
            } else {
                base_us
            }
        } else {
            base_us
        };
        self.q
            .push(self.now + service_us, Ev::ServiceDone { job, gen });
    }

    /// A node finished its own work on a request.
    #[inline(always)]
    pub(crate) fn service_done(&mut self, job: u32, gen: u32) {
        if !self.job_valid(job, gen) {
            return;
        }
        // The fields it needs, not a copy of the whole job.
        let j = &self.jobs[job as usize];
        let (n, kind, key, write_id, hit) = (j.node as usize, j.kind, j.key, j.write_id, j.hit);
        if self.nodes[n].paused {
            self.nodes[n].frozen.push(Ev::ServiceDone { job, gen });
            return;
        }
        let comp = self.nodes[n].comp as usize;
        // One completion for every way the node's work ends (a service's next call
        // returns early): one call of `complete` here, in line.
        let (outcome, extra_us) = match &self.comps[comp].kind {
            _ if kind == JobKind::Connect => (Ok(()), 0),
            // A service that calls nothing answers at once (what `next_step` would
            // find after looking at no dependency).
            Kind::Service(_) if self.comps[comp].deps.is_empty() => (Ok(()), 0),
            Kind::Service(_) => {
                self.jobs[job as usize].step = 0;
                self.next_step(job);
                return;
            }
            Kind::Db(_) => {
                if kind == JobKind::Write {
                    if writable(self.nodes[n].role) {
                        let extra = self.apply_write(comp as u16, n as u32, key, write_id);
                        (Ok(()), extra)
                    } else {
                        (Err(FailureClass::ServerError), 0)
                    }
                } else if matches!(
                    self.nodes[n].role,
                    crate::world::Role::Fenced | crate::world::Role::Spare
                ) {
                    (Err(FailureClass::ServerError), 0)
                } else {
                    (Ok(()), 0)
                }
            }
            Kind::Cache(_) => {
                if !hit {
                    self.jobs[job as usize].step = 0;
                    self.next_step(job);
                    return;
                }
                (Ok(()), 0)
            }
            _ => (Err(FailureClass::Other), 0),
        };
        self.complete_in_line(job, outcome, extra_us, true);
    }

    /// Makes the request's next call, or answers when none is left.
    #[inline(always)]
    fn next_step(&mut self, job: u32) {
        let j = &self.jobs[job as usize];
        let (node, gen, kind, step, key, write_id, hit) =
            (j.node, j.gen, j.kind, j.step, j.key, j.write_id, j.hit);
        let comp = self.nodes[node as usize].comp as usize;
        let op = Self::op_of(kind);
        let deps = self.comps[comp].deps.len();
        let mut i = step as usize;
        while i < deps {
            let dep = &self.comps[comp].deps[i];
            let applies = match dep.on {
                faultline_spec::CallOn::All => true,
                faultline_spec::CallOn::Read => op == OpKind::Read,
                faultline_spec::CallOn::Write => op == OpKind::Write,
            };
            let (target, timeout_us, p) = (dep.target, dep.timeout_us, dep.probability);
            if applies && self.rng.chance(p) {
                self.jobs[job as usize].step = (i + 1) as u16;
                let call = self.new_call(
                    Parent::Job(job, gen),
                    Caller::Node(node, i as u16),
                    target,
                    op,
                    key,
                    write_id,
                    self.now,
                    timeout_us,
                );
                self.start_attempt(call);
                return;
            }
            i += 1;
        }
        if let Kind::Cache(c) = &mut self.comps[comp].kind {
            if !hit && c.filled_keys < c.capacity_keys {
                c.filled_keys += 1;
            }
        }
        self.complete(job, Ok(()), 0, true);
    }

    /// A call made by a request ended.
    pub(crate) fn job_call_done(&mut self, job: u32, outcome: Result<(), FailureClass>) {
        match outcome {
            Ok(()) => self.next_step(job),
            Err(class) => {
                let class = match class {
                    FailureClass::PoolExhausted => FailureClass::PoolExhausted,
                    _ => FailureClass::ServerError,
                };
                self.complete(job, Err(class), 0, true);
            }
        }
    }

    /// Sends the answer of `job` (still in the table) back to its caller (after
    /// `extra_us`, e.g. synchronous replication).
    #[inline(always)]
    fn answer(&mut self, job: u32, outcome: Result<(), FailureClass>, extra_us: u64) {
        let j = &self.jobs[job as usize];
        let (call, call_gen, attempt) = (j.call, j.call_gen, j.attempt);
        // Most of a run has no edge fault: then nothing delays the answer, and the
        // node's endpoint is not needed.
        let delay = if self.edges.is_empty() {
            Some(0)
        } else {
            self.answer_delay(job)
        };
        if delay == Some(0) && extra_us == 0 {
            // Nothing on the wire delays it: answer at once (saves a heap round trip).
            self.answered(call, call_gen, attempt, outcome);
        } else if let Some(d) = delay {
            let code = match outcome {
                Ok(()) => fail::OK,
                Err(c) => fail::code(c),
            };
            self.q.push(
                self.now + d + extra_us,
                Ev::Reply {
                    call,
                    gen: call_gen,
                    attempt,
                    fail: code,
                },
            );
        }
    }

    /// What the edges between a job's node and its caller do to its answer: a delay,
    /// or `None` when it is lost.
    #[inline(never)]
    fn answer_delay(&mut self, job: u32) -> Option<u64> {
        let j = self.jobs[job as usize];
        let me = Ep {
            comp: self.nodes[j.node as usize].comp,
            node: j.node,
        };
        self.path_delay(me, j.lb, j.from)
    }

    /// A request is over at its node: answer, free the slot, count it.
    #[inline(never)]
    fn complete(
        &mut self,
        job: u32,
        outcome: Result<(), FailureClass>,
        extra_us: u64,
        in_service: bool,
    ) {
        self.complete_in_line(job, outcome, extra_us, in_service);
    }

    /// [`Self::complete`], in line: for the end of a node's service, once per request.
    #[inline(always)]
    fn complete_in_line(
        &mut self,
        job: u32,
        outcome: Result<(), FailureClass>,
        extra_us: u64,
        in_service: bool,
    ) {
        let j = &self.jobs[job as usize];
        let (n, kind, t_arrive) = (j.node as usize, j.kind, j.t_arrive);
        // Answering cannot free this job (it is freed below, not before).
        self.answer(job, outcome, extra_us);
        let comp = self.nodes[n].comp as usize;
        if kind != JobKind::Connect {
            let c = &mut self.comps[comp];
            let l = &mut c.little;
            l.leave(self.now);
            if in_service {
                l.stop(self.now);
            }
            l.completions += 1;
            l.sojourn_us_sum += u128::from(self.now - t_arrive);
            if let (Some(rec), Some(s)) = (&mut self.rec, c.series) {
                rec.op_finished(s, Self::op_of(kind), t_arrive, self.now, outcome);
            }
            if c.watched {
                c.window.record(outcome.is_ok(), self.now - t_arrive);
            }
        }
        self.free_job(job);
        if in_service {
            self.nodes[n].busy -= 1;
            self.start_queued(n);
        }
    }

    /// Starts queued requests while the node has free slots.
    #[inline(always)]
    pub(crate) fn start_queued(&mut self, n: usize) {
        loop {
            // The node looked up once per started request.
            let node = &mut self.nodes[n];
            if node.paused || node.busy >= node.concurrency {
                return;
            }
            let Some(next) = node.queue.pop_front() else {
                return;
            };
            if self.jobs[next as usize].live() {
                self.start_service(next);
            }
        }
    }

    /// Kills a node: every request on it fails with a reset, its calls are dropped.
    pub(crate) fn kill_node(&mut self, n: u32) {
        if !self.nodes[n as usize].alive {
            return;
        }
        let node = &mut self.nodes[n as usize];
        node.alive = false;
        node.paused = false;
        node.incarnation += 1;
        node.queue.clear();
        node.frozen.clear();
        let comp = node.comp as usize;
        for i in 0..self.jobs.len() {
            let j = self.jobs[i];
            if j.live() && j.node == n && j.arrived {
                self.answer(i as u32, Err(FailureClass::Reset), 0);
                if j.kind != JobKind::Connect {
                    let l = &mut self.comps[comp].little;
                    l.advance(self.now);
                    l.set_in_system(l.in_system().saturating_sub(1));
                    l.completions += 1;
                    l.sojourn_us_sum += u128::from(self.now - j.t_arrive);
                    if let (Some(rec), Some(s)) = (&mut self.rec, self.comps[comp].series) {
                        rec.op_finished(
                            s,
                            Self::op_of(j.kind),
                            j.t_arrive,
                            self.now,
                            Err(FailureClass::Reset),
                        );
                    }
                }
                self.free_job(i as u32);
            }
        }
        let busy = self.nodes[n as usize].busy;
        let l = &mut self.comps[comp].little;
        l.set_busy(l.busy().saturating_sub(u64::from(busy)));
        self.nodes[n as usize].busy = 0;
        self.drop_calls_of(n);
        self.init_node_deps(n);
    }

    /// Lets an event that waited for its node's resume happen (see [`Node::frozen`]).
    /// A request or call that ended meanwhile (its slot freed, perhaps reused) has
    /// nothing left to do: each handler checks the generation. Out of line, and not
    /// through the event loop's dispatch, which stays in line in the loop alone.
    ///
    /// [`Node::frozen`]: crate::world::Node::frozen
    #[inline(never)]
    pub(crate) fn thaw(&mut self, ev: Ev) {
        match ev {
            Ev::ServiceDone { job, gen } => self.service_done(job, gen),
            Ev::Reply {
                call,
                gen,
                attempt,
                fail,
            } => self.reply(call, gen, attempt, fail),
            Ev::AttemptTimeout { call, gen, attempt } => self.attempt_timeout(call, gen, attempt),
            Ev::AcquireTimeout { call, gen, attempt } => self.acquire_timeout(call, gen, attempt),
            Ev::Retry { call, gen } => self.retry(call, gen),
            other => debug_assert!(false, "{other:?} is never frozen"),
        }
    }

    /// Resumes a paused node: work that finished during the pause completes now.
    pub(crate) fn resume_node(&mut self, n: u32) {
        let node = &mut self.nodes[n as usize];
        if !node.paused {
            return;
        }
        node.paused = false;
        let frozen = std::mem::take(&mut node.frozen);
        for ev in frozen {
            self.thaw(ev);
        }
        self.start_queued(n as usize);
    }
}
