//! The `inin-ratelimit-*` response headers ([`RateLimitStatus`]) and the
//! response receipt time ([`ReceivedAt`]).

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName};

/// `inin-ratelimit-allowed`: requests allowed in the current window.
pub(crate) const ALLOWED_HEADER: &str = "inin-ratelimit-allowed";
/// `inin-ratelimit-count`: requests counted in the current window so far.
pub(crate) const COUNT_HEADER: &str = "inin-ratelimit-count";
/// `inin-ratelimit-reset`: seconds until the current window resets.
pub(crate) const RESET_HEADER: &str = "inin-ratelimit-reset";

/// When the head of a response arrived.
///
/// An [`HttpClient`](crate::HttpClient) may insert this into the response's
/// extensions (the default `HyperClient` does, as soon as the status and
/// headers are in). The transport uses it as the reference time of the
/// response: a `Retry-After` wait runs from it
/// ([`ApiError::retry_at`](crate::ApiError::retry_at)), an HTTP-date
/// `Retry-After` is measured against it, and it is the
/// [`observed_at`](RateLimitStatus::observed_at) of the rate-limit headers.
/// Without it the transport reads the system clock when the client returns.
/// A test client can insert a fixed time to make all of this deterministic.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use bytes::Bytes;
/// use genesys_transport::ReceivedAt;
///
/// let mut response = http::Response::new(Bytes::new());
/// let fixed = UNIX_EPOCH + Duration::from_secs(1_795_852_800);
/// response.extensions_mut().insert(ReceivedAt(fixed));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceivedAt(pub SystemTime);

/// The rate-limit headers of a response: how much of the current rate-limit
/// window the caller (the access token) has used, so a service can pace
/// itself instead of running into 429s.
///
/// Genesys sends, on API responses (see the shared Genesys platform facts,
/// `genesys-platform-facts.md` §4 "Rate limiting, retries and correlation",
/// which quotes an official sample with the values 1, 180 and 61):
///
/// | header | field | meaning |
/// |---|---|---|
/// | `inin-ratelimit-allowed` | [`allowed`](Self::allowed) | requests allowed per window (e.g. 180; the documented default is 300 per minute per token) |
/// | `inin-ratelimit-count` | [`count`](Self::count) | requests counted in the current window, this one included |
/// | `inin-ratelimit-reset` | [`reset`](Self::reset) | seconds until the window resets |
///
/// The facts file gives example values only; `reset` is read as seconds
/// until the window resets, which is how the public Genesys samples use it
/// and what the local emulator sends. Whole or decimal seconds are accepted.
///
/// [`Transport::rate_limit`](crate::Transport::rate_limit) returns the status
/// of the last response that carried any of these headers; an
/// [`ApiError`](crate::ApiError) carries the status of its own response.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use genesys_transport::RateLimitStatus;
/// use http::HeaderMap;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("inin-ratelimit-allowed", "180".parse().unwrap());
/// headers.insert("inin-ratelimit-count", "175".parse().unwrap());
/// headers.insert("inin-ratelimit-reset", "42".parse().unwrap());
/// let now = SystemTime::now();
/// let status = RateLimitStatus::from_headers(&headers, now).unwrap();
/// assert_eq!(status.remaining(), Some(5));
/// assert_eq!(status.reset, Some(Duration::from_secs(42)));
/// assert_eq!(status.resets_at(), Some(now + Duration::from_secs(42)));
///
/// assert!(RateLimitStatus::from_headers(&HeaderMap::new(), now).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimitStatus {
    /// `inin-ratelimit-allowed`: requests allowed in the window.
    pub allowed: Option<u64>,
    /// `inin-ratelimit-count`: requests counted in the window so far.
    pub count: Option<u64>,
    /// `inin-ratelimit-reset`: time until the window resets, counted from
    /// [`observed_at`](Self::observed_at).
    pub reset: Option<Duration>,
    /// When the response carrying the headers arrived (its [`ReceivedAt`]).
    pub observed_at: SystemTime,
}

