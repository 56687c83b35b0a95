//! The [`Journal`] itself: state, accessors and [`Journal::begin`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::flows::journal::batch::{BatchSummary, Totals};
use crate::flows::journal::error::JournalError;
use crate::flows::journal::policy::JournalPolicy;
use crate::flows::journal::request::{NewTxn, Ticket};
use crate::flows::journal::reversal::{ReversalReason, ReversalRecord, ReversalStatus};
use crate::flows::journal::rules;
use crate::flows::journal::stan::{Stan, StanAllocator};
use crate::flows::journal::state::{TxnRecord, TxnState};

/// Highest batch number (60.2, n6).
pub const BATCH_MAX: u32 = 999_999;

/// Where the open batch stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Phase {
    /// Trading.
    Open,
    /// `settle` computed these totals; waiting for `close_batch`.
    Settling {
        /// The totals sent in the 0500.
        totals: Totals,
    },
}

/// The terminal's transaction journal for one terminal/merchant.
///
/// Every method either applies completely or returns an error and leaves
/// the journal unchanged. Use [`FileJournal`](crate::flows::journal::FileJournal)
/// to persist it after every change.
///
/// ```
/// use iso8583_wire::flows::journal::{Journal, JournalPolicy, NewTxn, TxnKind, TxnState};
///
/// let mut journal = Journal::new("T0000001", "M00000000000001", JournalPolicy::cup_pos());
/// journal.sign_on(Some(7))?;
/// let purchase = NewTxn::new(TxnKind::Purchase, 2_500, "T0000001", "M00000000000001", "0200");
/// // The encoder receives the STAN and batch to put into the request.
/// let ticket = journal.begin(purchase, |t| {
///     Ok::<_, std::io::Error>(format!("0200|{}|{}", t.stan, t.batch).into_bytes())
/// })?;
/// assert_eq!(ticket.request, b"0200|000001|7");
/// // Transmit ticket.request only now; then report the outcome.
/// let state = journal.on_response(ticket.stan, "00", Some("123456789012".into()), None)?;
/// assert_eq!(state, TxnState::Approved);
/// assert_eq!(journal.totals().debit_amount, 2_500);
/// # Ok::<(), iso8583_wire::flows::journal::JournalError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub(crate) terminal: String,
    pub(crate) merchant: String,
    pub(crate) policy: JournalPolicy,
    pub(crate) batch: u32,
    pub(crate) stans: StanAllocator,
    pub(crate) signed_on: bool,
    pub(crate) txns: BTreeMap<Stan, TxnRecord>,
    pub(crate) reversals: Vec<ReversalRecord>,
    pub(crate) phase: Phase,
    pub(crate) history: Vec<BatchSummary>,
}

impl Journal {
    /// An empty journal at batch 000001, not signed on.
    pub fn new(
        terminal: impl Into<String>,
        merchant: impl Into<String>,
        policy: JournalPolicy,
    ) -> Journal {
        Journal {
            terminal: terminal.into(),
            merchant: merchant.into(),
            policy,
            batch: 1,
            stans: StanAllocator::new(),
            signed_on: false,
            txns: BTreeMap::new(),
            reversals: Vec::new(),
            phase: Phase::Open,
            history: Vec::new(),
        }
    }

    /// DE 41 this journal belongs to.
    pub fn terminal(&self) -> &str {
        &self.terminal
    }

    /// DE 42 this journal belongs to.
    pub fn merchant(&self) -> &str {
        &self.merchant
    }

    /// The rules in force.
    pub fn policy(&self) -> &JournalPolicy {
        &self.policy
    }

    /// The open batch number (60.2).
    pub fn batch(&self) -> u32 {
        self.batch
    }

    /// Whether a successful sign-on is in force.
    pub fn is_signed_on(&self) -> bool {
        self.signed_on
    }

    /// Whether `settle` ran and `close_batch` has not yet.
    pub fn is_settling(&self) -> bool {
        matches!(self.phase, Phase::Settling { .. })
    }

    /// The batch phase.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// The transaction with this STAN in the open batch.
    pub fn txn(&self, stan: Stan) -> Option<&TxnRecord> {
        self.txns.get(&stan)
    }

    /// All transactions of the open batch, by STAN.
    pub fn transactions(&self) -> impl Iterator<Item = &TxnRecord> {
        self.txns.values()
    }

    /// Reversal records: armed, due and failed.
    pub fn reversals(&self) -> &[ReversalRecord] {
        &self.reversals
    }

    /// Summaries of closed batches, oldest first.
    pub fn history(&self) -> &[BatchSummary] {
        &self.history
    }

