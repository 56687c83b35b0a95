//! Reading hex: one message per line ([`parse_hex`]) or a whole dump ([`parse_dump`]) with
//! spaces, colons, line breaks, `0x` prefixes, offset columns (`0000: `, `00000010  `,
//! `0x0010:`) and ASCII columns (`|0200..|`, or the trailing text of `xxd`, `tcpdump -X` and
//! Wireshark dumps) tolerated.

use std::fmt;

/// Why hex could not be read.
#[derive(Debug, PartialEq, Eq)]
pub struct BadHex {
    /// Byte index in the text.
    pub at: usize,
    /// 1-based line and column (in characters) of the problem.
    pub line: usize,
    pub column: usize,
    /// The offending character, if any.
    pub found: Option<char>,
    pub what: &'static str,
}

impl fmt::Display for BadHex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)?;
        if let Some(c) = self.found {
            write!(f, " {c:?}")?;
        }
        write!(f, " at line {}, column {}", self.line, self.column)
    }
}

fn is_hex_digit(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

fn is_separator(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b':' | b'-' | b',')
}

/// Appends the bytes of `digits` (hex digits only, an even count) to `out`, decoded by
/// `faster-hex` (SIMD where the CPU has it).
fn decode_run(digits: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + digits.len() / 2, 0);
    let decoded = out
        .get_mut(start..)
        .is_some_and(|dst| faster_hex::hex_decode(digits, dst).is_ok());
    debug_assert!(decoded, "callers pass hex digits only");
}

/// Hex digits of `text` appended to `out`, `high` carrying a pending digit (the first of a
/// pair) across calls. Errors give the byte index in `text`.
fn push_hex(text: &[u8], out: &mut Vec<u8>, high: &mut Option<u8>) -> Result<(), usize> {
    let mut i = 0;
    while let Some(&c) = text.get(i) {
        if c == b'0' && high.is_none() && matches!(text.get(i + 1), Some(b'x' | b'X')) {
            i += 2;
            continue;
        }
        if is_separator(c) {
            i += 1;
            continue;
        }
        let rest = text.get(i..).unwrap_or_default();
        let run = rest
            .iter()
            .position(|&c| !is_hex_digit(c))
            .unwrap_or(rest.len());
        if run == 0 {
            return Err(i);
        }
        let mut digits = rest.get(..run).unwrap_or_default();
        if let Some(h) = high.take() {
            decode_run(&[h, c], out);
            digits = digits.get(1..).unwrap_or_default();
        }
        let even = digits.len() & !1;
        decode_run(digits.get(..even).unwrap_or_default(), out);
        *high = digits.get(even).copied();
        i += run;
    }
    Ok(())
}

/// `(line, column, char)` of byte index `at` in `text`.
fn locate(text: &str, at: usize) -> (usize, usize, Option<char>) {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let column = text
        .get(line_start..at)
        .map_or(1, |s| s.chars().count() + 1);
    let found = text.get(at..).and_then(|s| s.chars().next());
    (line, column, found)
}

fn bad(text: &str, at: usize, what: &'static str) -> BadHex {
    let (line, column, found) = locate(text, at);
    BadHex {
        at,
        line,
        column,
        found: if what == "not a hex digit" {
            found
        } else {
            None
        },
        what,
    }
}

/// Parses a line that is only hex digits (and its line end) in one `faster-hex` call; false
/// (with `out` empty) for anything else, which [`parse_hex`] then reads or locates.
pub fn parse_bare_line(line: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let bare = line.strip_suffix(b"\n").unwrap_or(line);
    let bare = bare.strip_suffix(b"\r").unwrap_or(bare);
    if bare.is_empty() || !bare.len().is_multiple_of(2) {
        return false;
    }
    out.resize(bare.len() / 2, 0);
    if faster_hex::hex_decode(bare, out).is_ok() {
        return true;
    }
    out.clear();
    false
}

/// Parses one hex message (one line of `--input hex-lines`). Separators (whitespace, `:`,
/// `-`, `,`) are skipped and `0x` prefixes removed; anything else that is not a hex digit is
/// an error.
pub fn parse_hex(text: &str, out: &mut Vec<u8>) -> Result<(), BadHex> {
    if parse_bare_line(text.as_bytes(), out) {
        return Ok(());
    }
    let mut high = None;
    push_hex(text.as_bytes(), out, &mut high).map_err(|at| bad(text, at, "not a hex digit"))?;
    if high.is_some() {
        return Err(bad(text, text.len(), "odd number of hex digits"));
    }
    Ok(())
}

