//! Matching keys for the host.
//!
//! A transaction is known by its terminal (DE 41), merchant (DE 42), batch (60.2, UnionPay)
//! and STAN (DE 11). A resent request carries the same key and is answered with the first
//! answer; a reversal repeats its original's STAN, terminal, merchant and batch, so it finds
//! the original by the same key.

use serde::{Deserialize, Serialize};

/// The key fields of a request as received.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TxnKey {
    /// DE 41 terminal id.
    pub terminal: String,
    /// DE 42 merchant id.
    pub merchant: String,
    /// 60.2 batch number (CUP); `None` where the profile has none.
    pub batch: Option<u32>,
    /// DE 11 STAN.
    pub stan: u32,
}

impl TxnKey {
    /// A key from its parts.
    pub fn new(
        terminal: impl Into<String>,
        merchant: impl Into<String>,
        batch: Option<u32>,
        stan: u32,
    ) -> TxnKey {
        TxnKey {
            terminal: terminal.into(),
            merchant: merchant.into(),
            batch,
            stan,
        }
    }
}

/// Which key fields identify a transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum KeyProfile {
    /// DE 41 + DE 11 (generic default).
    #[default]
    TerminalStan,
    /// DE 41 + DE 42 + 60.2 batch + DE 11 (UnionPay).
    Cup,
}

/// A key reduced to the fields the profile compares.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MatchKey {
    terminal: String,
    merchant: Option<String>,
    batch: Option<u32>,
    stan: u32,
}

impl MatchKey {
    /// DE 41 terminal id.
    pub fn terminal(&self) -> &str {
        &self.terminal
    }

    /// DE 42 merchant id, where the profile matches on it.
    pub fn merchant(&self) -> Option<&str> {
        self.merchant.as_deref()
    }

    /// 60.2 batch number, where the profile matches on it.
    pub fn batch(&self) -> Option<u32> {
        self.batch
    }

    /// DE 11 STAN.
    pub fn stan(&self) -> u32 {
        self.stan
    }
}

impl KeyProfile {
    /// Reduces `key` to the fields this profile matches on.
    ///
    /// ```
    /// use iso8583_wire::flows::host::{KeyProfile, TxnKey};
    /// let a = TxnKey::new("T1", "M1", Some(1), 7);
    /// let b = TxnKey::new("T1", "M2", Some(2), 7);
    /// assert_eq!(KeyProfile::TerminalStan.match_key(&a), KeyProfile::TerminalStan.match_key(&b));
    /// assert_ne!(KeyProfile::Cup.match_key(&a), KeyProfile::Cup.match_key(&b));
    /// ```
    pub fn match_key(self, key: &TxnKey) -> MatchKey {
        match self {
            KeyProfile::TerminalStan => MatchKey {
                terminal: key.terminal.clone(),
                merchant: None,
                batch: None,
                stan: key.stan,
            },
            KeyProfile::Cup => MatchKey {
                terminal: key.terminal.clone(),
                merchant: Some(key.merchant.clone()),
                batch: key.batch,
                stan: key.stan,
            },
        }
    }
}
