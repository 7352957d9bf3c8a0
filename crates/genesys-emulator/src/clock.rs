//! The emulator's clock: real time, or manual time that tests advance.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::watch;

use crate::config::ClockMode;

/// A cheap-to-clone handle on the emulator's clock.
///
/// Token expiry, authorization-code expiry, rate-limit windows and call
/// state progression all read this clock, so a test using
/// [`ClockMode::Manual`] controls them without sleeping. [`Clock::advance`]
/// also works on a real clock, where it adds a fixed offset to wall time.
///
/// Work scheduled on the clock (call state events, notification
/// heartbeats, channel expiry, the close that follows `socket_closing`) is
/// done inside [`Clock::advance`] itself: when it returns, every message
/// that fell due is queued on its socket, in time order. (On a real clock a
/// background task also does it as wall time passes.)
#[derive(Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

struct Inner {
    /// `Some(start)` for a manual clock: the frozen start instant.
    manual_start: Option<OffsetDateTime>,
    offset: Mutex<Duration>,
    /// Bumped on every [`Clock::advance`], so schedulers wake up.
    advanced: watch::Sender<u64>,
    /// Run after every [`Clock::advance`] (the emulator's due work).
    hooks: Mutex<Vec<Hook>>,
}

type Hook = Arc<dyn Fn() + Send + Sync>;

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
                advanced: watch::Sender::new(0),
                hooks: Mutex::new(Vec::new()),
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
                advanced: watch::Sender::new(0),
                hooks: Mutex::new(Vec::new()),
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

    /// Moves the clock forward by `by`, then does everything now due (call
    /// state events, heartbeats, channel expiry, scheduled socket closes):
    /// when it returns, those messages are queued on their sockets.
    pub fn advance(&self, by: Duration) {
        {
            let mut offset = self.inner.offset.lock().unwrap_or_else(|e| e.into_inner());
            *offset = offset.saturating_add(by);
        }
        let hooks: Vec<Hook> = self
            .inner
            .hooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for hook in hooks {
            hook();
        }
        self.inner.advanced.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Runs `hook` after every [`Clock::advance`].
    pub(crate) fn on_advance(&self, hook: impl Fn() + Send + Sync + 'static) {
        self.inner
            .hooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(hook));
    }

    /// A receiver that sees a change after every [`Clock::advance`].
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.advanced.subscribe()
    }
}
