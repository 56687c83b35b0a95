//! `iso8583 spec import` and `iso8583 spec check`.

use std::io::{self, Write};

use clap::{Subcommand, ValueEnum};
use iso8583_wire::Spec;
use iso8583_wire::spec::import::Format;
use iso8583_wire::spec::{Length, Subfields};

use super::AnyError;

#[derive(Subcommand)]
pub enum SpecCommand {
    /// Convert another library's spec (jPOS GenericPackager XML, moov-io JSON, pyiso8583 dict
    /// as JSON) to this crate's TOML, written to stdout.
    Import {
        /// The format FILE is in.
        #[arg(long, value_enum)]
        from: From,
        /// The spec file.
        file: String,
    },
    /// Load and validate a spec (bundled name or TOML file) and print one line per field;
    /// exit status 0 only if it is valid.
    Check {
        /// Bundled spec name or TOML file.
        file: String,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum From {
    /// jPOS GenericPackager XML.
    Jpos,
    /// moov-io/iso8583 JSON spec.
    Moov,
    /// pyiso8583 spec dict as JSON.
    Pyiso8583,
}

pub fn run(cmd: &SpecCommand) -> Result<bool, AnyError> {
    match cmd {
        SpecCommand::Import { from, file } => {
            let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
            let format = match from {
                From::Jpos => Format::Jpos,
                From::Moov => Format::Moov,
                From::Pyiso8583 => Format::Pyiso8583,
            };
            let spec = Spec::import(format, &text, file)?;
            io::stdout().lock().write_all(spec.to_toml()?.as_bytes())?;
            Ok(true)
        }
        SpecCommand::Check { file } => {
            let spec = match Spec::load(file) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("iso8583: {e}");
                    return Ok(false);
                }
            };
            let mut out = io::stdout().lock();
            writeln!(
                out,
                "{}: valid; mti {:?}, bitmap {:?}, header {} bytes{}",
                spec.name(),
                spec.mti_encoding(),
                spec.bitmap_encoding(),
                spec.header_len(),
                if spec.has_tertiary_bitmap() {
                    ", tertiary bitmap"
                } else {
                    ""
                }
            )?;
            for f in spec.fields() {
                writeln!(out, "{}", summary_line(f))?;
            }
            Ok(true)
        }
    }
}

/// `  2  n ..19 LL ascii  ascii  Primary Account Number [mask pan]`
fn summary_line(f: &iso8583_wire::spec::FieldSpec) -> String {
    let len = match f.length() {
        Length::Fixed(n) => format!("{n}"),
        Length::Variable { digits, max } => format!(
            "..{max} {} {:?}",
            "L".repeat(usize::from(digits)),
            f.prefix_encoding()
        ),
        other => format!("{other:?}"),
    };
    let sub = match f.subfields() {
        Some(Subfields::Positional(p)) => format!(" [positional, {} parts]", p.len()),
        Some(Subfields::Bitmapped { fields, .. }) => {
            format!(
                " [bitmapped, {} subfields]",
                fields.iter().flatten().count()
            )
        }
        Some(s) => format!(" [{}]", s.kind()),
        None => String::new(),
    };
    let mask = if f.is_sensitive() {
        format!(" (masked {:?})", f.mask())
    } else {
        String::new()
    };
    format!(
        "{:>4} {:<4} {:<18} {:<7} {}{sub}{mask}",
        f.number(),
        f.class().as_str(),
        len,
        format!("{:?}", f.encoding()),
        f.name()
    )
}
