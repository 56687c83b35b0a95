//! [`Message`]: a decoded message that owns its bytes in a `bytes::Bytes`.

#[allow(unused_imports)]
use crate::prelude::*;

use core::fmt;

use bytes::Bytes;

use crate::error::DecodeError;
use crate::spec::Spec;

use super::field::Field;
use super::layout::{self, Layout};
use super::view::MessageView;

/// An owned decoded message. Field values are slices of the received `Bytes` (no copy).
///
/// ```
/// use bytes::Bytes;
/// use iso8583_wire::{Message, MessageBuilder, Spec};
/// let spec = Spec::builtin("iso87-bcd")?;
/// let mut b = MessageBuilder::new(&spec);
/// b.mti("0800")?.set(11, "000001")?.set(70, "001")?;
/// let msg = Message::decode(&spec, Bytes::from(b.encode_to_vec()?))?;
/// assert_eq!(msg.view().field(70).unwrap().to_u64(), Some(1));
/// assert_eq!(msg.field_bytes(11).unwrap().as_ref(), &[0x00, 0x00, 0x01]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Message {
    spec: Spec,
    bytes: Bytes,
    layout: Box<Layout>,
}

impl Message {
    /// Decodes exactly one message filling `bytes`.
    pub fn decode(spec: &Spec, bytes: Bytes) -> Result<Message, DecodeError> {
        let layout = layout::decode_exact(spec, &bytes)?;
        Ok(Self::from_parts(spec.clone(), bytes, layout))
    }

    pub(crate) fn from_parts(spec: Spec, bytes: Bytes, layout: Layout) -> Self {
        Self {
            spec,
            bytes,
            layout: Box::new(layout),
        }
    }

    /// This message's field table over `bytes`, which must be this message with bytes changed
    /// only inside fixed-length fields (the same structure): for callers that patch a decoded
    /// template, such as the link's load generator.
    pub(crate) fn with_patched_bytes(&self, bytes: Bytes) -> Message {
        debug_assert_eq!(
            bytes.len(),
            self.bytes.len(),
            "patched bytes change the length"
        );
        Self {
            spec: self.spec.clone(),
            bytes,
            layout: self.layout.clone(),
        }
    }

    /// A borrowed view for field access.
    pub fn view(&self) -> MessageView<'_> {
        MessageView::from_layout(&self.spec, &self.bytes, (*self.layout).clone())
    }

    /// The spec.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// The message bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The MTI.
    pub fn mti(&self) -> super::mti::Mti {
        self.layout.mti
    }

    /// Data element `n`, if present.
    pub fn field(&self, n: u16) -> Option<Field<'_>> {
        if !self.layout.bitmap.is_set(n) || self.spec.is_bitmap_field(n) {
            return None;
        }
        self.layout.field(&self.spec, &self.bytes, n)
    }

    /// Field `n`'s wire data as a `Bytes` slice of the message (no copy).
    pub fn field_bytes(&self, n: u16) -> Option<Bytes> {
        let f = self.field(n)?;
        let start = f.offset();
        Some(self.bytes.slice(start..start + f.raw().len()))
    }

    /// Each field's number, offset and wire bytes, in order: for tests that compare the field
    /// tables of two messages.
    #[cfg(test)]
    pub(crate) fn field_table(&self) -> Vec<(u16, usize, Vec<u8>)> {
        self.view()
            .fields()
            .map(|f| (f.number(), f.offset(), f.raw().to_vec()))
            .collect()
    }
}

impl Message {
    /// The readable multi-line dump, masked (see [`MessageView::describe`](super::MessageView::describe)).
    pub fn describe(&self) -> super::Describe<'_> {
        self.view().describe()
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.view(), f)
    }
}
