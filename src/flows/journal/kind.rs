//! Transaction kinds as the journal sees them (the flows and their codes: `flows` module docs).

use serde::{Deserialize, Serialize};

use crate::flows::journal::policy::JournalPolicy;

/// The kind of a journaled transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum TxnKind {
    /// Purchase (0200).
    Purchase,
    /// Void of a purchase or online completion.
    Void,
    /// Refund (0200 online, or 0220 advice on CUP).
    Refund,
    /// Void of a refund (generic only; CUP forbids it).
    VoidOfRefund,
    /// Pre-authorization (0100).
    PreAuth,
    /// Pre-authorization cancel.
    PreAuthCancel,
    /// Online pre-authorization completion.
    Completion,
    /// Offline completion advice (0220).
    CompletionAdvice,
    /// Void of an online completion.
    CompletionVoid,
    /// Balance inquiry.
    Balance,
    /// Sign-on (0800).
    SignOn,
    /// Echo test.
    Echo,
    /// Settlement request (0500).
    Settlement,
}

/// Which side of the settlement totals a kind counts on (DE 48).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SettlementSide {
    /// Debit: purchases and completions.
    Debit,
    /// Credit: refunds.
    Credit,
}

impl TxnKind {
    /// Every kind, for tests and tables.
    pub const ALL: [TxnKind; 13] = [
        TxnKind::Purchase,
        TxnKind::Void,
        TxnKind::Refund,
        TxnKind::VoidOfRefund,
        TxnKind::PreAuth,
        TxnKind::PreAuthCancel,
        TxnKind::Completion,
        TxnKind::CompletionAdvice,
        TxnKind::CompletionVoid,
        TxnKind::Balance,
        TxnKind::SignOn,
        TxnKind::Echo,
        TxnKind::Settlement,
    ];

    /// Whether a reversal record must be kept while this kind is in flight
    /// ([reversal rule 1](crate::flows::journal#reversals)). Refunds depend on the policy: a CUP refund is a
    /// 0220 advice and is never reversed.
    ///
    /// ```
    /// use iso8583_wire::flows::journal::{JournalPolicy, TxnKind};
    /// assert!(TxnKind::Purchase.is_reversible(&JournalPolicy::cup_pos()));
    /// assert!(!TxnKind::Refund.is_reversible(&JournalPolicy::cup_pos()));
    /// assert!(TxnKind::Refund.is_reversible(&JournalPolicy::generic_1987()));
    /// ```
    pub fn is_reversible(self, policy: &JournalPolicy) -> bool {
        match self {
            TxnKind::Purchase
            | TxnKind::Void
            | TxnKind::PreAuth
            | TxnKind::PreAuthCancel
            | TxnKind::Completion
            | TxnKind::CompletionVoid => true,
            TxnKind::Refund => policy.refund_reversible,
            TxnKind::VoidOfRefund => policy.void_of_refund_allowed,
            TxnKind::CompletionAdvice
            | TxnKind::Balance
            | TxnKind::SignOn
            | TxnKind::Echo
            | TxnKind::Settlement => false,
        }
    }

    /// The settlement side this kind counts on when approved, if any.
    /// Voids never count: they remove their original instead.
    pub fn settlement_side(self) -> Option<SettlementSide> {
        match self {
            TxnKind::Purchase | TxnKind::Completion | TxnKind::CompletionAdvice => {
                Some(SettlementSide::Debit)
            }
            TxnKind::Refund => Some(SettlementSide::Credit),
            _ => None,
        }
    }

    /// Whether the kind needs a successful sign-on first ([business rule 8](crate::flows::journal#business-rules)).
    pub fn requires_sign_on(self) -> bool {
        !matches!(self, TxnKind::SignOn | TxnKind::Echo)
    }

    /// Whether a pending reversal must be sent before this kind.
    ///
    /// Sign-on and echo are exempt: a MAC failure (`A0`) leaves a reversal
    /// pending *and* forces a re-sign-on, which must be able to go first.
    pub fn waits_for_reversals(self) -> bool {
        !matches!(self, TxnKind::SignOn | TxnKind::Echo)
    }

    /// Whether the kind is new financial work, refused while settling.
    pub fn is_financial(self) -> bool {
        !matches!(
            self,
            TxnKind::SignOn | TxnKind::Echo | TxnKind::Settlement | TxnKind::Balance
        )
    }

    /// Whether the kind must reference an original transaction.
    pub fn needs_original(self) -> bool {
        matches!(
            self,
            TxnKind::Void
                | TxnKind::Refund
                | TxnKind::VoidOfRefund
                | TxnKind::PreAuthCancel
                | TxnKind::Completion
                | TxnKind::CompletionAdvice
                | TxnKind::CompletionVoid
        )
    }

    /// Whether the kind cancels its original outright when approved.
    pub fn cancels_original(self) -> bool {
        matches!(
            self,
            TxnKind::Void
                | TxnKind::VoidOfRefund
                | TxnKind::PreAuthCancel
                | TxnKind::CompletionVoid
        )
    }

    /// Whether an amount of zero is acceptable for this kind.
    pub fn allows_zero_amount(self) -> bool {
        matches!(
            self,
            TxnKind::Balance | TxnKind::SignOn | TxnKind::Echo | TxnKind::Settlement
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reversible_kinds_follow_reference_3_3() {
        let cup = JournalPolicy::cup_pos();
        let reversible: Vec<TxnKind> = TxnKind::ALL
            .into_iter()
            .filter(|k| k.is_reversible(&cup))
            .collect();
        assert_eq!(
            reversible,
            vec![
                TxnKind::Purchase,
                TxnKind::Void,
                TxnKind::PreAuth,
                TxnKind::PreAuthCancel,
                TxnKind::Completion,
                TxnKind::CompletionVoid
            ]
        );
    }

    #[test]
    fn settlement_sides() {
        assert_eq!(
            TxnKind::Purchase.settlement_side(),
            Some(SettlementSide::Debit)
        );
        assert_eq!(
            TxnKind::Completion.settlement_side(),
            Some(SettlementSide::Debit)
        );
        assert_eq!(
            TxnKind::Refund.settlement_side(),
            Some(SettlementSide::Credit)
        );
        assert_eq!(TxnKind::Void.settlement_side(), None);
        assert_eq!(TxnKind::PreAuth.settlement_side(), None);
    }

    #[test]
    fn sign_on_is_never_gated() {
        assert!(!TxnKind::SignOn.requires_sign_on());
        assert!(!TxnKind::SignOn.waits_for_reversals());
        assert!(TxnKind::Balance.requires_sign_on());
    }
}
