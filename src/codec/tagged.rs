//! ASCII tag-length-value subfields ("tagged" private data, e.g. DE 48 / DE 62
//! in many national and network specs).
//!
//! Each element is `tag` (a fixed number of ASCII letters or digits), `length`
//! (a fixed number of ASCII decimal digits, counting value bytes) and the
//! value. The widths come from a [`TaggedFormat`], e.g. 2+2 (`01` `03` `ABC`)
//! or 3+3 (`A01` `003` `ABC`).
//!
//! Reading borrows the input and never allocates. Errors and `Debug` output
//! never contain value bytes.
//!
//! ```
//! use iso8583_wire::codec::tagged::{TaggedFormat, TaggedIter, TaggedWriter};
//!
//! let data = b"0103ABC0202XY";
//! let items: Vec<(&str, &[u8], usize)> = TaggedIter::new(data, TaggedFormat::TAG2_LEN2)
//!     .map(|r| r.map(|t| (t.tag, t.value, t.offset)))
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(items, [("01", &b"ABC"[..], 0), ("02", &b"XY"[..], 7)]);
//!
//! let mut w = TaggedWriter::new(TaggedFormat::TAG2_LEN2, Vec::new());
//! w.write("01", b"ABC").unwrap();
//! w.write("02", b"XY").unwrap();
//! assert_eq!(w.into_inner(), data);
//! # Ok::<(), iso8583_wire::codec::tagged::TaggedError>(())
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

use bytes::BufMut;

use super::prefix::{self, PrefixFault};
use crate::spec::Encoding;

/// Widest tag a [`TaggedFormat`] allows.
pub const MAX_TAG_WIDTH: usize = 8;
/// Widest length a [`TaggedFormat`] allows (lengths up to 999 999 999).
pub const MAX_LEN_WIDTH: usize = 9;

/// The tag and length widths of a tagged field, in characters.
///
/// ```
/// use iso8583_wire::codec::tagged::TaggedFormat;
///
/// let f = TaggedFormat::new(3, 3).unwrap();
/// assert_eq!((f.tag_width(), f.len_width(), f.max_value_len()), (3, 3, 999));
/// assert_eq!(f, TaggedFormat::TAG3_LEN3);
/// assert!(TaggedFormat::new(0, 2).is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TaggedFormat {
    tag_width: u8,
    len_width: u8,
}

impl TaggedFormat {
    /// Two-character tags, two-digit lengths.
    pub const TAG2_LEN2: TaggedFormat = TaggedFormat {
        tag_width: 2,
        len_width: 2,
    };
    /// Two-character tags, three-digit lengths.
    pub const TAG2_LEN3: TaggedFormat = TaggedFormat {
        tag_width: 2,
        len_width: 3,
    };
    /// Three-character tags, three-digit lengths.
    pub const TAG3_LEN3: TaggedFormat = TaggedFormat {
        tag_width: 3,
        len_width: 3,
    };

    /// A format with the given widths; `None` unless
    /// `1..=MAX_TAG_WIDTH` and `1..=MAX_LEN_WIDTH`.
    pub const fn new(tag_width: usize, len_width: usize) -> Option<TaggedFormat> {
        if tag_width == 0
            || tag_width > MAX_TAG_WIDTH
            || len_width == 0
            || len_width > MAX_LEN_WIDTH
        {
            return None;
        }
        Some(TaggedFormat {
            tag_width: tag_width as u8,
            len_width: len_width as u8,
        })
    }

    /// Characters in a tag.
    pub const fn tag_width(self) -> usize {
        self.tag_width as usize
    }

    /// Digits in a length.
    pub const fn len_width(self) -> usize {
        self.len_width as usize
    }

    /// Longest value the length digits can announce (`10^len_width - 1`).
    pub const fn max_value_len(self) -> usize {
        let mut max = 0usize;
        let mut i = 0;
        while i < self.len_width {
            max = max.saturating_mul(10).saturating_add(9);
            i += 1;
        }
        max
    }

