//! The [`Journal`] itself: state, accessors and [`Journal::begin`].

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::flows::journal::advice::{AdviceRecord, ExpiredAdvice};
use crate::flows::journal::batch::{BatchSummary, Totals};
use crate::flows::journal::error::JournalError;
use crate::flows::journal::key::JournalKey;
use crate::flows::journal::policy::JournalPolicy;
use crate::flows::journal::request::{NewTxn, Ticket};
use crate::flows::journal::reversal::{ReversalReason, ReversalRecord, ReversalStatus};
use crate::flows::journal::rules;
use crate::flows::journal::saved;
use crate::flows::journal::sealed::{OriginalMessages, SealedPan};
use crate::flows::journal::stan::{Stan, StanAllocator};
use crate::flows::journal::state::{TxnRecord, TxnState};
use crate::spec::Spec;

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
/// The journal reads each request with its [`Spec`] (the facts it records
/// come from the message, see [`begin`](Self::begin)) and seals each PAN
/// with its [`JournalKey`]; it keeps no track data, PIN block or ICC data.
///
/// ```
/// use std::sync::Arc;
/// use iso8583_wire::flows::journal::{Journal, JournalPolicy, NewTxn, SoftwareKey, TxnKind, TxnState};
/// use iso8583_wire::flows::{Card, FlowContext, FlowProfile, LocalTime};
/// use iso8583_wire::Spec;
///
/// let profile = FlowProfile::generic_1987();
/// let ctx = FlowContext { spec: Spec::builtin("iso87-ascii-bin")?, profile: profile.clone(),
///     terminal_id: "T0000001".into(), merchant_id: "M00000000000001".into(),
///     acquirer_id: None, header: None };
/// // A real terminal keeps its key in its secure element (implement `JournalKey`).
/// let key = Arc::new(SoftwareKey::from_bytes(1, &[0x5a; 32]));
/// let mut journal = Journal::new(ctx.spec.clone(), key, "T0000001", "M00000000000001", profile.journal.clone());
/// journal.sign_on(Some(7))?;
/// let now = LocalTime::new(11, 22, 9, 30, 0)?;
/// let card = Card::magstripe("4761739001010119=29121011234567890");
/// let purchase = NewTxn::new(TxnKind::Purchase, 2_500, "T0000001", "M00000000000001", "0200");
/// // The encoder receives the STAN and batch to put into the request; the
/// // journal then reads amount, terminal, merchant, MTI and STAN back from it.
/// let ticket = journal.begin(purchase, |t| -> Result<_, Box<dyn std::error::Error + Send + Sync>> {
///     Ok(ctx.purchase(t.stan, t.batch, &card, 2_500, &now)?.encode_to_vec()?)
/// })?;
/// // Transmit ticket.request only now; then report the outcome.
/// let state = journal.on_response(ticket.stan, "00", Some("123456789012".into()), None)?;
/// assert_eq!(state, TxnState::Approved);
/// assert_eq!(journal.totals().debit_amount, 2_500);
/// // The journal kept the PAN (sealed) but not the track.
/// let kept = journal.txn(ticket.stan).unwrap();
/// assert!(kept.pan.is_some() && kept.pan_hint.as_deref() == Some("0119"));
/// let original = journal.original(ticket.stan)?;
/// let view = iso8583_wire::MessageView::decode(&ctx.spec, original.request())?;
/// assert_eq!((view.str(2), view.str(14), view.has(35)), (Some("4761739001010119"), Some("2912"), false));
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
#[derive(Clone)]
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
    /// Store-and-forward queue, head first.
    pub(crate) advices: Vec<AdviceRecord>,
    /// Advices that could not be delivered (manual handling).
    pub(crate) expired: Vec<ExpiredAdvice>,
    /// How requests are read (not stored: supplied on open).
    pub(crate) spec: Spec,
    /// What seals PANs and authenticates the file (not stored).
    pub(crate) key: Arc<dyn JournalKey>,
}

/// Two journals are equal when their recorded state is; the spec and key
/// they work with are not compared.
impl PartialEq for Journal {
    fn eq(&self, other: &Journal) -> bool {
        self.terminal == other.terminal
            && self.merchant == other.merchant
            && self.policy == other.policy
            && self.batch == other.batch
            && self.stans == other.stans
            && self.signed_on == other.signed_on
            && self.txns == other.txns
            && self.reversals == other.reversals
            && self.phase == other.phase
            && self.history == other.history
            && self.advices == other.advices
            && self.expired == other.expired
    }
}

impl Eq for Journal {}

/// Records print masked (see [`TxnRecord`]); the key shows its version only.
impl core::fmt::Debug for Journal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Journal")
            .field("terminal", &self.terminal)
            .field("merchant", &self.merchant)
            .field("policy", &self.policy)
            .field("batch", &self.batch)
            .field("stans", &self.stans)
            .field("signed_on", &self.signed_on)
            .field("txns", &self.txns)
            .field("reversals", &self.reversals)
            .field("phase", &self.phase)
            .field("history", &self.history)
            .field("advices", &self.advices)
            .field("expired", &self.expired)
            .field("spec", &self.spec.name())
            .field("key_version", &self.key.version())
            .finish()
    }
}

