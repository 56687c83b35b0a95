//! The JSON form of a message, as the CLI reads and writes it:
//! `{"mti":"0200","fields":{"2":"4761...","52":"0A1B..."}}`.
//!
//! Field values are the value strings of [`Field::clear`](crate::Field::clear) (binary fields as
//! uppercase hex), masked unless asked otherwise; fields are in number order. A decode failure
//! is `{"error":{"field":35,"offset":57,"message":"..."}}`, `field` being `null` when the header,
//! MTI or bitmap is at fault, or bytes are left over after the last field.
//!
//! The form is lossless when rendered unmasked: [`builder_from_json`] rebuilds the same bytes.
//! For that it also carries, only where they apply:
//!
//! - `"header"`: the fixed header ahead of the MTI as uppercase hex, for specs that have one
//!   (for example the 11-byte TPDU and terminal header of a UnionPay POS spec:
//!   `"header":"6000030000613100310102"`);
//! - `"secondary_bitmap":true` / `"tertiary_bitmap":true`: a bitmap that is present although no
//!   field it governs is (the fields present say when it is needed otherwise).
//!
//! Readers should ignore keys they do not know.

use core::fmt::Write as _;

use crate::codec::charset::{HEX_UPPER, hex_value, pack_hex};
use crate::error::{DecodeError, EncodeError, EncodeErrorKind, Location};
use crate::message::{FieldValue, MessageBuilder, MessageView, SubValue, SubfieldIter};
use crate::spec::{Encoding, MAX_FIELD, Mask, Spec};

/// Rendering choices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JsonOptions {
    /// Show sensitive values in clear.
    pub unmask: bool,
    /// Render composite fields (those with subfields in the spec) as nested objects:
    /// `"55":{"9F26":"...","82":"..."}`, `"60":{"1":"22","2":"000001","3":"000"}`.
    /// A composite field whose content does not parse is shown flat.
    pub expand: bool,
}

/// Whether JSON strings must escape byte `b`: `"`, `\\` and the controls below 0x20.
#[inline(always)]
const fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The length of the run at the start of `bytes` that needs no escape: sixteen bytes at a time
/// in a loop the compiler vectorizes, then byte by byte.
#[inline]
fn clean_run(bytes: &[u8]) -> usize {
    let (chunks, _) = bytes.as_chunks::<16>();
    let mut run = 0;
    for chunk in chunks {
        if chunk.iter().fold(false, |any, &b| any | needs_escape(b)) {
            break;
        }
        run += 16;
    }
    let rest = bytes.get(run..).unwrap_or_default();
    if !rest.iter().fold(false, |any, &b| any | needs_escape(b)) {
        return bytes.len();
    }
    run + rest
        .iter()
        .position(|&b| needs_escape(b))
        .unwrap_or(rest.len())
}

/// Appends `s` as a JSON string literal. Runs of characters that need no escape are copied
/// whole; the few that do are escaped by `serde_json`.
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut rest = s;
    while !rest.is_empty() {
        // Every byte that needs an escape is ASCII, so both cuts fall on character boundaries.
        let (run, tail) = rest.split_at(clean_run(rest.as_bytes()));
        out.push_str(run);
        let dirty = tail
            .bytes()
            .position(|b| !needs_escape(b))
            .unwrap_or(tail.len());
        let (escaped, tail) = tail.split_at(dirty);
        if !escaped.is_empty() {
            push_escaped(out, escaped);
        }
        rest = tail;
    }
    out.push('"');
}

/// Appends the JSON escapes of `s` (without quotes), written by `serde_json`.
#[cold]
fn push_escaped(out: &mut String, s: &str) {
    if let Ok(quoted) = serde_json::to_string(s) {
        let inner = quoted
            .strip_prefix('"')
            .and_then(|q| q.strip_suffix('"'))
            .unwrap_or_default();
        out.push_str(inner);
    }
}

