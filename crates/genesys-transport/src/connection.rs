//! Connection settings shared by every connection the SDK makes (REST,
//! login and the notification WebSocket): TLS (extra root CAs, whether to
//! keep the default roots, an optional client identity for mutual TLS) and
//! the HTTP proxy (see [`Proxy`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use secrecy::{ExposeSecret, SecretBox};

use crate::error::TransportError;
use crate::failure::{TlsConfigError, chain_any, describe_chain, rustls_error_in_chain};
use crate::proxy::{ProxiedStream, Proxy, ProxyConnectError, ProxyConnector, proxy_error_in_chain};
use crate::wire::BoxError;

/// Bytes given in memory or a file read when the configuration is built.
#[derive(Clone)]
enum Input {
    Memory(Vec<u8>),
    File(PathBuf),
}

impl Input {
    fn read(&self, what: &str) -> Result<std::borrow::Cow<'_, [u8]>, TlsConfigError> {
        match self {
            Input::Memory(bytes) => Ok(std::borrow::Cow::Borrowed(bytes)),
            Input::File(path) => {
                std::fs::read(path)
                    .map(std::borrow::Cow::Owned)
                    .map_err(|source| TlsConfigError::ReadFile {
                        what: what.to_owned(),
                        path: path.clone(),
                        source,
                    })
            }
        }
    }
}

/// An extra trusted root, PEM (one or many certificates) or DER.
#[derive(Clone)]
enum ExtraRoot {
    Pem(Input),
    Der(Vec<u8>),
}

/// The private key of a [`ClientIdentity`]: in memory (zeroed on drop,
/// never printed) or a file path.
#[derive(Clone)]
enum KeyInput {
    Memory(Arc<SecretBox<Vec<u8>>>),
    File(PathBuf),
}

/// A client certificate chain and its private key, for servers that
/// require mutual TLS. Both are PEM; the key may be PKCS#8, PKCS#1 or SEC1.
///
/// The key is kept in a [`secrecy`] box and never appears in `Debug`.
///
/// ```
/// use genesys_transport::ClientIdentity;
///
/// let identity = ClientIdentity::from_pem(
///     "-----BEGIN CERTIFICATE-----\n...".as_bytes(),
///     "-----BEGIN PRIVATE KEY-----\n...".as_bytes(),
/// );
/// assert!(!format!("{identity:?}").contains("PRIVATE KEY"));
/// ```
#[derive(Clone)]
pub struct ClientIdentity {
    chain: Input,
    key: KeyInput,
}

impl ClientIdentity {
    /// A certificate chain (leaf first) and private key, PEM, from memory.
    pub fn from_pem(cert_chain_pem: impl Into<Vec<u8>>, key_pem: impl Into<Vec<u8>>) -> Self {
        ClientIdentity {
            chain: Input::Memory(cert_chain_pem.into()),
            key: KeyInput::Memory(Arc::new(SecretBox::new(Box::new(key_pem.into())))),
        }
    }

    /// A certificate chain and private key, PEM, read from files when the
    /// client is built.
    pub fn from_pem_files(cert_chain: impl AsRef<Path>, key: impl AsRef<Path>) -> Self {
        ClientIdentity {
            chain: Input::File(cert_chain.as_ref().to_owned()),
            key: KeyInput::File(key.as_ref().to_owned()),
        }
    }

    fn load(
        &self,
    ) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsConfigError> {
        let what = "client certificate chain PEM";
        let chain = parse_pem_certificates(&self.chain.read(what)?, what)?;
        let key = match &self.key {
            KeyInput::Memory(secret) => parse_private_key(secret.expose_secret())?,
            KeyInput::File(path) => {
                // Read into a secret box so the copy is zeroed too.
                let bytes = std::fs::read(path).map_err(|source| TlsConfigError::ReadFile {
                    what: "client private key PEM".into(),
                    path: path.clone(),
                    source,
                })?;
                let secret = SecretBox::new(Box::new(bytes));
                parse_private_key(secret.expose_secret())?
            }
        };
        Ok((chain, key))
    }
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ClientIdentity");
        match &self.chain {
            Input::Memory(bytes) => d.field(
                "cert_chain",
                &format_args!("<{} bytes of PEM>", bytes.len()),
            ),
            Input::File(path) => d.field("cert_chain", path),
        };
        match &self.key {
            KeyInput::Memory(_) => d.field("key", &format_args!("<redacted>")),
            KeyInput::File(path) => d.field("key_file", path),
        };
        d.finish()
    }
}

