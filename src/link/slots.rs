//! [`Slots`]: the client's cap on requests in flight.
//!
//! Taking and giving back a slot is one atomic operation each while the cap is not reached;
//! only callers that find it reached register and wait. (tokio's `Semaphore` takes a mutex on
//! every release to look at its wait list; on the load generator's client thread that was
//! about 5 % of the pairs per second with the ends on two threads.)
//!
//! No wake-up is lost: a waiter announces itself (`waiting`) and then looks at `used` again,
//! while a releaser lowers `used` and then looks at `waiting`; both in sequentially consistent
//! order, so at least one of them sees the other. A waiter registers with the [`Notify`]
//! before it announces itself, so a `notify_one` sent in between is kept for it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use tokio::sync::Notify;

/// Why no slot was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoSlot {
    /// Closed: no more slots are given.
    Closed,
    /// All taken (only [`Slots::try_take`] says this; [`Slots::take`] waits).
    Full,
}

/// A cap of `max` slots.
#[derive(Debug)]
pub(crate) struct Slots {
    max: usize,
    used: AtomicUsize,
    waiting: AtomicUsize,
    closed: AtomicBool,
    /// Wakes one waiter per slot given back (all of them on close).
    freed: Notify,
    /// Wakes [`Slots::idle`] when the last slot is given back.
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

impl Slots {
    /// `max` slots (at least one).
    pub(crate) fn new(max: usize) -> Slots {
        Slots {
            max: max.max(1),
            used: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            freed: Notify::new(),
            empty: Notify::new(),
        }
    }

    /// Takes a slot if one is free now.
    pub(crate) fn try_take(&self) -> Result<Slot<'_>, NoSlot> {
        if self.closed.load(SeqCst) {
            return Err(NoSlot::Closed);
        }
        let mut used = self.used.load(SeqCst);
        loop {
            if used >= self.max {
                return Err(NoSlot::Full);
            }
            match self
                .used
                .compare_exchange_weak(used, used + 1, SeqCst, SeqCst)
            {
                Ok(_) => return Ok(Slot { slots: self }),
                Err(now) => used = now,
            }
        }
    }

    /// Takes a slot, waiting for one to be given back when all are taken; fails once closed.
    pub(crate) async fn take(&self) -> Result<Slot<'_>, NoSlot> {
        self.take_after_full(|| {}).await
    }

    /// [`take`](Self::take), running `between` each time it finds every slot taken, before
    /// it registers as a waiter (where a slot given back would be missed without the check
    /// that follows; the tests give one back there).
    async fn take_after_full(&self, mut between: impl FnMut()) -> Result<Slot<'_>, NoSlot> {
        loop {
            match self.try_take() {
                Err(NoSlot::Full) => between(),
                other => return other,
            }
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            self.waiting.fetch_add(1, SeqCst);
            let again = self.try_take();
            if !matches!(again, Err(NoSlot::Full)) {
                self.waiting.fetch_sub(1, SeqCst);
                return again;
            }
            freed.await;
            self.waiting.fetch_sub(1, SeqCst);
        }
    }

    fn give_back(&self) {
        let before = self.used.fetch_sub(1, SeqCst);
        if self.waiting.load(SeqCst) > 0 {
            self.freed.notify_one();
        }
        if before == 1 {
            self.empty.notify_waiters();
        }
    }

    /// Slots taken now.
    pub(crate) fn used(&self) -> usize {
        self.used.load(SeqCst)
    }

    /// Refuses further slots and wakes every waiter (they fail with [`NoSlot::Closed`]).
    pub(crate) fn close(&self) {
        self.closed.store(true, SeqCst);
        self.freed.notify_waiters();
    }

    /// Resolves when no slot is taken.
    pub(crate) async fn idle(&self) {
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
        s.idle().await;
        let a = s.try_take().unwrap();
        let b = s.try_take().unwrap();
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
            assert_eq!(s.used(), 0);
        });
    }
}
