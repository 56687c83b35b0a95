//! Zero-copy BER-TLV as used by EMV chip data (ISO 8583 DE 55, EMV Book 3 annex B).
//!
//! EMV uses a subset of ASN.1 BER (ISO/IEC 8825-1):
//!
//! * **Tag**: "If bits b5-b1 of the first byte equal '11111', then the tag
//!   number is encoded in subsequent bytes; b8 of each subsequent byte set to 1
//!   means another byte follows." EMV tags are at most three bytes long.
//! * **Length**: "When bit b8 of the most significant byte of the length field is
//!   set to 0, the length field consists of only one byte (0..127). When b8 is
//!   set to 1, bits b7-b1 code the number of subsequent length bytes." This
//!   module accepts `81`..`84`; the indefinite form `80` and anything above
//!   `84` are rejected.
//! * **Padding**: "Before, between, or after TLV-coded data objects, '00' or 'FF'
//!   bytes without any meaning may occur." They are skipped, and kept in
//!   [`Tlv::padding`] / [`TlvIter::trailing_padding`] so a field can be rebuilt
//!   byte for byte.
//!
//! Reading never allocates: [`TlvIter`], [`Walk`] and [`find`] borrow the input,
//! and every [`Tlv`] keeps its `raw` wire slice, so a non-minimal length such as
//! `81 05` is written back unchanged by [`TlvWriter::write_raw`].
//!
//! Neither errors nor `Debug` output ever contain value bytes: DE 55 can hold
//! track 2 equivalent data and cryptograms.
//!
//! ```
//! use iso8583_wire::codec::tlv::{Tag, TlvIter};
//!
//! let de55 = [0x9F, 0x27, 0x01, 0x80, 0x9C, 0x01, 0x00];
//! let tags: Vec<String> = TlvIter::new(&de55)
//!     .map(|t| t.map(|t| t.tag.to_string()))
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(tags, ["9F27", "9C"]);
//! # Ok::<(), iso8583_wire::codec::tlv::TlvError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(
    missing_docs,
    missing_debug_implementations,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[allow(unused_imports)]
use crate::prelude::*;

use core::fmt;
use core::str::FromStr;

use bytes::BufMut;

/// Most tag bytes EMV allows.
pub const MAX_TAG_LEN: usize = 3;

/// Deepest nesting [`Walk`] and [`find`] descend into: objects at depth
/// `0..MAX_DEPTH` are visited, a constructed object at depth `MAX_DEPTH - 1`
/// with a non-empty value is an error.
pub const MAX_DEPTH: usize = 8;

/// `true` for the bytes EMV allows as padding between objects (`00`, `FF`).
#[inline]
const fn is_padding(b: u8) -> bool {
    b == 0x00 || b == 0xFF
}

// ---------------------------------------------------------------------------
// Tag
// ---------------------------------------------------------------------------

/// A BER tag of one to three bytes, kept as its raw big-endian bytes.
///
/// `Tag::new(0x9F26)` is the two bytes `9F 26`. Only well-formed tags can be
/// built: the continuation bits must agree with the length, and the first byte
/// may not be `00` or `FF` (those are padding in EMV data).
///
/// ```
/// use iso8583_wire::codec::tlv::{Tag, TagClass};
///
/// let ac: Tag = "9F26".parse()?;
/// assert_eq!(ac, Tag::new(0x9F26).unwrap());
/// assert_eq!(ac.len(), 2);
/// assert_eq!(ac.class(), TagClass::ContextSpecific);
/// assert!(!ac.is_constructed());
/// assert_eq!(ac.to_string(), "9F26");
/// assert!(Tag::new(0x70).unwrap().is_constructed());
/// # Ok::<(), iso8583_wire::codec::tlv::ParseTagError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    raw: u32,
    len: u8,
}

/// The class of a tag (bits b8-b7 of its first byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TagClass {
    /// `00`: universal.
    Universal,
    /// `01`: application (e.g. `5A`, `5F2A`).
    Application,
    /// `10`: context-specific (e.g. `82`, `9F26`).
    ContextSpecific,
    /// `11`: private (e.g. `DF8101`).
    Private,
}

impl Tag {
    /// Builds a tag from its raw big-endian bytes held in a `u32`
    /// (`0x9F26` for `9F 26`); `None` unless it is a well-formed 1..=3 byte tag.
    pub const fn new(raw: u32) -> Option<Tag> {
        let len = byte_len(raw);
        if len == 0 || len > MAX_TAG_LEN {
            return None;
        }
        let first = (raw >> (8 * (len - 1))) as u8;
        if is_padding(first) {
            return None;
        }
        let multi = first & 0x1F == 0x1F;
        if len == 1 {
            return if multi {
                None
            } else {
                Some(Tag { raw, len: 1 })
            };
        }
        if !multi {
            return None;
        }
        // A middle byte (three-byte tags only) must announce a follower,
        // the last byte must not.
        let middle = (raw >> 8) as u8;
        if len == 3 && middle & 0x80 == 0 {
            return None;
        }
        if raw & 0x80 != 0 {
            return None;
        }
        Some(Tag {
            raw,
            len: len as u8,
        })
    }

    /// Builds a tag without checking it; for the crate's own static tables,
    /// whose entries are checked by tests.
    pub(crate) const fn from_raw_unchecked(raw: u32) -> Tag {
        Tag {
            raw,
            len: byte_len(raw) as u8,
        }
    }

    /// Builds a tag from exactly its wire bytes; `None` if `bytes` is not one
    /// well-formed tag.
    ///
    /// ```
    /// use iso8583_wire::codec::tlv::Tag;
    /// assert_eq!(Tag::from_bytes(&[0xDF, 0x81, 0x01]), Tag::new(0xDF8101));
    /// assert_eq!(Tag::from_bytes(&[0x9F]), None);
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Option<Tag> {
        if bytes.is_empty() || bytes.len() > MAX_TAG_LEN {
            return None;
        }
        let raw = bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
        let tag = Tag::new(raw)?;
        (tag.len() == bytes.len()).then_some(tag)
    }

    /// The raw tag bytes as a big-endian number (`0x9F26`).
    #[inline]
    pub const fn as_u32(self) -> u32 {
        self.raw
    }

    /// Number of bytes the tag takes on the wire (1..=3).
    #[inline]
    #[allow(clippy::len_without_is_empty)] // a tag is never empty
    pub const fn len(self) -> usize {
        self.len as usize
    }

    /// The first tag byte, which carries the class and the constructed bit.
    #[inline]
    const fn first_byte(self) -> u8 {
        (self.raw >> (8 * (self.len as u32 - 1))) as u8
    }

    /// `true` when bit b6 of the first byte is set: the value is itself a
    /// sequence of TLV objects (e.g. `70`, `77`, `A5`, `BF0C`).
    #[inline]
    pub const fn is_constructed(self) -> bool {
        self.first_byte() & 0x20 != 0
    }

