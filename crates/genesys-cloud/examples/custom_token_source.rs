//! Your own token source: tokens that something else obtains and rotates.
//!
//! Many services do not hold OAuth client secrets themselves: a sidecar, a
//! vault agent or a platform job writes a fresh access token to a file.
//! Implementing [`TokenSource`] (one async method) plugs that into the SDK;
//! `.cached()` adds the SDK's cache (reuse until shortly before expiry, one
//! fetch however many tasks wait) and a 401 makes the cache read it again.
//!
//! ```sh
//! cargo run -p genesys-cloud --example custom_token_source
//! ```
//!
//! With no `GENESYSCLOUD_*` variables it runs against an embedded emulator
//! and writes a token there itself. Against a real org, set the variables
//! for the region (e.g. `GENESYSCLOUD_REGION`) and `GENESYS_EXAMPLE_TOKEN_FILE`
//! to a file holding an access token.

#[path = "common/mod.rs"]
pub mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use genesys_cloud::Client;
use genesys_cloud::auth::{AccessToken, AuthError, TokenSource, TokenSourceExt, async_trait};
use genesys_emulator::seed;

use common::{BoxError, Target};

/// Reads the access token from a file that another process keeps fresh.
#[derive(Debug)]
struct TokenFile {
    path: PathBuf,
    /// How long a token read from the file may be used before reading again.
    lifetime: Duration,
    reads: Arc<AtomicUsize>,
}

#[async_trait]
impl TokenSource for TokenFile {
    async fn token(&self) -> Result<AccessToken, AuthError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        // A missing file may appear on the next try (the writer restarts):
        // transient, so callers may retry. The error names the file, never
        // its contents.
        let text = tokio::fs::read_to_string(&self.path).await.map_err(|e| {
            AuthError::transient(format!(
                "reading the token file {}: {e}",
                self.path.display()
            ))
        })?;
        let token = text.trim();
        if token.is_empty() {
            return Err(AuthError::config(format!(
                "{} is empty",
                self.path.display()
            )));
        }
        Ok(AccessToken::new(token).with_expires_in(self.lifetime))
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let target = common::connect().await?;
    run(&target).await?;
    Ok(())
}

/// Calls the API twice with the file's token; returns how often the file
/// was read (once: the second call reuses the cached token).
pub async fn run(target: &Target) -> Result<usize, BoxError> {
    let path = match (
        &target.emulator,
        std::env::var_os("GENESYS_EXAMPLE_TOKEN_FILE"),
    ) {
        (Some(emulator), _) => {
            // Stand in for the process that writes the token.
            let path =
                std::env::temp_dir().join(format!("genesys-example-token-{}", std::process::id()));
            std::fs::write(
                &path,
                emulator.client_credentials_token(seed::DEFAULT_CLIENT_ID),
            )?;
            path
        }
        (None, Some(path)) => PathBuf::from(path),
        (None, None) => {
            println!("set GENESYS_EXAMPLE_TOKEN_FILE to a file holding an access token");
            return Ok(0);
        }
    };

    let reads = Arc::new(AtomicUsize::new(0));
    let source = TokenFile {
        path: path.clone(),
        lifetime: Duration::from_secs(15 * 60),
        reads: reads.clone(),
    };
    // Debug output never shows the token, only where it comes from.
    println!("token source: {source:?}");
    let client = Client::builder()
        .base_url(target.client.base_url().clone())
        .token_source(source.cached())
        .build()?;

    for _ in 0..2 {
        let me = client.tokens().get_tokens_me().await?;
        let holder = me
            .o_auth_client
            .and_then(|c| c.name)
            .unwrap_or_else(|| "a user".into());
        println!("the token belongs to {holder}");
    }
    let reads = reads.load(Ordering::Relaxed);
    println!("the token file was read {reads} time(s) for 2 calls");
    if target.is_emulated() {
        let _ = std::fs::remove_file(path);
    }
    Ok(reads)
}
