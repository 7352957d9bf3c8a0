//! HTTP proxies: the settings ([`Proxy`]), which targets go through one
//! (hyper-util's [`Matcher`] for `NO_PROXY`, plus the loopback rule), and
//! the connector that opens `CONNECT` tunnels (hyper-util's [`Tunnel`]).
//!
//! Every target, `https://` or plain `http://` (loopback only), goes
//! through a `CONNECT` tunnel; requests are never sent in absolute form, so
//! the proxy sees only the target's `host:port`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderValue, Uri};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use secrecy::{ExposeSecret, SecretString};
use tower_service::Service;

use crate::error::TransportError;
use crate::failure::{ProxyFailure, find_in_chain};
use crate::region::is_loopback_host;
use crate::wire::BoxError;

/// User and password for a proxy's `Basic` authentication; the password is
/// never printed.
#[derive(Clone)]
struct Credentials {
    user: String,
    password: SecretString,
}

impl Credentials {
    /// The `Proxy-Authorization` value, marked sensitive.
    fn header(&self) -> HeaderValue {
        use base64::Engine as _;
        let plain = SecretString::from(format!("{}:{}", self.user, self.password.expose_secret()));
        let encoded = base64::engine::general_purpose::STANDARD.encode(plain.expose_secret());
        let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
            .unwrap_or_else(|_| HeaderValue::from_static("Basic"));
        value.set_sensitive(true);
        value
    }
}

/// One proxy URL, without its user information.
#[derive(Clone)]
struct ProxyUrl {
    /// `scheme://host:port/`.
    uri: Uri,
    /// Credentials given in the URL (`user:pass@`).
    credentials: Option<Credentials>,
}

impl ProxyUrl {
    /// Parses `http://[user[:pass]@]host[:port]` or `https://…`; a URL
    /// without a scheme is `http://`, as in curl. Errors never quote the
    /// user information.
    fn parse(url: &str) -> Result<ProxyUrl, TransportError> {
        let url = url.trim();
        let (scheme, rest) = match url.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => ("http".to_owned(), url),
        };
        if scheme != "http" && scheme != "https" {
            return Err(TransportError::ProxyConfig {
                detail: format!(
                    "proxy scheme `{scheme}` is not supported (use http:// or https://)"
                ),
            });
        }
        // User information ends at the last `@` (a password may hold an
        // unencoded `/`); the host and port end at the path.
        let (userinfo, after) = match rest.rsplit_once('@') {
            Some((userinfo, after)) => (Some(userinfo), after),
            None => (None, rest),
        };
        let host_port = after.split(['/', '?', '#']).next().unwrap_or_default();
        let credentials = userinfo.map(|userinfo| {
            let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            Credentials {
                user: percent_encoding::percent_decode_str(user)
                    .decode_utf8_lossy()
                    .into_owned(),
                password: SecretString::from(
                    percent_encoding::percent_decode_str(pass)
                        .decode_utf8_lossy()
                        .into_owned(),
                ),
            }
        });
        // Quote the URL only when it cannot hold credentials (a password
        // with an unencoded `/` would otherwise end up in `host_port`).
        let invalid = || TransportError::ProxyConfig {
            detail: if url.contains('@') {
                "the proxy URL is not usable (not quoted: it holds credentials; \
                 percent-encode reserved characters in the user and password)"
                    .to_owned()
            } else {
                format!("`{scheme}://{host_port}` is not a usable proxy URL")
            },
        };
        if host_port.is_empty() {
            return Err(invalid());
        }
        let uri: Uri = format!("{scheme}://{host_port}/")
            .parse()
            .map_err(|_| invalid())?;
        let host = uri.host().unwrap_or_default();
        let port = uri
            .authority()
            .map(|a| a.as_str())
            .unwrap_or_default()
            .get(host.len()..)
            .unwrap_or_default();
        let port_ok = port.is_empty()
            || port
                .strip_prefix(':')
                .is_some_and(|p| p.parse::<u16>().is_ok());
        if host.is_empty() || !port_ok {
            return Err(invalid());
        }
        Ok(ProxyUrl { uri, credentials })
    }

    /// `host:port`, the port defaulted by the scheme.
    fn authority(&self) -> String {
        let host = self.uri.host().unwrap_or_default();
        let port = self
            .uri
            .port_u16()
            .unwrap_or(if self.uri.scheme_str() == Some("https") {
                443
            } else {
                80
            });
        format!("{host}:{port}")
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.uri)?;
        if let Some(credentials) = &self.credentials {
            write!(f, " (user {:?}, password <redacted>)", credentials.user)?;
        }
        Ok(())
    }
}

