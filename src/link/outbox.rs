//! [`Outbox`]: the bytes waiting to be written on one connection.
//!
//! Senders frame their message straight into one shared buffer under a short lock; the
//! connection's writer task takes the whole buffer at once (swapping in its spare) and writes
//! it with one call. Many requests sent while a write is under way leave in the next single
//! write: the batching is what keeps wake-ups and system calls per request low.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use bytes::BytesMut;
use tokio::sync::Notify;

use crate::framing::FrameConfig;
use crate::link::error::LinkError;

#[derive(Debug, Default)]
struct State {
    buf: BytesMut,
    closed: bool,
}

/// What the writer found.
pub(crate) enum Take {
    /// Bytes to write (in the writer's spare buffer).
    Data,
    /// Nothing now; wait for a push.
    Empty,
    /// Closed and drained: shut the write side.
    Closed,
}

/// The write queue of one connection.
#[derive(Debug)]
pub(crate) struct Outbox {
    framing: FrameConfig,
    /// Mirrors `State::closed` for lock-free reads.
    closed: AtomicBool,
    state: Mutex<State>,
    notify: Notify,
}

impl Outbox {
    pub(crate) fn new(framing: FrameConfig) -> Outbox {
        Outbox {
            framing,
            closed: AtomicBool::new(false),
            state: Mutex::new(State {
                buf: BytesMut::with_capacity(16 * 1024),
                closed: false,
            }),
            notify: Notify::new(),
        }
    }

    /// Frames `payload` into the queue; fails when the queue is closed or the payload does not
    /// fit the framing.
    pub(crate) fn push(&self, payload: &[u8]) -> Result<(), LinkError> {
        let was_empty = {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if s.closed {
                return Err(LinkError::Io("connection closed".into()));
            }
            let was_empty = s.buf.is_empty();
            self.framing.encode(payload, &mut s.buf)?;
            was_empty
        };
        if was_empty {
            // A permit is stored when the writer is busy, so no push is ever missed.
            self.notify.notify_one();
        }
        Ok(())
    }

    /// Queues `bytes` as they are, without a length header.
    pub(crate) fn push_raw(&self, bytes: &[u8]) -> Result<(), LinkError> {
        let was_empty = {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if s.closed {
                return Err(LinkError::Io("connection closed".into()));
            }
            let was_empty = s.buf.is_empty();
            s.buf.extend_from_slice(bytes);
            was_empty
        };
        if was_empty {
            self.notify.notify_one();
        }
        Ok(())
    }

    /// Refuses further pushes; what is queued is still written.
    pub(crate) fn close(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).closed = true;
        self.closed.store(true, Relaxed);
        self.notify.notify_one();
    }

    /// Whether the queue takes pushes.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Relaxed)
    }

    /// Swaps the queued bytes into `spare` (which must be empty).
    pub(crate) fn take(&self, spare: &mut BytesMut) -> Take {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if !s.buf.is_empty() {
            std::mem::swap(&mut s.buf, spare);
            Take::Data
        } else if s.closed {
            Take::Closed
        } else {
            Take::Empty
        }
    }

    /// Resolves after the next push or close (or at once if one happened since the last wait).
    pub(crate) async fn wait(&self) {
        self.notify.notified().await;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::framing::LengthHeader;

    #[test]
    fn pushes_batch_into_one_take_and_close_drains_first() {
        let o = Outbox::new(FrameConfig::new(LengthHeader::Len2Be));
        o.push(b"ab").unwrap();
        o.push(b"c").unwrap();
        o.close();
        assert!(o.push(b"d").is_err());
        let mut spare = BytesMut::new();
        assert!(matches!(o.take(&mut spare), Take::Data));
        assert_eq!(&spare[..], b"\x00\x02ab\x00\x01c");
        spare.clear();
        assert!(matches!(o.take(&mut spare), Take::Closed));
    }
}
