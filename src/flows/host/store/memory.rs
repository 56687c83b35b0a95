//! The in-memory store: one slab of entries, one hash index over compact
//! keys, and settled batches queued for pruning in settlement order.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::flows::host::decide::{Outcome, Snapshot};
use crate::flows::host::key::{KeyProfile, MatchKey, TxnKey};
use crate::flows::host::record::{EntryClass, Record, SettledEntry};
use crate::flows::host::request::HostDecision;
use crate::flows::host::store::interner::Interner;
use crate::flows::host::store::{DecideFn, LedgerStore, Lookup, StoreError, StoreFuture};

/// A matching key with its terminal and merchant replaced by interned ids:
/// 20 bytes, `Copy`, hashed and compared without touching the heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Compact {
    terminal: u32,
    /// [`Interner::NONE`] where the profile does not match on the merchant.
    merchant: u32,
    batch: Option<u32>,
    stan: u32,
}

/// What the one index maps to a slot: an entry by class and key, a reversal
/// by the key of the transaction it undoes, an approval by its RRN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Index {
    Entry(EntryClass, Compact),
    ReversalOf(Compact),
    Rrn(u64),
}

/// A kept entry with the interned terminal and merchant it was received
/// with (what an RRN lookup compares).
#[derive(Clone, Debug)]
struct Slot {
    rec: Record,
    terminal: u32,
    merchant: u32,
}

/// The RRNs this store assigns: twelve decimal digits of a counter.
fn rrn_number(rrn: &str) -> Option<u64> {
    if rrn.len() != 12 || !rrn.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rrn.parse().ok()
}

/// The in-memory ledger state, used directly (synchronously) by
/// [`HostLedger`](crate::flows::host::HostLedger) and behind a mutex by
/// [`MemoryStore`].
///
/// Entries live in a slab; one hash index over compact, heap-free keys
/// finds them by class and key, by a reversal's target and by RRN, so every
/// lookup is one hash probe and one slab access with no key cloned.
/// Terminal and merchant ids are interned (they repeat across many entries;
/// the interner holds each distinct id once). Settled batches wait in a
/// queue ordered by settlement time, so pruning touches only what it
/// removes.
#[derive(Clone, Debug, Default)]
pub struct MemoryState {
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    index: HashMap<Index, u32>,
    names: Interner,
    open_batches: HashMap<(u32, Option<u32>), Vec<u32>>,
    settled: VecDeque<(u64, Vec<u32>)>,
    live: usize,
    sequence: u64,
    profile: KeyProfile,
}

impl MemoryState {
    /// An empty state for keys of `profile`.
    pub fn new(profile: KeyProfile) -> MemoryState {
        MemoryState {
            profile,
            ..MemoryState::default()
        }
    }

    /// How many entries are kept.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The compact form of `key`, if every name in it is known (a key with
    /// an unknown terminal or merchant names no entry).
    fn find_compact(&self, key: &MatchKey) -> Option<Compact> {
        Some(Compact {
            terminal: self.names.find(key.terminal())?,
            merchant: match key.merchant() {
                Some(m) => self.names.find(m)?,
                None => Interner::NONE,
            },
            batch: key.batch(),
            stan: key.stan(),
        })
    }

    fn intern_compact(&mut self, key: &MatchKey) -> Compact {
        Compact {
            terminal: self.names.intern(key.terminal()),
            merchant: key
                .merchant()
                .map_or(Interner::NONE, |m| self.names.intern(m)),
            batch: key.batch(),
            stan: key.stan(),
        }
    }

    fn slot(&self, ix: Index) -> Option<&Slot> {
        let n = *self.index.get(&ix)?;
        self.slots.get(n as usize)?.as_ref()
    }

    fn entry(&self, class: EntryClass, key: &MatchKey) -> Option<&Record> {
        let c = self.find_compact(key)?;
        self.slot(Index::Entry(class, c)).map(|s| &s.rec)
    }

