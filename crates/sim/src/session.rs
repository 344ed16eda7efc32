//! Workload sessions (`workload.sessions`): a user keeps its connection and its key
//! set for `operations` operations, then starts a new session.
//!
//! A session's user is a virtual user (closed model) or one of the 1024 client slots
//! (open model), whose operations are every 1024th arrival.
//!
//! - **Keys**: as [`faultline_spec::session`] says, the same in both engines: `keys`
//!   distinct keys drawn from the workload's key distribution as the session first
//!   needs them, then a uniform pick among them. A hot key drawn into a session stays
//!   hot for that whole session.
//! - **Connection**: the session's first operation resolves the target's DNS name
//!   through the user's resolver cache (TTL, or `ignore_for` for TTL-ignoring users)
//!   and the session keeps that answer for all its operations, whatever the TTL — a
//!   long-lived connection does not look the name up again. A connection that sees a
//!   refusal, a reset or a timeout is broken: the next operation reconnects, resolving
//!   through the cache again (as pooled connections do). Application errors (a 503, a
//!   standby or fenced database refusing the operation) keep the connection, so after
//!   a DNS failover sessions keep talking to the old address until they end.

use faultline_spec::session::{KeySource, SessionKeys, SessionShape};
use faultline_spec::Sessions as SessionsSpec;

use crate::client::KeyDist;
use crate::rng::SimRng;
use crate::world::Addr;

/// One user's session.
#[derive(Debug, Clone)]
struct Session {
    keys: SessionKeys,
    pinned: Option<Addr>,
}

/// The simulator's key distribution and generator, as a session's key source.
struct SimKeys<'a> {
    dist: &'a KeyDist,
    rng: &'a mut SimRng,
}

impl KeySource for SimKeys<'_> {
    #[inline]
    fn draw(&mut self) -> u64 {
        self.dist.draw(self.rng)
    }
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        self.rng.below(n)
    }
}

/// Every user's session.
#[derive(Debug, Clone)]
pub struct Sessions {
    shape: SessionShape,
    users: Vec<Session>,
}

impl Sessions {
    /// Sessions as the workload declares them, over `key_count` keys.
    pub fn new(spec: &SessionsSpec, key_count: u64) -> Self {
        Self {
            shape: SessionShape::new(spec, key_count),
            users: Vec::new(),
        }
    }

    fn user(&mut self, user: u32) -> &mut Session {
        let i = user as usize;
        if i >= self.users.len() {
            // A user's first operation starts its first session.
            let ended = Session {
                keys: SessionKeys::ended(&self.shape),
                pinned: None,
            };
            self.users.resize(i + 1, ended);
        }
        &mut self.users[i]
    }

    /// The key of `user`'s next operation, starting a new session (new keys, new
    /// connection) when the current one has had all its operations.
    pub fn next_key(&mut self, user: u32, dist: &KeyDist, rng: &mut SimRng) -> u64 {
        let shape = self.shape;
        let s = self.user(user);
        let (key, new_session) = s.keys.next_key(&shape, &mut SimKeys { dist, rng });
        if new_session {
            s.pinned = None;
        }
        key
    }

    /// The address `user`'s session is connected to, if it is.
    #[inline]
    pub fn pinned(&self, user: u32) -> Option<Addr> {
        self.users.get(user as usize).and_then(|s| s.pinned)
    }

    /// `user`'s session connected to `addr`.
    pub fn pin(&mut self, user: u32, addr: Addr) {
        self.user(user).pinned = Some(addr);
    }

    /// `user`'s connection broke (refused, reset, timed out): it reconnects next time.
    pub fn broken(&mut self, user: u32) {
        if let Some(s) = self.users.get_mut(user as usize) {
            s.pinned = None;
        }
    }

    /// A new virtual user takes over slot `user`: its first operation starts a session.
    pub fn restart(&mut self, user: u32) {
        let shape = self.shape;
        let s = self.user(user);
        s.keys.end(&shape);
        s.pinned = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(operations: u32, keys: u32, count: u64) -> (Sessions, KeyDist) {
        let spec = SessionsSpec { operations, keys };
        let dist = KeyDist::new(&faultline_spec::Keys {
            count,
            ..Default::default()
        });
        (Sessions::new(&spec, count), dist)
    }

    #[test]
    fn a_session_works_on_its_distinct_keys_then_a_new_one_draws_new_ones() {
        let (mut s, dist) = sessions(10, 3, 1_000_000);
        let mut rng = SimRng::new(1, 0);
        let first: Vec<u64> = (0..10).map(|_| s.next_key(0, &dist, &mut rng)).collect();
        let mut distinct = first.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 3, "{first:?}");
        let second: Vec<u64> = (0..10).map(|_| s.next_key(0, &dist, &mut rng)).collect();
        assert!(second.iter().all(|k| !distinct.contains(k)), "{second:?}");
    }

    #[test]
    fn a_session_keeps_its_address_until_it_breaks_or_ends() {
        let (mut s, dist) = sessions(2, 1, 10);
        let mut rng = SimRng::new(1, 0);
        let a = Addr { comp: 1, node: 2 };
        s.next_key(0, &dist, &mut rng);
        assert_eq!(s.pinned(0), None);
        s.pin(0, a);
        s.next_key(0, &dist, &mut rng);
        assert_eq!(s.pinned(0), Some(a));
        s.next_key(0, &dist, &mut rng);
        assert_eq!(s.pinned(0), None, "a new session reconnects");
        s.pin(0, a);
        s.broken(0);
        assert_eq!(s.pinned(0), None);
    }
}