    /// The tag class from bits b8-b7 of the first byte.
    #[inline]
    pub const fn class(self) -> TagClass {
        match self.first_byte() >> 6 {
            0 => TagClass::Universal,
            1 => TagClass::Application,
            2 => TagClass::ContextSpecific,
            _ => TagClass::Private,
        }
    }

    /// The wire bytes, left-aligned in a 3-byte array; the first
    /// [`len`](Tag::len) are meaningful.
    #[inline]
    pub const fn to_bytes(self) -> [u8; MAX_TAG_LEN] {
        let shifted = self.raw << (8 * (4 - self.len as u32));
        [
            (shifted >> 24) as u8,
            (shifted >> 16) as u8,
            (shifted >> 8) as u8,
        ]
    }

    /// Appends the wire bytes to `out`. The caller has checked that `out` has
    /// room for [`len`](Tag::len) bytes.
    fn put<B: BufMut>(self, out: &mut B) {
        let b = self.to_bytes();
        out.put_slice(b.get(..self.len()).unwrap_or(&[]));
    }
}

/// Number of significant bytes in `raw` (0 for 0).
const fn byte_len(raw: u32) -> usize {
    4 - (raw.leading_zeros() / 8) as usize
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:0width$X}", self.raw, width = self.len() * 2)
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

/// Why a string is not a tag (see [`Tag`]'s `FromStr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseTagError {
    /// Not 2, 4 or 6 characters.
    #[error("tag must be 2, 4 or 6 hex digits")]
    BadLength,
    /// A character outside `0-9A-Fa-f`.
    #[error("tag contains a non-hex character")]
    NotHex,
    /// Hex, but the continuation bits do not match the length, or the
    /// first byte is `00`/`FF`.
    #[error("not a well-formed BER tag")]
    Malformed,
}

impl FromStr for Tag {
    type Err = ParseTagError;

    /// Parses uppercase or lowercase hex, such as `9F26` or `df8101`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !matches!(s.len(), 2 | 4 | 6) {
            return Err(ParseTagError::BadLength);
        }
        // `from_str_radix` accepts a leading `+`: check the digits first.
        if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParseTagError::NotHex);
        }
        let raw = u32::from_str_radix(s, 16).map_err(|_| ParseTagError::NotHex)?;
        match Tag::new(raw) {
            Some(tag) if tag.len() * 2 == s.len() => Ok(tag),
            _ => Err(ParseTagError::Malformed),
        }
    }
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// What went wrong while reading a TLV object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlvErrorKind {
    /// The data ends inside a multi-byte tag.
    #[error("data ends inside a tag")]
    TruncatedTag,
    /// A tag announces a fourth byte.
    #[error("tag longer than {MAX_TAG_LEN} bytes")]
    TagTooLong,
    /// The data ends before or inside the length field.
    #[error("data ends inside the length")]
    TruncatedLength,
    /// The indefinite form `80`, or a long form above `84`.
    #[error("unsupported length form {first_byte:#04X}")]
    BadLengthForm {
        /// The first length byte.
        first_byte: u8,
    },
    /// The length announces more bytes than are left.
    #[error("length {declared} past end of data")]
    LengthPastEnd {
        /// The length the object announces.
        declared: usize,
        /// The bytes left after the length field.
        available: usize,
    },
    /// A constructed object would need more than [`MAX_DEPTH`] levels.
    #[error("nesting deeper than {max} levels")]
    NestingTooDeep {
        /// The limit that was hit.
        max: usize,
    },
}

/// A located TLV reading error. Holds no value bytes.
///
/// `offset` counts from the start of the field (for children too) and points
/// at the faulty element:
///
/// | kind | offset of | `tag` |
/// |---|---|---|
/// | `TruncatedTag`, `TagTooLong` | the tag's first byte | `None` |
/// | `TruncatedLength`, `BadLengthForm`, `LengthPastEnd` | the first length byte | `Some` |
/// | `NestingTooDeep` | the constructed object's tag | `Some` |
///
/// ```
/// use iso8583_wire::codec::tlv::{Tag, TlvErrorKind, TlvIter};
///
/// let data = [0x9F, 0x27, 0x01, 0x80, 0x9F, 0x26, 0x08, 0x01, 0x02];
/// let err = TlvIter::new(&data).nth(1).unwrap().unwrap_err();
/// assert_eq!(err.offset, 6);
/// assert_eq!(err.tag, Tag::new(0x9F26));
/// assert_eq!(err.kind, TlvErrorKind::LengthPastEnd { declared: 8, available: 2 });
/// assert_eq!(err.to_string(), "tag 9F26: length 8 past end of data (at byte 6)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub struct TlvError {
    /// Byte position of the faulty element, from the start of the field.
    pub offset: usize,
    /// The tag of the object, once it was read.
    pub tag: Option<Tag>,
    /// What went wrong.
    pub kind: TlvErrorKind,
}

impl fmt::Display for TlvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(tag) = self.tag {
            write!(f, "tag {tag}: ")?;
        }
        write!(f, "{} (at byte {})", self.kind, self.offset)
    }
}

// ---------------------------------------------------------------------------
// Tlv and TlvIter
// ---------------------------------------------------------------------------

/// One TLV object, borrowed from the field it was read from.
///
/// `Debug` shows the tag, offset and lengths only, never the value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag.
    pub tag: Tag,
    /// The value bytes (for a constructed tag: the encoded children).
    pub value: &'a [u8],
    /// Position of the tag's first byte from the start of the field.
    pub offset: usize,
    /// The whole object as read: tag, length (in its original form) and value.
    pub raw: &'a [u8],
    /// The `00`/`FF` padding bytes skipped just before this object.
    pub padding: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Length of tag plus length field.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.raw.len().saturating_sub(self.value.len())
    }

    /// Position of the first value byte from the start of the field.
    #[inline]
    pub fn value_offset(&self) -> usize {
        self.offset.saturating_add(self.header_len())
    }

    /// `true` when the length field is the shortest form for the value's length
    /// (`81 05` is not; `05` is).
    pub fn has_minimal_length(&self) -> bool {
        self.header_len() == self.tag.len() + length_field_len(self.value.len())
    }

    /// The children of a constructed object, with offsets from the same field
    /// start; `None` for a primitive tag.
    ///
    /// ```
    /// use iso8583_wire::codec::tlv::{Tag, TlvIter};
    ///
    /// let data = [0x70, 0x04, 0x5F, 0x34, 0x01, 0x01];
    /// let tpl = TlvIter::new(&data).next().unwrap()?;
    /// let child = tpl.children().unwrap().next().unwrap()?;
    /// assert_eq!((child.tag, child.value, child.offset), (Tag::new(0x5F34).unwrap(), &[1u8][..], 2));
    /// # Ok::<(), iso8583_wire::codec::tlv::TlvError>(())
    /// ```
    pub fn children(&self) -> Option<TlvIter<'a>> {
        self.tag
            .is_constructed()
            .then(|| TlvIter::with_base(self.value, self.value_offset()))
    }
}

