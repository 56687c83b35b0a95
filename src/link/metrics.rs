//! [`Metrics`]: lock-free counters a link updates, and [`MetricsSnapshot`], a plain copy an
//! application exports to whatever it uses.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::message::Mti;

/// Number of latency buckets: bucket `i` counts latencies below `2^i` microseconds (the last
/// one everything above).
pub const LATENCY_BUCKETS: usize = 28;

const CODE_SLOTS: usize = 36 * 36 + 1;

/// Live counters (atomics; every update is one relaxed add).
#[derive(Debug)]
pub struct Metrics {
    by_mti_sent: Box<[AtomicU64]>,
    by_mti_received: Box<[AtomicU64]>,
    by_code: Box<[AtomicU64]>,
    in_flight: AtomicU64,
    reconnects: AtomicU64,
    timeouts: AtomicU64,
    late: AtomicU64,
    unmatched: AtomicU64,
    rejects: AtomicU64,
    undecodable: AtomicU64,
    refused: AtomicU64,
    latency: [AtomicU64; LATENCY_BUCKETS],
}

/// A plain copy of the counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Messages sent, by MTI.
    pub sent: BTreeMap<String, u64>,
    /// Messages received, by MTI.
    pub received: BTreeMap<String, u64>,
    /// Responses received, by DE 39 (`"??"` for codes outside `[0-9A-Z]{2}`).
    pub response_codes: BTreeMap<String, u64>,
    /// Requests waiting for their response now.
    pub in_flight: u64,
    /// Reconnections after a lost connection.
    pub reconnects: u64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// Responses that came after their request timed out.
    pub late: u64,
    /// Responses that matched no pending request (duplicates included).
    pub unmatched: u64,
    /// Requests answered with a reject.
    pub rejects: u64,
    /// Frames that did not decode.
    pub undecodable: u64,
    /// Connections a server closed at once because it was at its cap.
    pub refused: u64,
    /// Latency histogram: `latency[i]` counts responses that took under `2^i` microseconds
    /// (and at least `2^(i-1)`); the last bucket takes everything longer.
    pub latency: Vec<u64>,
}

fn counters(n: usize) -> Box<[AtomicU64]> {
    (0..n).map(|_| AtomicU64::new(0)).collect()
}

fn mti_slot(mti: Mti) -> usize {
    mti.digits().iter().fold(0usize, |acc, d| {
        acc * 10 + usize::from(d.wrapping_sub(b'0') % 10)
    })
}

fn code_slot(code: &[u8]) -> usize {
    fn one(c: u8) -> Option<usize> {
        match c {
            b'0'..=b'9' => Some(usize::from(c - b'0')),
            b'A'..=b'Z' => Some(usize::from(c - b'A') + 10),
            _ => None,
        }
    }
    match code {
        [a, b] => match (one(*a), one(*b)) {
            (Some(a), Some(b)) => a * 36 + b,
            _ => CODE_SLOTS - 1,
        },
        _ => CODE_SLOTS - 1,
    }
}

fn code_name(slot: usize) -> String {
    const D: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    match (D.get(slot / 36), D.get(slot % 36)) {
        (Some(a), Some(b)) if slot < CODE_SLOTS - 1 => String::from_utf8_lossy(&[*a, *b]).into(),
        _ => "??".into(),
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            by_mti_sent: counters(10_000),
            by_mti_received: counters(10_000),
            by_code: counters(CODE_SLOTS),
            in_flight: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            late: AtomicU64::new(0),
            unmatched: AtomicU64::new(0),
            rejects: AtomicU64::new(0),
            undecodable: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            latency: core::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

fn bump(c: Option<&AtomicU64>) {
    if let Some(c) = c {
        c.fetch_add(1, Relaxed);
    }
}

impl Metrics {
    /// Records one `sent` event.
    pub fn sent(&self, mti: Mti) {
        bump(self.by_mti_sent.get(mti_slot(mti)));
    }
    /// Records one `received` event.
    pub fn received(&self, mti: Mti, code: Option<&[u8]>) {
        bump(self.by_mti_received.get(mti_slot(mti)));
        if let Some(code) = code {
            bump(self.by_code.get(code_slot(code)));
        }
    }
    /// Records one `in_flight_add` event.
    pub fn in_flight_add(&self) {
        self.in_flight.fetch_add(1, Relaxed);
    }
    /// Records one `in_flight_sub` event.
    pub fn in_flight_sub(&self) {
        self.in_flight.fetch_sub(1, Relaxed);
    }
    /// Records one `reconnect` event.
    pub fn reconnect(&self) {
        self.reconnects.fetch_add(1, Relaxed);
    }
    /// Records one `timeout` event.
    pub fn timeout(&self) {
        self.timeouts.fetch_add(1, Relaxed);
    }
    /// Records one `late` event.
    pub fn late(&self) {
        self.late.fetch_add(1, Relaxed);
    }
    /// Records one `unmatched` event.
    pub fn unmatched(&self) {
        self.unmatched.fetch_add(1, Relaxed);
    }
    /// Records one `reject` event.
    pub fn reject(&self) {
        self.rejects.fetch_add(1, Relaxed);
    }
    /// Records one `undecodable` event.
    pub fn undecodable(&self) {
        self.undecodable.fetch_add(1, Relaxed);
    }
    /// Records one refused connection.
    pub fn refused(&self) {
        self.refused.fetch_add(1, Relaxed);
    }
    /// Records one `latency` event.
    pub fn latency(&self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let bucket = (64 - us.leading_zeros()) as usize;
        bump(self.latency.get(bucket.min(LATENCY_BUCKETS - 1)));
    }

    /// A plain copy of every counter.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let by_mti = |v: &[AtomicU64]| {
            v.iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let n = c.load(Relaxed);
                    (n > 0).then(|| (format!("{i:04}"), n))
                })
                .collect()
        };
        MetricsSnapshot {
            sent: by_mti(&self.by_mti_sent),
            received: by_mti(&self.by_mti_received),
            response_codes: self
                .by_code
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let n = c.load(Relaxed);
                    (n > 0).then(|| (code_name(i), n))
                })
                .collect(),
            in_flight: self.in_flight.load(Relaxed),
            reconnects: self.reconnects.load(Relaxed),
            timeouts: self.timeouts.load(Relaxed),
            late: self.late.load(Relaxed),
            unmatched: self.unmatched.load(Relaxed),
            rejects: self.rejects.load(Relaxed),
            undecodable: self.undecodable.load(Relaxed),
            refused: self.refused.load(Relaxed),
            latency: self.latency.iter().map(|c| c.load(Relaxed)).collect(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_counts_by_mti_code_and_latency() {
        let m = Metrics::default();
        let mti = Mti::from_digits(*b"0210").unwrap();
        m.received(mti, Some(b"00"));
        m.received(mti, Some(b"51"));
        m.received(mti, Some(b"5\x01"));
        m.latency(Duration::from_micros(3));
        m.latency(Duration::from_secs(10_000));
        let s = m.snapshot();
        assert_eq!(s.received.get("0210"), Some(&3));
        assert_eq!(s.response_codes.get("00"), Some(&1));
        assert_eq!(s.response_codes.get("51"), Some(&1));
        assert_eq!(s.response_codes.get("??"), Some(&1));
        assert_eq!(s.latency[2], 1);
        assert_eq!(s.latency[LATENCY_BUCKETS - 1], 1);
    }
}
