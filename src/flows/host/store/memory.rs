//! The in-memory store: hash maps, an RRN index, and settled batches queued
//! for pruning in settlement order.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::flows::host::decide::{Outcome, Snapshot};
use crate::flows::host::key::MatchKey;
use crate::flows::host::record::{EntryClass, Record, SettledEntry};
use crate::flows::host::request::HostDecision;
use crate::flows::host::store::{DecideFn, LedgerStore, Lookup, StoreError, StoreFuture};

type EntryKey = (EntryClass, MatchKey);

/// The in-memory ledger state, used directly (synchronously) by
/// [`HostLedger`](crate::flows::host::HostLedger) and behind a mutex by
/// [`MemoryStore`].
///
/// Every lookup is a hash-map access: by class and key, by RRN, by a
/// reversal's target, by open batch. Settled batches wait in a queue ordered
/// by settlement time, so pruning touches only what it removes.
#[derive(Clone, Debug, Default)]
pub struct MemoryState {
    entries: HashMap<EntryKey, Record>,
    by_rrn: HashMap<String, MatchKey>,
    reversal_by_target: HashMap<MatchKey, MatchKey>,
    open_batches: HashMap<(String, Option<u32>), Vec<EntryKey>>,
    settled: VecDeque<(u64, Vec<EntryKey>)>,
    sequence: u64,
    profile: crate::flows::host::KeyProfile,
}

impl MemoryState {
    /// An empty state for keys of `profile`.
    pub fn new(profile: crate::flows::host::KeyProfile) -> MemoryState {
        MemoryState {
            profile,
            ..MemoryState::default()
        }
    }

    /// How many entries are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries `lookup` names.
    pub fn snapshot(&self, lookup: &Lookup) -> Snapshot {
        let existing = self
            .entries
            .get(&(lookup.class, lookup.key.clone()))
            .cloned();
        let original = lookup
            .original
            .as_ref()
            .and_then(|k| self.entries.get(&(EntryClass::Financial, k.clone())))
            .cloned();
        let grand = original
            .as_ref()
            .and_then(|o| o.original_key.as_ref())
            .map(|k| self.profile.match_key(k))
            .and_then(|k| self.entries.get(&(EntryClass::Financial, k)))
            .cloned();
        let reversal = lookup
            .reversal_target
            .as_ref()
            .and_then(|t| self.reversal_by_target.get(t))
            .and_then(|k| self.entries.get(&(EntryClass::Reversal, k.clone())))
            .cloned();
        Snapshot {
            existing,
            original,
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
            let key = (rec.class, self.profile.match_key(&rec.key));
            if let Some(slot) = self.entries.get_mut(&key) {
                *slot = rec;
            }
        }
        if let Some(mut rec) = insert {
            rec.decision = decision.clone();
            let mk = self.profile.match_key(&rec.key);
            if let Some(rrn) = rec
                .decision
                .rrn
                .clone()
                .filter(|_| rec.class == EntryClass::Financial)
            {
                self.by_rrn.insert(rrn, mk.clone());
            }
            if rec.class == EntryClass::Reversal {
                let target = self.profile.match_key(rec.target());
                self.reversal_by_target.insert(target, mk.clone());
            }
            self.open_batches
                .entry((rec.key.terminal.clone(), rec.key.batch))
                .or_default()
                .push((rec.class, mk.clone()));
            self.entries.insert((rec.class, mk), rec);
        }
        decision
    }

    /// Marks the open entries of `terminal`'s `batch` settled at `now`.
    pub fn settle(&mut self, terminal: &str, batch: Option<u32>, now: u64) -> Vec<SettledEntry> {
        let Some(keys) = self.open_batches.remove(&(terminal.to_owned(), batch)) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(keys.len());
        for key in &keys {
            if let Some(rec) = self.entries.get_mut(key) {
                rec.settled_at = Some(now);
                out.push(SettledEntry::new(
                    rec.class, rec.kind, rec.state, rec.amount,
                ));
            }
        }
        self.settled.push_back((now, keys));
        out
    }

    /// The approved financial entry that received `rrn`.
    pub fn find_by_rrn(&self, rrn: &str) -> Option<&Record> {
        let key = self.by_rrn.get(rrn)?;
        self.entries.get(&(EntryClass::Financial, key.clone()))
    }

    /// Removes entries settled at or before `settled_before`.
    pub fn prune(&mut self, settled_before: u64) -> u64 {
        let mut removed = 0;
        while self
            .settled
            .front()
            .is_some_and(|(at, _)| *at <= settled_before)
        {
            let Some((_, keys)) = self.settled.pop_front() else {
                break;
            };
            for key in keys {
                let Some(rec) = self.entries.remove(&key) else {
                    continue;
                };
                removed += 1;
                if let Some(rrn) = rec.decision.rrn.as_deref()
                    && self.by_rrn.get(rrn) == Some(&key.1)
                {
                    self.by_rrn.remove(rrn);
                }
                if key.0 == EntryClass::Reversal {
                    let target = self.profile.match_key(rec.target());
                    if self.reversal_by_target.get(&target) == Some(&key.1) {
                        self.reversal_by_target.remove(&target);
                    }
                }
            }
        }
        if self.settled.is_empty() {
            self.settled.shrink_to_fit();
        }
        removed
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
    pub fn new(profile: crate::flows::host::KeyProfile) -> MemoryStore {
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
        content.to_vec()
    }
}
