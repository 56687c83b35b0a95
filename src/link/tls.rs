//! TLS on the link (feature `tls`): [`ClientTls`] for a [`Client`](crate::link::Client),
//! [`ServerTls`] for a [`Server`](crate::link::Server), and [`TlsIdentity`], a certificate
//! chain with its private key.
//!
//! TLS sits under everything else: a client with [`ClientConfig::with_tls`] connects, runs the
//! handshake within the same connect timeout, then signs on, keeps alive and reconnects as
//! over plain TCP (every reconnection runs a new handshake), and a [`Pool`](crate::link::Pool)
//! takes such clients as they are. A server with [`ServerConfig::with_tls`] runs each
//! accepted peer's handshake on a task of its own, so a slow or silent peer holds up no one:
//! the peer holds one of the [`max_connections`](ServerConfig::max_connections) slots from
//! the moment it is accepted, and is dropped when its handshake does not finish within
//! [`ServerTls::handshake_timeout`]. A failed or timed-out handshake reaches
//! [`Handler::error`](crate::link::Handler::error) (with no connection, the peer's address in
//! the error) and touches no other connection.
//!
//! Mutual TLS: give the server the CA that signs client certificates
//! ([`ServerTls::from_pem`]) and the client its [`TlsIdentity`] ([`ClientTls::from_pem`]).
//! Under TLS 1.3 the client finishes its side of the handshake before the server has checked
//! its certificate, so a client the server refuses learns it at its first read: the
//! connection closes with the server's alert, reported to its handler's `error`.
//!
//! The crypto provider is rustls' `ring`, named explicitly, so nothing depends on a
//! process-wide default provider. For anything these constructors do not cover (ALPN, other
//! verifiers, session resumption settings), build a `rustls` config (re-exported as
//! [`link::rustls`](crate::link::rustls)) and pass it to [`ClientTls::new`] or
//! [`ServerTls::new`].
//!
//! Private keys never show in `Debug` output, and the key bytes a [`TlsIdentity`] holds are
//! zeroized when it is dropped; rustls gets them by reference only, to build its signing key
//! (ring's key pair, which lives as long as the TLS config and is not zeroized by ring).
//! Failed and timed-out handshakes are also counted in
//! [`MetricsSnapshot::handshake_failures`](crate::link::MetricsSnapshot::handshake_failures).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::sign::{CertifiedKey, SingleCertAndKey};
use tokio_rustls::{TlsAcceptor, TlsConnector};
use zeroize::{Zeroize, Zeroizing};

use crate::link::error::LinkError;
#[cfg(doc)]
use crate::link::{ClientConfig, ServerConfig};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn config_error(what: &str, e: impl core::fmt::Display) -> LinkError {
    LinkError::TlsConfig(format!("{what}: {e}"))
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The bytes of a PEM file, or an error naming it.
fn read_pem(path: &Path) -> Result<Vec<u8>, LinkError> {
    std::fs::read(path).map_err(|e| config_error(&path.display().to_string(), e))
}

/// The certificates in `pem` (at least one).
fn certificates(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, LinkError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| config_error(what, e))?;
    if certs.is_empty() {
        return Err(LinkError::TlsConfig(format!(
            "{what}: no certificate in PEM"
        )));
    }
    Ok(certs)
}

/// A root store of the certificates in `pem`.
fn roots(pem: &[u8], what: &str) -> Result<Arc<rustls::RootCertStore>, LinkError> {
    let mut store = rustls::RootCertStore::empty();
    for cert in certificates(pem, what)? {
        store.add(cert).map_err(|e| config_error(what, e))?;
    }
    Ok(Arc::new(store))
}

/// A certificate chain and its private key: a server's identity, or a client's for mutual
/// TLS.
///
/// `Debug` shows the number of certificates only; the key's bytes are zeroized on drop.
pub struct TlsIdentity {
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl core::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("certificates", &self.certs.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

impl Drop for TlsIdentity {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl TlsIdentity {
    /// From a PEM certificate chain (leaf first) and a PEM private key (PKCS#8, PKCS#1 or
    /// SEC1). The key is checked here: a key rustls cannot sign with is an error now, not at
    /// the first handshake. Errors never quote the key.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<TlsIdentity, LinkError> {
        let certs = certificates(cert_pem, "certificate chain")?;
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| {
            LinkError::TlsConfig(
                "private key: no PKCS#8, PKCS#1 or SEC1 key in the PEM (or it is malformed)"
                    .to_owned(),
            )
        })?;
        let identity = TlsIdentity { certs, key };
        identity.certified_key()?;
        Ok(identity)
    }

    /// [`from_pem`](Self::from_pem) with the PEM read from two files; the key file's bytes
    /// are zeroized once the key is parsed. Errors name the file.
    pub fn from_pem_files(
        cert_pem: impl AsRef<Path>,
        key_pem: impl AsRef<Path>,
    ) -> Result<TlsIdentity, LinkError> {
        let key = Zeroizing::new(read_pem(key_pem.as_ref())?);
        TlsIdentity::from_pem(&read_pem(cert_pem.as_ref())?, &key)
    }

    /// The certificate chain, leaf first.
    pub fn certificates(&self) -> &[CertificateDer<'static>] {
        &self.certs
    }

    /// The chain with a signing key loaded from the key bytes by reference (no copy of the
    /// key's DER is handed on).
    fn certified_key(&self) -> Result<Arc<CertifiedKey>, LinkError> {
        let signer = rustls::crypto::ring::sign::any_supported_type(&self.key)
            .map_err(|e| config_error("private key", e))?;
        Ok(Arc::new(CertifiedKey::new(self.certs.clone(), signer)))
    }
}

/// TLS for a [`Client`](crate::link::Client): the rustls client settings and the name the
/// server's certificate must carry. Set it with [`ClientConfig::with_tls`].
#[derive(Clone)]
pub struct ClientTls {
    config: Arc<rustls::ClientConfig>,
    server_name: ServerName<'static>,
}

impl core::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientTls")
            .field("server_name", &self.server_name)
            .field(
                "client_certificate",
                &self.config.client_auth_cert_resolver.has_certs(),
            )
            .finish()
    }
}