/// An HTTP proxy that connections go through, with `CONNECT` tunnels: the
/// proxy URL (`http://`, or `https://` for TLS to the proxy), optional
/// `Basic` credentials, a `NO_PROXY` list of hosts reached directly, and
/// whether loopback hosts are proxied too.
///
/// Loopback hosts (`127.0.0.0/8`, `::1`, `localhost`) are never proxied
/// unless [`proxy_loopback(true)`](Self::proxy_loopback) says so, since a
/// local emulator runs there.
///
/// The password (given with [`basic_auth`](Self::basic_auth) or in the URL
/// as `user:pass@`) is kept in a [`SecretString`] and never appears in
/// `Debug`, errors or logs.
///
/// ```
/// use genesys_transport::{ConnectionSettings, Proxy};
///
/// # fn demo() -> Result<(), genesys_transport::TransportError> {
/// let proxy = Proxy::new("http://proxy.corp.example:3128")?
///     .basic_auth("svc-genesys", "s3cret".to_owned())
///     .bypass("internal.example, 10.0.0.0/8");
/// assert!(!format!("{proxy:?}").contains("s3cret"));
/// let settings = ConnectionSettings::new().proxy(proxy);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Proxy {
    /// The proxy for `http://` targets.
    http: Option<ProxyUrl>,
    /// The proxy for `https://` targets.
    https: Option<ProxyUrl>,
    /// Credentials overriding those of the URLs.
    credentials: Option<Credentials>,
    /// The `NO_PROXY` list (comma-separated, curl's rules).
    no_proxy: String,
    proxy_loopback: bool,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Proxy");
        d.field("http", &self.http).field("https", &self.https);
        if let Some(credentials) = &self.credentials {
            d.field("user", &credentials.user)
                .field("password", &format_args!("<redacted>"));
        }
        d.field("no_proxy", &self.no_proxy)
            .field("proxy_loopback", &self.proxy_loopback)
            .finish()
    }
}

impl Proxy {
    /// A proxy for every target (`https://` and `http://`):
    /// `http://host:port`, `https://host:port` (TLS to the proxy, trusting
    /// the same roots as the servers), optionally with `user:pass@`
    /// (percent-encoded). Without a scheme, `http://` is assumed.
    ///
    /// Fails with [`TransportError::ProxyConfig`] for another scheme
    /// (`socks5://` is not supported) or a URL without a host.
    ///
    /// ```
    /// use genesys_transport::{Proxy, TransportError};
    ///
    /// assert!(Proxy::new("http://user:pa%40ss@proxy.example:8080").is_ok());
    /// let err = Proxy::new("socks5://proxy.example:1080").unwrap_err();
    /// assert!(matches!(err, TransportError::ProxyConfig { .. }));
    /// ```
    pub fn new(url: &str) -> Result<Proxy, TransportError> {
        let url = ProxyUrl::parse(url)?;
        Ok(Proxy {
            http: Some(url.clone()),
            https: Some(url),
            credentials: None,
            no_proxy: String::new(),
            proxy_loopback: false,
        })
    }

