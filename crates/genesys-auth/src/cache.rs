//! [`CachingTokenSource`]: a single-flight token cache that refreshes ahead
//! of expiry.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures_util::future::{BoxFuture, FutureExt, Shared};

use crate::clock::{Clock, SharedClock};
use crate::error::AuthError;
use crate::source::TokenSource;
use crate::token::AccessToken;

/// Default time before expiry at which a token is refreshed: 5 minutes.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Default wait after a failed early refresh before the next attempt, while
/// the current token is still valid: 10 seconds.
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(10);

type Flight = Shared<BoxFuture<'static, Result<AccessToken, AuthError>>>;

/// Caches the token of another [`TokenSource`] and refreshes it ahead of
/// expiry, with at most one token request in flight.
///
/// # Behaviour
///
/// - **Lazy**: nothing happens until [`token`](TokenSource::token) is
///   called, and no background task is ever spawned. The callers waiting
///   for a token drive the one request between them, so the request goes on
///   even if the caller that started it is cancelled.
/// - **Fresh token**: returned at once.
/// - **Single flight**: when a token is needed, one request is made; any
///   number of concurrent callers wait for it and all get its result (the
///   token or the error).
/// - **Refresh ahead**: from `refresh_margin` before expiry (default
///   [`DEFAULT_REFRESH_MARGIN`], 5 minutes) the next caller starts a
///   refresh. The margin is capped at half the token's lifetime, so
///   short-lived tokens are not refreshed on every call.
/// - **Failed early refresh**: while the current token has not expired,
///   the callers get the current token instead of the error (logged at
///   `WARN`), and no new request is made for `retry_interval` (default
///   [`DEFAULT_RETRY_INTERVAL`], 10 seconds).
/// - **Failed refresh without a valid token**: the error goes to every
///   waiting caller; it is never cached, so the next call tries again.
/// - **401**: [`invalidate`](TokenSource::invalidate) drops the cached token
///   only if it is the rejected one (a newer token fetched meanwhile is
///   kept), so the next call makes exactly one new request. The call is
///   passed on to the wrapped source.
/// - Tokens without an expiry are kept until invalidated.
/// - Time comes from an injectable [`Clock`], so tests need no sleeps.
///
/// ```
/// use std::time::Duration;
/// use genesys_auth::{token_source_fn, AccessToken, CachingTokenSource, TokenSource};
///
/// # async fn demo() -> Result<(), genesys_auth::AuthError> {
/// let source = token_source_fn(|| async {
///     Ok(AccessToken::new("t").with_expires_in(Duration::from_secs(86_399)))
/// });
/// let cached = CachingTokenSource::builder(source)
///     .refresh_margin(Duration::from_secs(300))
///     .build();
/// let first = cached.token().await?;
/// let second = cached.token().await?; // from the cache, no new request
/// assert!(first.same_secret(&second));
/// # Ok(()) }
/// ```
pub struct CachingTokenSource<S> {
    source: Arc<S>,
    state: Arc<Mutex<State>>,
    config: Config,
}

#[derive(Debug, Clone)]
struct Config {
    refresh_margin: Duration,
    retry_interval: Duration,
    clock: SharedClock,
}

#[derive(Default)]
struct State {
    current: Option<Cached>,
    flight: Option<(u64, Flight)>,
    next_flight: u64,
    /// After a failed early refresh: no new request before this time while
    /// the current token is valid.
    quiet_until: Option<SystemTime>,
}

#[derive(Clone)]
struct Cached {
    token: AccessToken,
    obtained_at: SystemTime,
}

