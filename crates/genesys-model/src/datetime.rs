//! Date and time values as Genesys Cloud sends them.
//!
//! Genesys documents ISO-8601 (`yyyy-MM-ddTHH:mm:ss.SSSZ`), but real payloads
//! also carry whole seconds, other fraction lengths, numeric offsets with or
//! without a colon, and occasionally no zone at all (read as UTC). Every such
//! form decodes; values re-encode as RFC 3339 with milliseconds, the form
//! Genesys itself writes.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// A point in time with its UTC offset (`format: date-time` in the spec).
///
/// Equality compares instants: `2026-11-25T01:00:00Z` equals
/// `2026-11-25T02:00:00+01:00`.
///
/// ```
/// use genesys_model::DateTime;
///
/// let t: DateTime = "2026-11-25T01:02:03.456Z".parse().unwrap();
/// assert_eq!(t.to_string(), "2026-11-25T01:02:03.456Z");
/// let same: DateTime = "2026-11-25T02:02:03.456+0100".parse().unwrap();
/// assert_eq!(t, same);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime(pub OffsetDateTime);

/// A calendar date (`format: date`), written `yyyy-MM-dd`.
///
/// ```
/// use genesys_model::Date;
///
/// let d: Date = "2026-11-25".parse().unwrap();
/// assert_eq!(d.to_string(), "2026-11-25");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(pub time::Date);

/// A date and time without a zone (`format: local-date-time`), written
/// `yyyy-MM-ddTHH:mm:ss.SSS`.
///
/// ```
/// use genesys_model::LocalDateTime;
///
/// let t: LocalDateTime = "2026-11-25T08:30:00".parse().unwrap();
/// assert_eq!(t.to_string(), "2026-11-25T08:30:00.000");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalDateTime(pub PrimitiveDateTime);

/// A date or time string that matches none of the forms Genesys sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseDateTimeError {
    kind: &'static str,
    input: String,
}

impl fmt::Display for ParseDateTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not an ISO-8601 {} (expected e.g. {})",
            self.input,
            self.kind,
            match self.kind {
                "date" => "2026-11-25",
                "local date-time" => "2026-11-25T01:02:03.456",
                _ => "2026-11-25T01:02:03.456Z",
            }
        )
    }
}

impl std::error::Error for ParseDateTimeError {}

impl DateTime {
    /// The wrapped [`OffsetDateTime`].
    pub fn into_inner(self) -> OffsetDateTime {
        self.0
    }
}

impl From<OffsetDateTime> for DateTime {
    fn from(value: OffsetDateTime) -> Self {
        Self(value)
    }
}

impl From<DateTime> for OffsetDateTime {
    fn from(value: DateTime) -> Self {
        value.0
    }
}

impl From<time::Date> for Date {
    fn from(value: time::Date) -> Self {
        Self(value)
    }
}

impl From<PrimitiveDateTime> for LocalDateTime {
    fn from(value: PrimitiveDateTime) -> Self {
        Self(value)
    }
}

/// Splits `input` into the local part and a trailing zone designator, if any.
fn split_zone(input: &str) -> (&str, Option<&str>) {
    if let Some(local) = input.strip_suffix(['Z', 'z']) {
        return (local, Some("Z"));
    }
    // A zone is a sign after the time part: search after the `T`.
    let time_start = input.find(['T', 't', ' ']).map_or(input.len(), |i| i + 1);
    match input[time_start..].rfind(['+', '-']) {
        Some(i) => (&input[..time_start + i], Some(&input[time_start + i..])),
        None => (input, None),
    }
}

fn parse_offset(zone: &str) -> Option<UtcOffset> {
    if zone == "Z" {
        return Some(UtcOffset::UTC);
    }
    let (sign, digits) = zone.split_at(1);
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes) = match digits.len() {
        2 => (digits.parse::<i8>().ok()?, 0),
        4 => (
            digits[..2].parse::<i8>().ok()?,
            digits[2..].parse::<i8>().ok()?,
        ),
        _ => return None,
    };
    let factor = if sign == "-" { -1 } else { 1 };
    UtcOffset::from_hms(factor * hours, factor * minutes, 0).ok()
}

