//! `genesys`: place calls, inspect tokens and check operations against
//! Genesys Cloud — or, with no credentials configured, against the embedded
//! emulator, so the whole flow runs with zero setup.
//!
//! ```text
//! genesys login [--client-id ID] [--region R | --base-url URL] [--port P] [--no-browser]
//! genesys call +15550123 [--on-behalf-of USER_ID] [--caller-id NUMBER] ...
//! genesys whoami
//! genesys logout
//! genesys doctor postConversationsCalls
//! genesys api getUsers --page-size 100 --all-pages     # any operation, JSON out
//! genesys listen [TOPIC]... [--demo-call NUMBER] [--count N]
//! genesys -vv whoami          # every request, retry and token fetch on stderr
//! genesys --ca-cert ca.pem --client-cert c.pem --client-key k.pem --proxy URL whoami
//! genesys emulator [--port 8080]
//! ```
#![forbid(unsafe_code)]

mod api;
mod listen;
mod logging;
mod login;
mod network;
mod store;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use futures_util::StreamExt as _;
use genesys_auth::{AuthConfig, BaseUrl, CredentialKind, Environment, Introspector};
use genesys_cloud::calls::{CallState, Dial, UpdateSource};
use genesys_cloud::{Client, Error};
use genesys_emulator::{Emulator, EmulatorConfig, seed};
use genesys_model::catalogue;

/// Where credentials come from, shown under `genesys --help`.
const PRECEDENCE: &str = "\
Credentials, first found wins:
  1. flags: --access-token, or --client-id with --client-secret
  2. environment: GENESYSCLOUD_ACCESS_TOKEN, or GENESYSCLOUD_OAUTHCLIENT_ID
     with GENESYSCLOUD_OAUTHCLIENT_SECRET (GENESYSCLOUD_REGION for the region)
  3. the stored login of `genesys login` for --profile (default DEFAULT), in
     $GENESYS_CLI_HOME/logins/<profile>.json, else
     $XDG_CONFIG_HOME/genesys/logins/, else ~/.config/genesys/logins/
     (mode 0600; refreshed and rotated as it is used)
  4. the gc CLI profile (~/.gc/config.toml, --profile, default DEFAULT)
  5. none: the embedded emulator, with its demo client credentials
A stored login keeps the API host it logged in to; --region or --base-url
naming another host is refused rather than sending its token there.
Explicit settings for this run beat the saved ones; a user login beats the
gc profile's client credentials because logging in is the more deliberate,
more recent choice.";

#[derive(Parser)]
#[command(
    name = "genesys",
    version,
    about = "Genesys Cloud from the command line",
    after_help = PRECEDENCE
)]
struct Cli {
    /// Show what the SDK does on stderr: -v each request (method, path
    /// template, status, attempt, duration, correlation id), retry and
    /// token fetch; -vv also notification heartbeats and subscriptions.
    /// `RUST_LOG` (e.g. `genesys_transport=trace`) overrides the filter.
    /// Secrets and tokens are never shown.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(flatten)]
    connection: Connection,
    #[command(subcommand)]
    command: Command,
}