/// Appends `bytes` as uppercase hex.
fn push_hex_upper(out: &mut String, bytes: &[u8]) {
    out.extend(
        bytes
            .iter()
            .flat_map(|b| [b >> 4, b & 0x0F])
            .map(|nib| char::from(HEX_UPPER[usize::from(nib)])),
    );
}

/// Appends `"n":`, the key of field `n`.
fn push_key(out: &mut String, n: u16) {
    out.push('"');
    let digits = [n / 100 % 10, n / 10 % 10, n % 10];
    let skip = match n {
        0..=9 => 2,
        10..=99 => 1,
        _ => 0,
    };
    for d in digits.iter().skip(skip) {
        out.push(char::from(b'0' + d.to_le_bytes()[0]));
    }
    out.push_str("\":");
}

/// The message from its first field on as text, when all of it is ASCII (as in specs
/// whose bitmaps and values are all text): one check per message instead of one per field.
fn ascii_fields<'a>(view: &MessageView<'a>) -> Option<(usize, &'a str)> {
    let start = view.fields().next()?.offset();
    let span = view.as_bytes().get(start..)?;
    if !span.is_ascii() {
        return None;
    }
    Some((start, core::str::from_utf8(span).ok()?))
}

/// Appends the value of `f` as a JSON string, masked unless `unmask`; `text` is the message
/// as text from byte `.0` on (see [`ascii_fields`]); `scratch` is reused.
fn push_value(
    out: &mut String,
    f: crate::Field<'_>,
    unmask: bool,
    text: Option<(usize, &str)>,
    scratch: &mut String,
) {
    if unmask || f.spec().mask == Mask::None {
        let wire_is_text = matches!(f.spec().encoding(), Encoding::Ascii | Encoding::Hex);
        // ASCII only: other bytes are shown one character per byte (Latin-1), as `chars`
        // gives them and the encoder takes them back.
        let value = match text {
            Some((start, text)) if wire_is_text => {
                let from = f.offset().wrapping_sub(start);
                text.get(from..from + f.raw().len())
            }
            _ => f.as_str().filter(|t| t.is_ascii()),
        };
        if let Some(value) = value {
            return push_json_str(out, value);
        }
        scratch.clear();
        scratch.extend(f.chars().map(char::from));
    } else {
        scratch.clear();
        let _ = f.write_value(scratch, false);
    }
    push_json_str(out, scratch);
}

/// Writes the `"fields":{...}` object body of `view` (without braces) into `out`.
fn push_fields(out: &mut String, view: &MessageView<'_>, opts: JsonOptions) {
    let mut value = String::new();
    let text = ascii_fields(view);
    for (i, f) in view.fields().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_key(out, f.number());
        if opts.expand && push_expanded(out, f, opts.unmask) {
            continue;
        }
        push_value(out, f, opts.unmask, text, &mut value);
    }
}

/// Writes field `f` as a nested object; returns false (writing nothing) if it is not
/// composite or its subfields do not parse.
fn push_expanded(out: &mut String, f: crate::Field<'_>, unmask: bool) -> bool {
    let Some(Ok(iter)) = SubfieldIter::new(f) else {
        return false;
    };
    let subs: Result<Vec<_>, _> = iter.collect();
    let Ok(subs) = subs else {
        return false;
    };
    let mut value = String::new();
    let mut depth = 0usize;
    let mut first = true;
    out.push('{');
    for sub in &subs {
        while sub.depth() < depth {
            out.push('}');
            depth -= 1;
            first = false;
        }
        if !first {
            out.push(',');
        }
        first = false;
        let _ = write!(out, "\"{}\":", sub.key());
        if sub.is_constructed() {
            out.push('{');
            depth += 1;
            first = true;
            continue;
        }
        value.clear();
        let _ = sub.write_value(&mut value, unmask);
        push_json_str(out, &value);
    }
    while depth > 0 {
        out.push('}');
        depth -= 1;
    }
    out.push('}');
    true
}

