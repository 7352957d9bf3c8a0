//! Topic patterns, typed topics, and matching a topic name to its pattern.

use std::fmt;
use std::marker::PhantomData;
use std::sync::OnceLock;

use super::Event;
use crate::generated::topics::TOPICS;

/// One topic pattern of the notification service, from the generated
/// catalogue ([`TopicPattern::all`]).
///
/// ```
/// use genesys_model::notifications::TopicPattern;
///
/// let calls = TopicPattern::find("v2.users.{id}.conversations.calls").unwrap();
/// assert_eq!(calls.parameters, ["user_id"]);
/// assert_eq!(calls.event_type, "ConversationCallEventTopicCallConversation");
/// assert_eq!(calls.feature, Some("topics-users"));
/// assert!(calls.requires_subscription);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TopicPattern {
    /// The pattern as Genesys writes it: `v2.users.{id}.conversations.calls`.
    pub pattern: &'static str,
    /// One distinct name per `{id}`, in order (`user_id`; `entity_type`,
    /// `entity_id` for `v2.audits.entitytype.{id}.entityid.{id}`).
    pub parameters: &'static [&'static str],
    /// The Rust type of its event bodies, at the crate root.
    pub event_type: &'static str,
    /// The event body's definition in the notifications document.
    pub definition: &'static str,
    /// `false` for the `v2.system.*` topics, which every channel receives
    /// without subscribing (and which must not be sent to the subscriptions API).
    pub requires_subscription: bool,
    /// The cargo feature that types its events (`topics-users`); `None` when
    /// always compiled.
    pub feature: Option<&'static str>,
    /// Whether this build types its events (its feature is on).
    pub enabled: bool,
    /// The name of its builder function in [`topics`](super::topics).
    pub builder: &'static str,
}

impl TopicPattern {
    /// Every topic pattern, sorted by pattern.
    pub fn all() -> &'static [TopicPattern] {
        TOPICS
    }

    /// The pattern written exactly so (`v2.users.{id}.presence`).
    pub fn find(pattern: &str) -> Option<&'static TopicPattern> {
        TOPICS
            .binary_search_by(|t| t.pattern.cmp(pattern))
            .ok()
            .map(|i| &TOPICS[i])
    }

    /// The position of this pattern in [`TopicPattern::all`].
    pub fn index(&self) -> usize {
        TOPICS
            .binary_search_by(|t| t.pattern.cmp(self.pattern))
            .unwrap_or_default()
    }
}

/// A topic name with the type of the events it carries.
///
/// Built by the typed builders in [`topics`](super::topics), so a
/// subscription and the type its events decode into cannot disagree; or
/// parsed from a string as `Topic<Event>` when the type is not known until
/// run time.
///
/// ```
/// use genesys_model::notifications::{Event, Topic, topics};
///
/// # #[cfg(feature = "topics-users")] {
/// let calls = topics::users_conversations_calls("8f6c...-user");
/// assert_eq!(calls.name(), "v2.users.8f6c...-user.conversations.calls");
/// assert_eq!(calls.pattern().pattern, "v2.users.{id}.conversations.calls");
/// # }
///
/// let any: Topic<Event> = "v2.users.0b1c.presence".parse().unwrap();
/// assert_eq!(any.pattern().event_type, "PresenceEventUserPresence");
/// assert!("v2.users.0b1c.presense".parse::<Topic<Event>>().is_err());
/// ```
pub struct Topic<T> {
    name: String,
    pattern: &'static TopicPattern,
    event: PhantomData<fn() -> T>,
}

impl<T> Topic<T> {
    /// Used by the generated builders.
    pub(crate) fn from_generated(name: String, pattern: usize) -> Self {
        Topic {
            name,
            pattern: &TOPICS[pattern],
            event: PhantomData,
        }
    }

    /// The topic name to subscribe to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its pattern in the catalogue.
    pub fn pattern(&self) -> &'static TopicPattern {
        self.pattern
    }

    /// The same topic, with its events as [`Event`].
    pub fn untyped(&self) -> Topic<Event> {
        Topic {
            name: self.name.clone(),
            pattern: self.pattern,
            event: PhantomData,
        }
    }

    /// The topic name.
    pub fn into_name(self) -> String {
        self.name
    }

    /// Checks that the name is one the service can route back to this
    /// pattern: no empty id, and an id with a dot only where it cannot be
    /// read as another topic. Builders accept any id; a channel client
    /// calls this before subscribing.
    pub fn check(&self) -> Result<(), TopicError> {
        match match_topic(&self.name) {
            Some(m) if std::ptr::eq(m.pattern, self.pattern) => Ok(()),
            found => Err(TopicError::Ambiguous {
                name: self.name.clone(),
                pattern: self.pattern.pattern,
                matches: found.map(|m| m.pattern.pattern),
            }),
        }
    }
}