    /// The proxy from the process environment, read like curl (see
    /// [`from_lookup`](Self::from_lookup)); `None` when no proxy variable
    /// is set.
    pub fn from_env() -> Option<Proxy> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The proxy from environment-style variables read through `lookup`
    /// (tests pass a map; [`from_env`](Self::from_env) passes
    /// `std::env::var`):
    ///
    /// - `https://` targets: `HTTPS_PROXY`, else `https_proxy`, else
    ///   `ALL_PROXY`, else `all_proxy`;
    /// - `http://` targets: `HTTP_PROXY`, else `http_proxy`, else the
    ///   `ALL_PROXY` pair;
    /// - hosts reached directly: `NO_PROXY`, else `no_proxy`.
    ///
    /// Empty values count as unset. A value that is not a usable proxy URL
    /// is skipped with a warning (which does not quote it). `None` when no
    /// proxy URL is found.
    ///
    /// ```
    /// use genesys_transport::Proxy;
    ///
    /// let proxy = Proxy::from_lookup(|name| match name {
    ///     "HTTPS_PROXY" => Some("http://proxy.example:3128".to_owned()),
    ///     "NO_PROXY" => Some(".internal.example".to_owned()),
    ///     _ => None,
    /// })
    /// .expect("a proxy");
    /// let api = "https://api.mypurecloud.com/".parse().unwrap();
    /// assert_eq!(proxy.proxy_for(&api).unwrap().to_string(), "http://proxy.example:3128/");
    /// let internal = "https://gw.internal.example/".parse().unwrap();
    /// assert!(proxy.proxy_for(&internal).is_none());
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Option<Proxy> {
        let first = |names: &[&str]| -> Option<ProxyUrl> {
            names.iter().find_map(|name| {
                let value = lookup(name).filter(|v| !v.trim().is_empty())?;
                match ProxyUrl::parse(&value) {
                    Ok(url) => Some(url),
                    Err(_) => {
                        tracing::warn!(
                            variable = *name,
                            "ignoring the proxy variable: not a usable http:// or https:// proxy URL"
                        );
                        None
                    }
                }
            })
        };
        let all = first(&["ALL_PROXY", "all_proxy"]);
        let https = first(&["HTTPS_PROXY", "https_proxy"]).or_else(|| all.clone());
        let http = first(&["HTTP_PROXY", "http_proxy"]).or(all);
        if https.is_none() && http.is_none() {
            return None;
        }
        let no_proxy = ["NO_PROXY", "no_proxy"]
            .iter()
            .find_map(|name| lookup(name).filter(|v| !v.trim().is_empty()))
            .unwrap_or_default();
        Some(Proxy {
            http,
            https,
            credentials: None,
            no_proxy,
            proxy_loopback: false,
        })
    }

    /// `Basic` credentials for the proxy, replacing any in the URL.
    pub fn basic_auth(
        mut self,
        user: impl Into<String>,
        password: impl Into<SecretString>,
    ) -> Self {
        self.credentials = Some(Credentials {
            user: user.into(),
            password: password.into(),
        });
        self
    }

    /// Adds hosts reached directly (the `NO_PROXY` list), comma-separated,
    /// with curl's rules: a domain matches itself and its subdomains
    /// (`example.com` and `.example.com` both match `api.example.com`), an
    /// IP address or CIDR block (`10.0.0.0/8`) matches addresses in it, and
    /// `*` matches everything.
    pub fn bypass(mut self, list: &str) -> Self {
        if !list.trim().is_empty() {
            if !self.no_proxy.trim().is_empty() {
                self.no_proxy.push(',');
            }
            self.no_proxy.push_str(list);
        }
        self
    }

    /// Whether loopback hosts (`127.0.0.0/8`, `::1`, `localhost`) go
    /// through the proxy too (default `false`: they are reached directly).
    pub fn proxy_loopback(mut self, yes: bool) -> Self {
        self.proxy_loopback = yes;
        self
    }

    /// The proxy `target` would be reached through (`scheme://host:port/`,
    /// without credentials), or `None` when it is reached directly
    /// (`NO_PROXY`, a loopback host, or no proxy for its scheme).
    pub fn proxy_for(&self, target: &Uri) -> Option<Uri> {
        self.route()
            .endpoint_for(target)
            .map(|endpoint| endpoint.uri.clone())
    }

