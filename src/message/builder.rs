//! [`MessageBuilder`]: set fields by number, then encode with computed bitmaps.

#[allow(unused_imports)]
use crate::prelude::*;

use bytes::{BufMut, Bytes, BytesMut};

use crate::codec::bitmap::{Bitmap, write_raw_word};
use crate::codec::charset::LATIN1_TO_EBCDIC;
use crate::codec::field::{self, Form, Prepared};
use crate::error::{EncodeError, EncodeErrorKind, Location};
use crate::spec::{FieldSpec, MtiEncoding, Spec};

use super::compose::{SubValue, compose};
use super::composite::SubfieldIter;
use super::field::Field;
use super::layout::{Layout, RECORDED};
use super::mti::Mti;

/// A field value handed to the builder: borrowed or shared bytes, read as text or raw.
///
/// `Debug` shows the form and length only: values may be card data.
#[derive(Clone)]
pub struct FieldValue<'a> {
    data: Data<'a>,
    form: Form,
}

impl core::fmt::Debug for FieldValue<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FieldValue")
            .field("form", &self.form)
            .field("len", &self.data.as_slice().len())
            .finish_non_exhaustive()
    }
}

/// Length only (see [`FieldValue`]).
impl core::fmt::Debug for Data<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} bytes", self.as_slice().len())
    }
}

#[derive(Clone)]
enum Data<'a> {
    Borrowed(&'a [u8]),
    Shared(Bytes),
}

impl Data<'_> {
    #[inline]
    fn as_slice(&self) -> &[u8] {
        match self {
            Data::Borrowed(s) => s,
            Data::Shared(b) => b,
        }
    }
}

impl<'a> FieldValue<'a> {
    /// Text value: characters for text and numeric fields, hex digits for binary fields.
    pub fn text(s: &'a str) -> Self {
        Self {
            data: Data::Borrowed(s.as_bytes()),
            form: Form::Text,
        }
    }

    /// Raw bytes of a binary (class `b`) field; for other classes, the ASCII characters.
    pub fn binary(b: &'a [u8]) -> Self {
        Self {
            data: Data::Borrowed(b),
            form: Form::Raw,
        }
    }

    /// Owned raw bytes of a binary field.
    pub fn binary_owned(b: impl Into<Bytes>) -> FieldValue<'static> {
        FieldValue {
            data: Data::Shared(b.into()),
            form: Form::Raw,
        }
    }
}

impl<'a> From<&'a str> for FieldValue<'a> {
    fn from(s: &'a str) -> Self {
        FieldValue::text(s)
    }
}

impl<'a> From<&'a String> for FieldValue<'a> {
    fn from(s: &'a String) -> Self {
        FieldValue::text(s)
    }
}

impl From<String> for FieldValue<'static> {
    fn from(s: String) -> Self {
        FieldValue {
            data: Data::Shared(Bytes::from(s.into_bytes())),
            form: Form::Text,
        }
    }
}

impl<'a> From<Field<'a>> for FieldValue<'a> {
    /// The wire bytes of a decoded field; set it only into a field with the same definition
    /// (same spec), where it is copied as-is.
    fn from(f: Field<'a>) -> Self {
        FieldValue {
            data: Data::Borrowed(f.raw()),
            form: Form::Wire {
                units: f.units() as u32,
            },
        }
    }
}

#[derive(Clone)]
struct Entry<'a> {
    n: u16,
    value: FieldValue<'a>,
    prep: Prepared,
    /// Bytes on the wire, prefix included.
    wire: u32,
    /// How the encoder writes it, decided when it was set.
    plan: Plan,
}

/// Wire forms of at most this many bytes (prefix included) are prepared when the field is
/// set, so encoding them is one small copy. It covers every fixed field of the bundled specs
/// up to 24 bytes and a full 19-digit PAN with its prefix.
const READY: usize = 24;

/// Field number and size only: the value may be card data.
impl core::fmt::Debug for Entry<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "DE {} ({} bytes)", self.n, self.wire)
    }
}

/// How [`MessageBuilder::encode_into`] writes one entry.
#[derive(Clone)]
enum Plan {
    /// The whole wire form (prefix, padding, conversion done), in the first `wire` bytes.
    Ready([u8; READY]),
    /// The value goes on the wire as it is, after a prefix prepared here (`len` bytes).
    Prefixed { head: [u8; 8], len: u8 },
    /// Padded or converted at encode time (long values that are not plain copies).
    Write,
}

/// The bitmaps [`MessageBuilder::encode_into`] writes.
struct Maps {
    words: [u64; 3],
    secondary: bool,
    tertiary: bool,
}

/// Which of the three bitmap words holds field `n`'s presence bit, and the bit in it.
fn presence_bit(n: u16) -> (usize, u64) {
    let i = usize::from(n.saturating_sub(1));
    (i / 64, 1u64 << (63 - (i % 64)))
}

