//! Reading composite fields: iterate subfields or fetch one by path (`"55.9F26"`, `"60.2"`),
//! without copying (except EMV data carried as hex text, which is decoded once).

#[allow(unused_imports)]
use crate::prelude::*;

use core::fmt;

use bytes::Bytes;

use crate::codec::charset::{first_bad_ascii, pack_hex};
use crate::codec::emv_tags::{self, TagSensitivity};
use crate::codec::field as wire;
use crate::codec::tagged::{TaggedErrorKind, TaggedIter};
use crate::codec::tlv::{Tag, Walk};
use crate::error::{DecodeError, DecodeErrorKind, Location};
use crate::spec::{
    BitmapEncoding, Class, Encoding, FieldSpec, Mask, Part, PartLength, Side, Subfields,
};

use super::field::Field;
use super::mask::write_masked;

/// How a subfield is named within its field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubKey<'a> {
    /// Position (positional) or bit number (bitmapped).
    Number(u16),
    /// ASCII tag (tagged).
    Tag(&'a str),
    /// EMV tag (tlv).
    Emv(Tag),
}

impl fmt::Display for SubKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubKey::Number(n) => write!(f, "{n}"),
            SubKey::Tag(t) => f.write_str(t),
            SubKey::Emv(t) => write!(f, "{t}"),
        }
    }
}

impl SubKey<'_> {
    /// Whether `text` names this key (`"2"`, `"DF"`, `"9f26"`; hex tags in either case).
    pub fn matches(&self, text: &str) -> bool {
        match self {
            SubKey::Number(n) => text.parse::<u16>().ok() == Some(*n),
            SubKey::Tag(t) => *t == text,
            SubKey::Emv(t) => text.parse::<Tag>().ok() == Some(*t),
        }
    }
}

#[derive(Clone)]
enum Value<'a> {
    /// Characters `start..start + len` of the parent's value.
    Chars {
        parent: Field<'a>,
        start: usize,
        len: usize,
    },
    /// A subfield decoded with its own field spec (bitmapped layouts).
    Field(Field<'a>),
    /// ASCII text (tagged layouts).
    Text(&'a [u8]),
    /// Raw bytes, shown as hex (TLV in a binary field).
    Binary(&'a [u8]),
    /// Raw bytes decoded from hex text (TLV in a hex-text field).
    Shared(Bytes),
}

/// One subfield of a composite field. `Display` masks sensitive parts; see [`Subfield::clear_string`].
#[derive(Clone)]
pub struct Subfield<'a> {
    key: SubKey<'a>,
    name: &'a str,
    mask: Mask,
    value: Value<'a>,
    offset: usize,
    depth: u8,
    constructed: bool,
}

impl<'a> Subfield<'a> {
    /// The key within the field.
    pub fn key(&self) -> SubKey<'a> {
        self.key
    }

    /// The subfield's name (from the spec, or the EMV tag table; empty if unknown).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// Byte offset in the message where the subfield starts (the byte holding its first digit
    /// for packed values).
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Nesting depth (TLV inside a constructed tag: 1, 2, ...).
    pub fn depth(&self) -> usize {
        usize::from(self.depth)
    }

    /// Whether this is a constructed TLV object (its children follow in the iteration).
    pub fn is_constructed(&self) -> bool {
        self.constructed
    }

    /// Whether the value is sensitive.
    pub fn is_sensitive(&self) -> bool {
        self.mask != Mask::None
    }

    /// The value's raw bytes when they lie contiguous in the message (text, binary and
    /// bitmapped subfields; positional subfields of ASCII fields).
    pub fn raw(&self) -> Option<&'a [u8]> {
        match &self.value {
            Value::Field(f) => Some(f.raw()),
            Value::Text(b) | Value::Binary(b) => Some(b),
            Value::Chars { parent, start, len } => match parent.spec().encoding() {
                Encoding::Ascii => parent.raw().get(*start..start + len),
                _ => None,
            },
            Value::Shared(_) => None,
        }
    }

    /// The value's characters (binary values as uppercase hex). Clear text.
    pub fn chars(&self) -> SubChars<'_> {
        match &self.value {
            Value::Chars { parent, start, len } => {
                SubChars(CharsInner::Field(parent.chars(), *start, *len))
            }
            Value::Field(f) => SubChars(CharsInner::Field(f.chars(), 0, f.len())),
            Value::Text(b) => SubChars(CharsInner::Bytes(b.iter(), false, None)),
            Value::Binary(b) => SubChars(CharsInner::Bytes(b.iter(), true, None)),
            Value::Shared(b) => SubChars(CharsInner::Bytes(b.iter(), true, None)),
        }
    }

    /// Length in characters.
    pub fn len(&self) -> usize {
        match &self.value {
            Value::Chars { len, .. } => *len,
            Value::Field(f) => f.len(),
            Value::Text(b) => b.len(),
            Value::Binary(b) => b.len() * 2,
            Value::Shared(b) => b.len() * 2,
        }
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the value, masked unless `unmask`.
    pub fn write_value(&self, out: &mut dyn fmt::Write, unmask: bool) -> fmt::Result {
        let mask = if unmask { Mask::None } else { self.mask };
        write_masked(out, mask, self.chars(), self.len())
    }

    /// Clear text of the value (allocates a `String`).
    pub fn clear_string(&self) -> String {
        let mut s = String::with_capacity(self.len());
        let _ = self.write_value(&mut s, true);
        s
    }

    /// The value as a `u64` (numeric subfields up to 19 digits).
    pub fn to_u64(&self) -> Option<u64> {
        if self.is_empty() || self.len() > 19 {
            return None;
        }
        self.chars().try_fold(0u64, |acc, c| {
            c.is_ascii_digit()
                .then(|| acc.checked_mul(10)?.checked_add(u64::from(c - b'0')))
                .flatten()
        })
    }
}

