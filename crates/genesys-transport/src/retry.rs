//! The retry policy, the retry decision, and the injectable sleeper.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{Method, StatusCode};

use crate::error::{StopReason, TransportError};
use crate::wire::BoxFuture;

/// When and how often a failed request is retried.
///
/// The rules, in order:
///
/// 1. **429 Too Many Requests** is retried for every method (the server
///    rejected the request without processing it). The wait is the
///    `Retry-After` header (whole seconds or an HTTP date, see
///    [`parse_retry_after_at`](crate::parse_retry_after_at)) when present,
///    otherwise a jittered exponential backoff.
/// 2. **502, 503, 504** are retried only for idempotent methods (`GET`,
///    `HEAD`, `PUT`, `DELETE`, `OPTIONS`, `TRACE`); a `POST` or `PATCH` that
///    got one may have been processed, so it is returned with
///    [`StopReason::UnsafeToRetry`]. `Retry-After` is honoured when present.
/// 3. **Connection failures**: a failed connect (refused, unreachable,
///    connect timeout) means the request never left, so it is retried for
///    every method; a connection that broke after it was established, or a
///    request timeout, is retried only for idempotent methods.
/// 4. TLS errors, invalid URLs, oversized or undecodable bodies and every
///    other status are never retried.
///
/// Retrying stops after [`max_attempts`](Self::with_max_attempts) attempts
/// (the first one included), or when the next wait would take the total time
/// spent (attempts plus waits) past the
/// [`max_retry_time`](Self::with_max_retry_time) budget
/// ([`StopReason::BudgetExhausted`]).
///
/// A `Retry-After` longer than what is left of the budget is never waited
/// out: the error is returned at once with
/// [`StopReason::RetryAfterExceedsBudget`], and its
/// [`ApiError::retry_after`](crate::ApiError::retry_after) and
/// [`ApiError::retry_at`](crate::ApiError::retry_at) say how long the server
/// asked to wait and until when. Genesys answers daily limits with waits of
/// minutes to hours; the caller decides whether to come back then. (The
/// official Go, Java and .NET SDKs stop retrying above 180 s.)
///
/// The backoff before retry *n* (1-based) is drawn uniformly from
/// `[d/2, d]` where `d = min(initial_backoff × 2^(n-1), max_backoff)`.
///
/// Defaults: 4 attempts, 500 ms initial backoff, 20 s maximum backoff, 60 s
/// budget, every class of retry enabled.
///
/// ```
/// use std::time::Duration;
/// use genesys_transport::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .with_max_attempts(6)
///     .with_initial_backoff(Duration::from_millis(200))
///     .with_max_backoff(Duration::from_secs(5))
///     .with_max_retry_time(Duration::from_secs(30));
/// assert_eq!(policy.max_attempts(), 6);
///
/// let never = RetryPolicy::none();
/// assert_eq!(never.max_attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_time: Duration,
    rate_limited: bool,
    server_errors: bool,
    connection_errors: bool,
    timeouts: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            max_retry_time: Duration::from_secs(60),
            rate_limited: true,
            server_errors: true,
            connection_errors: true,
            timeouts: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries (one attempt).
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The maximum number of attempts, the first included (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff before the first retry when the server gave no
    /// `Retry-After`; it doubles for each further retry.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The cap on a single computed backoff (not on `Retry-After`, which is
    /// bounded by the budget instead).
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The total retry-time budget: attempts plus waits. A retry whose wait
    /// would go past it is not made; in particular a `Retry-After` longer
    /// than what is left of it stops the loop with
    /// [`StopReason::RetryAfterExceedsBudget`].
    pub fn with_max_retry_time(mut self, budget: Duration) -> Self {
        self.max_retry_time = budget;
        self
    }

    /// Whether 429 responses are retried (default true).
    pub fn with_rate_limit_retries(mut self, enabled: bool) -> Self {
        self.rate_limited = enabled;
        self
    }

    /// Whether 502/503/504 responses are retried for idempotent methods
    /// (default true).
    pub fn with_server_error_retries(mut self, enabled: bool) -> Self {
        self.server_errors = enabled;
        self
    }

    /// Whether connection failures are retried (default true).
    pub fn with_connection_error_retries(mut self, enabled: bool) -> Self {
        self.connection_errors = enabled;
        self
    }

    /// Whether request timeouts are retried for idempotent methods (default
    /// true).
    pub fn with_timeout_retries(mut self, enabled: bool) -> Self {
        self.timeouts = enabled;
        self
    }

    /// The maximum number of attempts.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The initial backoff.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The maximum computed backoff.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The total retry-time budget.
    pub fn max_retry_time(&self) -> Duration {
        self.max_retry_time
    }

    /// The computed backoff before retry number `retry` (1-based), with
    /// `jitter` in `[0, 1]` choosing a point in `[d/2, d]`.
    pub(crate) fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(31));
        let full = self
            .initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            1.0
        };
        Duration::try_from_secs_f64(full.as_secs_f64() * (0.5 + 0.5 * jitter)).unwrap_or(full)
    }

    /// Decides what to do after attempt number `attempt` (1-based) failed
    /// with `outcome`, `elapsed` after the first attempt started.
    pub(crate) fn decide(
        &self,
        method: &Method,
        outcome: Outcome<'_>,
        attempt: u32,
        elapsed: Duration,
        jitter: f64,
    ) -> Decision {
        use TransportError as T;
        let idempotent = is_idempotent(method);
        let (enabled, safe, server_delay, reason) = match outcome {
            Outcome::Status {
                status,
                retry_after,
            } => match status.as_u16() {
                429 => (
                    self.rate_limited,
                    true,
                    retry_after,
                    RetryReason::RateLimited,
                ),
                502..=504 => (
                    self.server_errors,
                    idempotent,
                    retry_after,
                    RetryReason::ServerError(status),
                ),
                _ => return Decision::Stop(StopReason::NotRetryable),
            },
            Outcome::Transport(err) => match err {
                T::Connect { .. }
                | T::ConnectTimeout { .. }
                | T::Proxy {
                    kind: crate::ProxyFailure::Unreachable,
                    ..
                } => (
                    self.connection_errors,
                    true,
                    None,
                    RetryReason::ConnectFailed,
                ),
                T::Connection { .. } => (
                    self.connection_errors,
                    idempotent,
                    None,
                    RetryReason::ConnectionLost,
                ),
                T::Timeout { .. } => (self.timeouts, idempotent, None, RetryReason::Timeout),
                _ => return Decision::Stop(StopReason::NotRetryable),
            },
        };
        if !enabled {
            return Decision::Stop(StopReason::NotRetryable);
        }
        if !safe {
            return Decision::Stop(StopReason::UnsafeToRetry);
        }
        if attempt >= self.max_attempts {
            return Decision::Stop(StopReason::AttemptsExhausted {
                max_attempts: self.max_attempts,
            });
        }
        let delay = server_delay.unwrap_or_else(|| self.backoff(attempt, jitter));
        if elapsed.saturating_add(delay) > self.max_retry_time {
            return Decision::Stop(match server_delay {
                Some(retry_after) => StopReason::RetryAfterExceedsBudget {
                    retry_after,
                    remaining: self.max_retry_time.saturating_sub(elapsed),
                    budget: self.max_retry_time,
                },
                None => StopReason::BudgetExhausted {
                    budget: self.max_retry_time,
                },
            });
        }
        Decision::Retry {
            delay,
            reason,
            from_retry_after: server_delay.is_some(),
        }
    }
}

