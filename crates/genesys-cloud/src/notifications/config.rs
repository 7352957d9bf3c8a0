//! How the channel client keeps its connections: heartbeats, pings,
//! backoff, renewal and limits.

use std::time::Duration;

use rand::Rng as _;

/// Jittered exponential backoff between reconnect attempts.
///
/// Attempt `n` (from 0) waits a random time between half and all of
/// `min(max, initial × multiplier^n)`, so that many clients dropped at
/// once do not come back at once.
///
/// ```
/// use std::time::Duration;
/// use genesys_cloud::notifications::Backoff;
///
/// let backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
/// let first = backoff.delay(0);
/// assert!(first >= Duration::from_millis(250) && first <= Duration::from_millis(500));
/// assert!(backoff.delay(20) <= Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    multiplier: f64,
}

impl Default for Backoff {
    /// 1 s, doubling, at most 60 s.
    fn default() -> Self {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(60))
    }
}

impl Backoff {
    /// Starting at `initial`, doubling, at most `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max: max.max(initial),
            multiplier: 2.0,
        }
    }

    /// Grows by `multiplier` (at least 1) per attempt instead of doubling.
    pub fn with_multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = if multiplier.is_finite() {
            multiplier.max(1.0)
        } else {
            2.0
        };
        self
    }

    /// The ceiling before jitter for attempt `attempt` (from 0).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = self.multiplier.powi(attempt.min(64) as i32);
        let secs = self.initial.as_secs_f64() * factor;
        if !secs.is_finite() || secs >= self.max.as_secs_f64() {
            self.max
        } else {
            Duration::from_secs_f64(secs)
        }
    }

    /// The wait before attempt `attempt` (from 0): uniformly random in
    /// `[ceiling / 2, ceiling]`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        if half.is_zero() {
            return ceiling;
        }
        let extra = rand::rng().random_range(0..=half.as_nanos().min(u64::MAX as u128) as u64);
        half + Duration::from_nanos(extra)
    }
}

/// The settings of a [`NotificationClient`](super::NotificationClient).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) heartbeat_interval: Duration,
    pub(crate) dead_after_multiple: f64,
    pub(crate) ping_interval: Option<Duration>,
    pub(crate) backoff: Backoff,
    pub(crate) renew_before_expiry: Duration,
    pub(crate) max_topics_per_channel: usize,
    pub(crate) max_reconnect_attempts: Option<u32>,
    pub(crate) dedup_window: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) switch_dedup_grace: Duration,
}

/// Genesys's limit of topics per channel.
pub(crate) const MAX_TOPICS_PER_CHANNEL: usize = 1000;

impl Default for Config {
    fn default() -> Self {
        Config {
            heartbeat_interval: Duration::from_secs(30),
            dead_after_multiple: 2.5,
            ping_interval: Some(Duration::from_secs(20)),
            backoff: Backoff::default(),
            renew_before_expiry: Duration::from_secs(10 * 60),
            max_topics_per_channel: MAX_TOPICS_PER_CHANNEL,
            max_reconnect_attempts: None,
            dedup_window: 10_000,
            connect_timeout: Duration::from_secs(10),
            switch_dedup_grace: Duration::from_secs(30),
        }
    }
}

impl Config {
    /// How long a connection may stay silent (no heartbeat, no event)
    /// before it is treated as dead.
    pub(crate) fn dead_after(&self) -> Duration {
        let multiple = if self.dead_after_multiple.is_finite() {
            self.dead_after_multiple.max(1.0)
        } else {
            2.5
        };
        self.heartbeat_interval.mul_f64(multiple)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_ceiling_with_jitter() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(b.ceiling(0), Duration::from_millis(100));
        assert_eq!(b.ceiling(1), Duration::from_millis(200));
        assert_eq!(b.ceiling(3), Duration::from_millis(800));
        assert_eq!(b.ceiling(4), Duration::from_secs(1));
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(1));
        for attempt in 0..10 {
            let d = b.delay(attempt);
            assert!(
                d >= b.ceiling(attempt) / 2 && d <= b.ceiling(attempt),
                "{d:?}"
            );
        }
        assert_eq!(
            Backoff::new(Duration::ZERO, Duration::ZERO).delay(3),
            Duration::ZERO
        );
        assert_eq!(
            b.with_multiplier(f64::NAN).ceiling(1),
            Duration::from_millis(200)
        );
    }

    #[test]
    fn dead_after_is_the_multiple_of_the_heartbeat() {
        let c = Config::default();
        assert_eq!(c.dead_after(), Duration::from_secs(75));
        let c = Config {
            dead_after_multiple: f64::INFINITY,
            ..Config::default()
        };
        assert_eq!(c.dead_after(), Duration::from_secs(75));
    }
}
