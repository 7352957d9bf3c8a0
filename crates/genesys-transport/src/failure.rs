//! Why a connection failed below HTTP: a proxy that did not open a tunnel
//! ([`ProxyFailure`]), a TLS handshake that failed ([`TlsFailure`]), TLS
//! settings that could not be used ([`TlsConfigError`]), and the helpers that
//! search an error's source chain for the cause. Depends on no other module
//! of the crate.

use std::fmt;

/// Why an HTTP proxy did not open a tunnel (see
/// [`TransportError::Proxy`](crate::TransportError::Proxy)).
/// Its `Display` says what the proxy did and what to do about it.
///
/// ```
/// use genesys_transport::ProxyFailure;
///
/// let text = ProxyFailure::AuthenticationRequired { credentials_sent: true }.to_string();
/// assert!(text.contains("407"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyFailure {
    /// The proxy answered the `CONNECT` with `407 Proxy Authentication
    /// Required`: credentials are missing (`credentials_sent: false`) or
    /// wrong.
    AuthenticationRequired {
        /// Whether a `Proxy-Authorization` header was sent.
        credentials_sent: bool,
    },
    /// The proxy answered the `CONNECT` with another non-`200` status (it
    /// may forbid the host or port; hyper-util does not report which
    /// status).
    Refused,
    /// No connection to the proxy (refused, unreachable, DNS).
    Unreachable,
    /// The TLS handshake with an `https://` proxy failed, e.g. its
    /// certificate is signed by a CA the client does not trust (add it to
    /// the roots). Not retried: it would fail the same way.
    Tls(TlsFailure),
    /// The proxy's answer was not understood (closed early, headers too
    /// long, not HTTP).
    Protocol,
}

impl fmt::Display for ProxyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AuthenticationRequired {
                credentials_sent: false,
            } => f.write_str(
                "the proxy requires authentication (407) and no credentials are configured: \
                 set them with `Proxy::basic_auth` or in the URL (`http://user:pass@host:port`)",
            ),
            Self::AuthenticationRequired {
                credentials_sent: true,
            } => f.write_str(
                "the proxy rejected the credentials (407 Proxy Authentication Required): \
                 check the proxy user and password",
            ),
            Self::Refused => f.write_str(
                "the proxy refused to open a tunnel (CONNECT answered with an error status; \
                 it may not allow this host or port)",
            ),
            Self::Unreachable => f.write_str("could not connect to the proxy"),
            Self::Tls(tls) => write!(f, "the TLS handshake with the proxy failed: {tls}"),
            Self::Protocol => f.write_str("the proxy's answer to CONNECT was not understood"),
        }
    }
}

/// Why a TLS handshake failed, read from the rustls error (see
/// [`TransportError::Tls`](crate::TransportError::Tls)). Its `Display`
/// names the cause and the fix.
///
/// ```
/// use genesys_transport::TlsFailure;
///
/// let text = TlsFailure::ClientCertificateRequired.to_string();
/// assert!(text.contains("client certificate"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsFailure {
    /// The server's certificate is not signed by a CA this client trusts
    /// (e.g. a company proxy's or a test server's own CA).
    UnknownIssuer,
    /// The server's certificate is not valid for the host name connected to.
    NotValidForName,
    /// The server's certificate has expired.
    Expired,
    /// The server's certificate is not valid yet (or this machine's clock
    /// is behind).
    NotYetValid,
    /// The server requires a client certificate and none was configured.
    ClientCertificateRequired,
    /// The server refused the client certificate (unknown CA, expired,
    /// wrong usage, ...).
    ClientCertificateRejected,
    /// Anything else; the text is the rustls error.
    Other(String),
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownIssuer => f.write_str(
                "the server's certificate is not signed by a trusted CA: if a company CA or \
                 TLS-inspecting proxy signs it, add that CA with `add_root_certificate_pem` \
                 (or `ConnectionSettings::add_root_certificate_pem`)",
            ),
            Self::NotValidForName => f.write_str(
                "the server's certificate is not valid for this host name: check the region \
                 or base URL (the certificate names other hosts)",
            ),
            Self::Expired => f.write_str(
                "the server's certificate has expired (or this machine's clock is ahead)",
            ),
            Self::NotYetValid => f.write_str(
                "the server's certificate is not valid yet (or this machine's clock is behind)",
            ),
            Self::ClientCertificateRequired => f.write_str(
                "the server requires a client certificate: configure one with \
                 `client_identity_pem` (certificate chain and private key)",
            ),
            Self::ClientCertificateRejected => f.write_str(
                "the server rejected the client certificate: check that it is signed by a CA \
                 the server trusts, is not expired and is meant for client authentication",
            ),
            Self::Other(text) => write!(f, "{text}"),
        }
    }
}

