//! The event queue: a 4-ary heap ordered by time, then by insertion order, so that
//! events at the same instant run in the order they were scheduled (determinism).
//!
//! Timeouts are most events by count and almost never fire, and each kind has a fixed
//! length, so they go into FIFO lanes (one per length) instead of the heap: pushing
//! is O(1), and [`EventQueue::compact`] drops the ones already void so that memory
//! follows the calls in flight, not the calls made.
//!
//! A call's timeout longer than the sweep period goes further: it waits in a plain
//! list until the next sweep ([`EventQueue::sweep`], the simulation's tick), which
//! drops the ones whose call ended meanwhile (most of them) and places the others in
//! their lanes, still well before they are due. The order is the same as if each had
//! gone into its lane at once: its place in the order was fixed when it was scheduled.
//!
//! The open model's next arrival, of which one is pending at a time, waits in a slot
//! of its own (the chain) rather than in the heap.
//!
//! Two shortcuts keep a pop cheap without changing the order: the smallest key at the
//! front of any lane or in the chain is kept up to date (a pop compares it with the
//! heap's top instead of scanning every lane; the lanes' own minimum is kept beside it,
//! so that the chain's pops, one per arrival, scan nothing), and the heap's top is
//! removed lazily:
//! most handlers schedule an event right after theirs was popped, and that push takes
//! the root's place with one sift down instead of a sift down for the pop and a sift
//! up for the push.
//!
//! Which child is least at each step of a sift down is a coin toss, so the heap keeps
//! pads (keys above every event's) after its last entry: every step compares a full
//! set of children, and picks the least by arithmetic on the comparisons instead of
//! by branches the processor would mispredict.

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

/// `outside_min_at` when the smallest key outside the heap is the chain's event.
const CHAIN: usize = usize::MAX;

/// Children per heap node: a 4-ary heap is half as deep as a binary one, and the four
/// children of a node sit next to each other in memory.
const ARITY: usize = 4;

/// Pads kept after the heap's last entry: with them every entry that has a child has
/// a full set of `ARITY` (the missing ones pads), so a sift down compares four keys
/// without asking how many there are.
const PADS: usize = ARITY - 1;

/// A pad: its key is above every event's (whose sequence would be `u64::MAX`).
const PAD: Entry = Entry {
    key: u128::MAX,
    ev: Ev::End,
};

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

/// A timeout waiting for the next sweep, with the length of the lane it goes to.
#[derive(Debug, Clone, Copy)]
struct Unswept {
    entry: Entry,
    len_us: u64,
}

/// Pending events.
#[derive(Debug)]
pub struct EventQueue {
    /// A 4-ary min-heap on `Entry::key`, followed by `PADS` pads (so `heap[0]` is a
    /// pad when the heap is empty).
    heap: Vec<Entry>,
    lanes: Vec<Lane>,
    /// The lane `push_timer` used last.
    last_lane: usize,
    /// The key of the chain's pending event ([`EventQueue::push_chain`]), `u128::MAX`
    /// when there is none (no event has that key: its sequence would be `u64::MAX`).
    chain_key: u128,
    /// The chain's pending event, when `chain_key` says there is one.
    chain_ev: Ev,
    /// The smallest key outside the heap, at the front of a lane or in `chain`
    /// (`u128::MAX` when there is none), and where (a lane, or `CHAIN`).
    outside_min: u128,
    outside_min_at: usize,
    /// The smallest key at the front of a lane (`u128::MAX` when there is none), and
    /// which lane: a lane's front changes only when it pops or when it was empty.
    lanes_min: u128,
    lanes_min_at: usize,
    /// Whether `heap[0]` was already popped (it leaves at the next push or pop).
    top_popped: bool,
    seq: u64,
    /// Timeouts longer than `sweep_us`, in scheduling order, not yet swept.
    unswept: Vec<Unswept>,
    /// The longest gap between two sweeps the owner promises (`u64::MAX` without
    /// sweeps: no timeout is longer, so every one goes to its lane at once).
    sweep_us: u64,
    /// The smallest key among `unswept` (debug builds check that none is due before
    /// its sweep).
    #[cfg(debug_assertions)]
    unswept_min: u128,
}

