//! The readable dump: one block per message.

use std::fmt::Write as _;

use iso8583_wire::MessageView;
use iso8583_wire::capture::Timestamp;

use super::output::Meta;

/// `2024-03-15 09:30:02.250000 UTC` (microseconds unless the capture has nanoseconds).
pub fn utc(ts: Timestamp) -> String {
    let days = i64::try_from(ts.secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = ts.secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rem / 3600, rem / 60 % 60, rem % 60);
    if ts.nanos.is_multiple_of(1000) {
        format!(
            "{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}.{:06} UTC",
            ts.nanos / 1000
        )
    } else {
        format!(
            "{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}.{:09} UTC",
            ts.nanos
        )
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        u32::try_from(m).unwrap_or(0),
        u32::try_from(d).unwrap_or(0),
    )
}

/// Seconds between two timestamps, signed.
fn delta(from: Timestamp, to: Timestamp) -> f64 {
    let a = from.secs as f64 + f64::from(from.nanos) / 1e9;
    let b = to.secs as f64 + f64::from(to.nanos) / 1e9;
    b - a
}

/// The line above a message in pcap mode:
/// `#3  2024-03-15 09:30:02.250000 UTC  +0.180s  10.0.0.2:51234 -> 10.1.1.1:5000  (to server)`.
pub fn meta_line(out: &mut String, index: usize, meta: &Meta, previous: Option<Timestamp>) {
    let _ = write!(out, "#{index}  {}", utc(meta.ts));
    if let Some(prev) = previous {
        let _ = write!(out, "  +{:.3}s", delta(prev, meta.ts).max(0.0));
    }
    let _ = writeln!(
        out,
        "  {} -> {}  ({}, conn {})",
        meta.src,
        meta.dst,
        if meta.to_server {
            "to server"
        } else {
            "to client"
        },
        meta.conn
    );
}

/// The block of one message: the library's [`MessageView::describe`] dump, then a blank line.
pub fn message(out: &mut String, view: &MessageView<'_>, unmask: bool) {
    let _ = writeln!(out, "{}", view.describe().unmask(unmask));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_dates() {
        assert_eq!(utc(Timestamp::new(0, 0)), "1970-01-01 00:00:00.000000 UTC");
        assert_eq!(
            utc(Timestamp::new(1_710_495_002, 250_000_000)),
            "2024-03-15 09:30:02.250000 UTC"
        );
        assert_eq!(
            utc(Timestamp::new(951_782_400, 1)),
            "2000-02-29 00:00:00.000000001 UTC"
        );
    }
}