    /// Whether credentials are configured (in the URL or with
    /// [`basic_auth`](Self::basic_auth)).
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
            || [&self.http, &self.https]
                .into_iter()
                .flatten()
                .any(|url| url.credentials.is_some())
    }

    /// Resolves the settings into a routing table.
    pub(crate) fn route(&self) -> Route {
        let endpoint = |url: &Option<ProxyUrl>| {
            url.as_ref().map(|url| {
                let credentials = self.credentials.as_ref().or(url.credentials.as_ref());
                Endpoint {
                    uri: url.uri.clone(),
                    authority: url.authority(),
                    auth: credentials.map(Credentials::header),
                }
            })
        };
        let http = endpoint(&self.http);
        let https = endpoint(&self.https);
        // The matcher applies NO_PROXY; it is given the URLs without
        // credentials (those stay in `Endpoint::auth`).
        let mut matcher = Matcher::builder().no(self.no_proxy.as_str());
        if let Some(url) = &http {
            matcher = matcher.http(url.uri.to_string());
        }
        if let Some(url) = &https {
            matcher = matcher.https(url.uri.to_string());
        }
        Route {
            matcher: matcher.build(),
            http,
            https,
            proxy_loopback: self.proxy_loopback,
        }
    }
}

/// A proxy to tunnel through.
#[derive(Clone)]
pub(crate) struct Endpoint {
    uri: Uri,
    authority: String,
    auth: Option<HeaderValue>,
}

/// Which targets go through which proxy.
pub(crate) struct Route {
    matcher: Matcher,
    http: Option<Endpoint>,
    https: Option<Endpoint>,
    proxy_loopback: bool,
}

impl Route {
    /// The proxy for `target`, or `None` to connect directly.
    fn endpoint_for(&self, target: &Uri) -> Option<&Endpoint> {
        let host = target.host()?;
        if !self.proxy_loopback && is_loopback_host(host) {
            return None;
        }
        self.matcher.intercept(target)?;
        match target.scheme_str() {
            Some("https") => self.https.as_ref(),
            Some("http") => self.http.as_ref(),
            _ => None,
        }
    }
}

/// hyper-util's tunnel error (its type is not exported by name).
type TunnelError = <Tunnel<HttpsConnector<HttpConnector>> as Service<Uri>>::Error;

/// The connection a [`ProxyConnector`] returns: TCP to the target, or a
/// tunnel through a proxy (TLS to an `https://` proxy included).
pub(crate) type ProxiedStream = MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>;

/// Connects to the target directly or through a `CONNECT` tunnel (an
/// inner connector for the hyper-rustls one that adds TLS to the target).
#[derive(Clone)]
pub(crate) struct ProxyConnector {
    direct: HttpConnector,
    proxy: Option<(Arc<Route>, HttpsConnector<HttpConnector>)>,
}

impl ProxyConnector {
    /// Direct connections with `http`; tunnels through `route`'s proxies,
    /// reached with `http` and (for `https://` proxies) `tls`.
    pub(crate) fn new(
        http: HttpConnector,
        proxy: Option<(Route, rustls::ClientConfig)>,
    ) -> ProxyConnector {
        let proxy = proxy.map(|(route, tls)| {
            let to_proxy = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls)
                .https_or_http()
                .enable_http1()
                .wrap_connector(http.clone());
            (Arc::new(route), to_proxy)
        });
        ProxyConnector {
            direct: http,
            proxy,
        }
    }

    /// Opens a connection to `target` (through the proxy when one applies).
    pub(crate) async fn connect(&self, target: Uri) -> Result<ProxiedStream, BoxError> {
        let mut this = self.clone();
        std::future::poll_fn(|cx| this.poll_ready(cx)).await?;
        this.call(target).await
    }
}

impl fmt::Debug for ProxyConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConnector")
            .field("proxied", &self.proxy.is_some())
            .finish_non_exhaustive()
    }
}