impl fmt::Debug for Tlv<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tlv")
            .field("tag", &self.tag)
            .field("offset", &self.offset)
            .field("len", &self.value.len())
            .field("raw_len", &self.raw.len())
            .field("padding_len", &self.padding.len())
            .finish()
    }
}

/// Iterator over the TLV objects at one level of a field.
///
/// Yields `Ok(Tlv)` per object, skipping `00`/`FF` padding; after the first
/// error it yields that error and then stops. Never allocates.
///
/// ```
/// use iso8583_wire::codec::tlv::{Tag, TlvIter};
///
/// // 9F36 with a non-minimal length `81 02`, then padding.
/// let data = [0x9F, 0x36, 0x81, 0x02, 0x00, 0x42, 0x00, 0x00];
/// let mut it = TlvIter::new(&data);
/// let atc = it.next().unwrap()?;
/// assert_eq!(atc.tag, Tag::new(0x9F36).unwrap());
/// assert_eq!(atc.value, [0x00, 0x42]);
/// assert_eq!(atc.raw, &data[..6]);
/// assert!(it.next().is_none());
/// assert_eq!(it.trailing_padding(), [0x00, 0x00]);
/// # Ok::<(), iso8583_wire::codec::tlv::TlvError>(())
/// ```
#[derive(Clone)]
pub struct TlvIter<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
    done: bool,
    trailing: &'a [u8],
}

impl<'a> TlvIter<'a> {
    /// An iterator with nothing to yield.
    pub const EMPTY: TlvIter<'static> = TlvIter {
        data: &[],
        pos: 0,
        base: 0,
        done: true,
        trailing: &[],
    };

    /// Iterates over the objects in `data`, offsets counted from `data[0]`.
    pub fn new(data: &'a [u8]) -> Self {
        Self::with_base(data, 0)
    }

    /// Iterates over `data` that starts `base` bytes into the field, so
    /// offsets in items and errors count from the field start.
    pub fn with_base(data: &'a [u8], base: usize) -> Self {
        TlvIter {
            data,
            pos: 0,
            base,
            done: false,
            trailing: &[],
        }
    }

    /// The padding after the last object; empty until the iterator has
    /// returned `None` without an error.
    pub fn trailing_padding(&self) -> &'a [u8] {
        self.trailing
    }

    /// Field offset of the next unread byte.
    pub fn offset(&self) -> usize {
        self.base.saturating_add(self.pos)
    }

    /// Reads the object at `self.pos`, having skipped padding.
    fn read(&mut self) -> Option<Result<Tlv<'a>, TlvError>> {
        let data = self.data;
        let pad_start = self.pos;
        let rest = data.get(pad_start..).unwrap_or(&[]);
        let pad_len = rest.iter().take_while(|&&b| is_padding(b)).count();
        let start = pad_start + pad_len;
        let (padding, obj) = rest.split_at_checked(pad_len).unwrap_or((&[], &[]));
        if obj.is_empty() {
            self.trailing = padding;
            self.pos = data.len();
            return None;
        }
        let at = |rel: usize| self.base.saturating_add(start).saturating_add(rel);
        let err = |rel: usize, tag: Option<Tag>, kind: TlvErrorKind| TlvError {
            offset: at(rel),
            tag,
            kind,
        };

        // Tag.
        let tag_len = match tag_len(obj) {
            Ok(n) => n,
            Err(kind) => return Some(Err(err(0, None, kind))),
        };
        let tag = obj
            .get(..tag_len)
            .and_then(Tag::from_bytes)
            .ok_or_else(|| err(0, None, TlvErrorKind::TruncatedTag));
        let tag = match tag {
            Ok(t) => t,
            Err(e) => return Some(Err(e)),
        };

        // Length.
        let after_tag = obj.get(tag_len..).unwrap_or(&[]);
        let (len, len_len) = match read_length(after_tag) {
            Ok(v) => v,
            Err(kind) => return Some(Err(err(tag_len, Some(tag), kind))),
        };
        let header = tag_len + len_len;
        let available = obj.len() - header.min(obj.len());
        let end = match header.checked_add(len) {
            Some(end) if len <= available => end,
            _ => {
                let kind = TlvErrorKind::LengthPastEnd {
                    declared: len,
                    available,
                };
                return Some(Err(err(tag_len, Some(tag), kind)));
            }
        };
        let raw = obj.get(..end).unwrap_or(&[]);
        let value = raw.get(header..).unwrap_or(&[]);
        self.pos = start + end;
        Some(Ok(Tlv {
            tag,
            value,
            offset: at(0),
            raw,
            padding,
        }))
    }
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = Result<Tlv<'a>, TlvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.read();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

impl core::iter::FusedIterator for TlvIter<'_> {}

impl fmt::Debug for TlvIter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlvIter")
            .field("offset", &self.offset())
            .field("remaining", &self.data.len().saturating_sub(self.pos))
            .field("done", &self.done)
            .finish()
    }
}

/// Number of tag bytes at the start of `obj` (non-empty, first byte not padding).
fn tag_len(obj: &[u8]) -> Result<usize, TlvErrorKind> {
    let first = obj.first().ok_or(TlvErrorKind::TruncatedTag)?;
    if first & 0x1F != 0x1F {
        return Ok(1);
    }
    for i in 1..=MAX_TAG_LEN {
        let b = obj.get(i).ok_or(TlvErrorKind::TruncatedTag)?;
        if b & 0x80 == 0 {
            return if i < MAX_TAG_LEN {
                Ok(i + 1)
            } else {
                Err(TlvErrorKind::TagTooLong)
            };
        }
    }
    Err(TlvErrorKind::TagTooLong)
}

/// Reads a definite length; returns `(length, bytes used)`.
fn read_length(data: &[u8]) -> Result<(usize, usize), TlvErrorKind> {
    let first = *data.first().ok_or(TlvErrorKind::TruncatedLength)?;
    if first < 0x80 {
        return Ok((usize::from(first), 1));
    }
    let n = usize::from(first & 0x7F);
    if !(1..=4).contains(&n) {
        return Err(TlvErrorKind::BadLengthForm { first_byte: first });
    }
    let bytes = data.get(1..=n).ok_or(TlvErrorKind::TruncatedLength)?;
    let len = bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    // On targets where usize is narrower than u32, an unrepresentable length
    // cannot fit in memory either.
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    Ok((len, n + 1))
}

/// Bytes the minimal length field takes for a value of `len` bytes
/// (5 when it does not fit the `84` form).
const fn length_field_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else if len <= 0xFF {
        2
    } else if len <= 0xFFFF {
        3
    } else if len <= 0xFF_FFFF {
        4
    } else if len as u64 <= 0xFFFF_FFFF {
        5
    } else {
        usize::MAX
    }
}

// ---------------------------------------------------------------------------
// Walk and find
// ---------------------------------------------------------------------------