impl Default for EventQueue {
    fn default() -> Self {
        Self {
            heap: vec![PAD; PADS],
            lanes: Vec::new(),
            last_lane: 0,
            chain_key: u128::MAX,
            chain_ev: Ev::End,
            outside_min: u128::MAX,
            outside_min_at: 0,
            lanes_min: u128::MAX,
            lanes_min_at: 0,
            top_popped: false,
            seq: 0,
            unswept: Vec::new(),
            sweep_us: u64::MAX,
            #[cfg(debug_assertions)]
            unswept_min: u128::MAX,
        }
    }
}

impl EventQueue {
    /// A queue whose owner calls [`Self::sweep`] at least every `sweep_us` of
    /// simulated time (at whole multiples of it), so that timeouts longer than that
    /// can wait for a sweep.
    pub fn with_sweep_us(sweep_us: u64) -> Self {
        Self {
            sweep_us,
            ..Self::default()
        }
    }

    /// Schedules `ev` at `t_us`.
    #[inline]
    pub fn push(&mut self, t_us: u64, ev: Ev) {
        self.seq += 1;
        self.heap_push(Entry::new(t_us, self.seq, ev));
    }

    /// Schedules a timer `ev` of length `len_us` from `now_us` (a call's timeout goes
    /// through [`Self::push_timeout`]). Timers of one length fire in the order they
    /// were set, so they need no heap.
    #[inline(always)]
    pub fn push_timer(&mut self, now_us: u64, len_us: u64, ev: Ev) {
        debug_assert!(!matches!(
            ev,
            Ev::AttemptTimeout { .. } | Ev::AcquireTimeout { .. }
        ));
        self.seq += 1;
        let entry = Entry::new(now_us + len_us, self.seq, ev);
        self.push_lane(entry, len_us, false);
    }

    /// Schedules a call's timeout `ev` (an [`Ev::AttemptTimeout`] or
    /// [`Ev::AcquireTimeout`]) of length `len_us` from `now_us`. One longer than the
    /// sweep period waits for the next sweep, before which it cannot be due.
    #[inline(always)]
    pub fn push_timeout(&mut self, now_us: u64, len_us: u64, ev: Ev) {
        debug_assert!(matches!(
            ev,
            Ev::AttemptTimeout { .. } | Ev::AcquireTimeout { .. }
        ));
        self.seq += 1;
        let entry = Entry::new(now_us + len_us, self.seq, ev);
        if len_us > self.sweep_us {
            #[cfg(debug_assertions)]
            {
                self.unswept_min = self.unswept_min.min(entry.key);
            }
            self.unswept.push(Unswept { entry, len_us });
        } else {
            self.push_lane(entry, len_us, true);
        }
    }

    /// Places the unswept timeouts that `live` keeps in their lanes, in scheduling
    /// order (so each lane stays in firing order), and drops the others.
    pub fn sweep(&mut self, mut live: impl FnMut(&Ev) -> bool) {
        let mut unswept = std::mem::take(&mut self.unswept);
        // Read in place (most are dropped): no entry is copied out to be tested.
        for u in &unswept {
            if live(&u.entry.ev) {
                self.push_lane(u.entry, u.len_us, true);
            }
        }
        // The emptied list keeps its room for the next period's timeouts.
        unswept.clear();
        self.unswept = unswept;
        #[cfg(debug_assertions)]
        {
            self.unswept_min = u128::MAX;
        }
    }

    /// Schedules `ev` at `t_us`, an event of a chain where each one schedules the next
    /// and no two are pending at once (the open model's arrivals): it waits in a slot
    /// of its own, without the heap.
    #[inline(always)]
    pub fn push_chain(&mut self, t_us: u64, ev: Ev) {
        debug_assert!(
            self.chain_key == u128::MAX,
            "one chain event pending at a time"
        );
        self.seq += 1;
        let entry = Entry::new(t_us, self.seq, ev);
        self.chain_key = entry.key;
        self.chain_ev = ev;
        if entry.key < self.outside_min {
            self.outside_min = entry.key;
            self.outside_min_at = CHAIN;
        }
    }

