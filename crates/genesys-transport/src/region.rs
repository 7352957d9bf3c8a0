//! Regions, environments and base URLs.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use http::Uri;
use http::uri::{Authority, PathAndQuery, Scheme};

use crate::error::TransportError;

macro_rules! regions {
    ($( $(#[$doc:meta])* $variant:ident => $sdk:literal, $key:literal, $domain:literal; )*) => {
        /// A Genesys Cloud region, as shipped by the official SDKs.
        ///
        /// The API host is `https://api.<domain>` and the login host is
        /// `https://login.<domain>`.
        ///
        /// ```
        /// use genesys_transport::Region;
        ///
        /// let region: Region = "eu-west-1".parse().unwrap();
        /// assert_eq!(region, Region::EuWest1);
        /// assert_eq!(region.domain(), "mypurecloud.ie");
        /// assert_eq!(region.api_base_url().as_str(), "https://api.mypurecloud.ie");
        /// assert_eq!(region.login_base_url().as_str(), "https://login.mypurecloud.ie");
        /// assert_eq!("me_central_1".parse::<Region>().unwrap(), Region::MeCentral1);
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        #[non_exhaustive]
        pub enum Region {
            $( $(#[$doc])* $variant, )*
        }

        impl Region {
            /// Every region, in the order the SDKs list them.
            pub const ALL: &'static [Region] = &[ $( Region::$variant, )* ];

            /// The region's domain, e.g. `mypurecloud.com`.
            pub const fn domain(self) -> &'static str {
                match self { $( Region::$variant => $domain, )* }
            }

            /// The region's key with hyphens, e.g. `us-east-1`.
            pub const fn key(self) -> &'static str {
                match self { $( Region::$variant => $key, )* }
            }

            /// The enum name the Python, JS and Go SDKs use, e.g. `us_east_1`.
            pub const fn sdk_name(self) -> &'static str {
                match self { $( Region::$variant => $sdk, )* }
            }
        }
    };
}

regions! {
    /// `mypurecloud.com` (the default).
    #[default]
    UsEast1 => "us_east_1", "us-east-1", "mypurecloud.com";
    /// `mypurecloud.ie`.
    EuWest1 => "eu_west_1", "eu-west-1", "mypurecloud.ie";
    /// `mypurecloud.com.au`.
    ApSoutheast2 => "ap_southeast_2", "ap-southeast-2", "mypurecloud.com.au";
    /// `mypurecloud.jp`.
    ApNortheast1 => "ap_northeast_1", "ap-northeast-1", "mypurecloud.jp";
    /// `mypurecloud.de`.
    EuCentral1 => "eu_central_1", "eu-central-1", "mypurecloud.de";
    /// `usw2.pure.cloud`.
    UsWest2 => "us_west_2", "us-west-2", "usw2.pure.cloud";
    /// `cac1.pure.cloud`.
    CaCentral1 => "ca_central_1", "ca-central-1", "cac1.pure.cloud";
    /// `apne2.pure.cloud`.
    ApNortheast2 => "ap_northeast_2", "ap-northeast-2", "apne2.pure.cloud";
    /// `euw2.pure.cloud`.
    EuWest2 => "eu_west_2", "eu-west-2", "euw2.pure.cloud";
    /// `aps1.pure.cloud`.
    ApSouth1 => "ap_south_1", "ap-south-1", "aps1.pure.cloud";
    /// `use2.us-gov-pure.cloud` (US government).
    UsEast2 => "us_east_2", "us-east-2", "use2.us-gov-pure.cloud";
    /// `sae1.pure.cloud`.
    SaEast1 => "sa_east_1", "sa-east-1", "sae1.pure.cloud";
    /// `mec1.pure.cloud`.
    MeCentral1 => "me_central_1", "me-central-1", "mec1.pure.cloud";
    /// `apne3.pure.cloud`.
    ApNortheast3 => "ap_northeast_3", "ap-northeast-3", "apne3.pure.cloud";
    /// `euc2.pure.cloud`.
    EuCentral2 => "eu_central_2", "eu-central-2", "euc2.pure.cloud";
    /// `mxc1.pure.cloud`.
    MxCentral1 => "mx_central_1", "mx-central-1", "mxc1.pure.cloud";
    /// `apse1.pure.cloud`.
    ApSoutheast1 => "ap_southeast_1", "ap-southeast-1", "apse1.pure.cloud";
    /// `edee1.eusc-pure.cloud` (EU sovereign cloud).
    EuscDeEast1 => "eusc_de_east_1", "eusc-de-east-1", "edee1.eusc-pure.cloud";
}

impl Region {
    /// `https://api.<domain>`.
    pub fn api_base_url(self) -> BaseUrl {
        BaseUrl::https(&format!("api.{}", self.domain()))
    }

    /// `https://login.<domain>`.
    pub fn login_base_url(self) -> BaseUrl {
        BaseUrl::https(&format!("login.{}", self.domain()))
    }

    /// The region whose domain is `domain` (case-insensitive), if any.
    ///
    /// ```
    /// use genesys_transport::Region;
    /// assert_eq!(Region::from_domain("USW2.pure.cloud"), Some(Region::UsWest2));
    /// ```
    pub fn from_domain(domain: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|r| r.domain().eq_ignore_ascii_case(domain))
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The error from parsing an unknown region name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Genesys Cloud region `{0}` (expected a key such as `us-east-1` or `eu_west_1`)")]
pub struct UnknownRegion(String);

impl FromStr for Region {
    type Err = UnknownRegion;

    /// Accepts the hyphenated key (`us-east-1`) or the SDK enum name
    /// (`us_east_1`), in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().replace('_', "-").to_ascii_lowercase();
        Self::ALL
            .iter()
            .copied()
            .find(|r| r.key() == wanted)
            .ok_or_else(|| UnknownRegion(s.to_owned()))
    }
}

/// True when `host` is a loopback address (`127.0.0.0/8`, `::1`,
/// IPv4-mapped loopback) or `localhost`.
///
/// ```
/// use genesys_transport::is_loopback_host;
///
/// assert!(is_loopback_host("127.0.0.1"));
/// assert!(is_loopback_host("[::1]"));
/// assert!(is_loopback_host("localhost"));
/// assert!(!is_loopback_host("10.0.0.1"));
/// assert!(!is_loopback_host("api.mypurecloud.com"));
/// assert!(!is_loopback_host("127.0.0.1.example.com"));
/// ```
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

/// An absolute base URL (`scheme://authority[/prefix]`) that request paths
/// are appended to.
///
/// Only `https` is accepted, except for loopback hosts (such as a local
/// emulator), which may use plain `http`. An optional path prefix (for a
/// gateway) is kept and put in front of every request path.
///
/// ```
/// use genesys_transport::BaseUrl;
///
/// let base = BaseUrl::parse("http://127.0.0.1:8080").unwrap();
/// assert!(base.is_loopback());
/// assert_eq!(
///     base.join("/api/v2/users/me?expand=presence").unwrap().to_string(),
///     "http://127.0.0.1:8080/api/v2/users/me?expand=presence"
/// );
///
/// let gateway = BaseUrl::parse("https://gw.example.com/genesys/").unwrap();
/// assert_eq!(gateway.join("/api/v2/users").unwrap().to_string(), "https://gw.example.com/genesys/api/v2/users");
///
/// assert!(BaseUrl::parse("http://api.mypurecloud.com").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl {
    scheme: Scheme,
    authority: Authority,
    prefix: String,
    text: String,
}

