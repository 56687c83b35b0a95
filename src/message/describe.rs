//! [`Describe`]: the readable, multi-line dump of a message that the CLI's `pretty` format
//! prints: the MTI with its meaning, the header, one line per field (number, name, value, the
//! meaning of a processing or response code) and, under a composite field, one line per
//! subfield (EMV templates indented under their tag).
//!
//! Values are masked by the same rules as every other rendering (see the README's "What is
//! masked"), unless [`Describe::unmask`] asks for clear text.
//!
//! ```
//! use iso8583_wire::{MessageBuilder, MessageView, Spec};
//! let spec = Spec::builtin("iso87-ascii-bin")?;
//! let mut b = MessageBuilder::new(&spec);
//! b.mti("0200")?.set(2, "4761739001010119")?.set(3, "000000")?.set(4, "000000002500")?;
//! let wire = b.encode_to_vec()?;
//! let view = MessageView::decode(&spec, &wire)?;
//! let text = view.describe().to_string();
//! assert!(text.starts_with("MTI 0200 (financial request)\n"));
//! assert!(text.contains("476173******0119"));
//! assert!(!text.contains("4761739001010119"));
//! assert!(view.describe().unmask(true).to_string().contains("4761739001010119"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[allow(unused_imports)]
use crate::prelude::*;

use core::fmt::{self, Write as _};

use crate::framing::PosHeader;

use super::view::MessageView;

/// Values longer than this are not repeated on the line of a composite field whose subfields
/// are listed below it.
const LONG_VALUE: usize = 48;

/// Width of the name column.
const NAME_WIDTH: usize = 46;

/// A message's readable dump; its `Display` writes it (see the [module docs](self)).
#[derive(Clone)]
pub struct Describe<'a> {
    view: MessageView<'a>,
    unmask: bool,
}

impl fmt::Debug for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Describe")
            .field("view", &self.view)
            .field("unmask", &self.unmask)
            .finish()
    }
}

impl<'a> Describe<'a> {
    /// The masked dump of `view`.
    pub fn new(view: &MessageView<'a>) -> Self {
        Describe {
            view: view.clone(),
            unmask: false,
        }
    }

    /// Shows sensitive values in clear when `unmask` is true. Clear text: handle with care.
    pub fn unmask(mut self, unmask: bool) -> Self {
        self.unmask = unmask;
        self
    }
}

/// Short meanings of common response codes (DE 39).
pub fn response_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "00" => "approved",
        "01" => "refer to issuer",
        "03" => "invalid merchant",
        "04" => "pick up card",
        "05" => "do not honor",
        "06" => "error",
        "12" => "invalid transaction",
        "13" => "invalid amount",
        "14" => "invalid card number",
        "25" => "unable to locate original",
        "30" => "format error",
        "41" => "lost card",
        "43" => "stolen card",
        "51" => "insufficient funds",
        "54" => "expired card",
        "55" => "wrong PIN",
        "57" => "not permitted for card",
        "58" => "not permitted for terminal",
        "61" => "amount limit exceeded",
        "64" => "amount differs from original",
        "68" => "response too late",
        "75" => "PIN tries exceeded",
        "91" => "issuer unavailable",
        "94" => "duplicate transmission",
        "96" => "system malfunction",
        "98" => "issuer timeout / no response",
        "A0" => "MAC error",
        _ => return None,
    })
}

/// `name` cut to `width` characters (with `~` when cut).
fn fit(name: &str, width: usize) -> alloc::borrow::Cow<'_, str> {
    if name.chars().count() <= width {
        return name.into();
    }
    let mut s: String = name.chars().take(width.saturating_sub(1)).collect();
    s.push('~');
    s.into()
}

impl fmt::Display for Describe<'_> {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let view = &self.view;
        let unmask = self.unmask;
        writeln!(out, "MTI {} ({})", view.mti(), view.mti().meaning())?;
        let header = view.header();
        if !header.is_empty() {
            match PosHeader::parse(header) {
                Ok(h) if header.len() == PosHeader::LEN => writeln!(out, "  header  {h}")?,
                _ => {
                    out.write_str("  header  ")?;
                    for b in header {
                        write!(out, "{b:02X}")?;
                    }
                    out.write_char('\n')?;
                }
            }
        }
        let mut value = String::new();
        for f in view.fields() {
            let n = f.number();
            value.clear();
            f.write_value(&mut value, unmask)?;
            let subs = view
                .subfields(n)
                .map(|r| r.and_then(|iter| iter.collect::<Result<Vec<_>, _>>()));
            let long = value.chars().count() > LONG_VALUE;
            match &subs {
                Some(Ok(list)) if !list.is_empty() && long => write!(
                    out,
                    "  {n:>4}  {:<NAME_WIDTH$} ({} chars, subfields below)",
                    f.spec().name(),
                    f.len()
                )?,
                _ => write!(out, "  {n:>4}  {:<NAME_WIDTH$} {value}", f.spec().name())?,
            }
            match n {
                3 => {
                    if let Some(pc) = view.processing_code() {
                        write!(out, "  ({})", pc.meaning())?;
                    }
                }
                39 => {
                    if let Some(m) = response_meaning(&f.text()) {
                        write!(out, "  ({m})")?;
                    }
                }
                _ => {}
            }
            out.write_char('\n')?;
            match subs {
                Some(Ok(list)) => {
                    for sub in list {
                        let indent = 2 * sub.depth();
                        let label = format!("{n}.{}", sub.key());
                        // Values line up with the field values above.
                        let width = NAME_WIDTH.saturating_sub(indent + 9);
                        write!(
                            out,
                            "        {:indent$}{label:<8} {:<width$}",
                            "",
                            fit(sub.name(), width),
                        )?;
                        if !sub.is_constructed() {
                            out.write_char(' ')?;
                            sub.write_value(out, unmask)?;
                        }
                        out.write_char('\n')?;
                    }
                }
                Some(Err(e)) => writeln!(out, "        (subfields do not parse: {e})")?,
                None => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cut_to_the_column() {
        assert_eq!(fit("abc", 3), "abc");
        assert_eq!(fit("abcdef", 4), "abc~");
    }

    #[test]
    fn response_codes_have_meanings() {
        assert_eq!(response_meaning("00"), Some("approved"));
        assert_eq!(response_meaning("A0"), Some("MAC error"));
        assert_eq!(response_meaning("ZZ"), None);
    }
}