    /// Appends `entry` to the lane of `len_us` and `timeouts` (a new lane if there is
    /// none and room for one, else the heap).
    #[inline(always)]
    fn push_lane(&mut self, entry: Entry, len_us: u64, timeouts: bool) {
        let fits = |l: &Lane| l.len_us == len_us && l.timeouts == timeouts;
        // Most timers in a row are of one kind: try the last lane used first.
        let lane = if self.lanes.get(self.last_lane).is_some_and(fits) {
            self.last_lane
        } else if let Some(i) = self.lanes.iter().position(fits) {
            self.last_lane = i;
            i
        } else if self.lanes.iter().filter(|l| l.timeouts == timeouts).count() < MAX_LANES {
            self.lanes.push(Lane {
                len_us,
                timeouts,
                entries: VecDeque::new(),
            });
            self.lanes.len() - 1
        } else {
            self.heap_push(entry);
            return;
        };
        let entries = &mut self.lanes[lane].entries;
        entries.push_back(entry);
        // Behind another entry, the new one is not the lane's front.
        if entries.len() == 1 && entry.key < self.lanes_min {
            self.lanes_min = entry.key;
            self.lanes_min_at = lane;
            if entry.key < self.outside_min {
                self.outside_min = entry.key;
                self.outside_min_at = lane;
            }
        }
    }

    /// The earliest event, if any.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, Ev)> {
        let next = self.pop_placed();
        #[cfg(debug_assertions)]
        if let Some((t_us, _)) = next {
            // The sweep promise: no unswept timeout is due yet.
            assert!(
                t_us < (self.unswept_min >> 64) as u64,
                "a timeout due at {} µs was not swept before {t_us} µs",
                self.unswept_min >> 64
            );
        }
        next
    }

    /// [`Self::pop`] among the events in the heap, the lanes and the chain.
    #[inline(always)]
    fn pop_placed(&mut self) -> Option<(u64, Ev)> {
        if self.top_popped {
            self.remove_top();
        }
        // A pad's key when the heap is empty.
        let heap_key = self.heap[0].key;
        // Keys are unique (the sequence is), so only two empty sides compare equal.
        if self.outside_min < heap_key {
            if self.outside_min_at == CHAIN {
                let t_us = (self.chain_key >> 64) as u64;
                self.chain_key = u128::MAX;
                // The lanes did not change: their minimum is the new one.
                (self.outside_min, self.outside_min_at) = (self.lanes_min, self.lanes_min_at);
                return Some((t_us, self.chain_ev));
            }
            let entry = self.lanes[self.outside_min_at].entries.pop_front();
            self.refresh_lanes_min();
            self.refresh_outside_min();
            return entry.map(|e| (e.t_us(), e.ev));
        }
        let top = self.heap[0];
        if top.key == PAD.key {
            return None;
        }
        self.top_popped = true;
        Some((top.t_us(), top.ev))
    }

    /// Finds the smallest lane front again (after a lane popped or was thinned).
    fn refresh_lanes_min(&mut self) {
        (self.lanes_min, self.lanes_min_at) = (u128::MAX, 0);
        for (i, lane) in self.lanes.iter().enumerate() {
            if let Some(e) = lane.entries.front() {
                if e.key < self.lanes_min {
                    self.lanes_min = e.key;
                    self.lanes_min_at = i;
                }
            }
        }
    }

    /// The smallest key outside the heap again, from the chain's and the lanes' own.
    #[inline(always)]
    fn refresh_outside_min(&mut self) {
        (self.outside_min, self.outside_min_at) = if self.chain_key < self.lanes_min {
            (self.chain_key, CHAIN)
        } else {
            (self.lanes_min, self.lanes_min_at)
        };
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
        self.refresh_lanes_min();
        self.refresh_outside_min();
    }

    #[inline(always)]
    fn heap_push(&mut self, entry: Entry) {
        if self.top_popped {
            // The popped top's place is free: the new entry sifts down from the root.
            self.top_popped = false;
            self.sift_down(entry);
            return;
        }
        // Sift up with a hole from the first pad's place (a pad more goes to the
        // end): parents move down until the entry's place is found.
        let mut i = self.heap.len() - PADS;
        self.heap.push(PAD);
        let heap = &mut self.heap[..];
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if heap[parent].key <= entry.key {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = entry;
    }

    /// Drops the popped top: the last entry sifts down from the root.
    #[inline]
    fn remove_top(&mut self) {
        self.top_popped = false;
        // The popped top is an entry, so the place before the pads holds one.
        let last_at = self.heap.len() - PADS - 1;
        let last = std::mem::replace(&mut self.heap[last_at], PAD);
        self.heap.pop();
        if last_at > 0 {
            self.sift_down(last);
        }
    }

    /// Puts `entry` in place of the root (non-empty heap) and sifts it down with a hole.
    #[inline(always)]
    fn sift_down(&mut self, entry: Entry) {
        let heap = &mut self.heap[..];
        let mut i = 0;
        loop {
            let first = i * ARITY + 1;
            // With `PADS` pads after the last entry, a full set of children fits in the
            // vector exactly when its first child is an entry: one test for both.
            let Some(kids) = heap.get(first..first + ARITY) else {
                break;
            };
            let (child, child_key) = smallest(kids);
            if entry.key <= child_key {
                break;
            }
            heap[i] = kids[child];
            i = first + child;
        }
        heap[i] = entry;
    }
}