impl BaseUrl {
    fn https(host: &str) -> Self {
        // Only called with the static region table, which holds valid hosts.
        match Self::parse(&format!("https://{host}")) {
            Ok(url) => url,
            Err(e) => unreachable!("region table holds an invalid host {host}: {e}"),
        }
    }

    /// Parses and checks a base URL. Query strings and fragments are
    /// refused; a trailing `/` is removed.
    pub fn parse(url: &str) -> Result<Self, TransportError> {
        let invalid = |reason: String| TransportError::InvalidUrl { reason };
        let uri: Uri = url
            .trim()
            .parse()
            .map_err(|e| invalid(format!("`{url}` is not a URL: {e}")))?;
        let scheme = uri
            .scheme()
            .cloned()
            .ok_or_else(|| invalid(format!("`{url}` has no scheme (expected https://...)")))?;
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| invalid(format!("`{url}` has no host")))?;
        if authority.as_str().contains('@') {
            return Err(invalid(
                "credentials in the base URL are not allowed".into(),
            ));
        }
        if authority.host().is_empty() {
            return Err(invalid(format!("`{url}` has no host")));
        }
        if uri.query().is_some() || url.contains('#') {
            return Err(invalid(format!(
                "`{url}` must not have a query or fragment"
            )));
        }
        if scheme == Scheme::HTTP {
            if !is_loopback_host(authority.host()) {
                return Err(TransportError::InsecureScheme {
                    host: authority.host().to_owned(),
                });
            }
        } else if scheme != Scheme::HTTPS {
            return Err(invalid(format!(
                "unsupported scheme `{scheme}` (expected https)"
            )));
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        let text = format!("{scheme}://{authority}{prefix}");
        Ok(Self {
            scheme,
            authority,
            prefix,
            text,
        })
    }

