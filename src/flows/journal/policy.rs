//! Per-profile journal rules (generic ISO 1987 vs UnionPay POS).

use serde::{Deserialize, Serialize};

/// Profile-dependent choices the journal enforces.
///
/// ```
/// use iso8583_wire::flows::journal::JournalPolicy;
/// let cup = JournalPolicy::cup_pos();
/// assert!(!cup.void_of_refund_allowed);
/// assert_eq!(cup.reversal_attempts(), 3);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JournalPolicy {
    /// Whether a refund may be voided (generic `22xxxx`; CUP: no).
    pub void_of_refund_allowed: bool,
    /// Whether a refund is reversible (generic online 0200: yes; CUP 0220
    /// advice: no).
    pub refund_reversible: bool,
    /// Resends after the first reversal attempt (CUP default 2 = 3 attempts).
    pub reversal_resends: u32,
    /// Whether resends use the repeat MTI (0400 -> 0401, generic) or the
    /// same content and MTI again (CUP).
    pub reversal_repeat_mti: bool,
    /// Completion may exceed the pre-auth by this many percent.
    pub completion_tolerance_percent: u32,
    /// Response codes approved in addition to `00`, `10` and `11`.
    pub extra_approval_codes: Vec<String>,
    /// Whether repeats of a store-and-forward advice use the repeat MTI
    /// (0220 -> 0221, 0420 -> 0421) or resend the first MTI.
    #[serde(default = "yes")]
    pub advice_repeat_mti: bool,
    /// Total attempts of a store-and-forward advice (first send included)
    /// before it is moved to the expired list. `0` means no limit.
    #[serde(default = "default_advice_attempts")]
    pub advice_attempts: u32,
    /// Age in seconds (from when it was queued) after which an advice that
    /// is still undelivered is moved to the expired list. `None`: no limit.
    #[serde(default = "default_advice_max_age")]
    pub advice_max_age_secs: Option<u64>,
    /// Advice response codes meaning "the host could not take it now, send
    /// again later" (default `68`, `90`, `91`, `96`: late response, cutoff
    /// in progress, issuer or switch inoperative, system malfunction).
    #[serde(default = "default_advice_retry_codes")]
    pub advice_retry_codes: Vec<String>,
    /// Advice response codes meaning "delivered" besides the approvals
    /// (default `94`, duplicate transmission: the host already has it).
    /// Any other code means the host refused the advice: it is moved to the
    /// expired list for manual handling.
    #[serde(default = "default_advice_done_codes")]
    pub advice_done_codes: Vec<String>,
}

fn yes() -> bool {
    true
}

fn default_advice_attempts() -> u32 {
    10
}

fn default_advice_max_age() -> Option<u64> {
    Some(7 * 24 * 3600)
}

fn default_advice_retry_codes() -> Vec<String> {
    ["68", "90", "91", "96"].map(String::from).to_vec()
}

fn default_advice_done_codes() -> Vec<String> {
    vec![String::from("94")]
}

/// What an advice response code means under a [`JournalPolicy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AdviceVerdict {
    /// Delivered: the advice leaves the queue.
    Done,
    /// Not taken now: the advice stays at the head of the queue.
    Retry,
    /// Refused: the advice goes to the expired list for manual handling.
    GiveUp,
}

impl JournalPolicy {
    /// Generic ISO 8583:1987 / jPOS conventions.
    pub fn generic_1987() -> JournalPolicy {
        JournalPolicy {
            void_of_refund_allowed: true,
            refund_reversible: true,
            reversal_resends: 2,
            reversal_repeat_mti: true,
            completion_tolerance_percent: 0,
            extra_approval_codes: Vec::new(),
            advice_repeat_mti: true,
            advice_attempts: default_advice_attempts(),
            advice_max_age_secs: default_advice_max_age(),
            advice_retry_codes: default_advice_retry_codes(),
            advice_done_codes: default_advice_done_codes(),
        }
    }