/// Where to connect and with which credentials. Flags win over the
/// `GENESYSCLOUD_*` variables, which win over the stored login of
/// `genesys login`, which wins over the `gc` CLI profile (see [`PRECEDENCE`]).
#[derive(Args)]
struct Connection {
    /// Region (e.g. `eu-west-1`) or domain (e.g. `mypurecloud.ie`) [env: GENESYSCLOUD_REGION].
    #[arg(long, global = true)]
    region: Option<String>,
    /// API base URL, for the login and API hosts both (e.g. an emulator's
    /// `http://127.0.0.1:8080`).
    #[arg(long, global = true)]
    base_url: Option<String>,
    /// OAuth client id: with --client-secret, the client-credentials grant;
    /// for `genesys login`, the PKCE client [env: GENESYSCLOUD_OAUTHCLIENT_ID].
    #[arg(long, global = true)]
    client_id: Option<String>,
    /// OAuth client secret [env: GENESYSCLOUD_OAUTHCLIENT_SECRET].
    #[arg(long, global = true)]
    client_secret: Option<String>,
    /// An access token to use as is [env: GENESYSCLOUD_ACCESS_TOKEN].
    #[arg(long, global = true)]
    access_token: Option<String>,
    /// The profile (default `DEFAULT`): of the stored login, and of
    /// `~/.gc/config.toml`.
    #[arg(long, short, global = true)]
    profile: Option<String>,
    #[command(flatten)]
    network: network::NetworkArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Log in as a user: the authorization-code grant with PKCE (S256).
    ///
    /// Prints the authorize URL (and opens the browser unless --no-browser),
    /// waits for the redirect to http://127.0.0.1:PORT/callback, checks
    /// `state`, exchanges the code and stores the token and its refresh
    /// token for the profile (file mode 0600; see "Credentials" under
    /// `genesys --help` for where). Nothing secret is printed. Later commands
    /// use the stored login and refresh it when it nears expiry; each
    /// refresh replaces the stored refresh token (rotation), atomically.
    ///
    /// The OAuth client (--client-id, else GENESYSCLOUD_OAUTHCLIENT_ID or the
    /// gc profile's) must allow the PKCE grant and be configured with the
    /// redirect URI http://127.0.0.1:PORT/callback: give that PORT with
    /// --port (a free port is picked otherwise). The client is used as a
    /// public client: no secret is sent or stored.
    ///
    /// With no credentials configured at all, logs in to the embedded
    /// emulator's demo user (the emulator approves automatically, so no
    /// browser is needed). The embedded emulator forgets its tokens when the
    /// process ends, so that stored login keeps no token: later commands
    /// start the embedded emulator again and repeat the same PKCE login.
    /// So `genesys login && genesys call +15550123` places the call as the
    /// user, with postConversationsCalls.
    #[command(verbatim_doc_comment)]
    Login(login::LoginArgs),
    /// Revoke the stored login's token (DELETE /api/v2/tokens/me) and delete
    /// the stored login.
    Logout,
    /// Place a call and follow it until it connects (by notification events
    /// when the token may subscribe to the user's calls, else by polling).
    Call(CallArgs),
    /// Show what the current token is: grant, principal, scopes.
    Whoami,
    /// Call any operation of the API by its id, e.g.
    /// `genesys api getRoutingQueues --page-size 100 --all-pages`.
    ///
    /// Parameters are options named after the spec's (kebab-case:
    /// `--queue-id ID`); the body comes from a file or stdin (`--body -`);
    /// the answer is printed as JSON. `genesys api <operationId> --help`
    /// shows the operation's method, path, parameters, permissions, scopes
    /// and whether it needs a user context. The call is checked before it
    /// is sent, like every SDK call: a client-credentials token on an
    /// operation that needs a user is refused with the fix. Without
    /// credentials it runs against the embedded emulator.
    #[command(verbatim_doc_comment)]
    Api(api::ApiArgs),
    /// Check whether the current token can call an operation, and if not,
    /// why and what to use instead.
    Doctor {
        /// The operation id, e.g. `postConversationsCalls`.
        operation_id: String,
    },
    /// Print the events of notification topics as JSON lines until interrupted.
    ///
    /// Subscribes a notification channel to the topics and prints one JSON
    /// object per line on stdout. Each topic is checked against the topic
    /// catalogue first: a typo is refused, naming the nearest known topic,
    /// before anything is sent.
    ///
    /// Output (stdout, one line each):
    ///   a notification, exactly as received:
    ///     {"topicName":"v2.users.{id}.conversations.calls","version":"2",
    ///      "eventBody":{...},"metadata":{"CorrelationId":"..."}}
    ///   a gap marker, when events may have been missed (the connection was
    ///   lost and re-established; Genesys does not replay what it sent
    ///   meanwhile, so reconcile through the REST API):
    ///     {"gap":{"from":"<RFC 3339, UTC>","to":"<RFC 3339, UTC>",
    ///      "topics":["..."],"cause":"..."}}
    ///   ("from": the last moment the lost connection was known to deliver;
    ///   "to": when the new connection was subscribed again).
    ///
    /// Heartbeats, pongs and the service's system messages are handled by
    /// the client, not printed (-v logs the channel's life on stderr, -vv
    /// its heartbeats and pings too). Reconnects
    /// and channel renewals happen inside. Ctrl-C (or SIGTERM) ends with
    /// status 0; an error that ends the stream (a topic rejected for a
    /// missing permission, the channel evicted, the token revoked) is
    /// printed on stderr, with status 1.
    ///
    /// Without credentials it listens on the embedded emulator: TOPIC
    /// defaults to the demo user's calls topic, and --demo-call NUMBER
    /// places a call on that user once subscribed, so its events show:
    ///   genesys listen --demo-call +15550123
    #[command(verbatim_doc_comment)]
    Listen(listen::ListenArgs),
    /// Run the local Genesys Cloud emulator until interrupted.
    Emulator {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// A TOML or JSON file seeding the emulator's world.
        #[arg(long)]
        config: Option<std::path::PathBuf>,
    },
}

