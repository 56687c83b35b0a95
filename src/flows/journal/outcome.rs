//! Outcomes of a journaled request: response, timeout, MAC failure, card
//! decline after approval (module docs, "Reversals" 2).

use crate::flows::journal::book::Journal;
use crate::flows::journal::error::JournalError;
use crate::flows::journal::reversal::{ReversalReason, ReversalRecord, ReversalStatus};
use crate::flows::journal::stan::Stan;
use crate::flows::journal::state::TxnState;

/// Checks that a DE 39 value is two ASCII alphanumerics.
pub(crate) fn check_response_code(code: &str) -> Result<(), JournalError> {
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(JournalError::InvalidResponseCode {
            code: code.to_owned(),
        })
    }
}

impl Journal {
    /// Records the host's response to `stan`.
    ///
    /// Approval codes (`00`, `10`, `11`, plus the policy's extras) give
    /// [`TxnState::Approved`], anything else [`TxnState::Declined`]. Any
    /// valid response deletes the armed reversal record. The original of a
    /// void or refund is updated. `99` and `A0` cancel the sign-on.
    ///
    /// A response is accepted for a transaction in [`TxnState::Sent`], or
    /// for an [`TxnState::Uncertain`] advice that was repeated. A late
    /// response to a reversible transaction whose reversal is queued is
    /// refused: the reversal decides.
    pub fn on_response(
        &mut self,
        stan: Stan,
        response_code: &str,
        rrn: Option<String>,
        auth_code: Option<String>,
    ) -> Result<TxnState, JournalError> {
        check_response_code(response_code)?;
        let approved = self.policy.is_approval(response_code);
        let reversible_kinds = self.policy.clone();
        if self.advices.iter().any(|a| a.stan == stan) {
            return Err(JournalError::UnexpectedState {
                stan,
                state: TxnState::Uncertain,
                operation: "response outside store-and-forward (use on_advice_response)",
            });
        }
        let record = self.record_mut(stan)?;
        let accepts = record.state == TxnState::Sent
            || (record.state == TxnState::Uncertain
                && !record.kind.is_reversible(&reversible_kinds));
        if !accepts {
            return Err(JournalError::UnexpectedState {
                stan,
                state: record.state,
                operation: "response",
            });
        }
        record.state = if approved {
            TxnState::Approved
        } else {
            TxnState::Declined
        };
        record.response_code = Some(response_code.to_owned());
        record.rrn = rrn;
        record.auth_code = auth_code;
        let state = record.state;
        self.reversals.retain(|r| r.stan != stan);
        if matches!(response_code, "99" | "A0") {
            self.signed_on = false;
        }
        self.refresh_originals_of(stan);
        Ok(state)
    }

    /// Records the host's response message to `stan`: reads DE 39, DE 37
    /// and DE 38 from it (its MTI must answer the request's, DE 11 must be
    /// `stan`: else [`JournalError::Mismatch`]) and applies them as
    /// [`on_response`](Self::on_response) does, then keeps the response
    /// without card data so that [`original`](Self::original) can hand it
    /// to the void, refund and completion builders later, after a restart
    /// too.
    pub fn on_response_message(
        &mut self,
        stan: Stan,
        response: &[u8],
    ) -> Result<TxnState, JournalError> {
        let mti = self
            .txns
            .get(&stan)
            .ok_or(JournalError::UnknownTxn { stan })?
            .mti
            .clone();
        let checked =
            crate::flows::journal::saved::check_response(&self.spec, &mti, stan, response)?;
        let state = self.on_response(stan, &checked.code, checked.rrn, checked.auth_code)?;
        self.record_mut(stan)?.response = Some(checked.stored);
        Ok(state)
    }

    /// No response in time: a reversible transaction becomes
    /// [`TxnState::Uncertain`] with its reversal due (reason `98`). An
    /// unanswered advice (CUP refund, completion advice) stays uncertain
    /// until a repeat is answered; an inquiry or management message is
    /// simply marked declined.
    pub fn on_timeout(&mut self, stan: Stan) -> Result<TxnState, JournalError> {
        self.fail_in_flight(stan, ReversalReason::Timeout, TxnState::Uncertain)
    }