impl Topic<Event> {
    /// Parses a topic name, finding its pattern. Errors name the nearest
    /// known pattern when there is one.
    pub fn parse(name: &str) -> Result<Self, TopicError> {
        if name.is_empty() {
            return Err(TopicError::Malformed {
                name: String::new(),
                reason: "a topic name cannot be empty",
            });
        }
        if name.split('.').any(str::is_empty) {
            return Err(TopicError::Malformed {
                name: name.to_owned(),
                reason: "a topic name has no empty segments",
            });
        }
        match match_topic(name) {
            Some(m) => Ok(Topic {
                name: name.to_owned(),
                pattern: m.pattern,
                event: PhantomData,
            }),
            None => Err(TopicError::Unknown {
                name: name.to_owned(),
                nearest: nearest_pattern(name),
            }),
        }
    }
}

impl std::str::FromStr for Topic<Event> {
    type Err = TopicError;
    fn from_str(s: &str) -> Result<Self, TopicError> {
        Topic::parse(s)
    }
}

impl<T> Clone for Topic<T> {
    fn clone(&self) -> Self {
        Topic {
            name: self.name.clone(),
            pattern: self.pattern,
            event: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Topic<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Topic")
            .field("name", &self.name)
            .field("pattern", &self.pattern.pattern)
            .field("event_type", &self.pattern.event_type)
            .finish()
    }
}

impl<T> fmt::Display for Topic<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl<T> PartialEq for Topic<T> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl<T> Eq for Topic<T> {}

impl<T> std::hash::Hash for Topic<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl<T> AsRef<str> for Topic<T> {
    fn as_ref(&self) -> &str {
        &self.name
    }
}

/// Why a topic name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TopicError {
    /// No pattern of the catalogue matches.
    Unknown {
        /// The name given.
        name: String,
        /// The closest known pattern, if any is close.
        nearest: Option<&'static str>,
    },
    /// Not a dotted topic name.
    Malformed {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A built topic whose ids make it read as another pattern (or none):
    /// an empty id, or an id with dots.
    Ambiguous {
        /// The built name.
        name: String,
        /// The pattern it was built from.
        pattern: &'static str,
        /// The pattern the name reads as, if any.
        matches: Option<&'static str>,
    },
}

impl fmt::Display for TopicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopicError::Unknown { name, nearest } => {
                write!(f, "`{name}` is not a known notification topic")?;
                match nearest {
                    Some(pattern) => write!(f, "; the nearest known topic is `{pattern}`"),
                    None => Ok(()),
                }
            }
            TopicError::Malformed { name, reason } => {
                write!(f, "`{name}` is not a topic name: {reason}")
            }
            TopicError::Ambiguous {
                name,
                pattern,
                matches,
            } => {
                write!(f, "`{name}` was built from `{pattern}` but ")?;
                match matches {
                    Some(other) => write!(f, "reads as `{other}`"),
                    None => f.write_str("matches no topic"),
                }?;
                f.write_str(": check its ids (empty, or containing dots?)")
            }
        }
    }
}

impl std::error::Error for TopicError {}

/// How many `{id}`s a pattern may have (the catalogue's most is 3).
const MAX_PARAMETERS: usize = 4;
/// Longer names match nothing (the catalogue's longest has 10 segments).
const MAX_SEGMENTS: usize = 32;

/// A topic name matched to its pattern, with the parameter values.
///
/// ```
/// use genesys_model::notifications::match_topic;
///
/// let m = match_topic("v2.audits.entitytype.USER.entityid.4a1e").unwrap();
/// assert_eq!(m.pattern().pattern, "v2.audits.entitytype.{id}.entityid.{id}");
/// assert_eq!(m.parameter("entity_type"), Some("USER"));
/// assert_eq!(m.values().collect::<Vec<_>>(), ["USER", "4a1e"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicMatch<'a> {
    name: &'a str,
    pattern: &'static TopicPattern,
    index: usize,
    spans: [(u16, u16); MAX_PARAMETERS],
}

impl<'a> TopicMatch<'a> {
    /// The pattern matched.
    pub fn pattern(&self) -> &'static TopicPattern {
        self.pattern
    }

    /// The position of the pattern in [`TopicPattern::all`].
    pub fn index(&self) -> usize {
        self.index
    }

    /// The parameter values, in pattern order.
    pub fn values(&self) -> impl Iterator<Item = &'a str> + '_ {
        let name = self.name;
        self.spans[..self.pattern.parameters.len()]
            .iter()
            .map(move |&(start, end)| &name[start as usize..end as usize])
    }

    /// The value of the parameter called `name` (`user_id`).
    pub fn parameter(&self, name: &str) -> Option<&'a str> {
        let i = self.pattern.parameters.iter().position(|p| *p == name)?;
        self.values().nth(i)
    }
}