    /// Tag plus length characters.
    pub const fn header_len(self) -> usize {
        self.tag_width() + self.len_width()
    }
}

/// `true` for the characters a tag may hold.
#[inline]
fn is_tag_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// One element of a tagged field, borrowed from the field.
///
/// `Debug` shows the tag, offset and length, never the value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tagged<'a> {
    /// The tag, ASCII letters and digits only.
    pub tag: &'a str,
    /// The value bytes.
    pub value: &'a [u8],
    /// Position of the tag's first character from the start of the field.
    pub offset: usize,
    /// The whole element as read: tag, length digits and value.
    pub raw: &'a [u8],
}

impl fmt::Debug for Tagged<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tagged")
            .field("tag", &self.tag)
            .field("offset", &self.offset)
            .field("len", &self.value.len())
            .finish()
    }
}

/// What went wrong while reading a tagged element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TaggedErrorKind {
    /// The data ends inside a tag.
    #[error("data ends inside a tag")]
    TruncatedTag,
    /// A tag character is not an ASCII letter or digit.
    #[error("tag character is not a letter or digit")]
    BadTagChar,
    /// The data ends inside the length digits.
    #[error("data ends inside the length")]
    TruncatedLength,
    /// A length character is not a decimal digit.
    #[error("length is not decimal digits")]
    NonDigitLength,
    /// The length announces more bytes than are left.
    #[error("length {declared} past end of data")]
    LengthPastEnd {
        /// The announced length.
        declared: usize,
        /// The bytes left after the length digits.
        available: usize,
    },
}

/// A located tagged-field reading error. Holds no value bytes.
///
/// `offset` counts from the start of the field and points at the tag for
/// `TruncatedTag` and `BadTagChar`, and at the first length digit otherwise.
///
/// ```
/// use iso8583_wire::codec::tagged::{TaggedErrorKind, TaggedFormat, TaggedIter};
///
/// let err = TaggedIter::new(b"0103ABC0209XY", TaggedFormat::TAG2_LEN2)
///     .find_map(Result::err)
///     .unwrap();
/// assert_eq!(err.offset, 9);
/// assert_eq!(err.kind, TaggedErrorKind::LengthPastEnd { declared: 9, available: 2 });
/// assert_eq!(err.to_string(), "length 9 past end of data (at byte 9)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (at byte {offset})")]
pub struct TaggedError {
    /// Byte position of the faulty element, from the start of the field.
    pub offset: usize,
    /// What went wrong.
    pub kind: TaggedErrorKind,
}

/// Iterator over the elements of a tagged field.
///
/// Yields `Ok(Tagged)` per element; after the first error it yields that
/// error and stops. Never allocates. See the [module docs](self) for an
/// example.
#[derive(Clone)]
pub struct TaggedIter<'a> {
    format: TaggedFormat,
    data: &'a [u8],
    pos: usize,
    base: usize,
    done: bool,
}

impl<'a> TaggedIter<'a> {
    /// Iterates over `data`, offsets counted from `data[0]`.
    pub fn new(data: &'a [u8], format: TaggedFormat) -> Self {
        Self::with_base(data, format, 0)
    }

    /// Iterates over `data` that starts `base` bytes into the field.
    pub fn with_base(data: &'a [u8], format: TaggedFormat, base: usize) -> Self {
        TaggedIter {
            format,
            data,
            pos: 0,
            base,
            done: false,
        }
    }

    /// Field offset of the next unread byte.
    pub fn offset(&self) -> usize {
        self.base.saturating_add(self.pos)
    }

    fn read(&mut self) -> Option<Result<Tagged<'a>, TaggedError>> {
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        if rest.is_empty() {
            return None;
        }
        let start = self.offset();
        let err = |rel: usize, kind| TaggedError {
            offset: start.saturating_add(rel),
            kind,
        };
        let tw = self.format.tag_width();
        let lw = self.format.len_width();

