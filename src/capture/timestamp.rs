//! Packet timestamps.

use std::fmt;

const NANOS_PER_SEC: u32 = 1_000_000_000;

/// A capture timestamp: seconds since the Unix epoch and nanoseconds (`< 1e9`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    pub secs: u64,
    /// Nanoseconds, always below 1 000 000 000.
    pub nanos: u32,
}

impl Timestamp {
    /// A timestamp; nanoseconds of a second or more carry into `secs`.
    pub const fn new(secs: u64, nanos: u32) -> Self {
        Timestamp {
            secs: secs.saturating_add((nanos / NANOS_PER_SEC) as u64),
            nanos: nanos % NANOS_PER_SEC,
        }
    }

    /// Builds a timestamp from a tick count at `resolution` ticks per second plus a signed
    /// offset in seconds (pcapng `if_tsoffset`). Returns `None` for a zero resolution.
    pub fn from_ticks(ticks: u64, resolution: u64, offset_secs: i64) -> Option<Self> {
        if resolution == 0 {
            return None;
        }
        let secs = ticks / resolution;
        let frac = u128::from(ticks % resolution);
        let nanos = frac * u128::from(NANOS_PER_SEC) / u128::from(resolution);
        let secs = secs.saturating_add_signed(offset_secs);
        Some(Timestamp::new(secs, u32::try_from(nanos).unwrap_or(0)))
    }
}

impl fmt::Display for Timestamp {
    /// `secs.nnnnnnnnn`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.secs, self.nanos)
    }
}
