//! Names, defaults and header parsing shared by every layer of the crate:
//! the correlation header, the default timeouts, the boxed future and error
//! types of the object-safe traits, and `Retry-After` parsing. This module
//! depends on no other module of the crate but `date`.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

/// The correlation header, lower-case as `http` stores it. Genesys sends it
/// on responses as `ININ-Correlation-Id` (casing varies); it is matched
/// case-insensitively and, when a request sets a correlation id, sent under
/// this name.
pub const CORRELATION_ID_HEADER: &str = "inin-correlation-id";

/// [`CORRELATION_ID_HEADER`] as a header name, made at compile time.
pub(crate) const CORRELATION_ID: http::HeaderName =
    http::HeaderName::from_static(CORRELATION_ID_HEADER);

/// Default TCP connect timeout of the default client: 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default per-attempt request timeout (connect, send, and read the whole
/// response): 60 s.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A boxed, `Send` future, as returned by the object-safe traits of this
/// crate.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A boxed, thread-safe error used as the `source` of transport failures.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Parses the delta-seconds form of `Retry-After`: whole seconds, what
/// Genesys and the official SDKs use. Any other form, the HTTP date
/// included, gives `None`; it needs a reference time, so use
/// [`parse_retry_after_at`] to accept both forms (the transport does).
///
/// ```
/// use std::time::Duration;
/// use genesys_transport::parse_retry_after;
///
/// assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
/// assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
/// assert_eq!(parse_retry_after("-1"), None);
/// assert_eq!(parse_retry_after("1.5"), None);
/// // Dates need a reference time: see `parse_retry_after_at`.
/// assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
/// ```
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() || v.len() > 10 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse::<u64>().ok().map(Duration::from_secs)
}

/// Parses a `Retry-After` value in either form RFC 9110 §10.2.3 allows, as
/// a wait counted from `now` (normally when the response arrived, see
/// [`ReceivedAt`](crate::ReceivedAt)):
///
/// - delta-seconds, as [`parse_retry_after`]: `"120"`;
/// - an HTTP date in any form of RFC 9110 §5.6.7: IMF-fixdate
///   (`Wed, 21 Oct 2015 07:28:00 GMT`), or the obsolete RFC 850
///   (`Wednesday, 21-Oct-15 07:28:00 GMT`) and asctime
///   (`Wed Oct 21 07:28:00 2015`) forms. The wait is the time from `now` to
///   that date, rounded up to whole seconds; a date in the past means no
///   wait at all.
///
/// Anything else gives `None`, in which case the transport falls back to
/// its computed backoff.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use genesys_transport::parse_retry_after_at;
///
/// // 2015-10-21T07:00:00Z
/// let now = UNIX_EPOCH + Duration::from_secs(1_445_410_800);
/// assert_eq!(parse_retry_after_at("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(
///     parse_retry_after_at("Wed, 21 Oct 2015 07:28:00 GMT", now),
///     Some(Duration::from_secs(28 * 60))
/// );
/// assert_eq!(
///     parse_retry_after_at("Wed, 21 Oct 2015 06:00:00 GMT", now),
///     Some(Duration::ZERO)
/// );
/// assert_eq!(parse_retry_after_at("soon", now), None);
/// ```
pub fn parse_retry_after_at(value: &str, now: SystemTime) -> Option<Duration> {
    if let Some(seconds) = parse_retry_after(value) {
        return Some(seconds);
    }
    let date = crate::date::parse_http_date(value)?;
    let wait = date.duration_since(now).unwrap_or(Duration::ZERO);
    // Round up: retrying a little late is harmless, a little early is not.
    let whole = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Some(Duration::from_secs(whole))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("+1"), None);
        assert_eq!(parse_retry_after(""), None);
        assert_eq!(parse_retry_after("99999999999999999999"), None);
        assert_eq!(parse_retry_after("1 2"), None);
    }

    #[test]
    fn retry_after_dates() {
        // 2026-11-28T08:00:00Z
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_852_800);
        let hours = Some(Duration::from_secs(2 * 3600));
        for text in [
            "Sat, 28 Nov 2026 10:00:00 GMT",
            "Saturday, 28-Nov-26 10:00:00 GMT",
            "Sat Nov 28 10:00:00 2026",
        ] {
            assert_eq!(parse_retry_after_at(text, now), hours, "{text}");
        }
        // Seconds still work, and win over nothing else.
        assert_eq!(
            parse_retry_after_at(" 7 ", now),
            Some(Duration::from_secs(7))
        );
        // A date in the past, or now, means no wait.
        assert_eq!(
            parse_retry_after_at("Sat, 28 Nov 2026 07:59:59 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after_at("Thu, 01 Jan 1970 00:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after_at("Sat, 28 Nov 2026 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        // Sub-second reference times round the wait up.
        let later = now + Duration::from_millis(400);
        assert_eq!(
            parse_retry_after_at("Sat, 28 Nov 2026 08:00:10 GMT", later),
            Some(Duration::from_secs(10))
        );
        // Garbage.
        for text in [
            "",
            "soon",
            "-5",
            "1.5",
            "Sat, 28 Nov 2026 10:00:00 CET",
            "Sat, 30 Feb 2026 10:00:00 GMT",
        ] {
            assert_eq!(parse_retry_after_at(text, now), None, "{text:?}");
        }
    }
}