impl fmt::Display for Subfield<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_value(f, false)
    }
}

impl fmt::Debug for Subfield<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Subfield({} {:?} = \"{}\")", self.key, self.name, self)
    }
}

/// Characters of a subfield value. Clear text: its `Debug` shows no characters.
#[derive(Clone)]
pub struct SubChars<'s>(CharsInner<'s>);

#[derive(Clone)]
enum CharsInner<'s> {
    Field(super::field::ValueChars<'s>, usize, usize),
    Bytes(core::slice::Iter<'s, u8>, bool, Option<u8>),
}

impl fmt::Debug for SubChars<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubChars(..)")
    }
}

impl Iterator for SubChars<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        match &mut self.0 {
            CharsInner::Field(it, skip, left) => {
                while *skip > 0 {
                    *skip -= 1;
                    it.next()?;
                }
                if *left == 0 {
                    return None;
                }
                *left -= 1;
                it.next()
            }
            CharsInner::Bytes(it, hex, pending) => {
                if !*hex {
                    return it.next().copied();
                }
                if let Some(lo) = pending.take() {
                    return Some(lo);
                }
                let b = *it.next()?;
                let digits = crate::codec::charset::HEX_UPPER;
                *pending = Some(digits[usize::from(b & 0xF)]);
                Some(digits[usize::from(b >> 4)])
            }
        }
    }
}

fn sub_err(n: u16, offset: usize, kind: DecodeErrorKind) -> DecodeError {
    DecodeError::new(Location::Field(n), offset, kind)
}

/// Byte offset in the message of character `pos` of `parent`'s value.
fn char_offset(parent: &Field<'_>, pos: usize) -> usize {
    let spec = parent.spec();
    let within = match spec.encoding() {
        Encoding::Bcd => {
            let lead = usize::from(parent.units() % 2 == 1 && spec.bcd_pad().side == Side::Left);
            (pos + lead) / 2
        }
        Encoding::Binary => pos / 2,
        _ => pos,
    };
    parent.offset() + within
}

/// Decodes subfield `k` (`fs`) of a bitmapped layout at `*pos` of the parent's `data` and
/// moves `*pos` past it; errors name the subfield and the offset in the message.
fn bitmapped_part<'a>(
    parent: &Field<'a>,
    fs: &'a FieldSpec,
    k: u16,
    data: &'a [u8],
    pos: &mut usize,
) -> Result<Subfield<'a>, DecodeError> {
    let at = Location::Subfield {
        field: parent.number(),
        sub: k,
    };
    let (span, next) = wire::decode(fs, data, *pos)
        .map_err(|e| DecodeError::new(at, parent.offset() + e.offset, e.kind))?;
    *pos = next;
    let field = Field::new(fs, data, span.start as usize, span.units as usize).ok_or(
        DecodeError::new(at, parent.offset() + *pos, DecodeErrorKind::BadSubfield),
    )?;
    let offset = parent.offset() + span.start as usize;
    Ok(Subfield {
        key: SubKey::Number(k),
        name: fs.name(),
        mask: fs.mask(),
        value: Value::Field(Field { offset, ..field }),
        offset,
        depth: 0,
        constructed: false,
    })
}

