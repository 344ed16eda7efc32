//! The keys of a workload session (`workload.sessions`), the same in both engines.
//!
//! A session works on `keys` distinct keys (at most one per operation and
//! [`SESSION_KEYS_MAX`]), drawn from the workload's key distribution as it first
//! needs them; once it has them all, each operation picks one of them uniformly.
//! After `operations` operations the user starts a new session with new keys (and,
//! in the engines, a new connection). A hot key drawn into a session therefore stays
//! hot for that whole session, and a hotspot is diluted by the sessions' other keys.
//!
//! The engines bring their own random numbers through [`KeySource`]: the simulator
//! its seeded generator, the live engine its own.
//!
//! ```
//! use faultline_spec::session::{KeySource, SessionKeys, SessionShape};
//! use faultline_spec::Sessions;
//!
//! /// Keys 0, 1, 2, … in turn (a stand-in for a key distribution).
//! struct Counter(u64);
//! impl KeySource for Counter {
//!     fn draw(&mut self) -> u64 {
//!         self.0 += 1;
//!         self.0 - 1
//!     }
//!     fn below(&mut self, n: u64) -> u64 {
//!         self.0 % n
//!     }
//! }
//!
//! let shape = SessionShape::new(&Sessions { operations: 3, keys: 2 }, 100);
//! let mut session = SessionKeys::ended(&shape);
//! let mut source = Counter(0);
//! assert_eq!(session.next_key(&shape, &mut source), (0, true)); // a new session
//! assert_eq!(session.next_key(&shape, &mut source), (1, false));
//! assert_eq!(session.next_key(&shape, &mut source), (0, false)); // one of its two keys
//! assert_eq!(session.next_key(&shape, &mut source), (2, true)); // the next session
//! ```

use crate::model::Sessions;

/// Most distinct keys one session holds (bounds memory per user).
pub const SESSION_KEYS_MAX: u32 = 1024;

/// Client slots of the open model: arrivals go to them in turn, so each slot's
/// sessions see every 1024th arrival.
pub const OPEN_MODEL_CLIENT_SLOTS: u32 = 1024;

/// Draws of the key distribution before falling back to a uniform pick of a key the
/// session does not hold yet (a distribution concentrated on fewer keys than the
/// session needs would otherwise loop).
const DISTINCT_DRAWS_MAX: u32 = 64;

/// Where a session's keys come from.
pub trait KeySource {
    /// A key index drawn from the workload's key distribution.
    fn draw(&mut self) -> u64;
    /// A uniform integer in `[0, n)` (`n` ≥ 1).
    fn below(&mut self, n: u64) -> u64;
}

/// The shape of every session of a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionShape {
    operations: u32,
    keys_per_session: u32,
    key_count: u64,
}

impl SessionShape {
    /// Sessions as the workload declares them, over `key_count` keys; the keys per
    /// session are capped by the operations, [`SESSION_KEYS_MAX`] and the key count.
    pub fn new(spec: &Sessions, key_count: u64) -> Self {
        let key_count = key_count.max(1);
        let operations = spec.operations.max(1);
        let keys_per_session = spec
            .keys
            .max(1)
            .min(operations)
            .min(SESSION_KEYS_MAX)
            .min(u32::try_from(key_count).unwrap_or(u32::MAX));
        Self {
            operations,
            keys_per_session,
            key_count,
        }
    }

    /// Operations per session.
    pub fn operations(&self) -> u32 {
        self.operations
    }
}

/// One user's current session: how many operations it started and its keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionKeys {
    done: u32,
    keys: Vec<u64>,
}

impl SessionKeys {
    /// A session that has ended, so that the next operation starts a new one.
    pub fn ended(shape: &SessionShape) -> Self {
        Self {
            done: shape.operations,
            keys: Vec::new(),
        }
    }

    /// Ends the session (a new user takes over the slot).
    pub fn end(&mut self, shape: &SessionShape) {
        self.done = shape.operations;
    }

    /// The key of the next operation, and whether that operation starts a new
    /// session (new keys; the engines also open a new connection).
    pub fn next_key(&mut self, shape: &SessionShape, source: &mut impl KeySource) -> (u64, bool) {
        let new_session = self.done >= shape.operations;
        if new_session {
            self.done = 0;
            self.keys.clear();
        }
        self.done += 1;
        if (self.keys.len() as u32) < shape.keys_per_session {
            let mut key = source.draw();
            let mut draws = 1;
            while self.keys.contains(&key) && draws < DISTINCT_DRAWS_MAX {
                key = source.draw();
                draws += 1;
            }
            if self.keys.contains(&key) {
                key = source.below(shape.key_count);
                while self.keys.contains(&key) {
                    key = (key + 1) % shape.key_count;
                }
            }
            self.keys.push(key);
            return (key, new_session);
        }
        let i = source.below(self.keys.len() as u64) as usize;
        (self.keys[i], new_session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Always the same key from the distribution; uniform picks from a counter.
    struct OneHotKey {
        picks: u64,
    }

    impl KeySource for OneHotKey {
        fn draw(&mut self) -> u64 {
            0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.picks += 1;
            self.picks % n
        }
    }

    #[test]
    fn distinct_keys_are_found_even_when_the_distribution_has_fewer() {
        let shape = SessionShape::new(
            &Sessions {
                operations: 4,
                keys: 4,
            },
            4,
        );
        let mut session = SessionKeys::ended(&shape);
        let mut source = OneHotKey { picks: 0 };
        let mut keys: Vec<u64> = (0..4)
            .map(|_| session.next_key(&shape, &mut source).0)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, [0, 1, 2, 3]);
    }

    #[test]
    fn keys_per_session_are_capped_by_operations_and_key_count() {
        let shape = SessionShape::new(
            &Sessions {
                operations: 2,
                keys: 50,
            },
            1000,
        );
        assert_eq!(shape.keys_per_session, 2);
        let shape = SessionShape::new(
            &Sessions {
                operations: 90,
                keys: 50,
            },
            3,
        );
        assert_eq!(shape.keys_per_session, 3);
        let shape = SessionShape::new(
            &Sessions {
                operations: 0,
                keys: 0,
            },
            0,
        );
        assert_eq!((shape.operations, shape.keys_per_session), (1, 1));
    }

    #[test]
    fn ending_a_session_makes_the_next_operation_start_one() {
        let shape = SessionShape::new(
            &Sessions {
                operations: 10,
                keys: 1,
            },
            10,
        );
        let mut session = SessionKeys::ended(&shape);
        let mut source = OneHotKey { picks: 0 };
        assert!(session.next_key(&shape, &mut source).1);
        assert!(!session.next_key(&shape, &mut source).1);
        session.end(&shape);
        assert!(session.next_key(&shape, &mut source).1);
    }
}