impl Cached {
    /// When a refresh is due: `margin` before expiry, the margin capped at
    /// half the lifetime. `None` for a token without expiry.
    fn refresh_at(&self, margin: Duration) -> Option<SystemTime> {
        let expires = self.token.expires_at()?;
        let lifetime = expires
            .duration_since(self.obtained_at)
            .unwrap_or(Duration::ZERO);
        let margin = margin.min(lifetime / 2);
        Some(expires.checked_sub(margin).unwrap_or(expires))
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<S: TokenSource + 'static> CachingTokenSource<S> {
    /// Caches `source` with the default settings.
    pub fn new(source: S) -> Self {
        Self::builder(source).build()
    }

    /// A builder to change the margins or the clock.
    pub fn builder(source: S) -> CachingTokenSourceBuilder<S> {
        CachingTokenSourceBuilder {
            source,
            config: Config {
                refresh_margin: DEFAULT_REFRESH_MARGIN,
                retry_interval: DEFAULT_RETRY_INTERVAL,
                clock: SharedClock::default(),
            },
        }
    }

    /// The wrapped source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// The cached token, if any, without refreshing anything.
    pub fn cached_token(&self) -> Option<AccessToken> {
        lock(&self.state).current.as_ref().map(|c| c.token.clone())
    }

    /// Drops the cached token (whatever it is), so the next call fetches a
    /// new one.
    pub fn clear(&self) {
        let mut state = lock(&self.state);
        state.current = None;
        state.quiet_until = None;
    }

    /// Joins the flight in progress or starts one.
    fn flight(&self, state: &mut State, reason: &'static str) -> Flight {
        if let Some((_, flight)) = &state.flight {
            return flight.clone();
        }
        let id = state.next_flight;
        state.next_flight = state.next_flight.wrapping_add(1);
        tracing::debug!(reason, "requesting a new access token");
        let source = Arc::clone(&self.source);
        let weak = Arc::downgrade(&self.state);
        let config = self.config.clone();
        let flight = async move {
            let result = AssertUnwindSafe(source.token())
                .catch_unwind()
                .await
                .unwrap_or_else(|_| {
                    Err(AuthError::Source {
                        message: "the token source panicked".into(),
                        transient: false,
                        source: None,
                    })
                });
            finish(&weak, id, &result, &config);
            result
        }
        .boxed()
        .shared();
        state.flight = Some((id, flight.clone()));
        flight
    }
}

/// Records the outcome of flight `id`.
fn finish(
    state: &Weak<Mutex<State>>,
    id: u64,
    result: &Result<AccessToken, AuthError>,
    config: &Config,
) {
    let Some(state) = state.upgrade() else {
        return;
    };
    let now = config.clock.now();
    let mut state = lock(&state);
    if state.flight.as_ref().is_some_and(|(f, _)| *f == id) {
        state.flight = None;
    }
    match result {
        Ok(token) => {
            tracing::debug!(
                expires_in_s = token.expires_in(now).map(|d| d.as_secs()),
                principal = %token.principal(),
                "obtained a new access token"
            );
            state.current = Some(Cached {
                token: token.clone(),
                obtained_at: now,
            });
            state.quiet_until = None;
        }
        Err(error) => {
            let still_valid = state
                .current
                .as_ref()
                .is_some_and(|c| !c.token.is_expired(now));
            if still_valid {
                state.quiet_until = now.checked_add(config.retry_interval);
                tracing::warn!(
                    retry_in_s = config.retry_interval.as_secs(),
                    "refreshing the access token ahead of expiry failed; \
                     the current token is still valid and stays in use: {error}"
                );
            } else {
                state.current = None;
                tracing::warn!("obtaining an access token failed: {error}");
            }
        }
    }
}

#[async_trait]
impl<S: TokenSource + 'static> TokenSource for CachingTokenSource<S> {
    async fn token(&self) -> Result<AccessToken, AuthError> {
        let now = self.config.clock.now();
        let (flight, fallback) = {
            let mut state = lock(&self.state);
            match state.current.clone() {
                Some(cached) => {
                    let due = cached
                        .refresh_at(self.config.refresh_margin)
                        .is_some_and(|at| now >= at);
                    if !due {
                        return Ok(cached.token);
                    }
                    if cached.token.is_expired(now) {
                        (self.flight(&mut state, "expired"), None)
                    } else {
                        let quiet = state.quiet_until.is_some_and(|until| now < until);
                        if quiet && state.flight.is_none() {
                            return Ok(cached.token);
                        }
                        (
                            self.flight(&mut state, "refresh ahead of expiry"),
                            Some(cached.token),
                        )
                    }
                }
                None => (self.flight(&mut state, "no token cached"), None),
            }
        };
        match flight.await {
            Ok(token) => Ok(token),
            Err(error) => match fallback {
                Some(old) if !old.is_expired(self.config.clock.now()) => Ok(old),
                _ => Err(error),
            },
        }
    }