/// How connections are set up: which roots are trusted, which client
/// certificate, if any, is presented, and which HTTP proxy, if any,
/// connections go through. One value configures the REST
/// client ([`HyperClientBuilder::connection_settings`](crate::HyperClientBuilder::connection_settings)),
/// the login endpoint (through the same `HttpClient`) and the notification
/// WebSocket ([`ConnectionSettings::rustls_client_config`]).
///
/// By default the roots of the enabled root feature (`webpki-roots`, else
/// `native-roots`) are trusted and no client certificate is sent. Inputs
/// are checked when [`rustls_client_config`](Self::rustls_client_config) runs (when a
/// client is built); a bad one fails with [`TransportError::TlsConfig`].
///
/// The proxy: by default the environment's (`HTTPS_PROXY`, `HTTP_PROXY`,
/// `ALL_PROXY`, `NO_PROXY`, read when a client is built, see
/// [`Proxy::from_lookup`]); [`proxy`](Self::proxy) replaces the
/// environment entirely (explicit settings win, nothing is merged) and
/// [`no_proxy`](Self::no_proxy) connects directly whatever the environment
/// says. Loopback hosts are reached directly unless the proxy says
/// [`proxy_loopback(true)`](Proxy::proxy_loopback).
///
/// ```
/// use genesys_transport::{HyperClient, ConnectionSettings};
///
/// # fn demo(company_ca_pem: &[u8], cert_pem: &[u8], key_pem: &[u8]) -> Result<(), genesys_transport::TransportError> {
/// let settings = ConnectionSettings::new()
///     .add_root_certificate_pem(company_ca_pem)
///     .client_identity_pem(cert_pem, key_pem);
/// let client = HyperClient::builder().connection_settings(settings.clone()).build()?;
/// let for_websockets = settings.rustls_client_config()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct ConnectionSettings {
    roots: RootCertificates,
    extra_roots: Vec<ExtraRoot>,
    identity: Option<ClientIdentity>,
    proxy: ProxyChoice,
}

/// Where the proxy comes from.
#[derive(Clone, Debug, Default)]
enum ProxyChoice {
    /// The process environment, read when a client is built.
    #[default]
    Environment,
    /// These settings.
    Explicit(Box<Proxy>),
    /// No proxy.
    Direct,
}

impl fmt::Debug for ConnectionSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionSettings")
            .field("roots", &self.roots)
            .field("extra_roots", &self.extra_roots.len())
            .field("client_identity", &self.identity)
            .field("proxy", &self.proxy)
            .finish()
    }
}