        let Some((tag, after_tag)) = rest.split_at_checked(tw) else {
            return Some(Err(err(0, TaggedErrorKind::TruncatedTag)));
        };
        if !tag.iter().all(|&b| is_tag_char(b)) {
            return Some(Err(err(0, TaggedErrorKind::BadTagChar)));
        }
        let Ok(tag) = core::str::from_utf8(tag) else {
            return Some(Err(err(0, TaggedErrorKind::BadTagChar)));
        };

        let declared = match prefix::decode(after_tag, lw, Encoding::Ascii) {
            Ok(n) => n,
            Err(PrefixFault::Truncated) => {
                return Some(Err(err(tw, TaggedErrorKind::TruncatedLength)));
            }
            Err(PrefixFault::NotDecimal) => {
                return Some(Err(err(tw, TaggedErrorKind::NonDigitLength)));
            }
        };
        let after_len = after_tag.get(lw..).unwrap_or_default();
        let Some(value) = after_len.get(..declared) else {
            let kind = TaggedErrorKind::LengthPastEnd {
                declared,
                available: after_len.len(),
            };
            return Some(Err(err(tw, kind)));
        };
        let total = tw + lw + declared;
        let raw = rest.get(..total).unwrap_or(&[]);
        self.pos = self.pos.saturating_add(total);
        Some(Ok(Tagged {
            tag,
            value,
            offset: start,
            raw,
        }))
    }
}

impl<'a> Iterator for TaggedIter<'a> {
    type Item = Result<Tagged<'a>, TaggedError>;

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

impl core::iter::FusedIterator for TaggedIter<'_> {}

impl fmt::Debug for TaggedIter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaggedIter")
            .field("format", &self.format)
            .field("offset", &self.offset())
            .field("remaining", &self.data.len().saturating_sub(self.pos))
            .field("done", &self.done)
            .finish()
    }
}

/// Finds the first element with `tag`.
///
/// # Errors
///
/// The first [`TaggedError`] met before the tag is found.
///
/// ```
/// use iso8583_wire::codec::tagged::{find, TaggedFormat};
///
/// let hit = find(b"A01003abcB02000", TaggedFormat::TAG3_LEN3, "B02")?.unwrap();
/// assert_eq!((hit.value, hit.offset), (&b""[..], 9));
/// # Ok::<(), iso8583_wire::codec::tagged::TaggedError>(())
/// ```
pub fn find<'a>(
    data: &'a [u8],
    format: TaggedFormat,
    tag: &str,
) -> Result<Option<Tagged<'a>>, TaggedError> {
    for item in TaggedIter::new(data, format) {
        let item = item?;
        if item.tag == tag {
            return Ok(Some(item));
        }
    }
    Ok(None)
}

/// Why a tagged element could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TaggedEncodeError {
    /// The tag is not exactly `tag_width` ASCII letters or digits.
    #[error("tag must be {width} ASCII letters or digits")]
    BadTag {
        /// The format's tag width.
        width: usize,
    },
    /// The value is longer than the length digits can say.
    #[error("value of {len} bytes over the maximum {max}")]
    ValueTooLong {
        /// The value length.
        len: usize,
        /// The format's maximum.
        max: usize,
    },
    /// The output buffer has no room for the element.
    #[error("output full: need {needed} bytes, {remaining} left")]
    BufferFull {
        /// Bytes the element needs.
        needed: usize,
        /// Bytes the buffer can still take.
        remaining: usize,
    },
}

/// Appends tagged elements to a [`BufMut`]. Nothing is written when an
/// error is returned. See the [module docs](self) for an example.
#[derive(Debug)]
pub struct TaggedWriter<B> {
    format: TaggedFormat,
    out: B,
}

impl<B: BufMut> TaggedWriter<B> {
    /// Writes elements of `format` into `out`, after what it already holds.
    pub fn new(format: TaggedFormat, out: B) -> Self {
        TaggedWriter { format, out }
    }

    /// The output so far.
    pub fn get_ref(&self) -> &B {
        &self.out
    }