/// Zero-pads one-digit date and time components (`2021-04-2T9:05:01` →
/// `2021-04-02T09:05:01`), which some Genesys payloads carry.
fn pad_components(input: &str) -> String {
    let (date, time) = input.split_once(['T', 't', ' ']).unwrap_or((input, ""));
    let pad = |part: &str, sep: char| -> String {
        part.split(sep)
            .map(|c| {
                if c.len() == 1 {
                    format!("0{c}")
                } else {
                    c.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(&sep.to_string())
    };
    let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut out = pad(date, '-');
    if !time.is_empty() {
        out.push('T');
        out.push_str(&pad(clock, ':'));
    }
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

fn parse_local(input: &str) -> Option<PrimitiveDateTime> {
    let normalized = pad_components(input);
    let with_fraction = format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]"
    );
    let seconds = format_description!(version = 2, "[year]-[month]-[day]T[hour]:[minute]:[second]");
    let minutes = format_description!(version = 2, "[year]-[month]-[day]T[hour]:[minute]");
    PrimitiveDateTime::parse(&normalized, &with_fraction)
        .or_else(|_| PrimitiveDateTime::parse(&normalized, &seconds))
        .or_else(|_| PrimitiveDateTime::parse(&normalized, &minutes))
        .ok()
}

impl FromStr for DateTime {
    type Err = ParseDateTimeError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if let Ok(value) = OffsetDateTime::parse(input, &Rfc3339) {
            return Ok(Self(value));
        }
        let error = || ParseDateTimeError {
            kind: "date-time",
            input: input.to_owned(),
        };
        let (local, zone) = split_zone(input.trim());
        let offset = match zone {
            Some(zone) => parse_offset(zone).ok_or_else(error)?,
            None => UtcOffset::UTC,
        };
        let local = match parse_local(local) {
            Some(local) => local,
            // A bare date stands for its midnight, as Genesys reads it.
            None => time::Date::parse(
                &pad_components(local),
                format_description!("[year]-[month]-[day]"),
            )
            .map_err(|_| error())?
            .midnight(),
        };
        Ok(Self(local.assume_offset(offset)))
    }
}

impl FromStr for Date {
    type Err = ParseDateTimeError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = || ParseDateTimeError {
            kind: "date",
            input: input.to_owned(),
        };
        let date_part = input.get(..10).ok_or_else(error)?;
        // A full date-time where a date is expected keeps its date part.
        if input.len() > 10 && !input[10..].starts_with(['T', 't', ' ']) {
            return Err(error());
        }
        time::Date::parse(date_part, format_description!("[year]-[month]-[day]"))
            .map(Self)
            .map_err(|_| error())
    }
}

impl FromStr for LocalDateTime {
    type Err = ParseDateTimeError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        parse_local(input.trim())
            .map(Self)
            .ok_or_else(|| ParseDateTimeError {
                kind: "local date-time",
                input: input.to_owned(),
            })
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
            v.year(),
            u8::from(v.month()),
            v.day(),
            v.hour(),
            v.minute(),
            v.second(),
            v.millisecond()
        )?;
        let offset = v.offset();
        if offset.is_utc() {
            f.write_str("Z")
        } else {
            let (h, m, _) = offset.as_hms();
            let sign = if offset.is_negative() { '-' } else { '+' };
            write!(f, "{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        )
    }
}

impl fmt::Display for LocalDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
            v.year(),
            u8::from(v.month()),
            v.day(),
            v.hour(),
            v.minute(),
            v.second(),
            v.millisecond()
        )
    }
}

macro_rules! string_serde {
    ($($ty:ident => $expecting:literal),* $(,)?) => {$(
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($ty))
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct StrVisitor;
                impl Visitor<'_> for StrVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                        v.parse().map_err(E::custom)
                    }
                }
                deserializer.deserialize_str(StrVisitor)
            }
        }
    )*};
}

string_serde! {
    DateTime => "an ISO-8601 date-time string",
    Date => "an ISO-8601 date string",
    LocalDateTime => "an ISO-8601 local date-time string",
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> DateTime {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn every_form_genesys_sends_decodes_to_the_same_instant() {
        let expected = dt("2026-11-25T01:02:03.456Z");
        for form in [
            "2026-11-25T01:02:03.456Z",
            "2026-11-25T01:02:03.456000Z",
            "2026-11-25T01:02:03.456+00:00",
            "2026-11-25T01:02:03.456+0000",
            "2026-11-25T02:02:03.456+01:00",
            "2026-11-25T02:02:03.456+0100",
            "2026-11-24T20:02:03.456-05",
            "2026-11-25T01:02:03.456",
            "2026-11-25 01:02:03.456Z",
            "2026-11-25T1:2:3.456Z",
        ] {
            assert_eq!(dt(form), expected, "{form}");
        }
        assert_eq!(
            dt("2026-11-25T01:02:03Z").to_string(),
            "2026-11-25T01:02:03.000Z"
        );
        assert_eq!(dt("2026-11-25").to_string(), "2026-11-25T00:00:00.000Z");
        // One-digit components, as in a real analytics payload.
        assert_eq!(
            dt("2021-04-2T15:30:51.418Z").to_string(),
            "2021-04-02T15:30:51.418Z"
        );
    }

    #[test]
    fn offsets_are_kept_when_re_encoded() {
        assert_eq!(
            dt("2026-11-25T02:02:03.456+0100").to_string(),
            "2026-11-25T02:02:03.456+01:00"
        );
        assert_eq!(
            dt("2026-11-25T02:02:03-05:30").to_string(),
            "2026-11-25T02:02:03.000-05:30"
        );
    }

    #[test]
    fn garbage_is_a_clear_error_not_a_panic() {
        for bad in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-11-25T01:02:03+9",
            "2026-11-25Tx",
        ] {
            let err = bad.parse::<DateTime>().unwrap_err();
            assert!(err.to_string().contains("ISO-8601"), "{err}");
        }
        assert!("2026-11-2".parse::<Date>().is_err());
        assert!("2026-11-25junk".parse::<Date>().is_err());
        assert!("not a time".parse::<LocalDateTime>().is_err());
    }

    #[test]
    fn dates_accept_a_full_timestamp_and_keep_the_date() {
        let d: Date = "2026-11-25T00:00:00Z".parse().unwrap();
        assert_eq!(d.to_string(), "2026-11-25");
    }

    #[test]
    fn serde_round_trip() {
        let t: DateTime = serde_json::from_str("\"2026-11-25T01:02:03.4Z\"").unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2026-11-25T01:02:03.400Z\""
        );
        let err = serde_json::from_str::<DateTime>("42").unwrap_err();
        assert!(err.to_string().contains("date-time"), "{err}");
    }
}