impl Service<Uri> for ProxyConnector {
    type Response = ProxiedStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<ProxiedStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.direct.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, target: Uri) -> Self::Future {
        let endpoint = self
            .proxy
            .as_ref()
            .and_then(|(route, to_proxy)| Some((route.endpoint_for(&target)?, to_proxy)));
        let Some((endpoint, to_proxy)) = endpoint else {
            let connecting = self.direct.call(target);
            return Box::pin(async move {
                connecting
                    .await
                    .map(MaybeHttpsStream::Http)
                    .map_err(Into::into)
            });
        };
        let mut tunnel = Tunnel::new(endpoint.uri.clone(), to_proxy.clone());
        let credentials_sent = endpoint.auth.is_some();
        if let Some(auth) = &endpoint.auth {
            tunnel = tunnel.with_auth(auth.clone());
        }
        let proxy = endpoint.authority.clone();
        Box::pin(async move {
            // The tunnel defaults to port 443; name the port of http:// targets.
            let target = with_port(&target).ok_or_else(|| TransportError::InvalidUrl {
                reason: format!("`{target}` has no host"),
            })?;
            tracing::debug!(proxy = %proxy, target = %target.authority().map(|a| a.as_str()).unwrap_or_default(), "opening a CONNECT tunnel");
            std::future::poll_fn(|cx| tunnel.poll_ready(cx))
                .await
                .map_err(|e| ProxyConnectError::new(proxy.clone(), credentials_sent, e))?;
            tunnel
                .call(target)
                .await
                .map_err(|e| ProxyConnectError::new(proxy, credentials_sent, e).into())
        })
    }
}

/// `target` with an explicit port (80 for `http`, 443 otherwise).
fn with_port(target: &Uri) -> Option<Uri> {
    let host = target.host()?;
    let port = target
        .port_u16()
        .unwrap_or(if target.scheme_str() == Some("http") {
            80
        } else {
            443
        });
    let scheme = target.scheme_str().unwrap_or("https");
    format!("{scheme}://{host}:{port}/").parse().ok()
}

/// A tunnel through the proxy `proxy` could not be opened.
#[derive(Debug)]
pub(crate) struct ProxyConnectError {
    pub(crate) proxy: String,
    pub(crate) kind: ProxyFailure,
    source: TunnelError,
}

impl ProxyConnectError {
    fn new(proxy: String, credentials_sent: bool, source: TunnelError) -> ProxyConnectError {
        let kind = match &source {
            TunnelError::ProxyAuthRequired => {
                ProxyFailure::AuthenticationRequired { credentials_sent }
            }
            TunnelError::TunnelUnsuccessful => ProxyFailure::Refused,
            TunnelError::ConnectFailed(cause) => {
                match crate::failure::failure_in_chain(cause.as_ref()) {
                    Some(tls) => ProxyFailure::Tls(tls),
                    None => ProxyFailure::Unreachable,
                }
            }
            _ => ProxyFailure::Protocol,
        };
        ProxyConnectError {
            proxy,
            kind,
            source,
        }
    }

    /// The proxy's `host:port` and what went wrong.
    pub(crate) fn parts(&self) -> (String, ProxyFailure) {
        (self.proxy.clone(), self.kind.clone())
    }
}

impl fmt::Display for ProxyConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CONNECT through the proxy {} failed", self.proxy)
    }
}

