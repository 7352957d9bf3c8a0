//! `-v`/`-vv` and `RUST_LOG`: what the SDK does, on stderr.
//!
//! The SDK's crates emit `tracing` spans and events for every request
//! (`genesys.request`: method, path template, status, attempts, duration,
//! correlation id), every attempt and retry (`genesys.attempt`), and every
//! token fetch. Header values (`Authorization`), secrets, tokens and
//! channel URIs are never recorded by those crates, so nothing printed
//! here can leak them.

/// The filter for `-v`: each request, attempt, retry and token fetch of
/// the SDK; warnings from everything else.
const VERBOSE: &str =
    "warn,genesys_cli=debug,genesys_cloud=debug,genesys_transport=debug,genesys_auth=debug";

/// The filter for `-vv`: also what the SDK traces (notification heartbeats,
/// pings, subscriptions), and informational messages from everything else.
const VERY_VERBOSE: &str = "info,genesys_cli=trace,genesys_cloud=trace,genesys_transport=trace,genesys_auth=trace,genesys_model=trace";

/// The filter for `verbosity` (the number of `-v`s): `RUST_LOG` when it is
/// set, whatever the flags say; else by count; `None` (no logging) for
/// none.
fn filter(verbosity: u8, rust_log: Option<&str>) -> Option<String> {
    match (rust_log.filter(|s| !s.trim().is_empty()), verbosity) {
        (Some(directives), _) => Some(directives.to_owned()),
        (None, 0) => None,
        (None, 1) => Some(VERBOSE.to_owned()),
        (None, _) => Some(VERY_VERBOSE.to_owned()),
    }
}

/// Installs the stderr subscriber for `verbosity`, or nothing when neither
/// `-v` nor `RUST_LOG` asks for logs. An unreadable `RUST_LOG` is reported
/// and the `-v` level used instead.
pub(crate) fn init(verbosity: u8) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let Some(directives) = filter(verbosity, rust_log.as_deref()) else {
        return;
    };
    let env_filter = match tracing_subscriber::EnvFilter::try_new(&directives) {
        Ok(filter) => filter,
        Err(error) => {
            eprintln!("warning: ignoring RUST_LOG ({error})");
            match filter(verbosity.max(1), None) {
                Some(fallback) => tracing_subscriber::EnvFilter::new(fallback),
                None => return,
            }
        }
    };
    // A second initialisation (impossible here) would only be refused.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(env_filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_log_wins_then_the_count_decides() {
        assert_eq!(filter(0, None), None);
        assert_eq!(filter(0, Some("  ")), None);
        assert_eq!(filter(1, None).as_deref(), Some(VERBOSE));
        assert_eq!(filter(2, None).as_deref(), Some(VERY_VERBOSE));
        assert_eq!(filter(7, None).as_deref(), Some(VERY_VERBOSE));
        assert_eq!(
            filter(0, Some("genesys_transport=trace")).as_deref(),
            Some("genesys_transport=trace")
        );
        assert_eq!(filter(2, Some("error")).as_deref(), Some("error"));
    }

    #[test]
    fn the_filters_parse() {
        for directives in [VERBOSE, VERY_VERBOSE] {
            tracing_subscriber::EnvFilter::try_new(directives).expect(directives);
        }
    }
}