impl ConnectionSettings {
    /// The defaults: the feature's default roots, no client certificate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts the certificates of a PEM input too (one certificate or a
    /// bundle of several; other PEM blocks are ignored).
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_roots
            .push(ExtraRoot::Pem(Input::Memory(pem.into())));
        self
    }

    /// Trusts the certificates of a PEM file too, read when the client is
    /// built.
    pub fn add_root_certificate_pem_file(mut self, path: impl AsRef<Path>) -> Self {
        self.extra_roots
            .push(ExtraRoot::Pem(Input::File(path.as_ref().to_owned())));
        self
    }

    /// Trusts one DER-encoded certificate too.
    pub fn add_root_certificate_der(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(ExtraRoot::Der(der.into()));
        self
    }

    /// Whether to keep the default roots (`true`, the default) or trust
    /// only the added certificates (`false`).
    pub fn default_roots(mut self, keep: bool) -> Self {
        self.roots = if keep {
            RootCertificates::default()
        } else {
            RootCertificates::CustomDer(Vec::new())
        };
        self
    }

    /// The base root set, replacing the default (added certificates are
    /// trusted on top of it).
    pub fn root_certificates(mut self, roots: RootCertificates) -> Self {
        self.roots = roots;
        self
    }

    /// Presents this client certificate chain (PEM, leaf first) with its
    /// private key (PEM) to servers that ask for one.
    pub fn client_identity_pem(
        self,
        cert_chain_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.client_identity(ClientIdentity::from_pem(cert_chain_pem, key_pem))
    }

    /// Presents this client identity to servers that ask for one.
    pub fn client_identity(mut self, identity: ClientIdentity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// Connects through this proxy (instead of the environment's).
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = ProxyChoice::Explicit(Box::new(proxy));
        self
    }

    /// Takes the proxy from the environment when a client is built (the
    /// default; see [`Proxy::from_lookup`] for the variables).
    pub fn proxy_from_env(mut self) -> Self {
        self.proxy = ProxyChoice::Environment;
        self
    }

    /// Connects directly, whatever the environment says.
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxyChoice::Direct;
        self
    }

    /// True while the proxy comes from the environment (neither
    /// [`proxy`](Self::proxy) nor [`no_proxy`](Self::no_proxy) was
    /// chosen), so a configuration file's proxy may take its place.
    pub fn uses_environment_proxy(&self) -> bool {
        matches!(self.proxy, ProxyChoice::Environment)
    }

    /// The proxy connections use: the explicit one, else the environment's
    /// (read now) unless [`no_proxy`](Self::no_proxy) was chosen; `None`
    /// for direct connections.
    pub fn resolved_proxy(&self) -> Option<Proxy> {
        match &self.proxy {
            ProxyChoice::Environment => Proxy::from_env(),
            ProxyChoice::Explicit(proxy) => Some((**proxy).clone()),
            ProxyChoice::Direct => None,
        }
    }

    /// Opens a connection to `target` (`https://host[:port]` or
    /// `http://…`; its path is ignored): plain TCP, or a `CONNECT` tunnel
    /// through the proxy that applies to it. TLS to the target is the
    /// caller's (with [`rustls_client_config`](Self::rustls_client_config));
    /// for WebSocket clients and other non-hyper users.
    ///
    /// Fails with [`TransportError::Proxy`] when the proxy does not open
    /// the tunnel, [`TransportError::Connect`] when the target (or proxy)
    /// cannot be reached, [`TransportError::TlsConfig`] or
    /// [`TransportError::ProxyConfig`] for unusable settings.
    pub async fn connect(
        &self,
        target: &http::Uri,
        connect_timeout: Option<std::time::Duration>,
    ) -> Result<ConnectedStream, TransportError> {
        let connector = self.connector(connect_timeout)?;
        match connector.connect(target.clone()).await {
            Ok(stream) => Ok(ConnectedStream(hyper_util::rt::TokioIo::new(stream))),
            Err(err) => Err(map_connect_error(err, connect_timeout)),
        }
    }

    /// The connector for these settings: TCP with `connect_timeout`, and
    /// tunnels through the resolved proxy.
    pub(crate) fn connector(
        &self,
        connect_timeout: Option<std::time::Duration>,
    ) -> Result<ProxyConnector, TransportError> {
        let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(connect_timeout);
        // TLS to an https:// proxy trusts the same roots as the servers.
        let proxy = match self.resolved_proxy() {
            Some(proxy) => Some((proxy.route(), self.rustls_client_config()?)),
            None => None,
        };
        Ok(ProxyConnector::new(http, proxy))
    }

    /// Whether a client identity is configured.
    pub fn has_client_identity(&self) -> bool {
        self.identity.is_some()
    }

    /// Builds the rustls client configuration (no ALPN protocols set):
    /// the crypto provider of the enabled feature (`rustls-aws-lc`, else
    /// `rustls-ring`, else the process default), safe protocol versions,
    /// the roots and the client identity.
    ///
    /// Fails with [`TransportError::TlsConfig`] naming the input that is
    /// wrong.
    pub fn rustls_client_config(&self) -> Result<rustls::ClientConfig, TransportError> {
        let builder = rustls::ClientConfig::builder_with_provider(crypto_provider()?)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsConfigError::Other {
                detail: e.to_string(),
            })?;
        let mut store = rustls::RootCertStore::empty();
        match &self.roots {
            #[cfg(feature = "webpki-roots")]
            RootCertificates::WebPki => {
                store.extend(webpki_roots_set());
            }
            #[cfg(feature = "native-roots")]
            RootCertificates::Native => {
                let loaded = rustls_native_certs_set()?;
                store.roots.extend(loaded);
            }
            RootCertificates::CustomDer(ders) => {
                for (i, der) in ders.iter().enumerate() {
                    add_der(
                        &mut store,
                        der.clone(),
                        &format!("root certificate DER #{}", i + 1),
                    )?;
                }
            }
        }
        for (i, root) in self.extra_roots.iter().enumerate() {
            match root {
                ExtraRoot::Pem(input) => {
                    let what = match input {
                        Input::Memory(_) => format!("root certificate PEM #{}", i + 1),
                        Input::File(path) => {
                            format!("root certificate PEM file {}", path.display())
                        }
                    };
                    for cert in parse_pem_certificates(&input.read(&what)?, &what)? {
                        add_der(&mut store, cert.to_vec(), &what)?;
                    }
                }
                ExtraRoot::Der(der) => {
                    add_der(
                        &mut store,
                        der.clone(),
                        &format!("root certificate DER #{}", i + 1),
                    )?;
                }
            }
        }
        if store.is_empty() {
            return Err(TlsConfigError::NoRootCertificates.into());
        }
        let builder = builder.with_root_certificates(store);
        let config = match &self.identity {
            None => builder.with_no_client_auth(),
            Some(identity) => {
                let (chain, key) = identity.load()?;
                builder.with_client_auth_cert(chain, key).map_err(|e| {
                    TlsConfigError::InvalidClientIdentity {
                        detail: e.to_string(),
                    }
                })?
            }
        };
        Ok(config)
    }
}

