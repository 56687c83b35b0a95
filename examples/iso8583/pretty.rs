//! The readable dump: one block per message.

use std::fmt::Write as _;

use iso8583_wire::MessageView;
use iso8583_wire::capture::Timestamp;
use iso8583_wire::framing::PosHeader;

use crate::output::Meta;

/// Values longer than this are not repeated on the field line of a composite field whose
/// subfields are listed below it.
const LONG_VALUE: usize = 48;

/// Width of the name column.
const NAME_WIDTH: usize = 46;

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

/// `name` cut to `width` characters (with an ellipsis when cut).
fn fit(name: &str, width: usize) -> std::borrow::Cow<'_, str> {
    if name.chars().count() <= width {
        return name.into();
    }
    let mut s: String = name.chars().take(width.saturating_sub(1)).collect();
    s.push('~');
    s.into()
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

/// Short meanings of common response codes (DE 39).
fn response_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "00" => "approved",
        "01" => "refer to issuer",
        "03" => "invalid merchant",
        "04" => "pick up card",
        "05" => "do not honor",
        "06" => "error",
        "12" => "invalid transaction",
        "13" => "invalid amount",
        "14" => "invalid card number",
        "25" => "unable to locate original",
        "30" => "format error",
        "41" => "lost card",
        "43" => "stolen card",
        "51" => "insufficient funds",
        "54" => "expired card",
        "55" => "wrong PIN",
        "57" => "not permitted for card",
        "58" => "not permitted for terminal",
        "61" => "amount limit exceeded",
        "64" => "amount differs from original",
        "68" => "response too late",
        "75" => "PIN tries exceeded",
        "91" => "issuer unavailable",
        "94" => "duplicate transmission",
        "96" => "system malfunction",
        "98" => "issuer timeout / no response",
        "A0" => "MAC error",
        _ => return None,
    })
}

/// The block of one message: MTI, header, fields, subfields.
pub fn message(out: &mut String, view: &MessageView<'_>, unmask: bool) {
    let _ = writeln!(out, "MTI {} ({})", view.mti(), view.mti().meaning());
    let header = view.header();
    if !header.is_empty() {
        match PosHeader::parse(header) {
            Ok(h) if header.len() == PosHeader::LEN => {
                let _ = writeln!(out, "  header  {h}");
            }
            _ => {
                let _ = write!(out, "  header  ");
                for b in header {
                    let _ = write!(out, "{b:02X}");
                }
                out.push('\n');
            }
        }
    }
    let mut value = String::new();
    for f in view.fields() {
        let n = f.number();
        value.clear();
        let _ = f.write_value(&mut value, unmask);
        let subs = view
            .subfields(n)
            .map(|r| r.and_then(|iter| iter.collect::<Result<Vec<_>, _>>()));
        let shown = match &subs {
            Some(Ok(list)) if !list.is_empty() && value.chars().count() > LONG_VALUE => {
                format!("({} chars, subfields below)", f.len())
            }
            _ => value.clone(),
        };
        let _ = write!(out, "  {n:>4}  {:<NAME_WIDTH$} {shown}", f.spec().name());
        match n {
            3 => {
                if let Some(pc) = view.processing_code() {
                    let _ = write!(out, "  ({})", pc.meaning());
                }
            }
            39 => {
                if let Some(m) = f.as_str().and_then(response_meaning) {
                    let _ = write!(out, "  ({m})");
                }
            }
            _ => {}
        }
        out.push('\n');
        match subs {
            Some(Ok(list)) => {
                for sub in list {
                    let indent = 2 * sub.depth();
                    let label = format!("{n}.{}", sub.key());
                    // Values line up with the field values above.
                    let width = NAME_WIDTH.saturating_sub(indent + 9);
                    let _ = write!(
                        out,
                        "        {:indent$}{label:<8} {:<width$}",
                        "",
                        fit(sub.name(), width),
                    );
                    if !sub.is_constructed() {
                        out.push(' ');
                        let _ = sub.write_value(out, unmask);
                    }
                    out.push('\n');
                }
            }
            Some(Err(e)) => {
                let _ = writeln!(out, "        (subfields do not parse: {e})");
            }
            None => {}
        }
    }
    out.push('\n');
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