impl RateLimitStatus {
    /// Reads the three headers. `None` when none of them is present with a
    /// usable value (a non-negative number); a header that is missing or
    /// unusable leaves its field `None`.
    pub fn from_headers(headers: &HeaderMap, observed_at: SystemTime) -> Option<Self> {
        // Names made once, at compile time: a `&str` key is parsed on every lookup.
        const ALLOWED: HeaderName = HeaderName::from_static(ALLOWED_HEADER);
        const COUNT: HeaderName = HeaderName::from_static(COUNT_HEADER);
        const RESET: HeaderName = HeaderName::from_static(RESET_HEADER);
        let text = |name: &HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
        let allowed = text(&ALLOWED).and_then(parse_count);
        let count = text(&COUNT).and_then(parse_count);
        let reset = text(&RESET).and_then(parse_seconds);
        if allowed.is_none() && count.is_none() && reset.is_none() {
            return None;
        }
        Some(Self {
            allowed,
            count,
            reset,
            observed_at,
        })
    }

    /// Requests left in the window (`allowed - count`, never negative), when
    /// both headers were present.
    pub fn remaining(&self) -> Option<u64> {
        Some(self.allowed?.saturating_sub(self.count?))
    }

    /// When the window resets: [`observed_at`](Self::observed_at) plus
    /// [`reset`](Self::reset).
    pub fn resets_at(&self) -> Option<SystemTime> {
        self.observed_at.checked_add(self.reset?)
    }
}

fn parse_count(value: &str) -> Option<u64> {
    let v = value.trim();
    if v.is_empty() || v.len() > 20 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// Non-negative whole or decimal seconds (`61`, `0.5`).
fn parse_seconds(value: &str) -> Option<Duration> {
    let v = value.trim();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if v.len() > 20 {
        return None;
    }
    let Some((whole, fraction)) = v.split_once('.') else {
        return parse_count(v).map(Duration::from_secs);
    };
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    v.parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn reads_the_three_headers_any_case() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let map = headers(&[
            ("ININ-RateLimit-Allowed", "180"),
            ("inin-ratelimit-count", " 1 "),
            ("Inin-Ratelimit-Reset", "61"),
        ]);
        let status = RateLimitStatus::from_headers(&map, now).unwrap();
        assert_eq!(status.allowed, Some(180));
        assert_eq!(status.count, Some(1));
        assert_eq!(status.reset, Some(Duration::from_secs(61)));
        assert_eq!(status.observed_at, now);
        assert_eq!(status.remaining(), Some(179));
        assert_eq!(status.resets_at(), Some(now + Duration::from_secs(61)));
    }

    #[test]
    fn partial_and_unusable_values() {
        let now = SystemTime::UNIX_EPOCH;
        let status =
            RateLimitStatus::from_headers(&headers(&[("inin-ratelimit-reset", "0.5")]), now)
                .unwrap();
        assert_eq!(status.reset, Some(Duration::from_millis(500)));
        assert_eq!(
            (status.allowed, status.count, status.remaining()),
            (None, None, None)
        );

        let status = RateLimitStatus::from_headers(
            &headers(&[
                ("inin-ratelimit-count", "400"),
                ("inin-ratelimit-allowed", "300"),
            ]),
            now,
        )
        .unwrap();
        assert_eq!(status.remaining(), Some(0));
        assert_eq!(status.resets_at(), None);

        for bad in [
            "-1",
            "",
            "abc",
            "1e3",
            ".5",
            "5.",
            "1.2.3",
            "99999999999999999999999",
        ] {
            assert!(
                RateLimitStatus::from_headers(
                    &headers(&[
                        ("inin-ratelimit-allowed", bad),
                        ("inin-ratelimit-count", bad),
                        ("inin-ratelimit-reset", bad),
                    ]),
                    now,
                )
                .is_none(),
                "{bad:?}"
            );
        }
    }
}