/// A connection opened by [`ConnectionSettings::connect`]: TCP to the
/// target, or a tunnel through the proxy. It implements tokio's
/// `AsyncRead` and `AsyncWrite`, for a TLS or WebSocket client on top.
pub struct ConnectedStream(hyper_util::rt::TokioIo<ProxiedStream>);

impl fmt::Debug for ConnectedStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectedStream").finish_non_exhaustive()
    }
}

impl tokio::io::AsyncRead for ConnectedStream {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for ConnectedStream {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// The Mozilla roots of `webpki-roots`.
#[cfg(feature = "webpki-roots")]
fn webpki_roots_set() -> impl Iterator<Item = rustls::pki_types::TrustAnchor<'static>> {
    webpki_roots::TLS_SERVER_ROOTS.iter().cloned()
}

/// The operating system's roots; certificates it cannot parse are skipped.
#[cfg(feature = "native-roots")]
fn rustls_native_certs_set() -> Result<Vec<rustls::pki_types::TrustAnchor<'static>>, TlsConfigError>
{
    let loaded = rustls_native_certs::load_native_certs();
    let mut store = rustls::RootCertStore::empty();
    let (added, _ignored) = store.add_parsable_certificates(loaded.certs);
    if added == 0 {
        return Err(TlsConfigError::Other {
            detail: format!(
                "no usable root certificate in the operating system's store ({} errors)",
                loaded.errors.len()
            ),
        });
    }
    Ok(store.roots)
}

fn add_der(
    store: &mut rustls::RootCertStore,
    der: Vec<u8>,
    what: &str,
) -> Result<(), TlsConfigError> {
    store
        .add(CertificateDer::from(der))
        .map_err(|e| TlsConfigError::InvalidCertificate {
            what: what.to_owned(),
            detail: e.to_string(),
        })
}

fn parse_pem_certificates(
    pem: &[u8],
    what: &str,
) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsConfigError::InvalidPem {
            what: what.to_owned(),
            detail: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsConfigError::NoCertificate {
            what: what.to_owned(),
        });
    }
    Ok(certs)
}

fn parse_private_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    use rustls::pki_types::pem::Error as PemError;
    match PrivateKeyDer::from_pem_slice(pem) {
        Ok(key) => Ok(key),
        Err(PemError::NoItemsFound) => Err(TlsConfigError::NoPrivateKey),
        // The PEM parser's messages name the problem, never the key bytes.
        Err(e) => Err(TlsConfigError::InvalidPem {
            what: "client private key PEM".into(),
            detail: e.to_string(),
        }),
    }
}

/// The crypto provider of the enabled feature.
pub(crate) fn crypto_provider() -> Result<Arc<rustls::crypto::CryptoProvider>, TlsConfigError> {
    #[cfg(feature = "rustls-aws-lc")]
    {
        Ok(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
    }
    #[cfg(all(not(feature = "rustls-aws-lc"), feature = "rustls-ring"))]
    {
        Ok(Arc::new(rustls::crypto::ring::default_provider()))
    }
    #[cfg(not(any(feature = "rustls-aws-lc", feature = "rustls-ring")))]
    {
        rustls::crypto::CryptoProvider::get_default()
            .cloned()
            .ok_or(TlsConfigError::NoCryptoProvider)
    }
}

/// Which root certificates TLS connections trust.
///
/// ```
/// use genesys_transport::{HyperClient, RootCertificates};
/// # fn demo() -> Result<(), genesys_transport::TransportError> {
/// # #[cfg(feature = "webpki-roots")]
/// let client = HyperClient::builder().root_certificates(RootCertificates::WebPki).build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RootCertificates {
    /// The Mozilla set bundled by `webpki-roots` (feature `webpki-roots`).
    #[cfg(feature = "webpki-roots")]
    WebPki,
    /// The operating system's store (feature `native-roots`).
    #[cfg(feature = "native-roots")]
    Native,
    /// Only these DER-encoded certificates.
    CustomDer(Vec<Vec<u8>>),
}

