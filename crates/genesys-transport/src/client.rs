//! The [`HttpClient`] trait and its default hyper implementation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::TransportError;

/// A boxed, `Send` future, as returned by the object-safe traits of this
/// crate.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one HTTP request and returns the complete response.
///
/// This is the seam for plugging in another HTTP stack or a test double. An
/// implementation must:
///
/// - return every response, whatever its status, as `Ok` (the
///   [`Transport`](crate::Transport) turns non-2xx statuses into
///   [`ApiError`](crate::ApiError)s and decides about retries);
/// - report failures with the [`TransportError`] variant that says how far
///   the request got ([`TransportError::Connect`] only when the request
///   provably never left), since that decides whether a `POST` is retried;
/// - read bodies with a bound, and may mark a cut-short error body with
///   [`BodyCompleteness`](crate::BodyCompleteness) in the response extensions;
/// - may record when the response head arrived with
///   [`ReceivedAt`](crate::ReceivedAt) in the response extensions (otherwise
///   the transport reads the clock when `send` returns);
/// - never log header values.
///
/// Timeouts and retries are applied by the [`Transport`](crate::Transport)
/// around `send`; an implementation need not apply its own.
///
/// ```
/// use bytes::Bytes;
/// use genesys_transport::{BoxFuture, HttpClient, SharedHttpClient, TransportError};
///
/// /// Answers every request with `204 No Content`.
/// #[derive(Debug)]
/// struct NoContent;
///
/// impl HttpClient for NoContent {
///     fn send(&self, _request: http::Request<Bytes>) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
///         Box::pin(async {
///             let mut response = http::Response::new(Bytes::new());
///             *response.status_mut() = http::StatusCode::NO_CONTENT;
///             Ok(response)
///         })
///     }
/// }
///
/// let client = SharedHttpClient::new(NoContent);
/// ```
pub trait HttpClient: Send + Sync + fmt::Debug {
    /// Sends `request` (whose URI is absolute) and returns the response.
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>>;
}

/// A cheaply clonable, shared [`HttpClient`].
///
/// ```
/// # #[cfg(feature = "hyper-client")]
/// # fn demo() -> Result<(), genesys_transport::TransportError> {
/// use genesys_transport::{HyperClient, SharedHttpClient};
/// let client = SharedHttpClient::new(HyperClient::builder().build()?);
/// let _same_pool = client.clone();
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct SharedHttpClient(Arc<dyn HttpClient>);

impl SharedHttpClient {
    /// Wraps a client.
    pub fn new(client: impl HttpClient + 'static) -> Self {
        Self(Arc::new(client))
    }

    /// Wraps an already shared client.
    pub fn from_arc(client: Arc<dyn HttpClient>) -> Self {
        Self(client)
    }
}

impl HttpClient for SharedHttpClient {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        self.0.send(request)
    }
}

#[cfg(feature = "hyper-client")]
pub(crate) use hyper_impl::map_connect_error;
#[cfg(feature = "hyper-client")]
pub use hyper_impl::{HyperClient, HyperClientBuilder, RootCertificates};

#[cfg(feature = "hyper-client")]
mod hyper_impl {
    use std::fmt;
    use std::time::Duration;

    use bytes::Bytes;
    use http::header::CONTENT_LENGTH;
    use http::uri::Scheme;
    use http_body_util::Full;
    use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::{TokioExecutor, TokioTimer};

    use super::{BoxFuture, HttpClient};
    use crate::body::{
        BodyCompleteness, BoundedRead, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_ERROR_BODY_BYTES,
        read_bounded,
    };
    use crate::error::{TransportError, describe_chain};
    use crate::proxy::{ProxyConnectError, ProxyConnector, proxy_error_in_chain};
    use crate::region::is_loopback_host;

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
        tls: crate::connection::ConnectionSettings,
        http2: bool,
    }

    impl Default for HyperClientBuilder {
        fn default() -> Self {
            Self {
                connect_timeout: Some(crate::transport::DEFAULT_CONNECT_TIMEOUT),
                pool_idle_timeout: Some(Duration::from_secs(90)),
                // No cap, as in hyper-util: a capped pool under more requests in
                // flight than the cap keeps opening and closing connections.
                pool_max_idle_per_host: usize::MAX,
                max_body_bytes: DEFAULT_MAX_BODY_BYTES,
                max_error_body_bytes: DEFAULT_MAX_ERROR_BODY_BYTES,
                tls: crate::connection::ConnectionSettings::default(),
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
        pub fn connection_settings(
            mut self,
            settings: crate::connection::ConnectionSettings,
        ) -> Self {
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

    /// Classifies a connector error (no request was sent).
    pub(crate) fn map_connect_error(
        err: crate::error::BoxError,
        connect_timeout: Option<Duration>,
    ) -> TransportError {
        if let Some((proxy, kind)) =
            proxy_error_in_chain(err.as_ref()).map(ProxyConnectError::parts)
        {
            return TransportError::Proxy {
                proxy,
                kind,
                detail: describe_chain(err.as_ref()),
                source: Some(err),
            };
        }
        if crate::connection::rustls_error_in_chain(err.as_ref()).is_some() {
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
        if let Some(tls) = crate::connection::rustls_error_in_chain(&err) {
            // A handshake failure, or (TLS 1.3) the server's refusal of our
            // client certificate read after the handshake: either way the
            // server did not process the request.
            if err.is_connect() || crate::connection::is_client_certificate_alert(tls) {
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

    /// True when `pred` holds for `err` or any error in its chain, looking
    /// through `std::io::Error` wrappers.
    fn chain_any(
        err: &(dyn std::error::Error + 'static),
        pred: impl Fn(&(dyn std::error::Error + 'static)) -> bool,
    ) -> bool {
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
        let mut depth = 0;
        while let Some(e) = current {
            if pred(e) {
                return true;
            }
            depth += 1;
            if depth > 16 {
                return false;
            }
            current = match e.downcast_ref::<std::io::Error>() {
                Some(io) => io
                    .get_ref()
                    .map(|inner| inner as &(dyn std::error::Error + 'static)),
                None => e.source(),
            };
        }
        false
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
}