/// Depth-first iterator over every object of a field, descending into
/// constructed tags up to [`MAX_DEPTH`] levels. Yields `(depth, Tlv)`, depth 0
/// for top-level objects; a constructed object comes before its children.
/// Stops after the first error. Never allocates.
///
/// ```
/// use iso8583_wire::codec::tlv::walk;
///
/// let data = [0x70, 0x07, 0x5F, 0x34, 0x01, 0x01, 0x9F, 0x27, 0x00, 0x9C, 0x01, 0x00];
/// let seen: Vec<(usize, String)> = walk(&data)
///     .map(|r| r.map(|(depth, t)| (depth, t.tag.to_string())))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(seen, [(0, "70".into()), (1, "5F34".into()), (1, "9F27".into()), (0, "9C".into())]);
/// # Ok::<(), iso8583_wire::codec::tlv::TlvError>(())
/// ```
#[derive(Clone)]
pub struct Walk<'a> {
    stack: [TlvIter<'a>; MAX_DEPTH],
    /// Number of live iterators in `stack`.
    depth: usize,
    /// A constructed object yielded last, whose children come next.
    pending: Option<(usize, Tlv<'a>)>,
}

/// Walks `data` depth-first; see [`Walk`].
pub fn walk(data: &[u8]) -> Walk<'_> {
    Walk::with_base(data, 0)
}

impl<'a> Walk<'a> {
    /// Walks `data` that starts `base` bytes into the field.
    pub fn with_base(data: &'a [u8], base: usize) -> Self {
        let mut stack = [TlvIter::EMPTY; MAX_DEPTH];
        if let Some(slot) = stack.first_mut() {
            *slot = TlvIter::with_base(data, base);
        }
        Walk {
            stack,
            depth: 1,
            pending: None,
        }
    }

    fn stop(&mut self) {
        self.depth = 0;
        self.pending = None;
    }
}

impl<'a> Iterator for Walk<'a> {
    type Item = Result<(usize, Tlv<'a>), TlvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some((d, parent)) = self.pending.take()
            && !parent.value.is_empty()
        {
            let child_depth = d + 1;
            match (parent.children(), self.stack.get_mut(child_depth)) {
                (Some(children), Some(slot)) => {
                    *slot = children;
                    self.depth = child_depth + 1;
                }
                _ => {
                    self.stop();
                    return Some(Err(TlvError {
                        offset: parent.offset,
                        tag: Some(parent.tag),
                        kind: TlvErrorKind::NestingTooDeep { max: MAX_DEPTH },
                    }));
                }
            }
        }
        while self.depth > 0 {
            let d = self.depth - 1;
            let item = self.stack.get_mut(d).and_then(Iterator::next);
            match item {
                None => self.depth = d,
                Some(Err(e)) => {
                    self.stop();
                    return Some(Err(e));
                }
                Some(Ok(tlv)) => {
                    if tlv.tag.is_constructed() {
                        self.pending = Some((d, tlv));
                    }
                    return Some(Ok((d, tlv)));
                }
            }
        }
        None
    }
}

impl core::iter::FusedIterator for Walk<'_> {}

impl fmt::Debug for Walk<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Walk")
            .field("depth", &self.depth)
            .field("stack", &self.stack.get(..self.depth))
            .finish_non_exhaustive()
    }
}

/// Finds the first object with `tag` anywhere in `data` (depth-first, see
/// [`Walk`]).
///
/// # Errors
///
/// The first [`TlvError`] met before the tag is found.
///
/// ```
/// use iso8583_wire::codec::tlv::{find, Tag};
///
/// let data = [0x70, 0x04, 0x5F, 0x34, 0x01, 0x01];
/// let psn = find(&data, Tag::new(0x5F34).unwrap())?.unwrap();
/// assert_eq!((psn.value, psn.offset), (&[1u8][..], 2));
/// assert!(find(&data, Tag::new(0x5A).unwrap())?.is_none());
/// # Ok::<(), iso8583_wire::codec::tlv::TlvError>(())
/// ```
pub fn find(data: &[u8], tag: Tag) -> Result<Option<Tlv<'_>>, TlvError> {
    for item in walk(data) {
        let (_, tlv) = item?;
        if tlv.tag == tag {
            return Ok(Some(tlv));
        }
    }
    Ok(None)
}

// ---------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------

/// Why a TLV could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlvEncodeError {
    /// The value needs more than the four length bytes of the `84` form.
    #[error("value of {len} bytes too long for a BER length")]
    ValueTooLong {
        /// The value length.
        len: usize,
    },
    /// The output buffer has no room for the object.
    #[error("output full: need {needed} bytes, {remaining} left")]
    BufferFull {
        /// Bytes the object needs.
        needed: usize,
        /// Bytes the buffer can still take.
        remaining: usize,
    },
}

/// Appends TLV objects to a [`BufMut`] (a `Vec<u8>`, `BytesMut`, `&mut [u8]`…).
///
/// [`write`](TlvWriter::write) uses the minimal length form;
/// [`write_raw`](TlvWriter::write_raw) copies an object exactly as it was read.
/// Nothing is written when an error is returned.
///
/// ```
/// use iso8583_wire::codec::tlv::{Tag, TlvIter, TlvWriter};
///
/// let mut inner = TlvWriter::new(Vec::new());
/// inner.write(Tag::new(0x5F34).unwrap(), &[0x01])?;
/// let mut w = TlvWriter::new(Vec::new());
/// w.write(Tag::new(0x9F27).unwrap(), &[0x80])?;
/// w.write(Tag::new(0x70).unwrap(), inner.get_ref())?;
/// let out = w.into_inner();
/// assert_eq!(out, [0x9F, 0x27, 0x01, 0x80, 0x70, 0x04, 0x5F, 0x34, 0x01, 0x01]);
///
/// // Copying raws rebuilds the input byte for byte.
/// let mut copy = TlvWriter::new(Vec::new());
/// for tlv in TlvIter::new(&out) {
///     copy.write_raw(&tlv.unwrap())?;
/// }
/// assert_eq!(copy.into_inner(), out);
/// # Ok::<(), iso8583_wire::codec::tlv::TlvEncodeError>(())
/// ```
#[derive(Debug)]
pub struct TlvWriter<B> {
    out: B,
}

impl<B: BufMut> TlvWriter<B> {
    /// Writes into `out`, after what it already holds.
    pub fn new(out: B) -> Self {
        TlvWriter { out }
    }

    /// The output so far.
    pub fn get_ref(&self) -> &B {
        &self.out
    }

    /// Gives the output back.
    pub fn into_inner(self) -> B {
        self.out
    }

    fn reserve(&self, needed: usize) -> Result<(), TlvEncodeError> {
        let remaining = self.out.remaining_mut();
        if needed > remaining {
            return Err(TlvEncodeError::BufferFull { needed, remaining });
        }
        Ok(())
    }

