//! Shared pieces of the link tests: messages, a scriptable peer handler, a collecting handler.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use iso8583_wire::framing::{FrameConfig, LengthHeader};
use iso8583_wire::link::{
    BoxFuture, ClientConfig, Connection, Handler, LinkConfig, LinkError, Reply, Server,
    ServerConfig, Stray, StrayKind,
};
use iso8583_wire::{Message, MessageBuilder, Spec};

pub fn spec() -> Spec {
    Spec::builtin("iso87-ascii-bin").unwrap()
}

pub fn link() -> LinkConfig {
    LinkConfig::new(spec(), FrameConfig::new(LengthHeader::Len2Be))
        .with_request_timeout(Duration::from_millis(500))
}

pub fn client_config() -> ClientConfig {
    ClientConfig::new(link())
}

pub fn build(mti: &str, fields: &[(u16, &str)]) -> Message {
    let spec = spec();
    let mut b = MessageBuilder::new(&spec);
    b.mti(mti).unwrap();
    for (n, v) in fields {
        b.set(*n, *v).unwrap();
    }
    Message::decode(&spec, Bytes::from(b.encode_to_vec().unwrap())).unwrap()
}

pub fn purchase(stan: u32) -> Message {
    let stan = format!("{stan:06}");
    build(
        "0200",
        &[
            (3, "000000"),
            (4, "000000001000"),
            (11, &stan),
            (41, "TERM0001"),
        ],
    )
}

/// The response to `req` with code `code` (DE 3, 4, 11, 41, 70 copied; DE 38 on an approved
/// 0100).
pub fn answer(req: &Message, code: &str) -> Message {
    answer_coded(req, Some(code))
}

/// [`answer`], with DE 39 set to `code`, or left out when `None`.
fn answer_coded(req: &Message, code: Option<&str>) -> Message {
    let spec = spec();
    let mut b = MessageBuilder::new(&spec);
    b.set_mti(req.mti().response().unwrap());
    let v = req.view();
    for n in [3, 4, 11, 41, 70] {
        if let Some(f) = v.field(n) {
            b.set(n, f).unwrap();
        }
    }
    if let Some(code) = code {
        b.set(39, code).unwrap();
    }
    if code == Some("00") && req.mti().as_str() == "0100" {
        // An approved authorization carries its authorization id.
        b.set(38, "AUTH01").unwrap();
    }
    Message::decode(&spec, Bytes::from(b.encode_to_vec().unwrap())).unwrap()
}

pub fn stan(m: &Message) -> u32 {
    m.field(11).unwrap().to_u64().unwrap() as u32
}

/// What the scripted peer does with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    Answer,
    Drop,
    Delay(Duration),
    Twice,
    Reject,
    /// Answer with this response code.
    AnswerWith(&'static str),
    /// Answer without a response code (no DE 39).
    AnswerWithoutCode,
}

/// A server handler that acts per request as `script` says, and counts what it saw.
pub struct Peer {
    pub script: Box<dyn Fn(&Message) -> Act + Send + Sync>,
    pub seen: AtomicUsize,
    pub pending_now: Arc<AtomicUsize>,
    pub pending_max: Arc<AtomicUsize>,
    pub conns: Mutex<Vec<Connection>>,
}

impl Peer {
    pub fn new(script: impl Fn(&Message) -> Act + Send + Sync + 'static) -> Arc<Peer> {
        Arc::new(Peer {
            script: Box::new(script),
            seen: AtomicUsize::new(0),
            pending_now: Arc::new(AtomicUsize::new(0)),
            pending_max: Arc::new(AtomicUsize::new(0)),
            conns: Mutex::new(Vec::new()),
        })
    }
}

impl Handler for Peer {
    fn request(&self, request: Message, conn: &Connection) -> Reply {
        self.seen.fetch_add(1, Ordering::SeqCst);
        match (self.script)(&request) {
            Act::Answer => Reply::Now(answer(&request, "00")),
            Act::AnswerWith(code) => Reply::Now(answer(&request, code)),
            Act::AnswerWithoutCode => Reply::Now(answer_coded(&request, None)),
            Act::Drop => Reply::None,
            Act::Delay(d) => {
                let now = Arc::clone(&self.pending_now);
                let max = Arc::clone(&self.pending_max);
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(n, Ordering::SeqCst);
                Reply::Later(Box::pin(async move {
                    tokio::time::sleep(d).await;
                    now.fetch_sub(1, Ordering::SeqCst);
                    Some(answer(&request, "00"))
                }))
            }
            Act::Twice => {
                conn.post(&answer(&request, "00")).unwrap();
                Reply::Now(answer(&request, "00"))
            }
            Act::Reject => {
                let stan = format!("{:06}", stan(&request));
                Reply::Now(build("0620", &[(11, &stan), (41, "TERM0001"), (39, "30")]))
            }
        }
    }

    fn connected(&self, conn: &Connection) {
        self.conns.lock().unwrap().push(conn.clone());
    }
}

/// A client handler that keeps strays and errors, counts sign-ons and sign-offs, and answers
/// the peer's requests with `00`.
#[derive(Default)]
pub struct Collect {
    pub strays: Mutex<Vec<Stray>>,
    pub errors: Mutex<Vec<String>>,
    pub sign_ons: AtomicUsize,
    pub sign_offs: AtomicUsize,
    pub requests: AtomicUsize,
}

impl Collect {
    pub fn strays_of(&self, kind: StrayKind) -> Vec<u32> {
        self.strays
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| stan(&s.message))
            .collect()
    }
}

impl Handler for Collect {
    fn request(&self, request: Message, _conn: &Connection) -> Reply {
        self.requests.fetch_add(1, Ordering::SeqCst);
        Reply::Now(answer(&request, "00"))
    }
    fn stray(&self, stray: Stray, _conn: &Connection) {
        self.strays.lock().unwrap().push(stray);
    }
    fn error(&self, error: &LinkError, _conn: Option<&Connection>) {
        self.errors.lock().unwrap().push(error.to_string());
    }
    fn sign_on(&self, _conn: Connection) -> BoxFuture<Result<(), LinkError>> {
        self.sign_ons.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(()) })
    }
    fn sign_off(&self, conn: Connection) -> BoxFuture<Result<(), LinkError>> {
        self.sign_offs.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            conn.send(build(
                "0800",
                &[(11, "000999"), (41, "TERM0001"), (70, "002")],
            ))
            .await
            .map(|_| ())
        })
    }
}

/// A client of `srv` (connected and signed on).
pub async fn connect(
    srv: &Server,
    config: ClientConfig,
    handler: Arc<dyn Handler>,
) -> iso8583_wire::link::Client {
    iso8583_wire::link::Client::connect(srv.local_addr().to_string(), config, handler)
        .await
        .unwrap()
}

/// Purchases `stans` sent at once, each from its own task.
pub fn burst(
    client: &iso8583_wire::link::Client,
    stans: impl Iterator<Item = u32>,
) -> Vec<tokio::task::JoinHandle<Result<Message, LinkError>>> {
    stans
        .map(|s| {
            let c = client.clone();
            tokio::spawn(async move { c.send(purchase(s)).await })
        })
        .collect()
}

pub async fn server(peer: Arc<Peer>) -> Server {
    Server::bind("127.0.0.1:0", ServerConfig::new(link()), peer)
        .await
        .unwrap()
}