impl Plan {
    /// Writes into `slot` how to encode `data` (in `form`, prepared as `prep`) for `fs`. The
    /// block is filled where it lies, inside the builder's entry: building it on the stack
    /// and moving it in made each `set` stall on reading back bytes just written in pieces.
    #[inline(always)]
    fn fill(slot: &mut Plan, fs: &FieldSpec, data: &[u8], form: Form, prep: &Prepared) {
        let wire = prep.wire_len(fs);
        let direct = field::is_direct(fs, form, prep);
        if wire <= READY {
            *slot = Plan::Ready([0u8; READY]);
            if let Plan::Ready(ready) = slot
                && let Some(dst) = ready.get_mut(..wire)
            {
                if direct {
                    // Prefix, then the value as it is.
                    let (head, rest) = dst.split_at_mut(fs.prefix_len.min(wire));
                    field::write_prefix(fs, prep, head);
                    field::copy_into(rest, data);
                } else {
                    field::write(fs, data, form, prep, dst);
                }
            }
        } else if direct {
            let len = fs.prefix_len.min(8);
            *slot = Plan::Prefixed {
                head: [0u8; 8],
                len: len as u8,
            };
            if let Plan::Prefixed { head, .. } = slot
                && let Some(dst) = head.get_mut(..len)
            {
                field::write_prefix(fs, prep, dst);
            }
        } else {
            *slot = Plan::Write;
        }
    }
}

/// Builds a message field by field, checking each value when it is set.
///
/// Bitmaps (secondary and tertiary) are computed; values are padded per spec; the exact size
/// is known before writing ([`MessageBuilder::encoded_len`]).
///
/// ```
/// use iso8583_wire::{MessageBuilder, Spec};
/// let spec = Spec::builtin("iso87-ascii")?;
/// let mut b = MessageBuilder::new(&spec);
/// b.mti("0800")?.set(7, "1122334455")?.set(11, "1")?.set(70, "301")?;
/// let wire = b.encode_to_vec()?;
/// assert_eq!(&wire[..4], b"0800");
/// assert_eq!(&wire[4..36], b"82200000000000000400000000000000");
/// assert_eq!(&wire[36..], b"1122334455000001301"); // DE 11 padded to n6
///
/// let err = b.set(2, "12345678901234567890").unwrap_err();
/// assert_eq!(err.to_string(), "field 2: length 20 exceeds max 19");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `Debug` shows the MTI and each field's number and size on the wire, never a value; to see
/// values (masked), encode and decode, then use [`MessageView::describe`](super::MessageView::describe).
#[derive(Clone)]
pub struct MessageBuilder<'a> {
    spec: Spec,
    header: Data<'a>,
    mti: Option<Mti>,
    /// Sorted by field number.
    entries: Vec<Entry<'a>>,
    /// Presence bits of `entries` (bitmap positions left to the encoder), kept as they change.
    words: [u64; 3],
    /// Wire bytes of `entries`, kept as they change.
    data_len: usize,
    /// Write the secondary (and tertiary) bitmap even when no field needs it.
    keep_secondary: bool,
    keep_tertiary: bool,
}

/// The spec's name, the MTI, the header's length, each field's number and wire size, and the
/// encoded length: no values (they may be card data), and short whatever the fields hold.
impl core::fmt::Debug for MessageBuilder<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MessageBuilder")
            .field("spec", &self.spec.name())
            .field("mti", &self.mti)
            .field("header_len", &self.header.as_slice().len())
            .field("fields", &self.entries)
            .field("encoded_len", &self.encoded_len().ok())
            .finish()
    }
}

impl<'a> MessageBuilder<'a> {
    /// An empty message for `spec`.
    pub fn new(spec: &Spec) -> Self {
        Self {
            spec: spec.clone(),
            header: Data::Borrowed(&[]),
            mti: None,
            entries: Vec::with_capacity(11),
            words: [0; 3],
            data_len: 0,
            keep_secondary: false,
            keep_tertiary: false,
        }
    }

    /// Always write the secondary bitmap (some hosts send it even when fields 65..=128 are all
    /// absent); [`MessageBuilder::from_view`] keeps what the decoded message did.
    pub fn always_secondary_bitmap(&mut self, yes: bool) -> &mut Self {
        self.keep_secondary = yes;
        self
    }

    /// Always write the tertiary bitmap (in specs that have one), even when empty.
    pub fn always_tertiary_bitmap(&mut self, yes: bool) -> &mut Self {
        self.keep_tertiary = yes;
        self
    }

    /// A builder holding every field of a decoded message, copied as wire bytes (no re-check).
    ///
    /// Encoding it gives back the same bytes.
    pub fn from_view(view: &super::view::MessageView<'a>) -> Self {
        let mut b = Self::new(view.spec());
        b.header = Data::Borrowed(view.header());
        b.mti = Some(view.mti());
        b.keep_secondary = view.bitmap().is_set(1);
        b.keep_tertiary = view.bitmap().is_set(65) && view.spec().has_tertiary_bitmap();
        for f in view.fields() {
            // A decoded field always fits its own spec.
            let value = FieldValue::from(f);
            if let Ok(prep) = field::prepare(f.spec(), f.raw(), value.form) {
                b.put(f.number(), value, prep, None);
            }
        }
        b
    }

