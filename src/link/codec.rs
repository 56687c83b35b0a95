//! [`MessageCodec`]: frames in, decoded owned [`Message`]s out.

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::framing::{FrameCodec, FrameConfig};
use crate::link::error::LinkError;
use crate::message::Message;
use crate::spec::Spec;

/// One decoded frame: a message, or a frame that did not decode (the stream stays in step,
/// since framing cut it correctly).
#[derive(Debug)]
pub enum Inbound {
    /// A message of the codec's spec.
    Message(Message),
    /// A well-framed payload that is not a valid message; the error names field and offset.
    Undecodable(LinkError),
}

/// A `tokio_util` codec yielding [`Inbound`] items (decoded owned messages) and encoding
/// message payloads (`Bytes` or `&Message`) with the configured length header.
///
/// Framing errors (a length over the maximum, bad digits, a truncated frame at EOF) are
/// returned as `Err`: after one the stream cannot be trusted and the connection should close.
/// An undecodable frame is an `Ok(Some(Inbound::Undecodable(..)))`.
#[derive(Debug, Clone)]
pub struct MessageCodec {
    spec: Spec,
    frames: FrameCodec,
}

impl MessageCodec {
    /// A codec decoding `spec` messages in frames of `framing`.
    pub fn new(spec: Spec, framing: FrameConfig) -> Self {
        MessageCodec {
            spec,
            frames: FrameCodec::new(framing),
        }
    }

    /// The spec messages are decoded with.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    fn item(&self, frame: Bytes) -> Inbound {
        let len = frame.len();
        match Message::decode(&self.spec, frame) {
            Ok(m) => Inbound::Message(m),
            Err(error) => Inbound::Undecodable(LinkError::Undecodable {
                error,
                len,
                stream_offset: self.frames.decoder().consumed(),
            }),
        }
    }
}

impl Decoder for MessageCodec {
    type Item = Inbound;
    type Error = LinkError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Inbound>, LinkError> {
        Ok(self.frames.decode(src)?.map(|f| self.item(f)))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Inbound>, LinkError> {
        Ok(self.frames.decode_eof(src)?.map(|f| self.item(f)))
    }
}

impl Encoder<Bytes> for MessageCodec {
    type Error = LinkError;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), LinkError> {
        Ok(self.frames.encode(item, dst)?)
    }
}

impl<'a> Encoder<&'a Message> for MessageCodec {
    type Error = LinkError;

    fn encode(&mut self, item: &'a Message, dst: &mut BytesMut) -> Result<(), LinkError> {
        Ok(self.frames.encode(item.bytes().as_ref(), dst)?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::MessageBuilder;
    use crate::framing::LengthHeader;

    #[test]
    fn yields_messages_and_names_the_bad_field() {
        let spec = Spec::builtin("iso87-ascii-bin").unwrap();
        let mut b = MessageBuilder::new(&spec);
        b.mti("0800")
            .unwrap()
            .set(11, "000042")
            .unwrap()
            .set(70, "301")
            .unwrap();
        let good = Bytes::from(b.encode_to_vec().unwrap());
        let mut codec = MessageCodec::new(spec, FrameConfig::new(LengthHeader::Len2Be));
        let mut wire = BytesMut::new();
        codec.encode(good.clone(), &mut wire).unwrap();
        // Same frame with the STAN's first digit replaced by a letter.
        let mut bad = good.to_vec();
        let pos = bad.windows(6).position(|w| w == b"000042").unwrap();
        bad[pos] = b'X';
        codec.encode(Bytes::from(bad), &mut wire).unwrap();
        match codec.decode(&mut wire).unwrap() {
            Some(Inbound::Message(m)) => {
                assert_eq!(m.mti().as_str(), "0800");
                assert_eq!(m.field(11).unwrap().to_u64(), Some(42));
            }
            other => panic!("unexpected {other:?}"),
        }
        match codec.decode(&mut wire).unwrap() {
            Some(Inbound::Undecodable(LinkError::Undecodable { error, len, .. })) => {
                assert_eq!(error.location.field(), Some(11));
                assert_eq!(error.offset, pos);
                assert_eq!(len, good.len());
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(codec.decode(&mut wire).unwrap().is_none());
    }

    #[test]
    fn oversized_frame_is_a_framing_error() {
        let spec = Spec::builtin("iso87-ascii-bin").unwrap();
        let mut codec = MessageCodec::new(
            spec,
            FrameConfig::new(LengthHeader::Len2Be).with_max_frame(10),
        );
        let mut wire = BytesMut::from(&b"\x00\x20rest"[..]);
        assert!(matches!(
            codec.decode(&mut wire),
            Err(LinkError::Framing(_))
        ));
    }
}