    /// Gives the output back.
    pub fn into_inner(self) -> B {
        self.out
    }

    fn reserve(&self, needed: usize) -> Result<(), TaggedEncodeError> {
        let remaining = self.out.remaining_mut();
        if needed > remaining {
            return Err(TaggedEncodeError::BufferFull { needed, remaining });
        }
        Ok(())
    }

    /// Appends `tag`, the zero-padded decimal length of `value`, and `value`.
    ///
    /// # Errors
    ///
    /// [`TaggedEncodeError::BadTag`] unless `tag` is `tag_width` ASCII letters
    /// or digits, [`TaggedEncodeError::ValueTooLong`] past
    /// [`TaggedFormat::max_value_len`], [`TaggedEncodeError::BufferFull`] when
    /// `out` cannot take the element.
    ///
    /// ```
    /// use iso8583_wire::codec::tagged::{TaggedEncodeError, TaggedFormat, TaggedWriter};
    ///
    /// let mut w = TaggedWriter::new(TaggedFormat::TAG3_LEN3, Vec::new());
    /// w.write("A01", b"abc")?;
    /// assert_eq!(w.get_ref(), b"A01003abc");
    /// assert_eq!(w.write("A1", b""), Err(TaggedEncodeError::BadTag { width: 3 }));
    /// # Ok::<(), TaggedEncodeError>(())
    /// ```
    pub fn write(&mut self, tag: &str, value: &[u8]) -> Result<(), TaggedEncodeError> {
        let width = self.format.tag_width();
        if tag.len() != width || !tag.bytes().all(is_tag_char) {
            return Err(TaggedEncodeError::BadTag { width });
        }
        let len = value.len();
        let max = self.format.max_value_len();
        if len > max {
            return Err(TaggedEncodeError::ValueTooLong { len, max });
        }
        let needed = self
            .format
            .header_len()
            .checked_add(len)
            .ok_or(TaggedEncodeError::ValueTooLong { len, max })?;
        self.reserve(needed)?;
        self.out.put_slice(tag.as_bytes());
        let mut digits = [b'0'; MAX_LEN_WIDTH];
        let mut v = len;
        for slot in digits.iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
        let lw = self.format.len_width();
        self.out
            .put_slice(digits.get(MAX_LEN_WIDTH - lw..).unwrap_or(&[]));
        self.out.put_slice(value);
        Ok(())
    }

