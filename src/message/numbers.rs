//! Typed numbers: [`MessageBuilder::set_u64`] and [`MessageBuilder::set_amount`] write a number
//! into a numeric field, zero-padded to a fixed field's length, and [`Field::to_amount`] reads a
//! signed amount back. The digits are then written in the field's own encoding (ASCII, packed
//! BCD or EBCDIC), so the same call gives the same value in every spec.
//!
//! ```
//! use iso8583_wire::{MessageBuilder, MessageView, Spec};
//! for name in ["iso87-ascii-bin", "iso87-bcd", "iso87-ebcdic"] {
//!     let spec = Spec::builtin(name)?;
//!     let mut b = MessageBuilder::new(&spec);
//!     b.mti("0200")?
//!         .set_amount(4, 2500)? // n 12: "000000002500"
//!         .set_u64(11, 42)? // n 6: "000042"
//!         .set_amount(28, -150)?; // x+n 9: "D00000150"
//!     let wire = b.encode_to_vec()?;
//!     let v = MessageView::decode(&spec, &wire)?;
//!     assert_eq!(v.text(4).as_deref(), Some("000000002500"), "{name}");
//!     assert_eq!(v.u64(11), Some(42), "{name}");
//!     assert_eq!(v.field(28).unwrap().to_amount(), Some(-150), "{name}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[allow(unused_imports)]
use crate::prelude::*;

use crate::error::{EncodeError, EncodeErrorKind};
use crate::spec::{Class, Encoding, FieldSpec, Length, LengthUnit};

use super::builder::MessageBuilder;
use super::field::Field;

/// Digits written on the stack before being set (longer fixed fields go through a `String`).
const STACK_DIGITS: usize = 40;

impl MessageBuilder<'_> {
    /// Sets numeric field `n` (class `n`) to `value`, in decimal. A fixed-length field is
    /// zero-padded on the left to its length (`set_u64(11, 42)` writes `000042` into an n 6
    /// STAN); a variable-length field gets the digits only. Errors name the field: not numeric
    /// ([`EncodeErrorKind::NotNumeric`]), more digits than the field holds
    /// ([`EncodeErrorKind::TooLong`]), not in the spec.
    ///
    /// ```
    /// use iso8583_wire::{MessageBuilder, Spec};
    /// let spec = Spec::builtin("iso87-ascii")?;
    /// let mut b = MessageBuilder::new(&spec);
    /// b.mti("0800")?.set_u64(11, 7)?;
    /// assert_eq!(b.set_u64(11, 1_234_567).unwrap_err().to_string(), "field 11: length 7 exceeds max 6");
    /// assert!(b.set_u64(41, 1).is_err()); // DE 41 is ans, not a number
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_u64(&mut self, n: u16, value: u64) -> Result<&mut Self, EncodeError> {
        let fs = self.number_field(n)?;
        if fs.class() != Class::N {
            return Err(not_numeric(fs));
        }
        let width = digit_width(fs, 0);
        self.set_digits(n, None, value, width)
    }

    /// Sets amount field `n` to `minor_units` (cents, fen, ...): a class `n` amount (DE 4, 5, 6)
    /// as [`MessageBuilder::set_u64`] does, refusing a negative one
    /// ([`EncodeErrorKind::NegativeAmount`]); a class `x+n` amount (DE 28-31: fees) with its
    /// sign, `C` for zero and up and `D` below zero, then the magnitude zero-padded to the
    /// field's length (a field whose `signs` are `+` and `-` without `C` and `D` gets `+` and
    /// `-`). (Which of credit and debit a fee is depends on the network's point of view; pass
    /// the sign your network's documentation gives.)
    ///
    /// ```
    /// use iso8583_wire::{MessageBuilder, MessageView, Spec};
    /// let spec = Spec::builtin("iso87-ascii")?;
    /// let mut b = MessageBuilder::new(&spec);
    /// b.mti("0200")?.set_amount(4, 2500)?.set_amount(28, -150)?;
    /// let wire = b.encode_to_vec()?;
    /// let v = MessageView::decode(&spec, &wire)?;
    /// assert_eq!(v.str(4), Some("000000002500"));
    /// assert_eq!(v.str(28), Some("D00000150"));
    /// assert!(b.set_amount(4, -1).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_amount(&mut self, n: u16, minor_units: i64) -> Result<&mut Self, EncodeError> {
        let fs = self.number_field(n)?;
        match fs.class() {
            Class::N if minor_units < 0 => {
                Err(EncodeError::field(n, EncodeErrorKind::NegativeAmount))
            }
            Class::N => {
                let width = digit_width(fs, 0);
                self.set_digits(n, None, minor_units.unsigned_abs(), width)
            }
            Class::XN => {
                let signs = fs.signs();
                let plus_minus = signs.contains(b'+')
                    && signs.contains(b'-')
                    && !(signs.contains(b'C') && signs.contains(b'D'));
                let sign = match (plus_minus, minor_units < 0) {
                    (true, true) => b'-',
                    (true, false) => b'+',
                    (false, true) => b'D',
                    (false, false) => b'C',
                };
                let width = digit_width(fs, 1);
                self.set_digits(n, Some(sign), minor_units.unsigned_abs(), width)
            }
            _ => Err(not_numeric(fs)),
        }
    }

    fn number_field(&self, n: u16) -> Result<&FieldSpec, EncodeError> {
        if self.spec().is_bitmap_field(n) {
            return Err(EncodeError::field(n, EncodeErrorKind::ComputedField));
        }
        self.spec()
            .field(n)
            .ok_or(EncodeError::field(n, EncodeErrorKind::FieldNotInSpec))
    }

    /// Sets field `n` to `sign` (if any), then `value` in decimal zero-padded to `width`
    /// digits (`None`: no padding).
    fn set_digits(
        &mut self,
        n: u16,
        sign: Option<u8>,
        value: u64,
        width: Option<usize>,
    ) -> Result<&mut Self, EncodeError> {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut rest = value;
        loop {
            start -= 1;
            if let Some(d) = digits.get_mut(start) {
                *d = b'0' + (rest % 10) as u8;
            }
            rest /= 10;
            if rest == 0 || start == 0 {
                break;
            }
        }
        let digits = digits.get(start..).unwrap_or_default();
        let width = width.unwrap_or(digits.len());
        if digits.len() > width {
            let sign_len = usize::from(sign.is_some());
            return Err(EncodeError::field(
                n,
                EncodeErrorKind::TooLong {
                    len: digits.len() + sign_len,
                    max: width + sign_len,
                },
            ));
        }
        let zeros = core::iter::repeat_n(b'0', width - digits.len());
        let text = sign.into_iter().chain(zeros).chain(digits.iter().copied());
        let len = width + usize::from(sign.is_some());
        if len <= STACK_DIGITS {
            let mut buf = [0u8; STACK_DIGITS];
            for (slot, c) in buf.iter_mut().zip(text) {
                *slot = c;
            }
            let s = buf
                .get(..len)
                .and_then(|b| core::str::from_utf8(b).ok())
                .unwrap_or_default();
            self.set_copied(n, s)
        } else {
            let s: String = text.map(char::from).collect();
            self.set_copied(n, &s)
        }
    }
}

