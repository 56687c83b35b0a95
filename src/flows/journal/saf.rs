//! Store-and-forward: advices queued in the journal until the host
//! acknowledges them. They follow the reversal's repeat rule (see the
//! [journal module docs](crate::flows::journal)): the first attempt goes as
//! 0220/0420, every later one as the repeat 0221/0421.
//!
//! The queue is FIFO per journal (one journal per terminal): the head is
//! sent, and repeated until it is delivered or expires, before the next one.
//! An advice keeps its transaction record (the request without card data,
//! the PAN sealed), so it survives restarts in the journal file like any
//! other record; an attempt in flight at a crash counts as unanswered and
//! the next attempt is a repeat.

use crate::flows::journal::advice::{
    AdviceJob, AdviceKind, AdviceOutcome, AdviceRecord, ExpiredAdvice, ExpiryReason, repeat_mti,
};
use crate::flows::journal::book::Journal;
use crate::flows::journal::error::JournalError;
use crate::flows::journal::outcome::check_response_code;
use crate::flows::journal::policy::AdviceVerdict;
use crate::flows::journal::request::{NewTxn, Ticket};
use crate::flows::journal::reversal::ReversalStatus;
use crate::flows::journal::stan::Stan;
use crate::flows::journal::state::TxnState;

impl Journal {
    /// Journals a financial advice (an `x220` request of a kind that is not
    /// reversed, e.g. an offline completion advice, or a CUP refund) and
    /// queues it for store-and-forward instead of sending it now.
    ///
    /// Runs every check of [`begin`](Self::begin) (gates, rules, the request
    /// read back; the request is kept without card data, its PAN sealed)
    /// and allocates the STAN; the transaction is
    /// [`TxnState::Uncertain`] until the host acknowledges the advice.
    /// `queued_at` is the caller's clock in seconds (e.g. Unix time), used
    /// for the policy's maximum age. The returned ticket holds the encoded
    /// advice; send it when [`next_advice`](Self::next_advice) says so.
    ///
    /// ```
    /// use iso8583_wire::flows::journal::{AdviceOutcome, Journal, JournalPolicy, NewTxn, TxnKind, TxnState};
    /// # use std::sync::Arc;
    /// # use iso8583_wire::flows::journal::{SoftwareKey, Ticket};
    /// # use iso8583_wire::{EncodeError, MessageBuilder, Spec};
    /// # fn request(spec: &Spec, mti: &str, t: &Ticket) -> Result<Vec<u8>, EncodeError> {
    /// #     let mut b = MessageBuilder::new(spec);
    /// #     b.mti(mti)?.set(3, "000000")?.set(4, "000000000100")?;
    /// #     b.set(11, t.stan.to_string())?.set(41, "T1")?.set(42, "M1")?;
    /// #     b.encode_to_vec()
    /// # }
    /// # let spec = Spec::builtin("iso87-ascii")?;
    /// # let key = Arc::new(SoftwareKey::from_bytes(1, &[7; 32]));
    /// let mut j = Journal::new(spec.clone(), key, "T1", "M1", JournalPolicy::generic_1987());
    /// j.sign_on(None)?;
    /// let pre = j.begin(NewTxn::new(TxnKind::PreAuth, 100, "T1", "M1", "0100"), |t| request(&spec, "0100", t))?;
    /// j.on_response(pre.stan, "00", None, Some("A1".into()))?;
    /// let advice = NewTxn::new(TxnKind::CompletionAdvice, 100, "T1", "M1", "0220").with_original(pre.stan);
    /// let t = j.queue_advice(advice, 1_000, |t| request(&spec, "0220", t))?;
    /// let job = j.next_advice().ok_or("queued")?;
    /// assert_eq!((job.stan, job.mti.as_str(), job.repeat), (t.stan, "0220", false));
    /// j.on_advice_sent(job.stan)?;
    /// assert_eq!(j.on_advice_response(job.stan, "91", 1_010)?, AdviceOutcome::Retry);
    /// let job = j.next_advice().ok_or("still queued")?;
    /// assert_eq!((job.mti.as_str(), job.attempt), ("0221", 2));
    /// j.on_advice_sent(job.stan)?;
    /// assert_eq!(j.on_advice_response(job.stan, "00", 1_020)?, AdviceOutcome::Delivered);
    /// assert_eq!(j.txn(t.stan).map(|r| r.state), Some(TxnState::Approved));
    /// assert!(j.next_advice().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn queue_advice<F, E>(
        &mut self,
        req: NewTxn,
        queued_at: u64,
        encode: F,
    ) -> Result<Ticket, JournalError>
    where
        F: FnOnce(&Ticket) -> Result<Vec<u8>, E>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if req.kind.is_reversible(&self.policy) || req.mti.get(2..) != Some("20") {
            return Err(JournalError::NotAnAdvice {
                kind: req.kind,
                mti: req.mti,
            });
        }
        let mti = req.mti.clone();
        let ticket = self.begin(req, encode)?;
        self.record_mut(ticket.stan)?.state = TxnState::Uncertain;
        self.advices.push(AdviceRecord {
            stan: ticket.stan,
            kind: AdviceKind::Financial,
            mti,
            queued_at,
            attempts: 0,
            in_flight: false,
            last_response_code: None,
        });
        Ok(ticket)
    }

    /// Moves the reversal of `stan` (due, or failed after its 0400
    /// attempts) to the store-and-forward queue as a reversal advice
    /// (0420, repeats 0421). It then no longer blocks new work; the
    /// transaction stays unresolved until the advice is delivered
    /// ([`TxnState::Reversed`]) or expires ([`TxnState::ReversalFailed`]).
    pub fn queue_reversal_advice(
        &mut self,
        stan: Stan,
        queued_at: u64,
    ) -> Result<(), JournalError> {
        let reversal = self
            .reversals
            .iter()
            .find(|r| r.stan == stan)
            .ok_or(JournalError::NoReversal { stan })?;
        if reversal.status == ReversalStatus::Armed || reversal.in_flight {
            return Err(JournalError::ReversalNotDue { stan });
        }
        let reason = reversal.reason;
        let record = self.record_mut(stan)?;
        if record.state == TxnState::ReversalFailed {
            record.state = TxnState::ReversalPending;
        }
        self.reversals.retain(|r| r.stan != stan);
        self.advices.push(AdviceRecord {
            stan,
            kind: AdviceKind::Reversal { reason },
            mti: String::from("0420"),
            queued_at,
            attempts: 0,
            in_flight: false,
            last_response_code: None,
        });
        Ok(())
    }

    /// The advice to send now: the head of the queue, unless its last
    /// attempt is still waiting for an answer.
    pub fn next_advice(&self) -> Option<AdviceJob> {
        let head = self.advices.first().filter(|a| !a.in_flight)?;
        let txn = self.txns.get(&head.stan)?;
        let repeat = head.attempts > 0;
        let mti = if repeat && self.policy.advice_repeat_mti {
            repeat_mti(&head.mti)
        } else {
            head.mti.clone()
        };
        Some(AdviceJob {
            stan: head.stan,
            kind: head.kind,
            mti,
            original_mti: txn.mti.clone(),
            auth_code: txn.auth_code.clone(),
            attempt: head.attempts.saturating_add(1),
            repeat,
        })
    }

    /// The queued advices, head first.
    pub fn queued_advices(&self) -> &[AdviceRecord] {
        &self.advices
    }

    /// Advices that could not be delivered, oldest first; they stay until
    /// [`acknowledge_expired_advice`](Self::acknowledge_expired_advice).
    pub fn expired_advices(&self) -> &[ExpiredAdvice] {
        &self.expired
    }

    /// Counts an attempt of the head advice `stan`; call it before
    /// transmitting, so a crash cannot hide an attempt.
    pub fn on_advice_sent(&mut self, stan: Stan) -> Result<(), JournalError> {
        match self.advices.first_mut() {
            Some(head) if head.stan == stan && !head.in_flight => {
                head.attempts = head.attempts.saturating_add(1);
                head.in_flight = true;
                Ok(())
            }
            Some(_) => Err(JournalError::AdviceOutOfOrder { stan }),
            None => Err(JournalError::NoAdvice { stan }),
        }
    }

    /// The host answered the advice `stan` with `response_code` (its DE 39)
    /// at `now` (caller's clock, seconds). Done codes deliver it (a
    /// financial advice becomes [`TxnState::Approved`], a reversal advice
    /// [`TxnState::Reversed`]); retry codes keep it queued unless its
    /// attempts or age are used up; any other code expires it (see
    /// [`JournalPolicy::advice_verdict`](crate::flows::journal::JournalPolicy::advice_verdict)).
    /// A late answer to an attempt already counted unanswered is accepted.
    pub fn on_advice_response(
        &mut self,
        stan: Stan,
        response_code: &str,
        now: u64,
    ) -> Result<AdviceOutcome, JournalError> {
        check_response_code(response_code)?;
        let index = self.advice_index(stan)?;
        let verdict = self.policy.advice_verdict(response_code);
        if let Some(advice) = self.advices.get_mut(index) {
            advice.in_flight = false;
            advice.last_response_code = Some(response_code.to_owned());
        }
        match verdict {
            AdviceVerdict::Done => {
                self.deliver(index, response_code)?;
                Ok(AdviceOutcome::Delivered)
            }
            AdviceVerdict::Retry => self.retry_or_expire(index, now),
            AdviceVerdict::GiveUp => {
                let reason = ExpiryReason::Refused {
                    code: response_code.to_owned(),
                };
                self.expire(index, reason.clone())?;
                Ok(AdviceOutcome::Expired(reason))
            }
        }
    }

    /// The attempt of advice `stan` went unanswered (timeout, link down) at
    /// `now`: it stays queued for a repeat unless its attempts or age are
    /// used up.
    pub fn on_advice_no_response(
        &mut self,
        stan: Stan,
        now: u64,
    ) -> Result<AdviceOutcome, JournalError> {
        let index = self.advice_index(stan)?;
        match self.advices.get_mut(index) {
            Some(advice) if advice.in_flight => advice.in_flight = false,
            _ => return Err(JournalError::AdviceOutOfOrder { stan }),
        }
        self.retry_or_expire(index, now)
    }

    /// Moves every queued advice older than the policy's maximum age at
    /// `now` (and not in flight) to the expired list; returns their STANs.
    pub fn expire_advices(&mut self, now: u64) -> Result<Vec<Stan>, JournalError> {
        let mut expired = Vec::new();
        let mut index = 0;
        while let Some(advice) = self.advices.get(index) {
            if !advice.in_flight && self.too_old(advice, now) {
                expired.push(advice.stan);
                self.expire(index, ExpiryReason::Age)?;
            } else {
                index += 1;
            }
        }
        Ok(expired)
    }

    /// Removes `stan` from the expired list once it was handled by hand,
    /// returning the entry.
    pub fn acknowledge_expired_advice(
        &mut self,
        stan: Stan,
    ) -> Result<ExpiredAdvice, JournalError> {
        let index = self
            .expired
            .iter()
            .position(|e| e.stan == stan)
            .ok_or(JournalError::NoAdvice { stan })?;
        Ok(self.expired.remove(index))
    }

    /// After a restart: an attempt that was in flight counts as unanswered
    /// (the next one is a repeat); one that used the last attempt expires.
    /// Returns whether anything changed.
    pub(crate) fn recover_advices(&mut self) -> bool {
        let mut changed = false;
        let mut index = 0;
        while let Some(advice) = self.advices.get_mut(index) {
            if advice.in_flight {
                advice.in_flight = false;
                changed = true;
                if self.out_of_attempts(index) {
                    let _ = self.expire(index, ExpiryReason::Attempts);
                    continue;
                }
            }
            index += 1;
        }
        changed
    }

    fn advice_index(&self, stan: Stan) -> Result<usize, JournalError> {
        self.advices
            .iter()
            .position(|a| a.stan == stan)
            .ok_or(JournalError::NoAdvice { stan })
    }

    fn too_old(&self, advice: &AdviceRecord, now: u64) -> bool {
        self.policy
            .advice_max_age_secs
            .is_some_and(|max| now.saturating_sub(advice.queued_at) > max)
    }

    fn out_of_attempts(&self, index: usize) -> bool {
        let max = self.policy.advice_attempts;
        max != 0 && self.advices.get(index).is_some_and(|a| a.attempts >= max)
    }

    fn retry_or_expire(&mut self, index: usize, now: u64) -> Result<AdviceOutcome, JournalError> {
        let reason = if self.out_of_attempts(index) {
            ExpiryReason::Attempts
        } else if self
            .advices
            .get(index)
            .is_some_and(|a| self.too_old(a, now))
        {
            ExpiryReason::Age
        } else {
            return Ok(AdviceOutcome::Retry);
        };
        self.expire(index, reason.clone())?;
        Ok(AdviceOutcome::Expired(reason))
    }

    fn deliver(&mut self, index: usize, code: &str) -> Result<(), JournalError> {
        let advice = self.advices.remove(index);
        let record = self.record_mut(advice.stan)?;
        match advice.kind {
            AdviceKind::Financial => {
                record.state = TxnState::Approved;
                record.response_code = Some(code.to_owned());
            }
            AdviceKind::Reversal { .. } => {
                record.state = TxnState::Reversed;
                record.reversal_response_code = Some(code.to_owned());
            }
        }
        self.refresh_originals_of(advice.stan);
        Ok(())
    }

    fn expire(&mut self, index: usize, reason: ExpiryReason) -> Result<(), JournalError> {
        let advice = self.advices.remove(index);
        let batch = self.batch;
        let record = self.record_mut(advice.stan)?;
        record.state = match advice.kind {
            AdviceKind::Financial => TxnState::AdviceExpired,
            AdviceKind::Reversal { .. } => TxnState::ReversalFailed,
        };
        let (original_mti, auth_code) = (record.mti.clone(), record.auth_code.clone());
        let entry = ExpiredAdvice {
            stan: advice.stan,
            batch,
            kind: advice.kind,
            txn_kind: record.kind,
            mti: advice.mti,
            amount: record.amount,
            pan_hint: record.pan_hint.clone(),
            attempts: advice.attempts,
            queued_at: advice.queued_at,
            last_response_code: advice.last_response_code,
            reason,
        };
        if let AdviceKind::Reversal { reason } = advice.kind {
            self.reversals
                .push(crate::flows::journal::reversal::ReversalRecord {
                    stan: advice.stan,
                    original_mti,
                    reason,
                    auth_code,
                    attempts: advice.attempts,
                    in_flight: false,
                    status: ReversalStatus::Failed,
                });
        }
        self.expired.push(entry);
        self.refresh_originals_of(advice.stan);
        Ok(())
    }
}
