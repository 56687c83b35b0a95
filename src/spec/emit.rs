//! Writing a spec back out as TOML: the serializable shape of a spec file.
//!
//! [`SpecDoc`] mirrors the file format the loader reads (see the README's "Spec files"), with
//! every setting written out per field so that the file does not depend on `[defaults]`. It is
//! what [`Spec::to_toml`] writes and what the importers (jPOS, moov, pyiso8583) build before
//! handing the text to the loader, so an imported spec is validated exactly like a hand-written
//! one. The text is produced by the `toml` crate's serializer.

#[allow(unused_imports)]
use crate::prelude::*;

use alloc::collections::BTreeMap;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::field::{BcdPad, Encoding, FieldSpec, Length, LengthUnit, Mask, Padding, Side};
use super::subfields::{Part, PartLength, Subfields};
use super::{BitmapEncoding, MtiEncoding, Spec};
use crate::error::SpecError;

/// A spec file: `name`, `description`, `[message]` and `[fields]`.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct SpecDoc {
    pub(crate) name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) description: String,
    pub(crate) message: MessageDoc,
    pub(crate) fields: FieldMap,
}

/// The `[message]` table.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct MessageDoc {
    pub(crate) mti: &'static str,
    pub(crate) bitmap: &'static str,
    #[serde(skip_serializing_if = "is_false")]
    pub(crate) tertiary_bitmap: bool,
    #[serde(skip_serializing_if = "is_zero")]
    pub(crate) header_length: usize,
}

/// Fields by number, written in number order with the numbers as keys.
#[derive(Clone, Debug, Default)]
pub(crate) struct FieldMap(pub(crate) BTreeMap<u16, FieldDoc>);

impl Serialize for FieldMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (n, f) in &self.0 {
            map.serialize_entry(&n.to_string(), f)?;
        }
        map.end()
    }
}

/// One field, positional part or bitmapped part, as the loader reads it.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct FieldDoc {
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) number: Option<u16>,
    pub(crate) class: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) length: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max: Option<u32>,
    #[serde(skip_serializing_if = "is_false")]
    pub(crate) rest: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub(crate) optional: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) prefix_encoding: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) encoding: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unit: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) bcd_pad: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub(crate) bcd_pad_either: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) signs: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sign_encoding: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) padding: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mask: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) subfields: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) subfield_bitmap: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tag_width: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) len_width: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) parts: Vec<FieldDoc>,
}

fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl FieldDoc {
    /// Sets a fixed length.
    pub(crate) fn fixed(mut self, len: u32) -> Self {
        self.length = Some(len);
        self
    }

    /// Sets a variable length: `digits` prefix digits, at most `max` units.
    pub(crate) fn variable(mut self, digits: u8, max: u32) -> Self {
        self.prefix = Some("L".repeat(usize::from(digits)));
        self.max = Some(max);
        self
    }
}

impl SpecDoc {
    /// The TOML text of the document.
    pub(crate) fn to_toml(&self) -> Result<String, SpecError> {
        toml::to_string(self)
            .map_err(|e| SpecError::new(&self.name, None, "toml", format!("cannot write: {e}")))
    }

    /// Writes the document and loads it back through the validating loader; `source` names
    /// the file the document came from in errors.
    #[cfg(feature = "std")]
    pub(crate) fn load(&self, source: &str) -> Result<Spec, SpecError> {
        Spec::from_toml_str(&self.to_toml()?, source)
    }
}

pub(crate) const fn mti_name(m: MtiEncoding) -> &'static str {
    match m {
        MtiEncoding::Ascii => "ascii",
        MtiEncoding::Bcd => "bcd",
        MtiEncoding::Ebcdic => "ebcdic",
    }
}

pub(crate) const fn bitmap_name(b: BitmapEncoding) -> &'static str {
    match b {
        BitmapEncoding::Binary => "binary",
        BitmapEncoding::Hex => "hex",
        BitmapEncoding::EbcdicHex => "ebcdic-hex",
    }
}

pub(crate) const fn encoding_name(e: Encoding) -> &'static str {
    match e {
        Encoding::Ascii => "ascii",
        Encoding::Ebcdic => "ebcdic",
        Encoding::Bcd => "bcd",
        Encoding::Binary => "binary",
        Encoding::Hex => "hex",
    }
}

const fn mask_name(m: Mask) -> &'static str {
    match m {
        Mask::None => "none",
        Mask::Pan => "pan",
        Mask::Track => "track",
        Mask::Full => "full",
    }
}

const fn side_name(s: Side) -> &'static str {
    match s {
        Side::Left => "left",
        Side::Right => "right",
    }
}

pub(crate) fn bcd_pad_text(p: BcdPad) -> String {
    format!("{}-{:X}", side_name(p.side), p.nibble)
}

pub(crate) fn padding_text(p: Option<Padding>) -> String {
    match p {
        None => "none".into(),
        Some(Padding { side, byte: b' ' }) => format!("{}-space", side_name(side)),
        Some(Padding { side, byte }) => format!("{}-{}", side_name(side), char::from(byte)),
    }
}

