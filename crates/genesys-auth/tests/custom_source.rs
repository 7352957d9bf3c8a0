//! The core without any feature: custom sources, closures, plain values and
//! the cache in front of them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use genesys_auth::{
    AccessToken, AuthError, CachingTokenSource, ManualClock, Principal, SharedTokenSource,
    TokenSource, TokenSourceExt, async_trait, token_source_fn,
};

// ---- A custom token source in under 15 lines (counted by the test below).
// BEGIN CUSTOM SOURCE
#[derive(Debug, Default)]
struct CompanyTokenService {
    calls: AtomicU32,
}

#[async_trait]
impl TokenSource for CompanyTokenService {
    async fn token(&self) -> Result<AccessToken, AuthError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(AccessToken::new(format!("company-token-{n}"))
            .with_expires_in(Duration::from_secs(3600))
            .with_principal(Principal::client("company-service")))
    }
}
// END CUSTOM SOURCE

#[test]
fn the_custom_source_takes_under_15_lines() {
    let text = include_str!("custom_source.rs");
    let start = text.find("// BEGIN CUSTOM SOURCE").unwrap();
    let end = text.find("// END CUSTOM SOURCE").unwrap();
    let lines = text[start..end]
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count();
    assert!(lines < 15, "the custom source takes {lines} lines");
}

#[tokio::test]
async fn a_custom_source_behind_the_cache() {
    let source = Arc::new(CompanyTokenService::default());
    let cached = Arc::clone(&source).cached();
    let first = cached.token().await.unwrap();
    assert_eq!(first.expose_secret(), "company-token-1");
    assert_eq!(first.principal().client_id(), Some("company-service"));
    let again = cached.token().await.unwrap();
    assert!(again.same_secret(&first));
    assert_eq!(source.calls.load(Ordering::SeqCst), 1);
    // A 401 for the token: exactly one new request.
    cached.invalidate(&first);
    assert_eq!(
        cached.token().await.unwrap().expose_secret(),
        "company-token-2"
    );
    assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    // Shared, type-erased.
    let shared: SharedTokenSource = cached.shared();
    assert_eq!(
        shared.token().await.unwrap().expose_secret(),
        "company-token-2"
    );
}

#[tokio::test]
async fn closures_and_plain_values_are_sources() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&calls);
    let closure = token_source_fn(move || {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(AccessToken::new("from-closure"))
        }
    });
    assert_eq!(
        closure.token().await.unwrap().expose_secret(),
        "from-closure"
    );
    assert_eq!(
        closure.token().await.unwrap().expose_secret(),
        "from-closure"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(format!("{closure:?}"), "TokenSourceFn(..)");

    let failing = token_source_fn(|| async { Err(AuthError::transient("token service down")) });
    let err = failing.token().await.unwrap_err();
    assert!(err.is_transient());
    assert_eq!(err.to_string(), "token source failed: token service down");

    let value = AccessToken::new("static");
    assert_eq!(value.token().await.unwrap().expose_secret(), "static");
    assert!(value.token().await.unwrap().principal().is_unknown());
    let boxed: Box<dyn TokenSource> = Box::new(value.clone());
    assert_eq!(boxed.token().await.unwrap().expose_secret(), "static");
    let shared = SharedTokenSource::from_arc(Arc::new(value));
    assert!(format!("{shared:?}").contains("REDACTED"));
}

/// A slow source: every call takes a few scheduler turns.
#[derive(Debug, Default)]
struct Slow {
    calls: AtomicU32,
}

#[async_trait]
impl TokenSource for Slow {
    async fn token(&self) -> Result<AccessToken, AuthError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        Ok(AccessToken::new(format!("slow-{n}")).with_expires_in(Duration::from_secs(600)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_callers_make_one_call() {
    let source = Arc::new(Slow::default());
    let cache = Arc::new(Arc::clone(&source).cached());
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.token().await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().expose_secret(), "slow-1");
    }
    assert_eq!(source.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn injectable_time_drives_refresh() {
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000));
    let issued = Arc::new(AtomicU32::new(0));
    let (c, n) = (clock.clone(), Arc::clone(&issued));
    let source = token_source_fn(move || {
        let (c, n) = (c.clone(), Arc::clone(&n));
        async move {
            let i = n.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(AccessToken::new(format!("t{i}"))
                .with_expires_at(genesys_auth::Clock::now(&c) + Duration::from_secs(3600)))
        }
    });
    let cache = CachingTokenSource::builder(source)
        .refresh_margin(Duration::from_secs(300))
        .clock(clock.clone())
        .build();
    assert_eq!(cache.token().await.unwrap().expose_secret(), "t1");
    clock.advance(Duration::from_secs(3600 - 301));
    assert_eq!(cache.token().await.unwrap().expose_secret(), "t1");
    clock.advance(Duration::from_secs(1));
    assert_eq!(cache.token().await.unwrap().expose_secret(), "t2");
    assert_eq!(cache.cached_token().unwrap().expose_secret(), "t2");
}
