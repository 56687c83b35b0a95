//! Reads that do not depend on the wire encoding: the same message gives the same text and
//! numbers whether its spec writes a field in ASCII, packed BCD or EBCDIC.
//!
//! Three ways to read a value, and when each is the right one:
//!
//! | accessor | gives | ASCII | BCD | EBCDIC |
//! |---|---|---|---|---|
//! | [`Field::text`], [`MessageView::text`] | the value's characters, borrowed when the wire bytes are that text, else copied once | ✓ | ✓ | ✓ |
//! | [`Field::text_eq`], [`MessageView::text_eq`] | whether the value is the given text, without allocating | ✓ | ✓ | ✓ |
//! | [`Field::to_u64`], [`MessageView::u64`] | a numeric (class `n`) value up to 19 digits | ✓ | ✓ | ✓ |
//! | [`Field::as_str`], [`MessageView::str`] | the wire bytes as `&str`, zero-copy | ✓ | `None` for packed fields | `None` |
//!
//! Route and match on `text`, `text_eq` or `u64`: code keyed on `str(11)` finds nothing on a
//! host whose STAN is packed BCD. `str` is for code that knows its spec writes text (it never
//! copies).
//!
//! ```
//! use iso8583_wire::{MessageBuilder, MessageView, Spec};
//! for name in ["iso87-ascii-bin", "iso87-bcd", "iso87-ebcdic"] {
//!     let spec = Spec::builtin(name)?;
//!     let mut b = MessageBuilder::new(&spec);
//!     b.mti("0210")?.set(11, "000042")?.set(39, "00")?;
//!     let wire = b.encode_to_vec()?;
//!     let rsp = MessageView::decode(&spec, &wire)?;
//!     assert_eq!(rsp.text(11).as_deref(), Some("000042"), "{name}");
//!     assert_eq!(rsp.u64(11), Some(42), "{name}");
//!     assert!(rsp.text_eq(39, "00"), "{name}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[allow(unused_imports)]
use crate::prelude::*;

use alloc::borrow::Cow;

use crate::spec::Encoding;

use super::field::Field;
use super::view::MessageView;

impl<'a> Field<'a> {
    /// The value as text, whatever the wire encoding: the characters [`Field::clear`] shows
    /// (packed BCD unpacked, EBCDIC translated, raw binary as uppercase hex). Borrowed from the
    /// message when the wire bytes are already that text (ASCII, hex text), else copied into
    /// a new `String`. Clear text: handle with care.
    ///
    /// ```
    /// use iso8583_wire::{MessageBuilder, MessageView, Spec};
    /// let spec = Spec::builtin("iso87-bcd")?;
    /// let mut b = MessageBuilder::new(&spec);
    /// b.mti("0200")?.set(11, "000042")?.set(41, "TERM0001")?;
    /// let wire = b.encode_to_vec()?;
    /// let v = MessageView::decode(&spec, &wire)?;
    /// assert_eq!(v.field(11).unwrap().text(), "000042"); // packed BCD: copied
    /// assert_eq!(v.field(11).unwrap().as_str(), None); // no zero-copy text on the wire
    /// assert_eq!(v.field(41).unwrap().text(), "TERM0001"); // ASCII: borrowed
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn text(&self) -> Cow<'a, str> {
        let data = self.raw();
        if matches!(self.spec().encoding(), Encoding::Ascii | Encoding::Hex)
            && data.is_ascii()
            && let Ok(s) = core::str::from_utf8(data)
        {
            return Cow::Borrowed(s);
        }
        Cow::Owned(self.chars().map(char::from).collect())
    }

    /// Whether the value's text (as [`Field::text`] gives it) is `expected`, compared
    /// character by character without allocating: the routing test (`DE 39 == "00"`) that
    /// holds on every encoding.
    pub fn text_eq(&self, expected: &str) -> bool {
        // Characters past ASCII (Latin-1 from an EBCDIC field) take two bytes in `expected`.
        if expected.is_ascii() {
            self.len() == expected.len() && self.chars().eq(expected.bytes())
        } else {
            self.chars().map(char::from).eq(expected.chars())
        }
    }
}

impl<'a> MessageView<'a> {
    /// Field `n` as text, whatever the wire encoding (see [`Field::text`]); `None` when absent.
    pub fn text(&self, n: u16) -> Option<Cow<'a, str>> {
        Some(self.field(n)?.text())
    }

    /// Whether field `n` is present and its text is `expected` (see [`Field::text_eq`]).
    pub fn text_eq(&self, n: u16, expected: &str) -> bool {
        self.field(n).is_some_and(|f| f.text_eq(expected))
    }

    /// Numeric field `n` (class `n`, up to 19 digits) as a number, whatever the wire
    /// encoding (see [`Field::to_u64`]); `None` when absent or not such a field.
    pub fn u64(&self, n: u16) -> Option<u64> {
        self.field(n)?.to_u64()
    }
}