    /// UnionPay POS terminals, as their terminal software behaves: refunds are 0220 advices, never
    /// reversed, a refund cannot be voided, and a reversal is resent twice (three attempts).
    pub fn cup_pos() -> JournalPolicy {
        JournalPolicy {
            void_of_refund_allowed: false,
            refund_reversible: false,
            reversal_resends: 2,
            reversal_repeat_mti: false,
            completion_tolerance_percent: 0,
            extra_approval_codes: ["A2", "A4", "A5", "A6"].map(String::from).to_vec(),
            advice_repeat_mti: false,
            advice_attempts: default_advice_attempts(),
            advice_max_age_secs: default_advice_max_age(),
            advice_retry_codes: default_advice_retry_codes(),
            advice_done_codes: default_advice_done_codes(),
        }
    }

    /// Total reversal attempts: the first send plus the resends.
    pub fn reversal_attempts(&self) -> u32 {
        self.reversal_resends.saturating_add(1)
    }

    /// Whether a DE 39 response code means approved under this policy.
    ///
    /// ```
    /// use iso8583_wire::flows::journal::JournalPolicy;
    /// assert!(JournalPolicy::cup_pos().is_approval("A2"));
    /// assert!(!JournalPolicy::generic_1987().is_approval("A2"));
    /// assert!(JournalPolicy::generic_1987().is_approval("10"));
    /// ```
    pub fn is_approval(&self, code: &str) -> bool {
        matches!(code, "00" | "10" | "11") || self.extra_approval_codes.iter().any(|c| c == code)
    }

    /// How a store-and-forward advice answered with `code` is handled:
    /// approvals and [`advice_done_codes`](Self::advice_done_codes) are
    /// done, [`advice_retry_codes`](Self::advice_retry_codes) retry, any
    /// other code gives up (manual handling).
    ///
    /// ```
    /// use iso8583_wire::flows::journal::{AdviceVerdict, JournalPolicy};
    /// let p = JournalPolicy::generic_1987();
    /// assert_eq!(p.advice_verdict("00"), AdviceVerdict::Done);
    /// assert_eq!(p.advice_verdict("94"), AdviceVerdict::Done);
    /// assert_eq!(p.advice_verdict("91"), AdviceVerdict::Retry);
    /// assert_eq!(p.advice_verdict("05"), AdviceVerdict::GiveUp);
    /// ```
    pub fn advice_verdict(&self, code: &str) -> AdviceVerdict {
        if self.is_approval(code) || self.advice_done_codes.iter().any(|c| c == code) {
            AdviceVerdict::Done
        } else if self.advice_retry_codes.iter().any(|c| c == code) {
            AdviceVerdict::Retry
        } else {
            AdviceVerdict::GiveUp
        }
    }

    /// The largest completion amount allowed for a pre-auth of `preauth`.
    pub fn completion_limit(&self, preauth: u64) -> u64 {
        let limit =
            u128::from(preauth) * (100 + u128::from(self.completion_tolerance_percent)) / 100;
        u64::try_from(limit).unwrap_or(u64::MAX)
    }
}

impl Default for JournalPolicy {
    fn default() -> Self {
        JournalPolicy::generic_1987()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_limit_applies_tolerance() {
        let mut p = JournalPolicy::generic_1987();
        assert_eq!(p.completion_limit(10_000), 10_000);
        p.completion_tolerance_percent = 15;
        assert_eq!(p.completion_limit(10_000), 11_500);
        assert_eq!(p.completion_limit(u64::MAX), u64::MAX);
    }

    #[test]
    fn policy_round_trips_through_json() -> Result<(), serde_json::Error> {
        let p = JournalPolicy::cup_pos();
        let back: JournalPolicy = serde_json::from_str(&serde_json::to_string(&p)?)?;
        assert_eq!(back, p);
        Ok(())
    }
}