    /// The entries `lookup` names.
    pub fn snapshot(&self, lookup: &Lookup) -> Snapshot {
        let existing = self.entry(lookup.class, &lookup.key).cloned();
        let original = lookup
            .original
            .as_ref()
            .and_then(|k| self.entry(EntryClass::Financial, k));
        let grand = original
            .and_then(|o| o.original_key.as_ref())
            .and_then(|k| self.entry(EntryClass::Financial, &self.profile.match_key(k)))
            .cloned();
        let reversal = lookup
            .reversal_target
            .as_ref()
            .and_then(|t| self.find_compact(t))
            .and_then(|c| self.slot(Index::ReversalOf(c)))
            .map(|s| s.rec.clone());
        Snapshot {
            existing,
            original: original.cloned(),
            grand,
            reversal,
        }
    }

    /// Writes `outcome` and returns its answer (with RRN and authorization
    /// code assigned when asked for).
    pub fn apply(&mut self, outcome: Outcome) -> HostDecision {
        let Outcome {
            mut decision,
            insert,
            updates,
            assign_rrn,
        } = outcome;
        if assign_rrn {
            self.sequence += 1;
            decision.rrn = Some(format!("{:012}", self.sequence % 1_000_000_000_000));
            decision.auth_code = Some(format!("{:06}", self.sequence % 1_000_000));
        }
        for rec in updates {
            let mk = self.profile.match_key(&rec.key);
            let Some(c) = self.find_compact(&mk) else {
                continue;
            };
            if let Some(&n) = self.index.get(&Index::Entry(rec.class, c))
                && let Some(Some(slot)) = self.slots.get_mut(n as usize)
            {
                slot.rec = rec;
            }
        }
        if let Some(mut rec) = insert {
            rec.decision = decision.clone();
            self.insert(rec);
        }
        decision
    }

