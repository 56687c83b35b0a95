//! System trace audit numbers (DE 11, n6) and their allocator.
//!
//! Business rule 7 (module docs): the STAN runs `000001..=999999`, wraps, and is
//! incremented per new message. Reversals and repeats reuse the original.

use core::fmt;

use serde::{Deserialize, Serialize};

/// Highest STAN value (n6).
pub const STAN_MAX: u32 = 999_999;

/// A system trace audit number in `1..=999_999`.
///
/// ```
/// use iso8583_wire::flows::journal::Stan;
/// let stan = Stan::new(42).ok_or("out of range")?;
/// assert_eq!(stan.to_string(), "000042");
/// assert_eq!(Stan::new(999_999).map(Stan::next), Stan::new(1));
/// assert_eq!(Stan::new(0), None);
/// # Ok::<(), &str>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Stan(u32);

impl Stan {
    /// The first STAN of the range.
    pub const FIRST: Stan = Stan(1);

    /// Returns the STAN for `value`, or `None` outside `1..=999_999`.
    pub fn new(value: u32) -> Option<Stan> {
        (1..=STAN_MAX).contains(&value).then_some(Stan(value))
    }

    /// The numeric value.
    pub fn get(self) -> u32 {
        self.0
    }

    /// The following STAN, wrapping from 999999 to 000001.
    pub fn next(self) -> Stan {
        if self.0 >= STAN_MAX {
            Stan::FIRST
        } else {
            Stan(self.0 + 1)
        }
    }
}

impl fmt::Display for Stan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl From<Stan> for u32 {
    fn from(stan: Stan) -> u32 {
        stan.0
    }
}

impl TryFrom<u32> for Stan {
    type Error = String;

    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Stan::new(value).ok_or_else(|| format!("STAN {value} outside 1..=999999"))
    }
}

/// Hands out STANs in order, wrapping, skipping values still in use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StanAllocator {
    /// The last STAN handed out; `None` before the first allocation.
    last: Option<Stan>,
}

impl StanAllocator {
    /// A fresh allocator whose first STAN is `000001`.
    pub fn new() -> StanAllocator {
        StanAllocator { last: None }
    }

    /// An allocator whose next STAN follows `last`.
    pub fn starting_after(last: Stan) -> StanAllocator {
        StanAllocator { last: Some(last) }
    }

    /// The last STAN handed out.
    pub fn last(&self) -> Option<Stan> {
        self.last
    }

    /// The STAN that [`allocate`](Self::allocate) would return, without
    /// consuming it; `None` when every STAN is in use.
    pub fn peek(&self, in_use: impl Fn(Stan) -> bool) -> Option<Stan> {
        let mut candidate = self.last.map_or(Stan::FIRST, Stan::next);
        for _ in 0..STAN_MAX {
            if !in_use(candidate) {
                return Some(candidate);
            }
            candidate = candidate.next();
        }
        None
    }

    /// Allocates the next STAN not reported as `in_use`; `None` when all
    /// 999999 values are taken (the batch is full).
    pub fn allocate(&mut self, in_use: impl Fn(Stan) -> bool) -> Option<Stan> {
        let stan = self.peek(in_use)?;
        self.last = Some(stan);
        Some(stan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_values() {
        assert_eq!(Stan::new(0), None);
        assert_eq!(Stan::new(1_000_000), None);
        assert_eq!(Stan::new(999_999).map(Stan::get), Some(999_999));
    }

    #[test]
    fn allocates_in_order_from_one() {
        let mut a = StanAllocator::new();
        assert_eq!(a.allocate(|_| false), Stan::new(1));
        assert_eq!(a.allocate(|_| false), Stan::new(2));
    }

    #[test]
    fn wraps_after_999999() {
        let mut a = StanAllocator::starting_after(Stan(999_998));
        assert_eq!(a.allocate(|_| false), Stan::new(999_999));
        assert_eq!(a.allocate(|_| false), Stan::new(1));
    }

    #[test]
    fn skips_stans_in_use() {
        let mut a = StanAllocator::starting_after(Stan(999_999));
        let used = [Stan(1), Stan(2)];
        assert_eq!(a.allocate(|s| used.contains(&s)), Stan::new(3));
    }

    #[test]
    fn reports_full_when_everything_is_used() {
        let mut a = StanAllocator::new();
        assert_eq!(a.allocate(|_| true), None);
        assert_eq!(a.last(), None);
    }

    #[test]
    fn serde_rejects_zero() {
        assert!(serde_json::from_str::<Stan>("0").is_err());
        assert_eq!(serde_json::from_str::<Stan>("7").ok(), Stan::new(7));
    }
}
