//! `host`: a small acquirer host on 127.0.0.1 that answers POS terminals (feature `tokio`).
//!
//! ```text
//! cargo run --example host --features tokio -- [--port 5000] [--limit 100000] [--spec cup-pos]
//!                                             [--framing len2|len2le|len2bcd|len4ascii]
//! ```
//!
//! Frames are cut by [`FrameCodec`] (2-byte big-endian length by default). Purchases (0200,
//! DE 3 `00xxxx`) are approved (DE 39 `00`, with a retrieval reference number in DE 37 and an
//! authorization code in DE 38) when DE 4 is at most `--limit` minor units, and declined with
//! `51` above it. Voids, refunds (0220), reversals (0400), settlement (0500) are acknowledged
//! with `00`; sign-on (0800) gets its 0810. Responses echo DE 3, 4, 11, 41 and 42 (and DE 25,
//! 49, 60 when present), carry the request's header with the TPDU addresses swapped
//! ([`PosHeader::reply`]), and every exchange is printed, sensitive fields masked.
//! With `--mac-key HEX` (feature `crypto`, a spec with a `[mac]` section such as cup-pos)
//! requests of classes 1, 2 and 4 are verified: a bad or missing MAC is answered `A0`, and
//! the other responses of those classes are signed.
//! With `--db postgres://...` (feature `postgres`) purchases are decided by the host ledger
//! on PostgreSQL ([`SharedLedger`] over `PgStore`, migrations applied on start): a resend is
//! answered with the first answer and RRN, a request the database could not record is declined
//! with the profile's retryable code (`96` on cup-pos, `91` otherwise), and several hosts on one
//! database approve a request once.
//! With `--port 0` the system picks a port; the first line printed is
//! `listening on 127.0.0.1:PORT`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use clap::Parser;
use iso8583_wire::flows::host::{HostConfig, HostRequest, HostTxnKind, SharedLedger, TxnKey};
use iso8583_wire::framing::{FrameCodec, FrameConfig, LengthHeader, PosHeader};
use iso8583_wire::{MessageBuilder, MessageView, Spec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Decoder, Encoder};

type AnyError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser, Debug)]
#[command(
    name = "host",
    about = "A test acquirer host for ISO 8583 POS terminals"
)]
struct Args {
    /// TCP port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 5000)]
    port: u16,
    /// Largest approved purchase amount, in minor units (DE 4).
    #[arg(long, default_value_t = 100_000)]
    limit: u64,
    /// Bundled spec name or path to a spec TOML file.
    #[arg(long, default_value = "cup-pos")]
    spec: String,
    /// Length header: len2, len2le, len2bcd or len4ascii.
    #[arg(long, default_value = "len2")]
    framing: LengthHeader,
    /// Print responses' fields in clear.
    #[arg(long)]
    unmask: bool,
    /// Decide purchases in the host ledger on this PostgreSQL database (feature `postgres`).
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// MAC key in hex (with feature `crypto`; the spec needs a [mac] section): requests of
    /// classes 1, 2 and 4 whose MAC does not verify are answered A0, other responses signed.
    #[cfg(feature = "crypto")]
    #[arg(long)]
    mac_key: Option<String>,
}

