//! The notification topics: names for their parameters and builders, their
//! cargo features, and the feature gates of the event models they reach.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use heck::{ToKebabCase, ToSnakeCase, ToUpperCamelCase};

use super::ir::{EnumDef, Gate, ModelDef, Origin, Ty};
use super::names::Namespace;
use super::spec::Spec;

/// The topic family whose event models are always compiled: the system
/// messages every channel receives unasked.
pub const ALWAYS_FAMILY: &str = "system";

/// One topic pattern, ready to emit.
#[derive(Debug, Clone)]
pub struct TopicDef {
    /// `v2.users.{id}.conversations.calls`.
    pub pattern: String,
    /// `users`: the segment after `v2`.
    pub family: String,
    /// `topics-users`; `None` for the always-compiled family.
    pub feature: Option<String>,
    /// Distinct snake_case names, one per placeholder (`user_id`).
    pub params: Vec<String>,
    /// The builder function (`users_conversations_calls`).
    pub builder: String,
    /// The `Event` variant (`UsersConversationsCalls`).
    pub variant: String,
    /// The event body's Rust type, as the document names it (maybe an alias).
    pub event_type: String,
    /// The type it is, aliases resolved.
    pub canonical_type: String,
    /// The event body's definition name in the document.
    pub definition: String,
    pub requires_subscription: bool,
}

/// A placeholder in a pattern.
pub const PLACEHOLDER: &str = "{id}";

/// The topics of a notifications document, sorted by pattern.
pub fn build_topics(
    events: &Spec,
    event_names: &BTreeMap<&str, String>,
    models: &[ModelDef],
) -> anyhow::Result<Vec<TopicDef>> {
    let alias_of: HashMap<&str, &str> = models
        .iter()
        .filter_map(|m| m.alias_of.as_deref().map(|c| (m.name.as_str(), c)))
        .collect();
    let mut entries: Vec<_> = events.notification_topics.iter().collect();
    entries.sort_by(|a, b| a.topic.cmp(&b.topic));
    let mut builders = Namespace::default();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for entry in entries {
        let pattern = entry.topic.clone();
        anyhow::ensure!(
            seen.insert(pattern.clone()),
            "topic `{pattern}` is listed twice"
        );
        let segments: Vec<&str> = pattern.split('.').collect();
        anyhow::ensure!(
            segments.len() >= 2 && segments.iter().all(|s| !s.is_empty()),
            "topic `{pattern}` is not a dotted name"
        );
        let placeholders = segments.iter().filter(|s| **s == PLACEHOLDER).count();
        anyhow::ensure!(
            placeholders == entry.parameters.len(),
            "topic `{pattern}` has {placeholders} placeholders but lists {} parameters",
            entry.parameters.len()
        );
        let definition = entry
            .schema
            .ref_name()
            .ok_or_else(|| anyhow::anyhow!("topic `{pattern}` has no `$ref` schema"))?
            .to_owned();
        let event_type = event_names
            .get(definition.as_str())
            .ok_or_else(|| anyhow::anyhow!("topic `{pattern}` names unknown `{definition}`"))?
            .clone();
        let mut canonical_type = event_type.clone();
        while let Some(next) = alias_of.get(canonical_type.as_str()) {
            canonical_type = (*next).to_owned();
        }
        let family = segments[1].to_owned();
        let feature = (family != ALWAYS_FAMILY).then(|| topic_feature_name(&family));
        let builder = builders.claim(&builder_name(&segments), "_");
        out.push(TopicDef {
            variant: builder.to_upper_camel_case(),
            builder,
            params: param_names(&segments),
            pattern,
            family,
            feature,
            event_type,
            canonical_type,
            definition,
            requires_subscription: entry.requires_subscription.unwrap_or(true),
        });
    }
    Ok(out)
}

/// `speechandtextanalytics` → `topics-speechandtextanalytics`.
pub fn topic_feature_name(family: &str) -> String {
    format!("topics-{}", family.to_kebab_case())
}

/// feature → family, for every gated family.
pub fn topic_features(topics: &[TopicDef]) -> BTreeMap<String, String> {
    topics
        .iter()
        .filter_map(|t| t.feature.clone().map(|f| (f, t.family.clone())))
        .collect()
}

/// Singular of a plural path segment, good enough for Genesys's
/// (`queues` → `queue`, `activities` → `activity`, `status` stays).
fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        format!("{stem}y")
    } else if word.ends_with('s') && !word.ends_with("ss") && !word.ends_with("us") {
        word[..word.len() - 1].to_owned()
    } else {
        word.to_owned()
    }
}

/// The literal segments after `v2`, snake_case, joined with `_`; a pattern
/// that ends with a placeholder names one item, so its last word is
/// singular (`v2.outbound.campaigns.{id}` → `outbound_campaign`).
fn builder_name(segments: &[&str]) -> String {
    let literals: Vec<&str> = segments[1..]
        .iter()
        .copied()
        .filter(|s| *s != PLACEHOLDER)
        .collect();
    let ends_with_item = segments.last() == Some(&PLACEHOLDER);
    let words: Vec<String> = literals
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let word = s.to_snake_case();
            if ends_with_item && i + 1 == literals.len() {
                singular(&word)
            } else {
                word
            }
        })
        .collect();
    words.join("_")
}

