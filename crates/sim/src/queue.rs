//! The event queue: a 4-ary heap ordered by time, then by insertion order, so that
//! events at the same instant run in the order they were scheduled (determinism).
//!
//! Timeouts are most events by count and almost never fire, and each kind has a fixed
//! length, so they go into FIFO lanes (one per length) instead of the heap: pushing
//! is O(1), and [`EventQueue::compact`] drops the ones already void so that memory
//! follows the calls in flight, not the calls made.

use std::collections::VecDeque;

use crate::event::Ev;

/// An event with its place in the order: time, then scheduling sequence, packed into
/// one integer so that ordering two entries is a single comparison.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: u128,
    ev: Ev,
}

impl Entry {
    #[inline]
    fn new(t_us: u64, seq: u64, ev: Ev) -> Self {
        Self {
            key: (u128::from(t_us) << 64) | u128::from(seq),
            ev,
        }
    }

    #[inline]
    fn t_us(&self) -> u64 {
        (self.key >> 64) as u64
    }
}

/// Most timer lanes kept per class (timeouts, other fixed-length events); more
/// distinct lengths go to the heap.
const MAX_LANES: usize = 16;

/// Children per heap node: a 4-ary heap is half as deep as a binary one, and the four
/// children of a node sit next to each other in memory.
const ARITY: usize = 4;

/// A timer lane: every entry has the same length, so the lane is in firing order.
#[derive(Debug)]
struct Lane {
    len_us: u64,
    /// Whether the lane holds call timeouts (which [`EventQueue::compact`] thins and
    /// [`EventQueue::timers`] counts) or other fixed-length events (ticks, fixed
    /// think times).
    timeouts: bool,
    entries: VecDeque<Entry>,
}

/// Pending events.
#[derive(Debug, Default)]
pub struct EventQueue {
    /// A 4-ary min-heap on `Entry::key`.
    heap: Vec<Entry>,
    lanes: Vec<Lane>,
    /// The lane `push_timer` used last.
    last_lane: usize,
    seq: u64,
}

impl EventQueue {
    /// Schedules `ev` at `t_us`.
    #[inline]
    pub fn push(&mut self, t_us: u64, ev: Ev) {
        self.seq += 1;
        self.heap_push(Entry::new(t_us, self.seq, ev));
    }

    /// Schedules a timer `ev` of length `len_us` from `now_us`. Timers of one length
    /// fire in the order they were set, so they need no heap.
    #[inline(always)]
    pub fn push_timer(&mut self, now_us: u64, len_us: u64, ev: Ev) {
        self.seq += 1;
        let entry = Entry::new(now_us + len_us, self.seq, ev);
        let timeouts = matches!(ev, Ev::AttemptTimeout { .. } | Ev::AcquireTimeout { .. });
        let fits = |l: &Lane| l.len_us == len_us && l.timeouts == timeouts;
        // Most timers in a row are of one kind: try the last lane used first.
        if let Some(lane) = self.lanes.get_mut(self.last_lane).filter(|l| fits(l)) {
            lane.entries.push_back(entry);
        } else if let Some(i) = self.lanes.iter().position(fits) {
            self.last_lane = i;
            self.lanes[i].entries.push_back(entry);
        } else if self.lanes.iter().filter(|l| l.timeouts == timeouts).count() < MAX_LANES {
            self.lanes.push(Lane {
                len_us,
                timeouts,
                entries: VecDeque::from([entry]),
            });
        } else {
            self.heap_push(entry);
        }
    }

    /// The earliest event, if any.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, Ev)> {
        let mut best_key = self.heap.first().map_or(u128::MAX, |e| e.key);
        let mut from = usize::MAX;
        for (i, lane) in self.lanes.iter().enumerate() {
            if let Some(e) = lane.entries.front() {
                if e.key < best_key {
                    best_key = e.key;
                    from = i;
                }
            }
        }
        let entry = if from == usize::MAX {
            self.heap_pop()
        } else {
            self.lanes[from].entries.pop_front()
        };
        entry.map(|e| (e.t_us(), e.ev))
    }

    /// Timeouts waiting in the lanes.
    pub fn timers(&self) -> usize {
        self.lanes
            .iter()
            .filter(|l| l.timeouts)
            .map(|l| l.entries.len())
            .sum()
    }

    /// Drops the timeouts `live` says are void.
    pub fn compact(&mut self, mut live: impl FnMut(&Ev) -> bool) {
        for lane in self.lanes.iter_mut().filter(|l| l.timeouts) {
            lane.entries.retain(|e| live(&e.ev));
        }
    }

    #[inline]
    fn heap_push(&mut self, entry: Entry) {
        // Sift up with a hole: parents move down until the entry's place is found.
        let mut i = self.heap.len();
        self.heap.push(entry);
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.heap[parent].key <= entry.key {
                break;
            }
            self.heap[i] = self.heap[parent];
            i = parent;
        }
        self.heap[i] = entry;
    }

    #[inline]
    fn heap_pop(&mut self) -> Option<Entry> {
        let last = self.heap.pop()?;
        let len = self.heap.len();
        if len == 0 {
            return Some(last);
        }
        let top = self.heap[0];
        // Sift the last entry down from the root with a hole.
        let mut i = 0;
        loop {
            let first = i * ARITY + 1;
            if first >= len {
                break;
            }
            let end = (first + ARITY).min(len);
            let mut child = first;
            let mut child_key = self.heap[first].key;
            for c in first + 1..end {
                let k = self.heap[c].key;
                if k < child_key {
                    child = c;
                    child_key = k;
                }
            }
            if last.key <= child_key {
                break;
            }
            self.heap[i] = self.heap[child];
            i = child;
        }
        self.heap[i] = last;
        Some(top)
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

    #[test]
    fn heap_pops_by_time_then_scheduling_order() {
        // A pseudo-random mix of times with many ties, checked against a sort.
        let mut q = EventQueue::default();
        let mut want = Vec::new();
        let mut x = 12_345u64;
        let mut next = || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            x >> 33
        };
        for round in 0..50u32 {
            for k in 0..(next() % 40) as u32 {
                let t = 1_000 * u64::from(round) + next() % 50;
                let id = round * 1_000 + k;
                q.push(t, Ev::UserWake(id));
                want.push((t, want.len(), id));
            }
            // Pop a few between rounds, as the simulation does.
            for _ in 0..next() % 10 {
                want.sort();
                if want.is_empty() {
                    break;
                }
                let (t, _, id) = want.remove(0);
                assert!(matches!(q.pop(), Some((tq, Ev::UserWake(u))) if tq == t && u == id));
            }
        }
        want.sort();
        for (t, _, id) in want {
            assert!(matches!(q.pop(), Some((tq, Ev::UserWake(u))) if tq == t && u == id));
        }
        assert!(q.pop().is_none());
    }
}
