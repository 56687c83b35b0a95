//! [`Slots`]: the client's cap on requests in flight.
//!
//! Taking and giving back a slot is one atomic operation each while nobody waits; only when
//! the cap is reached do callers queue. (tokio's `Semaphore` alone takes a mutex on every
//! release to look at its wait list; on the load generator's client thread that was about 5 %
//! of the pairs per second with the ends on two threads.)
//!
//! - **In turn.** While anyone waits, a slot given back is handed to the oldest waiter through
//!   a `Semaphore` of hand-overs (FIFO, and safe when a waiter's future is dropped), and new
//!   callers queue behind them: a caller that sends in a tight loop cannot starve the others.
//! - **No lost wake-up.** A waiter announces itself (`waiting`) and then looks at `used` again;
//!   a releaser looks at `waiting` after it lowers `used`, or hands its slot over (a permit
//!   kept until someone takes it). Both in sequentially consistent order, so a slot given
//!   back either is seen by the waiter's second look or becomes a hand-over.
//! - **Nothing after close.** [`Slots::close`] fails the waiters and takes back hand-overs
//!   nobody took; a slot taken or handed over while it runs is given back at once and its
//!   caller fails, so none is in use after [`Slots::idle`] has returned.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use tokio::sync::{Notify, Semaphore};

/// Why no slot was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoSlot {
    /// Closed: no more slots are given.
    Closed,
    /// All taken, or others wait (only [`Slots::try_take`] says this; [`Slots::take`] waits).
    Full,
}

/// A cap of `max` slots.
#[derive(Debug)]
pub(crate) struct Slots {
    max: usize,
    /// Slots taken, hand-overs not yet taken included.
    used: AtomicUsize,
    /// Callers inside [`Slots::take`]'s slow path.
    waiting: AtomicUsize,
    closed: AtomicBool,
    /// Slots handed over to waiters: each permit is a slot still counted in `used`.
    handover: Semaphore,
    /// Wakes [`Slots::idle`] when the last slot is given back after close.
    empty: Notify,
}

/// A slot taken; given back when dropped.
#[derive(Debug)]
pub(crate) struct Slot<'a> {
    slots: &'a Slots,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.slots.give_back();
    }
}

/// A caller counted in `waiting` until it leaves [`Slots::take`], however it leaves (its
/// future may be dropped while it waits).
struct Waiting<'a>(&'a Slots);

impl<'a> Waiting<'a> {
    fn announce(slots: &'a Slots) -> Waiting<'a> {
        slots.waiting.fetch_add(1, SeqCst);
        Waiting(slots)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, SeqCst);
    }
}

impl Slots {
    /// `max` slots (at least one).
    pub(crate) fn new(max: usize) -> Slots {
        Slots {
            max: max.max(1),
            used: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            handover: Semaphore::new(0),
            empty: Notify::new(),
        }
    }

