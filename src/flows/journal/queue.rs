//! Sending queued reversals: attempts, repeats and the final outcome
//! (module docs, "Reversals" 3 and 4).

use crate::flows::journal::book::Journal;
use crate::flows::journal::error::JournalError;
use crate::flows::journal::outcome::check_response_code;
use crate::flows::journal::reversal::{ReversalJob, ReversalRecord, ReversalStatus};
use crate::flows::journal::stan::Stan;
use crate::flows::journal::state::TxnState;

impl Journal {
    /// The reversal to send before anything else, if one is due.
    ///
    /// ```
    /// use iso8583_wire::flows::journal::{Journal, JournalPolicy, NewTxn, TxnKind, TxnState};
    /// # use std::sync::Arc;
    /// # use iso8583_wire::flows::journal::{SoftwareKey, Ticket};
    /// # use iso8583_wire::{EncodeError, MessageBuilder, Spec};
    /// # /// A 0200 for 1.00 from T1/M1 with the ticket's STAN.
    /// # fn request(spec: &Spec, t: &Ticket) -> Result<Vec<u8>, EncodeError> {
    /// #     let mut b = MessageBuilder::new(spec);
    /// #     b.mti("0200")?.set(3, "000000")?.set(4, "000000000100")?;
    /// #     b.set(11, t.stan.to_string())?.set(41, "T1")?.set(42, "M1")?;
    /// #     b.encode_to_vec()
    /// # }
    /// # let spec = Spec::builtin("iso87-ascii")?;
    /// # let key = Arc::new(SoftwareKey::from_bytes(1, &[7; 32]));
    /// let mut j = Journal::new(spec.clone(), key, "T1", "M1", JournalPolicy::generic_1987());
    /// j.sign_on(None)?;
    /// let t = j.begin(NewTxn::new(TxnKind::Purchase, 100, "T1", "M1", "0200"), |t| request(&spec, t))?;
    /// j.on_timeout(t.stan)?;
    /// let job = j.next_reversal().ok_or(iso8583_wire::flows::journal::JournalError::NoReversal { stan: t.stan })?;
    /// assert_eq!((job.reason.code(), job.attempt, job.mti()), ("98", 1, "0400"));
    /// assert_eq!(j.original(job.stan)?.request().get(..4), Some(&b"0200"[..]));
    /// j.on_reversal_sent(t.stan)?;
    /// assert_eq!(j.on_reversal_response(t.stan, "00")?, TxnState::Reversed);
    /// assert!(j.next_reversal().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_reversal(&self) -> Option<ReversalJob> {
        let record = self
            .reversals
            .iter()
            .find(|r| r.status == ReversalStatus::Due)?;
        Some(ReversalJob {
            stan: record.stan,
            original_mti: record.original_mti.clone(),
            reason: record.reason,
            auth_code: record.auth_code.clone(),
            attempt: record.attempts.saturating_add(1),
            repeat: self.policy.reversal_repeat_mti && record.attempts > 0,
        })
    }

    /// Counts an attempt of the reversal of `stan`; call it before
    /// transmitting, so a crash cannot hide an attempt.
    pub fn on_reversal_sent(&mut self, stan: Stan) -> Result<(), JournalError> {
        let max = self.policy.reversal_attempts();
        let reversal = self.due_record(stan)?;
        if reversal.in_flight || reversal.attempts >= max {
            return Err(JournalError::ReversalOutOfOrder { stan });
        }
        reversal.attempts += 1;
        reversal.in_flight = true;
        Ok(())
    }

    /// The host answered the reversal (any DE 39 ends the loop): the
    /// transaction is [`TxnState::Reversed`]. Also accepted for a reversal
    /// that had already failed, resolving it.
    pub fn on_reversal_response(
        &mut self,
        stan: Stan,
        response_code: &str,
    ) -> Result<TxnState, JournalError> {
        check_response_code(response_code)?;
        let reversal = self.reversal(stan)?;
        if reversal.status == ReversalStatus::Armed {
            return Err(JournalError::ReversalNotDue { stan });
        }
        let record = self.record_mut(stan)?;
        record.state = TxnState::Reversed;
        record.reversal_response_code = Some(response_code.to_owned());
        self.reversals.retain(|r| r.stan != stan);
        self.refresh_originals_of(stan);
        Ok(TxnState::Reversed)
    }

    /// The reversal attempt went unanswered. While attempts remain the
    /// reversal stays due; after the last one it is marked failed, the
    /// transaction becomes [`TxnState::ReversalFailed`] (manual
    /// reconciliation) and it no longer blocks other messages.
    pub fn on_reversal_no_response(&mut self, stan: Stan) -> Result<TxnState, JournalError> {
        let max = self.policy.reversal_attempts();
        let reversal = self.due_record(stan)?;
        if !reversal.in_flight {
            return Err(JournalError::ReversalOutOfOrder { stan });
        }
        reversal.in_flight = false;
        if reversal.attempts < max {
            return self
                .txn(stan)
                .map(|t| t.state)
                .ok_or(JournalError::UnknownTxn { stan });
        }
        reversal.status = ReversalStatus::Failed;
        let record = self.record_mut(stan)?;
        record.state = TxnState::ReversalFailed;
        Ok(TxnState::ReversalFailed)
    }

    fn reversal(&self, stan: Stan) -> Result<&ReversalRecord, JournalError> {
        self.reversals
            .iter()
            .find(|r| r.stan == stan)
            .ok_or(JournalError::NoReversal { stan })
    }

    fn due_record(&mut self, stan: Stan) -> Result<&mut ReversalRecord, JournalError> {
        let reversal = self
            .reversals
            .iter_mut()
            .find(|r| r.stan == stan)
            .ok_or(JournalError::NoReversal { stan })?;
        if reversal.status != ReversalStatus::Due {
            return Err(JournalError::ReversalNotDue { stan });
        }
        Ok(reversal)
    }
}