    /// The URL as text, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The host as written in the URL (IPv6 literals keep their brackets).
    pub fn host(&self) -> &str {
        self.authority.host()
    }

    /// The scheme (`https`, or `http` for loopback hosts).
    pub fn scheme(&self) -> &str {
        self.scheme.as_str()
    }

    /// True when the host is a loopback address or `localhost`.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(self.authority.host())
    }

    /// Appends a path (and query), which must start with `/`.
    pub fn join(&self, path_and_query: &str) -> Result<Uri, TransportError> {
        self.join_with(path_and_query.to_owned(), Some(path_and_query))
    }

    /// [`join`](Self::join) for a path the caller no longer needs: without
    /// a gateway prefix its buffer becomes the URI's, with no copy. An error
    /// does not quote the path (the transport's errors name its template).
    pub(crate) fn join_owned(&self, path_and_query: String) -> Result<Uri, TransportError> {
        self.join_with(path_and_query, None)
    }

    /// `shown`: the path an error quotes, if any.
    fn join_with(
        &self,
        path_and_query: String,
        shown: Option<&str>,
    ) -> Result<Uri, TransportError> {
        if !path_and_query.starts_with('/') {
            return Err(TransportError::InvalidUrl {
                reason: format!("request path `{path_and_query}` must start with `/`"),
            });
        }
        let joined = if self.prefix.is_empty() {
            path_and_query
        } else {
            format!("{}{}", self.prefix, path_and_query)
        };
        // Parsed from the owned buffer, which the URI keeps (no copy).
        let pq = PathAndQuery::try_from(joined).map_err(|e| TransportError::InvalidUrl {
            reason: match shown {
                Some(path) => format!("request path `{path}` is invalid: {e}"),
                None => format!("the request path is invalid: {e}"),
            },
        })?;
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(pq)
            .build()
            .map_err(|e| TransportError::InvalidUrl {
                reason: e.to_string(),
            })
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({})", self.text)
    }
}

impl FromStr for BaseUrl {
    type Err = TransportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Where to send API and login requests: a region, a custom domain, or
/// explicit base URLs (e.g. a local emulator that serves both).
///
/// ```
/// use genesys_transport::{Environment, Region};
///
/// let env: Environment = "eu-central-1".parse().unwrap();
/// assert_eq!(env.api_base_url().as_str(), "https://api.mypurecloud.de");
///
/// let env: Environment = "https://api.mypurecloud.com.au/".parse().unwrap();
/// assert_eq!(env.region(), Some(Region::ApSoutheast2));
/// assert_eq!(env.login_base_url().as_str(), "https://login.mypurecloud.com.au");
///
/// let emu: Environment = "http://127.0.0.1:9000".parse().unwrap();
/// assert_eq!(emu.api_base_url(), emu.login_base_url());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    region: Option<Region>,
    api: BaseUrl,
    login: BaseUrl,
}

impl Environment {
    /// A region's environment.
    pub fn from_region(region: Region) -> Self {
        Self {
            region: Some(region),
            api: region.api_base_url(),
            login: region.login_base_url(),
        }
    }

    /// A domain such as `mypurecloud.ie`. Like the JS SDK, a trailing `/`,
    /// an `https://` prefix and a leading `api.` are removed first.
    pub fn from_domain(domain: &str) -> Result<Self, TransportError> {
        let mut d = domain.trim().trim_end_matches('/');
        for prefix in ["https://", "http://"] {
            if d.get(..prefix.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
            {
                d = &d[prefix.len()..];
            }
        }
        if d.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("api.")) {
            d = &d[4..];
        }
        if d.is_empty() || d.contains('/') || d.contains('@') {
            return Err(TransportError::InvalidUrl {
                reason: format!("`{domain}` is not a domain"),
            });
        }
        if let Some(region) = Region::from_domain(d) {
            return Ok(Self::from_region(region));
        }
        Ok(Self {
            region: None,
            api: BaseUrl::parse(&format!("https://api.{d}"))?,
            login: BaseUrl::parse(&format!("https://login.{d}"))?,
        })
    }

