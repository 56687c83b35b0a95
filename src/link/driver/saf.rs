//! Store-and-forward through the driver: advices (0220) and reversal advices (0420) are
//! journaled in the queue before they leave, sent head first, repeated with the repeat MTI
//! (0221/0421, or the first MTI again where the policy says so) and expired by the policy.

use bytes::Bytes;

use super::{DriverError, DriverJournal, TerminalDriver, text, unix_secs, utc_now};
use crate::flows::FlowError;
use crate::flows::journal::{
    AdviceJob, AdviceKind, AdviceOutcome, NewTxn, Stan, Ticket, TxnState, check_response_code,
};
use crate::message::{Message, MessageBuilder, MessageView};

/// What one round of [`TerminalDriver::send_queued_advices`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AdviceRound {
    /// Advices the host acknowledged, in the order sent.
    pub delivered: Vec<Stan>,
    /// Advices moved to the journal's expired list (refused, out of attempts, too old).
    pub expired: Vec<Stan>,
    /// Whether advices are left in the queue (the link is down, or the head is to be repeated
    /// later).
    pub pending: bool,
}

impl<J: DriverJournal> TerminalDriver<J> {
    /// Journals the advice `txn` (an `x220` request, built by `encode` for its ticket) in the
    /// store-and-forward queue, on disk with a [`FileJournal`](crate::flows::journal::FileJournal)
    /// before anything leaves, then runs a round of
    /// [`send_queued_advices`](Self::send_queued_advices). The advice is the journal's from
    /// here on: a link that is down leaves it queued, not failed. Returns its STAN and what the
    /// round did.
    pub async fn advice(
        &mut self,
        txn: NewTxn,
        mut encode: impl FnMut(&Ticket) -> Result<Vec<u8>, FlowError>,
    ) -> Result<(Stan, AdviceRound), DriverError> {
        let ticket = self.journal.queue_advice(txn, unix_secs(), &mut encode)?;
        let round = self.send_queued_advices().await?;
        Ok((ticket.stan, round))
    }

    /// Sends queued advices head first (FIFO), until the queue is empty or the head must wait:
    /// - advices older than the policy's maximum age are expired first;
    /// - each attempt is counted in the journal before it leaves; the first goes with the
    ///   advice's MTI (0220, 0420), repeats with the repeat MTI where the policy says so;
    /// - a done code (approval, 94) delivers it and the next one goes; a retry code (91, 96,
    ///   ...) or no answer keeps it at the head for the next round (the round stops, so one
    ///   busy host costs a financial request at most one attempt); any other code expires it;
    /// - a link that is down stops the round with everything left queued.
    ///
    /// Due reversals are not sent here: [`financial`](Self::financial) sends them first.
    pub async fn send_queued_advices(&mut self) -> Result<AdviceRound, DriverError> {
        self.settle_dropped()?;
        let mut round = AdviceRound {
            expired: self.journal.expire_advices(unix_secs())?,
            ..AdviceRound::default()
        };
        while let Some(job) = self.journal.next_advice() {
            if !self.client.is_ready() {
                round.pending = true;
                break;
            }
            let message = self.advice_message(&job)?;
            self.journal.on_advice_sent(job.stan)?;
            let sent = self
                .send_marked(super::InFlight::Advice(job.stan), message)
                .await;
            let outcome = match sent {
                Ok(rsp) => match text(&rsp, 39) {
                    Some(code) if check_response_code(&code).is_ok() => self
                        .journal
                        .on_advice_response(job.stan, &code, unix_secs())?,
                    // An answer without a (well-formed) response code gives no verdict: as
                    // if unanswered, so the advice leaves flight and is repeated or expired
                    // by the policy instead of holding the queue up for good.
                    _ => self.journal.on_advice_no_response(job.stan, unix_secs())?,
                },
                Err(_) => self.journal.on_advice_no_response(job.stan, unix_secs())?,
            };
            match outcome {
                AdviceOutcome::Delivered => round.delivered.push(job.stan),
                AdviceOutcome::Expired(_) => round.expired.push(job.stan),
                _ => {
                    round.pending = true;
                    break;
                }
            }
        }
        Ok(round)
    }

    /// The wire message of `job`, rebuilt from the journal's kept request (PAN unsealed): a
    /// financial advice is that request with the job's MTI; a reversal advice is the
    /// profile's reversal of it with the job's MTI.
    fn advice_message(&self, job: &AdviceJob) -> Result<Message, DriverError> {
        let kept = self.journal.original(job.stan)?;
        let original = MessageView::decode(&self.ctx.spec, kept.request())?;
        let mut builder = match job.kind {
            AdviceKind::Reversal { reason } => self.ctx.reversal(
                &original,
                reason,
                job.auth_code.as_deref(),
                job.repeat,
                &utc_now(),
            )?,
            _ => MessageBuilder::from_view(&original),
        };
        builder.mti(&job.mti).map_err(FlowError::from)?;
        let wire = builder.encode_to_vec().map_err(FlowError::from)?;
        Ok(Message::decode(&self.ctx.spec, Bytes::from(wire))?)
    }

    /// Records an unanswered reversal attempt of `stan`; returns whether the reversal is off
    /// the due list because its attempts ran out and it was moved to the advice queue (see
    /// [`with_reversal_advices`](Self::with_reversal_advices)).
    pub(super) fn reversal_unanswered(&mut self, stan: Stan) -> Result<bool, DriverError> {
        let state = self.journal.on_reversal_no_response(stan)?;
        if state == TxnState::ReversalFailed && self.reversal_advices {
            self.journal.queue_reversal_advice(stan, unix_secs())?;
            return Ok(true);
        }
        Ok(false)
    }
}