impl Journal {
    /// An empty journal at batch 000001, not signed on, reading requests
    /// with `spec` and sealing PANs with `key`.
    pub fn new(
        spec: Spec,
        key: Arc<dyn JournalKey>,
        terminal: impl Into<String>,
        merchant: impl Into<String>,
        policy: JournalPolicy,
    ) -> Journal {
        Journal {
            spec,
            key,
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
            advices: Vec::new(),
            expired: Vec::new(),
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

    /// The spec requests are read with.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// The key that seals PANs and authenticates the journal file.
    pub fn key(&self) -> &Arc<dyn JournalKey> {
        &self.key
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

    /// The STAN the next `begin` would allocate. It is not reserved: a
    /// message sent outside `begin` must take its STAN from
    /// [`allocate_stan`](Self::allocate_stan) instead.
    pub fn peek_stan(&self) -> Result<Stan, JournalError> {
        self.stans
            .peek(|s| self.txns.contains_key(&s))
            .ok_or(JournalError::BatchFull)
    }

    /// Allocates a STAN for a message that is not journaled as a
    /// transaction (settlement 0500, batch upload 0320, a sign-on or echo
    /// sent without [`begin`](Self::begin)), so that no later message
    /// reuses it. [`FileJournal`](crate::flows::journal::FileJournal)
    /// persists the allocation before returning it.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// use iso8583_wire::flows::journal::{Journal, JournalPolicy, SoftwareKey};
    /// # let spec = iso8583_wire::Spec::builtin("iso87-ascii")?;
    /// # let key = Arc::new(SoftwareKey::from_bytes(1, &[7; 32]));
    /// let mut j = Journal::new(spec, key, "T1", "M1", JournalPolicy::generic_1987());
    /// let settlement = j.allocate_stan()?;
    /// assert_ne!(j.peek_stan()?, settlement);
    /// assert_eq!(j.last_stan(), Some(settlement));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allocate_stan(&mut self) -> Result<Stan, JournalError> {
        let stan = self.peek_stan()?;
        self.stans = StanAllocator::starting_after(stan);
        Ok(stan)
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
    /// (STAN, batch, original's data), then reads the encoded request with
    /// the journal's spec and checks it against `req`: MTI, DE 3 (when
    /// `req` names one), DE 4, DE 11 (the allocated STAN), DE 41 and DE 42
    /// (absent only for sign-on and echo). A difference is refused with
    /// [`JournalError::Mismatch`] naming the field. The request is kept
    /// without card data and its PAN sealed (see [`TxnRecord::request`]);
    /// the transaction is recorded as [`TxnState::Sent`] together with its
    /// armed reversal record (for reversible kinds). Only then is the ticket
    /// returned, carrying the bytes to transmit. If a rule, `encode` or a
    /// check fails, nothing changes and no STAN is consumed.
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
        let checked = saved::check_request(&self.spec, &req, stan, &request)?;
        let pan = match &checked.pan {
            Some(pan) => Some(self.seal_pan(pan, &req.terminal, stan)?),
            None => None,
        };
        let pan_hint = req
            .pan_hint
            .or_else(|| checked.pan.as_deref().and_then(|p| last4(p)));
        self.stans = StanAllocator::starting_after(stan);
        if req.kind.is_reversible(&self.policy) {
            self.reversals.push(ReversalRecord {
                stan,
                original_mti: req.mti.clone(),
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
                pan_hint,
                original: req.original,
                original_ref: req.original_ref,
                rrn: None,
                auth_code: None,
                response_code: None,
                reversal_response_code: None,
                refunded: 0,
                processing_code: checked.processing_code,
                request: checked.stored,
                pan,
                response: None,
            },
        );
        ticket.request = request;
        Ok(ticket)
    }

    /// The messages of `stan` as the flow builders take them: the kept
    /// request with its PAN unsealed and put back, and the kept response
    /// (see [`OriginalMessages`]). Use it to build the reversal of a
    /// [`ReversalJob`](crate::flows::journal::ReversalJob), or a void, refund
    /// or completion of an earlier transaction, also after a restart.
    pub fn original(&self, stan: Stan) -> Result<OriginalMessages, JournalError> {
        let record = self
            .txns
            .get(&stan)
            .ok_or(JournalError::UnknownTxn { stan })?;
        let pan = match &record.pan {
            Some(sealed) => Some(self.open_pan(sealed, record)?),
            None => None,
        };
        let request = saved::restore(
            &self.spec,
            &record.request,
            pan.as_deref().map(String::as_str),
        )?;
        Ok(OriginalMessages {
            request,
            response: record.response.clone(),
        })
    }

    fn seal_pan(&self, pan: &str, terminal: &str, stan: Stan) -> Result<SealedPan, JournalError> {
        let aad = saved::pan_aad(terminal, self.batch, stan);
        Ok(SealedPan {
            key_version: self.key.version(),
            sealed: self.key.seal(&aad, pan.as_bytes())?,
        })
    }

    fn open_pan(
        &self,
        sealed: &SealedPan,
        record: &TxnRecord,
    ) -> Result<Zeroizing<String>, JournalError> {
        let aad = saved::pan_aad(&record.terminal, record.batch, record.stan);
        let clear = self.key.open(sealed.key_version, &aad, &sealed.sealed)?;
        let text = core::str::from_utf8(&clear).map_err(|_| {
            JournalError::Corrupt(format!("sealed PAN of STAN {} is not text", record.stan))
        })?;
        Ok(Zeroizing::new(text.to_owned()))
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

/// The last four characters of a PAN when they are digits.
fn last4(pan: &str) -> Option<String> {
    let tail = pan.get(pan.len().checked_sub(4)?..)?;
    tail.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| tail.to_owned())
}
