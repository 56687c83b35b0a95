//! Typed values of the fields every flow reads: DE 3 processing code and DE 90 original data.

#[allow(unused_imports)]
use crate::prelude::*;

use core::fmt;

use super::field::Field;
use super::mti::Mti;

/// DE 3: transaction type (2 digits), from-account type and to-account type (2 digits each).
///
/// ```
/// use iso8583_wire::message::ProcessingCode;
/// let pc: ProcessingCode = "200000".parse().unwrap();
/// assert_eq!(pc.transaction_type, 20);
/// assert_eq!(pc.meaning(), "refund / return");
/// assert_eq!(pc.to_string(), "200000");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProcessingCode {
    /// Transaction type: 00 goods and services, 01 cash, 02 void/adjustment, 03 pre-auth
    /// (UnionPay), 20 refund, 22 void of refund, 30 balance inquiry, 92/96 settlement.
    pub transaction_type: u8,
    /// Account type debited: 00 default, 10 savings, 20 cheque, 30 credit.
    pub from_account: u8,
    /// Account type credited.
    pub to_account: u8,
}

/// Not a six-digit processing code or a 42-digit DE 90.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {0}")]
pub struct BadTypedValue(&'static str);

fn two(d: &[u8]) -> Option<u8> {
    match d {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => Some((a - b'0') * 10 + (b - b'0')),
        _ => None,
    }
}

fn number(d: &[u8]) -> Option<u64> {
    d.iter().try_fold(0u64, |acc, &c| {
        c.is_ascii_digit()
            .then(|| acc.checked_mul(10)?.checked_add(u64::from(c - b'0')))
            .flatten()
    })
}

impl ProcessingCode {
    /// Goods and services (purchase).
    pub const PURCHASE: ProcessingCode = ProcessingCode::new(0);
    /// Void of a purchase (ISO 1987 convention).
    pub const VOID: ProcessingCode = ProcessingCode::new(2);
    /// Pre-authorization (UnionPay).
    pub const PRE_AUTH: ProcessingCode = ProcessingCode::new(3);
    /// Refund / return; also the UnionPay void.
    pub const REFUND: ProcessingCode = ProcessingCode::new(20);
    /// Void of a refund.
    pub const VOID_REFUND: ProcessingCode = ProcessingCode::new(22);
    /// Balance inquiry.
    pub const BALANCE: ProcessingCode = ProcessingCode::new(30);
    /// Settlement (conventional).
    pub const SETTLEMENT: ProcessingCode = ProcessingCode::new(92);

    /// A code with default accounts.
    pub const fn new(transaction_type: u8) -> Self {
        Self {
            transaction_type,
            from_account: 0,
            to_account: 0,
        }
    }

    /// Reads DE 3 from a decoded field.
    pub fn from_field(f: &Field<'_>) -> Option<Self> {
        let s = f.to_small()?;
        s.as_str().parse().ok()
    }

    /// What the transaction type means (generic ISO 1987 reading).
    pub fn meaning(&self) -> &'static str {
        match self.transaction_type {
            0 => "goods and services (purchase)",
            1 => "cash",
            2 => "void / adjustment",
            3 => "pre-authorization",
            20 => "refund / return",
            22 => "void of refund",
            30 => "balance inquiry",
            92 | 96 => "settlement",
            _ => "other",
        }
    }
}

impl core::str::FromStr for ProcessingCode {
    type Err = BadTypedValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        let bad = BadTypedValue("processing code");
        match (b.len(), b.get(0..2), b.get(2..4), b.get(4..6)) {
            (6, Some(t), Some(f), Some(to)) => Ok(Self {
                transaction_type: two(t).ok_or(bad)?,
                from_account: two(f).ok_or(bad)?,
                to_account: two(to).ok_or(bad)?,
            }),
            _ => Err(bad),
        }
    }
}

impl fmt::Display for ProcessingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}{:02}{:02}",
            self.transaction_type, self.from_account, self.to_account
        )
    }
}

/// DE 90 (ISO 8583:1987, n 42): what a reversal points back to.
///
/// ```
/// use iso8583_wire::{Mti, message::OriginalData};
/// let od = OriginalData {
///     mti: Mti::FINANCIAL_REQUEST,
///     stan: 123,
///     transmission: 1122133455,
///     acquirer: 12345,
///     forwarder: 0,
/// };
/// let s = od.to_string();
/// assert_eq!(s, "020000012311221334550000001234500000000000");
/// assert_eq!(s.parse::<OriginalData>().unwrap(), od);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OriginalData {
    /// Original MTI.
    pub mti: Mti,
    /// Original STAN (DE 11).
    pub stan: u32,
    /// Original transmission date and time (DE 7, MMDDhhmmss).
    pub transmission: u64,
    /// Original acquiring institution (DE 32), right-justified, zero-filled.
    pub acquirer: u64,
    /// Original forwarding institution (DE 33), zero when absent.
    pub forwarder: u64,
}

impl OriginalData {
    /// Reads DE 90 from a decoded field.
    pub fn from_field(f: &Field<'_>) -> Option<Self> {
        f.to_small()?.as_str().parse().ok()
    }
}

impl core::str::FromStr for OriginalData {
    type Err = BadTypedValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        let bad = BadTypedValue("DE 90 original data (42 digits)");
        if b.len() != 42 || !b.iter().all(u8::is_ascii_digit) {
            return Err(bad);
        }
        let part = |r: core::ops::Range<usize>| b.get(r).and_then(number).ok_or(bad);
        let mti: [u8; 4] = b.get(0..4).and_then(|m| m.try_into().ok()).ok_or(bad)?;
        Ok(Self {
            mti: Mti::from_digits(mti).map_err(|_| bad)?,
            stan: part(4..10)? as u32,
            transmission: part(10..20)?,
            acquirer: part(20..31)?,
            forwarder: part(31..42)?,
        })
    }
}

impl fmt::Display for OriginalData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{:06}{:010}{:011}{:011}",
            self.mti, self.stan, self.transmission, self.acquirer, self.forwarder
        )
    }
}
