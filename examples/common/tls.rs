//! The TLS options `host` and `loadgen` share (feature `tls`): the certificate chain and key
//! an in-process server presents.

use std::path::{Path, PathBuf};

use iso8583_wire::link::{LinkError, ServerTls, TlsIdentity};

/// `--tls-cert PEM --tls-key PEM`.
#[derive(clap::Args, Debug)]
pub struct ServerTlsArgs {
    /// Serve over TLS with this certificate chain, PEM (feature `tls`; with --tls-key).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert, PEM (feature `tls`).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl ServerTlsArgs {
    /// The server's TLS (none without the options); with `client_ca`, clients must present a
    /// certificate signed by one of its CAs.
    pub fn server_tls(&self, client_ca: Option<&Path>) -> Result<Option<ServerTls>, LinkError> {
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(None);
        };
        let identity = TlsIdentity::from_pem_files(cert, key)?;
        let ca = match client_ca {
            Some(path) => Some(
                std::fs::read(path)
                    .map_err(|e| LinkError::TlsConfig(format!("{}: {e}", path.display())))?,
            ),
            None => None,
        };
        ServerTls::from_pem(&identity, ca.as_deref()).map(Some)
    }
}