/// Digits a fixed field of `fs` holds after `sign` sign characters (`None`: variable length).
fn digit_width(fs: &FieldSpec, sign: usize) -> Option<usize> {
    match fs.length() {
        Length::Fixed(len) => {
            let len = len as usize;
            // Packed BCD whose length counts bytes holds two digits a byte.
            let chars = if fs.encoding() == Encoding::Bcd && fs.unit() == LengthUnit::Bytes {
                len * 2
            } else {
                len
            };
            Some(chars.saturating_sub(sign))
        }
        Length::Variable { .. } => None,
    }
}

fn not_numeric(fs: &FieldSpec) -> EncodeError {
    EncodeError::field(
        fs.number(),
        EncodeErrorKind::NotNumeric { class: fs.class() },
    )
}

impl Field<'_> {
    /// A numeric amount as signed minor units: a class `n` value as it is, a class `x+n` value
    /// negative when its sign is `D` or `-` and positive when it is `C` or `+` (the reverse of
    /// [`MessageBuilder::set_amount`]). `None` for other classes and signs, empty values and
    /// values past `i64`.
    pub fn to_amount(&self) -> Option<i64> {
        match self.spec().class() {
            Class::N => i64::try_from(self.to_u64()?).ok(),
            Class::XN => {
                let mut chars = self.chars();
                let negative = match chars.next()? {
                    b'D' | b'-' => true,
                    b'C' | b'+' => false,
                    _ => return None,
                };
                let mut any = false;
                let magnitude = chars.try_fold(0i64, |acc, c| {
                    any = true;
                    c.is_ascii_digit()
                        .then(|| acc.checked_mul(10)?.checked_add(i64::from(c - b'0')))
                        .flatten()
                })?;
                any.then_some(if negative { -magnitude } else { magnitude })
            }
            _ => None,
        }
    }
}
