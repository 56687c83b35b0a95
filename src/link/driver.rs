//! [`TerminalDriver`]: a terminal's link tied to its journal.
//!
//! - A financial request is journaled ([`Journal::begin`]) before it leaves, and its outcome
//!   is journaled when it comes back.
//! - No answer (a timeout, a lost connection, a reject) makes the reversal due; the driver
//!   sends it at once and, while it stays due, before any new financial request: 0400 first,
//!   then the profile's repeats (0401 where the policy says so), each attempt counted in the
//!   journal before it leaves, until the host answers or the attempts run out (the
//!   transaction is then `ReversalFailed`, for manual reconciliation; or, with
//!   [`TerminalDriver::with_reversal_advices`], it moves to the store-and-forward queue as a
//!   0420 reversal advice).
//! - Advices (0220) are stored and forwarded ([`TerminalDriver::advice`],
//!   [`TerminalDriver::send_queued_advices`]): queued in the journal before they leave, sent
//!   head first, repeated as 0221/0421 (or the first MTI, as the policy says) after a retry
//!   code or no answer, expired by the policy. Due reversals go first, then advices, then new
//!   financial work.
//! - An answer without a usable DE 39 gives no verdict: it counts as no answer. A financial
//!   answer the journal refuses (fields that do not match the request) makes the reversal due.
//! - Dropping a call midway (a `tokio::time::timeout` or `select!` around it) is safe: the
//!   message it had out counts as unanswered at the start of the next call (a financial
//!   request becomes reversal-due, a reversal or advice is repeated or expired), so nothing
//!   stays "in flight" holding up later work until a restart.
//!
//! The journal is reached through [`DriverJournal`], implemented for the in-memory
//! [`Journal`] and the crash-safe [`FileJournal`]; this file is the only place the link
//! depends on the journal's API.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::error::DecodeError;
use crate::flows::journal::{
    AdviceJob, AdviceOutcome, FileJournal, Journal, JournalError, NewTxn, OriginalMessages,
    ReversalJob, Stan, Ticket, TxnState, check_response_code,
};
use crate::flows::{FlowContext, FlowError, LocalTime};
use crate::link::client::Client;
use crate::link::error::LinkError;
use crate::message::{Message, MessageView};

mod saf;

pub use saf::AdviceRound;

/// What the driver needs of a journal.
pub trait DriverJournal {
    /// See [`Journal::begin`].
    fn begin(
        &mut self,
        req: NewTxn,
        encode: &mut dyn FnMut(&Ticket) -> Result<Vec<u8>, FlowError>,
    ) -> Result<Ticket, JournalError>;
    /// See [`Journal::on_response_message`].
    fn on_response_message(
        &mut self,
        stan: Stan,
        response: &[u8],
    ) -> Result<TxnState, JournalError>;
    /// See [`Journal::original`].
    fn original(&self, stan: Stan) -> Result<OriginalMessages, JournalError>;
    /// See [`Journal::on_timeout`].
    fn on_timeout(&mut self, stan: Stan) -> Result<TxnState, JournalError>;
    /// See [`Journal::next_reversal`].
    fn next_reversal(&self) -> Option<ReversalJob>;
    /// See [`Journal::on_reversal_sent`].
    fn on_reversal_sent(&mut self, stan: Stan) -> Result<(), JournalError>;
    /// See [`Journal::on_reversal_response`].
    fn on_reversal_response(&mut self, stan: Stan, code: &str) -> Result<TxnState, JournalError>;
    /// See [`Journal::on_reversal_no_response`].
    fn on_reversal_no_response(&mut self, stan: Stan) -> Result<TxnState, JournalError>;
    /// See [`Journal::queue_advice`].
    fn queue_advice(
        &mut self,
        req: NewTxn,
        queued_at: u64,
        encode: &mut dyn FnMut(&Ticket) -> Result<Vec<u8>, FlowError>,
    ) -> Result<Ticket, JournalError>;
    /// See [`Journal::queue_reversal_advice`].
    fn queue_reversal_advice(&mut self, stan: Stan, queued_at: u64) -> Result<(), JournalError>;
    /// See [`Journal::next_advice`].
    fn next_advice(&self) -> Option<AdviceJob>;
    /// See [`Journal::on_advice_sent`].
    fn on_advice_sent(&mut self, stan: Stan) -> Result<(), JournalError>;
    /// See [`Journal::on_advice_response`].
    fn on_advice_response(
        &mut self,
        stan: Stan,
        code: &str,
        now: u64,
    ) -> Result<AdviceOutcome, JournalError>;
    /// See [`Journal::on_advice_no_response`].
    fn on_advice_no_response(
        &mut self,
        stan: Stan,
        now: u64,
    ) -> Result<AdviceOutcome, JournalError>;
    /// See [`Journal::expire_advices`].
    fn expire_advices(&mut self, now: u64) -> Result<Vec<Stan>, JournalError>;
}

