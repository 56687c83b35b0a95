//! `host`: a small acquirer host on 127.0.0.1 that answers POS terminals (feature `tokio`),
//! built on the link layer's [`Server`] and the host ledger ([`SharedLedger`]).
//!
//! ```text
//! cargo run --example host --features tokio -- [--port 5000] [--limit 100000] [--spec cup-pos]
//!                                             [--framing len2|len2le|len2bcd|len4ascii]
//!                                             [--db postgres://...]
//! ```
//!
//! Frames are cut by the configured length header (2-byte big-endian by default). Every
//! financial request goes through the ledger, which remembers it:
//!
//! - purchases (0200, DE 3 `00xxxx`) are approved (DE 39 `00`, a retrieval reference number
//!   in DE 37 and an authorization code in DE 38) when DE 4 is at most `--limit` minor units,
//!   declined `51` above it, and a resend of the same request gets the same answer;
//! - voids (DE 3 `02xxxx`, original from DE 90 or 61.2), refunds (DE 3 `20xxxx`, original by
//!   DE 37) and reversals (0400/0401, original from DE 90 or the request's own key) follow the
//!   ledger's rules (`25` unknown original, `12` invalid, `13`/`64` over-refund, ...);
//! - advices (0220), settlement (0500) and other requests are acknowledged `00`; sign-on
//!   (0800) gets its 0810, echo tests (DE 70 `301`) are answered by the link itself.
//!
//! Responses echo DE 3, 4, 11, 41 and 42 (and DE 25, 49, 60 when present) and carry the
//! request's header with the TPDU addresses swapped ([`PosHeader::reply`]); every exchange is
//! printed, sensitive fields masked. With `--port 0` the system picks a port; the first line
//! printed is `listening on 127.0.0.1:PORT`.
//!
//! With `--mac-key HEX` (feature `crypto`, a spec with a `[mac]` section such as cup-pos)
//! requests of classes 1, 2 and 4 are verified first: a bad or missing MAC is answered `A0`
//! and never reaches the ledger; the other responses of those classes are signed.
//!
//! The ledger's store is chosen in one place, [`open_store`]: any [`LedgerStore`] behind
//! [`SharedLedger`]. In memory by default; with `--db URL` (feature `postgres`) on PostgreSQL
//! (migrations applied on start): the ledger survives a restart, several hosts on one
//! database approve a request once, and a request the database could not record is declined
//! with the profile's retryable code (`96` on cup-pos, `91` otherwise).

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::Parser;
use iso8583_wire::flows::host::{
    HostConfig, HostDecision, HostRequest, HostTxnKind, LedgerStore, SharedLedger, TxnKey,
};
use iso8583_wire::framing::{FrameConfig, LengthHeader, PosHeader};
use iso8583_wire::link::driver::utc_now;
use iso8583_wire::link::{Connection, Handler, LinkConfig, LinkError, Reply, Server, ServerConfig};
use iso8583_wire::{Message, MessageBuilder, MessageView, Mti, Spec};

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
    /// MAC key in hex (with feature `crypto`; the spec needs a [mac] section): requests of
    /// classes 1, 2 and 4 whose MAC does not verify are answered A0 (and never reach the
    /// ledger), other responses of those classes are signed.
    #[cfg(feature = "crypto")]
    #[arg(long)]
    mac_key: Option<String>,
    /// Keep the ledger in this PostgreSQL database (feature `postgres`); in memory without it.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
}

