//! [`FaultyHost`]: a host that misbehaves on purpose, for tests and `examples/loadgen`:
//! it drops some responses, answers some past the client's timeout, answers some twice,
//! sends garbage frames and closes connections in the middle of a frame.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use bytes::BytesMut;

use crate::link::connection::Connection;
use crate::link::handler::{Handler, Reply};
use crate::message::{Message, MessageBuilder};

/// How often each fault happens, counted in requests received by the host (0: never).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Faults {
    /// Every n-th request gets no response.
    pub drop_every: u64,
    /// Every n-th request is answered after [`delay`](Self::delay).
    pub delay_every: u64,
    /// The delay of delayed answers (set it past the client's request timeout).
    pub delay: Duration,
    /// Every n-th request is answered twice.
    pub twice_every: u64,
    /// Every n-th request is followed by a well-framed frame that does not decode.
    pub garbage_every: u64,
    /// Every n-th request gets half a response, then the connection closes.
    pub close_every: u64,
}

impl Faults {
    /// The load generator's mix: 1% dropped, 1% delayed by `delay`, 0.5% answered twice, a
    /// garbage frame every 1,000 messages, a close in mid-frame every 5,000.
    pub fn mixed(delay: Duration) -> Faults {
        Faults {
            drop_every: 100,
            delay_every: 100,
            delay,
            twice_every: 200,
            garbage_every: 1000,
            close_every: 5000,
        }
    }
}

fn every(n: u64, period: u64, phase: u64) -> bool {
    period != 0 && n % period == phase % period
}

/// The request fields [`approve`] copies into its answer.
const ECHOED: [u16; 8] = [3, 4, 7, 11, 12, 13, 41, 42];

/// The approving answer to `request`: its response MTI, its header, DE 3, 4, 7, 11, 12, 13,
/// 41 and 42 copied (those present), DE 39 `00`; nothing else of the request. `None` when `request` has no response MTI or the spec
/// cannot carry the answer.
pub fn approve(request: &Message) -> Option<Message> {
    let spec = request.spec();
    let view = request.view();
    let mut b = MessageBuilder::new(spec);
    b.set_mti(request.mti().response()?);
    let header = view.header();
    if !header.is_empty() {
        b.header(header).ok()?;
    }
    // One pass over the request's fields (cheaper than looking each one up), setting DE 39
    // in its place so that every field goes at the end of the builder's list.
    let mut code_set = false;
    for f in view.fields() {
        let n = f.number();
        if n > 39 && !code_set {
            b.set(39, "00").ok()?;
            code_set = true;
        }
        if ECHOED.contains(&n) {
            b.set(n, f).ok()?;
        }
    }
    if !code_set {
        b.set(39, "00").ok()?;
    }
    b.build().ok()
}

/// A host answering every request with [`approve`], except for the faults of its
/// [`Faults`]; it counts the requests it has seen.
#[derive(Debug, Default)]
pub struct FaultyHost {
    faults: Faults,
    seen: AtomicU64,
}

impl FaultyHost {
    /// A host with `faults`.
    pub fn new(faults: Faults) -> Arc<FaultyHost> {
        Arc::new(FaultyHost {
            faults,
            seen: AtomicU64::new(0),
        })
    }

    /// Requests seen so far.
    pub fn seen(&self) -> u64 {
        self.seen.load(Relaxed)
    }
}

