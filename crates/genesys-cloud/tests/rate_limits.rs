//! Rate limits that last, through the facade against the emulator on
//! 127.0.0.1: a 429 whose `Retry-After` is hours long comes back at once,
//! saying how long the server asked to wait and until when, and the
//! client exposes the `inin-ratelimit-*` headers of the last response.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use genesys_cloud::Error;
use genesys_emulator::{Emulator, EmulatorConfig, Fault, RouteMatch, seed};
use http::Method;

mod common;
use common::client_with;

const TOKENS_ME: &str = "/api/v2/tokens/me";
const TWO_HOURS: Duration = Duration::from_secs(7200);

/// `time` as RFC 3339 UTC to the second, computed independently of the SDK
/// (Howard Hinnant's days-to-civil algorithm).
fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Checks the error a 2 h `Retry-After` must give, received between
/// `before` and `after`.
fn assert_two_hour_wait(err: &Error, before: SystemTime, after: SystemTime) {
    assert!(err.is_rate_limited(), "{err}");
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after(), Some(TWO_HOURS));
    let at = err.retry_at().expect("a retry time");
    assert!(
        at >= before + TWO_HOURS && at <= after + TWO_HOURS,
        "{at:?} not within {before:?}..{after:?} + 2 h"
    );
    let api = err.api_error().unwrap();
    assert_eq!(api.retry_after(), Some(TWO_HOURS));
    assert_eq!(api.retry_at(), Some(at));

    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "rate limited: the server asked to wait 2 h, until {}",
            rfc3339(at)
        )),
        "{text}"
    );
    assert!(
        text.contains("not retried: the server asked to wait 2 h, more than the 60 s retry budget"),
        "{text}"
    );
    assert!(text.contains("(correlation id: "), "{text}");
}

#[tokio::test]
async fn daily_limit_429_says_how_long_and_until_when() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = client_with(&emu, emu.user_token(seed::DEFAULT_USER_ID));
    emu.inject(
        RouteMatch::new(Method::GET, TOKENS_ME),
        Fault::RateLimited {
            retry_after: Some(7200),
            times: 5,
        },
    );

    let before = SystemTime::now();
    let err = client.tokens().get_tokens_me().await.unwrap_err();
    let after = SystemTime::now();

    assert_two_hour_wait(&err, before, after);
    // Not retried: one request reached the server, and nothing was waited.
    assert_eq!(emu.counters().requests(&Method::GET, TOKENS_ME), 1);
    assert!(after.duration_since(before).unwrap() < Duration::from_secs(30));
    match &err {
        Error::Api(failure) => assert_eq!(failure.attempts, 1),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn client_exposes_the_rate_limit_headers_and_the_window_429() {
    // Two requests per two-hour window, on the emulator's manual clock: the
    // third request is answered 429 with `Retry-After: 7200`.
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_manual_clock()
            .with_rate_limit(2, TWO_HOURS),
    )
    .await
    .unwrap();
    let client = client_with(&emu, emu.user_token(seed::DEFAULT_USER_ID));
    assert!(client.rate_limit().is_none());

    let before = SystemTime::now();
    client.tokens().get_tokens_me().await.unwrap();
    let after = SystemTime::now();
    let first = client.rate_limit().expect("the emulator sends the headers");
    assert_eq!(first.allowed, Some(2));
    assert_eq!(first.count, Some(1));
    assert_eq!(first.reset, Some(TWO_HOURS));
    assert_eq!(first.remaining(), Some(1));
    assert!(first.observed_at >= before && first.observed_at <= after);

    // Clones share what was seen.
    let clone = client.clone();
    clone.tokens().get_tokens_me().await.unwrap();
    let second = client.rate_limit().unwrap();
    assert_eq!((second.count, second.remaining()), (Some(2), Some(0)));

    let before = SystemTime::now();
    let err = client.tokens().get_tokens_me().await.unwrap_err();
    let after = SystemTime::now();
    assert_two_hour_wait(&err, before, after);
    assert_eq!(emu.counters().rate_limited(), 1);
    // The 429 carried no rate-limit headers: the last status stays.
    assert!(err.rate_limit().is_none());
    assert_eq!(client.rate_limit().unwrap().count, Some(2));
}

#[tokio::test]
async fn short_retry_after_is_still_waited_out() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = client_with(&emu, emu.user_token(seed::DEFAULT_USER_ID));
    emu.inject(
        RouteMatch::new(Method::GET, TOKENS_ME),
        Fault::RateLimited {
            retry_after: Some(0),
            times: 1,
        },
    );
    client.tokens().get_tokens_me().await.unwrap();
    assert_eq!(emu.counters().requests(&Method::GET, TOKENS_ME), 2);
}
