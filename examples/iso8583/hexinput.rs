//! Reading hex dumps: spaces, colons, line breaks, `0x` prefixes and offset columns tolerated.

/// Why a hex dump could not be read.
#[derive(Debug, PartialEq, Eq)]
pub struct BadHex {
    /// Character index in the text.
    pub at: usize,
    pub what: &'static str,
}

/// Parses one hex message. Separators (whitespace, `:`, `-`, `,`) are skipped and `0x`
/// prefixes removed; anything else that is not a hex digit is an error.
pub fn parse_hex(text: &str, out: &mut Vec<u8>) -> Result<(), BadHex> {
    out.clear();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut high: Option<u8> = None;
    while let Some(&c) = bytes.get(i) {
        if c == b'0' && matches!(bytes.get(i + 1), Some(b'x' | b'X')) && high.is_none() {
            i += 2;
            continue;
        }
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            b' ' | b'\t' | b'\r' | b'\n' | b':' | b'-' | b',' => {
                i += 1;
                continue;
            }
            _ => {
                return Err(BadHex {
                    at: i,
                    what: "not a hex digit",
                });
            }
        };
        match high.take() {
            None => high = Some(v),
            Some(h) => out.push((h << 4) | v),
        }
        i += 1;
    }
    if high.is_some() {
        return Err(BadHex {
            at: text.len(),
            what: "odd number of hex digits",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_with_separators_parse() {
        let mut out = Vec::new();
        parse_hex("0x30 31:32\n33", &mut out).unwrap();
        assert_eq!(out, b"0123");
        assert_eq!(
            parse_hex("30 3G", &mut out),
            Err(BadHex {
                at: 4,
                what: "not a hex digit"
            })
        );
        assert_eq!(
            parse_hex("303", &mut out).unwrap_err().what,
            "odd number of hex digits"
        );
    }
}