    /// The cached token while it is not yet due for refresh; `None` when
    /// [`token`](TokenSource::token) would have to fetch (or refresh) one.
    fn ready_token(&self) -> Option<AccessToken> {
        let now = self.config.clock.now();
        let state = lock(&self.state);
        let cached = state.current.as_ref()?;
        let due = cached
            .refresh_at(self.config.refresh_margin)
            .is_some_and(|at| now >= at);
        (!due).then(|| cached.token.clone())
    }

    fn invalidate(&self, rejected: &AccessToken) {
        {
            let mut state = lock(&self.state);
            if state
                .current
                .as_ref()
                .is_some_and(|c| c.token.same_secret(rejected))
            {
                tracing::debug!("dropping the rejected access token");
                state.current = None;
                state.quiet_until = None;
            }
        }
        self.source.invalidate(rejected);
    }
}

impl<S: fmt::Debug> fmt::Debug for CachingTokenSource<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("CachingTokenSource")
            .field("source", &self.source)
            .field("refresh_margin", &self.config.refresh_margin)
            .field("retry_interval", &self.config.retry_interval)
            .field("cached", &state.current.as_ref().map(|c| &c.token))
            .field("refreshing", &state.flight.is_some())
            .finish()
    }
}

/// Builds a [`CachingTokenSource`].
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use genesys_auth::{AccessToken, CachingTokenSource, ManualClock};
///
/// let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
/// let cache = CachingTokenSource::builder(AccessToken::new("t"))
///     .refresh_margin(Duration::from_secs(60))
///     .retry_interval(Duration::from_secs(5))
///     .clock(clock.clone())
///     .build();
/// # let _ = cache;
/// ```
#[must_use]
pub struct CachingTokenSourceBuilder<S> {
    source: S,
    config: Config,
}

impl<S: fmt::Debug> fmt::Debug for CachingTokenSourceBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingTokenSourceBuilder")
            .field("source", &self.source)
            .field("config", &self.config)
            .finish()
    }
}

