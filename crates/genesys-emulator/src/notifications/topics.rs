//! The notification topics the emulator knows, and who may subscribe to them.
//!
//! Topic names are matched to their pattern with the model crate's topic
//! catalogue (`genesys_model::notifications::match_topic`), the same one
//! the SDK uses.

use genesys_model::notifications::match_topic;

/// What a subscriber needs to be allowed a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Requirement {
    /// Any token of the organization.
    Nothing,
    /// The topic's `{id}` is the subscribing user, or the subscriber (a
    /// client-credentials token or another user) holds the permission.
    CurrentUserOr(&'static str),
    /// The subscriber holds the permission.
    Permission(&'static str),
}

/// A topic pattern of the catalogue and its rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TopicDef {
    pub(crate) template: &'static str,
    pub(crate) requirement: Requirement,
}

/// The permission that lets a token follow another user's calls.
pub(crate) const CALL_VIEW: &str = "conversation:call:view";
/// The permission that lets a token follow another user's conversations.
pub(crate) const COMMUNICATION_VIEW: &str = "conversation:communication:view";
/// The permission for queue conversation topics.
pub(crate) const QUEUE_VIEW: &str = "routing:queue:view";

/// Topics a channel may subscribe to. Everything else is rejected as unknown.
pub(crate) const TOPICS: &[TopicDef] = &[
    TopicDef {
        template: "v2.users.{id}.conversations.calls",
        requirement: Requirement::CurrentUserOr(CALL_VIEW),
    },
    TopicDef {
        template: "v2.users.{id}.conversations",
        requirement: Requirement::CurrentUserOr(COMMUNICATION_VIEW),
    },
    TopicDef {
        template: "v2.users.{id}.presence",
        requirement: Requirement::Nothing,
    },
    TopicDef {
        template: "v2.routing.queues.{id}.conversations.calls",
        requirement: Requirement::Permission(QUEUE_VIEW),
    },
];

/// The outcome of checking one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Permitted,
    Rejected {
        reason: String,
        missing: Vec<String>,
    },
}

impl Verdict {
    pub(crate) fn is_permitted(&self) -> bool {
        matches!(self, Verdict::Permitted)
    }
}

/// A scripted rejection: topics matching `pattern` need `permission`.
#[derive(Debug, Clone)]
pub(crate) struct ScriptedRejection {
    pub(crate) pattern: String,
    pub(crate) permission: String,
}

fn missing(topic: &str, permission: &str) -> Verdict {
    Verdict::Rejected {
        reason: format!("Missing permission {permission} to subscribe to topic {topic}"),
        missing: vec![permission.to_owned()],
    }
}

/// Checks one topic for a subscriber (`user`: the subscribing user, `None`
/// for a client-credentials token; `has`: whether the subscriber holds a
/// permission).
pub(crate) fn check(
    topic: &str,
    user: Option<&str>,
    has: &dyn Fn(&str) -> bool,
    scripted: &[ScriptedRejection],
) -> Verdict {
    let matched = match_topic(topic);
    let pattern = matched.map(|m| m.pattern().pattern);
    if let Some(rule) = scripted
        .iter()
        .find(|r| r.pattern == topic || Some(r.pattern.as_str()) == pattern)
    {
        return missing(topic, &rule.permission);
    }
    if topic == "channel.metadata" || topic.starts_with("v2.system.") {
        return Verdict::Rejected {
            reason: format!(
                "Topic {topic} is a system topic: it is delivered to every channel without a subscription"
            ),
            missing: Vec::new(),
        };
    }
    let found = matched.and_then(|m| {
        TOPICS
            .iter()
            .find(|def| def.template == m.pattern().pattern)
            .map(|def| (def, m))
    });
    let Some((def, matched)) = found else {
        return Verdict::Rejected {
            reason: format!("Topic {topic} is not a valid topic"),
            missing: Vec::new(),
        };
    };
    match def.requirement {
        Requirement::Nothing => Verdict::Permitted,
        Requirement::Permission(p) if has(p) => Verdict::Permitted,
        Requirement::Permission(p) => missing(topic, p),
        Requirement::CurrentUserOr(p) => {
            let own = user.is_some_and(|u| matched.values().next() == Some(u));
            if own || has(p) {
                Verdict::Permitted
            } else {
                missing(topic, p)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_names_a_pattern_of_the_catalogue() {
        for def in TOPICS {
            assert!(
                genesys_model::notifications::TopicPattern::find(def.template).is_some(),
                "{}",
                def.template
            );
        }
        let all = |_: &str| true;
        for topic in [
            "v2.users..conversations",
            "v2.users.u1.conversations.calls.x",
        ] {
            assert!(!check(topic, None, &all, &[]).is_permitted(), "{topic}");
        }
    }

    #[test]
    fn own_topics_need_no_permission() {
        let none = |_: &str| false;
        let topic = "v2.users.u1.conversations.calls";
        assert_eq!(check(topic, Some("u1"), &none, &[]), Verdict::Permitted);
        let Verdict::Rejected { missing, .. } = check(topic, Some("u2"), &none, &[]) else {
            panic!("another user's calls need a permission");
        };
        assert_eq!(missing, [CALL_VIEW]);
        let all = |_: &str| true;
        assert_eq!(check(topic, None, &all, &[]), Verdict::Permitted);
    }

    #[test]
    fn unknown_and_system_topics_are_rejected_without_permissions() {
        let all = |_: &str| true;
        for topic in ["v2.nope", "v2.system.socket_closing", "channel.metadata"] {
            let Verdict::Rejected { missing, reason } = check(topic, None, &all, &[]) else {
                panic!("{topic} must be rejected");
            };
            assert!(missing.is_empty());
            assert!(reason.contains(topic));
        }
    }
}
