//! Host simulator settings.

use serde::{Deserialize, Serialize};

use crate::flows::host::key::KeyProfile;

/// Settings of the host simulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HostConfig {
    /// Which fields form the matching key.
    pub profile: KeyProfile,
    /// Purchases up to this amount approve; above it they decline `51`.
    pub purchase_limit: u64,
    /// Code for a refund above the remaining amount (`13` or `64`).
    pub refund_over_code: String,
}

impl HostConfig {
    /// Generic profile: key DE 41 + DE 11, limit 100 000.00, refunds over
    /// the remainder decline `13`.
    pub fn generic() -> HostConfig {
        HostConfig {
            profile: KeyProfile::TerminalStan,
            purchase_limit: 10_000_000,
            refund_over_code: String::from("13"),
        }
    }

    /// UnionPay profile: key DE 41 + DE 42 + 60.2 + DE 11.
    pub fn cup() -> HostConfig {
        HostConfig {
            profile: KeyProfile::Cup,
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
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig::generic()
    }
}
