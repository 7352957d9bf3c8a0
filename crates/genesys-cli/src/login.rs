//! `genesys login` and `genesys logout`: a user-context token by the
//! authorization-code grant with PKCE (S256), through a redirect to a
//! loopback port; kept in the login store (see [`crate::store`]) and
//! refreshed, with rotation, by the refresh-token grant.
//!
//! The embedded emulator lives only inside one process, so a login to it
//! cannot outlive the process that made it. Its stored login therefore
//! keeps no token: it records that the user chose the embedded emulator's
//! demo user, and every later command starts the embedded emulator again
//! and runs the same PKCE login in-process (the emulator auto-approves, and
//! `genesys` plays the browser by following the redirect itself).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use clap::Args;
use genesys_auth::{
    AccessToken, AuthError, AuthorizationRequest, BaseUrl, Environment, Pkce, Principal,
    RefreshToken, TokenSource, TokenSourceExt as _, async_trait,
};
use genesys_emulator::{Emulator, EmulatorConfig, seed};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::network::Network;
use crate::store::{self, LoginKind, StoredLogin};
use crate::{Connection, Target};

/// The path of the loopback redirect URI: `http://127.0.0.1:PORT/callback`.
pub const CALLBACK_PATH: &str = "/callback";

/// How long one browser connection may take to send its request.
const REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of a request's head the listener reads.
const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// `genesys login`'s options.
#[derive(Args, Debug)]
pub struct LoginArgs {
    /// The loopback port for the redirect (default: a free one). The redirect
    /// URI `http://127.0.0.1:PORT/callback` must be one the OAuth client is
    /// configured with, so give the port of the registered URI.
    #[arg(long)]
    pub port: Option<u16>,
    /// Only print the authorize URL; do not try to open a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// How long to wait for the browser to come back, in seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
}

/// How the authorize URL reaches a browser.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Browser {
    /// Print it and try to open the system browser.
    Open,
    /// Print it only.
    Print,
    /// Follow it here (the embedded emulator auto-approves): print nothing.
    Follow,
}

/// A user logged in by PKCE.
struct Session {
    source: RefreshToken,
    token: AccessToken,
    user_id: String,
    user_name: Option<String>,
}

/// The loopback listener the browser is redirected to.
struct Loopback {
    listener: TcpListener,
    redirect_uri: String,
}

impl Loopback {
    async fn bind(port: Option<u16>) -> Result<Self, String> {
        let listener = TcpListener::bind(("127.0.0.1", port.unwrap_or(0)))
            .await
            .map_err(|e| match port {
                Some(p) => format!("cannot listen on 127.0.0.1:{p} for the login redirect: {e}"),
                None => format!("cannot listen on 127.0.0.1 for the login redirect: {e}"),
            })?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        Ok(Self {
            listener,
            redirect_uri: format!("http://127.0.0.1:{port}{CALLBACK_PATH}"),
        })
    }

    /// Waits for the redirect to [`CALLBACK_PATH`], answers the browser and
    /// returns the authorization code once `state` checked out. Other
    /// requests (e.g. `/favicon.ico`) get a 404 and the wait goes on.
    async fn wait(
        &self,
        request: &AuthorizationRequest,
        timeout: Duration,
    ) -> Result<SecretString, String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let accepted = tokio::time::timeout_at(deadline, self.listener.accept()).await;
            let (stream, _) = match accepted {
                Err(_) => {
                    return Err(format!(
                        "no login redirect reached {} within {}s; nothing was stored. If the \
                         browser showed an error about `redirect_uri`, the OAuth client must be \
                         configured with this redirect URI: pick its port with --port",
                        self.redirect_uri,
                        timeout.as_secs()
                    ));
                }
                Ok(Err(e)) => return Err(format!("the login redirect listener failed: {e}")),
                Ok(Ok(accepted)) => accepted,
            };
            if let Some(result) = answer(stream, request).await {
                return result;
            }
        }
    }
}

