//! Lenient decoding: the message as it is, with a list of the rules it breaks.
//!
//! Real traffic bends the rules: letters in an `ns` field, an `x+n` amount signed `0`, a packed
//! PAN padded with the other pad nibble, text in a class `n` field. The strict decoder refuses
//! the whole message for one such field; [`MessageView::decode_lenient`] decodes it anyway,
//! hands each field's bytes and characters out as they are, and lists every broken rule as a
//! [`DecodeError`] (field or subfield, byte offset, what was wrong) beside the message.
//!
//! What bends: characters outside a field's class (the `x+n` sign included), BCD nibbles that
//! are not digits, a pad nibble other than the spec's, non-hex characters in hex text, and
//! inside composite fields whatever their subfield walk refuses (a bad subfield character, a
//! malformed TLV). What does not: a header, MTI or bitmap that cannot be read (an error, as
//! in strict decoding), and a structural fault in a field (a length prefix that is not a
//! number, a length over the maximum, data past the end of the input, a field the spec does
//! not define, trailing bytes). Such a fault stops decoding; the fields decoded before it stay
//! available and the fault is given by [`Lenient::stopped`].
//!
//! A message decoded leniently re-encodes byte for byte through
//! [`crate::MessageBuilder::from_view`], which takes a decoded field's wire bytes as they are.
//!
//! ```
//! use iso8583_wire::{DecodeErrorKind, MessageBuilder, MessageView, Spec};
//! let spec = Spec::builtin("iso87-ascii-bin")?;
//! let mut b = MessageBuilder::new(&spec);
//! b.mti("0200")?.set(3, "000000")?.set(11, "000042")?;
//! let mut wire = b.encode_to_vec()?;
//! // DE 3 (class n) starts after the 4-byte MTI and the 8-byte bitmap; put a letter in it.
//! wire[14] = b'X';
//! assert!(MessageView::decode(&spec, &wire).is_err());
//!
//! let lenient = MessageView::decode_lenient(&spec, &wire)?;
//! assert_eq!(lenient.view().str(3), Some("00X000"));
//! let w = &lenient.warnings()[0];
//! assert_eq!((w.field(), w.offset), (Some(3), 14));
//! assert!(matches!(w.kind, DecodeErrorKind::BadCharacter { .. }));
//! assert_eq!(MessageBuilder::from_view(lenient.view()).encode_to_vec()?, wire);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[allow(unused_imports)]
use crate::prelude::*;

use crate::codec::bitmap::Bitmap;
use crate::codec::charset::EBCDIC_TO_LATIN1;
use crate::codec::lenient;
use crate::error::{DecodeError, DecodeErrorKind, Location};
use crate::spec::{MtiEncoding, Spec};

use super::composite::SubfieldIter;
use super::layout::{self, Layout};
use super::mti::Mti;
use super::view::MessageView;

/// A leniently decoded message: the view, the rules it breaks, and the structural fault that
/// stopped decoding early, if one did. See [`MessageView::decode_lenient`].
#[derive(Clone, Debug)]
pub struct Lenient<'a> {
    view: MessageView<'a>,
    warnings: Vec<DecodeError>,
    stopped: Option<DecodeError>,
}

impl<'a> Lenient<'a> {
    /// The message: every field decoded (up to the structural fault, if there was one).
    pub fn view(&self) -> &MessageView<'a> {
        &self.view
    }

    /// Each broken value rule, in the order met (field number order, a field's subfield
    /// faults after it).
    pub fn warnings(&self) -> &[DecodeError] {
        &self.warnings
    }

    /// The structural fault that ended decoding before the end of the message (or the trailing
    /// bytes after it), if any. The view then holds the fields decoded before it.
    pub fn stopped(&self) -> Option<&DecodeError> {
        self.stopped.as_ref()
    }

    /// Whether the message breaks no rule at all (what strict decoding would have accepted,
    /// composite fields' subfields included).
    pub fn is_clean(&self) -> bool {
        self.warnings.is_empty() && self.stopped.is_none()
    }

    /// The view, the warnings and the stopping fault.
    pub fn into_parts(self) -> (MessageView<'a>, Vec<DecodeError>, Option<DecodeError>) {
        (self.view, self.warnings, self.stopped)
    }
}

impl<'a> MessageView<'a> {
    /// Decodes `buf` leniently (see [`Lenient`]): fields that break their class, sign or pad
    /// rule are decoded as they are and reported. Errs only when the header, MTI or bitmaps
    /// cannot be read, since then no field can be.
    pub fn decode_lenient(spec: &'a Spec, buf: &'a [u8]) -> Result<Lenient<'a>, DecodeError> {
        decode(spec, buf)
    }
}

