//! The closing summary on stderr: messages, errors, count by MTI, capture counters.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use iso8583_wire::Mti;
use iso8583_wire::capture::Counters;

#[derive(Debug)]
pub struct Summary {
    pub messages: u64,
    pub errors: u64,
    by_mti: BTreeMap<[u8; 4], u64>,
    pub bytes: u64,
    pub capture: Option<Counters>,
    /// Notes about the input (gaps, framing failures), shown after the counts.
    pub notes: Vec<String>,
    started: Instant,
}

impl Summary {
    pub fn new() -> Self {
        Summary {
            messages: 0,
            errors: 0,
            by_mti: BTreeMap::new(),
            bytes: 0,
            capture: None,
            notes: Vec::new(),
            started: Instant::now(),
        }
    }

    pub fn message(&mut self, mti: Mti) {
        self.messages += 1;
        *self.by_mti.entry(mti.digits()).or_insert(0) += 1;
    }

    pub fn error(&mut self) {
        self.errors += 1;
    }

    /// Adds the counts of `other` (a worker's share of the input).
    pub fn merge(&mut self, other: &Summary) {
        self.messages += other.messages;
        self.errors += other.errors;
        self.bytes += other.bytes;
        for (mti, n) in &other.by_mti {
            *self.by_mti.entry(*mti).or_insert(0) += n;
        }
        self.notes.extend(other.notes.iter().cloned());
    }

    /// The text written to stderr.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let plural =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let secs = self.started.elapsed().as_secs_f64();
        let _ = writeln!(
            s,
            "{}, {} in {secs:.2}s",
            plural(self.messages, "message", "messages"),
            plural(self.errors, "error", "errors"),
        );
        if !self.by_mti.is_empty() {
            s.push_str("  by MTI:");
            for (mti, n) in &self.by_mti {
                let _ = write!(s, " {}={n}", String::from_utf8_lossy(mti));
            }
            s.push('\n');
        }
        if let Some(c) = &self.capture {
            let _ = write!(
                s,
                "  capture: {} packets, {} TCP segments, {}",
                c.packets,
                c.tcp_segments,
                plural(c.connections, "connection", "connections"),
            );
            for (n, what) in [
                (c.retransmissions, "retransmitted"),
                (c.out_of_order, "out of order"),
                (c.overlaps, "overlapping"),
                (c.gaps, "gaps"),
                (c.gap_bytes, "bytes lost"),
                (c.cap_gap_bytes, "bytes given up at the buffer caps"),
                (c.capped_connections, "connections truncated by the caps"),
                (c.truncated_segments, "cut by snap length"),
                (c.filtered, "filtered by port"),
                (c.non_tcp, "not TCP"),
                (c.fragments, "IP fragments"),
                (c.malformed, "malformed"),
            ] {
                if n > 0 {
                    let _ = write!(s, ", {n} {what}");
                }
            }
            s.push('\n');
        }
        for note in &self.notes {
            let _ = writeln!(s, "  note: {note}");
        }
        s
    }
}
