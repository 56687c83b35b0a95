//! The spec doctor: for a message a spec fails on, find the smallest change to the spec that
//! decodes the whole message cleanly.
//!
//! A dialect usually differs from a spec along a few axes, each applying to the whole spec:
//!
//! - the bitmap written as binary, ASCII hex or EBCDIC hex;
//! - the MTI written as ASCII, packed BCD or EBCDIC;
//! - the length prefixes written as ASCII, BCD, EBCDIC or binary;
//! - packed lengths counting digits or bytes;
//! - the pad nibble of odd-length packed values (left or right, 0 or F);
//! - a header of 0 to 64 bytes ahead of the MTI.
//!
//! [`Doctor::new`] builds every combination of the first five axes once (at most 675 specs;
//! the header length is tried by decoding from each offset with a header-less spec, so it
//! costs no spec). [`Doctor::examine`] decodes a message with each and, where none is clean,
//! tries changing the field the best candidates fail at (its prefix encoding, length unit, pad
//! nibble or data encoding), a few steps deep. The work per message is bounded: at most
//! 675 × 65 decodes plus [`MAX_FIELD_STEPS`] rounds of [`MAX_BEAM`] × a dozen field tweaks,
//! each a spec load. Candidates are ranked clean first, then by fewest changes, then by how
//! far into the message they decode; each comes with a [`Fix::toml_diff`] the user can apply
//! to the spec file.
//!
//! ```
//! use iso8583_wire::{MessageBuilder, Spec, doctor::Doctor};
//! // A message written with BCD length prefixes, read with a spec that says ASCII.
//! let ascii = Spec::builtin("iso87-ascii-bin").unwrap();
//! let bcd_prefixes = ascii.to_toml().unwrap().replace(
//!     "prefix_encoding = \"ascii\"",
//!     "prefix_encoding = \"bcd\"",
//! );
//! let writer = Spec::from_toml_str(&bcd_prefixes, "w").unwrap();
//! let mut b = MessageBuilder::new(&writer);
//! b.mti("0200").unwrap();
//! b.set(2, "4761739001010119").unwrap();
//! b.set(3, "000000").unwrap();
//! let wire = b.encode_to_vec().unwrap();
//!
//! let doctor = Doctor::new(&ascii).unwrap();
//! let report = doctor.examine(&wire);
//! assert!(report.original_error.is_some());
//! let best = &report.fixes[0];
//! assert!(best.clean);
//! assert_eq!(best.changes, ["prefix encoding: bcd"]);
//! assert!(best.toml_diff.contains("+prefix_encoding = \"bcd\""));
//! ```

#[allow(unused_imports)]
use crate::prelude::*;

mod axes;
mod diff;

use crate::error::{DecodeError, Location, SpecError};
use crate::message::MessageView;
use crate::spec::Spec;
use crate::spec::emit::SpecDoc;

pub use axes::MAX_HEADER;
use axes::{Axes, FieldTweak};

/// Rounds of field-level changes tried after the whole-spec axes.
pub const MAX_FIELD_STEPS: usize = 3;
/// Candidates carried from one round to the next.
pub const MAX_BEAM: usize = 4;
/// Fixes reported per message.
pub const MAX_FIXES: usize = 3;

/// A spec and its variants along the whole-spec axes, built once and used for every message.
#[derive(Debug)]
pub struct Doctor {
    original: Spec,
    original_toml: String,
    base: SpecDoc,
    /// Variants with a header-less spec, and the axes each differs in.
    variants: Vec<(Axes, Spec)>,
}

/// What the doctor found for one message.
#[derive(Clone, Debug)]
pub struct Report {
    /// Why the given spec refuses the message (`None` when it decodes it).
    pub original_error: Option<DecodeError>,
    /// The best candidates, best first: clean ones first, then fewest changes, then furthest
    /// decoded. Empty when the given spec decodes the message.
    pub fixes: Vec<Fix>,
    /// Candidate specs tried (decodes, counting each header length).
    pub tried: usize,
}

