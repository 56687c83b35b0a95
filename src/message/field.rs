//! [`Field`]: a borrowed data element with typed accessors and masked formatting.

#[allow(unused_imports)]
use crate::prelude::*;

use core::fmt;

pub use crate::codec::field::ValueChars;
use crate::codec::field::{data_bytes, value_chars};
use crate::spec::{Class, Encoding, FieldSpec};

use super::mask::write_masked;

/// One present data element of a decoded message, borrowing the message bytes.
///
/// `Display` and `Debug` mask sensitive fields; use [`Field::clear`] for clear text.
#[derive(Clone, Copy)]
pub struct Field<'a> {
    pub(crate) spec: &'a FieldSpec,
    pub(crate) data: &'a [u8],
    pub(crate) units: usize,
    pub(crate) offset: usize,
}

impl<'a> Field<'a> {
    pub(crate) fn new(
        spec: &'a FieldSpec,
        buf: &'a [u8],
        start: usize,
        units: usize,
    ) -> Option<Self> {
        let data = buf.get(start..)?.get(..data_bytes(spec, units))?;
        Some(Self {
            spec,
            data,
            units,
            offset: start,
        })
    }

    /// Data element number.
    pub fn number(&self) -> u16 {
        self.spec.number
    }

    /// The field's definition.
    pub fn spec(&self) -> &'a FieldSpec {
        self.spec
    }

    /// The data bytes as on the wire (length prefix excluded), without copying.
    pub fn raw(&self) -> &'a [u8] {
        self.data
    }

    /// Byte offset of the data within the decoded buffer.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Length of the value in characters as shown by [`Field::clear`] (digits for packed BCD,
    /// hex digits for binary data).
    pub fn len(&self) -> usize {
        match self.spec.encoding {
            Encoding::Binary => self.data.len() * 2,
            _ => self.units,
        }
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.units == 0
    }

    /// Length in the spec's units, as the length prefix gives it.
    pub(crate) fn units(&self) -> usize {
        self.units
    }

    /// The value as a `&str` without copying, when the wire form is the text form
    /// (ASCII data, or hex text for binary fields). `None` for EBCDIC, BCD and raw binary, so
    /// the answer depends on the spec: to read or compare a value whatever the encoding, use
    /// [`Field::text`], [`Field::text_eq`] or [`Field::to_u64`].
    pub fn as_str(&self) -> Option<&'a str> {
        match self.spec.encoding {
            Encoding::Ascii | Encoding::Hex => core::str::from_utf8(self.data).ok(),
            _ => None,
        }
    }

    /// The value's characters: text, digits (packed BCD unpacked, `D` for a track separator),
    /// or uppercase hex for raw binary fields. Clear text: handle with care.
    #[inline]
    pub fn chars(&self) -> ValueChars<'a> {
        value_chars(self.spec, self.data, self.units)
    }

    /// Writes the clear value into `buf` and returns it as `&str`; `None` if `buf` is too short.
    pub fn text_into<'b>(&self, buf: &'b mut [u8]) -> Option<&'b str> {
        let n = self.chars().write_into(buf)?;
        core::str::from_utf8(buf.get(..n)?).ok()
    }

    /// The clear value in a small stack buffer (values up to 64 characters), without allocating.
    pub fn to_small(&self) -> Option<SmallText> {
        let mut s = SmallText {
            buf: [0; SmallText::CAPACITY],
            len: 0,
        };
        let n = self.text_into(&mut s.buf)?.len();
        s.len = n as u8;
        Some(s)
    }

    /// A numeric value (class `n`, up to 19 digits) as `u64`, e.g. an amount in minor units.
    pub fn to_u64(&self) -> Option<u64> {
        if self.spec.class != Class::N || self.units == 0 || self.units > 19 {
            return None;
        }
        // At most 19 digits always fit in a u64: no overflow check needed.
        let (value, ok) = self.chars().fold((0u64, true), |(acc, ok), c| {
            let d = c.wrapping_sub(b'0');
            (
                acc.wrapping_mul(10).wrapping_add(u64::from(d)),
                ok & (d < 10),
            )
        });
        ok.then_some(value)
    }

    /// The logical bytes of a binary field written into `buf` (raw bytes, or decoded hex text).
    pub fn bytes_into<'b>(&self, buf: &'b mut [u8]) -> Option<&'b [u8]> {
        match self.spec.encoding {
            Encoding::Binary => {
                let out = buf.get_mut(..self.data.len())?;
                out.copy_from_slice(self.data);
                Some(out)
            }
            Encoding::Hex => {
                let out = buf.get_mut(..self.data.len() / 2)?;
                for (slot, pair) in out.iter_mut().zip(self.data.chunks_exact(2)) {
                    let v = |i: usize| {
                        pair.get(i)
                            .and_then(|&c| crate::codec::charset::hex_value(c))
                            .unwrap_or(0)
                    };
                    *slot = (v(0) << 4) | v(1);
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// A wrapper whose `Display` shows the clear value. Use only where clear text is wanted.
    pub fn clear(&self) -> Clear<'a> {
        Clear(*self)
    }

    /// The clear value as a new `String` (what `field.clear().to_string()` gives, without the
    /// formatting machinery). Clear text: handle with care.
    ///
    /// ```
    /// use iso8583_wire::{MessageBuilder, MessageView, Spec};
    /// let spec = Spec::builtin("iso87-bcd")?;
    /// let mut b = MessageBuilder::new(&spec);
    /// b.mti("0200")?.set(2, "4761739001010119")?;
    /// let wire = b.encode_to_vec()?;
    /// let pan = MessageView::decode(&spec, &wire)?.field(2).unwrap().clear_string();
    /// assert_eq!(pan, "4761739001010119");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clear_string(&self) -> String {
        self.chars().map(char::from).collect()
    }

    /// Writes the value to `out`, masked unless `unmask` is set.
    pub fn write_value(&self, out: &mut dyn fmt::Write, unmask: bool) -> fmt::Result {
        let mask = if unmask {
            crate::spec::Mask::None
        } else {
            self.spec.mask
        };
        write_masked(out, mask, self.chars(), self.len())
    }
}

impl fmt::Display for Field<'_> {
    /// The value, masked when the field is sensitive.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_value(f, false)
    }
}

impl fmt::Debug for Field<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Field({} {:?} = \"{}\")",
            self.number(),
            self.spec.name,
            self
        )
    }
}

/// Clear-text display of a field, from [`Field::clear`]. Its `Debug` stays masked.
#[derive(Clone, Copy)]
pub struct Clear<'a>(Field<'a>);

impl fmt::Debug for Clear<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Clear({:?})", self.0)
    }
}

impl fmt::Display for Clear<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write_value(f, true)
    }
}

/// A short clear value held on the stack (see [`Field::to_small`]). Its `Debug` does not show it.
#[derive(Clone, Copy)]
pub struct SmallText {
    buf: [u8; SmallText::CAPACITY],
    len: u8,
}

impl SmallText {
    /// The largest value it holds.
    pub const CAPACITY: usize = 64;

    /// The text.
    pub fn as_str(&self) -> &str {
        self.buf
            .get(..usize::from(self.len))
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl fmt::Debug for SmallText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmallText({} chars)", self.len)
    }
}

impl PartialEq<str> for SmallText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SmallText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
