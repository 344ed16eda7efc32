//! A bounded pool of connections: at most `size` operations hold one at a time, and
//! an operation that cannot get one within its timeout fails as `pool_exhausted`.
//!
//! An operation of a workload session (`workload.sessions`) uses its session's own
//! connection instead of any idle one: the connection stays pinned to the session's
//! slot between operations, and a new session on the slot drops it, so the next
//! operation connects afresh (and finds the target's address again).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use faultline_record::FailureClass;
use tokio::sync::{Semaphore, SemaphorePermit};

/// One session of a user (closed model) or client slot (open model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId {
    /// The user or client slot.
    pub slot: u64,
    /// Which of the slot's sessions, counting from 0.
    pub number: u64,
}

/// The connection a slot's current session keeps between operations.
struct Pinned<C> {
    number: u64,
    conn: Option<C>,
}

/// A bounded pool of idle connections of type `C`, and the sessions' own ones.
pub struct Pool<C> {
    idle: Mutex<Vec<C>>,
    pinned: Mutex<HashMap<u64, Pinned<C>>>,
    permits: Semaphore,
}

impl<C> Pool<C> {
    /// A pool of at most `size` connections in use at once.
    pub fn new(size: u32) -> Self {
        Self {
            idle: Mutex::new(Vec::new()),
            pinned: Mutex::new(HashMap::new()),
            permits: Semaphore::new(size.max(1) as usize),
        }
    }

    /// Waits at most `wait` for a slot; the lease holds an idle connection if one was
    /// there, or for a session's operation, the session's own connection if it has
    /// one (a session that is new on its slot drops the slot's previous connection).
    pub async fn acquire(
        &self,
        session: Option<SessionId>,
        wait: Duration,
    ) -> Result<Lease<'_, C>, FailureClass> {
        // The usual case needs no timer: a slot is free.
        let permit = match self.permits.try_acquire() {
            Ok(permit) => permit,
            Err(_) => tokio::time::timeout(wait, self.permits.acquire())
                .await
                .map_err(|_| FailureClass::PoolExhausted)?
                .map_err(|_| FailureClass::Other)?,
        };
        let conn = match session {
            None => self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop(),
            Some(id) => {
                let mut pinned = self.pinned.lock().unwrap_or_else(|p| p.into_inner());
                match pinned.get_mut(&id.slot) {
                    Some(p) if p.number == id.number => p.conn.take(),
                    // A late operation of a session that has already ended.
                    Some(p) if p.number > id.number => None,
                    _ => {
                        let fresh = Pinned {
                            number: id.number,
                            conn: None,
                        };
                        // The old session's connection closes as it drops here.
                        drop(pinned.insert(id.slot, fresh));
                        None
                    }
                }
            }
        };
        Ok(Lease {
            pool: self,
            conn,
            session,
            _permit: permit,
        })
    }

    /// Runs one operation on a connection of the pool: waits at most `timeout` for a
    /// slot, then gives `attempt` the slot's connection (if it has one) and at most
    /// `timeout` to run. `attempt` answers with the connection if it is still fit for
    /// the next operation, and the operation's result; an `Err` from it, or running
    /// out of time (`timeout`), fails the operation and drops the connection.
    pub async fn run<T>(
        &self,
        session: Option<SessionId>,
        timeout: Duration,
        attempt: impl AsyncFnOnce(Option<C>) -> Attempt<C, T>,
    ) -> Result<T, FailureClass> {
        let mut lease = self.acquire(session, timeout).await?;
        let conn = lease.take();
        let (kept, result) = tokio::time::timeout(timeout, attempt(conn))
            .await
            .map_err(|_| FailureClass::Timeout)??;
        if let Some(conn) = kept {
            lease.put(conn);
        }
        result
    }

    /// Drops every idle connection (after a failover, so that new ones find the new
    /// primary). Sessions keep theirs, as real long-lived connections do.
    pub fn clear(&self) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// What an operation on a pooled connection of type `C` ends with ([`Pool::run`]):
/// the connection if it is still fit for use and the operation's result, or a failure
/// that leaves no connection to keep.
pub type Attempt<C, T> = Result<(Option<C>, Result<T, FailureClass>), FailureClass>;

/// A slot of the pool, with its connection if it has one; the connection goes back to
/// the pool when the lease ends, unless it was taken.
pub struct Lease<'a, C> {
    pool: &'a Pool<C>,
    conn: Option<C>,
    session: Option<SessionId>,
    _permit: SemaphorePermit<'a>,
}

