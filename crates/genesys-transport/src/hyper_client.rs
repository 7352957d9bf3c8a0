//! [`HyperClient`]: the default [`HttpClient`], on hyper-util's pooled
//! client with rustls, the crate's [`ConnectionSettings`] (roots, client
//! certificate, proxy), bounded body reads and gzip decoding.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::uri::Scheme;
use http_body_util::Full;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::body::{
    BodyCompleteness, BoundedRead, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_ERROR_BODY_BYTES,
    read_bounded,
};
use crate::client::HttpClient;
use crate::connection::{ConnectionSettings, RootCertificates};
use crate::error::TransportError;
use crate::failure::{
    chain_any, describe_chain, is_client_certificate_alert, rustls_error_in_chain,
};
use crate::proxy::{ProxyConnectError, ProxyConnector, proxy_error_in_chain};
use crate::region::is_loopback_host;
use crate::wire::{BoxFuture, DEFAULT_CONNECT_TIMEOUT};

/// Builds a [`HyperClient`].
///
/// Defaults: 10 s connect timeout, 90 s pool idle timeout, HTTP/1.1 and
/// HTTP/2 (negotiated by ALPN), [`DEFAULT_MAX_BODY_BYTES`] for success
/// bodies and [`DEFAULT_MAX_ERROR_BODY_BYTES`] for error bodies.
///
/// ```
/// use std::time::Duration;
/// use genesys_transport::HyperClient;
///
/// let client = HyperClient::builder()
///     .connect_timeout(Duration::from_secs(3))
///     .max_body_bytes(8 * 1024 * 1024)
///     .build()
///     .expect("TLS configuration");
/// ```
#[derive(Debug, Clone)]
pub struct HyperClientBuilder {
    connect_timeout: Option<Duration>,
    pool_idle_timeout: Option<Duration>,
    pool_max_idle_per_host: usize,
    max_body_bytes: usize,
    max_error_body_bytes: usize,
    tls: ConnectionSettings,
    http2: bool,
}

impl Default for HyperClientBuilder {
    fn default() -> Self {
        Self {
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            pool_idle_timeout: Some(Duration::from_secs(90)),
            // No cap, as in hyper-util: a capped pool under more requests in
            // flight than the cap keeps opening and closing connections.
            pool_max_idle_per_host: usize::MAX,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_error_body_bytes: DEFAULT_MAX_ERROR_BODY_BYTES,
            tls: ConnectionSettings::default(),
            http2: true,
        }
    }
}

impl HyperClientBuilder {
    /// The TCP connect timeout (`None`: the OS default).
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// How long an idle pooled connection is kept (`None`: forever).
    pub fn pool_idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.pool_idle_timeout = timeout.into();
        self
    }

    /// The maximum number of idle connections kept per host (default: no
    /// cap; idle connections still close after the idle timeout).
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = max;
        self
    }

    /// The limit for a success body; a larger one fails with
    /// [`TransportError::BodyTooLarge`] without being read further.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The limit for an error body; only this prefix is read and the
    /// response is marked [`BodyCompleteness::Truncated`].
    pub fn max_error_body_bytes(mut self, limit: usize) -> Self {
        self.max_error_body_bytes = limit;
        self
    }

    /// The base set of trusted root certificates (certificates added
    /// with [`add_root_certificate_pem`](Self::add_root_certificate_pem)
    /// are trusted on top of it).
    pub fn root_certificates(mut self, roots: RootCertificates) -> Self {
        self.tls = self.tls.root_certificates(roots);
        self
    }

    /// Trusts the certificates of a PEM input too (one or a bundle),
    /// e.g. a company CA. Checked by [`build`](Self::build).
    ///
    /// ```
    /// use genesys_transport::{HyperClient, TlsConfigError, TransportError};
    ///
    /// let err = HyperClient::builder().add_root_certificate_pem(&b"oops"[..]).build().unwrap_err();
    /// assert!(matches!(err, TransportError::TlsConfig(TlsConfigError::NoCertificate { .. })));
    /// ```
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls = self.tls.add_root_certificate_pem(pem);
        self
    }

    /// Trusts one DER-encoded certificate too. Checked by
    /// [`build`](Self::build).
    pub fn add_root_certificate_der(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.tls = self.tls.add_root_certificate_der(der);
        self
    }

    /// Presents this client certificate chain and private key (both PEM)
    /// to servers that require mutual TLS. The key is never printed.
    pub fn client_identity_pem(
        mut self,
        cert_chain_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.tls = self.tls.client_identity_pem(cert_chain_pem, key_pem);
        self
    }

    /// Replaces all connection settings (TLS roots, client identity and
    /// proxy); see [`ConnectionSettings`](crate::ConnectionSettings).
    pub fn connection_settings(mut self, settings: ConnectionSettings) -> Self {
        self.tls = settings;
        self
    }

    /// Whether HTTP/2 is offered by ALPN (default true).
    pub fn http2(mut self, enabled: bool) -> Self {
        self.http2 = enabled;
        self
    }

    /// Builds the client. Fails with [`TransportError::TlsConfig`] when
    /// the TLS settings cannot be used (a bad certificate or key, no
    /// root certificate, no crypto provider).
    pub fn build(self) -> Result<HyperClient, TransportError> {
        let tls = self.tls.rustls_client_config()?;
        let http = self.tls.connector(self.connect_timeout)?;
        let https = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http();
        let connector = if self.http2 {
            https.enable_http1().enable_http2().wrap_connector(http)
        } else {
            https.enable_http1().wrap_connector(http)
        };
        let mut builder = Client::builder(TokioExecutor::new());
        builder
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(self.pool_idle_timeout)
            .pool_max_idle_per_host(self.pool_max_idle_per_host);
        Ok(HyperClient {
            client: builder.build(connector),
            connect_timeout: self.connect_timeout,
            max_body_bytes: self.max_body_bytes,
            max_error_body_bytes: self.max_error_body_bytes,
        })
    }
}