/// Appends the JSON object of a decoded message (no trailing newline).
///
/// ```
/// use iso8583_wire::{MessageBuilder, MessageView, Spec, json};
/// let spec = Spec::builtin("iso87-ascii-bin")?;
/// let mut b = MessageBuilder::new(&spec);
/// b.mti("0200")?.set(2, "4761739001010119")?.set(4, "000000001000")?;
/// let wire = b.encode_to_vec()?;
/// let view = MessageView::decode(&spec, &wire)?;
/// let mut out = String::new();
/// json::push_message(&mut out, &view, json::JsonOptions::default());
/// assert_eq!(out, r#"{"mti":"0200","fields":{"2":"476173******0119","4":"000000001000"}}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn push_message(out: &mut String, view: &MessageView<'_>, opts: JsonOptions) {
    out.push_str("{\"mti\":");
    push_json_str(out, view.mti().as_str());
    let header = view.header();
    if !header.is_empty() {
        out.push_str(",\"header\":\"");
        push_hex_upper(out, header);
        out.push('"');
    }
    let spec = view.spec();
    let bitmap = view.bitmap();
    let governs = |lo: u16, hi: u16| (lo..=hi).any(|n| view.has(n));
    if bitmap.is_set(1) && !governs(65, 128) {
        out.push_str(",\"secondary_bitmap\":true");
    }
    if spec.has_tertiary_bitmap() && bitmap.is_set(65) && !governs(129, MAX_FIELD) {
        out.push_str(",\"tertiary_bitmap\":true");
    }
    out.push_str(",\"fields\":{");
    push_fields(out, view, opts);
    out.push_str("}}");
}

/// Appends the JSON error object of a decode failure.
pub fn push_decode_error(out: &mut String, err: &DecodeError) {
    push_error(out, err.field(), Some(err.offset), &err.to_string());
}

/// Appends an error object with an optional field and offset.
pub fn push_error(out: &mut String, field: Option<u16>, offset: Option<usize>, message: &str) {
    out.push_str("{\"error\":{\"field\":");
    match field {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.push_str("null"),
    }
    out.push_str(",\"offset\":");
    match offset {
        Some(o) => {
            let _ = write!(out, "{o}");
        }
        None => out.push_str("null"),
    }
    out.push_str(",\"message\":");
    push_json_str(out, message);
    out.push_str("}}");
}

/// Why a JSON object could not become a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// The text is not JSON, or not an object with `mti` and `fields`.
    #[error("bad JSON message: {0}")]
    Shape(String),
    /// A field or the MTI is rejected by the spec.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

impl JsonError {
    /// The field concerned, if any.
    pub fn field(&self) -> Option<u16> {
        match self {
            JsonError::Encode(e) => e.location.field(),
            JsonError::Shape(_) => None,
        }
    }
}

/// Subfield values from a nested JSON object.
fn sub_values(n: u16, v: &serde_json::Value) -> Result<Vec<(String, SubValue)>, JsonError> {
    let bad = || {
        JsonError::Encode(EncodeError::new(
            Location::Field(n),
            EncodeErrorKind::BadSubfield,
        ))
    };
    let obj = v.as_object().ok_or_else(bad)?;
    obj.iter()
        .map(|(k, v)| {
            Ok((
                k.clone(),
                match v {
                    serde_json::Value::String(s) => SubValue::Text(s.clone()),
                    serde_json::Value::Object(_) => SubValue::Nested(sub_values(n, v)?),
                    _ => return Err(bad()),
                },
            ))
        })
        .collect()
}

/// The number of a `"fields"` key: decimal digits naming a data element 1..=192.
fn field_key(key: &str) -> Result<u16, JsonError> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
        return Err(JsonError::Shape(format!(
            "field key {key:?} is not a field number (1..={MAX_FIELD})"
        )));
    }
    match key.parse::<u16>() {
        Ok(n) if (1..=MAX_FIELD).contains(&n) => Ok(n),
        _ => Err(JsonError::Shape(format!(
            "field key {key:?} is out of range 1..={MAX_FIELD}"
        ))),
    }
}