    fn insert(&mut self, rec: Record) {
        let c = self.intern_compact(&self.profile.match_key(&rec.key));
        let ix = Index::Entry(rec.class, c);
        if let Some(&n) = self.index.get(&ix)
            && let Some(Some(slot)) = self.slots.get_mut(n as usize)
        {
            // Never reached through `decide` (it inserts only what it did
            // not find); kept in place so batch lists stay exact.
            slot.rec = rec;
            return;
        }
        let terminal = self.names.intern(&rec.key.terminal);
        let merchant = self.names.intern(&rec.key.merchant);
        let rrn = rec
            .decision
            .rrn
            .as_deref()
            .filter(|_| rec.class == EntryClass::Financial)
            .and_then(rrn_number);
        let target = (rec.class == EntryClass::Reversal)
            .then(|| self.intern_compact(&self.profile.match_key(rec.target())));
        let batch = (terminal, rec.key.batch);
        let n = match self.free.pop() {
            Some(n) => n,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        if let Some(place) = self.slots.get_mut(n as usize) {
            *place = Some(Slot {
                rec,
                terminal,
                merchant,
            });
        }
        self.live += 1;
        self.index.insert(ix, n);
        if let Some(r) = rrn {
            self.index.insert(Index::Rrn(r), n);
        }
        if let Some(t) = target {
            self.index.insert(Index::ReversalOf(t), n);
        }
        self.open_batches.entry(batch).or_default().push(n);
    }

    /// Marks the open entries of `terminal`'s `batch` settled at `now`.
    pub fn settle(&mut self, terminal: &str, batch: Option<u32>, now: u64) -> Vec<SettledEntry> {
        let Some(t) = self.names.find(terminal) else {
            return Vec::new();
        };
        let Some(slots) = self.open_batches.remove(&(t, batch)) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(slots.len());
        for &n in &slots {
            if let Some(Some(slot)) = self.slots.get_mut(n as usize) {
                let rec = &mut slot.rec;
                rec.settled_at = Some(now);
                out.push(SettledEntry::new(
                    rec.class, rec.kind, rec.state, rec.amount,
                ));
            }
        }
        self.settled.push_back((now, slots));
        out
    }

    /// The approved financial entry that received `rrn`.
    pub fn find_by_rrn(&self, rrn: &str) -> Option<&Record> {
        self.slot(Index::Rrn(rrn_number(rrn)?)).map(|s| &s.rec)
    }

    /// The key of `terminal`'s and `merchant`'s financial entry (not
    /// declined) that received `rrn`: one hash probe and one slab access,
    /// terminal and merchant compared as interned ids, nothing cloned.
    pub fn key_by_rrn(&self, rrn: &str, terminal: &str, merchant: &str) -> Option<&TxnKey> {
        let slot = self.slot(Index::Rrn(rrn_number(rrn)?))?;
        let ours = Some(slot.terminal) == self.names.find(terminal)
            && Some(slot.merchant) == self.names.find(merchant);
        (ours && crate::flows::host::ledger::rrn_entry(&slot.rec)).then_some(&slot.rec.key)
    }

    /// Removes entries settled at or before `settled_before`.
    pub fn prune(&mut self, settled_before: u64) -> u64 {
        let mut removed = 0;
        while self
            .settled
            .front()
            .is_some_and(|(at, _)| *at <= settled_before)
        {
            let Some((_, slots)) = self.settled.pop_front() else {
                break;
            };
            for n in slots {
                if self.remove(n) {
                    removed += 1;
                }
            }
        }
        if self.settled.is_empty() {
            self.settled.shrink_to_fit();
        }
        removed
    }

    /// Frees slot `n` and its index entries (those that still point at it).
    fn remove(&mut self, n: u32) -> bool {
        let Some(slot) = self.slots.get_mut(n as usize).and_then(Option::take) else {
            return false;
        };
        let rec = slot.rec;
        let drop_ix = |ix: Index, index: &mut HashMap<Index, u32>| {
            if index.get(&ix) == Some(&n) {
                index.remove(&ix);
            }
        };
        if let Some(c) = self.find_compact(&self.profile.match_key(&rec.key)) {
            drop_ix(Index::Entry(rec.class, c), &mut self.index);
        }
        if let Some(r) = rec.decision.rrn.as_deref().and_then(rrn_number) {
            drop_ix(Index::Rrn(r), &mut self.index);
        }
        if rec.class == EntryClass::Reversal
            && let Some(c) = self.find_compact(&self.profile.match_key(rec.target()))
        {
            drop_ix(Index::ReversalOf(c), &mut self.index);
        }
        self.free.push(n);
        self.live -= 1;
        true
    }

    /// Decides and applies one request in one step.
    pub fn transact(&mut self, lookup: &Lookup, decide: DecideFn<'_>) -> HostDecision {
        let snap = self.snapshot(lookup);
        self.apply(decide(&snap))
    }
}

/// [`MemoryState`] behind a mutex, as a [`LedgerStore`] for
/// [`SharedLedger`](crate::flows::host::SharedLedger): one process, any
/// number of tasks.
#[derive(Debug)]
pub struct MemoryStore {
    state: Mutex<MemoryState>,
}

impl MemoryStore {
    /// An empty store for keys of `profile`.
    pub fn new(profile: KeyProfile) -> MemoryStore {
        MemoryStore {
            state: Mutex::new(MemoryState::new(profile)),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut MemoryState) -> T) -> Result<T, StoreError> {
        // A poisoned lock means a panic inside a decision: the state may be
        // half written, so refuse rather than guess.
        let mut guard = self.state.lock().map_err(|_| StoreError::Failed {
            operation: "lock",
            detail: "memory store poisoned by an earlier panic".into(),
        })?;
        Ok(f(&mut guard))
    }
}

impl LedgerStore for MemoryStore {
    fn transact<'a>(
        &'a self,
        lookup: &'a Lookup,
        _now: u64,
        decide: DecideFn<'a>,
    ) -> StoreFuture<'a, HostDecision> {
        let r = self.with(|s| s.transact(lookup, decide));
        Box::pin(async move { r })
    }

    fn settle<'a>(
        &'a self,
        terminal: &'a str,
        batch: Option<u32>,
        now: u64,
    ) -> StoreFuture<'a, Vec<SettledEntry>> {
        let r = self.with(|s| s.settle(terminal, batch, now));
        Box::pin(async move { r })
    }

    fn find_by_rrn<'a>(&'a self, rrn: &'a str) -> StoreFuture<'a, Option<Record>> {
        let r = self.with(|s| s.find_by_rrn(rrn).cloned());
        Box::pin(async move { r })
    }

    fn prune(&self, settled_before: u64) -> StoreFuture<'_, u64> {
        let r = self.with(|s| s.prune(settled_before));
        Box::pin(async move { r })
    }

    fn len(&self) -> StoreFuture<'_, u64> {
        let r = self.with(|s| s.len() as u64);
        Box::pin(async move { r })
    }

    fn fingerprint(&self, content: &[u8]) -> Vec<u8> {
        crate::flows::host::store::digest(content)
    }
}