/// One distinct name per placeholder, from the segment before it:
/// `users.{id}` → `user_id`, `entitytype.{id}` → `entity_type`.
fn param_names(segments: &[&str]) -> Vec<String> {
    let mut names = Namespace::default();
    let mut out = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        if *segment != PLACEHOLDER {
            continue;
        }
        let before = segments[i - 1];
        let base = match before {
            PLACEHOLDER => "id".to_owned(),
            "entitytype" => "entity_type".to_owned(),
            "entityid" => "entity_id".to_owned(),
            word => format!("{}_id", singular(&word.to_snake_case())),
        };
        out.push(names.claim(&base, "_"));
    }
    out
}

/// Gates every model a topic reaches with that topic's feature (the
/// system family's are always compiled); REST models keep their tag
/// features too. Enums follow their owner.
pub fn gate_event_models(topics: &[TopicDef], models: &mut [ModelDef], enums: &mut [EnumDef]) {
    let index: HashMap<String, usize> = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.clone(), i))
        .collect();
    let edges: Vec<Vec<usize>> = models
        .iter()
        .map(|m| {
            let mut out = Vec::new();
            match &m.alias_of {
                Some(target) => out.extend(index.get(target).copied()),
                None => {
                    for f in &m.fields {
                        visit_models(&f.ty, &mut |name| out.extend(index.get(name).copied()));
                    }
                }
            }
            out
        })
        .collect();
    let mut features: Vec<BTreeSet<String>> = vec![BTreeSet::new(); models.len()];
    let mut always = vec![false; models.len()];
    for topic in topics {
        let Some(&root) = index.get(&topic.event_type) else {
            continue;
        };
        let mut stack = vec![root];
        let mut seen = BTreeSet::new();
        while let Some(i) = stack.pop() {
            if !seen.insert(i) {
                continue;
            }
            match &topic.feature {
                Some(feature) => {
                    features[i].insert(feature.clone());
                }
                None => always[i] = true,
            }
            stack.extend(edges[i].iter().copied());
        }
    }
    for (i, model) in models.iter_mut().enumerate() {
        let base = match model.origin {
            Origin::Rest => model.gate.clone(),
            // Event models no topic reaches (none today) need `full`.
            Origin::Notifications => Gate::Full,
        };
        model.gate = if always[i] {
            Gate::Always
        } else {
            merge(base, &features[i])
        };
    }
    let gates: HashMap<&str, &Gate> = models.iter().map(|m| (m.name.as_str(), &m.gate)).collect();
    for e in enums.iter_mut() {
        if let Some(gate) = gates.get(e.owner.as_str()) {
            e.gate = (*gate).clone();
        }
    }
}

fn merge(gate: Gate, more: &BTreeSet<String>) -> Gate {
    if more.is_empty() {
        return gate;
    }
    match gate {
        Gate::Always => Gate::Always,
        // `full` turns on every feature, so the features alone suffice.
        Gate::Full => Gate::Features(more.clone()),
        Gate::Features(mut set) => {
            set.extend(more.iter().cloned());
            Gate::Features(set)
        }
    }
}

fn visit_models(ty: &Ty, out: &mut impl FnMut(&str)) {
    match ty {
        Ty::Model(name) => out(name),
        Ty::Vec(inner) | Ty::Map(inner) | Ty::Boxed(inner) => visit_models(inner, out),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(pattern: &str) -> Vec<&str> {
        pattern.split('.').collect()
    }

    #[test]
    fn builders_name_the_literal_path_and_items_are_singular() {
        let name = |p: &str| builder_name(&segments(p));
        assert_eq!(
            name("v2.users.{id}.conversations.calls"),
            "users_conversations_calls"
        );
        assert_eq!(name("v2.outbound.campaigns.{id}"), "outbound_campaign");
        assert_eq!(name("v2.users.{id}.routingStatus"), "users_routing_status");
        assert_eq!(
            name("v2.users.{id}.conversations.{id}.recordings.{id}"),
            "users_conversations_recording"
        );
        assert_eq!(name("v2.system.socket_closing"), "system_socket_closing");
    }

    #[test]
    fn parameters_get_distinct_names_from_the_segment_before_them() {
        let names = |p: &str| param_names(&segments(p));
        assert_eq!(names("v2.users.{id}.conversations.calls"), ["user_id"]);
        assert_eq!(
            names("v2.audits.entitytype.{id}.entityid.{id}"),
            ["entity_type", "entity_id"]
        );
        assert_eq!(
            names("v2.users.{id}.conversations.{id}.recordings.{id}"),
            ["user_id", "conversation_id", "recording_id"]
        );
        assert_eq!(names("v2.system.{id}.{id}"), ["system_id", "id"]);
        assert_eq!(names("v2.routing.queues.{id}.users"), ["queue_id"]);
    }
}
