//! The event queue: a binary heap ordered by time, then by insertion order, so that
//! events at the same instant run in the order they were scheduled (determinism).
//!
//! Timeouts are most events by count and almost never fire, and each kind has a fixed
//! length, so they go into FIFO lanes (one per length) instead of the heap: pushing
//! is O(1), and [`EventQueue::compact`] drops the ones already void so that memory
//! follows the calls in flight, not the calls made.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use crate::event::Ev;

#[derive(Debug, Clone, Copy)]
struct Entry {
    t_us: u64,
    seq: u64,
    ev: Ev,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.t_us == other.t_us && self.seq == other.seq
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the earliest first.
        (other.t_us, other.seq).cmp(&(self.t_us, self.seq))
    }
}

/// Most timer lanes kept; more distinct lengths go to the heap.
const MAX_LANES: usize = 16;

/// Pending events.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Entry>,
    lanes: Vec<(u64, VecDeque<Entry>)>,
    seq: u64,
}

impl EventQueue {
    /// Schedules `ev` at `t_us`.
    #[inline]
    pub fn push(&mut self, t_us: u64, ev: Ev) {
        self.seq += 1;
        self.heap.push(Entry {
            t_us,
            seq: self.seq,
            ev,
        });
    }

    /// Schedules a timer `ev` of length `len_us` from `now_us`. Timers of one length
    /// fire in the order they were set, so they need no heap.
    #[inline]
    pub fn push_timer(&mut self, now_us: u64, len_us: u64, ev: Ev) {
        self.seq += 1;
        let entry = Entry {
            t_us: now_us + len_us,
            seq: self.seq,
            ev,
        };
        if let Some((_, lane)) = self.lanes.iter_mut().find(|(l, _)| *l == len_us) {
            lane.push_back(entry);
        } else if self.lanes.len() < MAX_LANES {
            self.lanes.push((len_us, VecDeque::from([entry])));
        } else {
            self.heap.push(entry);
        }
    }

    /// The earliest event, if any.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, Ev)> {
        let mut best: Option<(u64, u64, usize)> =
            self.heap.peek().map(|e| (e.t_us, e.seq, usize::MAX));
        for (i, (_, lane)) in self.lanes.iter().enumerate() {
            if let Some(e) = lane.front() {
                if best.is_none_or(|(t, s, _)| (e.t_us, e.seq) < (t, s)) {
                    best = Some((e.t_us, e.seq, i));
                }
            }
        }
        let (_, _, from) = best?;
        let entry = if from == usize::MAX {
            self.heap.pop()
        } else {
            self.lanes[from].1.pop_front()
        };
        entry.map(|e| (e.t_us, e.ev))
    }

    /// Timers waiting in the lanes.
    pub fn timers(&self) -> usize {
        self.lanes.iter().map(|(_, l)| l.len()).sum()
    }

    /// Drops the timers `live` says are void.
    pub fn compact(&mut self, mut live: impl FnMut(&Ev) -> bool) {
        for (_, lane) in &mut self.lanes {
            lane.retain(|e| live(&e.ev));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_instant_keeps_scheduling_order_across_heap_and_lanes() {
        let mut q = EventQueue::default();
        q.push(10, Ev::UserWake(1));
        q.push_timer(0, 10, Ev::UserWake(2));
        q.push(5, Ev::UserWake(0));
        q.push_timer(2, 10, Ev::UserWake(3));
        let order: Vec<u32> = std::iter::from_fn(|| q.pop())
            .map(|(_, e)| match e {
                Ev::UserWake(u) => u,
                _ => 99,
            })
            .collect();
        assert_eq!(order, [0, 1, 2, 3]);
    }
}