#[derive(Args)]
struct CallArgs {
    /// The number to dial (E.164, e.g. +15550123).
    number: String,
    /// Place the call on behalf of this user (needed with client credentials).
    #[arg(long)]
    on_behalf_of: Option<String>,
    /// Caller id number.
    #[arg(long)]
    caller_id: Option<String>,
    /// Caller id name.
    #[arg(long)]
    caller_id_name: Option<String>,
    /// Place the call on behalf of this queue.
    #[arg(long)]
    from_queue: Option<String>,
    /// An attribute for the customer participant, `KEY=VALUE` (repeatable).
    #[arg(long = "attribute", value_parser = parse_attribute)]
    attributes: Vec<(String, String)>,
    /// User-to-user information (UUI) data.
    #[arg(long)]
    uui: Option<String>,
    /// A label that categorizes the conversation.
    #[arg(long)]
    label: Option<String>,
    /// Do not wait for the call to connect.
    #[arg(long)]
    no_follow: bool,
    /// How long to wait for the call to connect, in seconds.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
}

fn parse_attribute(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{text}` is not KEY=VALUE"))
}

/// What the commands talk to: a configured org, or the embedded emulator.
struct Target {
    client: Client,
    environment: Environment,
    /// Present when the embedded emulator is serving (kept alive here).
    emulator: Option<Emulator>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            if let Some(hint) = network_hint(&message) {
                eprintln!("hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}

/// The flag that fixes a TLS or proxy failure named in `message` (the
/// SDK's own texts say which API call to make; a CLI user needs the flag).
fn network_hint(message: &str) -> Option<&'static str> {
    use genesys_cloud::{ProxyFailure, TlsFailure};
    let names = |failure: &dyn std::fmt::Display| message.contains(&failure.to_string());
    if names(&TlsFailure::UnknownIssuer) {
        Some(
            "trust the CA that signs the server's certificate (e.g. your company's) with --ca-cert FILE.pem",
        )
    } else if names(&TlsFailure::ClientCertificateRequired)
        || names(&TlsFailure::ClientCertificateRejected)
    {
        Some("present a client certificate with --client-cert FILE.pem --client-key FILE.pem")
    } else if names(&ProxyFailure::AuthenticationRequired {
        credentials_sent: false,
    }) || names(&ProxyFailure::AuthenticationRequired {
        credentials_sent: true,
    }) {
        Some(
            "give the proxy's credentials in its URL: --proxy http://USER:PASS@HOST:PORT \
             (or HTTPS_PROXY), or in the gc profile's proxy_username/proxy_password",
        )
    } else {
        None
    }
}

async fn run(cli: Cli) -> Result<ExitCode, String> {
    logging::init(cli.verbose);
    if let Command::Listen(args) = &cli.command {
        // Checked before anything is sent (or the emulator started).
        listen::check_topics(&args.topics)?;
    }
    if let Command::Emulator { port, config } = &cli.command {
        return run_emulator(*port, config.as_deref()).await;
    }
    // `genesys api`: its help and its mistakes are answered before
    // anything connects (or the emulator starts).
    let api_call = match &cli.command {
        Command::Api(args) if args.operation_id == "--help" || args.operation_id == "-h" => {
            println!(
                "Usage: genesys [CONNECTION FLAGS] api <operationId> [--<parameter> VALUE]... [--body FILE|-] [--all-pages] [--max-pages N]\n\n`genesys api <operationId> --help` describes one operation."
            );
            return Ok(ExitCode::SUCCESS);
        }
        Command::Api(args) if api::wants_help(args) => {
            print!("{}", api::help_text(api::operation(&args.operation_id)?));
            return Ok(ExitCode::SUCCESS);
        }
        Command::Api(args) => Some(api::prepare(args)?),
        _ => None,
    };
    // One HTTP client, with the run's TLS and proxy settings, for every
    // connection: logins, introspection, API calls, the notification socket.
    let profile = AuthConfig::from_env_and_profile(cli.connection.profile.as_deref()).ok();
    let network = network::Network::new(&cli.connection.network, profile.as_ref())?;
    if let Command::Login(args) = cli.command {
        return login::login(&cli.connection, &network, args).await;
    }
    if let Command::Logout = cli.command {
        return login::logout(&cli.connection, &network).await;
    }
    let target = connect(&cli.connection, &network).await?;
    match cli.command {
        Command::Call(args) => call(&target, args).await,
        Command::Listen(args) => listen::listen(&target, args).await,
        Command::Whoami => whoami(&target).await,
        Command::Doctor { operation_id } => doctor(&target, &operation_id).await,
        Command::Api(_) => match api_call {
            Some(prepared) => api::run(&target, prepared).await,
            None => Ok(ExitCode::SUCCESS),
        },
        Command::Emulator { .. } | Command::Login(_) | Command::Logout => Ok(ExitCode::SUCCESS),
    }
}

/// The profile name: `--profile`, default `DEFAULT`.
fn profile_name(connection: &Connection) -> &str {
    connection.profile.as_deref().unwrap_or("DEFAULT")
}

/// The `gc` profile overridden by the environment, overridden by the flags.
fn auth_config(connection: &Connection) -> Result<AuthConfig, String> {
    let config = AuthConfig::from_env_and_profile(connection.profile.as_deref())
        .map_err(|e| e.to_string())?;
    with_flags(config, connection)
}

/// `config` overridden by the flags.
fn with_flags(mut config: AuthConfig, connection: &Connection) -> Result<AuthConfig, String> {
    if let Some(region) = &connection.region {
        let environment: Environment = region
            .parse()
            .map_err(|e| format!("--region {region}: {e}"))?;
        config = config.with_environment(environment);
    }
    if let Some(url) = &connection.base_url {
        let base = BaseUrl::parse(url).map_err(|e| format!("--base-url {url}: {e}"))?;
        config = config.with_environment(Environment::single(base));
    }
    if let (Some(id), Some(secret)) = (&connection.client_id, &connection.client_secret) {
        config = config.with_client_credentials(id.clone(), secret.clone());
    }
    if let Some(token) = &connection.access_token {
        config = config.with_access_token(token.clone());
    }
    Ok(config)
}

async fn connect(connection: &Connection, network: &network::Network) -> Result<Target, String> {
    // Flags, then the environment, then a stored login, then the gc profile.
    let flag_credentials = connection.access_token.is_some()
        || (connection.client_id.is_some() && connection.client_secret.is_some());
    let env_credentials =
        AuthConfig::from_env().is_ok_and(|config| config.credential_kind() != CredentialKind::None);
    if !flag_credentials && !env_credentials {
        let path = store::login_path(profile_name(connection))?;
        if let Some(stored) = store::load(&path)? {
            return login::connect_stored(connection, network, stored, path).await;
        }
    }
    let config = auth_config(connection)?;
    if config.credential_kind() != CredentialKind::None {
        let client = network
            .client()
            .credentials(&config)
            .build()
            .map_err(|e| e.to_string())?;
        return Ok(Target {
            client,
            environment: config.environment(),
            emulator: None,
        });
    }
    // Zero setup: serve the flow from the embedded emulator, and say so.
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .with_call_timings(Duration::from_millis(300), Duration::from_millis(300)),
    )
    .await
    .map_err(|e| format!("starting the embedded emulator: {e}"))?;
    eprintln!(
        "No Genesys Cloud credentials configured (GENESYSCLOUD_OAUTHCLIENT_ID and \
         GENESYSCLOUD_OAUTHCLIENT_SECRET, GENESYSCLOUD_ACCESS_TOKEN, a `genesys login`, or \
         ~/.gc/config.toml):\n\
         using the embedded emulator at {} with its demo client credentials ({}).",
        emulator.base_url(),
        seed::DEFAULT_CLIENT_ID
    );
    let base = BaseUrl::parse(&emulator.base_url()).map_err(|e| e.to_string())?;
    let config = AuthConfig::new()
        .with_environment(Environment::single(base))
        .with_client_credentials(seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET);
    let client = network
        .client()
        .credentials(&config)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Target {
        client,
        environment: config.environment(),
        emulator: Some(emulator),
    })
}

async fn call(target: &Target, args: CallArgs) -> Result<ExitCode, String> {
    let mut on_behalf_of = args.on_behalf_of.clone();
    let token = target
        .client
        .access_token()
        .await
        .map_err(|e| e.to_string())?;
    if on_behalf_of.is_none() && token.principal().is_client() {
        // Show why postConversationsCalls is not an option for this token.
        if let Err(refusal) = target.client.check("postConversationsCalls").await {
            eprintln!("{refusal}");
        }
        match &target.emulator {
            Some(_) => {
                eprintln!(
                    "Placing the call on behalf of the emulator's demo user {} instead \
                     (after `genesys login`, it is placed as that user, with \
                     postConversationsCalls).",
                    seed::DEFAULT_USER_ID
                );
                on_behalf_of = Some(seed::DEFAULT_USER_ID.to_owned());
            }
            None => {
                return Err("a client-credentials token needs --on-behalf-of USER_ID".into());
            }
        }
    }

    let mut dial = Dial::number(&args.number);
    if let Some(v) = args.caller_id {
        dial = dial.caller_id(v);
    }
    if let Some(v) = args.caller_id_name {
        dial = dial.caller_id_name(v);
    }
    if let Some(v) = args.from_queue {
        dial = dial.from_queue(v);
    }
    for (k, v) in args.attributes {
        dial = dial.attribute(k, v);
    }
    if let Some(v) = args.uui {
        dial = dial.uui_data(v);
    }
    if let Some(v) = args.label {
        dial = dial.label(v);
    }
    if let Some(user) = on_behalf_of {
        dial = dial.on_behalf_of(user);
    }

    let calls = target.client.calls();
    let placed = calls.place(&dial).await.map_err(|e| e.to_string())?;
    println!(
        "conversation {} (placed with {})",
        placed.conversation_id, placed.operation
    );
    if args.no_follow {
        return Ok(ExitCode::SUCCESS);
    }
    follow(
        target,
        &placed.conversation_id,
        Duration::from_secs(args.timeout),
    )
    .await
}

/// Prints each state change until the call connects, ends or times out:
/// from the call's notification events when the token may subscribe to
/// them (no request at all for a call placed here), else by polling.
async fn follow(
    target: &Target,
    conversation_id: &str,
    timeout: Duration,
) -> Result<ExitCode, String> {
    let started = Instant::now();
    let mut updates = target.client.calls().follow(conversation_id);
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    loop {
        let next = tokio::select! {
            next = updates.next() => next,
            () = &mut deadline => {
                return Err(format!("the call did not connect within {timeout:?}"));
            }
        };
        let update = match next {
            Some(Ok(update)) => update,
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("the call ended before it connected".into()),
        };
        let via = match update.source {
            UpdateSource::Event => "event",
            UpdateSource::Request => "GET",
            _ => "?",
        };
        println!(
            "{:>6.1}s  {:?}  ({via})",
            started.elapsed().as_secs_f64(),
            update.state
        );
        match update.state {
            CallState::Connected => return Ok(ExitCode::SUCCESS),
            CallState::Ended => return Err("the call ended before it connected".into()),
            _ => {}
        }
    }
}

async fn whoami(target: &Target) -> Result<ExitCode, String> {
    let token = target
        .client
        .access_token()
        .await
        .map_err(|e| e.to_string())?;
    let introspector = Introspector::with_http_client(
        target.environment.clone(),
        target.client.http_client().clone(),
    )
    .map_err(|e| e.to_string())?;
    let info = introspector
        .introspect(&token)
        .await
        .map_err(|e| e.to_string())?;
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(unknown)".into());
    println!("principal:    {}", info.principal);
    println!("grant:        {}", show(&info.grant_type));
    println!(
        "oauth client: {} ({})",
        show(&info.client_id),
        show(&info.client_name)
    );
    println!(
        "organization: {} ({})",
        show(&info.organization_name),
        show(&info.organization_id)
    );
    if let Some(user) = &info.user_name {
        println!("user:         {user}");
    }
    match &info.scopes {
        Some(scopes) => println!("scopes:       {}", scopes.join(" ")),
        None => println!("scopes:       (not reported)"),
    }
    if let Some(expires) = token.expires_in(std::time::SystemTime::now()) {
        println!("expires in:   {}s", expires.as_secs());
    }
    Ok(ExitCode::SUCCESS)
}

async fn doctor(target: &Target, operation_id: &str) -> Result<ExitCode, String> {
    let Some(op) = catalogue::operation(operation_id) else {
        let near = catalogue::similar_operations(operation_id);
        return Err(format!(
            "`{operation_id}` is not an operation of this API{}",
            if near.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", near.join(", "))
            }
        ));
    };
    println!("{} {} ({})", op.method, op.path, op.summary);
    println!(
        "  needs a user context: {}",
        if op.requires_user_context {
            "yes (documents not.a.user)"
        } else {
            "no"
        }
    );
    match op.permissions {
        Some(p) => println!(
            "  permissions: {} of [{}]",
            match p.requirement {
                catalogue::PermissionRequirement::Any => "any",
                catalogue::PermissionRequirement::All => "all",
            },
            p.permissions.join(", ")
        ),
        None => println!("  permissions: not documented"),
    }
    match op.scopes() {
        Some([]) => println!("  scopes: none (public)"),
        Some(scopes) => println!("  scopes: any of [{}]", scopes.join(", ")),
        None => println!("  scopes: not documented"),
    }
    let token = target
        .client
        .access_token()
        .await
        .map_err(|e| e.to_string())?;
    println!("  this token: {}", token.principal());
    match target.client.check(operation_id).await {
        Ok(_) => {
            println!(
                "OK: this token can call {operation_id} (the server still checks its permissions)."
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (Error::UserContextRequired(_) | Error::MissingScopes(_))) => {
            println!("NO: {e}");
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.to_string()),
    }
}

async fn run_emulator(port: u16, config: Option<&std::path::Path>) -> Result<ExitCode, String> {
    let config = match config {
        Some(path) => EmulatorConfig::from_file(path).map_err(|e| e.to_string())?,
        None => EmulatorConfig::default(),
    };
    let emulator = Emulator::start_on(config, std::net::SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|e| e.to_string())?;
    println!("Genesys Cloud emulator at {}", emulator.base_url());
    println!(
        "  client credentials: {} / {}",
        seed::DEFAULT_CLIENT_ID,
        seed::DEFAULT_CLIENT_SECRET
    );
    println!("  demo user:          {}", seed::DEFAULT_USER_ID);
    println!(
        "  try: genesys --base-url {} --client-id {} --client-secret {} call +15550123 --on-behalf-of {}",
        emulator.base_url(),
        seed::DEFAULT_CLIENT_ID,
        seed::DEFAULT_CLIENT_SECRET,
        seed::DEFAULT_USER_ID
    );
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    emulator.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::network_hint;
    use genesys_cloud::{ProxyFailure, TlsFailure};

    #[test]
    fn network_failures_point_to_the_flag_that_fixes_them() {
        let unknown_ca = format!("error: TLS handshake failed: {}", TlsFailure::UnknownIssuer);
        assert!(network_hint(&unknown_ca).unwrap().contains("--ca-cert"));
        let no_cert = TlsFailure::ClientCertificateRequired.to_string();
        assert!(network_hint(&no_cert).unwrap().contains("--client-key"));
        let proxy = ProxyFailure::AuthenticationRequired {
            credentials_sent: false,
        }
        .to_string();
        assert!(
            network_hint(&proxy)
                .unwrap()
                .contains("--proxy http://USER:PASS@")
        );
        assert_eq!(network_hint("404 not.found"), None);
    }
}