/// One line of a dump, after removing a `|ascii|` column.
struct Line<'t> {
    /// Byte index of `body` in the whole text.
    start: usize,
    body: &'t str,
}

/// An offset column: `0000:`, `0x0010:`, or (bare) 4 to 8 hex digits.
fn offset_token(token: &str, bare: bool) -> Option<usize> {
    let digits = if bare {
        token
    } else {
        token.strip_suffix(':')?
    };
    let digits = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
        .unwrap_or(digits);
    let ok = (4..=10).contains(&digits.len()) && digits.bytes().all(is_hex_digit);
    if bare && !(4..=8).contains(&digits.len()) {
        return None;
    }
    ok.then(|| usize::from_str_radix(digits, 16).ok()).flatten()
}

/// Splits a leading offset column off `body`: `(offset, rest, rest's index in body)`.
fn split_offset(body: &str, bare: bool) -> Option<(usize, &str, usize)> {
    let trimmed = body.trim_start();
    let lead = body.len() - trimmed.len();
    let end = trimmed
        .find(|c: char| c.is_ascii_whitespace())
        .unwrap_or(trimmed.len());
    let token = trimmed.get(..end)?;
    let offset = offset_token(token, bare)?;
    let rest = trimmed.get(end..)?;
    if bare && rest.trim().is_empty() {
        return None;
    }
    Some((offset, rest, lead + end))
}

/// How `b` appears in an ASCII column.
fn printable(b: u8) -> char {
    if (0x20..0x7f).contains(&b) {
        char::from(b)
    } else {
        '.'
    }
}

/// Parses the hex of one dump line, dropping a trailing ASCII column when the text after a
/// run of two or more spaces is exactly the printable form of the bytes before it.
fn parse_line(body: &str, out: &mut Vec<u8>, high: &mut Option<u8>) -> Result<(), usize> {
    let bytes = body.as_bytes();
    if high.is_none() {
        let mut tmp = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let ws = bytes.get(i..).map_or(0, |s| {
                s.iter().take_while(|c| c.is_ascii_whitespace()).count()
            });
            if ws >= 2 && i > 0 && i + ws < bytes.len() {
                let (head, tail) = body.split_at(i + ws);
                tmp.clear();
                let mut h = None;
                if push_hex(head.as_bytes(), &mut tmp, &mut h).is_err() {
                    break;
                }
                if h.is_none() && !tmp.is_empty() {
                    let rendered: String = tmp
                        .iter()
                        .map(|&b| printable(b))
                        .filter(|c| *c != ' ')
                        .collect();
                    let shown: String = tail.chars().filter(|c| !c.is_whitespace()).collect();
                    if rendered == shown {
                        out.extend_from_slice(&tmp);
                        return Ok(());
                    }
                }
            }
            i += ws.max(1);
        }
    }
    push_hex(bytes, out, high)
}