    /// The response's MAC did not verify: a reversible transaction becomes
    /// [`TxnState::ReversalPending`] (reason `A0`) and the terminal must
    /// sign on again.
    pub fn on_mac_failure(&mut self, stan: Stan) -> Result<TxnState, JournalError> {
        let state =
            self.fail_in_flight(stan, ReversalReason::MacFailure, TxnState::ReversalPending)?;
        self.signed_on = false;
        Ok(state)
    }

    /// The card declined a transaction the host approved (EMV second
    /// GENERATE AC): the transaction becomes [`TxnState::ReversalPending`]
    /// with reason `06`, the received auth code carried into the reversal.
    pub fn on_card_declined_after_approval(
        &mut self,
        stan: Stan,
    ) -> Result<TxnState, JournalError> {
        let reversible = {
            let record = self
                .txns
                .get(&stan)
                .ok_or(JournalError::UnknownTxn { stan })?;
            record.kind.is_reversible(&self.policy)
        };
        let busy = self.children(stan).any(|c| c.state.may_have_effect());
        let record = self.record_mut(stan)?;
        if record.state != TxnState::Approved || !reversible || busy {
            return Err(JournalError::UnexpectedState {
                stan,
                state: record.state,
                operation: "card decline after approval",
            });
        }
        record.state = TxnState::ReversalPending;
        let reversal = ReversalRecord {
            stan,
            original_mti: record.mti.clone(),
            reason: ReversalReason::Other,
            auth_code: record.auth_code.clone(),
            attempts: 0,
            in_flight: false,
            status: ReversalStatus::Due,
        };
        self.reversals.retain(|r| r.stan != stan);
        self.reversals.push(reversal);
        self.refresh_originals_of(stan);
        Ok(TxnState::ReversalPending)
    }

    fn fail_in_flight(
        &mut self,
        stan: Stan,
        reason: ReversalReason,
        reversible_state: TxnState,
    ) -> Result<TxnState, JournalError> {
        let policy = self.policy.clone();
        let record = self.record_mut(stan)?;
        if record.state != TxnState::Sent {
            return Err(JournalError::UnexpectedState {
                stan,
                state: record.state,
                operation: "timeout or MAC failure",
            });
        }
        if !record.kind.is_reversible(&policy) {
            record.state = if record.kind.settlement_side().is_some() {
                TxnState::Uncertain
            } else {
                TxnState::Declined
            };
            return Ok(record.state);
        }
        record.state = reversible_state;
        match self.reversals.iter_mut().find(|r| r.stan == stan) {
            Some(reversal) => {
                reversal.reason = reason;
                reversal.status = ReversalStatus::Due;
            }
            None => return Err(JournalError::NoReversal { stan }),
        }
        Ok(reversible_state)
    }
}

impl Journal {
    /// Recovery after a restart: every transaction still
    /// [`TxnState::Sent`] is treated as timed out (its request may have
    /// reached the host, so a reversible one becomes reversal-due), and a
    /// reversal attempt left in flight counts as unanswered. Returns
    /// whether anything changed. [`FileJournal::open`] calls this.
    ///
    /// [`FileJournal::open`]: crate::flows::journal::FileJournal::open
    ///
    /// ```
    /// use iso8583_wire::flows::journal::{Journal, JournalError, JournalPolicy, NewTxn, TxnKind};
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
    /// assert!(j.recover());
    /// assert_eq!(j.due_reversal(), Some(t.stan));
    /// let again = j.begin(NewTxn::new(TxnKind::Purchase, 100, "T1", "M1", "0200"), |t| request(&spec, t));
    /// assert!(matches!(again, Err(JournalError::ReversalPending { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recover(&mut self) -> bool {
        let mut changed = false;
        let sent: Vec<Stan> = self
            .txns
            .values()
            .filter(|t| t.state == TxnState::Sent)
            .map(|t| t.stan)
            .collect();
        for stan in sent {
            changed |= self.on_timeout(stan).is_ok();
        }
        let in_flight: Vec<Stan> = self
            .reversals
            .iter()
            .filter(|r| r.in_flight && r.status == ReversalStatus::Due)
            .map(|r| r.stan)
            .collect();
        for stan in in_flight {
            changed |= self.on_reversal_no_response(stan).is_ok();
        }
        changed |= self.recover_advices();
        changed
    }
}