/// Finds the pattern of a topic name, in time proportional to its length
/// (a trie of the patterns' segments, built once), not to the number of
/// patterns. Literal segments win over `{id}`; an id spans one segment, or
/// several when an id contains dots and only that reading fits. `None` for
/// names the catalogue does not know, such as `channel.metadata`.
pub fn match_topic(name: &str) -> Option<TopicMatch<'_>> {
    if name.len() > u16::MAX as usize {
        return None;
    }
    let mut segments = [(0u16, 0u16); MAX_SEGMENTS];
    let mut count = 0;
    let mut start = 0usize;
    for (i, byte) in name.bytes().enumerate().chain([(name.len(), b'.')]) {
        if byte == b'.' {
            if i == start || count == MAX_SEGMENTS {
                return None;
            }
            segments[count] = (start as u16, i as u16);
            count += 1;
            start = i + 1;
        }
    }
    let trie = trie();
    let mut spans = [(0u16, 0u16); MAX_PARAMETERS];
    let index = walk(trie, 0, name, &segments[..count], 0, &mut spans, 0)?;
    Some(TopicMatch {
        name,
        pattern: &TOPICS[index],
        index,
        spans,
    })
}

/// The same search as [`match_topic`], by comparing the name with every
/// pattern in turn: kept as the benchmark's baseline and the tests' oracle.
#[doc(hidden)]
pub fn match_topic_linear(name: &str) -> Option<usize> {
    let segments: Vec<&str> = name.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return None;
    }
    TOPICS.iter().position(|t| {
        let parts: Vec<&str> = t.pattern.split('.').collect();
        parts.len() == segments.len()
            && parts
                .iter()
                .zip(&segments)
                .all(|(p, s)| *p == "{id}" || p == s)
    })
}

struct Node {
    /// Literal children, sorted by segment.
    literals: Vec<(&'static str, usize)>,
    wildcard: Option<usize>,
    /// The pattern ending here.
    terminal: Option<usize>,
}

fn trie() -> &'static [Node] {
    static TRIE: OnceLock<Vec<Node>> = OnceLock::new();
    TRIE.get_or_init(|| {
        let mut nodes = vec![Node {
            literals: Vec::new(),
            wildcard: None,
            terminal: None,
        }];
        for (index, topic) in TOPICS.iter().enumerate() {
            let mut at = 0;
            for segment in topic.pattern.split('.') {
                let next = if segment == "{id}" {
                    nodes[at].wildcard
                } else {
                    nodes[at]
                        .literals
                        .iter()
                        .find(|(s, _)| *s == segment)
                        .map(|(_, n)| *n)
                };
                at = match next {
                    Some(n) => n,
                    None => {
                        nodes.push(Node {
                            literals: Vec::new(),
                            wildcard: None,
                            terminal: None,
                        });
                        let n = nodes.len() - 1;
                        if segment == "{id}" {
                            nodes[at].wildcard = Some(n);
                        } else {
                            nodes[at].literals.push((segment, n));
                        }
                        n
                    }
                };
            }
            nodes[at].terminal.get_or_insert(index);
        }
        for node in &mut nodes {
            node.literals.sort_unstable_by_key(|(s, _)| *s);
        }
        nodes
    })
}

fn walk(
    nodes: &[Node],
    at: usize,
    name: &str,
    segments: &[(u16, u16)],
    pos: usize,
    spans: &mut [(u16, u16); MAX_PARAMETERS],
    captured: usize,
) -> Option<usize> {
    let node = &nodes[at];
    let Some(&(start, end)) = segments.get(pos) else {
        return node.terminal;
    };
    let segment = &name[start as usize..end as usize];
    if let Ok(i) = node.literals.binary_search_by(|(s, _)| (*s).cmp(segment)) {
        let found = walk(
            nodes,
            node.literals[i].1,
            name,
            segments,
            pos + 1,
            spans,
            captured,
        );
        if found.is_some() {
            return found;
        }
    }
    let wildcard = node.wildcard?;
    if captured == MAX_PARAMETERS {
        return None;
    }
    // Shortest id first: one segment, then more for ids with dots.
    for last in pos..segments.len() {
        spans[captured] = (start, segments[last].1);
        let found = walk(
            nodes,
            wildcard,
            name,
            segments,
            last + 1,
            spans,
            captured + 1,
        );
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The known pattern closest to `name` (its id-like segments read as
/// `{id}`), when it is close enough to be a likely typo.
fn nearest_pattern(name: &str) -> Option<&'static str> {
    let literals: std::collections::BTreeSet<&str> = TOPICS
        .iter()
        .flat_map(|t| t.pattern.split('.'))
        .filter(|s| *s != "{id}")
        .collect();
    let general: Vec<&str> = name
        .split('.')
        .map(|s| {
            let near_literal = literals
                .iter()
                .any(|l| strsim::levenshtein(l, s) <= (l.len() / 4).max(1));
            if near_literal { s } else { "{id}" }
        })
        .collect();
    let general = general.join(".");
    TOPICS
        .iter()
        .map(|t| (strsim::levenshtein(&general, t.pattern), t.pattern))
        .min()
        .filter(|(distance, pattern)| *distance <= (pattern.len() / 4).max(2))
        .map(|(_, pattern)| pattern)
}
