//! HTTP dates (RFC 9110 §5.6.7) in, RFC 3339 timestamps and human-readable
//! waits out. Parsing is `httpdate`'s, calendar arithmetic `time`'s; nothing
//! here panics.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

/// Parses an HTTP date in any of the three forms RFC 9110 §5.6.7 requires
/// recipients to accept (IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the
/// obsolete RFC 850 and asctime forms), with the `httpdate` crate (hyper's
/// own). Anything else gives `None`.
pub(crate) fn parse_http_date(value: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(value.trim()).ok()
}

/// Whole seconds since the Unix epoch (negative before it), when they fit.
pub(crate) fn unix_seconds(time: SystemTime) -> Option<i64> {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).ok(),
        Err(before) => i64::try_from(before.duration().as_secs()).ok().map(|s| -s),
    }
}

/// Displays a `SystemTime` as an RFC 3339 UTC timestamp to the second,
/// e.g. `2026-11-28T08:00:00Z` (sub-seconds are dropped). A time outside
/// the years 0–9999 is shown as seconds since the Unix epoch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rfc3339(pub(crate) SystemTime);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(seconds) = unix_seconds(self.0) else {
            return f.write_str("(a time out of range)");
        };
        match OffsetDateTime::from_unix_timestamp(seconds) {
            Ok(t) if (0..=9999).contains(&t.year()) => write!(
                f,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
            _ => write!(f, "{seconds} s after the Unix epoch"),
        }
    }
}

/// Displays a wait for people: `750 ms`, `4.5 s`, `90 s`, `2 min 5 s`,
/// `2 h`, `1 h 30 min`. Up to 2 minutes it is exact to the millisecond;
/// beyond, sub-seconds are dropped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Human(pub(crate) Duration);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        let secs = d.as_secs();
        let millis = d.subsec_millis();
        if secs == 0 {
            return if millis == 0 {
                f.write_str("0 s")
            } else {
                write!(f, "{millis} ms")
            };
        }
        if secs < 120 {
            return if millis == 0 {
                write!(f, "{secs} s")
            } else {
                let fraction = format!("{millis:03}");
                write!(f, "{secs}.{} s", fraction.trim_end_matches('0'))
            };
        }
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        let mut parts = Vec::with_capacity(3);
        if h > 0 {
            parts.push(format!("{h} h"));
        }
        if m > 0 {
            parts.push(format!("{m} min"));
        }
        if s > 0 {
            parts.push(format!("{s} s"));
        }
        f.write_str(&parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1994-11-06T08:49:37Z, the RFC's example.
    const EXAMPLE: u64 = 784_111_777;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    /// 2026-11-28T08:00:00Z.
    const NOW: u64 = 1_795_852_800;

    #[test]
    fn the_three_forms() {
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "  Sun, 06 Nov 1994 08:49:37 GMT ",
        ] {
            assert_eq!(parse_http_date(text), Some(at(EXAMPLE)), "{text}");
        }
    }

    #[test]
    fn garbage_is_rejected() {
        for text in [
            "",
            "soon",
            "120",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun 06 Nov 1994 08:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:61:00 GMT",
            "Sun, 06 Xyz 1994 08:49:37 GMT",
            "Fun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov +994 08:49:37 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37:00 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sunday, 06-Nov-94-1 08:49:37 GMT",
            "Sun Nov 123 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 GMT\u{e9}",
        ] {
            assert_eq!(parse_http_date(text), None, "{text:?}");
        }
        let long = "Sun, 06 Nov 1994 08:49:37 GMT".repeat(10);
        assert_eq!(parse_http_date(&long), None);
    }

    #[test]
    fn rfc3339_display() {
        assert_eq!(Rfc3339(at(NOW)).to_string(), "2026-11-28T08:00:00Z");
        assert_eq!(
            Rfc3339(at(NOW) + Duration::from_millis(999)).to_string(),
            "2026-11-28T08:00:00Z"
        );
        assert_eq!(Rfc3339(UNIX_EPOCH).to_string(), "1970-01-01T00:00:00Z");
        let before = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(Rfc3339(before).to_string(), "1969-12-31T23:59:59Z");
        let far = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert!(Rfc3339(far).to_string().contains("Unix epoch"));
    }

    #[test]
    fn human_waits() {
        let cases = [
            (Duration::ZERO, "0 s"),
            (Duration::from_millis(750), "750 ms"),
            (Duration::from_millis(4500), "4.5 s"),
            (Duration::from_millis(4050), "4.05 s"),
            (Duration::from_secs(60), "60 s"),
            (Duration::from_secs(119), "119 s"),
            (Duration::from_secs(125), "2 min 5 s"),
            (Duration::from_secs(3600), "1 h"),
            (Duration::from_secs(7200), "2 h"),
            (Duration::from_secs(5400), "1 h 30 min"),
            (Duration::from_secs(86_400 + 1), "24 h 1 s"),
            (Duration::MAX, "5124095576030431 h 15 s"),
        ];
        for (d, text) in cases {
            assert_eq!(Human(d).to_string(), text, "{d:?}");
        }
    }
}
