//! The network settings of a run: company CAs, a client certificate and a
//! proxy from the flags, else the `gc` profile's proxy, else the proxy
//! environment variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
//! `NO_PROXY`). One HTTP client carries them to every connection of the
//! run: logins, token introspection, API calls and the notification socket.

use std::path::PathBuf;

use clap::Args;
use genesys_auth::{AuthConfig, Environment, Introspector, TokenEndpoint};
use genesys_cloud::transport::{HyperClient, SharedHttpClient};
use genesys_cloud::{ClientBuilder, ClientIdentity, ConnectionSettings, Proxy};

/// Flags for corporate networks (see `docs/proxy.md` and `docs/tls.md`).
#[derive(Args, Debug, Default, Clone)]
pub struct NetworkArgs {
    /// A PEM file of CA certificates to trust besides the built-in roots,
    /// e.g. your company's TLS-inspecting proxy's CA (repeatable).
    #[arg(long = "ca-cert", global = true, value_name = "PEM")]
    pub ca_certs: Vec<PathBuf>,
    /// A PEM certificate chain to present for mutual TLS (with --client-key).
    #[arg(long, global = true, value_name = "PEM")]
    pub client_cert: Option<PathBuf>,
    /// The PEM private key of --client-cert.
    #[arg(long, global = true, value_name = "PEM")]
    pub client_key: Option<PathBuf>,
    /// The HTTP proxy for every connection (`http://host:port`,
    /// `https://host:port`, credentials as `http://user:pass@host:port`);
    /// wins over the gc profile's proxy and HTTPS_PROXY/HTTP_PROXY/ALL_PROXY
    /// (NO_PROXY still exempts hosts only when the variables are used).
    #[arg(long, global = true, value_name = "URL")]
    pub proxy: Option<String>,
    /// Connect directly: ignore the proxy variables and the gc profile's proxy.
    #[arg(long, global = true)]
    pub no_proxy: bool,
}

/// The connection settings of the run and the HTTP client built from them.
#[derive(Debug, Clone)]
pub struct Network {
    settings: ConnectionSettings,
    http: SharedHttpClient,
}

impl Network {
    /// The settings the flags ask for; without a proxy flag, the `gc`
    /// profile's proxy (of `profile`, when it names one), else the
    /// environment's.
    pub fn new(args: &NetworkArgs, profile: Option<&AuthConfig>) -> Result<Network, String> {
        let settings = settings(args, profile)?;
        let client = HyperClient::builder()
            .connection_settings(settings.clone())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Network {
            settings,
            http: SharedHttpClient::new(client),
        })
    }

    /// The shared HTTP client.
    pub fn http(&self) -> SharedHttpClient {
        self.http.clone()
    }

    /// A client builder with this network's HTTP client and settings.
    pub fn client(&self) -> ClientBuilder {
        genesys_cloud::Client::builder()
            .http_client(self.http())
            .connection_settings(self.settings.clone())
    }

    /// The token endpoint of `environment`, through this network.
    pub fn token_endpoint(&self, environment: &Environment) -> Result<TokenEndpoint, String> {
        TokenEndpoint::builder()
            .environment(environment.clone())
            .shared_http_client(self.http())
            .build()
            .map_err(|e| e.to_string())
    }

    /// Token introspection against `environment`, through this network.
    pub fn introspector(&self, environment: &Environment) -> Result<Introspector, String> {
        Introspector::with_http_client(environment.clone(), self.http()).map_err(|e| e.to_string())
    }
}

fn settings(
    args: &NetworkArgs,
    profile: Option<&AuthConfig>,
) -> Result<ConnectionSettings, String> {
    let mut settings = ConnectionSettings::new();
    for path in &args.ca_certs {
        settings = settings.add_root_certificate_pem_file(path);
    }
    match (&args.client_cert, &args.client_key) {
        (Some(cert), Some(key)) => {
            settings = settings.client_identity(ClientIdentity::from_pem_files(cert, key));
        }
        (None, None) => {}
        _ => return Err("--client-cert and --client-key go together".into()),
    }
    settings = match (&args.proxy, args.no_proxy) {
        (Some(_), true) => return Err("--proxy and --no-proxy exclude each other".into()),
        (Some(url), false) => settings.proxy(Proxy::new(url).map_err(|e| format!("--proxy: {e}"))?),
        (None, true) => settings.no_proxy(),
        (None, false) => match profile.and_then(AuthConfig::proxy) {
            Some(proxy) => settings.proxy(
                proxy
                    .to_proxy()
                    .map_err(|e| format!("the gc profile's proxy: {e}"))?,
            ),
            None => settings,
        },
    };
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(proxy: Option<&str>, no_proxy: bool) -> NetworkArgs {
        NetworkArgs {
            proxy: proxy.map(str::to_owned),
            no_proxy,
            ..NetworkArgs::default()
        }
    }

    fn profile_with_proxy() -> AuthConfig {
        AuthConfig::from_gc_toml(
            "[DEFAULT]\nproxy_host = \"profile.example\"\nproxy_port = 3128\n",
            "DEFAULT",
        )
        .unwrap()
    }

    fn proxy_for_api(settings: &ConnectionSettings) -> Option<String> {
        let api: http::Uri = "https://api.mypurecloud.ie/".parse().unwrap();
        settings
            .resolved_proxy()
            .and_then(|p| p.proxy_for(&api).map(|u| u.to_string()))
    }

    #[test]
    fn the_flag_wins_over_the_profile_and_no_proxy_over_both() {
        let profile = profile_with_proxy();
        let flag = settings(
            &args(Some("http://flag.example:8080"), false),
            Some(&profile),
        )
        .unwrap();
        assert_eq!(
            proxy_for_api(&flag).as_deref(),
            Some("http://flag.example:8080/")
        );
        let from_profile = settings(&args(None, false), Some(&profile)).unwrap();
        assert_eq!(
            proxy_for_api(&from_profile).as_deref(),
            Some("http://profile.example:3128/")
        );
        let direct = settings(&args(None, true), Some(&profile)).unwrap();
        assert!(direct.resolved_proxy().is_none());
        assert!(!direct.uses_environment_proxy());
        let environment = settings(&args(None, false), None).unwrap();
        assert!(environment.uses_environment_proxy());
    }

    #[test]
    fn contradictions_are_refused() {
        let both = settings(&args(Some("http://p.example:1"), true), None).unwrap_err();
        assert!(both.contains("--no-proxy"), "{both}");
        let half = NetworkArgs {
            client_cert: Some("cert.pem".into()),
            ..NetworkArgs::default()
        };
        assert!(settings(&half, None).unwrap_err().contains("--client-key"));
        let bad = settings(&args(Some("socks5://p.example:1"), false), None).unwrap_err();
        assert!(bad.starts_with("--proxy:"), "{bad}");
    }

    #[test]
    fn a_missing_ca_file_is_named_when_the_client_is_built() {
        let args = NetworkArgs {
            ca_certs: vec!["/nonexistent/company-ca.pem".into()],
            ..NetworkArgs::default()
        };
        let err = Network::new(&args, None).unwrap_err();
        assert!(err.contains("company-ca.pem"), "{err}");
    }
}