/// Why [`ConnectionSettings`](crate::ConnectionSettings) could not be turned into a TLS
/// configuration. Each variant names the input that was wrong; none
/// contains private key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// A PEM input had no `CERTIFICATE` block.
    #[error("{what}: no PEM CERTIFICATE block found")]
    NoCertificate {
        /// Which input, e.g. `root certificate PEM #1`.
        what: String,
    },
    /// A PEM input could not be decoded.
    #[error("{what}: invalid PEM: {detail}")]
    InvalidPem {
        /// Which input.
        what: String,
        /// What the PEM parser said.
        detail: String,
    },
    /// A certificate is not a valid X.509 certificate (or not usable as a
    /// root).
    #[error("{what}: not a usable X.509 certificate: {detail}")]
    InvalidCertificate {
        /// Which input.
        what: String,
        /// What the certificate parser said.
        detail: String,
    },
    /// The client identity's key input had no PEM private key (PKCS#8,
    /// PKCS#1 or SEC1).
    #[error("client identity: no PEM private key (PKCS#8, PKCS#1 or SEC1) found in the key input")]
    NoPrivateKey,
    /// The client certificate chain and key were refused (e.g. the key does
    /// not match the certificate, or its algorithm is not supported).
    #[error("client identity: the certificate and private key cannot be used: {detail}")]
    InvalidClientIdentity {
        /// What rustls said.
        detail: String,
    },
    /// A file could not be read.
    #[error("could not read {what} from {}: {source}", path.display())]
    ReadFile {
        /// Which input.
        what: String,
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No root certificate at all: the default roots are off and none
    /// were added.
    #[error(
        "no root certificates configured: keep the default roots (features `webpki-roots` \
         or `native-roots`) or add certificates"
    )]
    NoRootCertificates,
    /// No rustls crypto provider is available.
    #[error(
        "no rustls crypto provider: enable feature `rustls-ring` or `rustls-aws-lc`, or \
         install a process-wide default provider"
    )]
    NoCryptoProvider,
    /// Anything else (e.g. the operating system's root store could not be
    /// loaded).
    #[error("{detail}")]
    Other {
        /// What went wrong.
        detail: String,
    },
}

/// The errors of `err`'s source chain, `err` first, looking inside
/// `std::io::Error` wrappers (whose `source()` skips what they wrap), at most
/// 16 deep.
fn chain<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |e| match e.downcast_ref::<std::io::Error>() {
        Some(io) => io
            .get_ref()
            .map(|inner| inner as &(dyn std::error::Error + 'static)),
        None => e.source(),
    })
    .take(16)
}

