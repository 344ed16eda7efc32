//! Calls between components: routing, DNS caching, pools, timeouts, retries, breakers.

use faultline_record::{FailureClass, OpKind};
use faultline_spec::{BalancingAlgorithm, DatabaseTopology, Jitter};

use crate::event::{fail, Ev};
use crate::sim::{Call, Caller, Ep, JobKind, Parent, Simulation, CLIENTS};
use crate::world::{rem, Addr, Kind, LbCfg, ProcessState, Role, NONE};

impl Simulation {
    /// Allocates a call.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(crate) fn new_call(
        &mut self,
        parent: Parent,
        caller: Caller,
        target: u16,
        op: OpKind,
        key: u64,
        write_id: u64,
        t_start: u64,
        timeout_us: u64,
    ) -> u32 {
        let fresh = |gen| Call {
            gen,
            parent,
            caller,
            target,
            op,
            key,
            write_id,
            t_start,
            attempt: 0,
            conn: NONE,
            lb: u16::MAX,
            dest: NONE,
            waiting: false,
            connecting: false,
            attempt_open: false,
            timeout_us,
            t_attempt: t_start,
        };
        match self.free_calls.pop() {
            Some(i) => {
                // A free slot's generation is even: the next one is odd.
                let gen = self.calls[i as usize].gen.wrapping_add(1);
                debug_assert!(crate::sim::slot_in_use(gen), "a free call slot was in use");
                self.calls[i as usize] = fresh(gen);
                i
            }
            None => {
                self.calls.push(fresh(1));
                (self.calls.len() - 1) as u32
            }
        }
    }

    #[inline]
    pub(crate) fn call_valid(&self, call: u32, gen: u32) -> bool {
        self.calls[call as usize].gen == gen
    }

    #[inline]
    fn free_call(&mut self, call: u32) {
        let c = &mut self.calls[call as usize];
        debug_assert!(c.live(), "call {call} freed twice");
        c.gen = c.gen.wrapping_add(1);
        self.free_calls.push(call);
    }

    /// The caller's endpoint for edge faults.
    #[inline]
    pub(crate) fn caller_ep(&self, caller: Caller) -> Ep {
        match caller {
            Caller::User(_) => Ep {
                comp: CLIENTS,
                node: NONE,
            },
            Caller::Node(n, _) => Ep {
                comp: self.nodes[n as usize].comp,
                node: n,
            },
        }
    }

    /// Starts (or restarts, for a retry) an attempt of a call.
    #[inline(always)]
    pub(crate) fn start_attempt(&mut self, call: u32) {
        let c = &mut self.calls[call as usize];
        c.attempt += 1;
        c.attempt_open = true;
        c.t_attempt = self.now;
        let (caller, attempt, gen) = (c.caller, c.attempt, c.gen);
        if let Caller::Node(n, dep) = caller {
            let comp = self.nodes[n as usize].comp as usize;
            if attempt == 1 {
                self.count_budget(comp, false);
            }
            if let Kind::Service(svc) = &self.comps[comp].kind {
                if svc.breaker.is_some() && !self.breaker_admits(call, n, dep) {
                    self.finish_call(call, Err(FailureClass::ServerError));
                    return;
                }
            }
            let pool = self.comps[comp].deps[dep as usize].pool;
            let state = &mut self.nodes[n as usize].deps[dep as usize];
            match pool {
                Some(p) => match state.free.pop_front() {
                    Some(conn) => {
                        state.conns[conn as usize].in_use = true;
                        let left = state.free.len() as f64;
                        self.calls[call as usize].conn = conn;
                        self.decide("pool.acquire", true, left);
                    }
                    None => {
                        state.waiters.push_back((call, gen));
                        let waiting = state.waiters.len() as f64;
                        self.calls[call as usize].waiting = true;
                        self.decide("pool.acquire", false, -waiting);
                        self.q.push_timeout(
                            self.now,
                            p.acquire_timeout_us,
                            Ev::AcquireTimeout { call, gen, attempt },
                        );
                        return;
                    }
                },
                None => {
                    let slots = state.conns.len() as u32;
                    self.calls[call as usize].conn =
                        rem(u64::from(state.rr), u64::from(slots)) as u32;
                    state.rr = state.rr.wrapping_add(1);
                }
            }
        }
        self.send(call);
    }

    /// Resolves a DNS name through the caller's cache (connection or user); `None` when
    /// the cache has no live answer and the DNS server, down, answers nothing.
    fn resolve(&mut self, call: u32, dns: u16) -> Option<Addr> {
        let (record, ttl_us, ignore_us, down) = match &self.comps[dns as usize].kind {
            Kind::Dns(d) => (d.record, d.ttl_us, d.ignore_for_us.max(d.ttl_us), d.down),
            _ => {
                return Some(Addr {
                    comp: dns,
                    node: NONE,
                })
            }
        };
        let c = self.calls[call as usize];
        if let (Caller::User(u), Some(sessions)) = (c.caller, &self.sessions) {
            if let Some(addr) = sessions.pinned(u) {
                return Some(addr);
            }
        }
        let now = self.now;
        let conn = match c.caller {
            Caller::User(u) => &mut self.users[u as usize].conn,
            Caller::Node(n, dep) => {
                &mut self.nodes[n as usize].deps[dep as usize].conns[c.conn as usize]
            }
        };
        if conn.cached.comp == u16::MAX || now >= conn.expires_us {
            if down {
                return None;
            }
            conn.cached = record;
            conn.expires_us = now + if conn.ignores_ttl { ignore_us } else { ttl_us };
        }
        let (addr, left_s) = (
            conn.cached,
            conn.expires_us.saturating_sub(now) as f64 / 1e6,
        );
        self.decide("dns.stale", addr != record, left_s);
        if let (Caller::User(u), Some(sessions)) = (c.caller, &mut self.sessions) {
            sessions.pin(u, addr);
        }
        Some(addr)
    }

    /// Picks the node an attempt of `call` to `target` (read by the caller) goes to, or
    /// why there is none.
    #[inline(always)]
    fn route(&mut self, call: u32, target: u16) -> Result<(u32, u16), FailureClass> {
        let target = usize::from(target);
        // A service is reached directly (it has no DNS name and is no load balancer):
        // most calls of a plain model go there, so it is checked first, in line.
        if let Kind::Service(_) = self.comps[target].kind {
            return match self.service_pick(target) {
                NONE => Err(FailureClass::Refused),
                node => Ok((node, u16::MAX)),
            };
        }
        self.route_by_name(call)
    }

    /// The DNS server `dns` answers no lookup for `call`'s attempt: the resolver's
    /// `lookup_timeout` fails it with `other`, or, without one, the attempt's own
    /// timeout ends it (see `send`).
    #[cold]
    fn lookup_unanswered(&mut self, call: u32, dns: u16) {
        let Kind::Dns(d) = &self.comps[dns as usize].kind else {
            return;
        };
        if d.lookup_timeout_us == 0 {
            return;
        }
        let c = &self.calls[call as usize];
        let failed = Ev::Reply {
            call,
            gen: c.gen,
            attempt: c.attempt,
            fail: fail::code(FailureClass::Other),
        };
        self.q.push(self.now + d.lookup_timeout_us, failed);
    }

    /// [`Self::route`] through DNS names, load balancers, database topologies and
    /// cache shards.
    #[inline(never)]
    fn route_by_name(&mut self, call: u32) -> Result<(u32, u16), FailureClass> {
        let c = self.calls[call as usize];
        let mut addr = Addr {
            comp: c.target,
            node: NONE,
        };
        if let Some(dns) = self.dns_of(c.target) {
            let Some(resolved) = self.resolve(call, dns) else {
                self.lookup_unanswered(call, dns);
                return Err(FailureClass::Timeout);
            };
            addr = resolved;
        }
        let mut lb = u16::MAX;
        if let Kind::Lb(l) = &mut self.comps[addr.comp as usize].kind {
            if l.state == ProcessState::Paused {
                // It takes the request and does nothing with it until it resumes.
                l.held.push((call, c.gen, c.attempt));
                return Err(FailureClass::Timeout);
            }
            lb = addr.comp;
            let node = self.lb_pick(addr.comp)?;
            self.requests += 1;
            if let (Some(rec), Some(s)) = (&mut self.rec, self.comps[lb as usize].series) {
                rec.op_started(s, c.op, self.now);
            }
            return Ok((node, lb));
        }
        if addr.node != NONE {
            return Ok((addr.node, lb));
        }
        let comp = addr.comp as usize;
        let node = match &mut self.comps[comp].kind {
            Kind::Service(_) => self.service_pick(comp),
            Kind::Db(db) => match db.topology {
                DatabaseTopology::Single | DatabaseTopology::ActivePassive => db.primary,
                DatabaseTopology::ActiveActive => {
                    let zone = match c.caller {
                        Caller::Node(n, _) => self.nodes[n as usize].zone,
                        Caller::User(_) => crate::world::NO_ZONE,
                    };
                    let local = db
                        .slots
                        .iter()
                        .position(|&s| self.nodes[s as usize].zone == zone)
                        .unwrap_or((c.key % db.slots.len() as u64) as usize);
                    let watched = db.failover.is_some();
                    let usable = |i: usize| {
                        !db.down[i] && (watched || self.nodes[db.slots[i] as usize].alive)
                    };
                    if usable(local) {
                        db.slots[local]
                    } else {
                        (0..db.slots.len())
                            .find(|&i| usable(i))
                            .map_or(db.slots[local], |i| db.slots[i])
                    }
                }
                DatabaseTopology::NPlusOne => db.slots[crate::db::shard_of(c.key, db.slots.len())],
            },
            Kind::Cache(_) => {
                let nodes = &self.comps[comp].nodes;
                nodes[crate::db::shard_of(c.key, nodes.len())]
            }
            Kind::Dns(_) | Kind::Lb(_) => NONE,
        };
        if node == NONE {
            return Err(FailureClass::Refused);
        }
        Ok((node, lb))
    }

    /// Client-side round robin over a service's instances that exist, dead or alive,
    /// not those still being provisioned nor those scaled in (`NONE` if none).
    #[inline(always)]
    fn service_pick(&mut self, comp: usize) -> u32 {
        let c = &mut self.comps[comp];
        let n = c.nodes.len() as u32;
        for _ in 0..n {
            let i = rem(u64::from(c.rr), u64::from(n)) as u32;
            c.rr = c.rr.wrapping_add(1);
            let cand = c.nodes[i as usize];
            let node = &self.nodes[cand as usize];
            if node.registered && !node.retired {
                return cand;
            }
        }
        NONE
    }

    /// The instances of its target that balancer `l` sends requests to: started, not
    /// scaled in, and healthy in its view.
    pub(crate) fn lb_routable<'a>(&'a self, l: &'a LbCfg) -> impl Iterator<Item = u32> + 'a {
        self.comps[l.target as usize]
            .nodes
            .iter()
            .zip(&l.instances)
            .filter(|&(&n, view)| {
                let node = &self.nodes[n as usize];
                view.healthy && node.registered && !node.retired
            })
            .map(|(&n, _)| n)
    }

    /// Picks an instance behind a load balancer.
    fn lb_pick(&mut self, lb: u16) -> Result<u32, FailureClass> {
        let mut cands = std::mem::take(&mut self.cands);
        cands.clear();
        let Kind::Lb(l) = &self.comps[lb as usize].kind else {
            self.cands = cands;
            return Err(FailureClass::Other);
        };
        let algorithm = l.algorithm;
        if l.state == ProcessState::Dead {
            self.cands = cands;
            return Err(FailureClass::Refused);
        }
        cands.extend(self.lb_routable(l));
        let count = cands.len() as u64;
        if count == 0 {
            self.cands = cands;
            return Err(FailureClass::ServerError);
        }
        let nth = |k: u64| cands[k as usize];
        let pick = match algorithm {
            BalancingAlgorithm::RoundRobin => {
                let rr = match &mut self.comps[lb as usize].kind {
                    Kind::Lb(l) => {
                        l.rr = l.rr.wrapping_add(1);
                        l.rr
                    }
                    _ => 0,
                };
                nth(rem(u64::from(rr), count))
            }
            BalancingAlgorithm::Random => nth(self.rng.below(count)),
            BalancingAlgorithm::LeastOutstanding => {
                let mut best = NONE;
                let mut best_load = u32::MAX;
                for &n in &cands {
                    if self.nodes[n as usize].outstanding() < best_load {
                        best = n;
                        best_load = self.nodes[n as usize].outstanding();
                    }
                }
                best
            }
            BalancingAlgorithm::PowerOfTwoChoices => {
                let a = nth(self.rng.below(count));
                let b = nth(self.rng.below(count));
                let (la, lb_) = (
                    self.nodes[a as usize].outstanding(),
                    self.nodes[b as usize].outstanding(),
                );
                if lb_ < la {
                    b
                } else {
                    a
                }
            }
        };
        self.cands = cands;
        Ok(pick)
    }

    /// Sends the current attempt (after the pool gave a connection).
    #[inline(always)]
    pub(crate) fn send(&mut self, call: u32) {
        let (gen, attempt, timeout_us) = {
            let c = &self.calls[call as usize];
            (c.gen, c.attempt, c.timeout_us)
        };
        self.q.push_timeout(
            self.now,
            timeout_us,
            Ev::AttemptTimeout { call, gen, attempt },
        );
        self.forward(call);
    }

    /// Routes the current attempt of `call` and puts it on the wire, or answers at once
    /// why it cannot go (its timeout is already set).
    #[inline(always)]
    pub(crate) fn forward(&mut self, call: u32) {
        let (gen, attempt, target) = {
            let c = &self.calls[call as usize];
            (c.gen, c.attempt, c.target)
        };
        let route = self.route(call, target);
        if route.is_err() {
            // No balancer carries this attempt (one holding it keeps it in its list).
            self.calls[call as usize].lb = u16::MAX;
        }
        match route {
            // Nothing answers (a DNS server that is down, a paused balancer holding
            // the request): the attempt's timeout ends it, unless the balancer resumes
            // first and sends it on.
            Err(FailureClass::Timeout) => {}
            Err(class) => {
                self.q.push(
                    self.now,
                    Ev::Reply {
                        call,
                        gen,
                        attempt,
                        fail: fail::code(class),
                    },
                );
            }
            Ok((dest, lb)) => {
                let c = &mut self.calls[call as usize];
                c.dest = dest;
                c.lb = lb;
                let mut kind = match c.op {
                    OpKind::Read => JobKind::Read,
                    OpKind::Write => JobKind::Write,
                };
                let mut connect_us = 0;
                if let Caller::Node(n, dep) = c.caller {
                    let comp = self.nodes[n as usize].comp as usize;
                    if let Some(p) = self.comps[comp].deps[dep as usize].pool {
                        let conn =
                            &self.nodes[n as usize].deps[dep as usize].conns[c.conn as usize];
                        if p.connect_us > 0 && conn.connected != dest {
                            kind = JobKind::Connect;
                            connect_us = p.connect_us;
                            self.calls[call as usize].connecting = true;
                        }
                    }
                }
                self.dispatch(call, kind, connect_us);
            }
        }
    }

    /// Puts a request (or a connect) on the wire toward the attempt's node.
    #[inline(always)]
    pub(crate) fn dispatch(&mut self, call: u32, kind: JobKind, connect_us: u64) {
        // The fields the job takes, not a copy of the whole call.
        let c = &self.calls[call as usize];
        let (caller, gen, attempt, dest, lb, key, write_id) =
            (c.caller, c.gen, c.attempt, c.dest, c.lb, c.key, c.write_id);
        let from = self.caller_ep(caller);
        // Most of a run has no edge fault: then nothing delays the request.
        let delay = if self.edges.is_empty() {
            0
        } else {
            match self.request_delay(dest, lb, from) {
                Some(d) => d,
                None => return,
            }
        };
        let job = self.new_job(
            call, gen, attempt, from, dest, kind, key, write_id, lb, connect_us,
        );
        if delay == 0 {
            // The job was just made: it needs no generation check.
            self.arrive(job);
        } else {
            let gen = self.jobs[job as usize].gen;
            self.q.push(self.now + delay, Ev::Deliver { job, gen });
        }
    }

    /// What the edges from the caller `from` to an attempt's node `dest` (through its
    /// load balancer `lb`, if any) do to a request: a delay, or `None` when it is lost.
    #[inline(never)]
    fn request_delay(&mut self, dest: u32, lb: u16, from: Ep) -> Option<u64> {
        let dest_ep = Ep {
            comp: self.nodes[dest as usize].comp,
            node: dest,
        };
        self.path_delay(from, lb, dest_ep)
    }

    /// What the edges on the way from `from` to `to` do to a message: through the load
    /// balancer `lb` (both legs, first leg first) unless `lb` is `u16::MAX`. A delay, or
    /// `None` when it is lost on either leg.
    pub(crate) fn path_delay(&mut self, from: Ep, lb: u16, to: Ep) -> Option<u64> {
        if lb == u16::MAX {
            return self.edge_effect(from, to);
        }
        let lb_ep = Ep {
            comp: lb,
            node: NONE,
        };
        self.edge_effect(from, lb_ep)
            .and_then(|d1| self.edge_effect(lb_ep, to).map(|d2| d1 + d2))
    }

    /// An answer reached a call's attempt, with the failure code `code` of an
    /// [`Ev::Reply`].
    #[inline(always)]
    pub(crate) fn reply(&mut self, call: u32, gen: u32, attempt: u32, code: u8) {
        let outcome = if code == fail::OK {
            Ok(())
        } else {
            Err(fail::class(code))
        };
        self.answered(call, gen, attempt, outcome);
    }

    /// An answer of `outcome` reached a call's attempt (from the wire, or at once from
    /// the node that answered: then it goes through no failure code).
    #[inline(always)]
    pub(crate) fn answered(
        &mut self,
        call: u32,
        gen: u32,
        attempt: u32,
        outcome: Result<(), FailureClass>,
    ) {
        let c = &mut self.calls[call as usize];
        if !c.awaits(gen, attempt) {
            return;
        }
        let reply = || Ev::Reply {
            call,
            gen,
            attempt,
            fail: outcome.map_or_else(fail::code, |()| fail::OK),
        };
        if let Some(n) = self.paused_caller(call) {
            self.nodes[n as usize].frozen.push(reply());
            return;
        }
        if let Some(lb) = self.stopped_lb_of(call) {
            // A paused balancer holds the answer until it resumes; a dead one lost it
            // with the connection (its caller learned of that when it died).
            if lb.state == ProcessState::Paused {
                lb.frozen.push(reply());
            }
            return;
        }
        let c = &mut self.calls[call as usize];
        if c.connecting {
            c.connecting = false;
            if outcome.is_ok() {
                let c = *c;
                if let Caller::Node(n, dep) = c.caller {
                    self.nodes[n as usize].deps[dep as usize].conns[c.conn as usize].connected =
                        c.dest;
                }
                let kind = match c.op {
                    OpKind::Read => JobKind::Read,
                    OpKind::Write => JobKind::Write,
                };
                self.dispatch(call, kind, 0);
                return;
            }
        }
        self.attempt_done(call, outcome);
    }

    /// An attempt's timeout fired.
    pub(crate) fn attempt_timeout(&mut self, call: u32, gen: u32, attempt: u32) {
        let c = &self.calls[call as usize];
        if !c.awaits(gen, attempt) {
            return;
        }
        if let Some(n) = self.paused_caller(call) {
            let timeout = Ev::AttemptTimeout { call, gen, attempt };
            self.nodes[n as usize].frozen.push(timeout);
            return;
        }
        let waited = self.now - self.calls[call as usize].t_attempt;
        self.decide("call.timeout", true, waited as f64);
        self.calls[call as usize].connecting = false;
        self.attempt_done(call, Err(FailureClass::Timeout));
    }

    /// A call waited too long for a pooled connection.
    pub(crate) fn acquire_timeout(&mut self, call: u32, gen: u32, attempt: u32) {
        if !self.call_valid(call, gen)
            || self.calls[call as usize].attempt != attempt
            || !self.calls[call as usize].waiting
        {
            return;
        }
        if let Some(n) = self.paused_caller(call) {
            let timeout = Ev::AcquireTimeout { call, gen, attempt };
            self.nodes[n as usize].frozen.push(timeout);
            return;
        }
        self.calls[call as usize].waiting = false;
        self.decide("pool.exhausted", true, 0.0);
        self.attempt_done(call, Err(FailureClass::PoolExhausted));
    }

    /// Gives a connection back to the pool (or to the next waiter).
    #[inline(always)]
    fn release_conn(&mut self, call: u32, broken: bool) {
        let c = &self.calls[call as usize];
        self.release_conn_of(call, c.caller, c.conn, broken);
    }

    /// [`Self::release_conn`] with the call's `caller` and `conn` as the caller has
    /// just read them.
    #[inline(always)]
    fn release_conn_of(&mut self, call: u32, caller: Caller, conn: u32, broken: bool) {
        // Clients hold no pooled connection: keep their check out of a call.
        if matches!(caller, Caller::Node(..)) && conn != NONE {
            self.release_node_conn(call, broken);
        }
    }

    fn release_node_conn(&mut self, call: u32, broken: bool) {
        let c = self.calls[call as usize];
        let Caller::Node(n, dep) = c.caller else {
            return;
        };
        self.calls[call as usize].conn = NONE;
        let comp = self.nodes[n as usize].comp as usize;
        let pooled = self.comps[comp].deps[dep as usize].pool.is_some();
        let state = &mut self.nodes[n as usize].deps[dep as usize];
        if broken {
            state.conns[c.conn as usize].connected = NONE;
        }
        if !pooled {
            return;
        }
        // Hand it to the first waiter still waiting.
        while let Some((w, wgen)) = state.waiters.pop_front() {
            let wc = &self.calls[w as usize];
            if wc.gen == wgen && wc.waiting {
                self.calls[w as usize].waiting = false;
                self.calls[w as usize].conn = c.conn;
                self.send(w);
                return;
            }
        }
        let state = &mut self.nodes[n as usize].deps[dep as usize];
        state.conns[c.conn as usize].in_use = false;
        state.free.push_back(c.conn);
    }

    /// An attempt ended: release, record, retry or finish.
    #[inline(always)]
    fn attempt_done(&mut self, call: u32, outcome: Result<(), FailureClass>) {
        debug_assert!(
            self.calls[call as usize].attempt_open,
            "an attempt ended twice"
        );
        self.calls[call as usize].attempt_open = false;
        let broken = matches!(
            outcome,
            Err(FailureClass::Refused | FailureClass::Reset | FailureClass::Timeout)
        );
        // The fields this step needs, read once (giving the connection back changes
        // none of them), not a copy of the whole call.
        let c = &self.calls[call as usize];
        let (lb, caller, conn) = (c.lb, c.caller, c.conn);
        self.release_conn_of(call, caller, conn, broken);
        if lb != u16::MAX {
            let c = &self.calls[call as usize];
            let (op, t_attempt) = (c.op, c.t_attempt);
            if let (Some(rec), Some(s)) = (&mut self.rec, self.comps[lb as usize].series) {
                rec.op_finished(s, op, t_attempt, self.now, outcome);
            }
            let lb_comp = &mut self.comps[lb as usize];
            if lb_comp.watched {
                lb_comp.window.record(outcome.is_ok(), self.now - t_attempt);
            }
            self.calls[call as usize].lb = u16::MAX;
        }
        if let Caller::Node(n, dep) = caller {
            self.breaker_record(n, dep, call, outcome.is_ok());
        }
        match outcome {
            Ok(()) => self.close_call(call, Ok(())),
            Err(class) => self.maybe_retry(call, class),
        }
    }

    /// Counts a first attempt or a retry in the service's retry budget.
    fn count_budget(&mut self, comp: usize, retry: bool) {
        let now_s = self.now / 1_000_000;
        if let Kind::Service(svc) = &mut self.comps[comp].kind {
            svc.budget.add(now_s, retry);
        }
    }

    fn maybe_retry(&mut self, call: u32, class: FailureClass) {
        let c = self.calls[call as usize];
        let retries = match c.caller {
            Caller::Node(n, _) => match &self.comps[self.nodes[n as usize].comp as usize].kind {
                Kind::Service(svc) => svc.retries,
                _ => None,
            },
            Caller::User(_) => None,
        };
        let Some(r) = retries else {
            self.finish_call(call, Err(class));
            return;
        };
        if c.attempt > r.max {
            self.finish_call(call, Err(class));
            return;
        }
        let comp = match c.caller {
            Caller::Node(n, _) => self.nodes[n as usize].comp as usize,
            Caller::User(_) => 0,
        };
        let now_s = self.now / 1_000_000;
        if let (Some(budget), Kind::Service(svc)) = (r.budget, &mut self.comps[comp].kind) {
            // Over the 10 s before now, not before the last attempt counted.
            svc.budget.advance(now_s);
            let (firsts, retried) = svc.budget.totals();
            let allowed = budget * firsts as f64 - retried as f64;
            self.decide("retry.budget", allowed >= 1.0, allowed);
            if allowed < 1.0 {
                self.finish_call(call, Err(class));
                return;
            }
        }
        self.count_budget(comp, true);
        let base = r.backoff_us.saturating_mul(1u64 << (c.attempt - 1).min(20));
        let backoff = match r.jitter {
            Jitter::None => base,
            Jitter::Full => (base as f64 * self.rng.unit()) as u64,
            Jitter::Equal => base / 2 + (base as f64 / 2.0 * self.rng.unit()) as u64,
        };
        self.q
            .push(self.now + backoff, Ev::Retry { call, gen: c.gen });
    }

    /// A retry's backoff is over.
    pub(crate) fn retry(&mut self, call: u32, gen: u32) {
        if !self.call_valid(call, gen) {
            return;
        }
        match self.paused_caller(call) {
            Some(n) => self.nodes[n as usize].frozen.push(Ev::Retry { call, gen }),
            None => self.start_attempt(call),
        }
    }

    /// The balancer `call`'s attempt went through, when it is paused or dead.
    #[inline(always)]
    fn stopped_lb_of(&mut self, call: u32) -> Option<&mut LbCfg> {
        let lb = self.calls[call as usize].lb;
        if lb == u16::MAX {
            return None;
        }
        match &mut self.comps[lb as usize].kind {
            Kind::Lb(l) if l.state != ProcessState::Running => Some(l),
            _ => None,
        }
    }

    /// The node making `call`, when it is paused: what happens to its calls (answers,
    /// timeouts, retry backoffs) waits for it to resume.
    #[inline(always)]
    fn paused_caller(&self, call: u32) -> Option<u32> {
        match self.calls[call as usize].caller {
            Caller::Node(n, _) if self.nodes[n as usize].paused => Some(n),
            _ => None,
        }
    }

    /// A call is over: tell whoever waits for it.
    #[inline(always)]
    pub(crate) fn finish_call(&mut self, call: u32, outcome: Result<(), FailureClass>) {
        self.release_conn(call, false);
        self.close_call(call, outcome);
    }

    /// [`Self::finish_call`] once the call holds no connection.
    #[inline(always)]
    fn close_call(&mut self, call: u32, outcome: Result<(), FailureClass>) {
        // Read before the slot goes on the free list (one look-up for both).
        let c = &self.calls[call as usize];
        let (parent, caller, op, key, write_id, t_start) =
            (c.parent, c.caller, c.op, c.key, c.write_id, c.t_start);
        self.free_call(call);
        match parent {
            Parent::Client(u) => {
                let slot = match caller {
                    Caller::User(slot) => slot,
                    Caller::Node(..) => NONE,
                };
                self.finish_client(u, slot, op, key, write_id, t_start, outcome)
            }
            Parent::Job(j, jg) => {
                if self.job_valid(j, jg) {
                    self.job_call_done(j, outcome);
                }
            }
        }
    }

    /// Drops every call a node was making (it died).
    pub(crate) fn drop_calls_of(&mut self, n: u32) {
        for i in 0..self.calls.len() {
            let c = &self.calls[i];
            if c.live() && matches!(c.caller, Caller::Node(m, _) if m == n) {
                self.free_call(i as u32);
            }
        }
    }
}

/// Whether a database role takes writes.
pub(crate) fn writable(role: Role) -> bool {
    matches!(role, Role::Primary | Role::Shard)
}