macro_rules! driver_journal {
    ($t:ty, $j:ident => $read:expr) => {
        impl DriverJournal for $t {
            fn begin(
                &mut self,
                req: NewTxn,
                encode: &mut dyn FnMut(&Ticket) -> Result<Vec<u8>, FlowError>,
            ) -> Result<Ticket, JournalError> {
                <$t>::begin(self, req, |t| encode(t))
            }
            fn on_response_message(
                &mut self,
                stan: Stan,
                response: &[u8],
            ) -> Result<TxnState, JournalError> {
                <$t>::on_response_message(self, stan, response)
            }
            fn original(&self, stan: Stan) -> Result<OriginalMessages, JournalError> {
                let $j = self;
                $read.original(stan)
            }
            fn on_timeout(&mut self, stan: Stan) -> Result<TxnState, JournalError> {
                <$t>::on_timeout(self, stan)
            }
            fn next_reversal(&self) -> Option<ReversalJob> {
                let $j = self;
                $read.next_reversal()
            }
            fn on_reversal_sent(&mut self, stan: Stan) -> Result<(), JournalError> {
                <$t>::on_reversal_sent(self, stan)
            }
            fn on_reversal_response(
                &mut self,
                stan: Stan,
                code: &str,
            ) -> Result<TxnState, JournalError> {
                <$t>::on_reversal_response(self, stan, code)
            }
            fn on_reversal_no_response(&mut self, stan: Stan) -> Result<TxnState, JournalError> {
                <$t>::on_reversal_no_response(self, stan)
            }
            fn queue_advice(
                &mut self,
                req: NewTxn,
                queued_at: u64,
                encode: &mut dyn FnMut(&Ticket) -> Result<Vec<u8>, FlowError>,
            ) -> Result<Ticket, JournalError> {
                <$t>::queue_advice(self, req, queued_at, |t| encode(t))
            }
            fn queue_reversal_advice(
                &mut self,
                stan: Stan,
                queued_at: u64,
            ) -> Result<(), JournalError> {
                <$t>::queue_reversal_advice(self, stan, queued_at)
            }
            fn next_advice(&self) -> Option<AdviceJob> {
                let $j = self;
                $read.next_advice()
            }
            fn on_advice_sent(&mut self, stan: Stan) -> Result<(), JournalError> {
                <$t>::on_advice_sent(self, stan)
            }
            fn on_advice_response(
                &mut self,
                stan: Stan,
                code: &str,
                now: u64,
            ) -> Result<AdviceOutcome, JournalError> {
                <$t>::on_advice_response(self, stan, code, now)
            }
            fn on_advice_no_response(
                &mut self,
                stan: Stan,
                now: u64,
            ) -> Result<AdviceOutcome, JournalError> {
                <$t>::on_advice_no_response(self, stan, now)
            }
            fn expire_advices(&mut self, now: u64) -> Result<Vec<Stan>, JournalError> {
                <$t>::expire_advices(self, now)
            }
        }
    };
}

