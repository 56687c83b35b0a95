//! Lenient field decoding: a field whose data breaks its class, sign or pad rule is still
//! cut out of the message by its length, and the broken rule is reported beside it.
//!
//! Only the *value* rules bend: characters outside the class, a wrong `x+n` sign, a BCD nibble
//! that is not a digit, a pad nibble other than the spec's, a non-hex character in hex text.
//! Structural faults (a length prefix that is not a number, a length over the maximum, data
//! running past the end of the input) still stop decoding: without them the field's extent,
//! and so where the next field starts, is unknown.
//!
//! The strict decoder's hot path is not touched: this module runs it first and only on a
//! value fault works the extent out again without the checks.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::error::DecodeErrorKind;
use crate::spec::hot::FieldHot;

use super::field::{Fault, Span, bcd_digits_in_bytes, decode_fast};
use super::prefix;

/// Whether a decode fault is a broken value rule (the field's extent is still known).
pub(crate) fn is_value_fault(kind: &DecodeErrorKind) -> bool {
    matches!(
        kind,
        DecodeErrorKind::BadCharacter { .. }
            | DecodeErrorKind::BadBcdNibble
            | DecodeErrorKind::BadPadNibble
            | DecodeErrorKind::BadHexDigit
    )
}

/// Decodes field `fs` at `pos` leniently: its span, the position after it and the value rule
/// it breaks, if any. Structural faults are errors as in strict decoding.
pub(crate) fn decode_field(
    fs: &FieldHot,
    buf: &[u8],
    pos: usize,
) -> Result<(Span, usize, Option<Fault>), Fault> {
    match decode_fast(fs, buf, pos) {
        Ok((span, next)) => Ok((span, next, None)),
        Err(fault) if is_value_fault(&fault.kind) => {
            let (span, next) = extent_unchecked(fs, buf, pos).ok_or(fault)?;
            Ok((span, next, Some(fault)))
        }
        Err(fault) => Err(fault),
    }
}

/// The span of a field whose structure the strict decoder accepted (prefix readable, length
/// within its maximum, data within `buf`) but whose value it refused.
fn extent_unchecked(fs: &FieldHot, buf: &[u8], pos: usize) -> Option<(Span, usize)> {
    let (len, start) = if fs.is_variable() {
        let width = usize::from(fs.prefix_len);
        let raw = buf.get(pos..pos.checked_add(width)?)?;
        (prefix::decode_exact(raw, fs.prefix)?, pos + width)
    } else {
        (fs.len as usize, pos)
    };
    let nbytes = if fs.is_variable() {
        if fs.packed_digits {
            len.div_ceil(2)
        } else {
            len
        }
    } else {
        fs.fixed_bytes as usize
    };
    let end = start.checked_add(nbytes)?;
    let data = buf.get(start..end)?;
    let units = if fs.packed_digits || fs.class == crate::spec::Class::XN {
        // Digits, or the characters of a sign before packed digits.
        len
    } else if fs.encoding == crate::spec::Encoding::Bcd {
        bcd_digits_in_bytes(fs.bcd_pad, data)
    } else {
        nbytes
    };
    Some((
        Span {
            start: u32::try_from(start).ok()?,
            units: u32::try_from(units).ok()?,
        },
        end,
    ))
}
