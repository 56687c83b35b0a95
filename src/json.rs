//! The JSON form of a message, as the CLI reads and writes it:
//! `{"mti":"0200","fields":{"2":"4761...","52":"0A1B..."}}`.
//!
//! Field values are the value strings of [`Field::clear`](crate::Field::clear) (binary fields as
//! uppercase hex), masked unless asked otherwise; fields are in number order. A decode failure
//! is `{"error":{"field":35,"offset":57,"message":"..."}}`, `field` being `null` when the header,
//! MTI or bitmap is at fault.

use core::fmt::Write as _;

use crate::error::{DecodeError, EncodeError, EncodeErrorKind, Location};
use crate::message::{FieldValue, MessageBuilder, MessageView, SubValue, SubfieldIter};
use crate::spec::Spec;

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

/// Appends `s` as a JSON string literal.
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes the `"fields":{...}` object body of `view` (without braces) into `out`.
fn push_fields(out: &mut String, view: &MessageView<'_>, opts: JsonOptions) {
    let mut value = String::new();
    for (i, f) in view.fields().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "\"{}\":", f.number());
        if opts.expand && push_expanded(out, f, opts.unmask) {
            continue;
        }
        value.clear();
        let _ = f.write_value(&mut value, opts.unmask);
        push_json_str(out, &value);
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

/// Builds a message from its JSON object (`mti` and `fields`; other keys are ignored).
/// A field given as an object is composed from its subfields (the `--expand` form).
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
    for (key, value) in fields {
        let n: u16 = key
            .parse()
            .map_err(|_| JsonError::Shape(format!("field key {key:?} is not a number")))?;
        if n == 1 || (n == 65 && spec.has_tertiary_bitmap()) {
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