/// Renders an error and its source chain as `a: b: c`, looking through
/// `std::io::Error` wrappers and dropping repeated messages.
pub(crate) fn describe_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in chain(err) {
        let text = e.to_string();
        if !text.is_empty() && !parts.contains(&text) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// True when `pred` holds for `err` or any error in its chain.
#[cfg(feature = "hyper-client")]
pub(crate) fn chain_any(
    err: &(dyn std::error::Error + 'static),
    pred: impl Fn(&(dyn std::error::Error + 'static)) -> bool,
) -> bool {
    chain(err).any(pred)
}

/// Finds the first `T` in `err`'s source chain.
#[cfg(feature = "hyper-client")]
pub(crate) fn find_in_chain<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    chain(err).find_map(|e| e.downcast_ref::<T>())
}

/// Finds the first `rustls::Error` in `err`'s source chain (looking
/// through `std::io::Error` wrappers).
#[cfg(feature = "hyper-client")]
pub(crate) fn rustls_error_in_chain<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    find_in_chain(err)
}

#[cfg(feature = "hyper-client")]
impl TlsFailure {
    /// The failure of the first `rustls::Error` in `err`'s source chain
    /// (looking through `std::io::Error` wrappers), if there is one; for
    /// other TLS stacks built on rustls, such as a WebSocket client.
    ///
    /// ```
    /// use genesys_transport::TlsFailure;
    ///
    /// let io = std::io::Error::new(
    ///     std::io::ErrorKind::InvalidData,
    ///     rustls::Error::InvalidCertificate(rustls::CertificateError::Expired),
    /// );
    /// assert_eq!(TlsFailure::from_error(&io), Some(TlsFailure::Expired));
    /// ```
    pub fn from_error(err: &(dyn std::error::Error + 'static)) -> Option<TlsFailure> {
        failure_in_chain(err)
    }
}

/// The [`TlsFailure`] of the first `rustls::Error` in `err`'s chain.
#[cfg(feature = "hyper-client")]
pub(crate) fn failure_in_chain(err: &(dyn std::error::Error + 'static)) -> Option<TlsFailure> {
    rustls_error_in_chain(err).map(classify)
}

/// True for alerts a server sends when it refuses the client's
/// certificate: the handshake failed on the server's side, so the request
/// was not processed (with TLS 1.3 the client learns this only on its
/// first read).
#[cfg(feature = "hyper-client")]
pub(crate) fn is_client_certificate_alert(err: &rustls::Error) -> bool {
    matches!(
        classify(err),
        TlsFailure::ClientCertificateRequired | TlsFailure::ClientCertificateRejected
    )
}

/// Maps a rustls error to a [`TlsFailure`].
#[cfg(feature = "hyper-client")]
pub(crate) fn classify(err: &rustls::Error) -> TlsFailure {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    match err {
        E::InvalidCertificate(cert) => match cert {
            C::UnknownIssuer => TlsFailure::UnknownIssuer,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsFailure::NotValidForName,
            C::Expired | C::ExpiredContext { .. } => TlsFailure::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsFailure::NotYetValid,
            other => TlsFailure::Other(E::InvalidCertificate(other.clone()).to_string()),
        },
        E::AlertReceived(A::CertificateRequired) => TlsFailure::ClientCertificateRequired,
        E::AlertReceived(
            A::BadCertificate
            | A::UnknownCA
            | A::UnsupportedCertificate
            | A::CertificateRevoked
            | A::CertificateExpired
            | A::CertificateUnknown
            | A::AccessDenied,
        ) => TlsFailure::ClientCertificateRejected,
        other => TlsFailure::Other(other.to_string()),
    }
}

#[cfg(all(test, feature = "hyper-client"))]
mod tests {
    use super::*;

    #[test]
    fn classifies_rustls_errors() {
        use rustls::{AlertDescription as A, CertificateError as C, Error as E};
        let cases = [
            (
                E::InvalidCertificate(C::UnknownIssuer),
                TlsFailure::UnknownIssuer,
            ),
            (
                E::InvalidCertificate(C::NotValidForName),
                TlsFailure::NotValidForName,
            ),
            (E::InvalidCertificate(C::Expired), TlsFailure::Expired),
            (
                E::InvalidCertificate(C::NotValidYet),
                TlsFailure::NotYetValid,
            ),
            (
                E::AlertReceived(A::CertificateRequired),
                TlsFailure::ClientCertificateRequired,
            ),
            (
                E::AlertReceived(A::UnknownCA),
                TlsFailure::ClientCertificateRejected,
            ),
            (
                E::AlertReceived(A::BadCertificate),
                TlsFailure::ClientCertificateRejected,
            ),
        ];
        for (err, want) in cases {
            assert_eq!(classify(&err), want, "{err}");
        }
        assert!(matches!(
            classify(&E::AlertReceived(A::HandshakeFailure)),
            TlsFailure::Other(_)
        ));
    }
}