impl std::error::Error for ProxyConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The first [`ProxyConnectError`] in `err`'s chain.
pub(crate) fn proxy_error_in_chain<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a ProxyConnectError> {
    find_in_chain(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn parses_urls_and_credentials() {
        let proxy = Proxy::new("proxy.example:3128").unwrap();
        assert_eq!(
            proxy.proxy_for(&uri("https://api.example/")).unwrap(),
            uri("http://proxy.example:3128/")
        );
        let proxy = Proxy::new("https://us%40r:p%3Ass@proxy.example").unwrap();
        assert!(proxy.has_credentials());
        let route = proxy.route();
        let endpoint = route.endpoint_for(&uri("https://api.example/")).unwrap();
        assert_eq!(endpoint.authority, "proxy.example:443");
        use base64::Engine as _;
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("us@r:p:ss")
        );
        assert_eq!(endpoint.auth.as_ref().unwrap(), expected.as_str());
        assert!(endpoint.auth.as_ref().unwrap().is_sensitive());
        // An unencoded `/` in the password stays in the password.
        let proxy = Proxy::new("http://user:pw/x@proxy.example:1").unwrap();
        assert_eq!(
            proxy.proxy_for(&uri("https://api.example/")).unwrap(),
            uri("http://proxy.example:1/")
        );
        assert!(!format!("{proxy:?}").contains("pw/x"));
        let bracketed = with_port(&uri("https://[::1]/")).unwrap();
        assert_eq!(bracketed.authority().unwrap().as_str(), "[::1]:443");
        let plain = with_port(&uri("http://localhost/x")).unwrap();
        assert_eq!(plain.authority().unwrap().as_str(), "localhost:80");
        for bad in [
            "socks5://p:1080",
            "http://",
            "http://user:pw@",
            "http://user:pw/x@",
            "http://proxy.example:port",
        ] {
            let err = Proxy::new(bad).unwrap_err();
            assert!(
                matches!(err, TransportError::ProxyConfig { .. }),
                "{bad}: {err:?}"
            );
            assert!(!err.to_string().contains("pw"), "{err}");
        }
    }

    #[test]
    fn loopback_and_no_proxy() {
        let proxy = Proxy::new("http://proxy.example:3128")
            .unwrap()
            .bypass("example.com, 10.0.0.0/8");
        for direct in [
            "https://127.0.0.1:8443/",
            "https://[::1]/",
            "http://localhost:1/",
            "https://example.com/",
            "https://api.example.com/",
            "https://10.1.2.3/",
        ] {
            assert!(proxy.proxy_for(&uri(direct)).is_none(), "{direct}");
        }
        for proxied in ["https://notexample.com/", "https://api.mypurecloud.com/"] {
            assert!(proxy.proxy_for(&uri(proxied)).is_some(), "{proxied}");
        }
        let proxy = proxy.proxy_loopback(true);
        assert!(proxy.proxy_for(&uri("https://127.0.0.1:8443/")).is_some());
        let everything = Proxy::new("http://p:1").unwrap().bypass("*");
        assert!(everything.proxy_for(&uri("https://a.b/")).is_none());
    }

    #[test]
    fn environment_order() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert!(Proxy::from_lookup(env(&[("NO_PROXY", "x")])).is_none());
        let proxy = Proxy::from_lookup(env(&[
            ("https_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://upper:1"),
            ("ALL_PROXY", "http://all:1"),
        ]))
        .unwrap();
        assert_eq!(
            proxy.proxy_for(&uri("https://a.example/")).unwrap(),
            uri("http://upper:1/")
        );
        assert_eq!(
            proxy.proxy_for(&uri("http://a.example/")).unwrap(),
            uri("http://all:1/")
        );
        let proxy = Proxy::from_lookup(env(&[
            ("HTTPS_PROXY", ""),
            ("https_proxy", "socks5://nope:1"),
            ("all_proxy", "http://all:2"),
        ]))
        .unwrap();
        assert_eq!(
            proxy.proxy_for(&uri("https://a.example/")).unwrap(),
            uri("http://all:2/")
        );
    }

    #[test]
    fn password_never_in_debug() {
        let sentinel = "SENTINEL-PROXY-PASSWORD-4711";
        let proxy = Proxy::new(&format!("http://user:{sentinel}@proxy.example:3128"))
            .unwrap()
            .basic_auth("other", sentinel.to_owned());
        let route = proxy.route();
        let text = format!(
            "{proxy:?} {proxy:#?} {:?}",
            route.https.as_ref().unwrap().auth
        );
        assert!(!text.contains(sentinel), "{text}");
        assert!(text.contains("redacted"), "{text}");
    }
}