/// Iterator over the subfields of one composite field.
#[derive(Clone)]
pub struct SubfieldIter<'a> {
    parent: Field<'a>,
    state: State<'a>,
    done: bool,
}

// The TLV walk keeps its nesting stack inline so walking never allocates.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum State<'a> {
    Positional {
        parts: &'a [Part],
        index: usize,
        pos: usize,
        total: usize,
    },
    Bitmapped {
        fields: &'a [Option<FieldSpec>],
        /// The header ahead of the bitmap, until it has been read.
        header: Option<&'a FieldSpec>,
        data: &'a [u8],
        bits: u64,
        pos: usize,
        started: bool,
        bitmap: BitmapEncoding,
    },
    Tagged(TaggedIter<'a>),
    Tlv(Walk<'a>),
    TlvOwned {
        bytes: Bytes,
        items: Vec<(u8, Tag, usize, usize, bool, usize)>,
        index: usize,
    },
}

impl fmt::Debug for SubfieldIter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SubfieldIter(field {})", self.parent.number())
    }
}

impl<'a> SubfieldIter<'a> {
    /// Subfields of `parent`; `None` if its spec defines no subfields.
    pub(crate) fn new(parent: Field<'a>) -> Option<Result<Self, DecodeError>> {
        let spec: &'a FieldSpec = parent.spec();
        let layout = spec.subfields()?;
        let state = match layout {
            Subfields::Positional(parts) => State::Positional {
                parts,
                index: 0,
                pos: 0,
                total: parent.len(),
            },
            Subfields::Bitmapped { bitmap, fields } => State::Bitmapped {
                fields,
                header: layout.bitmap_header(),
                data: parent.raw(),
                bits: 0,
                pos: 0,
                started: false,
                bitmap: *bitmap,
            },
            Subfields::Tagged(format) => State::Tagged(TaggedIter::with_base(
                parent.raw(),
                *format,
                parent.offset(),
            )),
            Subfields::Tlv => match spec.encoding() {
                Encoding::Hex => match owned_tlv(&parent) {
                    Ok(s) => s,
                    Err(e) => return Some(Err(e)),
                },
                _ => State::Tlv(Walk::with_base(parent.raw(), parent.offset())),
            },
        };
        Some(Ok(Self {
            parent,
            state,
            done: false,
        }))
    }
}

/// Decodes a hex-text TLV field once and lists its objects.
fn owned_tlv<'a>(parent: &Field<'a>) -> Result<State<'a>, DecodeError> {
    let n = parent.number();
    let text = parent.raw();
    let mut bytes = vec![0u8; text.len() / 2];
    pack_hex(text, &mut bytes);
    let bytes = Bytes::from(bytes);
    let mut items = Vec::new();
    for item in Walk::with_base(&bytes, 0) {
        let (depth, tlv) = item.map_err(|e| {
            sub_err(
                n,
                parent.offset() + 2 * e.offset,
                DecodeErrorKind::BadTlv {
                    tag: e.tag,
                    kind: e.kind,
                },
            )
        })?;
        let start = tlv.value_offset();
        items.push((
            depth as u8,
            tlv.tag,
            start,
            tlv.value.len(),
            tlv.tag.is_constructed(),
            tlv.offset,
        ));
    }
    Ok(State::TlvOwned {
        bytes,
        items,
        index: 0,
    })
}

/// The mask of an EMV tag's value: the allow-list of [`emv_tags`] decides, whatever the
/// parent's own mask (an explicit `mask = "none"` on the field only clears its flat form).
/// Constructed templates are masked as a whole (their children follow in the walk, each masked
/// by this rule); track 2 equivalent data (`57`, `9F6B`, packed digits with a `D` separator)
/// keeps its masked PAN; track 1 (`56`, ASCII shown as hex) and discretionary data are hidden.
pub(crate) fn emv_mask(tag: Tag) -> Mask {
    if tag.is_constructed() {
        return Mask::Full;
    }
    match emv_tags::sensitivity(tag) {
        TagSensitivity::None => Mask::None,
        TagSensitivity::Pan => Mask::Pan,
        TagSensitivity::Track if matches!(tag.as_u32(), 0x57 | 0x9F6B) => Mask::Track,
        _ => Mask::Full,
    }
}