/// Parses every line; `bare` treats a leading 4-8 digit token as an offset column, which must
/// then match the bytes read so far. Returns `Ok(false)` when `bare` does not fit.
fn parse_lines(
    text: &str,
    lines: &[Line<'_>],
    bare: bool,
    out: &mut Vec<u8>,
) -> Result<bool, BadHex> {
    out.clear();
    let mut high = None;
    for line in lines {
        if line.body.trim().is_empty() {
            continue;
        }
        let (body, base) = match split_offset(line.body, false) {
            Some((_, rest, at)) => (rest, line.start + at),
            None if bare => {
                let t = line.body.trim();
                if offset_token(t, true) == Some(out.len()) {
                    continue; // the closing offset line of `hexdump -C`
                }
                match split_offset(line.body, true) {
                    Some((offset, rest, at)) if offset == out.len() => (rest, line.start + at),
                    _ => return Ok(false),
                }
            }
            None => (line.body, line.start),
        };
        match parse_line(body, out, &mut high) {
            Ok(()) => {}
            // The plain pass reports it.
            Err(_) if bare => return Ok(false),
            Err(at) => return Err(bad(text, base + at, "not a hex digit")),
        }
    }
    if high.is_some() {
        if bare {
            return Ok(false);
        }
        return Err(bad(text, text.len(), "odd number of hex digits"));
    }
    Ok(true)
}

/// Parses a whole hex dump of one message (`--input hex`).
pub fn parse_dump(text: &str, out: &mut Vec<u8>) -> Result<(), BadHex> {
    let mut lines = Vec::new();
    let mut start = 0;
    for raw in text.split_inclusive('\n') {
        let body = raw.trim_end_matches(['\n', '\r']);
        // hexdump -C: `00000000  30 32 ...  |0200....|`
        let body = match (body.find('|'), body.trim_end().ends_with('|')) {
            (Some(p), true) => body.get(..p).unwrap_or(body),
            _ => body,
        };
        lines.push(Line { start, body });
        start += raw.len();
    }
    let any_colon_offset = lines.iter().any(|l| split_offset(l.body, false).is_some());
    let data_lines = lines.iter().filter(|l| !l.body.trim().is_empty()).count();
    let wide_gap = lines
        .iter()
        .any(|l| l.body.trim_start().split_once("  ").is_some());
    let try_bare = !any_colon_offset && (data_lines >= 2 || wide_gap);
    if try_bare && matches!(parse_lines(text, &lines, true, out), Ok(true)) {
        return Ok(());
    }
    parse_lines(text, &lines, false, out).map(|_| ())?;
    if out.is_empty() {
        return Err(bad(text, text.len(), "no hex digits in input"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump(text: &str) -> Result<Vec<u8>, BadHex> {
        let mut out = Vec::new();
        parse_dump(text, &mut out).map(|()| out)
    }

    #[test]
    fn lines_with_separators_parse() {
        let mut out = Vec::new();
        assert!(parse_hex("0x30 31:32\n33", &mut out).is_ok());
        assert_eq!(out, b"0123");
        let err = parse_hex("30 3G", &mut out).unwrap_err();
        assert_eq!(
            (err.at, err.what, err.found),
            (4, "not a hex digit", Some('G'))
        );
        assert_eq!(
            parse_hex("303", &mut out).unwrap_err().what,
            "odd number of hex digits"
        );
    }

    #[test]
    fn dump_styles_parse() {
        let want: Vec<u8> = (0u8..40).map(|i| b'0' + i % 10).collect();
        // hexdump -C
        let c = "00000000  30 31 32 33 34 35 36 37  38 39 30 31 32 33 34 35  |0123456789012345|\n\
                 00000010  36 37 38 39 30 31 32 33  34 35 36 37 38 39 30 31  |6789012345678901|\n\
                 00000020  32 33 34 35 36 37 38 39                           |23456789|\n\
                 00000028\n";
        assert_eq!(dump(c).unwrap(), want);
        // xxd
        let x = "00000000: 3031 3233 3435 3637 3839 3031 3233 3435  0123456789012345\n\
                 00000010: 3637 3839 3031 3233 3435 3637 3839 3031  6789012345678901\n\
                 00000020: 3233 3435 3637 3839                      23456789\n";
        assert_eq!(dump(x).unwrap(), want);
        // offset with colon, no ascii
        let o = "0000: 30 31 32 33 34 35 36 37 38 39 30 31 32 33 34 35\n\
                 0010: 36 37 38 39 30 31 32 33 34 35 36 37 38 39 30 31\n\
                 0020: 32 33 34 35 36 37 38 39\n";
        assert_eq!(dump(o).unwrap(), want);
        // tcpdump -X style
        let t = "\t0x0000:  3031 3233 3435 3637 3839 3031 3233 3435  0123456789012345\n\
                 \t0x0010:  3637 3839 3031 3233 3435 3637 3839 3031  6789012345678901\n\
                 \t0x0020:  3233 3435 3637 3839                      23456789\n";
        assert_eq!(dump(t).unwrap(), want);
        // wireshark, bare offsets
        let w = "0000   30 31 32 33 34 35 36 37 38 39 30 31 32 33 34 35   0123456789012345\n\
                 0010   36 37 38 39 30 31 32 33 34 35 36 37 38 39 30 31   6789012345678901\n\
                 0020   32 33 34 35 36 37 38 39                           23456789\n";
        assert_eq!(dump(w).unwrap(), want);
        // plain, wrapped, 0x prefixes
        assert_eq!(dump("0x30, 0x31,\n0x32 0x33").unwrap(), b"0123");
        assert_eq!(dump("3031\n3233\n").unwrap(), b"0123");
        // data that merely looks like offsets is data
        assert_eq!(
            dump("0000 1111\n2222 3333\n").unwrap(),
            [0, 0, 0x11, 0x11, 0x22, 0x22, 0x33, 0x33]
        );
    }

    #[test]
    fn garbage_is_located() {
        let err = dump("30 31\n32 zz\n").unwrap_err();
        assert_eq!((err.line, err.column, err.found), (2, 4, Some('z')));
        assert_eq!(err.to_string(), "not a hex digit 'z' at line 2, column 4");
        assert_eq!(dump("  \n").unwrap_err().what, "no hex digits in input");
        assert_eq!(dump("303").unwrap_err().what, "odd number of hex digits");
    }
}
