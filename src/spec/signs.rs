//! The sign characters an `x+n` field accepts ahead of its digits.
//!
//! ISO 8583 writes an `x+n` amount as `C` (credit) or `D` (debit) followed by digits, and that
//! is the default. Real hosts send other signs (`+`/`-`, or `0` for a positive amount); the
//! spec's `signs = "+-"` (one to three characters, each a printable ASCII character, none
//! repeated) replaces the set for one field. Decoding refuses (lenient decoding reports) a sign
//! outside the set; encoding refuses a value whose first character is outside it.

use core::fmt;

/// The sign characters of one `x+n` field or positional part (at most [`Signs::MAX`] of them).
///
/// `C` and `D` unless the spec says otherwise with `signs`, e.g.
/// `28 = { name = "Fee", class = "x+n", length = 9, signs = "+-" }`. Decoding refuses a sign
/// outside the set with [`BadCharacter`](crate::DecodeErrorKind::BadCharacter) at the sign's
/// offset (lenient decoding reports it as a warning); encoding refuses such a value. In an
/// EBCDIC field the signs are the EBCDIC forms of the characters given.
///
/// ```
/// use iso8583_wire::{MessageView, Spec};
/// let spec = Spec::from_toml_str(
///     "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'hex'\n[fields]\n\
///      28 = { name = 'Fee', class = 'x+n', length = 9, signs = '+-' }\n",
///     "x.toml",
/// )?;
/// assert_eq!(spec.field(28).unwrap().signs().as_bytes(), b"+-");
/// let msg = b"02000000001000000000-00000150";
/// let view = MessageView::decode(&spec, msg)?;
/// assert_eq!(view.field(28).unwrap().clear_string(), "-00000150");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Three bytes so that the set fits the spare bytes of the decoder's field table entry.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signs {
    /// The characters, unused slots 0.
    chars: [u8; 3],
}

impl Signs {
    /// At most this many sign characters per field.
    pub const MAX: usize = 3;

    /// The ISO default: `C` (credit) and `D` (debit).
    pub const CD: Signs = Signs {
        chars: [b'C', b'D', 0],
    };

    /// Reads a spec's `signs` setting; the error says what is wrong with it.
    pub(crate) fn parse(s: &str) -> Result<Signs, &'static str> {
        let bytes = s.as_bytes();
        if bytes.is_empty() {
            return Err("give at least one sign character");
        }
        if bytes.len() > Self::MAX {
            return Err("at most 3 sign characters");
        }
        if !bytes.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
            return Err("sign characters are printable ASCII");
        }
        let mut chars = [0u8; 3];
        for (i, &c) in bytes.iter().enumerate() {
            if bytes.get(..i).is_some_and(|seen| seen.contains(&c)) {
                return Err("a sign character is given twice");
            }
            if let Some(slot) = chars.get_mut(i) {
                *slot = c;
            }
        }
        Ok(Signs { chars })
    }

    /// Whether ASCII character `c` is one of the signs.
    #[inline]
    pub fn contains(self, c: u8) -> bool {
        c != 0 && self.chars.contains(&c)
    }

    /// The sign characters, in the order the spec gave them.
    pub fn as_bytes(&self) -> &[u8] {
        let n = self.chars.iter().position(|&c| c == 0).unwrap_or(3);
        self.chars.get(..n).unwrap_or(&[])
    }

    /// The same set as EBCDIC bytes (the decoder compares wire bytes).
    pub(crate) fn to_ebcdic(self) -> Signs {
        Signs {
            chars: self.chars.map(|c| {
                if c == 0 {
                    0
                } else {
                    crate::codec::charset::LATIN1_TO_EBCDIC[usize::from(c)]
                }
            }),
        }
    }

    /// Whether this is the ISO default, `C` and `D` (in either order).
    pub fn is_default(self) -> bool {
        self.as_bytes().len() == 2 && self.contains(b'C') && self.contains(b'D')
    }
}

impl Default for Signs {
    fn default() -> Self {
        Signs::CD
    }
}

impl fmt::Debug for Signs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signs(\"{self}\")")
    }
}

impl fmt::Display for Signs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &c in self.as_bytes() {
            write!(f, "{}", char::from(c))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_checks_count_characters_and_repeats() {
        assert_eq!(Signs::parse("+-").unwrap().as_bytes(), b"+-");
        assert!(Signs::parse("DC").unwrap().is_default());
        assert!(!Signs::parse("CD0").unwrap().is_default());
        assert!(Signs::parse("CD0").unwrap().contains(b'0'));
        assert!(!Signs::parse("+-").unwrap().contains(b'C'));
        assert!(!Signs::parse("+").unwrap().contains(0));
        assert_eq!(Signs::parse(""), Err("give at least one sign character"));
        assert_eq!(Signs::parse("CD+-"), Err("at most 3 sign characters"));
        assert_eq!(
            Signs::parse("C\u{e9}"),
            Err("sign characters are printable ASCII")
        );
        assert_eq!(
            Signs::parse("C\t"),
            Err("sign characters are printable ASCII")
        );
        assert_eq!(Signs::parse("CDC"), Err("a sign character is given twice"));
        assert_eq!(Signs::CD.to_string(), "CD");
    }
}