/// What the connections share.
struct Host {
    spec: Spec,
    limit: u64,
    unmask: bool,
    framing: FrameConfig,
    /// Retrieval reference and authorization numbers.
    counter: AtomicU64,
    /// The ledger deciding purchases (`--db`).
    ledger: Option<SharedLedger>,
    #[cfg(feature = "crypto")]
    mac: Option<iso8583_wire::flows::FlowMac>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("host: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), AnyError> {
    if args.framing == LengthHeader::None {
        return Err("--framing none cannot delimit messages on a connection".into());
    }
    let spec = Spec::load(&args.spec)?;
    #[cfg(feature = "crypto")]
    let mac = match &args.mac_key {
        Some(hex) => Some(iso8583_wire::flows::FlowMac::from_hex(&spec, hex)?),
        None => None,
    };
    let ledger = match args.db.as_deref() {
        Some(url) => {
            let config = if spec.name().starts_with("cup") {
                HostConfig::cup()
            } else {
                HostConfig::generic()
            }
            .with_purchase_limit(args.limit);
            let store = iso8583_wire::flows::host::store::open(Some(url), &config).await?;
            println!("ledger on PostgreSQL");
            Some(SharedLedger::with_store(config, store))
        }
        None => None,
    };
    let host = Arc::new(Host {
        spec,
        ledger,
        #[cfg(feature = "crypto")]
        mac,
        limit: args.limit,
        unmask: args.unmask,
        framing: FrameConfig::new(args.framing),
        counter: AtomicU64::new(1),
    });
    let listener = TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!("listening on {}", listener.local_addr()?);
    println!(
        "spec {}, framing {}, purchases approved up to {} (minor units)",
        host.spec.name(),
        args.framing,
        args.limit
    );
    loop {
        let (socket, peer) = listener.accept().await?;
        let host = Arc::clone(&host);
        tokio::spawn(async move {
            println!("-- {peer} connected");
            match serve(&host, socket, peer).await {
                Ok(()) => println!("-- {peer} closed"),
                Err(e) => println!("-- {peer} dropped: {e}"),
            }
        });
    }
}

/// Answers every request of one connection, in order.
async fn serve(host: &Host, mut socket: TcpStream, peer: SocketAddr) -> Result<(), AnyError> {
    let mut codec = FrameCodec::new(host.framing);
    let mut rx = BytesMut::with_capacity(4096);
    let mut tx = BytesMut::new();
    loop {
        while let Some(frame) = codec.decode(&mut rx)? {
            if let Some(reply) = host.answer(peer, &frame).await {
                tx.clear();
                codec.encode(reply, &mut tx)?;
                socket.write_all(&tx).await?;
            }
        }
        if socket.read_buf(&mut rx).await? == 0 {
            if let Some(frame) = codec.decode_eof(&mut rx)? {
                println!(
                    ">> {peer}: {} bytes after the connection closed",
                    frame.len()
                );
            }
            return Ok(());
        }
    }
}

impl Host {
    /// The response to one request, or `None` (printed) when there is nothing to answer.
    async fn answer(&self, peer: SocketAddr, frame: &[u8]) -> Option<Bytes> {
        let request = match MessageView::decode(&self.spec, frame) {
            Ok(v) => v,
            Err(e) => {
                println!(
                    ">> {peer}: undecodable request ({} bytes): {e}",
                    frame.len()
                );
                return None;
            }
        };
        println!(">> {peer} {}", request.mti());
        print!("{}", indent(&request.to_string()));
        match self.respond(&request).await {
            Ok(Some(wire)) => {
                match MessageView::decode(&self.spec, &wire) {
                    Ok(v) if self.unmask => print!("<< {}\n{}", v.mti(), indent(&clear(&v))),
                    Ok(v) => print!("<< {}\n{}", v.mti(), indent(&v.to_string())),
                    Err(e) => println!("<< (response does not decode: {e})"),
                }
                Some(Bytes::from(wire))
            }
            Ok(None) => {
                println!("   (no response for {})", request.mti());
                None
            }
            Err(e) => {
                println!("   (cannot answer: {e})");
                None
            }
        }
    }