    /// Appends `tag`, the minimal length for `value`, and `value`.
    ///
    /// # Errors
    ///
    /// [`TlvEncodeError::ValueTooLong`] past 2^32 - 1 bytes,
    /// [`TlvEncodeError::BufferFull`] when `out` cannot take the object.
    pub fn write(&mut self, tag: Tag, value: &[u8]) -> Result<(), TlvEncodeError> {
        let len = value.len();
        let len_len = length_field_len(len);
        if len_len > 5 {
            return Err(TlvEncodeError::ValueTooLong { len });
        }
        let needed = tag
            .len()
            .checked_add(len_len)
            .and_then(|n| n.checked_add(len))
            .ok_or(TlvEncodeError::ValueTooLong { len })?;
        self.reserve(needed)?;
        tag.put(&mut self.out);
        if len_len == 1 {
            self.out.put_u8(len as u8);
        } else {
            let n = len_len - 1;
            self.out.put_u8(0x80 | n as u8);
            let be = (len as u64).to_be_bytes();
            self.out.put_slice(be.get(8 - n..).unwrap_or(&[]));
        }
        self.out.put_slice(value);
        Ok(())
    }

    /// Copies `tlv.raw`: the object exactly as read, length form included.
    /// Padding before it ([`Tlv::padding`]) is not copied; use
    /// [`write_padding`](TlvWriter::write_padding) for that.
    ///
    /// # Errors
    ///
    /// [`TlvEncodeError::BufferFull`] when `out` cannot take the object.
    pub fn write_raw(&mut self, tlv: &Tlv<'_>) -> Result<(), TlvEncodeError> {
        self.reserve(tlv.raw.len())?;
        self.out.put_slice(tlv.raw);
        Ok(())
    }

