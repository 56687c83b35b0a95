//! [`MessageView`]: a decoded message borrowing its bytes; no allocation, no copy.

#[allow(unused_imports)]
use crate::prelude::*;

use core::fmt;

use crate::codec::bitmap::Bitmap;
use crate::error::DecodeError;
use crate::spec::Spec;

use super::composite::{self, Subfield, SubfieldIter};
use super::field::Field;
use super::layout::{self, Layout};
use super::mti::Mti;
use super::owned::Message;
use super::typed::{OriginalData, ProcessingCode};

/// A decoded message over borrowed bytes.
///
/// Decoding records where each present field lies; field values are handed out as slices of
/// the input. Nothing is allocated.
///
/// ```
/// use iso8583_wire::{MessageBuilder, MessageView, Spec};
/// let spec = Spec::builtin("iso87-ascii-bin")?;
/// let mut b = MessageBuilder::new(&spec);
/// b.mti("0200")?.set(3, "000000")?.set(4, "000000001500")?.set(11, "000123")?;
/// let wire = b.encode_to_vec()?;
///
/// let msg = MessageView::decode(&spec, &wire)?;
/// assert_eq!(msg.mti().as_str(), "0200");
/// assert_eq!(msg.field(4).and_then(|f| f.to_u64()), Some(1500));
/// assert_eq!(msg.field(11).unwrap().as_str(), Some("000123"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct MessageView<'a> {
    spec: &'a Spec,
    buf: &'a [u8],
    layout: Layout,
}

impl<'a> MessageView<'a> {
    /// Decodes exactly one message filling `buf`; trailing bytes are an error.
    #[inline]
    pub fn decode(spec: &'a Spec, buf: &'a [u8]) -> Result<Self, DecodeError> {
        Self::decode_in_place(spec, buf, layout::decode_exact_into)
    }

    /// Decodes one message from the start of `buf`, leaving any bytes after it
    /// (see [`MessageView::encoded_len`] for where it ended).
    pub fn decode_prefix(spec: &'a Spec, buf: &'a [u8]) -> Result<Self, DecodeError> {
        Self::decode_in_place(spec, buf, layout::decode_into)
    }

    /// Builds the view in the return slot and runs `decode` on its layout there, so the span
    /// table is not copied out afterwards.
    #[inline(always)]
    fn decode_in_place(
        spec: &'a Spec,
        buf: &'a [u8],
        decode: fn(&mut Layout, &Spec, &[u8]) -> Result<(), DecodeError>,
    ) -> Result<Self, DecodeError> {
        let mut out = Ok(Self {
            spec,
            buf,
            layout: Layout::empty(),
        });
        if let Ok(view) = &mut out
            && let Err(e) = decode(&mut view.layout, spec, buf)
        {
            out = Err(e);
        }
        out
    }

    pub(crate) fn from_layout(spec: &'a Spec, buf: &'a [u8], layout: Layout) -> Self {
        Self { spec, buf, layout }
    }

    /// The spec the message was decoded with.
    pub fn spec(&self) -> &'a Spec {
        self.spec
    }

    /// The message type indicator.
    pub fn mti(&self) -> Mti {
        self.layout.mti
    }

    /// The fixed header ahead of the MTI (empty when the spec has none).
    pub fn header(&self) -> &'a [u8] {
        self.buf.get(..self.spec.header_len()).unwrap_or_default()
    }

    /// Presence bits (bitmap positions 1 and 65 included).
    pub fn bitmap(&self) -> &Bitmap {
        &self.layout.bitmap
    }

    /// Whether data element `n` is present.
    #[inline]
    pub fn has(&self, n: u16) -> bool {
        self.layout.bitmap.is_set(n) && !self.spec.is_bitmap_field(n)
    }

    /// Data element `n`, if present.
    #[inline]
    pub fn field(&self, n: u16) -> Option<Field<'a>> {
        if !self.has(n) {
            return None;
        }
        self.field_at(n)
    }

    /// Field `n` known to be present (its bit is set and it is not a bitmap position).
    #[inline(always)]
    fn field_at(&self, n: u16) -> Option<Field<'a>> {
        self.layout.field(self.spec, self.buf, n)
    }

    /// The clear value of field `n` as `&str` without copying, when its wire form is text
    /// (see [`Field::as_str`]): `None` for a packed-BCD or EBCDIC field even when present. To
    /// read or match a value whatever the spec's encoding, use [`MessageView::text`],
    /// [`MessageView::text_eq`] or [`MessageView::u64`].
    pub fn str(&self, n: u16) -> Option<&'a str> {
        self.field(n)?.as_str()
    }

    /// The subfields of composite field `n` (see [`crate::spec::Subfields`]); `None` when the
    /// field is absent or its spec defines no subfields. Nothing is copied except EMV data
    /// carried as hex text.
    ///
    /// ```
    /// use iso8583_wire::{MessageBuilder, MessageView, Spec};
    /// let spec = Spec::builtin("iso87-ascii-bin")?;
    /// let mut b = MessageBuilder::new(&spec);
    /// b.mti("0400")?.set(90, "020012345611221334550000000123400000000000")?;
    /// let wire = b.encode_to_vec()?;
    /// let view = MessageView::decode(&spec, &wire)?;
    /// let parts: Vec<String> = view.subfields(90).unwrap()?.map(|s| s.unwrap().clear_string()).collect();
    /// assert_eq!(parts, ["0200", "123456", "1122133455", "00000001234", "00000000000"]);
    /// assert_eq!(view.subfield("90.2")?.unwrap().to_u64(), Some(123456));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subfields(&self, n: u16) -> Option<Result<SubfieldIter<'a>, DecodeError>> {
        SubfieldIter::new(self.field(n)?)
    }

    /// A subfield by path: `"60.2"` (position or bit), `"48.AB"` (ASCII tag), `"55.9F26"`
    /// (EMV tag, found at any depth). `Ok(None)` when absent.
    pub fn subfield(&self, path: &str) -> Result<Option<Subfield<'a>>, DecodeError> {
        let Some((n, key)) = path.split_once('.') else {
            return Ok(None);
        };
        let Some(field) = n.parse().ok().and_then(|n| self.field(n)) else {
            return Ok(None);
        };
        composite::find(field, key)
    }

    /// DE 3 as a typed processing code.
    pub fn processing_code(&self) -> Option<ProcessingCode> {
        ProcessingCode::from_field(&self.field(3)?)
    }

    /// DE 90 as typed original data elements.
    pub fn original_data(&self) -> Option<OriginalData> {
        OriginalData::from_field(&self.field(90)?)
    }

    /// Present data elements in number order (bitmaps excluded).
    pub fn fields(&self) -> Fields<'_, 'a> {
        let words = self.layout.data_words(self.spec);
        Fields {
            view: self,
            bits: words[0],
            rest: [words[1], words[2]],
            base: 0,
            starts: self.layout.recorded_starts(),
            rank: 0,
            prev: (0, 0),
        }
    }

    /// The whole message as received (header included, trailing bytes excluded).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf.get(..self.layout.len).unwrap_or(self.buf)
    }

    /// Bytes the message takes on the wire.
    pub fn encoded_len(&self) -> usize {
        self.layout.len
    }

    /// Copies the bytes into an owned [`Message`] (one allocation).
    pub fn into_owned(self) -> Message {
        Message::from_parts(
            self.spec.clone(),
            bytes::Bytes::copy_from_slice(self.as_bytes()),
            self.layout,
        )
    }
}