    async fn respond(&self, request: &MessageView<'_>) -> Result<Option<Vec<u8>>, AnyError> {
        let mti = request.mti();
        let Some(response_mti) = mti.response() else {
            return Ok(None);
        };
        let (hhmmss, mmdd) = local_time();
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut rrn = format!("{n:012}");
        let mut auth = format!("{:06}", n.wrapping_mul(7919) % 1_000_000);
        let mut b = MessageBuilder::new(&self.spec);
        b.set_mti(response_mti);
        let header = request.header();
        let reply_header = match PosHeader::parse(header) {
            Ok(h) if header.len() == PosHeader::LEN => h.reply().to_bytes().to_vec(),
            _ => header.to_vec(),
        };
        if !reply_header.is_empty() {
            b.header_owned(reply_header)?;
        }
        for n in [3, 4, 11, 25, 41, 42, 49, 60] {
            if let Some(f) = request.field(n) {
                b.set(n, f)?;
            }
        }
        b.set(12, hhmmss.as_str())?.set(13, mmdd.as_str())?;
        let purchase = mti.as_str() == "0200" && is_purchase(request);
        let amount = request.field(4).and_then(|f| f.to_u64()).unwrap_or(0);
        let decided;
        let code = match &self.ledger {
            Some(ledger) if purchase => {
                let d = ledger.on_request(&ledger_request(request, amount)).await;
                if let (Some(r), Some(a)) = (&d.rrn, &d.auth_code) {
                    (rrn, auth) = (r.clone(), a.clone());
                }
                decided = d.response_code;
                decided.as_str()
            }
            _ if purchase => {
                if amount <= self.limit {
                    "00"
                } else {
                    "51"
                }
            }
            _ => "00",
        };
        if mti.class() != 8 {
            b.set(37, rrn.as_str())?;
            if code == "00" && matches!(mti.as_str(), "0100" | "0200") {
                b.set(38, auth.as_str())?;
            }
        }
        #[cfg(feature = "crypto")]
        if let Some(mac) = &self.mac {
            if let Some(bad) = mac.host_check(request) {
                b.set(39, bad)?.remove(38);
                return Ok(Some(b.encode_to_vec()?));
            }
            b.set(39, code)?;
            return Ok(Some(mac.seal(b)?.encode_to_vec()?));
        }
        b.set(39, code)?;
        Ok(Some(b.encode_to_vec()?))
    }
}

/// DE 3 starts with `00` (goods and services).
/// A purchase as the ledger sees it: key DE 41, 42, 60.2, 11; DE 7; the message as content.
fn ledger_request(v: &MessageView<'_>, amount: u64) -> HostRequest {
    let text = |n: u16| v.field(n).map(|f| f.clear_string()).unwrap_or_default();
    let batch = v
        .subfield("60.2")
        .ok()
        .flatten()
        .and_then(|s| s.clear_string().parse().ok());
    let stan = v.field(11).and_then(|f| f.to_u64()).unwrap_or(0) as u32;
    let key = TxnKey::new(text(41), text(42), batch, stan);
    let content = v.as_bytes().get(v.header().len()..).unwrap_or_default();
    let mut req = HostRequest::new(HostTxnKind::Purchase, key, amount).with_content(content);
    req.transmitted = v.field(7).map(|f| f.clear_string());
    req
}

fn is_purchase(request: &MessageView<'_>) -> bool {
    request
        .field(3)
        .is_some_and(|f| f.chars().take(2).eq(*b"00"))
}

/// Current UTC time as (`hhmmss`, `MMDD`).
fn local_time() -> (String, String) {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let rem = secs % 86_400;
    let days = i64::try_from(secs / 86_400).unwrap_or(0) + 719_468;
    let doe = days.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        format!("{:02}{:02}{:02}", rem / 3600, rem / 60 % 60, rem % 60),
        format!("{month:02}{day:02}"),
    )
}

/// A message's fields in clear (for `--unmask`).
fn clear(view: &MessageView<'_>) -> String {
    let mut s = format!("MTI {} ({})\n", view.mti(), view.mti().meaning());
    for f in view.fields() {
        s.push_str(&format!(
            "  {:>3} {:<40} {}\n",
            f.number(),
            f.spec().name(),
            f.clear()
        ));
    }
    s
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("   {l}\n")).collect()
}