/// True for the methods RFC 9110 calls idempotent.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// What an attempt produced, as far as retrying is concerned.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome<'a> {
    /// A non-success status.
    Status {
        status: StatusCode,
        retry_after: Option<Duration>,
    },
    /// No usable response.
    Transport(&'a TransportError),
}

/// Why an attempt is being retried (for tracing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryReason {
    RateLimited,
    ServerError(StatusCode),
    ConnectFailed,
    ConnectionLost,
    Timeout,
}

impl fmt::Display for RetryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RateLimited => f.write_str("rate limited (429)"),
            Self::ServerError(s) => write!(f, "server error ({})", s.as_u16()),
            Self::ConnectFailed => f.write_str("connect failed (request never sent)"),
            Self::ConnectionLost => f.write_str("connection lost"),
            Self::Timeout => f.write_str("request timed out"),
        }
    }
}

/// The retry decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Retry {
        delay: Duration,
        reason: RetryReason,
        from_retry_after: bool,
    },
    Stop(StopReason),
}

/// Waits between attempts. Inject a custom one to make tests instant or to
/// observe the waits.
///
/// ```
/// use std::time::Duration;
/// use genesys_transport::{BoxFuture, Sleeper};
///
/// /// Does not wait at all.
/// #[derive(Debug)]
/// struct NoWait;
/// impl Sleeper for NoWait {
///     fn sleep(&self, _: Duration) -> BoxFuture<'static, ()> {
///         Box::pin(async {})
///     }
/// }
/// ```
pub trait Sleeper: Send + Sync + fmt::Debug {
    /// Returns a future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// The default [`Sleeper`], on `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A cheaply clonable, shared [`Sleeper`].
///
/// ```
/// use genesys_transport::{SharedSleeper, TokioSleeper};
/// let sleeper = SharedSleeper::new(TokioSleeper);
/// let _again = sleeper.clone();
/// ```
#[derive(Clone, Debug)]
pub struct SharedSleeper(Arc<dyn Sleeper>);

impl SharedSleeper {
    /// Wraps a sleeper.
    pub fn new(sleeper: impl Sleeper + 'static) -> Self {
        Self(Arc::new(sleeper))
    }
}

impl Default for SharedSleeper {
    fn default() -> Self {
        Self::new(TokioSleeper)
    }
}

impl Sleeper for SharedSleeper {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.0.sleep(duration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
            .with_max_attempts(4)
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_millis(1000))
            .with_max_retry_time(Duration::from_secs(10))
    }