    /// The last STAN handed out.
    pub fn last_stan(&self) -> Option<Stan> {
        self.stans.last()
    }

    /// The STAN the next `begin` would allocate.
    pub fn peek_stan(&self) -> Result<Stan, JournalError> {
        self.stans
            .peek(|s| self.txns.contains_key(&s))
            .ok_or(JournalError::BatchFull)
    }

    /// STAN of the first reversal that must be sent before anything else.
    pub fn due_reversal(&self) -> Option<Stan> {
        self.reversals
            .iter()
            .find(|r| r.status == ReversalStatus::Due)
            .map(|r| r.stan)
    }

    /// Transactions that reference `stan` as their original.
    pub fn children(&self, stan: Stan) -> impl Iterator<Item = &TxnRecord> {
        self.txns.values().filter(move |t| t.original == Some(stan))
    }

    /// Journals a new transaction before it is sent.
    ///
    /// Checks the gates (pending reversal, sign-on, settlement) and the
    /// business rules, allocates the STAN, calls `encode` with the ticket
    /// (STAN, batch, original's data), then records the transaction as
    /// [`TxnState::Sent`] together with its armed reversal record (for
    /// reversible kinds). Only then is the ticket returned, carrying the
    /// bytes to transmit. If a rule fails or `encode` fails, nothing changes
    /// and no STAN is consumed.
    pub fn begin<F, E>(&mut self, req: NewTxn, encode: F) -> Result<Ticket, JournalError>
    where
        F: FnOnce(&Ticket) -> Result<Vec<u8>, E>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let original = rules::check_new(self, &req)?;
        let stan = self.peek_stan()?;
        let mut ticket = Ticket {
            stan,
            batch: self.batch,
            kind: req.kind,
            original,
            request: Vec::new(),
        };
        let request = encode(&ticket).map_err(|e| JournalError::Encode(e.into()))?;
        self.stans = StanAllocator::starting_after(stan);
        if req.kind.is_reversible(&self.policy) {
            self.reversals.push(ReversalRecord {
                stan,
                original_mti: req.mti.clone(),
                request: request.clone(),
                reason: ReversalReason::Other,
                auth_code: None,
                attempts: 0,
                in_flight: false,
                status: ReversalStatus::Armed,
            });
        }
        self.txns.insert(
            stan,
            TxnRecord {
                stan,
                kind: req.kind,
                amount: req.amount,
                state: TxnState::Sent,
                batch: self.batch,
                terminal: req.terminal,
                merchant: req.merchant,
                mti: req.mti,
                pan_hint: req.pan_hint,
                original: req.original,
                original_ref: req.original_ref,
                rrn: None,
                auth_code: None,
                response_code: None,
                reversal_response_code: None,
                refunded: 0,
                request: request.clone(),
            },
        );
        ticket.request = request;
        Ok(ticket)
    }

    /// The record for `stan`, or [`JournalError::UnknownTxn`].
    pub(crate) fn record_mut(&mut self, stan: Stan) -> Result<&mut TxnRecord, JournalError> {
        self.txns
            .get_mut(&stan)
            .ok_or(JournalError::UnknownTxn { stan })
    }

    /// Re-derives the state of `stan`'s original chain from its children
    /// (voids, refunds), after a child changed state.
    pub(crate) fn refresh_originals_of(&mut self, stan: Stan) {
        let mut next = self.txns.get(&stan).and_then(|t| t.original);
        // A chain is at most void-of-refund -> refund -> purchase.
        for _ in 0..4 {
            let Some(current) = next else { return };
            self.refresh(current);
            next = self.txns.get(&current).and_then(|t| t.original);
        }
    }

    fn refresh(&mut self, stan: Stan) {
        let cancelled = self
            .children(stan)
            .any(|c| c.kind.cancels_original() && c.state.is_live_approval());
        let refunded = self
            .children(stan)
            .filter(|c| {
                c.kind == crate::flows::journal::kind::TxnKind::Refund && c.state.is_live_approval()
            })
            .fold(0u64, |sum, c| sum.saturating_add(c.amount));
        let Some(record) = self.txns.get_mut(&stan) else {
            return;
        };
        if !(record.state.is_live_approval() || record.state == TxnState::Voided) {
            return;
        }
        record.refunded = refunded;
        record.state = if cancelled {
            TxnState::Voided
        } else if refunded == 0 {
            TxnState::Approved
        } else if refunded < record.amount {
            TxnState::PartlyRefunded
        } else {
            TxnState::FullyRefunded
        };
    }
}
