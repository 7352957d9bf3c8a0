//! The emulator's clock: real time, or manual time that tests advance.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;

use crate::config::ClockMode;

/// A cheap-to-clone handle on the emulator's clock.
///
/// Token expiry, authorization-code expiry, rate-limit windows and call
/// state progression all read this clock, so a test using
/// [`ClockMode::Manual`] controls them without sleeping. [`Clock::advance`]
/// also works on a real clock, where it adds a fixed offset to wall time.
#[derive(Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

struct Inner {
    /// `Some(start)` for a manual clock: the frozen start instant.
    manual_start: Option<OffsetDateTime>,
    offset: Mutex<Duration>,
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clock")
            .field("manual", &self.is_manual())
            .field("now", &self.now())
            .finish()
    }
}

impl Clock {
    /// A clock that follows wall time.
    pub fn real() -> Self {
        Clock {
            inner: Arc::new(Inner {
                manual_start: None,
                offset: Mutex::new(Duration::ZERO),
            }),
        }
    }

    /// A manual clock frozen at the current wall time.
    pub fn manual() -> Self {
        Self::manual_at(OffsetDateTime::now_utc())
    }

    /// A manual clock frozen at `start`.
    pub fn manual_at(start: OffsetDateTime) -> Self {
        Clock {
            inner: Arc::new(Inner {
                manual_start: Some(start),
                offset: Mutex::new(Duration::ZERO),
            }),
        }
    }

    pub(crate) fn from_mode(mode: ClockMode) -> Self {
        match mode {
            ClockMode::Real => Clock::real(),
            ClockMode::Manual => Clock::manual(),
        }
    }

    /// Whether this is a manual clock.
    pub fn is_manual(&self) -> bool {
        self.inner.manual_start.is_some()
    }

    /// The current emulated time (UTC).
    pub fn now(&self) -> OffsetDateTime {
        let offset = *self.inner.offset.lock().unwrap_or_else(|e| e.into_inner());
        let base = self
            .inner
            .manual_start
            .unwrap_or_else(OffsetDateTime::now_utc);
        base.saturating_add(time::Duration::try_from(offset).unwrap_or(time::Duration::MAX))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.inner.offset.lock().unwrap_or_else(|e| e.into_inner());
        *offset = offset.saturating_add(by);
    }
}