/// Iterator over the present data elements of a [`MessageView`], from [`MessageView::fields`].
#[derive(Clone)]
pub struct Fields<'v, 'a> {
    view: &'v MessageView<'a>,
    /// Presence bits not yet handed out in the bitmap being walked, most significant first.
    bits: u64,
    /// Those of the bitmaps after it.
    rest: [u64; 2],
    /// Field number before the first bit of `bits` (0, 64 or 128).
    base: u16,
    /// Where the data elements the layout records start, by rank.
    starts: &'v [u16],
    /// Data elements handed out so far.
    rank: usize,
    /// The last one handed out and where its data ends (to walk on from past the elements
    /// whose start the layout records).
    prev: (u16, usize),
}

impl<'a> Iterator for Fields<'_, 'a> {
    type Item = Field<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<Field<'a>> {
        let view = self.view;
        loop {
            while self.bits == 0 {
                let [next, last] = self.rest;
                if next == 0 && last == 0 {
                    return None;
                }
                self.bits = next;
                self.rest = [last, 0];
                self.base += 64;
            }
            let lz = self.bits.leading_zeros();
            self.bits ^= 1u64 << (63 - lz);
            let n = self.base + lz as u16 + 1;
            let rank = self.rank;
            self.rank += 1;
            let field = match self.starts.get(rank) {
                Some(&start) => layout::field_at(view.spec, view.buf, n, usize::from(start)),
                None => {
                    let field = after_recorded(view, self.prev, n);
                    if let Some(f) = &field {
                        self.prev = (n, f.offset + f.data.len());
                    }
                    field
                }
            };
            if let Some(f) = field {
                return Some(f);
            }
        }
    }
}

/// Field `n`, present, past the elements whose start the layout records: walked to from
/// `prev`, the previous one handed out and where its data ends, so iterating a message of many
/// fields stays linear.
#[cold]
#[inline(never)]
fn after_recorded<'a>(view: &MessageView<'a>, prev: (u16, usize), n: u16) -> Option<Field<'a>> {
    let (prev, prev_end) = prev;
    if prev == 0 {
        view.layout.field(view.spec, view.buf, n)
    } else {
        view.layout
            .field_after(view.spec, view.buf, prev, prev_end, n)
    }
}

impl<'a> MessageView<'a> {
    /// The readable multi-line dump (the CLI's `pretty` format), masked unless
    /// [`Describe::unmask`](super::Describe::unmask) is asked; see [`super::describe`].
    pub fn describe(&self) -> super::Describe<'a> {
        super::Describe::new(self)
    }
}

impl fmt::Debug for Fields<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let left = self.bits.count_ones() + self.rest.iter().map(|w| w.count_ones()).sum::<u32>();
        write!(f, "Fields({left} left)")
    }
}

impl fmt::Debug for MessageView<'_> {
    /// Lists the MTI and each field, sensitive values masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageView")
            .field("spec", &self.spec.name())
            .field("mti", &self.mti())
            .field("fields", &FieldList(self))
            .finish()
    }
}

struct FieldList<'v, 'a>(&'v MessageView<'a>);

impl fmt::Debug for FieldList<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.fields()).finish()
    }
}

impl fmt::Display for MessageView<'_> {
    /// A readable dump: MTI with meaning, then one line per field (number, name, masked value).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "MTI {} ({})", self.mti(), self.mti().meaning())?;
        for field in self.fields() {
            writeln!(
                f,
                "  {:>3} {:<40} {}",
                field.number(),
                field.spec().name(),
                field
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A decoded view is returned by value and moved by callers (`let m = decode(..)?`); at
    /// 128 bytes or less the compiler moves and zeroes it with register moves, not `memcpy`.
    #[test]
    fn a_view_stays_within_128_bytes() {
        assert!(
            size_of::<MessageView<'_>>() <= 128,
            "{}",
            size_of::<MessageView<'_>>()
        );
        assert!(size_of::<Result<MessageView<'_>, DecodeError>>() <= 128);
    }
}