/// The `"header"` value: hex text of the spec's header length.
fn header_bytes(spec: &Spec, text: &str) -> Result<Vec<u8>, JsonError> {
    let digits = text.as_bytes();
    if let Some(at) = digits.iter().position(|&c| hex_value(c).is_none()) {
        return Err(JsonError::Shape(format!(
            "\"header\": character {at} is not a hex digit"
        )));
    }
    if digits.len() != 2 * spec.header_len() {
        return Err(JsonError::Shape(format!(
            "\"header\": spec {} has a {}-byte header ({} hex digits), got {} digits",
            spec.name(),
            spec.header_len(),
            2 * spec.header_len(),
            digits.len()
        )));
    }
    let mut bytes = vec![0; spec.header_len()];
    pack_hex(digits, &mut bytes);
    Ok(bytes)
}

/// A boolean key that may be absent.
fn flag(obj: &serde_json::Map<String, serde_json::Value>, key: &str) -> Result<bool, JsonError> {
    match obj.get(key) {
        None => Ok(false),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| JsonError::Shape(format!("{key:?} is not true or false"))),
    }
}

/// Builds a message from its JSON object: `mti` and `fields`, and the optional `header` (hex)
/// and `secondary_bitmap` / `tertiary_bitmap` flags; other keys are ignored. A field given as
/// an object is composed from its subfields (the `--expand` form). Without `header` the
/// builder's header is zeros; [`MessageBuilder::header_owned`] may set one afterwards.
///
/// ```
/// use iso8583_wire::{Spec, json};
/// let spec = Spec::builtin("iso87-ascii")?;
/// let v: serde_json::Value = serde_json::from_str(r#"{"mti":"0800","fields":{"70":"301","11":"000001"}}"#)?;
/// let wire = json::builder_from_json(&spec, &v)?.encode_to_vec()?;
/// assert_eq!(&wire[..4], b"0800");
/// assert!(wire.ends_with(b"000001301"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn builder_from_json<'v>(
    spec: &Spec,
    v: &'v serde_json::Value,
) -> Result<MessageBuilder<'v>, JsonError> {
    let obj = v
        .as_object()
        .ok_or_else(|| JsonError::Shape("not an object".into()))?;
    let mti = obj
        .get("mti")
        .and_then(|m| m.as_str())
        .ok_or_else(|| JsonError::Shape("missing \"mti\" string".into()))?;
    let fields = obj
        .get("fields")
        .and_then(|f| f.as_object())
        .ok_or_else(|| JsonError::Shape("missing \"fields\" object".into()))?;
    let mut b = MessageBuilder::new(spec);
    b.mti(mti)?;
    match obj.get("header") {
        None => {}
        Some(serde_json::Value::String(text)) => {
            b.header_owned(header_bytes(spec, text)?)?;
        }
        Some(_) => return Err(JsonError::Shape("\"header\" is not a hex string".into())),
    }
    b.always_secondary_bitmap(flag(obj, "secondary_bitmap")?);
    b.always_tertiary_bitmap(flag(obj, "tertiary_bitmap")?);
    for (key, value) in fields {
        let n = field_key(key)?;
        if spec.is_bitmap_field(n) {
            continue; // bitmaps are computed
        }
        match value {
            serde_json::Value::String(s) => {
                b.set(n, FieldValue::text(s))?;
            }
            serde_json::Value::Object(_) => {
                let parts = sub_values(n, value)?;
                b.set_subfields(n, &parts)?;
            }
            _ => {
                return Err(JsonError::Encode(EncodeError::new(
                    Location::Field(n),
                    EncodeErrorKind::BadSubfield,
                )));
            }
        }
    }
    Ok(b)
}
