//! Rust source for the notification topics: the topic catalogue, the typed
//! topic builders, the `Event` enum and its decoding.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::emit::{GeneratedFile, format_file, header};
use super::ir::{Gate, Ir};
use super::topics::TopicDef;

fn feature_cfg(topic: &TopicDef) -> TokenStream {
    match &topic.feature {
        Some(f) => quote! { #[cfg(feature = #f)] },
        None => quote! {},
    }
}

fn availability(topic: &TopicDef) -> String {
    match &topic.feature {
        Some(f) => format!("Available with the `{f}` feature."),
        None => "Always available.".to_owned(),
    }
}

fn builder_doc(topic: &TopicDef) -> String {
    let mut doc = format!(
        "The topic `{}`: its events are [`{}`](crate::{}).",
        topic.pattern, topic.event_type, topic.event_type
    );
    if topic.event_type != topic.canonical_type {
        doc.push_str(&format!(
            " (That type is [`{}`](crate::{}): the same structure.)",
            topic.canonical_type, topic.canonical_type
        ));
    }
    if !topic.requires_subscription {
        doc.push_str("\n\nThe service delivers it on every channel without a subscription.");
    }
    doc.push_str(&format!("\n\n{}", availability(topic)));
    doc
}

/// `generated/topics.rs`.
pub fn emit_topics(ir: &Ir) -> anyhow::Result<GeneratedFile> {
    let entries = ir.topics.iter().map(|t| {
        let pattern = &t.pattern;
        let params = &t.params;
        let event_type = &t.event_type;
        let definition = &t.definition;
        let requires = t.requires_subscription;
        let builder = &t.builder;
        let (feature, enabled) = match &t.feature {
            Some(f) => (quote! { Some(#f) }, quote! { cfg!(feature = #f) }),
            None => (quote! { None }, quote! { true }),
        };
        quote! {
            TopicPattern {
                pattern: #pattern,
                parameters: &[#(#params),*],
                event_type: #event_type,
                definition: #definition,
                requires_subscription: #requires,
                feature: #feature,
                enabled: #enabled,
                builder: #builder,
            },
        }
    });

    let builders = ir.topics.iter().enumerate().map(|(index, t)| {
        let cfg = feature_cfg(t);
        let doc = super::emit::doc_attrs(&builder_doc(t));
        let name = format_ident!("{}", t.builder);
        let ty = format_ident!("{}", t.event_type);
        let args = t.params.iter().map(|p| {
            let p = format_ident!("{}", p);
            quote! { #p: impl core::fmt::Display }
        });
        // `v2.users.{id}.calls` → "v2.users.{user_id}.calls" as a format string.
        let mut template = String::new();
        let mut params = t.params.iter();
        for (i, segment) in t.pattern.split('.').enumerate() {
            if i > 0 {
                template.push('.');
            }
            if segment == super::topics::PLACEHOLDER {
                template.push_str(&format!(
                    "{{{}}}",
                    params.next().expect("one name per placeholder")
                ));
            } else {
                template.push_str(&segment.replace('{', "{{").replace('}', "}}"));
            }
        }
        quote! {
            #doc
            #cfg
            pub fn #name(#(#args),*) -> Topic<crate::#ty> {
                Topic::from_generated(format!(#template), #index)
            }
        }
    });

    let table = ir.topics.iter().enumerate().map(|(index, t)| {
        let cfg = feature_cfg(t);
        let name = format_ident!("{}", t.builder);
        let args = (0..t.params.len()).map(|i| quote! { ids[#i] });
        quote! { #cfg (#index, |ids: &[&str]| builders::#name(#(#args),*).into_name()), }
    });

    let variants = ir.topics.iter().map(|t| {
        let cfg = feature_cfg(t);
        let variant = format_ident!("{}", t.variant);
        let ty = format_ident!("{}", t.event_type);
        let doc = format!(" An event on `{}`. {}", t.pattern, availability(t));
        quote! { #[doc = #doc] #cfg #variant(Box<crate::#ty>), }
    });
    let decode_arms = ir.topics.iter().enumerate().map(|(index, t)| {
        let cfg = feature_cfg(t);
        let variant = format_ident!("{}", t.variant);
        quote! { #cfg #index => crate::notifications::decode_body(body).map(Event::#variant).map_err(Some), }
    });
    let pattern_arms = ir.topics.iter().enumerate().map(|(index, t)| {
        let cfg = feature_cfg(t);
        let variant = format_ident!("{}", t.variant);
        quote! { #cfg Event::#variant(_) => Some(&TOPICS[#index]), }
    });
    let serialize_arms = ir.topics.iter().map(|t| {
        let cfg = feature_cfg(t);
        let variant = format_ident!("{}", t.variant);
        quote! { #cfg Event::#variant(body) => serde::Serialize::serialize(body, serializer), }
    });

    // One `EventPayload` impl per type, whatever the aliases it goes by.
    let mut by_type: BTreeMap<&str, Vec<&TopicDef>> = BTreeMap::new();
    for t in &ir.topics {
        by_type
            .entry(t.canonical_type.as_str())
            .or_default()
            .push(t);
    }
    let gates: BTreeMap<&str, &Gate> = ir
        .models
        .iter()
        .map(|m| (m.name.as_str(), &m.gate))
        .collect();
    let payload_impls = by_type.iter().map(|(ty_name, topics)| {
        let cfg = super::emit::cfg_attr(gates.get(ty_name).copied().unwrap_or(&Gate::Full));
        let ty = format_ident!("{}", ty_name);
        let borrowed = topics.iter().map(|t| {
            let cfg = feature_cfg(t);
            let variant = format_ident!("{}", t.variant);
            quote! { #cfg Event::#variant(body) => Some(body), }
        });
        let owned = topics.iter().map(|t| {
            let cfg = feature_cfg(t);
            let variant = format_ident!("{}", t.variant);
            quote! { #cfg Event::#variant(body) => Ok(body), }
        });
        quote! {
            #cfg
            impl EventPayload for crate::#ty {
                fn from_event(event: &Event) -> Option<&Self> {
                    match event {
                        #(#borrowed)*
                        _ => None,
                    }
                }
                fn from_event_owned(event: Event) -> Result<Box<Self>, Event> {
                    match event {
                        #(#owned)*
                        other => Err(other),
                    }
                }
            }
        }
    });

    let count = ir.topics.len();
    let catalogue_doc = format!(
        " The {count} topic patterns of the notification service, sorted by pattern; `{{id}}` marks a parameter."
    );
    let tokens = quote! {
        #![allow(clippy::all, unused_imports, unused_variables)]
        use crate::notifications::{ChannelMetadata, EventPayload, Topic, TopicPattern, UntypedEvent};

        #[doc = #catalogue_doc]
        pub static TOPICS: &[TopicPattern] = &[#(#entries)*];

        /// Typed topic builders, one per pattern: the topic's name and the
        /// type of its events in one value.
        pub mod builders {
            use super::*;
            #(#builders)*
        }

        /// Every builder this build enables, by pattern index, taking the
        /// ids as a slice: for tests that walk the whole catalogue.
        #[doc(hidden)]
        pub static BUILDER_TABLE: &[(usize, fn(&[&str]) -> String)] = &[#(#table)*];

        /// The event body of one notification, typed by its topic.
        ///
        /// One variant per topic pattern whose family is enabled in this
        /// build (variants are gated by the `topics-*` features, hence
        /// `non_exhaustive`), plus the channel's own metadata and
        /// [`Event::Untyped`] for anything this build cannot type.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            #(#variants)*
            /// A `channel.metadata` message: a heartbeat or the answer to a ping.
            ChannelMetadata(ChannelMetadata),
            /// A body this build cannot type, kept as JSON: see [`UntypedEvent::reason`].
            Untyped(UntypedEvent),
        }

        impl Event {
            /// Decodes the body of a message on `TOPICS[pattern]`: `Err(None)`
            /// when this build does not enable that topic's family.
            pub(crate) fn decode_topic(pattern: usize, body: &str) -> Result<Event, Option<serde_json::Error>> {
                match pattern {
                    #(#decode_arms)*
                    _ => Err(None),
                }
            }

            /// The topic pattern this event's type belongs to; `None` for
            /// channel metadata and untyped events.
            pub fn pattern(&self) -> Option<&'static TopicPattern> {
                match self {
                    #(#pattern_arms)*
                    _ => None,
                }
            }
        }

        impl serde::Serialize for Event {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    #(#serialize_arms)*
                    Event::ChannelMetadata(body) => serde::Serialize::serialize(body, serializer),
                    Event::Untyped(untyped) => serde::Serialize::serialize(&untyped.body, serializer),
                }
            }
        }

        #(#payload_impls)*
    };
    Ok(GeneratedFile {
        path: "topics.rs".into(),
        contents: format_file(tokens, &header(ir))?,
    })
}