impl ClientTls {
    /// From a rustls client config of your own and the server name to check the server's
    /// certificate against (a DNS name or an IP address).
    pub fn new(config: Arc<rustls::ClientConfig>, server_name: &str) -> Result<Self, LinkError> {
        let server_name = ServerName::try_from(server_name.to_owned())
            .map_err(|e| config_error("server name", e))?;
        Ok(ClientTls {
            config,
            server_name,
        })
    }

    /// Trusting the CA certificates in `ca_pem`, checking the server's certificate against
    /// `server_name`, and presenting `identity` when the server asks for a client
    /// certificate (mutual TLS). TLS 1.2 and 1.3, rustls' safe defaults.
    pub fn from_pem(
        ca_pem: &[u8],
        server_name: &str,
        identity: Option<&TlsIdentity>,
    ) -> Result<Self, LinkError> {
        let builder = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| config_error("protocol versions", e))?
            .with_root_certificates(roots(ca_pem, "CA certificates")?);
        let config = match identity {
            Some(id) => builder
                .with_client_cert_resolver(Arc::new(SingleCertAndKey::from(id.certified_key()?))),
            None => builder.with_no_client_auth(),
        };
        ClientTls::new(Arc::new(config), server_name)
    }

    /// The name the server's certificate is checked against.
    pub fn server_name(&self) -> &ServerName<'static> {
        &self.server_name
    }

    /// Runs the client side of the handshake on `stream` (connected to `addr`).
    pub(crate) async fn connect(
        &self,
        stream: TcpStream,
        addr: &str,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>, LinkError> {
        TlsConnector::from(Arc::clone(&self.config))
            .connect(self.server_name.clone(), stream)
            .await
            .map_err(|e| LinkError::Handshake {
                peer: addr.to_owned(),
                reason: format!("{e} (server name {})", self.server_name.to_str().as_ref()),
            })
    }
}

/// TLS for a [`Server`](crate::link::Server): the rustls server settings and how long an
/// accepted peer has to finish its handshake. Set it with [`ServerConfig::with_tls`].
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<rustls::ServerConfig>,
    handshake_timeout: Duration,
}

impl core::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerTls")
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// From a rustls server config of your own; handshakes time out after 10 s.
    pub fn new(config: Arc<rustls::ServerConfig>) -> ServerTls {
        ServerTls {
            config,
            handshake_timeout: Duration::from_secs(10),
        }
    }

    /// Presenting `identity`; with `client_ca_pem`, every client must present a certificate
    /// signed by one of those CAs (mutual TLS), without it no client certificate is asked
    /// for. TLS 1.2 and 1.3, rustls' safe defaults; handshakes time out after 10 s.
    pub fn from_pem(
        identity: &TlsIdentity,
        client_ca_pem: Option<&[u8]>,
    ) -> Result<ServerTls, LinkError> {
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| config_error("protocol versions", e))?;
        let builder = match client_ca_pem {
            Some(pem) => {
                let verifier = WebPkiClientVerifier::builder_with_provider(
                    roots(pem, "client CA certificates")?,
                    provider(),
                )
                .build()
                .map_err(|e| config_error("client certificate verifier", e))?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let config =
            builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(identity.certified_key()?)));
        Ok(ServerTls::new(Arc::new(config)))
    }

    /// With the time an accepted peer has to finish its handshake before it is dropped.
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> ServerTls {
        self.handshake_timeout = timeout;
        self
    }

    /// The time an accepted peer has to finish its handshake.
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// Runs the server side of the handshake on an accepted `stream`, within the handshake
    /// timeout.
    pub(crate) async fn accept(
        &self,
        stream: TcpStream,
        peer: std::net::SocketAddr,
    ) -> Result<tokio_rustls::server::TlsStream<TcpStream>, LinkError> {
        let acceptor = TlsAcceptor::from(Arc::clone(&self.config));
        match tokio::time::timeout(self.handshake_timeout, acceptor.accept(stream)).await {
            Ok(Ok(s)) => Ok(s),
            Ok(Err(e)) => Err(LinkError::Handshake {
                peer: peer.to_string(),
                reason: e.to_string(),
            }),
            Err(_) => Err(LinkError::HandshakeTimeout {
                peer: peer.to_string(),
                millis: millis(self.handshake_timeout),
            }),
        }
    }
}
