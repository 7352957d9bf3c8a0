//! `genesys-emulator`: run the Genesys Cloud emulator as a process.
//!
//! ```text
//! cargo run -p genesys-emulator -- --port 8080 --config emulator.toml
//! ```
//!
//! Prints the base URL and the seeded credentials, then serves until
//! interrupted (Ctrl-C) or, with `--exit-on-stdin-close`, until its standard
//! input closes.
#![forbid(unsafe_code)]

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use genesys_emulator::{Emulator, EmulatorConfig, Grant};
use tokio::io::AsyncReadExt as _;

/// A local stand-in for Genesys Cloud (login and Platform API on one base URL).
#[derive(Debug, Parser)]
#[command(name = "genesys-emulator", version, about)]
struct Args {
    /// Port to listen on (0 picks a free port).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// A TOML or JSON (by `.json` extension) seed file; without it the
    /// default world is seeded.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the banner as one JSON object (for scripts).
    #[arg(long)]
    json: bool,
    /// Exit when standard input reaches end of file (lets a parent process
    /// stop the emulator by closing the pipe).
    #[arg(long)]
    exit_on_stdin_close: bool,
    /// Serve HTTPS (and wss://) with a CA and certificate generated at
    /// start; the CA certificate is printed (or written to --tls-ca-out).
    #[arg(long)]
    tls: bool,
    /// With --tls: write the CA certificate (PEM) to this file.
    #[arg(long, value_name = "FILE", requires = "tls")]
    tls_ca_out: Option<PathBuf>,
    /// With --tls: require a client certificate signed by the CA (mutual
    /// TLS).
    #[arg(long, requires = "tls")]
    tls_require_client_cert: bool,
}

fn banner(emu: &Emulator, as_json: bool) -> String {
    let config = emu.config();
    if as_json {
        let clients: Vec<_> = config
            .clients
            .iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id, "secret": c.secret, "grants": c.grants,
                    "roles": c.roles, "redirect_uris": c.redirect_uris,
                })
            })
            .collect();
        let users: Vec<_> = config
            .users
            .iter()
            .map(|u| serde_json::json!({"id": u.id, "name": u.name, "email": u.email, "station": u.station, "roles": u.roles}))
            .collect();
        return serde_json::json!({
            "base_url": emu.base_url(),
            "tls_ca_pem": emu.tls_ca_pem(),
            "organization": {"id": config.organization.id, "name": config.organization.name},
            "clients": clients,
            "users": users,
        })
        .to_string();
    }
    let mut out = format!(
        "Genesys Cloud emulator listening on {}\n\
         Login and API base URL: {}\n\
         Organization: {} ({})\n\nOAuth clients (seeded credentials):\n",
        emu.local_addr(),
        emu.base_url(),
        config.organization.name,
        config.organization.id
    );
    for c in &config.clients {
        let grants: Vec<&str> = c.grants.iter().map(|g| grant_name(*g)).collect();
        out.push_str(&format!(
            "  client_id={} client_secret={} grants=[{}] roles=[{}]\n",
            c.id,
            c.secret,
            grants.join(", "),
            c.roles.join(", ")
        ));
        for uri in &c.redirect_uris {
            out.push_str(&format!("    redirect_uri={uri}\n"));
        }
    }
    if let Some(ca) = emu.tls_ca_pem() {
        out.push_str(&format!(
            "\nTLS CA certificate (trust it to connect):\n{ca}"
        ));
    }
    out.push_str("\nUsers:\n");
    for u in &config.users {
        out.push_str(&format!(
            "  id={} name={:?} email={} station={} roles=[{}]\n",
            u.id,
            u.name,
            u.email,
            if u.station { "yes" } else { "no" },
            u.roles.join(", ")
        ));
    }
    out
}

fn grant_name(grant: Grant) -> &'static str {
    match grant {
        Grant::Saml2Bearer => "saml2_bearer",
        other => other.as_str(),
    }
}

async fn wait_for_stdin_close() {
    let mut stdin = tokio::io::stdin();
    let mut buf = [0u8; 256];
    loop {
        match stdin.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = match &args.config {
        Some(path) => match EmulatorConfig::from_file(path) {
            Ok(config) => config,
            Err(e) => {
                eprintln!("genesys-emulator: {e}");
                return ExitCode::from(2);
            }
        },
        None => EmulatorConfig::default(),
    };
    let config = if args.tls {
        config.with_tls(
            genesys_emulator::TlsOptions::new()
                .require_client_certificate(args.tls_require_client_cert),
        )
    } else {
        config
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("genesys-emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let addr = SocketAddr::new(args.host, args.port);
        let emu = match Emulator::start_on(config, addr).await {
            Ok(emu) => emu,
            Err(e) => {
                eprintln!("genesys-emulator: {e}");
                return ExitCode::FAILURE;
            }
        };
        if let (Some(path), Some(ca)) = (&args.tls_ca_out, emu.tls_ca_pem())
            && let Err(e) = std::fs::write(path, ca)
        {
            eprintln!("genesys-emulator: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        // A closed stdout (a parent that stopped reading) must not end the
        // server: the banner is informational.
        let _ = writeln!(std::io::stdout(), "{}", banner(&emu, args.json));
        if args.exit_on_stdin_close {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = wait_for_stdin_close() => {}
            }
        } else if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("genesys-emulator: cannot wait for Ctrl-C: {e}");
        }
        emu.shutdown().await;
        ExitCode::SUCCESS
    })
}
