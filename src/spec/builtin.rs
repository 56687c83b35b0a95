//! The specs bundled with the crate, embedded at build time and parsed once on first use.

#[allow(unused_imports)]
use crate::prelude::*;

#[cfg(feature = "std")]
use std::sync::OnceLock;

use super::Spec;
use crate::error::SpecError;

/// Names of the bundled specs, for [`Spec::builtin`].
pub const BUILTIN_NAMES: &[&str] = &[
    "iso87-ascii",
    "iso87-ascii-bin",
    "iso87-bcd",
    "iso87-ebcdic",
    "iso93-ascii",
    "cup-pos",
];

const SOURCES: [&str; 6] = [
    include_str!("../../specs/iso87-ascii.toml"),
    include_str!("../../specs/iso87-ascii-bin.toml"),
    include_str!("../../specs/iso87-bcd.toml"),
    include_str!("../../specs/iso87-ebcdic.toml"),
    include_str!("../../specs/iso93-ascii.toml"),
    include_str!("../../specs/cup-pos.toml"),
];

#[cfg(feature = "std")]
static CACHE: [OnceLock<Spec>; 6] = [const { OnceLock::new() }; 6];

pub(super) fn get(name: &str) -> Result<Spec, SpecError> {
    let i = BUILTIN_NAMES
        .iter()
        .position(|n| *n == name)
        .ok_or_else(|| {
            SpecError::new(
                name,
                None,
                "name",
                format!(
                    "no bundled spec of that name (bundled: {})",
                    BUILTIN_NAMES.join(", ")
                ),
            )
        })?;
    let Some(src) = SOURCES.get(i) else {
        return Err(SpecError::new(
            name,
            None,
            "name",
            "bundled spec table out of step",
        ));
    };
    let parse = || Spec::from_toml_str(src, &format!("specs/{name}.toml"));
    #[cfg(feature = "std")]
    {
        if let Some(spec) = CACHE.get(i).and_then(OnceLock::get) {
            return Ok(spec.clone());
        }
        let spec = parse()?;
        Ok(match CACHE.get(i) {
            Some(cell) => cell.get_or_init(|| spec).clone(),
            None => spec,
        })
    }
    // Without std there is no lazy global: parse on each call (keep the Spec you get).
    #[cfg(not(feature = "std"))]
    parse()
}

/// The TOML text of bundled spec `name` (for the masking harness's spec variants).
#[cfg(feature = "std")]
pub(crate) fn source(name: &str) -> Option<&'static str> {
    let i = BUILTIN_NAMES.iter().position(|n| *n == name)?;
    SOURCES.get(i).copied()
}