fn decode<'a>(spec: &'a Spec, buf: &'a [u8]) -> Result<Lenient<'a>, DecodeError> {
    let inner = &*spec.0;
    let hlen = inner.header_len;
    if buf.len() < hlen {
        return Err(truncated(Location::Header, 0, hlen, buf));
    }
    let mut pos = hlen;
    let mti = read_mti(inner.mti, buf, pos)?;
    pos += inner.mti.wire_len();

    let benc = inner.bitmap;
    let blen = benc.wire_len();
    let mut wire_bitmap = Bitmap::new();
    layout::read_bitmap(&mut wire_bitmap, 0, buf, pos, benc, false)?;
    pos += blen;
    if wire_bitmap.is_set(1) {
        layout::read_bitmap(&mut wire_bitmap, 1, buf, pos, benc, true)?;
        pos += blen;
    }

    // Bits of what was decoded: the bitmaps as read, and each data element once decoded.
    let mut bitmap = Bitmap::new();
    if wire_bitmap.is_set(1) {
        bitmap.set(1);
    }
    let mut starts = Vec::new();
    let mut warnings = Vec::new();
    let mut stopped = None;
    let mut n = 1u16;
    while n < crate::spec::MAX_FIELD {
        n += 1;
        if !wire_bitmap.is_set(n) {
            continue;
        }
        if spec.is_bitmap_field(n) {
            if let Err(e) = layout::read_bitmap(&mut wire_bitmap, 2, buf, pos, benc, false) {
                stopped = Some(DecodeError::new(Location::Field(65), e.offset, e.kind));
                break;
            }
            bitmap.set(n);
            pos += blen;
            continue;
        }
        let fs = match inner.hot.get(usize::from(n)) {
            Some(fs) if fs.defined => fs,
            _ => {
                stopped = Some(DecodeError::new(
                    Location::Field(n),
                    pos,
                    DecodeErrorKind::FieldNotInSpec,
                ));
                break;
            }
        };
        match lenient::decode_field(fs, buf, pos) {
            Ok((span, next, fault)) => {
                bitmap.set(n);
                starts.push(span.start as usize);
                if let Some(f) = fault {
                    warnings.push(DecodeError::new(Location::Field(n), f.offset, f.kind));
                }
                pos = next;
            }
            Err(f) => {
                stopped = Some(DecodeError::new(Location::Field(n), f.offset, f.kind));
                break;
            }
        }
    }
    if stopped.is_none() && pos < buf.len() {
        stopped = Some(super::layout::trailing_at(pos, buf.len()));
    }
    let view = MessageView::from_layout(spec, buf, Layout::assemble(mti, bitmap, &starts, pos));
    check_subfields(&view, &mut warnings);
    Ok(Lenient {
        view,
        warnings,
        stopped,
    })
}

/// Appends the first fault of each composite field's subfield walk (fields whose own value
/// already broke a rule are skipped: their layout is not to be trusted).
fn check_subfields(view: &MessageView<'_>, warnings: &mut Vec<DecodeError>) {
    let broken: Vec<u16> = warnings.iter().filter_map(DecodeError::field).collect();
    for field in view.fields() {
        if broken.contains(&field.number()) {
            continue;
        }
        let fault = match SubfieldIter::new(field) {
            None => None,
            Some(Err(e)) => Some(e),
            Some(Ok(mut subs)) => subs.find_map(Result::err),
        };
        warnings.extend(fault);
    }
}

fn read_mti(enc: MtiEncoding, buf: &[u8], pos: usize) -> Result<Mti, DecodeError> {
    let len = enc.wire_len();
    let raw = buf
        .get(pos..)
        .and_then(|rest| rest.get(..len))
        .ok_or_else(|| truncated(Location::Mti, pos, len, buf))?;
    let mut d = [b'?'; 4];
    match enc {
        MtiEncoding::Ascii => {
            for (slot, &c) in d.iter_mut().zip(raw) {
                *slot = c;
            }
        }
        MtiEncoding::Ebcdic => {
            for (slot, &c) in d.iter_mut().zip(raw) {
                *slot = EBCDIC_TO_LATIN1[usize::from(c)];
            }
        }
        MtiEncoding::Bcd => {
            for (pair, &c) in d.chunks_exact_mut(2).zip(raw) {
                for (slot, nibble) in pair.iter_mut().zip([c >> 4, c & 0xF]) {
                    *slot = if nibble < 10 { b'0' + nibble } else { b'?' };
                }
            }
        }
    }
    Mti::from_digits(d).map_err(|_| DecodeError::new(Location::Mti, pos, DecodeErrorKind::BadMti))
}

fn truncated(loc: Location, offset: usize, needed: usize, buf: &[u8]) -> DecodeError {
    DecodeError::new(
        loc,
        offset,
        DecodeErrorKind::Truncated {
            needed,
            available: buf.len().saturating_sub(offset),
        },
    )
}
