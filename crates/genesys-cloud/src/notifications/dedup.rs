//! Delivering each event once when two connections carry it (during a
//! make-before-break switch).
//!
//! An event's key is its topic and `CorrelationId` when it has one, else
//! the hash of its exact text. Keys are counted per connection: the `n`-th
//! copy of a key on a connection is new only when no connection has
//! delivered `n` copies yet. So two connections carrying the same events
//! deliver each once, while distinct events that happen to share a key
//! (repeated on one connection) are all delivered. A connection's counts
//! are forgotten when it can no longer overlap with another, and the
//! window keeps the most recent keys only.

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash as _, Hasher as _};

use genesys_model::notifications::Notification;

use super::socket::ConnId;

/// The identity of an event for deduplication.
pub(crate) fn key(notification: &Notification, text_hash: u64) -> u64 {
    let mut hasher = DefaultHasher::new();
    match notification.correlation_id() {
        Some(id) => {
            0u8.hash(&mut hasher);
            notification.topic_name.hash(&mut hasher);
            id.hash(&mut hasher);
        }
        None => {
            1u8.hash(&mut hasher);
            text_hash.hash(&mut hasher);
        }
    }
    hasher.finish()
}

#[derive(Debug, Default)]
struct Entry {
    delivered: u32,
    seen: Vec<(ConnId, u32)>,
}

/// A bounded window of recent event keys.
#[derive(Debug)]
pub(crate) struct Dedup {
    capacity: usize,
    order: VecDeque<u64>,
    entries: HashMap<u64, Entry>,
}

impl Dedup {
    pub(crate) fn new(capacity: usize) -> Self {
        Dedup {
            capacity: capacity.max(1),
            order: VecDeque::new(),
            entries: HashMap::new(),
        }
    }

    /// Records a copy of `key` on `conn`; true when it is to be delivered.
    pub(crate) fn admit(&mut self, conn: ConnId, key: u64) -> bool {
        if !self.entries.contains_key(&key) {
            while self.order.len() >= self.capacity {
                if let Some(old) = self.order.pop_front() {
                    self.entries.remove(&old);
                }
            }
            self.order.push_back(key);
        }
        let entry = self.entries.entry(key).or_default();
        let count = match entry.seen.iter_mut().find(|(c, _)| *c == conn) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                entry.seen.push((conn, 1));
                1
            }
        };
        if count > entry.delivered {
            entry.delivered = count;
            true
        } else {
            false
        }
    }

    /// Forgets what `conn` carried: it can no longer overlap with another
    /// connection.
    pub(crate) fn forget(&mut self, conn: ConnId) {
        let mut emptied = Vec::new();
        for (key, entry) in &mut self.entries {
            let before = entry.seen.len();
            entry.seen.retain(|(c, _)| *c != conn);
            if entry.seen.len() != before {
                entry.delivered = entry.seen.iter().map(|(_, n)| *n).max().unwrap_or(0);
                if entry.seen.is_empty() {
                    emptied.push(*key);
                }
            }
        }
        if !emptied.is_empty() {
            for key in &emptied {
                self.entries.remove(key);
            }
            self.order.retain(|k| self.entries.contains_key(k));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_two_connections_carry_is_delivered_once() {
        let mut d = Dedup::new(100);
        // Old connection 1 carries a, b, c; the new connection 2 joins at b.
        assert!(d.admit(1, 10));
        assert!(d.admit(1, 11));
        assert!(!d.admit(2, 11));
        assert!(d.admit(2, 12)); // the new one is first for c
        assert!(!d.admit(1, 12));
        assert!(d.admit(2, 13));
    }

    #[test]
    fn distinct_events_sharing_a_key_are_all_delivered() {
        let mut d = Dedup::new(100);
        assert!(d.admit(1, 7));
        assert!(d.admit(1, 7));
        // Connection 2 carries the same two, then a third.
        assert!(!d.admit(2, 7));
        assert!(!d.admit(2, 7));
        assert!(d.admit(2, 7));
    }

    #[test]
    fn forgetting_a_connection_frees_its_keys() {
        let mut d = Dedup::new(100);
        assert!(d.admit(1, 7));
        d.forget(1);
        assert_eq!(d.len(), 0);
        // A later connection that never overlapped delivers the key again.
        assert!(d.admit(3, 7));
    }

    #[test]
    fn the_window_is_bounded() {
        let mut d = Dedup::new(3);
        for k in 0..10 {
            assert!(d.admit(1, k));
        }
        assert_eq!(d.len(), 3);
        // Key 0 fell out of the window: a copy of it is delivered again.
        assert!(d.admit(2, 0));
        assert!(!d.admit(2, 9));
    }
}