    /// Copies `item.raw`: the element exactly as read.
    ///
    /// # Errors
    ///
    /// [`TaggedEncodeError::BufferFull`] when `out` cannot take the element.
    pub fn write_raw(&mut self, item: &Tagged<'_>) -> Result<(), TaggedEncodeError> {
        self.reserve(item.raw.len())?;
        self.out.put_slice(item.raw);
        Ok(())
    }
}

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

    /// (tag, value) of the 3+3 sample below.
    const SAMPLE_ITEMS: &[(&str, &[u8])] = &[
        ("A01", b"ECOM"),
        ("B10", b""),
        ("C7z", b"0123456789"),
        ("999", b"\x00\xFF binary"),
    ];
    const SAMPLE: &[u8] = b"A01004ECOMB10000C7z0100123456789999009\x00\xFF binary";

    #[test]
    fn format_limits() {
        assert!(TaggedFormat::new(1, 1).is_some());
        assert!(TaggedFormat::new(MAX_TAG_WIDTH, MAX_LEN_WIDTH).is_some());
        assert!(TaggedFormat::new(MAX_TAG_WIDTH + 1, 2).is_none());
        assert!(TaggedFormat::new(2, MAX_LEN_WIDTH + 1).is_none());
        assert!(TaggedFormat::new(2, 0).is_none());
        assert_eq!(TaggedFormat::TAG2_LEN2.max_value_len(), 99);
        assert_eq!(TaggedFormat::TAG2_LEN3.max_value_len(), 999);
        assert_eq!(
            TaggedFormat::new(1, 9).unwrap().max_value_len(),
            999_999_999
        );
        assert_eq!(TaggedFormat::TAG3_LEN3.header_len(), 6);
    }

    #[test]
    fn sample_reads_expected_items_and_offsets() {
        let got: Vec<Tagged> = TaggedIter::new(SAMPLE, TaggedFormat::TAG3_LEN3)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got.len(), SAMPLE_ITEMS.len());
        let mut pos = 0;
        for (item, (tag, value)) in got.iter().zip(SAMPLE_ITEMS) {
            assert_eq!(item.tag, *tag);
            assert_eq!(item.value, *value);
            assert_eq!(item.offset, pos);
            assert_eq!(item.raw, &SAMPLE[pos..pos + 6 + value.len()]);
            pos += 6 + value.len();
        }
        assert_eq!(pos, SAMPLE.len());
    }

    #[test]
    fn sample_rebuilds_from_raws_and_from_values() {
        let mut raw = TaggedWriter::new(TaggedFormat::TAG3_LEN3, Vec::new());
        for item in TaggedIter::new(SAMPLE, TaggedFormat::TAG3_LEN3) {
            raw.write_raw(&item.unwrap()).unwrap();
        }
        assert_eq!(raw.into_inner(), SAMPLE);
        let mut w = TaggedWriter::new(TaggedFormat::TAG3_LEN3, Vec::new());
        for (tag, value) in SAMPLE_ITEMS {
            w.write(tag, value).unwrap();
        }
        assert_eq!(w.into_inner(), SAMPLE);
    }

    #[test]
    fn every_truncation_point_is_located() {
        let mut starts = vec![0];
        for (_, v) in SAMPLE_ITEMS {
            starts.push(starts.last().unwrap() + 6 + v.len());
        }
        for cut in 0..SAMPLE.len() {
            let got =
                TaggedIter::new(&SAMPLE[..cut], TaggedFormat::TAG3_LEN3).find_map(Result::err);
            let i = starts.iter().rposition(|&s| s <= cut).unwrap();
            let start = starts[i];
            let want = if cut == start {
                None
            } else if cut < start + 3 {
                Some(TaggedError {
                    offset: start,
                    kind: TaggedErrorKind::TruncatedTag,
                })
            } else if cut < start + 6 {
                Some(TaggedError {
                    offset: start + 3,
                    kind: TaggedErrorKind::TruncatedLength,
                })
            } else {
                Some(TaggedError {
                    offset: start + 3,
                    kind: TaggedErrorKind::LengthPastEnd {
                        declared: SAMPLE_ITEMS[i].1.len(),
                        available: cut - start - 6,
                    },
                })
            };
            assert_eq!(got, want, "cut at {cut}");
        }
    }

    #[test]
    fn rejects_bad_characters() {
        let err = |data: &[u8]| {
            TaggedIter::new(data, TaggedFormat::TAG2_LEN2)
                .find_map(Result::err)
                .unwrap()
        };
        assert_eq!(
            err(b"0102AB0 02XY"),
            TaggedError {
                offset: 6,
                kind: TaggedErrorKind::BadTagChar
            }
        );
        assert_eq!(
            err(b"010AAB"),
            TaggedError {
                offset: 2,
                kind: TaggedErrorKind::NonDigitLength
            }
        );
        assert_eq!(
            err(b"01+1A").kind,
            TaggedErrorKind::NonDigitLength,
            "sign is not a digit"
        );
        assert_eq!(err("é102".as_bytes()).kind, TaggedErrorKind::BadTagChar);
        assert_eq!(
            err(b"01 2AB").to_string(),
            "length is not decimal digits (at byte 2)"
        );
    }

    #[test]
    fn with_base_offsets_and_find() {
        let mut it = TaggedIter::with_base(b"0103ABC02", TaggedFormat::TAG2_LEN2, 100);
        assert_eq!(it.next().unwrap().unwrap().offset, 100);
        assert_eq!(it.offset(), 107);
        assert_eq!(
            it.next().unwrap(),
            Err(TaggedError {
                offset: 109,
                kind: TaggedErrorKind::TruncatedLength
            })
        );
        assert!(it.next().is_none());
        let hit = find(SAMPLE, TaggedFormat::TAG3_LEN3, "C7z")
            .unwrap()
            .unwrap();
        assert_eq!(hit.value, b"0123456789");
        assert_eq!(find(SAMPLE, TaggedFormat::TAG3_LEN3, "ZZZ"), Ok(None));
        assert!(find(b"A01", TaggedFormat::TAG3_LEN3, "ZZZ").is_err());
    }

    #[test]
    fn writer_rejects_bad_input_and_writes_nothing() {
        let mut w = TaggedWriter::new(TaggedFormat::TAG2_LEN2, Vec::new());
        assert_eq!(
            w.write("1", b""),
            Err(TaggedEncodeError::BadTag { width: 2 })
        );
        assert_eq!(
            w.write("1-", b""),
            Err(TaggedEncodeError::BadTag { width: 2 })
        );
        assert_eq!(
            w.write("12", &[0; 100]),
            Err(TaggedEncodeError::ValueTooLong { len: 100, max: 99 })
        );
        w.write("12", &[0x41; 99]).unwrap();
        assert_eq!(&w.get_ref()[..4], b"1299");
        let mut buf = [0u8; 5];
        let mut small = TaggedWriter::new(TaggedFormat::TAG2_LEN2, &mut buf[..]);
        assert_eq!(
            small.write("01", b"AB"),
            Err(TaggedEncodeError::BufferFull {
                needed: 6,
                remaining: 5
            })
        );
        small.write("01", b"A").unwrap();
        assert_eq!(buf, *b"0101A");
    }

    #[test]
    fn debug_hides_values() {
        let item = TaggedIter::new(b"P1041234", TaggedFormat::TAG2_LEN2)
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(
            format!("{item:?}"),
            r#"Tagged { tag: "P1", offset: 0, len: 4 }"#
        );
    }

    fn format_strategy() -> impl Strategy<Value = TaggedFormat> {
        (1usize..=4, 1usize..=4).prop_map(|(t, l)| TaggedFormat::new(t, l).unwrap())
    }

    proptest! {
        #[test]
        fn prop_encode_parse_round_trip(
            format in format_strategy(),
            items in prop::collection::vec(
                ("[A-Za-z0-9]{8}", prop::collection::vec(any::<u8>(), 0..120)),
                0..10,
            ),
        ) {
            let items: Vec<(String, Vec<u8>)> = items
                .into_iter()
                .map(|(tag, mut value)| {
                    value.truncate(format.max_value_len());
                    (tag[..format.tag_width()].to_string(), value)
                })
                .collect();
            let mut w = TaggedWriter::new(format, Vec::new());
            for (tag, value) in &items {
                w.write(tag, value).unwrap();
            }
            let out = w.into_inner();
            let back: Vec<(String, Vec<u8>)> = TaggedIter::new(&out, format)
                .map(|r| r.map(|t| (t.tag.to_string(), t.value.to_vec())))
                .collect::<Result<_, _>>()
                .unwrap();
            prop_assert_eq!(back, items);
        }

        #[test]
        fn prop_any_bytes_never_panic_and_terminate(
            format in format_strategy(),
            data in prop::collection::vec(any::<u8>(), 0..256),
        ) {
            let mut n = 0usize;
            let mut rebuilt = Vec::new();
            let mut failed = false;
            for item in TaggedIter::new(&data, format) {
                n += 1;
                prop_assert!(n <= data.len() + 1);
                match item {
                    Ok(t) => rebuilt.extend_from_slice(t.raw),
                    Err(e) => {
                        prop_assert!(e.offset <= data.len());
                        failed = true;
                    }
                }
            }
            if !failed {
                prop_assert_eq!(rebuilt, data);
            }
        }
    }
}
