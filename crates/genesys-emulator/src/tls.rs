//! HTTPS for the emulator: a test CA and a server certificate generated at
//! start (rcgen), served with tokio-rustls, optionally requiring client
//! certificates.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::OffsetDateTime;
use tokio_rustls::TlsAcceptor;

use crate::EmulatorError;

/// How the emulator serves HTTPS (see [`EmulatorConfig::with_tls`](crate::EmulatorConfig::with_tls)).
///
/// By default the server certificate is valid for `127.0.0.1` and
/// `localhost`, from a day ago for a year, signed by a CA generated at
/// start ([`Emulator::tls_ca_pem`](crate::Emulator::tls_ca_pem)), and no
/// client certificate is asked for. The knobs make the certificate wrong
/// on purpose, to test how clients fail.
///
/// ```
/// use genesys_emulator::{EmulatorConfig, TlsOptions};
///
/// let config = EmulatorConfig::default().with_tls(TlsOptions::new().require_client_certificate(true));
/// let expired = TlsOptions::new().expired();
/// let wrong_name = TlsOptions::new().server_names(["api.example.com"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsOptions {
    /// Names (DNS names or IP addresses) the server certificate is valid for.
    pub server_names: Vec<String>,
    /// Start of the server certificate's validity.
    pub not_before: OffsetDateTime,
    /// End of the server certificate's validity.
    pub not_after: OffsetDateTime,
    /// Refuse connections without a client certificate signed by the
    /// emulator's CA (or one of [`client_ca_pems`](Self::client_ca_pems)).
    pub require_client_certificate: bool,
    /// Further CAs (PEM) whose client certificates are accepted.
    pub client_ca_pems: Vec<String>,
}

impl Default for TlsOptions {
    fn default() -> Self {
        let now = OffsetDateTime::now_utc();
        TlsOptions {
            server_names: vec!["127.0.0.1".into(), "localhost".into()],
            not_before: now - time::Duration::days(1),
            not_after: now + time::Duration::days(365),
            require_client_certificate: false,
            client_ca_pems: Vec::new(),
        }
    }
}

impl TlsOptions {
    /// The defaults (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the server certificate is valid for (replacing the default
    /// `127.0.0.1` and `localhost`).
    pub fn server_names<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.server_names = names.into_iter().map(Into::into).collect();
        self
    }

    /// The server certificate's validity window.
    pub fn validity(mut self, not_before: OffsetDateTime, not_after: OffsetDateTime) -> Self {
        self.not_before = not_before;
        self.not_after = not_after;
        self
    }

    /// A server certificate that expired yesterday.
    pub fn expired(self) -> Self {
        let now = OffsetDateTime::now_utc();
        self.validity(
            now - time::Duration::days(30),
            now - time::Duration::days(1),
        )
    }

    /// Whether a client certificate is required (mutual TLS).
    pub fn require_client_certificate(mut self, required: bool) -> Self {
        self.require_client_certificate = required;
        self
    }

    /// Also accepts client certificates signed by this CA (PEM).
    pub fn accept_client_ca_pem(mut self, pem: impl Into<String>) -> Self {
        self.client_ca_pems.push(pem.into());
        self
    }
}

/// The running TLS side: the CA, the acceptor and a connection counter.
pub(crate) struct TlsState {
    ca: CertifiedIssuer<'static, KeyPair>,
    pub(crate) acceptor: TlsAcceptor,
    handshakes: AtomicU64,
}

impl std::fmt::Debug for TlsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsState")
            .field("handshakes", &self.handshakes.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

fn rcgen_err(e: rcgen::Error) -> EmulatorError {
    EmulatorError::Config(format!("TLS certificate generation failed: {e}"))
}

fn rustls_err(e: impl std::fmt::Display) -> EmulatorError {
    EmulatorError::Config(format!("TLS configuration failed: {e}"))
}

impl TlsState {
    pub(crate) fn new(options: &TlsOptions) -> Result<TlsState, EmulatorError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());

        let mut ca_params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        // A name of its own per emulator: two CAs with one name would look
        // like one CA with a bad signature to a verifier.
        let ca_name = format!("genesys-emulator test CA {:016x}", rand::random::<u64>());
        dn.push(DnType::CommonName, ca_name);
        ca_params.distinguished_name = dn;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate().map_err(rcgen_err)?;
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(rcgen_err)?;

        let mut params = CertificateParams::new(options.server_names.clone()).map_err(rcgen_err)?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "genesys-emulator");
        params.distinguished_name = dn;
        params.not_before = options.not_before;
        params.not_after = options.not_after;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().map_err(rcgen_err)?;
        let cert = params.signed_by(&key, &ca).map_err(rcgen_err)?;

        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(rustls_err)?;
        let builder = if options.require_client_certificate {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca.der().clone()).map_err(rustls_err)?;
            for pem in &options.client_ca_pems {
                for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                    roots.add(cert.map_err(rustls_err)?).map_err(rustls_err)?;
                }
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(rustls_err)?;
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let config = builder
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .map_err(rustls_err)?;
        Ok(TlsState {
            ca,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            handshakes: AtomicU64::new(0),
        })
    }

    /// The CA certificate, PEM.
    pub(crate) fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// The CA certificate, DER.
    pub(crate) fn ca_der(&self) -> Vec<u8> {
        self.ca.der().to_vec()
    }

    /// A fresh client certificate (PEM) and its PKCS#8 key (PEM), signed
    /// by the CA.
    pub(crate) fn mint_client_identity(&self) -> Result<(String, String), EmulatorError> {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "genesys-emulator test client");
        params.distinguished_name = dn;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate().map_err(rcgen_err)?;
        let cert = params.signed_by(&key, &self.ca).map_err(rcgen_err)?;
        Ok((cert.pem(), key.serialize_pem()))
    }

    pub(crate) fn record_handshake(&self) {
        self.handshakes.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn handshakes(&self) -> u64 {
        self.handshakes.load(Ordering::Relaxed)
    }
}