    /// Explicit API and login base URLs.
    pub fn custom(api: BaseUrl, login: BaseUrl) -> Self {
        Self {
            region: None,
            api,
            login,
        }
    }

    /// One base URL serving both the API and the login endpoints, such as a
    /// local emulator.
    pub fn single(base: BaseUrl) -> Self {
        Self {
            region: None,
            login: base.clone(),
            api: base,
        }
    }

    /// The region, when this environment is one.
    pub fn region(&self) -> Option<Region> {
        self.region
    }

    /// The API base URL.
    pub fn api_base_url(&self) -> &BaseUrl {
        &self.api
    }

    /// The login (OAuth) base URL.
    pub fn login_base_url(&self) -> &BaseUrl {
        &self.login
    }
}

impl Default for Environment {
    fn default() -> Self {
        Self::from_region(Region::default())
    }
}

impl From<Region> for Environment {
    fn from(region: Region) -> Self {
        Self::from_region(region)
    }
}

impl FromStr for Environment {
    type Err = TransportError;

    /// Accepts a region key (`us-east-1`, `us_east_1`), a domain
    /// (`mypurecloud.ie`, `api.mypurecloud.ie`), an `https://api.<domain>`
    /// URL, or a loopback `http://` URL (used for API and login alike).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Ok(region) = s.parse::<Region>() {
            return Ok(Self::from_region(region));
        }
        let lower = s.to_ascii_lowercase();
        // `localhost[:port]`, like the gc CLI.
        if lower == "localhost" || lower.starts_with("localhost:") {
            return Ok(Self::single(BaseUrl::parse(&format!("http://{s}"))?));
        }
        if lower.starts_with("http://") {
            return Ok(Self::single(BaseUrl::parse(s)?));
        }
        let bare = lower.trim_start_matches("https://");
        if bare.starts_with("api.")
            || !bare.contains(':') && bare.contains('.') && !bare.contains('/')
        {
            return Self::from_domain(s);
        }
        if lower.starts_with("https://") {
            return Ok(Self::single(BaseUrl::parse(s)?));
        }
        Err(TransportError::InvalidUrl {
            reason: format!("`{s}` is neither a region key, a domain nor a URL"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_that_is_not_a_uri_path_is_refused_naming_it() {
        let base = BaseUrl::parse("https://api.mypurecloud.com").unwrap();
        let uri = base.join("/api/v2/users?pageSize=5").unwrap();
        assert_eq!(
            uri.to_string(),
            "https://api.mypurecloud.com/api/v2/users?pageSize=5"
        );
        let err = base.join("/api/v2/a b").unwrap_err().to_string();
        assert!(err.contains("`/api/v2/a b` is invalid"), "{err}");
        let err = base.join("api/v2").unwrap_err().to_string();
        assert!(err.contains("must start with `/`"), "{err}");
    }

    #[test]
    fn table_matches_the_sdks() {
        let expected = [
            ("us-east-1", "us_east_1", "mypurecloud.com"),
            ("eu-west-1", "eu_west_1", "mypurecloud.ie"),
            ("ap-southeast-2", "ap_southeast_2", "mypurecloud.com.au"),
            ("ap-northeast-1", "ap_northeast_1", "mypurecloud.jp"),
            ("eu-central-1", "eu_central_1", "mypurecloud.de"),
            ("us-west-2", "us_west_2", "usw2.pure.cloud"),
            ("ca-central-1", "ca_central_1", "cac1.pure.cloud"),
            ("ap-northeast-2", "ap_northeast_2", "apne2.pure.cloud"),
            ("eu-west-2", "eu_west_2", "euw2.pure.cloud"),
            ("ap-south-1", "ap_south_1", "aps1.pure.cloud"),
            ("us-east-2", "us_east_2", "use2.us-gov-pure.cloud"),
            ("sa-east-1", "sa_east_1", "sae1.pure.cloud"),
            ("me-central-1", "me_central_1", "mec1.pure.cloud"),
            ("ap-northeast-3", "ap_northeast_3", "apne3.pure.cloud"),
            ("eu-central-2", "eu_central_2", "euc2.pure.cloud"),
            ("mx-central-1", "mx_central_1", "mxc1.pure.cloud"),
            ("ap-southeast-1", "ap_southeast_1", "apse1.pure.cloud"),
            ("eusc-de-east-1", "eusc_de_east_1", "edee1.eusc-pure.cloud"),
        ];
        assert_eq!(Region::ALL.len(), expected.len());
        for (region, (key, sdk, domain)) in Region::ALL.iter().zip(expected) {
            assert_eq!(region.key(), key);
            assert_eq!(region.sdk_name(), sdk);
            assert_eq!(region.domain(), domain);
            assert_eq!(
                region.api_base_url().as_str(),
                format!("https://api.{domain}")
            );
            assert_eq!(
                region.login_base_url().as_str(),
                format!("https://login.{domain}")
            );
            assert_eq!(key.parse::<Region>().unwrap(), *region);
            assert_eq!(sdk.parse::<Region>().unwrap(), *region);
            assert_eq!(key.to_uppercase().parse::<Region>().unwrap(), *region);
            assert_eq!(Region::from_domain(domain), Some(*region));
            assert_eq!(region.to_string(), key);
        }
        assert_eq!(Region::default(), Region::UsEast1);
        assert!("mars-north-1".parse::<Region>().is_err());
    }

    #[test]
    fn loopback_detection() {
        for host in [
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "localhost",
            "LOCALHOST",
            "[::ffff:127.0.0.1]",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "10.0.0.1",
            "192.168.1.1",
            "0.0.0.0",
            "[::]",
            "example.com",
            "localhost.example.com",
            "127.0.0.1.nip.io",
            "api.mypurecloud.com",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn base_url_rules() {
        assert!(BaseUrl::parse("https://api.mypurecloud.com").is_ok());
        assert!(BaseUrl::parse("http://127.0.0.1:1234").is_ok());
        assert!(BaseUrl::parse("http://localhost:1234/").is_ok());
        assert!(BaseUrl::parse("http://[::1]:1234").is_ok());
        assert!(matches!(
            BaseUrl::parse("http://api.mypurecloud.com"),
            Err(TransportError::InsecureScheme { host }) if host == "api.mypurecloud.com"
        ));
        assert!(matches!(
            BaseUrl::parse("http://10.1.2.3"),
            Err(TransportError::InsecureScheme { .. })
        ));
        assert!(matches!(
            BaseUrl::parse("ftp://x.com"),
            Err(TransportError::InvalidUrl { .. })
        ));
        assert!(matches!(
            BaseUrl::parse("api.mypurecloud.com"),
            Err(TransportError::InvalidUrl { .. })
        ));
        assert!(matches!(
            BaseUrl::parse("https://x.com/?a=b"),
            Err(TransportError::InvalidUrl { .. })
        ));
        assert!(matches!(
            BaseUrl::parse("https://u:p@x.com"),
            Err(TransportError::InvalidUrl { .. })
        ));
        let b = BaseUrl::parse("https://x.com/").unwrap();
        assert_eq!(b.as_str(), "https://x.com");
        assert!(b.join("api/v2").is_err());
        assert!(b.join("/api v2").is_err());
        assert_eq!(b.join("/a?b=c").unwrap().to_string(), "https://x.com/a?b=c");
    }

    #[test]
    fn environments() {
        let env: Environment = "mypurecloud.ie".parse().unwrap();
        assert_eq!(env.region(), Some(Region::EuWest1));
        let env: Environment = "api.example.org".parse().unwrap();
        assert_eq!(env.region(), None);
        assert_eq!(env.api_base_url().as_str(), "https://api.example.org");
        assert_eq!(env.login_base_url().as_str(), "https://login.example.org");
        let env: Environment = "HTTPS://api.usw2.pure.cloud/".parse().unwrap();
        assert_eq!(env.region(), Some(Region::UsWest2));
        let env: Environment = "http://localhost:8080".parse().unwrap();
        assert_eq!(env.api_base_url().as_str(), "http://localhost:8080");
        assert!("http://example.org".parse::<Environment>().is_err());
        assert!("nonsense".parse::<Environment>().is_err());
        // Multi-byte input must not panic on the prefix checks.
        assert!(Environment::from_domain("ééééé").is_err());
        assert!("日本語ドメイン".parse::<Environment>().is_err());
        let env: Environment = "localhost:9999".parse().unwrap();
        assert_eq!(env.api_base_url().as_str(), "http://localhost:9999");
        assert_eq!(Environment::default().region(), Some(Region::UsEast1));
    }
}
