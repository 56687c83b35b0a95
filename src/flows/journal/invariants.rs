//! Consistency checks run on every load and by the tests.

use std::collections::BTreeSet;

use crate::flows::journal::advice::AdviceKind;
use crate::flows::journal::book::{BATCH_MAX, Journal};
use crate::flows::journal::error::JournalError;
use crate::flows::journal::kind::TxnKind;
use crate::flows::journal::reversal::ReversalStatus;
use crate::flows::journal::rules::refund_exposure;
use crate::flows::journal::state::TxnState;

impl Journal {
    /// Checks the journal's invariants:
    ///
    /// - the batch number is valid and every record is keyed by its STAN;
    /// - a reversible transaction in flight has an armed reversal; one that
    ///   is uncertain or pending reversal has a due reversal; one whose
    ///   reversal failed has a failed record; no reversal lacks its record;
    /// - every queued advice belongs to a transaction still waiting for
    ///   it, once, and a reversal advice stands in for a reversal record;
    /// - refunds (approved and in flight) never exceed their original;
    /// - at most one cancelling transaction (void, cancel) per original
    ///   may have effect.
    ///
    /// Returns [`JournalError::Corrupt`] naming the first violation.
    pub fn verify(&self) -> Result<(), JournalError> {
        let fail = |msg: String| Err(JournalError::Corrupt(msg));
        if !(1..=BATCH_MAX).contains(&self.batch) {
            return fail(format!("batch {} out of range", self.batch));
        }
        let mut seen = BTreeSet::new();
        for r in &self.reversals {
            if !seen.insert(r.stan) {
                return fail(format!("two reversal records for STAN {}", r.stan));
            }
            let Some(t) = self.txns.get(&r.stan) else {
                return fail(format!("reversal for unknown STAN {}", r.stan));
            };
            let ok = match r.status {
                ReversalStatus::Armed => t.state == TxnState::Sent,
                ReversalStatus::Due => {
                    matches!(t.state, TxnState::Uncertain | TxnState::ReversalPending)
                }
                ReversalStatus::Failed => t.state == TxnState::ReversalFailed,
            };
            if !ok {
                return fail(format!(
                    "reversal {:?} of STAN {} in state {:?}",
                    r.status, r.stan, t.state
                ));
            }
        }
        let mut queued = BTreeSet::new();
        for a in &self.advices {
            if !queued.insert(a.stan) || seen.contains(&a.stan) {
                return fail(format!(
                    "advice STAN {} queued twice or also a reversal",
                    a.stan
                ));
            }
            let Some(t) = self.txns.get(&a.stan) else {
                return fail(format!("advice for unknown STAN {}", a.stan));
            };
            let ok = match a.kind {
                AdviceKind::Financial => t.state == TxnState::Uncertain,
                AdviceKind::Reversal { .. } => {
                    matches!(t.state, TxnState::Uncertain | TxnState::ReversalPending)
                }
            };
            if !ok {
                return fail(format!("advice of STAN {} in state {:?}", a.stan, t.state));
            }
        }
        for (stan, t) in &self.txns {
            if *stan != t.stan {
                return fail(format!("record {} stored under STAN {}", t.stan, stan));
            }
            let needs_reversal = match t.state {
                TxnState::Sent | TxnState::Uncertain => t.kind.is_reversible(&self.policy),
                TxnState::ReversalPending | TxnState::ReversalFailed => true,
                _ => false,
            };
            let reversal_advice = self
                .advices
                .iter()
                .any(|a| a.stan == *stan && matches!(a.kind, AdviceKind::Reversal { .. }));
            if needs_reversal && !seen.contains(stan) && !reversal_advice {
                return fail(format!(
                    "STAN {stan} ({:?}) has no reversal record",
                    t.state
                ));
            }
            let exposure = refund_exposure(self, *stan);
            if exposure > t.amount {
                return fail(format!(
                    "refunds {exposure} exceed original {} of STAN {stan}",
                    t.amount
                ));
            }
            let cancels = self
                .children(*stan)
                .filter(|c| c.kind.cancels_original() && c.state.may_have_effect())
                .count();
            if cancels > 1 {
                return fail(format!("STAN {stan} has {cancels} live voids"));
            }
            if t.kind == TxnKind::Refund
                && t.state.is_live_approval()
                && t.original.is_some_and(|o| !self.txns.contains_key(&o))
            {
                return fail(format!("refund {stan} references a missing original"));
            }
        }
        Ok(())
    }
}