impl<S: TokenSource + 'static> CachingTokenSourceBuilder<S> {
    /// How long before expiry a token is refreshed (default 5 minutes). It is
    /// capped at half of each token's lifetime.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.config.refresh_margin = margin;
        self
    }

    /// After a failed early refresh, how long the still-valid token is
    /// served before the next attempt (default 10 seconds).
    pub fn retry_interval(mut self, interval: Duration) -> Self {
        self.config.retry_interval = interval;
        self
    }

    /// The clock expiry is judged by (default: the system clock). Use the
    /// same clock for the wrapped source.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.config.clock = SharedClock::new(clock);
        self
    }

    /// Like [`clock`](Self::clock), with an already shared clock.
    pub fn shared_clock(mut self, clock: SharedClock) -> Self {
        self.config.clock = clock;
        self
    }

    /// Builds the cache.
    pub fn build(self) -> CachingTokenSource<S> {
        CachingTokenSource {
            source: Arc::new(self.source),
            state: Arc::new(Mutex::new(State::default())),
            config: self.config,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::clock::ManualClock;

    /// Counts calls; each call waits for `gate` permission when armed and
    /// answers from a script (`Ok` with a new token of `lifetime`, or `Err`).
    #[derive(Debug)]
    struct Scripted {
        calls: AtomicU32,
        clock: ManualClock,
        lifetime: Duration,
        fail: Mutex<Vec<bool>>,
        gate: Mutex<Option<futures_channel_like::Gate>>,
    }

    /// A tiny gate: the token call waits until `open` is called.
    mod futures_channel_like {
        use std::sync::{Arc, Mutex};
        use std::task::Waker;

        #[derive(Debug, Clone, Default)]
        pub struct Gate(Arc<Mutex<(bool, Vec<Waker>)>>);

        impl Gate {
            pub fn open(&self) {
                let mut g = self.0.lock().unwrap();
                g.0 = true;
                for w in g.1.drain(..) {
                    w.wake();
                }
            }
            pub async fn wait(&self) {
                std::future::poll_fn(|cx| {
                    let mut g = self.0.lock().unwrap();
                    if g.0 {
                        std::task::Poll::Ready(())
                    } else {
                        g.1.push(cx.waker().clone());
                        std::task::Poll::Pending
                    }
                })
                .await
            }
        }
    }

    impl Scripted {
        fn new(clock: &ManualClock, lifetime: Duration) -> Self {
            Self {
                calls: AtomicU32::new(0),
                clock: clock.clone(),
                lifetime,
                fail: Mutex::new(Vec::new()),
                gate: Mutex::new(None),
            }
        }
        fn calls(&self) -> u32 {
            self.calls.load(Ordering::SeqCst)
        }
        /// The next calls fail (true) or succeed (false), in order.
        fn script(&self, outcomes: &[bool]) {
            let mut f = self.fail.lock().unwrap();
            f.extend(outcomes.iter().rev());
        }
    }

    #[async_trait]
    impl TokenSource for Scripted {
        async fn token(&self) -> Result<AccessToken, AuthError> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            let gate = self.gate.lock().unwrap().clone();
            if let Some(gate) = gate {
                gate.wait().await;
            }
            if self.fail.lock().unwrap().pop().unwrap_or(false) {
                return Err(AuthError::transient(format!("failure #{n}")));
            }
            Ok(AccessToken::new(format!("token-{n}"))
                .with_expires_at(self.clock.now() + self.lifetime))
        }
    }

    fn setup(
        lifetime: Duration,
    ) -> (
        ManualClock,
        CachingTokenSource<Arc<Scripted>>,
        Arc<Scripted>,
    ) {
        let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000));
        let source = Arc::new(Scripted::new(&clock, lifetime));
        let cache = CachingTokenSource::builder(Arc::clone(&source))
            .clock(clock.clone())
            .build();
        (clock, cache, source)
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        futures_util::FutureExt::now_or_never(Box::pin(f))
            .expect("future completes without waiting")
    }

    const DAY: Duration = Duration::from_secs(86_399);

    #[test]
    fn caches_until_the_refresh_margin() {
        let (clock, cache, source) = setup(DAY);
        let a = block_on(cache.token()).unwrap();
        assert_eq!(a.expose_secret(), "token-1");
        clock.advance(DAY - DEFAULT_REFRESH_MARGIN - Duration::from_secs(1));
        assert_eq!(block_on(cache.token()).unwrap().expose_secret(), "token-1");
        assert_eq!(source.calls(), 1);
        clock.advance(Duration::from_secs(1));
        assert_eq!(block_on(cache.token()).unwrap().expose_secret(), "token-2");
        assert_eq!(source.calls(), 2);
    }

    #[test]
    fn ready_token_is_the_cached_token_until_it_is_due() {
        let (clock, cache, source) = setup(DAY);
        assert!(cache.ready_token().is_none(), "nothing fetched yet");
        block_on(cache.token()).unwrap();
        assert_eq!(cache.ready_token().unwrap().expose_secret(), "token-1");
        clock.advance(DAY - DEFAULT_REFRESH_MARGIN);
        assert!(cache.ready_token().is_none(), "due: token() must refresh");
        assert_eq!(source.calls(), 1, "ready_token never fetches");
        let shared = crate::SharedTokenSource::new(cache);
        block_on(shared.token()).unwrap();
        assert_eq!(shared.ready_token().unwrap().expose_secret(), "token-2");
    }

    #[test]
    fn margin_is_capped_at_half_the_lifetime() {
        let (clock, cache, source) = setup(Duration::from_secs(60));
        block_on(cache.token()).unwrap();
        clock.advance(Duration::from_secs(29));
        block_on(cache.token()).unwrap();
        assert_eq!(source.calls(), 1);
        clock.advance(Duration::from_secs(1));
        block_on(cache.token()).unwrap();
        assert_eq!(source.calls(), 2);
    }

    #[test]
    fn failed_early_refresh_keeps_the_valid_token_then_retries() {
        let (clock, cache, source) = setup(DAY);
        block_on(cache.token()).unwrap();
        clock.advance(DAY - Duration::from_secs(60)); // inside the margin
        source.script(&[true]);
        let t = block_on(cache.token()).unwrap();
        assert_eq!(t.expose_secret(), "token-1");
        assert_eq!(source.calls(), 2);
        // Quiet period: no new request.
        block_on(cache.token()).unwrap();
        assert_eq!(source.calls(), 2);
        clock.advance(DEFAULT_RETRY_INTERVAL);
        assert_eq!(block_on(cache.token()).unwrap().expose_secret(), "token-3");
        assert_eq!(source.calls(), 3);
    }

    #[test]
    fn failure_without_a_valid_token_is_returned_and_not_cached() {
        let (clock, cache, source) = setup(DAY);
        source.script(&[true, true]);
        assert!(block_on(cache.token()).is_err());
        assert!(block_on(cache.token()).is_err());
        assert_eq!(block_on(cache.token()).unwrap().expose_secret(), "token-3");
        // Expired token, failing refresh: the error, then recovery.
        clock.advance(DAY);
        source.script(&[true]);
        let err = block_on(cache.token()).unwrap_err();
        assert!(err.to_string().contains("failure #4"));
        assert!(cache.cached_token().is_none());
        assert_eq!(block_on(cache.token()).unwrap().expose_secret(), "token-5");
    }

    #[test]
    fn invalidate_drops_only_the_rejected_token() {
        let (_clock, cache, source) = setup(DAY);
        let first = block_on(cache.token()).unwrap();
        cache.invalidate(&first);
        let second = block_on(cache.token()).unwrap();
        assert_eq!(second.expose_secret(), "token-2");
        // A late 401 for the old token does not drop the new one.
        cache.invalidate(&first);
        assert_eq!(block_on(cache.token()).unwrap().expose_secret(), "token-2");
        assert_eq!(source.calls(), 2);
        cache.clear();
        assert_eq!(block_on(cache.token()).unwrap().expose_secret(), "token-3");
    }

    #[test]
    fn concurrent_callers_share_one_request_and_its_error() {
        let (_clock, cache, source) = setup(DAY);
        let gate = futures_channel_like::Gate::default();
        *source.gate.lock().unwrap() = Some(gate.clone());
        source.script(&[true]);
        let mut waiting: Vec<_> = (0..50).map(|_| Box::pin(cache.token())).collect();
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        for f in &mut waiting {
            assert!(f.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(source.calls(), 1);
        gate.open();
        for f in &mut waiting {
            match f.as_mut().poll(&mut cx) {
                std::task::Poll::Ready(Err(e)) => assert!(e.to_string().contains("failure #1")),
                other => panic!("expected the shared error, got {other:?}"),
            }
        }
        assert_eq!(source.calls(), 1);
        *source.gate.lock().unwrap() = None;
        assert_eq!(block_on(cache.token()).unwrap().expose_secret(), "token-2");
    }

    #[test]
    fn a_cancelled_starter_does_not_strand_the_others() {
        let (_clock, cache, source) = setup(DAY);
        let gate = futures_channel_like::Gate::default();
        *source.gate.lock().unwrap() = Some(gate.clone());
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut starter = Box::pin(cache.token());
        assert!(starter.as_mut().poll(&mut cx).is_pending());
        drop(starter);
        let mut other = Box::pin(cache.token());
        assert!(other.as_mut().poll(&mut cx).is_pending());
        gate.open();
        match other.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(Ok(t)) => assert_eq!(t.expose_secret(), "token-1"),
            _ => panic!("expected the token"),
        }
        assert_eq!(source.calls(), 1);
    }

    #[test]
    fn a_panicking_source_does_not_poison_the_cache() {
        #[derive(Debug)]
        struct Panics(AtomicU32);
        #[async_trait]
        impl TokenSource for Panics {
            async fn token(&self) -> Result<AccessToken, AuthError> {
                if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
                    panic!("boom");
                }
                Ok(AccessToken::new("ok"))
            }
        }
        let cache = CachingTokenSource::new(Panics(AtomicU32::new(0)));
        let err = block_on(cache.token()).unwrap_err();
        assert!(err.to_string().contains("panicked"));
        assert_eq!(block_on(cache.token()).unwrap().expose_secret(), "ok");
    }

    #[test]
    fn tokens_without_expiry_stay_cached() {
        let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
        let cache = CachingTokenSource::builder(AccessToken::new("forever"))
            .clock(clock.clone())
            .build();
        block_on(cache.token()).unwrap();
        clock.advance(Duration::from_secs(10 * 365 * 86_400));
        assert_eq!(block_on(cache.token()).unwrap().expose_secret(), "forever");
        let debug = format!("{cache:?}");
        assert!(!debug.contains("forever"), "{debug}");
    }
}
