//! The axes the doctor varies: whole-spec settings and one field's settings.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::spec::emit::{FieldDoc, SpecDoc};

/// Header lengths tried, 0..=MAX_HEADER bytes.
pub const MAX_HEADER: usize = 64;

const MTI: [&str; 3] = ["ascii", "bcd", "ebcdic"];
const BITMAP: [&str; 3] = ["binary", "hex", "ebcdic-hex"];
const PREFIX: [&str; 4] = ["ascii", "bcd", "ebcdic", "binary"];
const UNIT: [&str; 2] = ["digits", "bytes"];
const PAD: [&str; 4] = ["left-0", "right-0", "left-F", "right-F"];

/// One combination of whole-spec settings; `None` keeps the spec's own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Axes {
    mti: Option<&'static str>,
    bitmap: Option<&'static str>,
    prefix: Option<&'static str>,
    unit: Option<&'static str>,
    pad: Option<&'static str>,
}

/// The values an axis takes besides "keep": those not already the whole spec's.
fn others(all: &[&'static str], current: &[String]) -> Vec<Option<&'static str>> {
    let mut v = vec![None];
    let uniform = current.first().filter(|c| current.iter().all(|x| x == *c));
    if current.is_empty() {
        return v;
    }
    v.extend(
        all.iter()
            .filter(|a| uniform.is_none_or(|u| u != *a))
            .map(|a| Some(*a)),
    );
    v
}

fn top_fields(doc: &SpecDoc) -> impl Iterator<Item = &FieldDoc> {
    doc.fields.0.values()
}

impl Axes {
    /// Every combination worth trying on `base`.
    pub(super) fn all(base: &SpecDoc) -> Vec<Axes> {
        let prefixes: Vec<String> = top_fields(base)
            .filter(|f| f.prefix.is_some())
            .filter_map(|f| f.prefix_encoding.map(str::to_owned))
            .collect();
        let packed: Vec<&FieldDoc> = top_fields(base)
            .filter(|f| f.encoding == Some("bcd"))
            .collect();
        let units: Vec<String> = packed
            .iter()
            .filter_map(|f| f.unit.map(str::to_owned))
            .collect();
        let pads: Vec<String> = packed.iter().filter_map(|f| f.bcd_pad.clone()).collect();
        let mtis = others(&MTI, &[base.message.mti.to_owned()]);
        let bitmaps = others(&BITMAP, &[base.message.bitmap.to_owned()]);
        let prefix = others(&PREFIX, &prefixes);
        let unit = others(&UNIT, &units);
        let pad = others(&PAD, &pads);
        let mut out = Vec::new();
        for &mti in &mtis {
            for &bitmap in &bitmaps {
                for &prefix in &prefix {
                    for &unit in &unit {
                        for &pad in &pad {
                            out.push(Axes {
                                mti,
                                bitmap,
                                prefix,
                                unit,
                                pad,
                            });
                        }
                    }
                }
            }
        }
        out
    }

    /// Whether the MTI encoding changes.
    pub(super) fn changes_mti(&self) -> bool {
        self.mti.is_some()
    }

    /// Whether the bitmap encoding changes.
    pub(super) fn changes_bitmap(&self) -> bool {
        self.bitmap.is_some()
    }

    /// How many axes differ from the spec.
    pub(super) fn changes(&self) -> usize {
        [self.mti, self.bitmap, self.prefix, self.unit, self.pad]
            .iter()
            .filter(|a| a.is_some())
            .count()
    }

    /// The spec document with these settings.
    pub(super) fn apply(&self, base: &SpecDoc) -> SpecDoc {
        let mut doc = base.clone();
        if let Some(m) = self.mti {
            doc.message.mti = m;
        }
        if let Some(b) = self.bitmap {
            doc.message.bitmap = b;
        }
        for f in doc.fields.0.values_mut() {
            if let (Some(p), true) = (self.prefix, f.prefix.is_some()) {
                f.prefix_encoding = Some(p);
            }
            if f.encoding == Some("bcd") {
                if let Some(u) = self.unit {
                    f.unit = Some(u);
                }
                if let Some(p) = self.pad {
                    f.bcd_pad = Some(p.into());
                }
            }
        }
        doc
    }

    /// One line per changed axis.
    pub(super) fn describe(&self) -> Vec<String> {
        [
            ("MTI encoding", self.mti),
            ("bitmap encoding", self.bitmap),
            ("prefix encoding", self.prefix),
            ("packed length unit", self.unit),
            ("pad nibble", self.pad),
        ]
        .iter()
        .filter_map(|(what, v)| v.map(|v| format!("{what}: {v}")))
        .collect()
    }
}

/// A change to one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct FieldTweak {
    field: u16,
    setting: &'static str,
    value: &'static str,
}

impl FieldTweak {
    /// Changes worth trying to field `n`, leaving out settings `done` already changed there.
    pub(super) fn around(base: &SpecDoc, n: u16, done: &[FieldTweak]) -> Vec<FieldTweak> {
        let Some(f) = base.fields.0.get(&n) else {
            return Vec::new();
        };
        let mut v = Vec::new();
        let mut push = |setting: &'static str, values: &[&'static str], current: Option<&str>| {
            if done.iter().any(|t| t.field == n && t.setting == setting) {
                return;
            }
            for &value in values {
                if current != Some(value) {
                    v.push(FieldTweak {
                        field: n,
                        setting,
                        value,
                    });
                }
            }
        };
        if f.prefix.is_some() {
            push("prefix_encoding", &PREFIX, f.prefix_encoding);
        }
        match f.class {
            "n" => push("encoding", &["ascii", "bcd", "ebcdic"], f.encoding),
            "b" => {}
            _ => push("encoding", &["ascii", "ebcdic"], f.encoding),
        }
        if f.encoding == Some("bcd") {
            push("unit", &UNIT, f.unit);
            push("bcd_pad", &PAD, f.bcd_pad.as_deref());
        }
        v
    }

    /// Applies the change to `doc`.
    pub(super) fn apply(&self, doc: &mut SpecDoc) {
        let Some(f) = doc.fields.0.get_mut(&self.field) else {
            return;
        };
        match self.setting {
            "prefix_encoding" => f.prefix_encoding = Some(self.value),
            "unit" => f.unit = Some(self.value),
            "bcd_pad" => f.bcd_pad = Some(self.value.into()),
            _ => {
                f.encoding = Some(self.value);
                if self.value == "bcd" {
                    f.unit.get_or_insert("digits");
                    f.bcd_pad.get_or_insert_with(|| "left-0".into());
                } else {
                    f.unit = None;
                    f.bcd_pad = None;
                }
            }
        }
    }

    /// `field 35: prefix_encoding: binary`.
    pub(super) fn describe(&self) -> String {
        format!("field {}: {}: {}", self.field, self.setting, self.value)
    }
}
