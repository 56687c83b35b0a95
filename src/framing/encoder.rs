//! Writing frames: header and payload into one buffer.

#[allow(unused_imports)]
use crate::prelude::*;

use bytes::{BufMut, BytesMut};

use crate::framing::error::{FramingError, FramingErrorKind};
use crate::framing::header::LengthHeader;

/// Appends `header + payload` to `dst` in one buffer.
///
/// Fails (writing nothing) when the payload is empty or longer than the header can express;
/// the error offset is `dst.len()`. Use [`FrameConfig::encode`](crate::framing::FrameConfig::encode)
/// to also enforce a `max_frame`.
pub fn encode_frame(
    header: LengthHeader,
    payload: &[u8],
    dst: &mut BytesMut,
) -> Result<(), FramingError> {
    encode_checked(header, header.max_len(), payload, dst)
}

/// [`encode_frame`] with an extra payload limit.
pub(crate) fn encode_checked(
    header: LengthHeader,
    max: usize,
    payload: &[u8],
    dst: &mut BytesMut,
) -> Result<(), FramingError> {
    let offset = u64::try_from(dst.len()).unwrap_or(u64::MAX);
    let fail = |kind| FramingError { offset, kind };
    let len = payload.len();
    if len == 0 {
        return Err(fail(FramingErrorKind::ZeroLength));
    }
    let max = max.min(header.max_len());
    if len > max {
        return Err(fail(FramingErrorKind::FrameTooLarge { len, max }));
    }
    dst.reserve(header.size().saturating_add(len));
    header.encode_len(len, dst).map_err(fail)?;
    dst.put_slice(payload);
    Ok(())
}