/// The place and key of the smallest key among `ARITY` heap children (pads included).
/// Keys are unique, so any way of finding it finds the same child: here a fixed
/// tournament of three comparisons.
#[inline(always)]
fn smallest(kids: &[Entry]) -> (usize, u128) {
    let [a, b, c, d] = kids else {
        unreachable!("a sift down passes full sets of children")
    };
    // Which child is least is a coin toss for the branch predictor: the winners'
    // places are computed from the comparisons rather than branched on.
    let first = usize::from(b.key < a.key);
    let second = 2 + usize::from(d.key < c.key);
    let least = first + usize::from(kids[second].key < kids[first].key) * (second - first);
    (least, kids[least].key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smallest_finds_the_least_key_of_one_to_four_children_and_pads() {
        let keys = [40u128, 10, 30, 20];
        // Orders of every length with the least key in each place, padded to a full
        // set as the heap is: it and its place.
        for len in 1..=ARITY {
            let mut perm: Vec<u128> = keys[..len].to_vec();
            for _ in 0..24 {
                let kids: Vec<Entry> = perm
                    .iter()
                    .map(|&key| Entry { key, ev: Ev::Tick })
                    .chain(std::iter::repeat(PAD))
                    .take(ARITY)
                    .collect();
                let least = *perm.iter().min().expect("non-empty");
                let at = perm.iter().position(|&k| k == least).expect("present");
                assert_eq!(smallest(&kids), (at, least), "{perm:?}");
                perm.rotate_left(1);
                if len > 2 {
                    perm.swap(0, 1);
                }
            }
        }
    }

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

    #[test]
    fn heap_and_lanes_pop_in_key_order_when_interleaved() {
        // Pushes after each pop (the lazy top removal), timers of three lengths (the
        // cached lane minimum) and a chain, checked against a sort of (time, sequence).
        let mut q = EventQueue::default();
        let mut want: Vec<(u64, u64, u32)> = Vec::new();
        let (mut x, mut seq, mut now) = (99u64, 0u64, 0u64);
        let mut chain = None;
        let mut next = || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            x >> 33
        };
        for id in 0..5_000u32 {
            seq += 1;
            match next() % 4 {
                // At most one chain event pending, as `push_chain` asks.
                1 if chain.is_none() => {
                    let t = now + next() % 30;
                    q.push_chain(t, Ev::UserWake(id));
                    want.push((t, seq, id));
                    chain = Some(id);
                }
                0 => {
                    let len = [5, 20, 60][(next() % 3) as usize];
                    q.push_timer(now, len, Ev::UserWake(id));
                    want.push((now + len, seq, id));
                }
                _ => {
                    let t = now + next() % 30;
                    q.push(t, Ev::UserWake(id));
                    want.push((t, seq, id));
                }
            }
            if next() % 3 != 0 {
                want.sort_unstable();
                let (t, _, id) = want.remove(0);
                assert!(matches!(q.pop(), Some((tq, Ev::UserWake(u))) if tq == t && u == id));
                now = t;
                if chain == Some(id) {
                    chain = None;
                }
            }
        }
        want.sort_unstable();
        for (t, _, id) in want {
            assert!(matches!(q.pop(), Some((tq, Ev::UserWake(u))) if tq == t && u == id));
        }
        assert!(q.pop().is_none());
    }

    #[test]
    fn swept_timeouts_keep_their_place_and_dead_ones_are_dropped() {
        // Timeouts of two lengths above the sweep period, one below it (placed at once),
        // and heap events between them; the sweep drops the odd calls' timeouts.
        let mut q = EventQueue::with_sweep_us(100);
        let timeout = |call| Ev::AttemptTimeout {
            call,
            gen: 1,
            attempt: 1,
        };
        q.push_timeout(0, 300, timeout(0));
        q.push(300, Ev::UserWake(10));
        q.push_timeout(0, 300, timeout(1));
        q.push_timeout(0, 50, timeout(2));
        q.push_timeout(0, 250, timeout(3));
        q.push_timeout(50, 250, timeout(4));
        q.push(300, Ev::UserWake(11));
        q.push_timeout(0, 300, timeout(6));
        assert_eq!(
            q.timers(),
            1,
            "only the short one is in a lane before the sweep"
        );
        q.sweep(|ev| matches!(ev, Ev::AttemptTimeout { call, .. } if call % 2 == 0));
        assert_eq!(q.timers(), 4);
        let order: Vec<(u64, u32)> = std::iter::from_fn(|| q.pop())
            .map(|(t, ev)| match ev {
                Ev::AttemptTimeout { call, .. } => (t, call),
                Ev::UserWake(u) => (t, u),
                other => panic!("not a test event: {other:?}"),
            })
            .collect();
        assert_eq!(
            order,
            [(50, 2), (300, 0), (300, 10), (300, 4), (300, 11), (300, 6)]
        );
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "was not swept")]
    fn a_timeout_due_before_its_sweep_is_caught() {
        let mut q = EventQueue::with_sweep_us(100);
        q.push_timeout(
            0,
            150,
            Ev::AttemptTimeout {
                call: 0,
                gen: 1,
                attempt: 1,
            },
        );
        q.push(200, Ev::UserWake(0));
        // No sweep at 100: the heap event at 200 comes after the timeout's 150.
        let _ = q.pop();
    }

    /// The next event's time and user (every test event here is a `UserWake`).
    fn pop_user(q: &mut EventQueue) -> Option<(u64, u32)> {
        q.pop().map(|(t, ev)| match ev {
            Ev::UserWake(u) => (t, u),
            other => panic!("not a test event: {other:?}"),
        })
    }

    #[test]
    fn a_chain_event_pops_in_scheduling_order_among_events_of_its_instant() {
        // The chain's event between heap entries and a lane timer of the same instant,
        // then again after its successor is scheduled in the chain.
        let mut q = EventQueue::default();
        q.push(10, Ev::UserWake(0));
        q.push_chain(10, Ev::UserWake(1));
        q.push(10, Ev::UserWake(2));
        q.push_timer(0, 10, Ev::UserWake(3));
        assert_eq!(pop_user(&mut q), Some((10, 0)));
        assert_eq!(pop_user(&mut q), Some((10, 1)));
        q.push_chain(10, Ev::UserWake(4));
        q.push(10, Ev::UserWake(5));
        let rest: Vec<_> = std::iter::from_fn(|| pop_user(&mut q)).collect();
        assert_eq!(rest, [(10, 2), (10, 3), (10, 4), (10, 5)]);
    }
}