    /// Copies padding bytes as read ([`Tlv::padding`],
    /// [`TlvIter::trailing_padding`]), to rebuild a field byte for byte.
    ///
    /// # Errors
    ///
    /// [`TlvEncodeError::BufferFull`] when `out` cannot take the bytes.
    pub fn write_padding(&mut self, padding: &[u8]) -> Result<(), TlvEncodeError> {
        self.reserve(padding.len())?;
        self.out.put_slice(padding);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(raw: u32) -> Tag {
        Tag::new(raw).unwrap()
    }

    /// One top-level object of the sample, as laid out on the wire.
    struct Obj {
        padding: &'static [u8],
        tag: &'static [u8],
        len: &'static [u8],
        value: &'static [u8],
    }

    const fn o(tag: &'static [u8], len: &'static [u8], value: &'static [u8]) -> Obj {
        Obj {
            padding: &[],
            tag,
            len,
            value,
        }
    }

    /// BF0C { DF8101 (proprietary), 9F4D }.
    const BF0C_VALUE: &[u8] = &[
        0xDF, 0x81, 0x01, 0x02, 0x01, 0x02, // DF8101
        0x9F, 0x4D, 0x02, 0x0B, 0x0A, // 9F4D log entry
    ];
    /// 70 { 5F24, padding, BF0C { .. } }.
    const T70_VALUE: &[u8] = &[
        0x5F, 0x24, 0x03, 0x27, 0x12, 0x31, // 5F24 expiry
        0x00, // padding inside a template
        0xBF, 0x0C, 0x0B, // BF0C, 11 bytes
        0xDF, 0x81, 0x01, 0x02, 0x01, 0x02, //
        0x9F, 0x4D, 0x02, 0x0B, 0x0A,
    ];

    /// A realistic DE 55 (Mastercard-style ARQC data), with padding, a
    /// non-minimal long-form length on 9F10 and a nested template.
    const SAMPLE: &[Obj] = &[
        o(&[0x82], &[0x02], &[0x3C, 0x00]),
        o(
            &[0x84],
            &[0x07],
            &[0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10],
        ),
        o(&[0x95], &[0x05], &[0x00, 0x00, 0x00, 0x80, 0x00]),
        o(&[0x9A], &[0x03], &[0x24, 0x01, 0x15]),
        o(&[0x9C], &[0x01], &[0x00]),
        o(&[0x5F, 0x2A], &[0x02], &[0x09, 0x78]),
        o(
            &[0x9F, 0x02],
            &[0x06],
            &[0x00, 0x00, 0x00, 0x00, 0x10, 0x00],
        ),
        o(&[0x9F, 0x03], &[0x06], &[0x00; 6]),
        o(
            &[0x9F, 0x10],
            &[0x81, 0x12],
            &[
                0x01, 0x10, 0xA0, 0x00, 0x03, 0x22, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0xFF,
            ],
        ),
        o(&[0x9F, 0x1A], &[0x02], &[0x02, 0x50]),
        Obj {
            padding: &[0x00, 0x00],
            ..o(
                &[0x9F, 0x26],
                &[0x08],
                &[0x1A, 0x2B, 0x3C, 0x4D, 0x5E, 0x6F, 0x70, 0x81],
            )
        },
        o(&[0x9F, 0x27], &[0x01], &[0x80]),
        o(&[0x9F, 0x33], &[0x03], &[0xE0, 0xF8, 0xC8]),
        o(&[0x9F, 0x34], &[0x03], &[0x1E, 0x03, 0x00]),
        o(&[0x9F, 0x36], &[0x02], &[0x00, 0x42]),
        o(&[0x9F, 0x37], &[0x04], &[0xA1, 0xB2, 0xC3, 0xD4]),
        Obj {
            padding: &[0xFF],
            ..o(&[0x70], &[0x15], T70_VALUE)
        },
    ];
    const TRAILING: &[u8] = &[0x00, 0x00];

    fn sample() -> Vec<u8> {
        let mut v = Vec::new();
        for obj in SAMPLE {
            v.extend_from_slice(obj.padding);
            v.extend_from_slice(obj.tag);
            v.extend_from_slice(obj.len);
            v.extend_from_slice(obj.value);
        }
        v.extend_from_slice(TRAILING);
        v
    }

    #[test]
    fn tag_new_checks_structure() {
        assert_eq!(t(0x9F26).len(), 2);
        assert_eq!(t(0xDF8101).len(), 3);
        assert_eq!(t(0x5A).len(), 1);
        assert_eq!(Tag::new(0), None);
        assert_eq!(Tag::new(0x9F), None, "9F needs a second byte");
        assert_eq!(Tag::new(0x5A01), None, "5A is single-byte");
        assert_eq!(Tag::new(0x9F81), None, "last byte announces a follower");
        assert_eq!(Tag::new(0xDF0101), None, "middle byte without b8");
        assert_eq!(Tag::new(0xDF818101), None, "four bytes");
        assert_eq!(Tag::new(0xFF01), None, "FF is padding");
        assert_eq!(
            Tag::new(0x1F00),
            Some(Tag {
                raw: 0x1F00,
                len: 2
            })
        );
    }

    #[test]
    fn tag_every_single_byte() {
        for b in 0u8..=255 {
            let tag = Tag::new(u32::from(b));
            let ok = b != 0 && b != 0xFF && b & 0x1F != 0x1F;
            assert_eq!(tag.is_some(), ok, "byte {b:02X}");
            if let Some(tag) = tag {
                assert_eq!(tag.to_bytes(), [b, 0, 0]);
                assert_eq!(tag.to_string().parse::<Tag>(), Ok(tag));
            }
        }
    }

    #[test]
    fn tag_class_and_constructed() {
        assert_eq!(t(0x5F2A).class(), TagClass::Application);
        assert_eq!(t(0x82).class(), TagClass::ContextSpecific);
        assert_eq!(t(0xDF8101).class(), TagClass::Private);
        assert_eq!(t(0x04).class(), TagClass::Universal);
        assert!(t(0x70).is_constructed());
        assert!(t(0xBF0C).is_constructed());
        assert!(t(0xA5).is_constructed());
        assert!(!t(0x9F26).is_constructed());
        assert!(!t(0xDF8101).is_constructed());
    }

    #[test]
    fn tag_display_and_from_str() {
        assert_eq!(t(0x9F26).to_string(), "9F26");
        assert_eq!(t(0x0A).to_string(), "0A");
        assert_eq!(t(0xDF8101).to_string(), "DF8101");
        assert_eq!(format!("{:?}", t(0x5A)), "Tag(5A)");
        assert_eq!("df8101".parse(), Ok(t(0xDF8101)));
        assert_eq!("9F26".parse(), Ok(t(0x9F26)));
        assert_eq!("9F2".parse::<Tag>(), Err(ParseTagError::BadLength));
        assert_eq!("".parse::<Tag>(), Err(ParseTagError::BadLength));
        assert_eq!("+F26".parse::<Tag>(), Err(ParseTagError::NotHex));
        assert_eq!("9G26".parse::<Tag>(), Err(ParseTagError::NotHex));
        assert_eq!("005A".parse::<Tag>(), Err(ParseTagError::Malformed));
        assert_eq!("9F".parse::<Tag>(), Err(ParseTagError::Malformed));
        assert_eq!("5A01".parse::<Tag>(), Err(ParseTagError::Malformed));
    }

    #[test]
    fn tag_from_bytes_and_to_bytes() {
        assert_eq!(Tag::from_bytes(&[0x9F, 0x26]), Some(t(0x9F26)));
        assert_eq!(Tag::from_bytes(&[]), None);
        assert_eq!(Tag::from_bytes(&[0x00, 0x5A]), None);
        assert_eq!(Tag::from_bytes(&[0xDF, 0x81, 0x81, 0x01]), None);
        assert_eq!(t(0x9F26).to_bytes(), [0x9F, 0x26, 0x00]);
        assert_eq!(t(0xDF8101).to_bytes(), [0xDF, 0x81, 0x01]);
    }

    #[test]
    fn sample_walks_to_expected_tags_and_values() {
        let data = sample();
        let got: Vec<(usize, Tag, &[u8])> = walk(&data)
            .map(|r| r.map(|(d, tlv)| (d, tlv.tag, tlv.value)))
            .collect::<Result<_, _>>()
            .unwrap();
        let mut want: Vec<(usize, Tag, &[u8])> = SAMPLE
            .iter()
            .map(|obj| (0, Tag::from_bytes(obj.tag).unwrap(), obj.value))
            .collect();
        want.extend([
            (1, t(0x5F24), &[0x27, 0x12, 0x31][..]),
            (1, t(0xBF0C), BF0C_VALUE),
            (2, t(0xDF8101), &[0x01, 0x02][..]),
            (2, t(0x9F4D), &[0x0B, 0x0A][..]),
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn sample_offsets_and_raws() {
        let data = sample();
        let mut pos = 0;
        let mut it = TlvIter::new(&data);
        for obj in SAMPLE {
            let tlv = it.next().unwrap().unwrap();
            pos += obj.padding.len();
            assert_eq!(tlv.padding, obj.padding);
            assert_eq!(tlv.offset, pos);
            assert_eq!(tlv.header_len(), obj.tag.len() + obj.len.len());
            assert_eq!(tlv.value_offset(), pos + obj.tag.len() + obj.len.len());
            assert_eq!(&data[tlv.value_offset()..][..tlv.value.len()], obj.value);
            assert_eq!(tlv.raw, &data[pos..pos + tlv.raw.len()]);
            pos += tlv.raw.len();
        }
        assert!(it.next().is_none());
        assert_eq!(it.trailing_padding(), TRAILING);
        assert_eq!(pos + TRAILING.len(), data.len());
    }

    #[test]
    fn nested_offsets_count_from_field_start() {
        let data = sample();
        let t70 = find(&data, t(0x70)).unwrap().unwrap();
        let bf0c = find(&data, t(0xBF0C)).unwrap().unwrap();
        let df = find(&data, t(0xDF8101)).unwrap().unwrap();
        // 5F24 (6) + padding (1) into 70's value.
        assert_eq!(bf0c.offset, t70.value_offset() + 7);
        assert_eq!(bf0c.padding, [0x00]);
        assert_eq!(df.offset, bf0c.value_offset());
        assert_eq!(&data[df.offset..df.offset + 3], [0xDF, 0x81, 0x01]);
        assert_eq!(df.value, [0x01, 0x02]);
        let children: Vec<Tag> = bf0c.children().unwrap().map(|r| r.unwrap().tag).collect();
        assert_eq!(children, [t(0xDF8101), t(0x9F4D)]);
        assert!(df.children().is_none());
    }

    #[test]
    fn sample_rebuilds_byte_identical_from_raws() {
        let data = sample();
        let mut w = TlvWriter::new(Vec::new());
        let mut it = TlvIter::new(&data);
        for tlv in it.by_ref() {
            let tlv = tlv.unwrap();
            w.write_padding(tlv.padding).unwrap();
            w.write_raw(&tlv).unwrap();
        }
        w.write_padding(it.trailing_padding()).unwrap();
        assert_eq!(w.into_inner(), data);
    }

    #[test]
    fn non_minimal_length_kept_by_raw_and_minimised_by_write() {
        let data = sample();
        let iad = find(&data, t(0x9F10)).unwrap().unwrap();
        assert_eq!(&iad.raw[..4], [0x9F, 0x10, 0x81, 0x12]);
        assert!(!iad.has_minimal_length());
        let mut raw = TlvWriter::new(Vec::new());
        raw.write_raw(&iad).unwrap();
        assert_eq!(raw.into_inner(), iad.raw);
        let mut min = TlvWriter::new(Vec::new());
        min.write(iad.tag, iad.value).unwrap();
        let min = min.into_inner();
        assert_eq!(&min[..3], [0x9F, 0x10, 0x12]);
        assert_eq!(&min[3..], iad.value);
        assert!(
            find(&data, t(0x9F27))
                .unwrap()
                .unwrap()
                .has_minimal_length()
        );
    }

    /// Expected error when the sample is cut to `cut` bytes, from its layout
    /// (not from the parser); `None` when `cut` falls on a boundary or padding.
    fn expected_cut_error(cut: usize) -> Option<TlvError> {
        let mut pos = 0;
        for obj in SAMPLE {
            pos += obj.padding.len();
            let start = pos;
            let tag = Tag::from_bytes(obj.tag).unwrap();
            let len_at = start + obj.tag.len();
            let value_at = len_at + obj.len.len();
            let end = value_at + obj.value.len();
            if cut > start && cut < end {
                let (offset, tag, kind) = if cut < len_at {
                    (start, None, TlvErrorKind::TruncatedTag)
                } else if cut < value_at {
                    (len_at, Some(tag), TlvErrorKind::TruncatedLength)
                } else {
                    let kind = TlvErrorKind::LengthPastEnd {
                        declared: obj.value.len(),
                        available: cut - value_at,
                    };
                    (len_at, Some(tag), kind)
                };
                return Some(TlvError { offset, tag, kind });
            }
            pos = end;
        }
        None
    }

    #[test]
    fn every_truncation_point_is_located() {
        let data = sample();
        let mut errors = 0;
        for cut in 0..data.len() {
            let part = &data[..cut];
            let want = expected_cut_error(cut);
            let got = TlvIter::new(part).find_map(Result::err);
            assert_eq!(got, want, "cut at {cut}");
            // The walk reports the same first error (the template fails whole).
            let walked = walk(part).find_map(Result::err);
            assert_eq!(walked, want, "walk cut at {cut}");
            errors += usize::from(want.is_some());
        }
        // Every byte except object boundaries and padding is an error point.
        assert_eq!(errors, data.len() - SAMPLE.len() - 3 - TRAILING.len());
    }

    #[test]
    fn truncation_error_messages() {
        let data = sample();
        // Cut inside 9F26's value: 9F26 starts at 55 (after two pad bytes).
        let off = data.windows(2).position(|w| w == [0x9F, 0x26]).unwrap();
        let err = TlvIter::new(&data[..off + 5])
            .find_map(Result::err)
            .unwrap();
        assert_eq!(
            err.to_string(),
            format!("tag 9F26: length 8 past end of data (at byte {})", off + 2)
        );
        let err = TlvIter::new(&data[..off + 1])
            .find_map(Result::err)
            .unwrap();
        assert_eq!(
            err.to_string(),
            format!("data ends inside a tag (at byte {off})")
        );
    }

    #[test]
    fn rejects_bad_length_forms() {
        for first in [0x80u8, 0x85, 0xFF] {
            let data = [0x9F, 0x27, first, 0x01, 0x02, 0x03, 0x04, 0x05];
            let err = TlvIter::new(&data).next().unwrap().unwrap_err();
            assert_eq!(
                err,
                TlvError {
                    offset: 2,
                    tag: Some(t(0x9F27)),
                    kind: TlvErrorKind::BadLengthForm { first_byte: first },
                }
            );
        }
        let err = TlvIter::new(&[0x5A, 0x82, 0x01])
            .next()
            .unwrap()
            .unwrap_err();
        assert_eq!(err.kind, TlvErrorKind::TruncatedLength);
        assert_eq!(err.offset, 1);
    }

    #[test]
    fn rejects_four_byte_tag() {
        let err = TlvIter::new(&[0x9C, 0x00, 0xDF, 0x81, 0x81, 0x01, 0x00])
            .nth(1)
            .unwrap()
            .unwrap_err();
        assert_eq!(
            err,
            TlvError {
                offset: 2,
                tag: None,
                kind: TlvErrorKind::TagTooLong
            }
        );
        assert_eq!(err.to_string(), "tag longer than 3 bytes (at byte 2)");
    }

    #[test]
    fn huge_declared_length_is_past_end() {
        let data = [0x5A, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];
        let err = TlvIter::new(&data).next().unwrap().unwrap_err();
        assert_eq!(
            err.kind,
            TlvErrorKind::LengthPastEnd {
                declared: 0xFFFF_FFFF,
                available: 1
            }
        );
    }

    #[test]
    fn iterator_stops_after_error() {
        let mut it = TlvIter::new(&[0x5A, 0x05, 0x01, 0x9C, 0x01, 0x00]);
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
        assert!(it.next().is_none());
        assert!(it.trailing_padding().is_empty());
    }

    #[test]
    fn padding_only_and_empty() {
        assert!(TlvIter::new(&[]).next().is_none());
        let mut it = TlvIter::new(&[0xFF, 0x00, 0xFF]);
        assert!(it.next().is_none());
        assert_eq!(it.trailing_padding(), [0xFF, 0x00, 0xFF]);
        assert!(walk(&[0x00]).next().is_none());
    }

    #[test]
    fn long_form_lengths_decode() {
        for (len_bytes, n) in [
            (&[0x81, 0x80][..], 0x80usize),
            (&[0x82, 0x01, 0x00][..], 0x100),
            (&[0x83, 0x00, 0x00, 0x05][..], 5),
            (&[0x84, 0x00, 0x00, 0x01, 0x2C][..], 300),
        ] {
            let mut data = vec![0x9F, 0x10];
            data.extend_from_slice(len_bytes);
            data.extend(std::iter::repeat_n(0xAB, n));
            let tlv = TlvIter::new(&data).next().unwrap().unwrap();
            assert_eq!(tlv.value.len(), n);
            assert_eq!(tlv.raw, &data[..]);
            assert_eq!(tlv.header_len(), 2 + len_bytes.len());
        }
    }

    #[test]
    fn writer_uses_minimal_lengths() {
        let cases: [(usize, &[u8]); 6] = [
            (0, &[0x00]),
            (0x7F, &[0x7F]),
            (0x80, &[0x81, 0x80]),
            (0xFF, &[0x81, 0xFF]),
            (0x100, &[0x82, 0x01, 0x00]),
            (0x1_0000, &[0x83, 0x01, 0x00, 0x00]),
        ];
        for (n, len_bytes) in cases {
            let value = vec![0x11; n];
            let mut w = TlvWriter::new(Vec::new());
            w.write(t(0x9F10), &value).unwrap();
            let out = w.into_inner();
            assert_eq!(&out[..2], [0x9F, 0x10]);
            assert_eq!(&out[2..2 + len_bytes.len()], len_bytes, "len {n}");
            assert_eq!(out.len(), 2 + len_bytes.len() + n);
            let back = TlvIter::new(&out).next().unwrap().unwrap();
            assert!(back.has_minimal_length());
            assert_eq!(back.value, &value[..]);
        }
    }

    #[test]
    fn writer_reports_full_buffer_and_writes_nothing() {
        let mut buf = [0u8; 4];
        let mut w = TlvWriter::new(&mut buf[..]);
        w.write(t(0x9C), &[0x00]).unwrap();
        let err = w.write(t(0x9F27), &[0x80]).unwrap_err();
        assert_eq!(
            err,
            TlvEncodeError::BufferFull {
                needed: 4,
                remaining: 1
            }
        );
        assert_eq!(w.into_inner().len(), 1);
        assert_eq!(buf, [0x9C, 0x01, 0x00, 0x00]);
    }

    #[test]
    fn nesting_deeper_than_max_is_an_error() {
        // MAX_DEPTH constructed levels (depth 0..MAX_DEPTH) then a leaf inside.
        let mut data = vec![0x9C, 0x01, 0x00];
        for _ in 0..MAX_DEPTH {
            let mut w = TlvWriter::new(Vec::new());
            w.write(t(0x70), &data).unwrap();
            data = w.into_inner();
        }
        let items: Vec<_> = walk(&data).collect();
        assert_eq!(items.len(), MAX_DEPTH + 1);
        for (d, item) in items.iter().take(MAX_DEPTH).enumerate() {
            let (depth, tlv) = item.as_ref().unwrap();
            assert_eq!((*depth, tlv.tag, tlv.offset), (d, t(0x70), 2 * d));
        }
        assert_eq!(
            items[MAX_DEPTH],
            Err(TlvError {
                offset: 2 * (MAX_DEPTH - 1),
                tag: Some(t(0x70)),
                kind: TlvErrorKind::NestingTooDeep { max: MAX_DEPTH }
            })
        );
        // One level less is fine, and `find` reaches the leaf.
        let inner = TlvIter::new(&data).next().unwrap().unwrap().value;
        let leaf = find(inner, t(0x9C)).unwrap().unwrap();
        assert_eq!(leaf.value, [0x00]);
        assert_eq!(
            find(&data, t(0x9C)).unwrap_err().kind,
            TlvErrorKind::NestingTooDeep { max: MAX_DEPTH }
        );
    }

    #[test]
    fn empty_template_at_max_depth_is_fine() {
        let mut data = vec![0x70, 0x00];
        for _ in 0..MAX_DEPTH - 1 {
            let mut w = TlvWriter::new(Vec::new());
            w.write(t(0x70), &data).unwrap();
            data = w.into_inner();
        }
        let depths: Vec<usize> = walk(&data).map(|r| r.unwrap().0).collect();
        assert_eq!(depths, (0..MAX_DEPTH).collect::<Vec<_>>());
    }

    #[test]
    fn debug_and_errors_hide_values() {
        let data = [0x5A, 0x08, 0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x00, 0x10];
        let tlv = TlvIter::new(&data).next().unwrap().unwrap();
        let dbg = format!("{tlv:?}");
        assert_eq!(
            dbg,
            "Tlv { tag: Tag(5A), offset: 0, len: 8, raw_len: 10, padding_len: 0 }"
        );
        let err = TlvIter::new(&data[..9]).next().unwrap().unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("47") && !text.contains("71"), "{text}");
        let walk_dbg = format!("{:?}", walk(&data));
        assert!(!walk_dbg.contains("71"), "{walk_dbg}");
    }

    fn tag_strategy() -> impl Strategy<Value = Tag> {
        prop_oneof![
            any::<u8>().prop_filter_map("one-byte tag", |b| Tag::new(u32::from(b))),
            (any::<u8>(), 0u8..0x80).prop_filter_map("two-byte tag", |(a, b)| {
                Tag::new((u32::from(a | 0x1F) << 8) | u32::from(b))
            }),
            (any::<u8>(), 0x80u8..=0xFF, 0u8..0x80).prop_filter_map(
                "three-byte tag",
                |(a, b, c)| Tag::new(
                    (u32::from(a | 0x1F) << 16) | (u32::from(b) << 8) | u32::from(c)
                )
            ),
        ]
    }

    proptest! {
        #[test]
        fn prop_encode_parse_round_trip(
            items in prop::collection::vec(
                (tag_strategy(), prop::collection::vec(any::<u8>(), 0..300)),
                0..12,
            )
        ) {
            let mut w = TlvWriter::new(Vec::new());
            for (tag, value) in &items {
                w.write(*tag, value).unwrap();
            }
            let out = w.into_inner();
            let back: Vec<(Tag, Vec<u8>)> = TlvIter::new(&out)
                .map(|r| r.map(|t| (t.tag, t.value.to_vec())))
                .collect::<Result<_, _>>()
                .unwrap();
            prop_assert_eq!(&back, &items);
            // Raws rebuild the buffer.
            let mut copy = TlvWriter::new(Vec::new());
            for tlv in TlvIter::new(&out) {
                let tlv = tlv.unwrap();
                prop_assert!(tlv.has_minimal_length());
                copy.write_raw(&tlv).unwrap();
            }
            prop_assert_eq!(copy.into_inner(), out);
        }

        #[test]
        fn prop_tag_display_parse(tag in tag_strategy()) {
            prop_assert_eq!(tag.to_string().parse::<Tag>(), Ok(tag));
            prop_assert_eq!(Tag::from_bytes(&tag.to_bytes()[..tag.len()]), Some(tag));
        }

        #[test]
        fn prop_any_bytes_never_panic_and_terminate(data in prop::collection::vec(any::<u8>(), 0..512)) {
            // Every item consumes at least one byte, so the count is bounded.
            let mut rebuilt = Vec::new();
            let mut it = TlvIter::new(&data);
            let mut n = 0usize;
            let mut failed = false;
            for item in it.by_ref() {
                n += 1;
                prop_assert!(n <= data.len() + 1);
                match item {
                    Ok(tlv) => {
                        prop_assert!(tlv.offset < data.len());
                        rebuilt.extend_from_slice(tlv.padding);
                        rebuilt.extend_from_slice(tlv.raw);
                    }
                    Err(e) => {
                        prop_assert!(e.offset <= data.len());
                        failed = true;
                    }
                }
            }
            if !failed {
                rebuilt.extend_from_slice(it.trailing_padding());
                prop_assert_eq!(&rebuilt, &data);
            }
            let walked = walk(&data).take(data.len() + 2).count();
            prop_assert!(walked <= data.len() + 1);
            let _ = find(&data, t(0x9F26));
        }

        #[test]
        fn prop_padding_between_objects_round_trips(
            items in prop::collection::vec(
                (prop::collection::vec(prop_oneof![Just(0x00u8), Just(0xFF)], 0..3),
                 tag_strategy(),
                 prop::collection::vec(any::<u8>(), 0..20)),
                0..8,
            ),
            trailing in prop::collection::vec(prop_oneof![Just(0x00u8), Just(0xFF)], 0..3),
        ) {
            let mut w = TlvWriter::new(Vec::new());
            for (pad, tag, value) in &items {
                w.write_padding(pad).unwrap();
                w.write(*tag, value).unwrap();
            }
            w.write_padding(&trailing).unwrap();
            let data = w.into_inner();
            let mut it = TlvIter::new(&data);
            let mut rebuilt = TlvWriter::new(Vec::new());
            for (pad, tag, value) in &items {
                let tlv = it.next().unwrap().unwrap();
                prop_assert_eq!(tlv.padding, &pad[..]);
                prop_assert_eq!(tlv.tag, *tag);
                prop_assert_eq!(tlv.value, &value[..]);
                rebuilt.write_padding(tlv.padding).unwrap();
                rebuilt.write_raw(&tlv).unwrap();
            }
            prop_assert!(it.next().is_none());
            prop_assert_eq!(it.trailing_padding(), &trailing[..]);
            rebuilt.write_padding(it.trailing_padding()).unwrap();
            prop_assert_eq!(rebuilt.into_inner(), data);
        }
    }
}