/// One candidate change to the spec.
#[derive(Clone, Debug)]
pub struct Fix {
    /// The changes, one line each (`prefix encoding: bcd`, `field 35: unit: bytes`).
    pub changes: Vec<String>,
    /// Whether the changed spec decodes the whole message cleanly.
    pub clean: bool,
    /// Bytes of the message decoded before the changed spec failed (the length when clean).
    pub decoded_bytes: usize,
    /// The error of the changed spec, when not clean.
    pub error: Option<DecodeError>,
    /// Where the given spec first reads the message differently from the changed one: the
    /// header, MTI or bitmap when the fix changes those, else the first field whose number,
    /// offset or length differs (known for clean fixes).
    pub first_wrong: Option<Location>,
    /// The change as lines to remove (`-`) and add (`+`) under each TOML table of the spec
    /// as [`Spec::to_toml`] writes it.
    pub toml_diff: String,
}

/// A candidate under evaluation.
#[derive(Clone)]
struct Candidate {
    axes: Axes,
    header: usize,
    tweaks: Vec<FieldTweak>,
    outcome: Result<usize, DecodeError>,
}

impl Candidate {
    fn changes(&self) -> usize {
        self.axes.changes() + usize::from(self.header != usize::MAX) + self.tweaks.len()
    }
    fn progress(&self) -> usize {
        match &self.outcome {
            Ok(n) => *n,
            Err(e) => e.offset,
        }
    }
    /// Sort key: clean first, fewer changes, further decoded.
    fn rank(&self) -> (bool, usize, core::cmp::Reverse<usize>) {
        (
            self.outcome.is_err(),
            self.changes(),
            core::cmp::Reverse(self.progress()),
        )
    }
}

impl Doctor {
    /// Builds the variants of `spec` along the whole-spec axes.
    pub fn new(spec: &Spec) -> Result<Doctor, SpecError> {
        let base = spec.to_doc();
        let mut variants = Vec::new();
        for axes in Axes::all(&base) {
            let mut doc = axes.apply(&base);
            doc.message.header_length = 0;
            // A combination the loader refuses (a pad nibble a class forbids) is not a candidate.
            if let Ok(s) = doc.load(spec.name()) {
                variants.push((axes, s));
            }
        }
        Ok(Doctor {
            original: spec.clone(),
            original_toml: spec.to_toml()?,
            base,
            variants,
        })
    }

    /// Specs built (one per combination of the whole-spec axes).
    pub fn variant_count(&self) -> usize {
        self.variants.len()
    }

