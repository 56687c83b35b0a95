//! Sign-on, settlement totals and batch close (module docs, "Business rules" 5 and 8).

use serde::{Deserialize, Serialize};

use crate::flows::journal::book::{BATCH_MAX, Journal, Phase};
use crate::flows::journal::error::JournalError;
use crate::flows::journal::kind::SettlementSide;
use crate::flows::journal::reversal::ReversalStatus;
use crate::flows::journal::state::{TxnRecord, TxnState};

/// How many closed-batch summaries the journal keeps.
pub const HISTORY_LEN: usize = 32;

/// Settlement totals (DE 48 of the 0500, one currency class).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Totals {
    /// Approved purchases and completions, not voided or reversed.
    pub debit_count: u32,
    /// Their amount, minor units.
    pub debit_amount: u64,
    /// Approved refunds, not voided or reversed.
    pub credit_count: u32,
    /// Their amount, minor units.
    pub credit_amount: u64,
}

impl Totals {
    /// Adds one transaction on `side`.
    pub fn add(&mut self, side: SettlementSide, amount: u64) {
        match side {
            SettlementSide::Debit => {
                self.debit_count = self.debit_count.saturating_add(1);
                self.debit_amount = self.debit_amount.saturating_add(amount);
            }
            SettlementSide::Credit => {
                self.credit_count = self.credit_count.saturating_add(1);
                self.credit_amount = self.credit_amount.saturating_add(amount);
            }
        }
    }
}

/// What remains of a closed batch in the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchSummary {
    /// The batch number.
    pub batch: u32,
    /// The totals settled.
    pub totals: Totals,
    /// Whether the host reported them balanced.
    pub balanced: bool,
    /// Number of transactions the batch held.
    pub txn_count: usize,
    /// Transactions whose reversal failed: manual reconciliation needed.
    pub unresolved: Vec<TxnRecord>,
}

/// Returned by `close_batch`: the summary and the batch's records, with
/// the ones counted in the totals marked [`TxnState::Settled`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClosedBatch {
    /// The summary also kept in the journal's history.
    pub summary: BatchSummary,
    /// Every record of the closed batch.
    pub records: Vec<TxnRecord>,
}

/// The batch number after `batch`, wrapping 999999 to 000001.
pub fn next_batch(batch: u32) -> u32 {
    if batch >= BATCH_MAX { 1 } else { batch + 1 }
}

impl Journal {
    /// Records a successful sign-on (key check values verified by the
    /// caller) and adopts the host's batch number (60.2) when given.
    pub fn sign_on(&mut self, batch_from_host: Option<u32>) -> Result<(), JournalError> {
        if let Some(batch) = batch_from_host {
            if !(1..=BATCH_MAX).contains(&batch) {
                return Err(JournalError::InvalidBatch { batch });
            }
            self.batch = batch;
        }
        self.signed_on = true;
        Ok(())
    }

    /// Drops the sign-on (sign-off, or a `99`/`A0` seen elsewhere).
    pub fn sign_off(&mut self) {
        self.signed_on = false;
    }

    /// Settlement totals of the open batch as they stand.
    pub fn totals(&self) -> Totals {
        let mut totals = Totals::default();
        for record in self.txns.values() {
            if let Some(side) = record.kind.settlement_side()
                && record.state.is_live_approval()
            {
                totals.add(side, record.amount);
            }
        }
        totals
    }

    /// Starts settlement: refused while a reversal is due, a request is in
    /// flight or an advice is unacknowledged. Returns the totals for the
    /// 0500 and blocks new financial work until `close_batch` or
    /// `abort_settlement`. Calling it again returns the same totals.
    pub fn settle(&mut self) -> Result<Totals, JournalError> {
        if let Phase::Settling { totals } = &self.phase {
            return Ok(*totals);
        }
        if !self.signed_on {
            return Err(JournalError::NotSignedOn);
        }
        if let Some(stan) = self.due_reversal() {
            return Err(JournalError::ReversalPending { stan });
        }
        if let Some(advice) = self.advices.first() {
            return Err(JournalError::AdviceOutstanding { stan: advice.stan });
        }
        for record in self.txns.values() {
            if record.state == TxnState::Sent {
                return Err(JournalError::InFlight { stan: record.stan });
            }
            if record.state == TxnState::Uncertain {
                return Err(JournalError::AdviceOutstanding { stan: record.stan });
            }
        }
        let totals = self.totals();
        self.phase = Phase::Settling { totals };
        Ok(totals)
    }

    /// Leaves the settling phase without closing (host unreachable).
    pub fn abort_settlement(&mut self) {
        self.phase = Phase::Open;
    }

    /// Closes the settled batch: moves to the next batch number, clears the
    /// log (old items are no longer voidable), keeps a summary (with
    /// failed-reversal records) and returns the closed records.
    pub fn close_batch(&mut self, totals_ok: bool) -> Result<ClosedBatch, JournalError> {
        let Phase::Settling { totals } = self.phase else {
            return Err(JournalError::NotSettled);
        };
        if let Some(advice) = self.advices.first() {
            return Err(JournalError::AdviceOutstanding { stan: advice.stan });
        }
        if let Some(open) = self
            .reversals
            .iter()
            .find(|r| r.status != ReversalStatus::Failed)
        {
            return Err(match open.status {
                ReversalStatus::Due => JournalError::ReversalPending { stan: open.stan },
                _ => JournalError::InFlight { stan: open.stan },
            });
        }
        let records: Vec<TxnRecord> = std::mem::take(&mut self.txns).into_values().collect();
        let unresolved: Vec<TxnRecord> = records
            .iter()
            .filter(|r| r.state == TxnState::ReversalFailed)
            .cloned()
            .collect();
        self.reversals
            .retain(|r| r.status != ReversalStatus::Failed);
        let summary = BatchSummary {
            batch: self.batch,
            totals,
            balanced: totals_ok,
            txn_count: records.len(),
            unresolved,
        };
        self.history.push(summary.clone());
        if self.history.len() > HISTORY_LEN {
            let excess = self.history.len() - HISTORY_LEN;
            self.history.drain(..excess);
        }
        self.batch = next_batch(self.batch);
        self.phase = Phase::Open;
        let records = records
            .into_iter()
            .map(|mut r| {
                if r.kind.settlement_side().is_some() && r.state.is_live_approval() {
                    r.state = TxnState::Settled;
                }
                r
            })
            .collect();
        Ok(ClosedBatch { summary, records })
    }
}