/// The default [`HttpClient`]: hyper 1.x with hyper-util's pooled client
/// and hyper-rustls.
///
/// - HTTPS with HTTP/1.1 or HTTP/2 (ALPN); plain HTTP only to loopback
///   hosts — any other `http://` URL fails with
///   [`TransportError::InsecureScheme`] before a connection is attempted.
/// - Bodies are read with a bound (see [`HyperClientBuilder`]).
/// - With feature `gzip`, sends `Accept-Encoding: gzip` (unless the
///   request sets its own) and decodes gzip responses, bounded after
///   decompression too.
/// - Clones share one connection pool.
///
/// ```no_run
/// use bytes::Bytes;
/// use genesys_transport::{HttpClient, HyperClient};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = HyperClient::builder().build()?;
/// let request = http::Request::get("http://127.0.0.1:8080/api/v2/users/me").body(Bytes::new())?;
/// let response = client.send(request).await?;
/// println!("{}", response.status());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct HyperClient {
    client: Client<HttpsConnector<ProxyConnector>, Full<Bytes>>,
    connect_timeout: Option<Duration>,
    max_body_bytes: usize,
    max_error_body_bytes: usize,
}

impl fmt::Debug for HyperClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperClient")
            .field("connect_timeout", &self.connect_timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_error_body_bytes", &self.max_error_body_bytes)
            .finish_non_exhaustive()
    }
}

impl HyperClient {
    /// A builder with the defaults.
    pub fn builder() -> HyperClientBuilder {
        HyperClientBuilder::default()
    }

    async fn send_inner(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        check_uri(request.uri())?;
        #[cfg_attr(not(feature = "gzip"), allow(unused_mut))]
        let (mut parts, body) = request.into_parts();
        #[cfg(feature = "gzip")]
        if !parts.headers.contains_key(http::header::ACCEPT_ENCODING) {
            parts.headers.insert(
                http::header::ACCEPT_ENCODING,
                http::HeaderValue::from_static("gzip"),
            );
        }
        let request = http::Request::from_parts(parts, Full::new(body));
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| map_client_error(e, self.connect_timeout))?;
        // The head is in: this is when the server's `Retry-After` and
        // rate-limit window are counted from.
        let received_at = crate::ratelimit::ReceivedAt(std::time::SystemTime::now());

        let (mut parts, body) = response.into_parts();
        let is_error = !parts.status.is_success();
        let limit = if is_error {
            self.max_error_body_bytes
        } else {
            self.max_body_bytes
        };
        if !is_error {
            let declared = parts
                .headers
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            if declared.is_some_and(|len| len > limit as u64) {
                return Err(TransportError::BodyTooLarge { limit });
            }
        }
        let (bytes, completeness) = match read_bounded(body, limit).await {
            BoundedRead::Complete(b) => (b, BodyCompleteness::Complete),
            BoundedRead::OverLimit(b) if is_error => (b, BodyCompleteness::Truncated { limit }),
            BoundedRead::OverLimit(_) => return Err(TransportError::BodyTooLarge { limit }),
            BoundedRead::Failed(b, e) if is_error => (
                b,
                BodyCompleteness::Incomplete {
                    reason: describe_chain(&e),
                },
            ),
            BoundedRead::Failed(_, e) => return Err(TransportError::connection(e)),
        };
        let (bytes, completeness) =
            decode_content(&mut parts.headers, bytes, completeness, is_error, limit)?;
        let mut response = http::Response::from_parts(parts, bytes);
        response.extensions_mut().insert(received_at);
        if completeness != BodyCompleteness::Complete {
            response.extensions_mut().insert(completeness);
        }
        Ok(response)
    }
}

impl HttpClient for HyperClient {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        Box::pin(self.send_inner(request))
    }
}