/// The host: the ledger and what the answers need (cheap to clone).
#[derive(Clone)]
struct Host {
    ledger: SharedLedger,
    unmask: bool,
    /// Retrieval reference numbers of acknowledgements that do not go through the ledger.
    counter: Arc<AtomicU64>,
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

/// The ledger's store: in memory, or PostgreSQL at `--db`. Every other part of the host sees
/// only [`SharedLedger`].
async fn open_store(
    db: Option<&str>,
    config: &HostConfig,
) -> Result<Arc<dyn LedgerStore>, AnyError> {
    let store = iso8583_wire::flows::host::store::open(db, config).await?;
    if db.is_some() {
        println!("ledger on PostgreSQL");
    }
    Ok(store)
}

async fn run(args: Args) -> Result<(), AnyError> {
    if args.framing == LengthHeader::None {
        return Err("--framing none cannot delimit messages on a connection".into());
    }
    let spec = Spec::load(&args.spec)?;
    let config = if spec.header_len() == PosHeader::LEN {
        HostConfig::cup()
    } else {
        HostConfig::generic()
    }
    .with_purchase_limit(args.limit);
    let ledger = SharedLedger::with_store(
        config.clone(),
        open_store(args.db.as_deref(), &config).await?,
    );
    let host = Host {
        ledger,
        unmask: args.unmask,
        counter: Arc::new(AtomicU64::new(1)),
        #[cfg(feature = "crypto")]
        mac: match &args.mac_key {
            Some(hex) => Some(iso8583_wire::flows::FlowMac::from_hex(&spec, hex)?),
            None => None,
        },
    };
    let link = LinkConfig::new(spec.clone(), FrameConfig::new(args.framing));
    let server = Server::bind(
        ("127.0.0.1", args.port),
        ServerConfig::new(link),
        Arc::new(host) as Arc<dyn Handler>,
    )
    .await?;
    println!("listening on {}", server.local_addr());
    println!(
        "spec {}, framing {}, purchases approved up to {} (minor units)",
        spec.name(),
        args.framing,
        args.limit
    );
    tokio::signal::ctrl_c().await?;
    server.shutdown(Duration::from_secs(5)).await;
    Ok(())
}

impl Handler for Host {
    fn request(&self, request: Message, conn: &Connection) -> Reply {
        let peer = conn
            .peer_addr()
            .map_or_else(|| "?".to_owned(), |a| a.to_string());
        println!(">> {peer} {}", request.mti());
        print!("{}", indent(&request.describe().to_string()));
        let host = self.clone();
        Reply::Later(Box::pin(async move {
            match host.respond(&request).await {
                Ok(Some(reply)) => {
                    let shown = if host.unmask {
                        reply.describe().unmask(true).to_string()
                    } else {
                        reply.describe().to_string()
                    };
                    print!("<< {}\n{}", reply.mti(), indent(&shown));
                    Some(reply)
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
        }))
    }

    fn connected(&self, conn: &Connection) {
        if let Some(peer) = conn.peer_addr() {
            println!("-- {peer} connected");
        }
    }

    fn error(&self, error: &LinkError, conn: Option<&Connection>) {
        let peer = conn
            .and_then(Connection::peer_addr)
            .map_or_else(|| "?".to_owned(), |a| a.to_string());
        println!(">> {peer}: {error}");
    }
}

fn text(v: &MessageView<'_>, n: u16) -> String {
    v.field(n).map(|f| f.clear_string()).unwrap_or_default()
}

fn sub(v: &MessageView<'_>, path: &str) -> Option<String> {
    v.subfield(path).ok().flatten().map(|s| s.clear_string())
}

/// The ledger key of a request (DE 41, 42, 60.2 and 11), with another STAN when given.
fn key(v: &MessageView<'_>, stan: Option<u32>) -> TxnKey {
    let batch = sub(v, "60.2").and_then(|b| b.parse().ok());
    let own = v.field(11).and_then(|f| f.to_u64()).unwrap_or(0) as u32;
    TxnKey::new(text(v, 41), text(v, 42), batch, stan.unwrap_or(own))
}

impl Host {
    /// The ledger request a message is, if it is a financial one.
    async fn ledger_request(&self, v: &MessageView<'_>) -> Result<Option<HostRequest>, ()> {
        let mti = v.mti();
        let pc = text(v, 3);
        let kind = match (mti.class(), mti.function(), pc.get(..2)) {
            (4, 0, _) => HostTxnKind::Reversal,
            (2, 0, Some("00")) => HostTxnKind::Purchase,
            (2, 0, Some("02")) => HostTxnKind::Void,
            (2, 0, Some("20")) => HostTxnKind::Refund,
            _ => return Ok(None),
        };
        let amount = v.field(4).and_then(|f| f.to_u64()).unwrap_or(0);
        let content = v.as_bytes().get(v.header().len()..).unwrap_or_default();
        let own = key(v, None);
        let mut req = HostRequest::new(kind, own.clone(), amount).with_content(content);
        let original = match kind {
            HostTxnKind::Purchase => None,
            _ if v.original_data().is_some() => v.original_data().map(|od| key(v, Some(od.stan))),
            HostTxnKind::Reversal => Some(own.clone()),
            HostTxnKind::Void => sub(v, "61.2")
                .and_then(|s| s.parse().ok())
                .map(|stan| key(v, Some(stan))),
            HostTxnKind::Refund => {
                let rrn = text(v, 37);
                self.ledger
                    .key_by_rrn(&rrn, &own.terminal, &own.merchant)
                    .await
                    .ok()
                    .flatten()
            }
            _ => None,
        };
        if kind != HostTxnKind::Purchase {
            match original {
                Some(k) => req = req.with_original(k),
                None => return Err(()),
            }
        }
        Ok(Some(req))
    }

    async fn respond(&self, request: &Message) -> Result<Option<Message>, AnyError> {
        let v = request.view();
        let mti = v.mti();
        let Some(response_mti) = mti.response() else {
            return Ok(None);
        };
        #[cfg(feature = "crypto")]
        let bad_mac = self.mac.as_ref().and_then(|m| m.host_check(&v));
        #[cfg(not(feature = "crypto"))]
        let bad_mac: Option<&'static str> = None;
        let decision = match bad_mac {
            Some(code) => HostDecision::code(code),
            None => self.decide(&v, &mti).await,
        };
        let (hhmmss, mmdd) = local_time();
        let spec = request.spec();
        let mut b = MessageBuilder::new(spec);
        b.set_mti(response_mti);
        let header = v.header();
        let reply_header = match PosHeader::parse(header) {
            Ok(h) if header.len() == PosHeader::LEN => h.reply().to_bytes().to_vec(),
            _ => header.to_vec(),
        };
        if !reply_header.is_empty() {
            b.header_owned(reply_header)?;
        }
        for n in [3, 4, 11, 25, 41, 42, 49, 60] {
            if let Some(f) = v.field(n) {
                b.set(n, f)?;
            }
        }
        b.set(12, hhmmss.as_str())?.set(13, mmdd.as_str())?;
        if let Some(rrn) = &decision.rrn {
            b.set(37, rrn.as_str())?;
        }
        if let Some(auth) = decision
            .auth_code
            .as_ref()
            .filter(|_| decision.is_approved())
        {
            b.set(38, auth.as_str())?;
        }
        b.set(39, decision.response_code.as_str())?;
        #[cfg(feature = "crypto")]
        if let Some(mac) = &self.mac
            && bad_mac.is_none()
        {
            b = mac.seal(b)?;
        }
        Ok(Some(Message::decode(spec, b.encode_to_vec()?.into())?))
    }

    /// Puts the request through the ledger (or acknowledges what the ledger does not keep).
    async fn decide(&self, v: &MessageView<'_>, mti: &Mti) -> HostDecision {
        match self.ledger_request(v).await {
            Ok(Some(req)) => self.ledger.on_request(&req).await,
            Ok(None) => {
                let n = self.counter.fetch_add(1, Ordering::Relaxed);
                let mut d = HostDecision::code("00");
                d.rrn = (mti.class() != 8).then(|| format!("{:012}", 900_000_000_000 + n));
                d
            }
            Err(()) => HostDecision::code("25"),
        }
    }
}

/// Current UTC time as (`hhmmss`, `MMDD`).
fn local_time() -> (String, String) {
    let t = utc_now();
    (
        format!("{:02}{:02}{:02}", t.hour, t.minute, t.second),
        format!("{:02}{:02}", t.month, t.day),
    )
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("   {l}\n")).collect()
}