impl<'a> Iterator for SubfieldIter<'a> {
    type Item = Result<Subfield<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.step();
        match &item {
            None | Some(Err(_)) => self.done = true,
            Some(Ok(_)) => {}
        }
        item
    }
}

impl<'a> SubfieldIter<'a> {
    fn step(&mut self) -> Option<Result<Subfield<'a>, DecodeError>> {
        let parent = self.parent;
        let n = parent.number();
        match &mut self.state {
            State::Positional {
                parts,
                index,
                pos,
                total,
            } => {
                let Some(part) = parts.get(*index) else {
                    if *pos < *total {
                        return Some(Err(sub_err(
                            n,
                            char_offset(&parent, *pos),
                            DecodeErrorKind::TrailingBytes {
                                count: *total - *pos,
                            },
                        )));
                    }
                    return None;
                };
                *index += 1;
                if *pos == *total && part.is_optional() {
                    return None;
                }
                let at = char_offset(&parent, *pos);
                let (start, len) = match part.length() {
                    PartLength::Fixed(l) => (*pos, l as usize),
                    PartLength::Rest => (*pos, *total - *pos),
                    PartLength::Variable { digits, max } => {
                        let d = usize::from(digits);
                        if *pos + d > *total {
                            return Some(Err(sub_err(
                                n,
                                at,
                                DecodeErrorKind::Truncated {
                                    needed: d,
                                    available: *total - *pos,
                                },
                            )));
                        }
                        let mut len = 0usize;
                        for c in parent.chars().skip(*pos).take(d) {
                            if !c.is_ascii_digit() {
                                return Some(Err(sub_err(n, at, DecodeErrorKind::BadLengthPrefix)));
                            }
                            len = len * 10 + usize::from(c - b'0');
                        }
                        if len > max as usize {
                            return Some(Err(sub_err(
                                n,
                                at,
                                DecodeErrorKind::LengthOverMax {
                                    len,
                                    max: max as usize,
                                },
                            )));
                        }
                        (*pos + d, len)
                    }
                };
                if start + len > *total {
                    return Some(Err(sub_err(
                        n,
                        at,
                        DecodeErrorKind::Truncated {
                            needed: start + len - *pos,
                            available: *total - *pos,
                        },
                    )));
                }
                let class = part.class();
                if class != Class::B {
                    let bad = if class == Class::XN {
                        let mut it = parent.chars().skip(start).take(len);
                        let signs = part.signs();
                        let first_ok = it.next().is_none_or(|c| signs.contains(c));
                        if first_ok {
                            it.position(|c| !c.is_ascii_digit()).map(|i| i + 1)
                        } else {
                            Some(0)
                        }
                    } else {
                        parent
                            .chars()
                            .skip(start)
                            .take(len)
                            .position(|c| !class.allows(c))
                    };
                    if let Some(i) = bad {
                        return Some(Err(sub_err(
                            n,
                            char_offset(&parent, start + i),
                            DecodeErrorKind::BadCharacter { class },
                        )));
                    }
                }
                *pos = start + len;
                Some(Ok(Subfield {
                    key: SubKey::Number(part.number()),
                    name: part_name(part),
                    mask: part.mask(),
                    value: Value::Chars { parent, start, len },
                    offset: at,
                    depth: 0,
                    constructed: false,
                }))
            }
            State::Bitmapped {
                fields,
                header,
                data,
                bits,
                pos,
                started,
                bitmap,
            } => {
                if let Some(fs) = header.take() {
                    // The header ahead of the bitmap, as subfield 0.
                    return Some(bitmapped_part(&parent, fs, 0, data, pos));
                }
                if !*started {
                    *started = true;
                    let rest = data.get(*pos..).unwrap_or_default();
                    let mut bm = crate::codec::bitmap::Bitmap::new();
                    if let Err(at) = bm.read_word(0, rest, *bitmap) {
                        let kind = if rest.len() < bitmap.wire_len() {
                            DecodeErrorKind::Truncated {
                                needed: bitmap.wire_len(),
                                available: rest.len(),
                            }
                        } else {
                            DecodeErrorKind::BadHexDigit
                        };
                        let at = parent.offset() + *pos + at.min(rest.len());
                        return Some(Err(sub_err(n, at, kind)));
                    }
                    *bits = u64::from_be_bytes(bm.word(0)) & !(1u64 << 63);
                    *pos += bitmap.wire_len();
                }
                if *bits == 0 {
                    if *pos < data.len() {
                        return Some(Err(sub_err(
                            n,
                            parent.offset() + *pos,
                            DecodeErrorKind::TrailingBytes {
                                count: data.len() - *pos,
                            },
                        )));
                    }
                    return None;
                }
                let lz = bits.leading_zeros();
                *bits &= !(1u64 << (63 - lz));
                let k = lz as u16 + 1;
                let Some(fs) = fields.get(usize::from(k)).and_then(Option::as_ref) else {
                    return Some(Err(DecodeError::new(
                        Location::Subfield { field: n, sub: k },
                        parent.offset() + *pos,
                        DecodeErrorKind::FieldNotInSpec,
                    )));
                };
                Some(bitmapped_part(&parent, fs, k, data, pos))
            }
            State::Tagged(iter) => match iter.next()? {
                Ok(t) => {
                    // Tags of a masked field are masked; in a clear field, unprintable values.
                    let mask = if parent.spec().mask() != Mask::None
                        || first_bad_ascii(Class::Ans, t.value).is_some()
                    {
                        Mask::Full
                    } else {
                        Mask::None
                    };
                    Some(Ok(Subfield {
                        key: SubKey::Tag(t.tag),
                        name: "",
                        mask,
                        value: Value::Text(t.value),
                        offset: t.offset,
                        depth: 0,
                        constructed: false,
                    }))
                }
                Err(e) => Some(Err(sub_err(
                    n,
                    e.offset,
                    match e.kind {
                        TaggedErrorKind::LengthPastEnd {
                            declared,
                            available,
                        } => DecodeErrorKind::LengthOverMax {
                            len: declared,
                            max: available,
                        },
                        TaggedErrorKind::NonDigitLength => DecodeErrorKind::BadLengthPrefix,
                        TaggedErrorKind::TruncatedTag | TaggedErrorKind::TruncatedLength => {
                            DecodeErrorKind::Truncated {
                                needed: 1,
                                available: 0,
                            }
                        }
                        _ => DecodeErrorKind::BadSubfield,
                    },
                ))),
            },
            State::Tlv(walk) => match walk.next()? {
                Ok((depth, tlv)) => Some(Ok(Subfield {
                    key: SubKey::Emv(tlv.tag),
                    name: emv_tags::tag_info(tlv.tag).map_or("", |i| i.name),
                    mask: emv_mask(tlv.tag),
                    value: Value::Binary(tlv.value),
                    offset: tlv.offset,
                    depth: depth as u8,
                    constructed: tlv.tag.is_constructed(),
                })),
                Err(e) => Some(Err(sub_err(
                    n,
                    e.offset,
                    DecodeErrorKind::BadTlv {
                        tag: e.tag,
                        kind: e.kind,
                    },
                ))),
            },
            State::TlvOwned {
                bytes,
                items,
                index,
            } => {
                let &(depth, tag, start, len, constructed, offset) = items.get(*index)?;
                *index += 1;
                Some(Ok(Subfield {
                    key: SubKey::Emv(tag),
                    name: emv_tags::tag_info(tag).map_or("", |i| i.name),
                    mask: emv_mask(tag),
                    value: Value::Shared(bytes.slice(start..start + len)),
                    offset: parent.offset() + 2 * offset,
                    depth,
                    constructed,
                }))
            }
        }
    }
}

fn part_name(part: &Part) -> &str {
    part.name()
}

/// Finds subfield `key` of `parent` (TLV tags are searched at every depth).
pub(crate) fn find<'a>(parent: Field<'a>, key: &str) -> Result<Option<Subfield<'a>>, DecodeError> {
    let Some(iter) = SubfieldIter::new(parent) else {
        return Ok(None);
    };
    for item in iter? {
        let sub = item?;
        if sub.key.matches(key) {
            return Ok(Some(sub));
        }
    }
    Ok(None)
}