/// Refuses plain HTTP to non-loopback hosts and non-HTTP schemes.
fn check_uri(uri: &http::Uri) -> Result<(), TransportError> {
    let host = uri.host().ok_or_else(|| TransportError::InvalidUrl {
        reason: format!("`{uri}` has no host"),
    })?;
    match uri.scheme() {
        Some(s) if *s == Scheme::HTTPS => Ok(()),
        Some(s) if *s == Scheme::HTTP => {
            if is_loopback_host(host) {
                Ok(())
            } else {
                Err(TransportError::InsecureScheme {
                    host: host.to_owned(),
                })
            }
        }
        Some(s) => Err(TransportError::InvalidUrl {
            reason: format!("unsupported scheme `{s}`"),
        }),
        None => Err(TransportError::InvalidUrl {
            reason: format!("`{uri}` is not absolute"),
        }),
    }
}

#[cfg_attr(not(feature = "gzip"), allow(unused_variables, unused_mut))]
fn decode_content(
    headers: &mut http::HeaderMap,
    bytes: Bytes,
    completeness: BodyCompleteness,
    is_error: bool,
    limit: usize,
) -> Result<(Bytes, BodyCompleteness), TransportError> {
    #[cfg(feature = "gzip")]
    {
        use http::header::CONTENT_ENCODING;
        let gzip = headers
            .get(CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let v = v.trim();
                v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip")
            });
        if gzip && completeness == BodyCompleteness::Complete {
            match crate::body::gunzip_bounded(&bytes, limit) {
                Ok((decoded, over)) => {
                    headers.remove(CONTENT_ENCODING);
                    headers.remove(CONTENT_LENGTH);
                    if over {
                        if is_error {
                            return Ok((decoded, BodyCompleteness::Truncated { limit }));
                        }
                        return Err(TransportError::BodyTooLarge { limit });
                    }
                    return Ok((decoded, completeness));
                }
                Err(e) if is_error => {
                    return Ok((
                        bytes,
                        BodyCompleteness::Incomplete {
                            reason: format!("invalid gzip body: {e}"),
                        },
                    ));
                }
                Err(e) => {
                    return Err(TransportError::Decode {
                        detail: format!("invalid gzip body: {e}"),
                    });
                }
            }
        }
    }
    let _ = &headers;
    Ok((bytes, completeness))
}

/// Classifies a hyper-util client error by how far the request got.
fn map_client_error(
    err: hyper_util::client::legacy::Error,
    connect_timeout: Option<Duration>,
) -> TransportError {
    // A tunnel the proxy did not open (checked first: a failed TLS
    // handshake with an https:// proxy is the proxy's failure).
    if err.is_connect()
        && let Some((proxy, kind)) = proxy_error_in_chain(&err).map(ProxyConnectError::parts)
    {
        return TransportError::Proxy {
            proxy,
            kind,
            detail: describe_chain(&err),
            source: Some(Box::new(err)),
        };
    }
    if let Some(tls) = rustls_error_in_chain(&err) {
        // A handshake failure, or (TLS 1.3) the server's refusal of our
        // client certificate read after the handshake: either way the
        // server did not process the request.
        if err.is_connect() || is_client_certificate_alert(tls) {
            return TransportError::tls(err);
        }
    }
    if err.is_connect() {
        if chain_any(&err, |e| {
            e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        }) {
            return TransportError::ConnectTimeout {
                timeout: connect_timeout,
            };
        }
        return TransportError::connect(err);
    }
    TransportError::connection(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_plain_http_to_non_loopback() {
        for uri in [
            "http://api.mypurecloud.com/x",
            "http://10.0.0.1/x",
            "http://0.0.0.0/",
        ] {
            assert!(
                matches!(
                    check_uri(&uri.parse().unwrap()),
                    Err(TransportError::InsecureScheme { .. })
                ),
                "{uri}"
            );
        }
        for uri in [
            "http://127.0.0.1:1/x",
            "http://[::1]:1/",
            "http://localhost/",
            "https://api.mypurecloud.com/",
        ] {
            assert!(check_uri(&uri.parse().unwrap()).is_ok(), "{uri}");
        }
        assert!(matches!(
            check_uri(&"ws://127.0.0.1/".parse().unwrap()),
            Err(TransportError::InvalidUrl { .. })
        ));
        assert!(matches!(
            check_uri(&"/relative".parse().unwrap()),
            Err(TransportError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn builds_with_defaults() {
        let client = HyperClient::builder().build().unwrap();
        assert!(format!("{client:?}").contains("HyperClient"));
    }

    #[test]
    fn custom_roots_must_not_be_empty() {
        let err = HyperClient::builder()
            .root_certificates(RootCertificates::CustomDer(vec![]))
            .build()
            .unwrap_err();
        assert!(matches!(
            err,
            TransportError::TlsConfig(crate::TlsConfigError::NoRootCertificates)
        ));
    }
}