    /// Takes a slot if one is free now and nobody is waiting for one.
    pub(crate) fn try_take(&self) -> Result<Slot<'_>, NoSlot> {
        if self.closed.load(SeqCst) {
            return Err(NoSlot::Closed);
        }
        if self.waiting.load(SeqCst) > 0 {
            return Err(NoSlot::Full);
        }
        match self.claim() {
            // A hand-over whose waiter left before taking it: the next caller's.
            Err(NoSlot::Full) => match self.handover.try_acquire() {
                Ok(permit) => {
                    permit.forget();
                    self.unless_closed()
                }
                Err(_) => Err(NoSlot::Full),
            },
            other => other,
        }
    }

    /// Takes a free slot (one not handed over), whoever waits.
    fn claim(&self) -> Result<Slot<'_>, NoSlot> {
        let mut used = self.used.load(SeqCst);
        loop {
            if used >= self.max {
                return Err(NoSlot::Full);
            }
            match self
                .used
                .compare_exchange_weak(used, used + 1, SeqCst, SeqCst)
            {
                Ok(_) => break,
                Err(now) => used = now,
            }
        }
        self.unless_closed()
    }

    /// A slot just counted in `used` for this caller, or, if closed meanwhile, given back
    /// (not handed over: `idle` may have seen none taken) and refused.
    fn unless_closed(&self) -> Result<Slot<'_>, NoSlot> {
        if self.closed.load(SeqCst) {
            self.release(1);
            return Err(NoSlot::Closed);
        }
        Ok(Slot { slots: self })
    }

    /// Takes a slot, waiting in turn for one to be handed over when all are taken or others
    /// wait; fails once closed.
    pub(crate) async fn take(&self) -> Result<Slot<'_>, NoSlot> {
        self.take_after_full(|| {}).await
    }

    /// [`take`](Self::take), running `between` when it finds no slot for it, before it
    /// announces itself as a waiter (where a slot given back would be missed without the
    /// second look that follows; the tests give one back there).
    async fn take_after_full(&self, between: impl FnOnce()) -> Result<Slot<'_>, NoSlot> {
        match self.try_take() {
            Err(NoSlot::Full) => between(),
            other => return other,
        }
        let _waiting = Waiting::announce(self);
        match self.claim() {
            Err(NoSlot::Full) => {}
            other => return other,
        }
        match self.handover.acquire().await {
            Ok(permit) => {
                // The slot stays counted in `used`; it is this caller's now.
                permit.forget();
                self.unless_closed()
            }
            Err(_) => Err(NoSlot::Closed),
        }
    }

    fn give_back(&self) {
        if self.waiting.load(SeqCst) > 0 && !self.closed.load(SeqCst) {
            self.handover.add_permits(1);
            // Closed meanwhile: `close` may have taken back the hand-overs before this one.
            if self.closed.load(SeqCst) {
                let n = self.handover.forget_permits(1);
                self.release(n);
            }
            return;
        }
        self.release(1);
    }

    /// Lowers `used` by `n`, waking `idle` when that empties it after close.
    fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let before = self.used.fetch_sub(n, SeqCst);
        // Only `idle` listens, and only after `close` (which sets `closed` before it looks).
        if before == n && self.closed.load(SeqCst) {
            self.empty.notify_waiters();
        }
    }

    /// Slots taken now (hand-overs not yet taken included).
    pub(crate) fn used(&self) -> usize {
        self.used.load(SeqCst)
    }

    /// The cap.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Refuses further slots, fails every waiter (with [`NoSlot::Closed`]) and takes back the
    /// hand-overs nobody took.
    pub(crate) fn close(&self) {
        self.closed.store(true, SeqCst);
        self.handover.close();
        let n = self.handover.forget_permits(usize::MAX);
        self.release(n);
    }

    /// Resolves when no slot is taken; call it after [`close`](Self::close) (before, a slot
    /// given back does not wake it).
    pub(crate) async fn idle(&self) {
        debug_assert!(self.closed.load(SeqCst), "idle before close");
        loop {
            let empty = self.empty.notified();
            tokio::pin!(empty);
            empty.as_mut().enable();
            if self.used() == 0 {
                return;
            }
            empty.await;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn try_take_stops_at_the_cap_and_a_given_back_slot_is_free_again() {
        let s = Slots::new(2);
        let a = s.try_take().unwrap();
        let _b = s.try_take().unwrap();
        assert_eq!(s.try_take().unwrap_err(), NoSlot::Full);
        drop(a);
        assert!(s.try_take().is_ok());
        s.close();
        assert_eq!(s.try_take().unwrap_err(), NoSlot::Closed);
    }

    #[tokio::test]
    async fn a_waiter_gets_the_slot_given_back_and_close_fails_the_rest() {
        let s = Arc::new(Slots::new(1));
        let held = s.try_take().unwrap();
        let (s1, s2) = (Arc::clone(&s), Arc::clone(&s));
        let first = tokio::spawn(async move { s1.take().await.map(drop) });
        let second = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            s2.take().await.map(std::mem::forget)
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!first.is_finished());
        drop(held);
        assert_eq!(first.await.unwrap(), Ok(()));
        // The second takes the freed slot and keeps it (forgotten): a third waits until closed.
        assert_eq!(second.await.unwrap(), Ok(()));
        let s3 = Arc::clone(&s);
        let third = tokio::spawn(async move { s3.take().await.map(drop) });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!third.is_finished());
        s.close();
        assert_eq!(third.await.unwrap(), Err(NoSlot::Closed));
    }

    /// The race a lost wake-up would come from: the only slot is given back after a caller
    /// found it taken and before it registered as a waiter. The caller must still get it.
    #[tokio::test]
    async fn a_slot_given_back_while_a_caller_registers_is_not_missed() {
        let s = Slots::new(1);
        let mut held = Some(s.try_take().unwrap());
        let got = tokio::time::timeout(
            Duration::from_secs(5),
            s.take_after_full(|| drop(held.take())),
        )
        .await;
        assert!(matches!(got, Ok(Ok(_))), "the caller was left waiting");
    }

    #[tokio::test]
    async fn idle_resolves_when_the_last_slot_is_given_back() {
        let s = Arc::new(Slots::new(4));
        let a = s.try_take().unwrap();
        let b = s.try_take().unwrap();
        s.close();
        let s1 = Arc::clone(&s);
        let idle = tokio::spawn(async move { s1.idle().await });
        tokio::time::sleep(Duration::from_millis(10)).await;
        drop(a);
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!idle.is_finished());
        drop(b);
        tokio::time::timeout(Duration::from_secs(5), idle)
            .await
            .unwrap()
            .unwrap();
    }

    /// A caller that takes its slot again as soon as it gives it back does not starve one
    /// waiting: the waiter gets the next slot given back.
    #[tokio::test]
    async fn a_tight_loop_does_not_starve_a_waiter() {
        let s = Arc::new(Slots::new(1));
        let rounds = Arc::new(AtomicUsize::new(0));
        let (s1, r1) = (Arc::clone(&s), Arc::clone(&rounds));
        let looping = tokio::spawn(async move {
            for i in 1..=1000 {
                let slot = s1.take().await.unwrap();
                r1.store(i, SeqCst);
                tokio::task::yield_now().await;
                drop(slot);
            }
        });
        while rounds.load(SeqCst) < 3 {
            tokio::task::yield_now().await;
        }
        let waited_from = rounds.load(SeqCst);
        let slot = tokio::time::timeout(Duration::from_secs(5), s.take())
            .await
            .unwrap()
            .unwrap();
        let got_at = rounds.load(SeqCst);
        drop(slot);
        assert!(
            got_at <= waited_from + 2,
            "waited from round {waited_from} to {got_at}"
        );
        looping.await.unwrap();
    }

    /// A caller that stops waiting (its future dropped) is no longer counted as waiting.
    #[tokio::test]
    async fn a_caller_that_gives_up_waiting_is_not_counted() {
        let s = Slots::new(1);
        let held = s.try_take().unwrap();
        let gave_up = tokio::time::timeout(Duration::from_millis(10), s.take()).await;
        assert!(gave_up.is_err());
        assert_eq!(s.waiting.load(SeqCst), 0);
        drop(held);
        assert!(s.try_take().is_ok(), "a new caller takes the free slot");
    }

    /// A slot handed over to a waiter that then gives up is not lost: the next caller, even
    /// one that only tries, gets it.
    #[tokio::test]
    async fn a_hand_over_whose_waiter_left_goes_to_the_next_caller() {
        let s = Slots::new(1);
        let held = s.try_take().unwrap();
        let mut waiter = Box::pin(s.take());
        // Polled once: queued for a hand-over.
        assert!(
            tokio::time::timeout(Duration::from_millis(5), &mut waiter)
                .await
                .is_err()
        );
        drop(held); // handed over to the waiter ...
        drop(waiter); // ... which leaves without taking it
        assert_eq!(s.waiting.load(SeqCst), 0);
        let next = s.try_take();
        assert!(next.is_ok(), "{next:?}");
        drop(next);
        s.close();
        assert_eq!(s.used(), 0);
    }

    /// Many tasks on four threads take and give back slots: never more than the cap at once,
    /// and every task gets through (no lost wake-up leaves one waiting).
    #[test]
    fn the_cap_holds_and_no_waiter_is_forgotten_under_contention() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let s = Arc::new(Slots::new(3));
            let peak = Arc::new(AtomicUsize::new(0));
            let mut tasks = Vec::new();
            for _ in 0..64 {
                let (s, peak) = (Arc::clone(&s), Arc::clone(&peak));
                tasks.push(tokio::spawn(async move {
                    for _ in 0..200 {
                        let slot = s.take().await.unwrap();
                        peak.fetch_max(s.used(), SeqCst);
                        tokio::task::yield_now().await;
                        drop(slot);
                    }
                }));
            }
            for t in tasks {
                tokio::time::timeout(Duration::from_secs(30), t)
                    .await
                    .unwrap()
                    .unwrap();
            }
            assert!(peak.load(SeqCst) <= 3, "peak {}", peak.load(SeqCst));
            // Hand-overs whose waiter took a free slot instead may remain; close takes them
            // back, and then nothing is counted.
            s.close();
            assert_eq!(s.used(), 0);
        });
    }
}
