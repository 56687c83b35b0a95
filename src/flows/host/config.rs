//! Host ledger settings.

use serde::{Deserialize, Serialize};

use crate::flows::host::key::KeyProfile;

/// Settings of the host ledger.
///
/// Times are whole seconds. The three windows decide how long the ledger
/// remembers a transaction:
///
/// - `duplicate_window`: a resend of a request is recognised (same answer,
///   same RRN) for at least this long after the request first arrived;
/// - `early_reversal_window`: a reversal that arrives before its original is
///   remembered this long; an original that turns up inside the window is
///   declined with `late_original_code`;
/// - `retention`: a settled batch's entries are kept this long after
///   settlement (so refunds by RRN and reversals still find them), then
///   pruned.
///
/// An entry is pruned only once all three have passed for it, so the
/// duplicate window holds even when `retention` is shorter. Entries of a
/// batch that is never settled are never pruned: memory stays bounded as long
/// as terminals settle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HostConfig {
    /// Which fields form the matching key.
    pub profile: KeyProfile,
    /// Purchases up to this amount approve; above it they decline `51`.
    pub purchase_limit: u64,
    /// Code for a refund above the remaining amount (`13` or `64`).
    pub refund_over_code: String,
    /// Code for an original that arrives after its reversal (default `12`).
    pub late_original_code: String,
    /// Code when the ledger cannot record a decision (store unreachable):
    /// a retryable decline, `91` on the generic profile, `96` on UnionPay.
    pub unavailable_code: String,
    /// How long a resend is recognised after the first request, seconds.
    pub duplicate_window: u64,
    /// How long a reversal of an unknown original is remembered, seconds.
    pub early_reversal_window: u64,
    /// How long settled entries are kept after settlement, seconds.
    pub retention: u64,
}

impl HostConfig {
    /// Generic profile: key DE 41 + DE 11, limit 100 000.00, refunds over
    /// the remainder decline `13`, store failures `91`; duplicate and
    /// early-reversal windows 24 hours, retention 7 days.
    pub fn generic() -> HostConfig {
        HostConfig {
            profile: KeyProfile::TerminalStan,
            purchase_limit: 10_000_000,
            refund_over_code: String::from("13"),
            late_original_code: String::from("12"),
            unavailable_code: String::from("91"),
            duplicate_window: 86_400,
            early_reversal_window: 86_400,
            retention: 7 * 86_400,
        }
    }

    /// UnionPay profile: key DE 41 + DE 42 + 60.2 + DE 11, store failures
    /// `96`.
    pub fn cup() -> HostConfig {
        HostConfig {
            profile: KeyProfile::Cup,
            unavailable_code: String::from("96"),
            ..HostConfig::generic()
        }
    }

    /// Sets the purchase limit.
    pub fn with_purchase_limit(mut self, limit: u64) -> HostConfig {
        self.purchase_limit = limit;
        self
    }

    /// Sets the refund-over-remaining code.
    pub fn with_refund_over_code(mut self, code: impl Into<String>) -> HostConfig {
        self.refund_over_code = code.into();
        self
    }

    /// Sets the retryable decline given when the store is unreachable.
    pub fn with_unavailable_code(mut self, code: impl Into<String>) -> HostConfig {
        self.unavailable_code = code.into();
        self
    }

    /// Sets the duplicate, early-reversal and retention windows, seconds.
    pub fn with_windows(
        mut self,
        duplicate: u64,
        early_reversal: u64,
        retention: u64,
    ) -> HostConfig {
        self.duplicate_window = duplicate;
        self.early_reversal_window = early_reversal;
        self.retention = retention;
        self
    }

    /// How long after settlement an entry is kept: the longest window.
    pub fn keep_after_settlement(&self) -> u64 {
        self.retention
            .max(self.duplicate_window)
            .max(self.early_reversal_window)
    }
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig::generic()
    }
}
