//! Specs from other ISO 8583 libraries: jPOS GenericPackager XML, moov-io/iso8583 JSON specs
//! and pyiso8583 spec dicts written as JSON.
//!
//! Each importer reads the other library's description, maps every field onto this crate's
//! spec model (class, length, prefix, encoding, padding, subfields) and hands the result to the
//! same validating loader as a TOML file, so an imported [`Spec`] obeys every rule a hand-written
//! one does. [`Spec::to_toml`] writes it out as a spec file to keep and edit.
//!
//! A field the model cannot express (a class, an attribute, an encoding or a prefix with no
//! equivalent) is refused with a [`SpecError`] naming the field, the setting and the value,
//! never approximated silently.
//!
//! ```
//! use iso8583_wire::{Spec, spec::import::Format};
//! let xml = r#"<isopackager>
//!   <isofield id="0" length="4" name="MTI" class="org.jpos.iso.IFA_NUMERIC"/>
//!   <isofield id="1" length="16" name="BITMAP" class="org.jpos.iso.IFB_BITMAP"/>
//!   <isofield id="2" length="19" name="PAN" class="org.jpos.iso.IFA_LLNUM"/>
//!   <isofield id="4" length="12" name="AMOUNT" class="org.jpos.iso.IFA_NUMERIC"/>
//! </isopackager>"#;
//! let spec = Spec::import(Format::Jpos, xml, "base.xml").unwrap();
//! assert_eq!(spec.field(2).unwrap().prefix_encoding(), iso8583_wire::spec::Encoding::Ascii);
//! assert!(spec.to_toml().unwrap().contains("[fields.4]"));
//! ```

#[allow(unused_imports)]
use crate::prelude::*;

mod jpos;
mod moov;
mod pyiso;

use super::Spec;
use crate::error::SpecError;

/// Which library's spec format a text is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// jPOS GenericPackager XML (`<isopackager>` with `<isofield>` and `<isofieldpackager>`).
    Jpos,
    /// moov-io/iso8583 JSON spec (`{"name":..,"fields":{"0":{"type":..,"enc":..}}}`).
    Moov,
    /// A pyiso8583 spec dict written as JSON (`{"t":{..},"p":{..},"2":{"data_enc":..}}`).
    Pyiso8583,
}

impl Format {
    /// The format named `jpos`, `moov` or `pyiso8583`.
    pub fn parse(name: &str) -> Option<Format> {
        Some(match name {
            "jpos" => Format::Jpos,
            "moov" => Format::Moov,
            "pyiso8583" => Format::Pyiso8583,
            _ => return None,
        })
    }
}

impl Spec {
    /// A spec from another library's description; `source` names the file in errors and
    /// gives the spec its name when the description has none.
    pub fn import(format: Format, text: &str, source: &str) -> Result<Spec, SpecError> {
        match format {
            Format::Jpos => Spec::from_jpos_xml(text, source),
            Format::Moov => Spec::from_moov_json(text, source),
            Format::Pyiso8583 => Spec::from_pyiso8583_json(text, source),
        }
    }

    /// A spec from a jPOS GenericPackager XML file (see the README's "Real-world traffic" for
    /// the classes read).
    pub fn from_jpos_xml(xml: &str, source: &str) -> Result<Spec, SpecError> {
        jpos::import(xml, source)?.load(source)
    }

    /// A spec from a moov-io/iso8583 JSON spec.
    pub fn from_moov_json(json: &str, source: &str) -> Result<Spec, SpecError> {
        moov::import(json, source)?.load(source)
    }

    /// A spec from a pyiso8583 spec dict written as JSON.
    pub fn from_pyiso8583_json(json: &str, source: &str) -> Result<Spec, SpecError> {
        pyiso::import(json, source)?.load(source)
    }
}

/// The spec's name for a source path: its file stem.
fn stem(source: &str) -> String {
    std::path::Path::new(source)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(source)
        .to_owned()
}