impl<C> Lease<'_, C> {
    /// Takes the connection out (to use it); put it back with [`Lease::put`] if it is
    /// still good.
    pub fn take(&mut self) -> Option<C> {
        self.conn.take()
    }

    /// Gives a good connection back.
    pub fn put(&mut self, conn: C) {
        self.conn = Some(conn);
    }
}

impl<C> Drop for Lease<'_, C> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        match self.session {
            None => self
                .pool
                .idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(conn),
            Some(id) => {
                let mut pinned = self.pool.pinned.lock().unwrap_or_else(|p| p.into_inner());
                // Kept only while its session is the slot's current one and holds no
                // other connection (two operations of one open-model slot may overlap).
                if let Some(p) = pinned.get_mut(&id.slot) {
                    if p.number == id.number && p.conn.is_none() {
                        p.conn = Some(conn);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_pool_fails_as_pool_exhausted_after_the_wait() {
        let pool: Pool<u8> = Pool::new(1);
        let mut lease = pool.acquire(None, Duration::from_millis(10)).await.unwrap();
        lease.put(7);
        let second = pool.acquire(None, Duration::from_millis(20)).await;
        assert_eq!(second.err(), Some(FailureClass::PoolExhausted));
        drop(lease);
        let mut again = pool.acquire(None, Duration::from_millis(10)).await.unwrap();
        assert_eq!(again.take(), Some(7));
    }

    #[tokio::test]
    async fn a_session_keeps_its_own_connection_until_its_slot_starts_a_new_session() {
        let pool: Pool<u8> = Pool::new(4);
        let wait = Duration::from_millis(10);
        let first = SessionId { slot: 3, number: 0 };
        let mut lease = pool.acquire(Some(first), wait).await.unwrap();
        assert_eq!(lease.take(), None, "a new session connects");
        lease.put(30);
        drop(lease);
        // Another slot and the shared pool do not see it.
        let mut other = pool
            .acquire(Some(SessionId { slot: 4, number: 0 }), wait)
            .await
            .unwrap();
        assert_eq!(other.take(), None);
        let mut shared = pool.acquire(None, wait).await.unwrap();
        assert_eq!(shared.take(), None);
        drop((other, shared));
        let mut again = pool.acquire(Some(first), wait).await.unwrap();
        assert_eq!(again.take(), Some(30), "the session reuses its connection");
        again.put(30);
        drop(again);
        pool.clear();
        let next = SessionId { slot: 3, number: 1 };
        let mut fresh = pool.acquire(Some(next), wait).await.unwrap();
        assert_eq!(
            fresh.take(),
            None,
            "the slot's next session connects afresh"
        );
        drop(fresh);
        let mut late = pool.acquire(Some(first), wait).await.unwrap();
        late.put(31);
        drop(late);
        let mut current = pool.acquire(Some(next), wait).await.unwrap();
        assert_eq!(
            current.take(),
            None,
            "an ended session's connection is not kept"
        );
    }

    #[tokio::test]
    async fn run_keeps_the_connection_an_attempt_gives_back_and_drops_it_otherwise() {
        let pool: Pool<u8> = Pool::new(1);
        let wait = Duration::from_millis(50);
        let got = pool
            .run(None, wait, async |conn| {
                Ok((Some(conn.unwrap_or(1)), Ok(conn)))
            })
            .await;
        assert_eq!(got, Ok(None), "the first attempt finds no connection");
        let got = pool
            .run(None, wait, async |conn| Ok((conn, Ok(conn))))
            .await;
        assert_eq!(got, Ok(Some(1)), "the kept connection is reused");
        // A failed operation on a good connection keeps it.
        let got: Result<(), _> = pool
            .run(None, wait, async |conn| {
                Ok((conn, Err(FailureClass::ServerError)))
            })
            .await;
        assert_eq!(got, Err(FailureClass::ServerError));
        // An attempt that fails outright drops it.
        let got: Result<(), _> = pool
            .run(None, wait, async |_| Err(FailureClass::Reset))
            .await;
        assert_eq!(got, Err(FailureClass::Reset));
        let got = pool
            .run(None, wait, async |conn| Ok((Some(2), Ok(conn))))
            .await;
        assert_eq!(got, Ok(None), "the failed attempt's connection is gone");
        // An attempt that runs out of time fails as a timeout and drops it.
        let got: Result<(), _> = pool
            .run(None, wait, async |conn| {
                tokio::time::sleep(wait * 2).await;
                Ok((conn, Ok(())))
            })
            .await;
        assert_eq!(got, Err(FailureClass::Timeout));
        let got = pool
            .run(None, wait, async |conn| Ok((None, Ok(conn))))
            .await;
        assert_eq!(got, Ok(None), "the timed-out attempt's connection is gone");
    }
}