impl Spec {
    /// The spec as TOML text that [`Spec::from_toml_str`] loads back to an equal spec.
    ///
    /// Every setting is written out per field (no `[defaults]` table); a `mask` is written only
    /// where it differs from the library default for the field.
    ///
    /// ```
    /// use iso8583_wire::Spec;
    /// let spec = Spec::builtin("iso87-bcd").unwrap();
    /// let text = spec.to_toml().unwrap();
    /// let again = Spec::from_toml_str(&text, "again").unwrap();
    /// assert_eq!(again.field(35).unwrap().encoding(), spec.field(35).unwrap().encoding());
    /// assert_eq!(again.to_toml().unwrap(), text);
    /// ```
    pub fn to_toml(&self) -> Result<String, SpecError> {
        self.to_doc().to_toml()
    }

    pub(crate) fn to_doc(&self) -> SpecDoc {
        let inner = &self.0;
        let fields = self
            .fields()
            .map(|f| (f.number(), field_doc(f, None)))
            .collect();
        SpecDoc {
            name: inner.name.clone(),
            description: inner.description.clone(),
            message: MessageDoc {
                mti: mti_name(inner.mti),
                bitmap: bitmap_name(inner.bitmap),
                tertiary_bitmap: inner.tertiary,
                header_length: inner.header_len,
            },
            fields: FieldMap(fields),
        }
    }
}

/// The document form of a field; `parent` is the mask of the field holding a bitmapped part.
fn field_doc(f: &FieldSpec, parent: Option<Mask>) -> FieldDoc {
    let mut doc = FieldDoc {
        name: f.name().to_owned(),
        class: f.class().as_str(),
        encoding: Some(encoding_name(f.encoding())),
        ..FieldDoc::default()
    };
    doc = match f.length() {
        Length::Fixed(n) => doc.fixed(n),
        Length::Variable { digits, max } => {
            doc.prefix_encoding = Some(encoding_name(f.prefix_encoding()));
            doc.variable(digits, max)
        }
    };
    if f.is_signed_bcd() {
        // The length counts the sign and the digits: no unit to give.
        doc.bcd_pad = Some(bcd_pad_text(f.bcd_pad()));
        if f.sign_encoding() == Encoding::Ebcdic {
            doc.sign_encoding = Some("ebcdic");
        }
    } else if f.encoding() == Encoding::Bcd {
        doc.unit = Some(match f.unit() {
            LengthUnit::Digits => "digits",
            LengthUnit::Bytes => "bytes",
        });
        doc.bcd_pad = Some(bcd_pad_text(f.bcd_pad()));
        doc.bcd_pad_either = f.accepts_either_pad();
    }
    doc.signs = signs_text(f.class(), f.signs());
    if f.class().allows(b'0') || f.class().allows(b' ') || f.padding().is_some() {
        doc.padding = Some(padding_text(f.padding()));
    }
    let default = match parent {
        None => super::default_field_mask(
            f.number(),
            f.class(),
            matches!(f.subfields(), Some(Subfields::Tlv)),
        ),
        Some(p) => super::default_subfield_mask(p, f.name(), f.class()),
    };
    let default = match f.subfields() {
        Some(s) if default == Mask::None && super::sensitivity::has_masked_parts(s) => Mask::Full,
        _ => default,
    };
    if f.mask() != default {
        doc.mask = Some(mask_name(f.mask()));
    }
    if let Some(s) = f.subfields() {
        doc.subfields = Some(s.kind());
        match s {
            Subfields::Positional(parts) => {
                doc.parts = parts.iter().map(|p| part_doc(p, f.mask())).collect();
            }
            Subfields::Bitmapped { bitmap, fields } => {
                doc.subfield_bitmap = Some(bitmap_name(*bitmap));
                doc.parts = fields
                    .iter()
                    .flatten()
                    .map(|sub| FieldDoc {
                        number: Some(sub.number()),
                        ..field_doc(sub, Some(f.mask()))
                    })
                    .collect();
            }
            Subfields::Tagged(t) => {
                doc.tag_width = Some(t.tag_width());
                doc.len_width = Some(t.len_width());
            }
            Subfields::Tlv => {}
        }
    }
    doc
}

/// The `signs` setting of an `x+n` field or part whose sign set is not the default.
fn signs_text(class: crate::spec::Class, signs: super::Signs) -> Option<String> {
    (class == crate::spec::Class::XN && !signs.is_default()).then(|| signs.to_string())
}

fn part_doc(p: &Part, parent: Mask) -> FieldDoc {
    let mut doc = FieldDoc {
        name: p.name().to_owned(),
        class: p.class().as_str(),
        optional: p.is_optional(),
        ..FieldDoc::default()
    };
    doc = match p.length() {
        PartLength::Fixed(n) => doc.fixed(n),
        PartLength::Variable { digits, max } => doc.variable(digits, max),
        PartLength::Rest => FieldDoc { rest: true, ..doc },
    };
    doc.signs = signs_text(p.class(), p.signs());
    if p.mask() != super::default_subfield_mask(parent, p.name(), p.class()) {
        doc.mask = Some(mask_name(p.mask()));
    }
    doc
}