    fn status(code: u16, retry_after: Option<u64>) -> Outcome<'static> {
        Outcome::Status {
            status: StatusCode::from_u16(code).unwrap(),
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    fn delay(d: Decision) -> Duration {
        match d {
            Decision::Retry { delay, .. } => delay,
            Decision::Stop(r) => panic!("expected retry, got stop: {r}"),
        }
    }

    fn stop(d: Decision) -> StopReason {
        match d {
            Decision::Stop(r) => r,
            other => panic!("expected stop, got {other:?}"),
        }
    }

    #[test]
    fn rate_limit_honours_retry_after_for_every_method() {
        for m in [Method::GET, Method::POST, Method::PATCH] {
            let d = policy().decide(&m, status(429, Some(3)), 1, Duration::ZERO, 0.3);
            assert_eq!(delay(d), Duration::from_secs(3), "{m}");
            assert!(matches!(
                d,
                Decision::Retry {
                    from_retry_after: true,
                    reason: RetryReason::RateLimited,
                    ..
                }
            ));
        }
    }

    #[test]
    fn rate_limit_without_retry_after_backs_off() {
        let p = policy();
        let d1 = delay(p.decide(&Method::POST, status(429, None), 1, Duration::ZERO, 1.0));
        let d2 = delay(p.decide(&Method::POST, status(429, None), 2, Duration::ZERO, 1.0));
        let d3 = delay(p.decide(&Method::POST, status(429, None), 3, Duration::ZERO, 1.0));
        assert_eq!((d1, d2, d3), (100 * MS, 200 * MS, 400 * MS));
        let low = delay(p.decide(&Method::POST, status(429, None), 1, Duration::ZERO, 0.0));
        assert_eq!(low, 50 * MS);
    }

    #[test]
    fn retry_after_beyond_budget_stops() {
        let p = policy();
        let r = stop(p.decide(&Method::GET, status(429, Some(11)), 1, Duration::ZERO, 0.5));
        assert_eq!(
            r,
            StopReason::RetryAfterExceedsBudget {
                retry_after: Duration::from_secs(11),
                remaining: Duration::from_secs(10),
                budget: Duration::from_secs(10)
            }
        );
        let r = stop(p.decide(
            &Method::GET,
            status(429, Some(5)),
            2,
            Duration::from_secs(6),
            0.5,
        ));
        assert_eq!(
            r,
            StopReason::RetryAfterExceedsBudget {
                retry_after: Duration::from_secs(5),
                remaining: Duration::from_secs(4),
                budget: Duration::from_secs(10)
            }
        );
        // Exactly at the budget is still allowed.
        assert_eq!(
            delay(p.decide(
                &Method::GET,
                status(429, Some(4)),
                2,
                Duration::from_secs(6),
                0.5
            )),
            Duration::from_secs(4)
        );
    }

    #[test]
    fn hours_long_retry_after_is_not_retried_and_says_why() {
        // A daily limit: 2 h against the default 60 s budget, for any method.
        for m in [Method::GET, Method::POST] {
            let r = stop(RetryPolicy::default().decide(
                &m,
                status(429, Some(7200)),
                1,
                Duration::from_millis(30),
                0.5,
            ));
            assert!(
                matches!(r, StopReason::RetryAfterExceedsBudget { retry_after, .. } if retry_after == Duration::from_secs(7200)),
                "{r:?}"
            );
            let text = r.to_string();
            assert!(text.contains("the server asked to wait 2 h"), "{text}");
            assert!(text.contains("60 s retry budget"), "{text}");
            assert!(text.contains("not retried"), "{text}");
        }
        // A short Retry-After still retries, and waits exactly that long.
        let d = RetryPolicy::default().decide(
            &Method::GET,
            status(429, Some(2)),
            1,
            Duration::ZERO,
            0.5,
        );
        assert_eq!(delay(d), Duration::from_secs(2));
    }

    #[test]
    fn own_backoff_past_the_budget_is_budget_exhausted() {
        let p = policy().with_max_retry_time(Duration::from_millis(120));
        assert_eq!(
            stop(p.decide(
                &Method::GET,
                status(503, None),
                1,
                Duration::from_millis(100),
                1.0
            )),
            StopReason::BudgetExhausted {
                budget: Duration::from_millis(120)
            }
        );
    }

    #[test]
    fn server_errors_only_for_idempotent_methods() {
        let p = policy();
        for code in [502, 503, 504] {
            for m in [
                Method::GET,
                Method::HEAD,
                Method::PUT,
                Method::DELETE,
                Method::OPTIONS,
            ] {
                assert!(
                    matches!(
                        p.decide(&m, status(code, None), 1, Duration::ZERO, 0.5),
                        Decision::Retry { .. }
                    ),
                    "{m} {code}"
                );
            }
            for m in [Method::POST, Method::PATCH] {
                assert_eq!(
                    stop(p.decide(&m, status(code, None), 1, Duration::ZERO, 0.5)),
                    StopReason::UnsafeToRetry,
                    "{m} {code}"
                );
            }
        }
        // 503 with Retry-After on GET honours it.
        assert_eq!(
            delay(p.decide(&Method::GET, status(503, Some(2)), 1, Duration::ZERO, 0.5)),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn other_statuses_are_not_retried() {
        for code in [400, 401, 403, 404, 409, 500, 501, 505] {
            assert_eq!(
                stop(policy().decide(&Method::GET, status(code, None), 1, Duration::ZERO, 0.5)),
                StopReason::NotRetryable,
                "{code}"
            );
        }
    }

    #[test]
    fn attempts_are_bounded() {
        let p = policy();
        assert!(matches!(
            p.decide(&Method::GET, status(503, None), 3, Duration::ZERO, 0.5),
            Decision::Retry { .. }
        ));
        assert_eq!(
            stop(p.decide(&Method::GET, status(503, None), 4, Duration::ZERO, 0.5)),
            StopReason::AttemptsExhausted { max_attempts: 4 }
        );
        assert_eq!(
            stop(RetryPolicy::none().decide(
                &Method::GET,
                status(429, None),
                1,
                Duration::ZERO,
                0.5
            )),
            StopReason::AttemptsExhausted { max_attempts: 1 }
        );
    }

    #[test]
    fn connection_failures() {
        let p = policy();
        let connect = TransportError::Connect {
            detail: "refused".into(),
            source: None,
        };
        let connect_timeout = TransportError::ConnectTimeout { timeout: None };
        let lost = TransportError::Connection {
            detail: "reset".into(),
            source: None,
        };
        let timeout = TransportError::Timeout {
            timeout: Duration::from_secs(1),
        };
        let tls = TransportError::Tls {
            kind: crate::TlsFailure::UnknownIssuer,
            detail: "bad cert".into(),
            source: None,
        };
        let insecure = TransportError::InsecureScheme { host: "x".into() };
        for m in [Method::GET, Method::POST, Method::PATCH] {
            assert!(matches!(
                p.decide(&m, Outcome::Transport(&connect), 1, Duration::ZERO, 0.5),
                Decision::Retry {
                    reason: RetryReason::ConnectFailed,
                    ..
                }
            ));
            assert!(matches!(
                p.decide(
                    &m,
                    Outcome::Transport(&connect_timeout),
                    1,
                    Duration::ZERO,
                    0.5
                ),
                Decision::Retry { .. }
            ));
            assert_eq!(
                stop(p.decide(&m, Outcome::Transport(&tls), 1, Duration::ZERO, 0.5)),
                StopReason::NotRetryable
            );
            assert_eq!(
                stop(p.decide(&m, Outcome::Transport(&insecure), 1, Duration::ZERO, 0.5)),
                StopReason::NotRetryable
            );
        }
        assert!(matches!(
            p.decide(
                &Method::GET,
                Outcome::Transport(&lost),
                1,
                Duration::ZERO,
                0.5
            ),
            Decision::Retry { .. }
        ));
        assert!(matches!(
            p.decide(
                &Method::DELETE,
                Outcome::Transport(&timeout),
                1,
                Duration::ZERO,
                0.5
            ),
            Decision::Retry { .. }
        ));
        assert_eq!(
            stop(p.decide(
                &Method::POST,
                Outcome::Transport(&lost),
                1,
                Duration::ZERO,
                0.5
            )),
            StopReason::UnsafeToRetry
        );
        assert_eq!(
            stop(p.decide(
                &Method::POST,
                Outcome::Transport(&timeout),
                1,
                Duration::ZERO,
                0.5
            )),
            StopReason::UnsafeToRetry
        );
    }

    #[test]
    fn switches_disable_classes() {
        let p = policy()
            .with_rate_limit_retries(false)
            .with_server_error_retries(false)
            .with_connection_error_retries(false)
            .with_timeout_retries(false);
        let timeout = TransportError::Timeout {
            timeout: Duration::from_secs(1),
        };
        let connect = TransportError::Connect {
            detail: "refused".into(),
            source: None,
        };
        for o in [
            status(429, None),
            status(503, None),
            Outcome::Transport(&timeout),
            Outcome::Transport(&connect),
        ] {
            assert_eq!(
                stop(p.decide(&Method::GET, o, 1, Duration::ZERO, 0.5)),
                StopReason::NotRetryable
            );
        }
    }

    #[test]
    fn backoff_is_capped_and_never_overflows() {
        let p = policy();
        assert_eq!(p.backoff(5, 1.0), Duration::from_millis(1000));
        assert_eq!(p.backoff(60, 1.0), Duration::from_millis(1000));
        assert_eq!(p.backoff(u32::MAX, 0.0), Duration::from_millis(500));
        assert_eq!(p.backoff(1, f64::NAN), Duration::from_millis(100));
        let huge = RetryPolicy::default()
            .with_initial_backoff(Duration::MAX)
            .with_max_backoff(Duration::MAX);
        assert_eq!(huge.backoff(3, 1.0), Duration::MAX);
    }

    #[test]
    fn idempotency_table() {
        for m in [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
            Method::TRACE,
        ] {
            assert!(is_idempotent(&m));
        }
        for m in [Method::POST, Method::PATCH, Method::CONNECT] {
            assert!(!is_idempotent(&m));
        }
    }
}
