//! Masking of sensitive values for Debug, Display and CLI output.
//!
//! The one place where a value becomes masked text: every `Display` and `Debug` of field data,
//! the JSON form, [`describe`](super::describe) and the CLI write values through
//! [`write_masked`].
//!
//! PANs keep their first six and last four digits (PCI DSS display rule) when they have at
//! least 13; track data keeps the masked PAN and its separator and hides everything after it
//! (all of it when no separator is found); secrets are all `*`, one per character.

#[allow(unused_imports)]
use crate::prelude::*;

use core::fmt::{self, Write as _};

use crate::spec::Mask;

/// Writes `chars` to `out`, masked per `mask`. `len` is the number of characters.
pub(crate) fn write_masked(
    out: &mut dyn fmt::Write,
    mask: Mask,
    chars: impl Iterator<Item = u8> + Clone,
    len: usize,
) -> fmt::Result {
    match mask {
        Mask::None => {
            for c in chars {
                out.write_char(char::from(c))?;
            }
        }
        Mask::Full => {
            for _ in 0..len {
                out.write_char('*')?;
            }
        }
        Mask::Pan => write_pan(out, chars, len)?,
        Mask::Track => {
            // Without a separator there is no telling the PAN from the rest: hide it all.
            let Some(pan_len) = chars.clone().position(|c| matches!(c, b'=' | b'D' | b'^')) else {
                return write_masked(out, Mask::Full, chars, len);
            };
            write_pan(out, chars.clone().take(pan_len), pan_len)?;
            for (i, c) in chars.skip(pan_len).enumerate() {
                out.write_char(if i == 0 { char::from(c) } else { '*' })?;
            }
        }
    }
    Ok(())
}

/// A text shown through a [`Mask`] (from [`Mask::apply`]): its `Display` and `Debug` write
/// the masked form, so application data (a PAN kept for a receipt, a track read) renders by
/// the same rules as message fields.
///
/// ```
/// use iso8583_wire::spec::Mask;
/// assert_eq!(Mask::Pan.apply("4761739001010119").to_string(), "476173******0119");
/// assert_eq!(format!("{:?}", Mask::Full.apply("1234")), "\"****\"");
/// ```
#[derive(Clone, Copy)]
pub struct Masked<'s> {
    mask: Mask,
    text: &'s str,
}

impl Mask {
    /// `text` rendered through this mask.
    pub fn apply(self, text: &str) -> Masked<'_> {
        Masked { mask: self, text }
    }
}

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_masked(f, self.mask, self.text.bytes(), self.text.len())
    }
}

impl fmt::Debug for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        fmt::Display::fmt(self, f)?;
        f.write_char('"')
    }
}

fn write_pan(out: &mut dyn fmt::Write, chars: impl Iterator<Item = u8>, len: usize) -> fmt::Result {
    let shown = len >= 13;
    for (i, c) in chars.enumerate() {
        let keep = shown && (i < 6 || i + 4 >= len);
        out.write_char(if keep { char::from(c) } else { '*' })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(mask: Mask, s: &str) -> String {
        let mut out = String::new();
        write_masked(&mut out, mask, s.bytes(), s.len()).unwrap();
        out
    }

    #[test]
    fn pans_keep_six_and_four() {
        assert_eq!(masked(Mask::Pan, "4761739001010119"), "476173******0119");
        assert_eq!(masked(Mask::Pan, "123456789012"), "************");
        assert_eq!(masked(Mask::None, "123"), "123");
        assert_eq!(masked(Mask::Full, "0A1B"), "****");
    }

    #[test]
    fn track_hides_everything_after_the_separator() {
        assert_eq!(
            masked(Mask::Track, "4761739001010119=25122011143804489"),
            "476173******0119=*****************"
        );
        assert_eq!(
            masked(Mask::Track, "4761739001010119D2512"),
            "476173******0119D****"
        );
        assert_eq!(
            masked(Mask::Track, "47617390010101192512"),
            "********************"
        );
    }
}