#[allow(clippy::derivable_impls)]
impl Default for RootCertificates {
    fn default() -> Self {
        #[cfg(feature = "webpki-roots")]
        {
            Self::WebPki
        }
        #[cfg(all(not(feature = "webpki-roots"), feature = "native-roots"))]
        {
            Self::Native
        }
        #[cfg(not(any(feature = "webpki-roots", feature = "native-roots")))]
        {
            Self::CustomDer(Vec::new())
        }
    }
}

/// Classifies a connector error (no request was sent).
pub(crate) fn map_connect_error(
    err: BoxError,
    connect_timeout: Option<Duration>,
) -> TransportError {
    if let Some((proxy, kind)) = proxy_error_in_chain(err.as_ref()).map(ProxyConnectError::parts) {
        return TransportError::Proxy {
            proxy,
            kind,
            detail: describe_chain(err.as_ref()),
            source: Some(err),
        };
    }
    if rustls_error_in_chain(err.as_ref()).is_some() {
        return TransportError::tls(err);
    }
    if chain_any(err.as_ref(), |e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
    }) {
        return TransportError::ConnectTimeout {
            timeout: connect_timeout,
        };
    }
    if let Some(TransportError::InvalidUrl { reason }) = err.downcast_ref::<TransportError>() {
        return TransportError::InvalidUrl {
            reason: reason.clone(),
        };
    }
    TransportError::connect(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::TlsFailure;

    #[test]
    fn finds_rustls_error_through_io_errors() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        let err = TransportError::tls(io);
        assert_eq!(err.tls_failure(), Some(&TlsFailure::UnknownIssuer));
        assert!(
            err.to_string().contains("add_root_certificate_pem"),
            "{err}"
        );
    }

    #[test]
    fn bad_inputs_are_named() {
        let err = ConnectionSettings::new()
            .add_root_certificate_pem(&b"not pem at all"[..])
            .rustls_client_config()
            .unwrap_err();
        assert!(
            matches!(&err, TransportError::TlsConfig(TlsConfigError::NoCertificate { what }) if what == "root certificate PEM #1"),
            "{err:?}"
        );
        let err = ConnectionSettings::new()
            .add_root_certificate_der(vec![1, 2, 3])
            .rustls_client_config()
            .unwrap_err();
        assert!(
            matches!(
                &err,
                TransportError::TlsConfig(TlsConfigError::InvalidCertificate { .. })
            ),
            "{err:?}"
        );
        let err = ConnectionSettings::new()
            .add_root_certificate_pem(
                &b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"[..],
            )
            .rustls_client_config()
            .unwrap_err();
        assert!(
            matches!(
                &err,
                TransportError::TlsConfig(TlsConfigError::InvalidPem { .. })
            ),
            "{err:?}"
        );
        let err = ConnectionSettings::new()
            .default_roots(false)
            .rustls_client_config()
            .unwrap_err();
        assert!(
            matches!(
                &err,
                TransportError::TlsConfig(TlsConfigError::NoRootCertificates)
            ),
            "{err:?}"
        );
        let err = ConnectionSettings::new()
            .add_root_certificate_pem_file("/nonexistent/ca.pem")
            .rustls_client_config()
            .unwrap_err();
        assert!(
            matches!(
                &err,
                TransportError::TlsConfig(TlsConfigError::ReadFile { .. })
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }

    #[test]
    fn key_never_in_debug() {
        let sentinel = "SENTINEL-KEY-MATERIAL-4711";
        let settings = ConnectionSettings::new().client_identity_pem(
            &b"-----BEGIN CERTIFICATE-----\n"[..],
            format!("-----BEGIN PRIVATE KEY-----\n{sentinel}\n-----END PRIVATE KEY-----\n"),
        );
        let text = format!("{settings:?} {settings:#?}");
        assert!(!text.contains(sentinel), "{text}");
        assert!(text.contains("redacted"), "{text}");
        // A key that is not PEM: the error does not quote it either.
        let err = settings.rustls_client_config().unwrap_err();
        assert!(!format!("{err} {err:?}").contains(sentinel), "{err:?}");
    }
}