    /// The spec.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Removes every field, the MTI and the header, keeping the allocation.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.words = [0; 3];
        self.data_len = 0;
        self.keep_secondary = false;
        self.keep_tertiary = false;
        self.mti = None;
        self.header = Data::Borrowed(&[]);
    }

    /// Sets the MTI from four digits.
    pub fn mti(&mut self, mti: &str) -> Result<&mut Self, EncodeError> {
        let m = mti
            .parse()
            .map_err(|_| EncodeError::new(Location::Mti, EncodeErrorKind::BadMti))?;
        self.mti = Some(m);
        Ok(self)
    }

    /// Sets the MTI.
    pub fn set_mti(&mut self, mti: Mti) -> &mut Self {
        self.mti = Some(mti);
        self
    }

    /// Sets the fixed header ahead of the MTI (must be the spec's header length).
    pub fn header(&mut self, header: &'a [u8]) -> Result<&mut Self, EncodeError> {
        if header.len() != self.spec.header_len() {
            return Err(EncodeError::new(
                Location::Header,
                EncodeErrorKind::BadHeader {
                    len: header.len(),
                    expected: self.spec.header_len(),
                },
            ));
        }
        self.header = Data::Borrowed(header);
        Ok(self)
    }

    /// Sets the fixed header from owned bytes (must be the spec's header length).
    pub fn header_owned(&mut self, header: impl Into<Bytes>) -> Result<&mut Self, EncodeError> {
        let header: Bytes = header.into();
        if header.len() != self.spec.header_len() {
            return Err(EncodeError::new(
                Location::Header,
                EncodeErrorKind::BadHeader {
                    len: header.len(),
                    expected: self.spec.header_len(),
                },
            ));
        }
        self.header = Data::Shared(header);
        Ok(self)
    }

    /// The MTI set so far.
    pub fn get_mti(&self) -> Option<Mti> {
        self.mti
    }

    /// Sets field `n`, checking the value against its class and length now.
    pub fn set(
        &mut self,
        n: u16,
        value: impl Into<FieldValue<'a>>,
    ) -> Result<&mut Self, EncodeError> {
        let value = value.into();
        let fs = self.settable(n)?;
        let prep = field::prepare(fs, value.data.as_slice(), value.form)?;
        self.put(n, value, prep, None);
        Ok(self)
    }

    /// Sets field `n` to a copy of the text `value`, which need not outlive the builder (a
    /// value formatted into a stack buffer, say). A value whose wire form takes at most 24
    /// bytes (length prefix included: amounts, dates, codes, a PAN) is kept inside the builder
    /// without allocating; a longer one is copied into an owned buffer. Checked as
    /// [`MessageBuilder::set`] checks.
    ///
    /// ```
    /// use iso8583_wire::{MessageBuilder, MessageView, Spec};
    /// let spec = Spec::builtin("iso87-ascii")?;
    /// let mut b = MessageBuilder::new(&spec);
    /// b.mti("0200")?;
    /// {
    ///     let stan = format!("{:06}", 42); // dropped at the end of this block
    ///     b.set_copied(11, &stan)?;
    /// }
    /// let wire = b.encode_to_vec()?;
    /// assert_eq!(MessageView::decode(&spec, &wire)?.str(11), Some("000042"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_copied(&mut self, n: u16, value: &str) -> Result<&mut Self, EncodeError> {
        let fs = self.settable(n)?;
        let prep = field::prepare(fs, value.as_bytes(), Form::Text)?;
        if prep.wire_len(fs) <= READY {
            // The whole wire form goes in the entry: the value is not needed again.
            self.put(n, FieldValue::text(""), prep, Some(value.as_bytes()));
        } else {
            // Longer: the value is kept, as owned bytes.
            let owned = FieldValue {
                data: Data::Shared(Bytes::copy_from_slice(value.as_bytes())),
                form: Form::Text,
            };
            self.put(n, owned, prep, None);
        }
        Ok(self)
    }

    /// The definition of field `n`, if a value may be set for it.
    fn settable(&self, n: u16) -> Result<&FieldSpec, EncodeError> {
        if self.spec.is_bitmap_field(n) {
            return Err(EncodeError::field(n, EncodeErrorKind::ComputedField));
        }
        self.spec
            .field(n)
            .ok_or(EncodeError::field(n, EncodeErrorKind::FieldNotInSpec))
    }

    /// Adds field `n` holding `value` (prepared as `prep`), replacing any entry for it, and
    /// fills its write plan in place: from `data` when given (a value the builder does not
    /// keep), else from `value`.
    fn put(&mut self, n: u16, value: FieldValue<'a>, prep: Prepared, data: Option<&[u8]>) {
        let Some(fs) = self.spec.field(n) else {
            return;
        };
        let wire = prep.wire_len(fs);
        let entry = Entry {
            n,
            value,
            prep,
            wire: wire as u32,
            plan: Plan::Write,
        };
        // The running size and presence bit.
        self.data_len += wire;
        let (word, bit) = presence_bit(n);
        if let Some(w) = self.words.get_mut(word) {
            *w |= bit;
        }
        // Fields are usually set in number order: then the entry goes at the end.
        let i = if self.entries.last().is_none_or(|last| last.n < n) {
            self.entries.push(entry);
            self.entries.len() - 1
        } else {
            match self.entries.binary_search_by_key(&n, |e| e.n) {
                Ok(i) => {
                    if let Some(slot) = self.entries.get_mut(i) {
                        self.data_len -= slot.wire as usize;
                        *slot = entry;
                    }
                    i
                }
                Err(i) => {
                    self.entries.insert(i, entry);
                    i
                }
            }
        };
        if let Some(e) = self.entries.get_mut(i) {
            let Entry {
                value, prep, plan, ..
            } = e;
            let bytes = data.unwrap_or(value.data.as_slice());
            Plan::fill(plan, fs, bytes, value.form, prep);
        }
    }

    /// Sets composite field `n` from its subfields (keys: positions, bit numbers, ASCII tags or
    /// EMV tags in hex), composed per the spec's subfield layout.
    ///
    /// ```
    /// use iso8583_wire::message::SubValue;
    /// use iso8583_wire::{MessageBuilder, MessageView, Spec};
    /// let spec = Spec::builtin("iso87-ascii-bin")?;
    /// let mut b = MessageBuilder::new(&spec);
    /// b.mti("0200")?.set_subfields(55, &[
    ///     ("9F26".into(), SubValue::from("0102030405060708")),
    ///     ("9F27".into(), SubValue::from("80")),
    /// ])?;
    /// b.set_path("55.82", "1980")?;
    /// let wire = b.encode_to_vec()?;
    /// let view = MessageView::decode(&spec, &wire)?;
    /// assert_eq!(view.field(55).unwrap().clear().to_string(), "9F260801020304050607089F270180820219 80".replace(' ', ""));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_subfields(
        &mut self,
        n: u16,
        parts: &[(String, SubValue)],
    ) -> Result<&mut Self, EncodeError> {
        let fs = self
            .spec
            .field(n)
            .ok_or(EncodeError::field(n, EncodeErrorKind::FieldNotInSpec))?;
        let (bytes, form) = compose(fs, parts)?;
        let value = FieldValue {
            data: Data::Shared(Bytes::from(bytes)),
            form,
        };
        self.set(n, value)
    }

    /// The subfields of composite field `n` as currently set (top level only), as text.
    pub fn subfields_of(&self, n: u16) -> Result<Vec<(String, SubValue)>, EncodeError> {
        let Some(fs) = self.spec.field(n) else {
            return Err(EncodeError::field(n, EncodeErrorKind::FieldNotInSpec));
        };
        let Some(entry) = self.entries.iter().find(|e| e.n == n) else {
            return Ok(Vec::new());
        };
        let wire = self.wire_of(fs, entry);
        let bad = || EncodeError::field(n, EncodeErrorKind::BadSubfield);
        let (span, _) = field::decode(fs, &wire, 0).map_err(|_| bad())?;
        let f = Field::new(fs, &wire, span.start as usize, span.units as usize).ok_or_else(bad)?;
        let Some(iter) = SubfieldIter::new(f) else {
            return Err(bad());
        };
        let mut out = Vec::new();
        for sub in iter.map_err(|_| bad())? {
            let sub = sub.map_err(|_| bad())?;
            if sub.depth() == 0 {
                out.push((sub.key().to_string(), SubValue::Text(sub.clear_string())));
            }
        }
        Ok(out)
    }

    /// Sets one subfield by path (`"60.2"`, `"55.9F26"`, `"48.AB"`), keeping the field's other
    /// subfields. The result must still be a complete layout: to build a positional field with
    /// several mandatory parts from nothing, use [`MessageBuilder::set_subfields`].
    pub fn set_path(&mut self, path: &str, value: &str) -> Result<&mut Self, EncodeError> {
        let bad = |n: u16| EncodeError::field(n, EncodeErrorKind::BadSubfield);
        let (n, key) = path
            .split_once('.')
            .and_then(|(n, k)| Some((n.parse::<u16>().ok()?, k)))
            .ok_or(bad(0))?;
        let mut parts = self.subfields_of(n)?;
        let same = |k: &str| {
            k == key
                || (k.parse::<u16>().is_ok() && k.parse::<u16>().ok() == key.parse::<u16>().ok())
                || k.eq_ignore_ascii_case(key)
        };
        match parts.iter_mut().find(|(k, _)| same(k)) {
            Some((_, v)) => *v = SubValue::Text(value.to_owned()),
            None => parts.push((key.to_owned(), SubValue::Text(value.to_owned()))),
        }
        self.set_subfields(n, &parts)
    }

    /// Sets a binary field from raw bytes.
    pub fn set_binary(&mut self, n: u16, bytes: &'a [u8]) -> Result<&mut Self, EncodeError> {
        self.set(n, FieldValue::binary(bytes))
    }

    /// Removes field `n`.
    pub fn remove(&mut self, n: u16) -> &mut Self {
        if let Ok(i) = self.entries.binary_search_by_key(&n, |e| e.n) {
            let gone = self.entries.remove(i);
            self.data_len -= gone.wire as usize;
            let (word, bit) = presence_bit(n);
            if let Some(w) = self.words.get_mut(word) {
                *w &= !bit;
            }
        }
        self
    }

    /// Whether field `n` is set.
    pub fn has(&self, n: u16) -> bool {
        self.entries.binary_search_by_key(&n, |e| e.n).is_ok()
    }

    /// Field numbers set, in order.
    pub fn numbers(&self) -> impl Iterator<Item = u16> + '_ {
        self.entries.iter().map(|e| e.n)
    }

    /// The three 64-bit maps, bit 1 and bit 65 included as needed.
    fn bitmap_words(&self) -> [u64; 3] {
        let mut words = self.words;
        let top = self.entries.last().map_or(0, |e| e.n);
        let tertiary = top > 128 || (self.keep_tertiary && self.spec.has_tertiary_bitmap());
        if tertiary {
            words[1] |= 1u64 << 63;
        }
        if top > 64 || tertiary || self.keep_secondary {
            words[0] |= 1u64 << 63;
        }
        words
    }

    /// The presence bitmap the encoder will write.
    pub fn bitmap(&self) -> Bitmap {
        Bitmap::from_words(self.bitmap_words())
    }

    /// Exact number of bytes [`MessageBuilder::encode_into`] writes.
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        if self.mti.is_none() {
            return Err(EncodeError::new(Location::Mti, EncodeErrorKind::BadMti));
        }
        let maps = self.maps();
        let tertiary = usize::from(maps.tertiary) * self.spec.bitmap_encoding().wire_len();
        Ok(self.first_field_at(&maps) + tertiary + self.data_len)
    }

    /// The bitmap words the encoder writes, and which of the secondary and tertiary maps.
    fn maps(&self) -> Maps {
        let words = self.bitmap_words();
        Maps {
            words,
            secondary: words[0] >> 63 != 0,
            // Bit 65 means a third bitmap only in specs that have one; elsewhere it is field 65.
            tertiary: words[1] >> 63 != 0 && self.spec.has_tertiary_bitmap(),
        }
    }

    /// Where the first field goes: after the header, the MTI, the primary and (when written)
    /// the secondary bitmap; the tertiary one, when written, sits before the first field above
    /// 65.
    fn first_field_at(&self, maps: &Maps) -> usize {
        let blen = self.spec.bitmap_encoding().wire_len();
        self.spec.header_len()
            + self.spec.mti_encoding().wire_len()
            + (1 + usize::from(maps.secondary)) * blen
    }

    /// Writes the message into `out` and returns the bytes written; `out` may be larger.
    pub fn encode_into(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let total = self.encoded_len()?;
        let available = out.len();
        let out = out.get_mut(..total).ok_or(EncodeError::new(
            Location::Mti,
            EncodeErrorKind::BufferTooSmall {
                needed: total,
                available,
            },
        ))?;
        let mti = self
            .mti
            .ok_or(EncodeError::new(Location::Mti, EncodeErrorKind::BadMti))?;
        let mut w = Cursor { out, pos: 0 };
        let header = self.header.as_slice();
        let hlen = self.spec.header_len();
        let hdst = w.take(hlen);
        for (i, slot) in hdst.iter_mut().enumerate() {
            *slot = header.get(i).copied().unwrap_or(0);
        }
        let menc = self.spec.mti_encoding();
        let mdst = w.take(menc.wire_len());
        let d = mti.digits();
        match menc {
            MtiEncoding::Ascii => mdst.copy_from_slice(&d),
            MtiEncoding::Ebcdic => {
                for (slot, c) in mdst.iter_mut().zip(d) {
                    *slot = LATIN1_TO_EBCDIC[usize::from(c)];
                }
            }
            MtiEncoding::Bcd => {
                for (slot, pair) in mdst.iter_mut().zip(d.chunks_exact(2)) {
                    if let [hi, lo] = pair {
                        *slot = ((hi - b'0') << 4) | (lo - b'0');
                    }
                }
            }
        }
        let maps = self.maps();
        let [w0, w1, w2] = maps.words;
        let benc = self.spec.bitmap_encoding();
        let blen = benc.wire_len();
        write_raw_word(w0.to_be_bytes(), benc, w.take(blen));
        if maps.secondary {
            write_raw_word(w1.to_be_bytes(), benc, w.take(blen));
        }
        if maps.tertiary {
            // The tertiary bitmap goes where field 65 would be, after the fields below it
            // (written even when no field above 65 follows: it was kept, or is all zero).
            let below = self.entries.partition_point(|e| e.n < 65);
            let (low, high) = self.entries.split_at(below);
            self.write_entries(low, &mut w);
            write_raw_word(w2.to_be_bytes(), benc, w.take(blen));
            self.write_entries(high, &mut w);
        } else {
            self.write_entries(&self.entries, &mut w);
        }
        Ok(w.pos)
    }

    /// The wire form (prefix included) of `entry`, defined by `fs`.
    fn wire_of(&self, fs: &FieldSpec, entry: &Entry<'_>) -> Vec<u8> {
        let len = entry.wire as usize;
        if let Plan::Ready(ready) = &entry.plan {
            return ready.get(..len).unwrap_or_default().to_vec();
        }
        let mut wire = vec![0u8; len];
        field::write(
            fs,
            entry.value.data.as_slice(),
            entry.value.form,
            &entry.prep,
            &mut wire,
        );
        wire
    }

    /// Writes `entries` in order at the cursor.
    #[inline(always)]
    fn write_entries(&self, entries: &[Entry<'_>], w: &mut Cursor<'_>) {
        for e in entries {
            let wire = e.wire as usize;
            match &e.plan {
                Plan::Ready(ready) => w.put_ready(ready, wire),
                Plan::Prefixed { head, len } => {
                    let dst = w.take(wire);
                    let (h, d) = dst.split_at_mut(usize::from(*len).min(dst.len()));
                    field::copy_into(h, head);
                    field::copy_into(d, e.value.data.as_slice());
                }
                Plan::Write => {
                    let dst = w.take(wire);
                    if let Some(fs) = self.spec.field(e.n) {
                        field::write(fs, e.value.data.as_slice(), e.value.form, &e.prep, dst);
                    }
                }
            }
        }
    }

    /// Encodes into a new `Vec<u8>` of exactly the right size.
    pub fn encode_to_vec(&self) -> Result<Vec<u8>, EncodeError> {
        let mut v = Vec::new();
        self.encode_append(&mut v)?;
        Ok(v)
    }

    /// Appends the message to `out` (reusing its capacity).
    pub fn encode_append(&self, out: &mut Vec<u8>) -> Result<usize, EncodeError> {
        let len = self.encoded_len()?;
        let start = out.len();
        out.resize(start + len, 0);
        let dst = out.get_mut(start..).unwrap_or_default();
        self.encode_into(dst)
    }

    /// Encodes into an owned [`Message`](super::Message) without decoding it again: the
    /// builder knows where it put every field, so the message's field table is filled from
    /// that (a host answering a request builds its response this way, then sends
    /// [`Message::bytes`](super::Message::bytes)). For bytes that decode, the result is the
    /// message [`Message::decode`](super::Message::decode) gives for them (tested on every
    /// shared vector, on generated messages and in the decode fuzz targets). Nothing is
    /// re-checked: values are checked when they are set, and whatever the setters let
    /// through (a raw header, say) goes out as it is.
    ///
    /// ```
    /// use iso8583_wire::{Message, MessageBuilder, Spec};
    /// let spec = Spec::builtin("iso87-ascii")?;
    /// let mut b = MessageBuilder::new(&spec);
    /// b.mti("0210")?.set(11, "000042")?.set(39, "00")?.set(70, "301")?;
    /// let msg = b.build()?;
    /// assert_eq!(msg.mti().to_string(), "0210");
    /// assert_eq!(msg.field(39).unwrap().as_str(), Some("00"));
    /// assert_eq!(msg.field(70).unwrap().to_u64(), Some(301));
    /// assert_eq!(msg.bytes().as_ref(), b.encode_to_vec()?.as_slice());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(&self) -> Result<super::Message, EncodeError> {
        let len = self.encoded_len()?;
        let mti = self
            .mti
            .ok_or(EncodeError::new(Location::Mti, EncodeErrorKind::BadMti))?;
        let mut out = BytesMut::zeroed(len);
        let written = self.encode_into(&mut out)?;
        out.truncate(written);
        // Where each field's data starts: after everything before it and its own prefix,
        // walked as `encode_into` writes.
        let maps = self.maps();
        let blen = self.spec.bitmap_encoding().wire_len();
        let mut pos = self.first_field_at(&maps);
        let mut third_pending = maps.tertiary;
        let mut starts = [0usize; RECORDED];
        let mut recorded = 0;
        for e in &self.entries {
            if third_pending && e.n >= 65 {
                pos += blen;
                third_pending = false;
            }
            let Some(slot) = starts.get_mut(recorded) else {
                break;
            };
            let prefix = self.spec.field(e.n).map_or(0, |fs| fs.prefix_len);
            *slot = pos + prefix;
            recorded += 1;
            pos += e.wire as usize;
        }
        let layout = Layout::assemble(
            mti,
            Bitmap::from_words(maps.words),
            starts.get(..recorded).unwrap_or_default(),
            written,
        );
        Ok(super::Message::from_parts(
            self.spec.clone(),
            out.freeze(),
            layout,
        ))
    }

    /// Appends the message to a `BytesMut`.
    pub fn encode_bytes(&self, out: &mut BytesMut) -> Result<usize, EncodeError> {
        let len = self.encoded_len()?;
        let start = out.len();
        out.put_bytes(0, len);
        let dst = out.get_mut(start..).unwrap_or_default();
        self.encode_into(dst)
    }
}