/// Reads one request; `None` unless it is the redirect.
async fn answer(
    mut stream: TcpStream,
    request: &AuthorizationRequest,
) -> Option<Result<SecretString, String>> {
    let mut head = Vec::new();
    let read = tokio::time::timeout(REQUEST_READ_TIMEOUT, async {
        let mut buf = [0u8; 2048];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST_HEAD {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
    if !matches!(read, Ok(Ok(()))) {
        return None;
    }
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split(['?', '#']).next().unwrap_or("");
    if method != "GET" || path != CALLBACK_PATH {
        respond(&mut stream, "404 Not Found", "Not found.").await;
        return None;
    }
    let result = request.code_from_redirect(target).map_err(|e| match e {
        AuthError::Redirect { .. } => format!(
            "login failed: {e} (a stale or forged redirect, or one from another login); \
             nothing was stored"
        ),
        other if other.to_string().contains("redirect_uri") => format!(
            "login failed: the login service answered {other}; the OAuth client must be \
             configured with the redirect URI of this login (choose its port with --port); \
             nothing was stored"
        ),
        other => format!("login failed: the login service answered {other}; nothing was stored"),
    });
    match &result {
        Ok(_) => {
            respond(
                &mut stream,
                "200 OK",
                "You are logged in to the genesys command line. You may close this window.",
            )
            .await;
        }
        Err(message) => {
            respond(
                &mut stream,
                "400 Bad Request",
                &format!("{message}. You may close this window."),
            )
            .await;
        }
    }
    Some(result)
}

async fn respond(stream: &mut TcpStream, status: &str, text: &str) {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>genesys login</title></head>\
         <body><p>{escaped}</p></body></html>"
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Runs the PKCE login against `environment` as public client `client_id`.
async fn pkce_login(
    network: &Network,
    environment: &Environment,
    client_id: &str,
    loopback: &Loopback,
    browser: Browser,
    timeout: Duration,
) -> Result<Session, String> {
    let endpoint = network.token_endpoint(environment)?;
    let pkce = Pkce::new(endpoint, client_id, loopback.redirect_uri.as_str());
    let request = pkce.authorize().build();
    match browser {
        Browser::Follow => {}
        Browser::Open | Browser::Print => {
            eprintln!(
                "To log in, open this URL in a browser (it redirects to {}, which the OAuth \
                 client must be configured with):\n  {}",
                loopback.redirect_uri,
                request.url()
            );
            if browser == Browser::Open && open_browser(request.url()) {
                eprintln!("(opened in your browser)");
            }
            eprintln!(
                "Waiting up to {}s for the browser to come back...",
                timeout.as_secs()
            );
        }
    }
    let code = if browser == Browser::Follow {
        // Follow the URL while waiting; a failure to follow ends the wait.
        let waiting = loopback.wait(&request, timeout);
        let following = follow_authorize_url(request.url());
        tokio::pin!(waiting, following);
        tokio::select! {
            code = &mut waiting => code?,
            followed = &mut following => match followed {
                Ok(()) => waiting.await?,
                Err(e) => {
                    return Err(format!(
                        "login failed: following the authorize URL: {e}; nothing was stored"
                    ));
                }
            },
        }
    } else {
        loopback.wait(&request, timeout).await?
    };
    let source = pkce.exchange(&request, code).await.map_err(|e| {
        let text = e.to_string();
        if text.contains("redirect_uri") {
            format!(
                "login failed: {text}. The redirect URI {} must be configured for OAuth client \
                 {client_id} (use --port to choose its port); nothing was stored",
                loopback.redirect_uri
            )
        } else {
            format!("login failed: exchanging the code: {text}; nothing was stored")
        }
    })?;
    let token = source
        .token()
        .await
        .map_err(|e| format!("login failed: {e}; nothing was stored"))?;
    let info = network
        .introspector(environment)?
        .introspect(&token)
        .await
        .map_err(|e| format!("login failed: asking who the token belongs to: {e}"))?;
    let Some(user_id) = info.principal.user_id().map(str::to_owned) else {
        return Err(format!(
            "login failed: the token's principal is {}, not a user; nothing was stored",
            info.principal
        ));
    };
    let token = token.with_principal(Principal::user(&user_id));
    Ok(Session {
        source,
        token,
        user_id,
        user_name: info.user_name,
    })
}

/// Plays the browser for the embedded emulator: fetches the authorize URL
/// and follows its redirect to the loopback listener.
async fn follow_authorize_url(url: &str) -> Result<(), String> {
    let (status, location) = http_get(url).await?;
    let location =
        location.ok_or_else(|| format!("the authorize URL answered {status}, not a redirect"))?;
    http_get(&location).await.map(|_| ())
}

/// A minimal `GET` of an `http://127.0.0.1:…` URL: the status and the
/// `Location` header.
async fn http_get(url: &str) -> Result<(u16, Option<String>), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// loopback URLs are followed")?;
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    if host != "127.0.0.1" && host != "localhost" {
        return Err("only loopback URLs are followed".into());
    }
    let exchange = async {
        let mut stream = TcpStream::connect(authority).await?;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| "timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&response);
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("not an HTTP response")?;
    let location = lines.take_while(|l| !l.is_empty()).find_map(|l| {
        l.split_once(':')
            .filter(|(k, _)| k.eq_ignore_ascii_case("location"))
            .map(|(_, v)| v.trim().to_owned())
    });
    Ok((status, location))
}

/// Asks the system to open `url` in a browser; whether that was started.
/// On Linux without a display there is no browser to open (and a text-mode
/// browser would take over the terminal), so it is not tried.
fn open_browser(url: &str) -> bool {
    let headless = cfg!(all(unix, not(target_os = "macos")))
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none();
    !headless && webbrowser::open(url).is_ok()
}

/// The embedded emulator's configuration for a login redirected to
/// `redirect_uri`: its user-login client is configured with that URI.
fn embedded_config(redirect_uri: &str) -> EmulatorConfig {
    let mut config = EmulatorConfig::default()
        .with_call_timings(Duration::from_millis(300), Duration::from_millis(300));
    for client in &mut config.clients {
        if client.id == seed::USER_CLIENT_ID {
            client.redirect_uris.push(redirect_uri.to_owned());
        }
    }
    config
}

/// Starts the embedded emulator and logs its demo user in by PKCE, playing
/// the browser here (the emulator auto-approves).
async fn embedded_session(
    network: &Network,
    port: Option<u16>,
    timeout: Duration,
) -> Result<(Emulator, Session, Environment), String> {
    let loopback = Loopback::bind(port).await?;
    let emulator = Emulator::start(embedded_config(&loopback.redirect_uri))
        .await
        .map_err(|e| format!("starting the embedded emulator: {e}"))?;
    let base = BaseUrl::parse(&emulator.base_url()).map_err(|e| e.to_string())?;
    let environment = Environment::single(base);
    let session = pkce_login(
        network,
        &environment,
        seed::USER_CLIENT_ID,
        &loopback,
        Browser::Follow,
        timeout,
    )
    .await?;
    Ok((emulator, session, environment))
}

/// `genesys login`.
pub async fn login(
    connection: &Connection,
    network: &Network,
    args: LoginArgs,
) -> Result<ExitCode, String> {
    let path = store::login_path(crate::profile_name(connection))?;
    let timeout = Duration::from_secs(args.timeout);
    let config = match crate::auth_config(connection) {
        Ok(config) => config,
        // A named profile may exist only in the login store.
        Err(_) if connection.profile.is_some() => crate::with_flags(
            genesys_auth::AuthConfig::from_env().map_err(|e| e.to_string())?,
            connection,
        )?,
        Err(e) => return Err(e),
    };
    let client_id = connection
        .client_id
        .clone()
        .or_else(|| config.client_id().map(str::to_owned));
    let Some(client_id) = client_id else {
        if connection.base_url.is_some() || connection.region.is_some() {
            return Err(
                "genesys login needs --client-id: the id of an OAuth client with the PKCE \
                 (authorization code) grant whose redirect URIs include \
                 http://127.0.0.1:PORT/callback"
                    .into(),
            );
        }
        return login_embedded(network, &path, args.port, timeout).await;
    };
    let environment = config.environment();
    let loopback = Loopback::bind(args.port).await?;
    let browser = if args.no_browser {
        Browser::Print
    } else {
        Browser::Open
    };
    let session = pkce_login(
        network,
        &environment,
        &client_id,
        &loopback,
        browser,
        timeout,
    )
    .await?;
    let mut login = StoredLogin::new(LoginKind::Oauth);
    login.api_base_url = Some(environment.api_base_url().to_string());
    login.login_base_url = Some(environment.login_base_url().to_string());
    login.client_id = Some(client_id);
    login.user_id = Some(session.user_id.clone());
    login.user_name = session.user_name.clone();
    login.access_token = Some(session.token.secret().clone());
    login.set_expiry(session.token.expires_at());
    login.refresh_token = session.source.refresh_token();
    store::save(&path, &login)?;
    println!(
        "Logged in as {} (user {}) at {}.",
        session.user_name.as_deref().unwrap_or("(name unknown)"),
        session.user_id,
        environment.api_base_url()
    );
    println!(
        "The token and its refresh token are stored in {} (readable only by you); \
         `genesys logout` revokes and deletes them.",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn login_embedded(
    network: &Network,
    path: &Path,
    port: Option<u16>,
    timeout: Duration,
) -> Result<ExitCode, String> {
    let (emulator, session, _) = embedded_session(network, port, timeout).await?;
    eprintln!(
        "No Genesys Cloud credentials configured: logged in to the embedded emulator at {} as \
         its demo user, by the authorization-code grant with PKCE (the emulator approves \
         automatically, so genesys followed the redirect itself).",
        emulator.base_url()
    );
    let mut login = StoredLogin::new(LoginKind::EmbeddedEmulator);
    login.client_id = Some(seed::USER_CLIENT_ID.to_owned());
    login.user_id = Some(session.user_id.clone());
    login.user_name = session.user_name.clone();
    store::save(path, &login)?;
    emulator.shutdown().await;
    println!(
        "Logged in as {} (user {}) on the embedded emulator.",
        session.user_name.as_deref().unwrap_or("(name unknown)"),
        session.user_id
    );
    println!(
        "Stored in {}. The embedded emulator forgets its tokens when this process ends, so \
         no token is kept: later commands (e.g. `genesys call +15550123`) start it again and \
         log this user in again the same way.",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `genesys logout`.
pub async fn logout(connection: &Connection, network: &Network) -> Result<ExitCode, String> {
    let path = store::login_path(crate::profile_name(connection))?;
    let Some(login) = store::load(&path)? else {
        println!("Not logged in: there is no {}.", path.display());
        return Ok(ExitCode::SUCCESS);
    };
    if login.kind == LoginKind::EmbeddedEmulator {
        store::delete(&path)?;
        println!(
            "Deleted {} (nothing to revoke: the embedded emulator's tokens ended with the \
             process that issued them).",
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (environment, source) = UserTokens::from_stored(network, login, &path)?;
    let client = network
        .client()
        .environment(&environment)
        .token_source(source.cached())
        .build()
        .map_err(|e| e.to_string())?;
    let revoked = client.tokens().delete_tokens_me().await;
    store::delete(&path)?;
    match revoked {
        Ok(_) => {
            println!(
                "Revoked the token (DELETE /api/v2/tokens/me) and deleted {}.",
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("warning: revoking the token failed: {e}");
            println!("Deleted {}.", path.display());
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The commands' [`Target`] for a stored login.
pub async fn connect_stored(
    connection: &Connection,
    network: &Network,
    login: StoredLogin,
    path: PathBuf,
) -> Result<Target, String> {
    if login.kind == LoginKind::EmbeddedEmulator {
        let (emulator, session, environment) =
            embedded_session(network, None, Duration::from_secs(30)).await?;
        eprintln!(
            "Using the stored login ({}): the embedded emulator's demo user. The embedded \
             emulator keeps no tokens between runs, so it was started again at {} and {} logged \
             in again by PKCE (auto-approved).",
            path.display(),
            emulator.base_url(),
            session.user_name.as_deref().unwrap_or(&session.user_id)
        );
        let source = UserTokens {
            inner: session.source,
            user_id: Some(session.user_id),
            persisted: None,
        }
        .cached();
        let client = network
            .client()
            .environment(&environment)
            .token_source(source)
            .build()
            .map_err(|e| e.to_string())?;
        return Ok(Target {
            client,
            environment,
            emulator: Some(emulator),
        });
    }
    let name = login.user_name.clone().or_else(|| login.user_id.clone());
    let (environment, source) = UserTokens::from_stored(network, login, &path)?;
    if connection.base_url.is_some() || connection.region.is_some() {
        let asked = crate::with_flags(genesys_auth::AuthConfig::new(), connection)?.environment();
        if asked.api_base_url() != environment.api_base_url() {
            return Err(format!(
                "the stored login ({}) is for {}, not {}: log in there with `genesys login`, \
                 or give credentials with flags or GENESYSCLOUD_* variables",
                path.display(),
                environment.api_base_url(),
                asked.api_base_url()
            ));
        }
    }
    eprintln!(
        "Using the stored login of {} ({}).",
        name.as_deref().unwrap_or("(unknown user)"),
        path.display()
    );
    let client = network
        .client()
        .environment(&environment)
        .token_source(source.cached())
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Target {
        client,
        environment,
        emulator: None,
    })
}

/// A logged-in user's tokens: the refresh-token grant (public client)
/// starting from the stored access token, with the user as principal.
/// When stored, every new token is written back, rotated refresh token
/// included, atomically.
#[derive(Debug)]
struct UserTokens {
    inner: RefreshToken,
    user_id: Option<String>,
    persisted: Option<Persisted>,
}

#[derive(Debug)]
struct Persisted {
    path: PathBuf,
    state: Mutex<(StoredLogin, Option<AccessToken>)>,
}

impl UserTokens {
    fn from_stored(
        network: &Network,
        login: StoredLogin,
        path: &Path,
    ) -> Result<(Environment, Self), String> {
        let broken = |what: &str| {
            format!(
                "{} has no {what}; run `genesys login` again",
                path.display()
            )
        };
        let api = login
            .api_base_url
            .as_deref()
            .ok_or_else(|| broken("api_base_url"))?;
        let login_base = login
            .login_base_url
            .as_deref()
            .ok_or_else(|| broken("login_base_url"))?;
        let environment = Environment::custom(
            BaseUrl::parse(api).map_err(|e| e.to_string())?,
            BaseUrl::parse(login_base).map_err(|e| e.to_string())?,
        );
        let client_id = login.client_id.clone().ok_or_else(|| broken("client_id"))?;
        let refresh = login
            .refresh_token
            .clone()
            .ok_or_else(|| broken("refresh_token"))?;
        let endpoint = network.token_endpoint(&environment)?;
        let mut inner = RefreshToken::public(endpoint, client_id, refresh);
        let mut initial = None;
        if let Some(access) = &login.access_token {
            let mut token = AccessToken::from_secret(access.clone()).with_expiry(login.expiry());
            if let Some(user) = &login.user_id {
                token = token.with_principal(Principal::user(user));
            }
            inner = inner.with_initial_token(token.clone());
            initial = Some(token);
        }
        let user_id = login.user_id.clone();
        Ok((
            environment,
            Self {
                inner,
                user_id,
                persisted: Some(Persisted {
                    path: path.to_owned(),
                    state: Mutex::new((login, initial)),
                }),
            },
        ))
    }
}

#[async_trait]
impl TokenSource for UserTokens {
    async fn token(&self) -> Result<AccessToken, AuthError> {
        let mut token = match self.inner.token().await {
            Ok(token) => token,
            // The login service refused the stored refresh token (expired,
            // revoked, or rotated by a run that could not store the new one).
            Err(e) if e.oauth_error().is_some() && self.persisted.is_some() => {
                return Err(AuthError::Source {
                    message: format!(
                        "the stored login could not be refreshed ({e}); run `genesys login` again"
                    ),
                    transient: false,
                    source: None,
                });
            }
            Err(e) => return Err(e),
        };
        if let Some(user) = &self.user_id {
            token = token.with_principal(Principal::user(user));
        }
        if let Some(persisted) = &self.persisted {
            let mut state = persisted
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let (login, last) = &mut *state;
            if !last.as_ref().is_some_and(|l| l.same_secret(&token)) {
                login.access_token = Some(token.secret().clone());
                login.set_expiry(token.expires_at());
                if let Some(rotated) = self.inner.refresh_token() {
                    login.refresh_token = Some(rotated);
                }
                if let Err(e) = store::save(&persisted.path, login) {
                    eprintln!("warning: the refreshed login could not be stored: {e}");
                }
                *last = Some(token.clone());
            }
        }
        Ok(token)
    }

    fn invalidate(&self, rejected: &AccessToken) {
        self.inner.invalidate(rejected);
    }
}