    /// Examines one message.
    pub fn examine(&self, msg: &[u8]) -> Report {
        let original_error = MessageView::decode(&self.original, msg).err();
        if original_error.is_none() {
            return Report {
                original_error,
                fixes: Vec::new(),
                tried: 1,
            };
        }
        let original_header = self.original.header_len();
        let mut tried = 0;
        let mut all: Vec<Candidate> = Vec::new();
        for (axes, spec) in &self.variants {
            for header in 0..=MAX_HEADER.min(msg.len()) {
                let Some(body) = msg.get(header..) else { break };
                tried += 1;
                let outcome = match MessageView::decode(spec, body) {
                    Ok(_) => Ok(msg.len()),
                    Err(e) => Err(shift(e, header)),
                };
                all.push(Candidate {
                    axes: axes.clone(),
                    header: if header == original_header {
                        usize::MAX
                    } else {
                        header
                    },
                    tweaks: Vec::new(),
                    outcome,
                });
            }
        }
        all.sort_by_key(Candidate::rank);
        all.truncate(MAX_BEAM.max(MAX_FIXES));
        // Field-level rounds from the best candidates that are not clean yet.
        let mut beam: Vec<Candidate> = all
            .iter()
            .filter(|c| c.outcome.is_err())
            .take(MAX_BEAM)
            .cloned()
            .collect();
        for _ in 0..MAX_FIELD_STEPS {
            if all
                .first()
                .is_some_and(|c| c.outcome.is_ok() && c.changes() <= 1)
            {
                break;
            }
            let mut next = Vec::new();
            for c in &beam {
                let Err(e) = &c.outcome else { continue };
                let Location::Field(n) = e.location else {
                    continue;
                };
                for tweak in FieldTweak::around(&self.base, n, &c.tweaks) {
                    let mut cand = c.clone();
                    cand.tweaks.push(tweak);
                    let Ok(spec) = self.build(&cand, 0) else {
                        continue;
                    };
                    let header = if cand.header == usize::MAX {
                        original_header
                    } else {
                        cand.header
                    };
                    let Some(body) = msg.get(header..) else {
                        continue;
                    };
                    tried += 1;
                    cand.outcome = match MessageView::decode(&spec, body) {
                        Ok(_) => Ok(msg.len()),
                        Err(e) => Err(shift(e, header)),
                    };
                    // Only a change that gets further is worth keeping.
                    if cand.outcome.is_ok() || cand.progress() > c.progress() {
                        next.push(cand);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            next.sort_by_key(Candidate::rank);
            all.extend(next.iter().cloned());
            beam = next
                .into_iter()
                .filter(|c| c.outcome.is_err())
                .take(MAX_BEAM)
                .collect();
        }
        all.sort_by_key(Candidate::rank);
        let fixes = all
            .iter()
            .take(MAX_FIXES)
            .map(|c| self.fix(c, msg))
            .collect();
        Report {
            original_error,
            fixes,
            tried,
        }
    }

    /// The spec a candidate describes, with `header` as its header length.
    fn build(&self, c: &Candidate, header: usize) -> Result<Spec, SpecError> {
        let mut doc = c.axes.apply(&self.base);
        for t in &c.tweaks {
            t.apply(&mut doc);
        }
        doc.message.header_length = header;
        doc.load(self.original.name())
    }

    fn fix(&self, c: &Candidate, msg: &[u8]) -> Fix {
        let mut changes = c.axes.describe();
        if c.header != usize::MAX {
            changes.push(format!("header length: {}", c.header));
        }
        changes.extend(c.tweaks.iter().map(FieldTweak::describe));
        let header = if c.header == usize::MAX {
            self.original.header_len()
        } else {
            c.header
        };
        let fixed = self.build(c, header);
        let toml_diff = fixed
            .as_ref()
            .ok()
            .and_then(|s| s.to_toml().ok())
            .map(|t| diff::toml_diff(&self.original_toml, &t))
            .unwrap_or_default();
        let first_wrong = if c.header != usize::MAX {
            Some(Location::Header)
        } else if c.axes.changes_mti() {
            Some(Location::Mti)
        } else if c.axes.changes_bitmap() {
            Some(Location::Bitmap)
        } else {
            fixed
                .ok()
                .and_then(|s| self.first_field_read_differently(&s, msg))
        };
        Fix {
            first_wrong,
            changes,
            clean: c.outcome.is_ok(),
            decoded_bytes: c.progress(),
            error: c.outcome.err(),
            toml_diff,
        }
    }
}

impl Doctor {
    /// The first field whose number, offset or length differs between the given spec's
    /// (lenient, possibly partial) reading of `msg` and `fixed`'s clean one.
    fn first_field_read_differently(&self, fixed: &Spec, msg: &[u8]) -> Option<Location> {
        let good = MessageView::decode(fixed, msg).ok()?;
        let spans = |v: &MessageView<'_>| -> Vec<(u16, usize, usize)> {
            v.fields()
                .map(|f| (f.number(), f.offset(), f.len()))
                .collect()
        };
        let good = spans(&good);
        let given = match MessageView::decode_lenient(&self.original, msg) {
            Ok(l) => spans(l.view()),
            Err(e) => return Some(e.location),
        };
        good.iter()
            .zip(given.iter().map(Some).chain(core::iter::repeat(None)))
            .find(|(g, o)| *o != Some(*g))
            .map(|(g, _)| Location::Field(g.0))
    }
}

/// An error found decoding from `header` bytes in, with its offset in the whole message.
fn shift(mut e: DecodeError, header: usize) -> DecodeError {
    e.offset += header;
    e
}