driver_journal!(Journal, j => j);
driver_journal!(FileJournal, j => j.journal());

/// Why a driver operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The journal refused (a gate, a rule, a write failure).
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The request got no answer; its reversal is due (and was tried).
    #[error(transparent)]
    Link(#[from] LinkError),
    /// A message could not be built.
    #[error(transparent)]
    Flow(#[from] FlowError),
    /// A journaled request does not decode with the link's spec.
    #[error("journaled request does not decode: {0}")]
    Decode(#[from] DecodeError),
    /// A reversal is still due (the link is down): no new financial request goes out.
    #[error("the reversal of STAN {stan} is still due")]
    ReversalPending {
        /// The original's STAN.
        stan: Stan,
    },
}

/// Seconds since the Unix epoch (the clock the store-and-forward queue ages advices by).
pub fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The current UTC time as a [`LocalTime`].
pub fn utc_now() -> LocalTime {
    let secs = unix_secs();
    let rem = secs % 86_400;
    let days = i64::try_from(secs / 86_400).unwrap_or(0) + 719_468;
    let doe = days.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    LocalTime {
        month: month as u8,
        day: day as u8,
        hour: (rem / 3600) as u8,
        minute: (rem / 60 % 60) as u8,
        second: (rem % 60) as u8,
    }
}

fn text(msg: &Message, n: u16) -> Option<String> {
    msg.field(n)
        .and_then(|f| f.to_small())
        .map(|s| s.as_str().to_owned())
}

/// A terminal's client link and journal (see the module docs).
#[derive(Debug)]
pub struct TerminalDriver<J> {
    client: Client,
    journal: J,
    ctx: FlowContext,
    reversal_advices: bool,
    /// The message whose send was under way when the caller dropped the driver's future
    /// (a `timeout` or `select!` around a call); settled as unanswered by the next call.
    in_flight: Option<InFlight>,
}

/// A journaled message that had left (or was leaving) when its call was dropped.
#[derive(Debug, Clone, Copy)]
enum InFlight {
    Financial(Stan),
    Reversal(Stan),
    Advice(Stan),
}

impl<J: DriverJournal> TerminalDriver<J> {
    /// A driver sending on `client`, journaling in `journal`, building reversals with `ctx`.
    pub fn new(client: Client, journal: J, ctx: FlowContext) -> Self {
        TerminalDriver {
            client,
            journal,
            ctx,
            reversal_advices: false,
            in_flight: None,
        }
    }

    /// Whether a reversal whose attempts run out while the link is down is moved to the
    /// store-and-forward queue as a reversal advice (0420, repeats 0421) instead of ending as
    /// `ReversalFailed` (the default, for manual reconciliation).
    pub fn with_reversal_advices(mut self, yes: bool) -> Self {
        self.reversal_advices = yes;
        self
    }

    /// The journal.
    pub fn journal(&self) -> &J {
        &self.journal
    }

    /// The journal, for what the driver does not do (sign-on, settlement).
    pub fn journal_mut(&mut self) -> &mut J {
        &mut self.journal
    }

    /// The link.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends due reversals, then queued advices (one round, see
    /// [`send_queued_advices`](Self::send_queued_advices)), then journals `txn` (with the
    /// request `encode` builds for its ticket), sends it and journals the answer. Without an
    /// answer the reversal becomes due and is tried at once; the link's error is returned.
    pub async fn financial(
        &mut self,
        txn: NewTxn,
        mut encode: impl FnMut(&Ticket) -> Result<Vec<u8>, FlowError>,
    ) -> Result<Message, DriverError> {
        self.send_due_reversals().await?;
        self.send_queued_advices().await?;
        let ticket = self.journal.begin(txn, &mut encode)?;
        let request = Message::decode(&self.ctx.spec, Bytes::from(ticket.request))?;
        match self
            .send_marked(InFlight::Financial(ticket.stan), request)
            .await
        {
            Ok(rsp) => match self.journal.on_response_message(ticket.stan, rsp.bytes()) {
                Ok(_) => Ok(rsp),
                Err(e) => {
                    // An answer the journal refuses (no DE 39, fields that do not match the
                    // request) leaves the outcome unknown: reverse as for no answer, rather
                    // than leave the transaction sent with no reversal until a restart.
                    let _ = self.journal.on_timeout(ticket.stan);
                    let _ = self.send_due_reversals().await;
                    Err(DriverError::Journal(e))
                }
            },
            Err(e) => {
                self.journal.on_timeout(ticket.stan)?;
                // Best effort now; a reversal left due blocks the next financial request.
                let _ = self.send_due_reversals().await;
                Err(DriverError::Link(e))
            }
        }
    }

    /// Sends every due reversal, repeats included, until each is answered or out of
    /// attempts. Stops with [`DriverError::ReversalPending`] when the link is down.
    pub async fn send_due_reversals(&mut self) -> Result<(), DriverError> {
        self.settle_dropped()?;
        while let Some(job) = self.journal.next_reversal() {
            if !self.client.is_ready() {
                return Err(DriverError::ReversalPending { stan: job.stan });
            }
            let kept = self.journal.original(job.stan)?;
            let original = MessageView::decode(&self.ctx.spec, kept.request())?;
            let wire = self
                .ctx
                .reversal(
                    &original,
                    job.reason,
                    job.auth_code.as_deref(),
                    job.repeat,
                    &utc_now(),
                )?
                .encode_to_vec()
                .map_err(FlowError::from)?;
            let reversal = Message::decode(&self.ctx.spec, Bytes::from(wire))?;
            self.journal.on_reversal_sent(job.stan)?;
            match self
                .send_marked(InFlight::Reversal(job.stan), reversal)
                .await
            {
                Ok(rsp) => match text(&rsp, 39) {
                    Some(code) if check_response_code(&code).is_ok() => {
                        self.journal.on_reversal_response(job.stan, &code)?;
                    }
                    // No (well-formed) response code, no verdict: as if unanswered, so the
                    // reversal leaves flight and is repeated instead of blocking for good.
                    _ => {
                        self.reversal_unanswered(job.stan)?;
                    }
                },
                Err(LinkError::Down | LinkError::ShuttingDown | LinkError::Busy { .. }) => {
                    if !self.reversal_unanswered(job.stan)? {
                        return Err(DriverError::ReversalPending { stan: job.stan });
                    }
                }
                Err(_) => {
                    self.reversal_unanswered(job.stan)?;
                }
            }
        }
        Ok(())
    }

    /// Sends `message`, journaled as `mark`, remembering it as in flight until `send`
    /// returns: if the caller drops the call meanwhile, the next call settles it.
    async fn send_marked(
        &mut self,
        mark: InFlight,
        message: Message,
    ) -> Result<Message, LinkError> {
        self.in_flight = Some(mark);
        let sent = self.client.send(message).await;
        self.in_flight = None;
        sent
    }

    /// Settles what a dropped call left in flight: the journal still counts it as waiting
    /// for an answer that nobody will read, which would hold up every later call. Since every
    /// call takes `&mut self`, a message in flight when a call starts is one whose call was
    /// dropped: it counts as unanswered (a financial request becomes reversal-due; a
    /// reversal or an advice is repeated or expired by the policy).
    fn settle_dropped(&mut self) -> Result<(), DriverError> {
        let Some(dropped) = self.in_flight else {
            return Ok(());
        };
        match dropped {
            InFlight::Financial(stan) => {
                self.journal.on_timeout(stan)?;
            }
            InFlight::Reversal(stan) => {
                self.reversal_unanswered(stan)?;
            }
            InFlight::Advice(stan) => {
                self.journal.on_advice_no_response(stan, unix_secs())?;
            }
        }
        self.in_flight = None;
        Ok(())
    }
}