impl Handler for FaultyHost {
    fn request(&self, request: Message, conn: &Connection) -> Reply {
        let f = &self.faults;
        let n = self.seen.fetch_add(1, Relaxed) + 1;
        let Some(answer) = approve(&request) else {
            return Reply::None;
        };
        if every(n, f.close_every, 0) {
            let mut framed = BytesMut::new();
            if conn
                .config()
                .framing
                .encode(answer.bytes(), &mut framed)
                .is_ok()
            {
                let _ = conn.write_raw(&framed[..framed.len() / 2]);
            }
            conn.close();
            return Reply::None;
        }
        if every(n, f.garbage_every, 0) {
            let mut framed = BytesMut::new();
            if conn
                .config()
                .framing
                .encode(b"\xFFgarbage\x00\x01", &mut framed)
                .is_ok()
            {
                let _ = conn.write_raw(&framed);
            }
        }
        if every(n, f.drop_every, 17) {
            return Reply::None;
        }
        if every(n, f.delay_every, 53) {
            let delay = f.delay;
            return Reply::Later(Box::pin(async move {
                tokio::time::sleep(delay).await;
                Some(answer)
            }));
        }
        if every(n, f.twice_every, 91) {
            let _ = conn.post(&answer);
        }
        Reply::Now(answer)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::Spec;
    use bytes::Bytes;

    fn request(spec: &Spec, fields: &[(u16, &str)]) -> Message {
        let mut b = MessageBuilder::new(spec);
        b.mti("0200").unwrap();
        if spec.header_len() > 0 {
            b.header(b"\x60\x00\x01\x00\x02\x60\x31\x00\x31\x07\x01")
                .unwrap();
        }
        for (n, v) in fields {
            b.set(*n, *v).unwrap();
        }
        Message::decode(spec, Bytes::from(b.encode_to_vec().unwrap())).unwrap()
    }

    /// The answer's field numbers, in order.
    fn numbers(rsp: &Message) -> Vec<u16> {
        rsp.view().fields().map(|f| f.number()).collect()
    }

    /// Fields `ns` of the answer carry the request's wire bytes.
    fn assert_echoed(rsp: &Message, req: &Message, ns: &[u16], name: &str) {
        for &n in ns {
            assert_eq!(
                rsp.field(n).unwrap().raw(),
                req.field(n).unwrap().raw(),
                "{name} DE {n}"
            );
        }
    }

    #[test]
    fn the_answer_echoes_the_listed_fields_adds_de39_and_drops_the_rest() {
        for name in ["iso87-ascii-bin", "iso87-bcd", "cup-pos"] {
            let spec = Spec::builtin(name).unwrap();
            let req = request(
                &spec,
                &[
                    (2, "4761739001010119"),
                    (3, "000000"),
                    (4, "000000001000"),
                    (11, "000042"),
                    (41, "TERM0001"),
                    (42, "MERCHANT0000001"),
                    (49, "156"),
                ],
            );
            let rsp = approve(&req).unwrap();
            assert_eq!(rsp.mti().to_string(), "0210", "{name}");
            assert_eq!(rsp.view().header(), req.view().header(), "{name}");
            assert_eq!(numbers(&rsp), [3, 4, 11, 39, 41, 42], "{name}");
            assert_echoed(&rsp, &req, &[3, 4, 11, 41, 42], name);
            assert!(rsp.view().text_eq(39, "00"), "{name}");
            // What `build` filled in is what decoding the answer's bytes gives.
            let again = Message::decode(&spec, rsp.bytes().clone()).unwrap();
            assert_eq!(rsp.field_table(), again.field_table(), "{name}");
        }
    }

    #[test]
    fn every_echoed_field_is_copied_and_a_requests_own_de39_is_replaced() {
        let spec = Spec::builtin("iso87-ascii").unwrap();
        let req = request(
            &spec,
            &[
                (3, "000000"),
                (4, "000000001000"),
                (7, "1205125700"),
                (11, "000042"),
                (12, "125700"),
                (13, "1205"),
                (39, "05"),
                (41, "TERM0001"),
                (42, "MERCHANT0000001"),
                (70, "301"),
            ],
        );
        let rsp = approve(&req).unwrap();
        assert_eq!(numbers(&rsp), [3, 4, 7, 11, 12, 13, 39, 41, 42]);
        assert_echoed(&rsp, &req, &ECHOED, "iso87-ascii");
        assert!(rsp.view().text_eq(39, "00"));
        assert!(
            !rsp.view().bitmap().is_set(1),
            "DE 70 is not copied: no secondary bitmap"
        );
    }

    #[test]
    fn only_fields_above_39_still_get_de39() {
        let spec = Spec::builtin("iso87-ascii").unwrap();
        let req = request(&spec, &[(41, "TERM0001"), (42, "MERCHANT0000001")]);
        let rsp = approve(&req).unwrap();
        assert_eq!(numbers(&rsp), [39, 41, 42]);
        assert!(rsp.view().text_eq(39, "00"));
    }

    #[test]
    fn de39_goes_last_when_no_echoed_field_follows_it() {
        let spec = Spec::builtin("iso87-ascii").unwrap();
        let req = request(&spec, &[(3, "000000"), (11, "000007")]);
        let rsp = approve(&req).unwrap();
        assert_eq!(numbers(&rsp), [3, 11, 39]);
        assert!(approve(&rsp).is_none(), "a response has no response MTI");
    }
}