/// Forward-only writer over an exactly-sized output.
struct Cursor<'o> {
    out: &'o mut [u8],
    pos: usize,
}

impl Cursor<'_> {
    /// The next `n` bytes (fewer only if the size computation were wrong; then writes are dropped).
    #[inline]
    fn take(&mut self, n: usize) -> &mut [u8] {
        let start = self.pos.min(self.out.len());
        let end = (start + n).min(self.out.len());
        self.pos = end;
        self.out.get_mut(start..end).unwrap_or_default()
    }

    /// Writes the first `n` bytes of `ready` (`n <= READY`). Away from the end of the output
    /// the whole block is stored in one go: the bytes past `n` land where the next entries
    /// go and are overwritten by them (everything up to the end is written in order).
    #[inline(always)]
    fn put_ready(&mut self, ready: &[u8; READY], n: usize) {
        match self
            .out
            .get_mut(self.pos..)
            .and_then(|r| r.first_chunk_mut::<READY>())
        {
            Some(block) => {
                *block = *ready;
                self.pos += n;
            }
            None => field::copy_into(self.take(n), ready),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MessageView;

    /// The running size and bitmap agree with a fresh builder holding the same fields.
    fn assert_same_as_fresh(b: &MessageBuilder<'_>, fields: &[(u16, &str)]) {
        let mut fresh = MessageBuilder::new(b.spec());
        fresh.mti("0200").unwrap();
        for &(n, v) in fields {
            fresh.set(n, v).unwrap();
        }
        let wire = b.encode_to_vec().unwrap();
        assert_eq!(b.encoded_len().unwrap(), wire.len());
        assert_eq!(wire, fresh.encode_to_vec().unwrap());
        let view = MessageView::decode(b.spec(), &wire).unwrap();
        let present: Vec<u16> = view.fields().map(|f| f.number()).collect();
        let want: Vec<u16> = fields.iter().map(|&(n, _)| n).collect();
        assert_eq!(present, want);
    }

    #[test]
    fn a_kept_tertiary_bitmap_is_written_when_no_field_follows_it() {
        // Found by fuzzing (decode_iso93_ascii): secondary and tertiary bitmaps, no field
        // above 64. The tertiary bitmap was left out and the message ended in zero bytes.
        let spec = Spec::builtin("iso93-ascii").unwrap();
        for fields in [&[][..], &[(11u16, "000042")][..]] {
            let mut b = MessageBuilder::new(&spec);
            b.mti("1804").unwrap().always_tertiary_bitmap(true);
            for &(n, v) in fields {
                b.set(n, v).unwrap();
            }
            let wire = b.encode_to_vec().unwrap();
            assert_eq!(wire.len(), b.encoded_len().unwrap());
            // After the MTI, two bitmaps and the fields of the first map, at the end.
            assert_eq!(
                &wire[wire.len() - 16..],
                b"0000000000000000",
                "tertiary bitmap"
            );
            let view = MessageView::decode(&spec, &wire).unwrap();
            assert!(view.bitmap().is_set(65));
            assert_eq!(
                MessageBuilder::from_view(&view).encode_to_vec().unwrap(),
                wire
            );
        }
    }

    #[test]
    fn encode_into_writes_exactly_its_bytes_whatever_each_field_needs() {
        // Short fields prepared at `set` (stored as whole blocks, the tail overwritten by the
        // next field), long plain copies after a prepared prefix, long padded and converted
        // values written at encode time, and a short field last (no room for a whole block).
        // Packed BCD carries the track 2 separator as nibble D; EBCDIC converts every
        // character (long ones at encode time).
        for (name, track2) in [
            ("iso87-bcd", "4761739001010119D29122011143804400000"),
            ("iso87-ebcdic", "4761739001010119=29122011143804400000"),
        ] {
            let spec = Spec::builtin(name).unwrap();
            let long_text = "ACME COFFEE ROASTERS LTD SAN FRANCISCOUS";
            let mut b = MessageBuilder::new(&spec);
            b.mti("0200").unwrap();
            b.set(2, "4761739001010119").unwrap(); // LL n..19, BCD
            b.set(4, "2500").unwrap(); // n12 padded, BCD
            b.set(35, "4761739001010119=29122011143804400000").unwrap(); // long track 2
            b.set(43, long_text).unwrap(); // ans40, plain copy
            b.set(44, "AB").unwrap(); // LL ans..25
            b.set(48, "X".repeat(30)).unwrap(); // LLL ans..999, long
            b.set(49, "840").unwrap();
            let len = b.encoded_len().unwrap();
            let mut out = vec![0xEEu8; len + 40];
            assert_eq!(b.encode_into(&mut out).unwrap(), len);
            assert!(
                out[len..].iter().all(|&x| x == 0xEE),
                "wrote past the message"
            );
            let wire = out[..len].to_vec();
            // An exactly sized buffer gives the same bytes.
            let mut exact = vec![0u8; len];
            b.encode_into(&mut exact).unwrap();
            assert_eq!(exact, wire);
            let view = MessageView::decode(&spec, &wire).unwrap();
            assert_eq!(view.field(4).and_then(|f| f.to_u64()), Some(2500));
            assert_eq!(view.field(43).unwrap().clear_string(), long_text);
            assert_eq!(view.field(44).unwrap().clear_string(), "AB");
            assert_eq!(view.field(48).unwrap().clear_string(), "X".repeat(30));
            assert_eq!(view.field(49).unwrap().clear_string(), "840");
            assert_eq!(view.field(35).unwrap().clear_string(), track2);
        }
    }

    #[test]
    fn set_copied_matches_set_for_short_and_long_values_and_keeps_subfields() {
        let spec = Spec::builtin("cup-pos").unwrap();
        let values = [
            (2u16, "6212345678901234"),
            (4, "2500"),
            (11, "42"),
            (35, "6212345678901234=29122011143804400000"),
            (60, "22000001000"),
        ];
        let mut by_ref = MessageBuilder::new(&spec);
        let mut copied = MessageBuilder::new(&spec);
        by_ref.mti("0200").unwrap();
        copied.mti("0200").unwrap();
        for (n, v) in values {
            by_ref.set(n, v).unwrap();
            // A value that outlives nothing: the String is dropped right after the call.
            let temporary = String::from(v);
            copied.set_copied(n, &temporary).unwrap();
            drop(temporary);
        }
        assert_eq!(
            copied.encode_to_vec().unwrap(),
            by_ref.encode_to_vec().unwrap()
        );
        // A composite prepared in the entry still gives its subfields back.
        assert_eq!(
            copied.subfields_of(60).unwrap(),
            by_ref.subfields_of(60).unwrap()
        );
        copied.set_path("60.2", "000002").unwrap();
        let wire = copied.encode_to_vec().unwrap();
        let view = MessageView::decode(&spec, &wire).unwrap();
        assert_eq!(view.subfield("60.2").unwrap().unwrap().to_u64(), Some(2));
        // Checked like `set`.
        let err = copied.set_copied(4, "12AB").unwrap_err();
        assert_eq!(err.location, Location::Field(4));
    }

    #[test]
    fn debug_shows_field_numbers_and_sizes_never_values() {
        let spec = Spec::builtin("iso87-ascii").unwrap();
        let mut b = MessageBuilder::new(&spec);
        b.mti("0200").unwrap();
        b.set(2, "4761739001010119").unwrap();
        b.set_copied(35, "4761739001010119=2912").unwrap();
        b.set(
            52,
            FieldValue::binary(&[0xA1, 0xB2, 0xC3, 0xD4, 0, 0, 0, 0]),
        )
        .unwrap();
        let shown = format!("{b:?}");
        for part in [
            "DE 2 (18 bytes)",
            "DE 35 (23 bytes)",
            "DE 52 (16 bytes)",
            "0200",
        ] {
            assert!(shown.contains(part), "{part} not in {shown}");
        }
        for leak in ["4761", "0119", "2912", "A1B2", "\\u{a1}"] {
            assert!(!shown.contains(leak), "{leak} in {shown}");
        }
    }

    #[test]
    fn size_and_bitmap_follow_set_replace_remove_and_clear() {
        let spec = Spec::builtin("iso87-ascii").unwrap();
        let mut b = MessageBuilder::new(&spec);
        b.mti("0200").unwrap();
        b.set(2, "4761739001010119").unwrap();
        b.set(4, "1500").unwrap();
        b.set(70, "301").unwrap();
        assert_same_as_fresh(&b, &[(2, "4761739001010119"), (4, "1500"), (70, "301")]);
        // Replacing a variable field with a shorter value shrinks the message.
        b.set(2, "476173900101").unwrap();
        assert_same_as_fresh(&b, &[(2, "476173900101"), (4, "1500"), (70, "301")]);
        // Removing the only field above 64 drops the secondary bitmap.
        b.remove(70);
        assert_same_as_fresh(&b, &[(2, "476173900101"), (4, "1500")]);
        b.remove(70).remove(3);
        assert_same_as_fresh(&b, &[(2, "476173900101"), (4, "1500")]);
        b.clear();
        b.mti("0200").unwrap();
        assert_same_as_fresh(&b, &[]);
        b.set(11, "42").unwrap();
        assert_same_as_fresh(&b, &[(11, "42")]);
    }
}
