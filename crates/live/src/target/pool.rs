//! A bounded pool of connections: at most `size` operations hold one at a time, and
//! an operation that cannot get one within its timeout fails as `pool_exhausted`.

use std::sync::Mutex;
use std::time::Duration;

use faultline_record::FailureClass;
use tokio::sync::{Semaphore, SemaphorePermit};

/// A bounded pool of idle connections of type `C`.
pub struct Pool<C> {
    idle: Mutex<Vec<C>>,
    permits: Semaphore,
}

impl<C> Pool<C> {
    /// A pool of at most `size` connections in use at once.
    pub fn new(size: u32) -> Self {
        Self {
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(size.max(1) as usize),
        }
    }

    /// Waits at most `wait` for a slot; the lease holds an idle connection if one was
    /// there.
    pub async fn acquire(&self, wait: Duration) -> Result<Lease<'_, C>, FailureClass> {
        // The usual case needs no timer: a slot is free.
        let permit = match self.permits.try_acquire() {
            Ok(permit) => permit,
            Err(_) => tokio::time::timeout(wait, self.permits.acquire())
                .await
                .map_err(|_| FailureClass::PoolExhausted)?
                .map_err(|_| FailureClass::Other)?,
        };
        let conn = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        Ok(Lease {
            pool: self,
            conn,
            _permit: permit,
        })
    }

    /// Drops every idle connection (after a failover, so that new ones find the new
    /// primary).
    pub fn clear(&self) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// A slot of the pool, with its connection if it has one; the connection goes back to
/// the pool when the lease ends, unless it was taken.
pub struct Lease<'a, C> {
    pool: &'a Pool<C>,
    conn: Option<C>,
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
        if let Some(conn) = self.conn.take() {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_pool_fails_as_pool_exhausted_after_the_wait() {
        let pool: Pool<u8> = Pool::new(1);
        let mut lease = pool.acquire(Duration::from_millis(10)).await.unwrap();
        lease.put(7);
        let second = pool.acquire(Duration::from_millis(20)).await;
        assert_eq!(second.err(), Some(FailureClass::PoolExhausted));
        drop(lease);
        let mut again = pool.acquire(Duration::from_millis(10)).await.unwrap();
        assert_eq!(again.take(), Some(7));
    }
}
