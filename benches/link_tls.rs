//! What TLS costs on the link, beside plain TCP, on loopback (certificates made at start with
//! rcgen, ECDSA P-256):
//!
//! - `link_tls/connect/{plain,tls,mtls}`: a client's whole connection life: TCP connect, the
//!   TLS handshake (with a client certificate for `mtls`), sign-on (none here), shutdown with
//!   its close (close_notify under TLS); the server side runs in the same process, so this is
//!   the CPU of both ends. Reconnection storms and pools of many terminals pay this per link.
//! - `link_tls/round_trip/{plain,tls}`: one 0200 sent and its 0210 received on an open
//!   connection, one at a time (latency, not throughput: see `examples/loadgen.rs` for that).
//!
//! `cargo bench --bench link_tls --features tokio,tls`

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use iso8583_wire::framing::{FrameConfig, LengthHeader};
use iso8583_wire::link::faults::approve;
use iso8583_wire::link::{
    Client, ClientConfig, ClientTls, Connection, Handler, LinkConfig, NoHandler, Reply, Server,
    ServerConfig, ServerTls, TlsIdentity,
};
use iso8583_wire::{Message, MessageBuilder, Spec};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

struct Approve;

impl Handler for Approve {
    fn request(&self, request: Message, _conn: &Connection) -> Reply {
        approve(&request).map_or(Reply::None, Reply::Now)
    }
}

/// A CA's PEM and identities it signed for `localhost` (server) and a terminal (client).
fn pki() -> (String, TlsIdentity, TlsIdentity) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let ca = params.self_signed(&key).unwrap();
    let issuer = Issuer::new(params, key);
    let leaf = |name: &str| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        TlsIdentity::from_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes()).unwrap()
    };
    (ca.pem(), leaf("localhost"), leaf("terminal-1"))
}

fn link() -> LinkConfig {
    LinkConfig::new(
        Spec::builtin("iso87-ascii-bin").unwrap(),
        FrameConfig::new(LengthHeader::Len2Be),
    )
}

fn purchase(spec: &Spec, stan: u32) -> Message {
    let mut b = MessageBuilder::new(spec);
    let stan = format!("{:06}", stan % 1_000_000);
    b.mti("0200").unwrap();
    b.set(3, "000000").unwrap();
    b.set(4, "000000001000").unwrap();
    b.set(11, stan.as_str()).unwrap();
    b.set(41, "TERM0001").unwrap();
    Message::decode(spec, Bytes::from(b.encode_to_vec().unwrap())).unwrap()
}

fn tls(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (ca, host, terminal) = pki();
    let server_tls = ServerTls::from_pem(&host, None).unwrap();
    let mtls = ServerTls::from_pem(&host, Some(ca.as_bytes())).unwrap();
    let bind = |tls: Option<ServerTls>| {
        let mut config = ServerConfig::new(link());
        if let Some(t) = tls {
            config = config.with_tls(t);
        }
        rt.block_on(Server::bind("127.0.0.1:0", config, Arc::new(Approve)))
            .unwrap()
    };
    let plain_srv = bind(None);
    let tls_srv = bind(Some(server_tls));
    let mtls_srv = bind(Some(mtls));
    let client_config = |tls: Option<ClientTls>| {
        let mut config = ClientConfig::new(link()).with_reconnect(None);
        if let Some(t) = tls {
            config = config.with_tls(t);
        }
        config
    };
    let plain = client_config(None);
    let one_way = client_config(Some(
        ClientTls::from_pem(ca.as_bytes(), "localhost", None).unwrap(),
    ));
    let mutual = client_config(Some(
        ClientTls::from_pem(ca.as_bytes(), "localhost", Some(&terminal)).unwrap(),
    ));

    for (name, srv, config) in [
        ("plain", &plain_srv, &plain),
        ("tls", &tls_srv, &one_way),
        ("mtls", &mtls_srv, &mutual),
    ] {
        let addr = srv.local_addr().to_string();
        c.bench_function(&format!("link_tls/connect/{name}"), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let client = Client::connect(addr.clone(), config.clone(), Arc::new(NoHandler))
                        .await
                        .unwrap();
                    client.shutdown(Duration::from_secs(1)).await;
                })
            })
        });
    }

    let spec = Spec::builtin("iso87-ascii-bin").unwrap();
    for (name, srv, config) in [("plain", &plain_srv, &plain), ("tls", &tls_srv, &one_way)] {
        let client = rt
            .block_on(Client::connect(
                srv.local_addr().to_string(),
                config.clone(),
                Arc::new(NoHandler),
            ))
            .unwrap();
        let mut stan = 0u32;
        c.bench_function(&format!("link_tls/round_trip/{name}"), |b| {
            b.iter(|| {
                stan = stan.wrapping_add(1);
                let request = purchase(&spec, stan);
                let response = rt.block_on(client.send(request)).unwrap();
                assert_eq!(response.mti().as_str(), "0210");
            })
        });
        rt.block_on(client.shutdown(Duration::from_secs(1)));
    }
}

criterion_group!(benches, tls);
criterion_main!(benches);
