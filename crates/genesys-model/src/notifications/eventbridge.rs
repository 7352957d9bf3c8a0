//! Genesys notifications delivered through Amazon EventBridge.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::Notification;
use crate::DateTime;
use crate::model::UnknownFields;

/// An EventBridge event from the Genesys Cloud integration: the
/// EventBridge envelope, with the same [`Notification`] a WebSocket channel
/// delivers in its `detail`.
///
/// A fleet that reads Genesys events from an EventBridge bus, SQS or
/// Kinesis needs only this type: no channel, no WebSocket, no HTTP.
///
/// ```
/// use genesys_model::notifications::{EventBridgeEvent, NotificationKind};
///
/// let event: EventBridgeEvent = serde_json::from_str(r#"{
///   "version": "0", "id": "2b0e...", "detail-type": "v2.users.{id}.presence",
///   "source": "aws.partner/genesys.com/cloud/...", "account": "123456789012",
///   "time": "2022-04-06T08:30:44Z", "region": "us-east-1", "resources": [],
///   "detail": {"topicName": "v2.users.8f6c.presence", "version": "2",
///              "eventBody": {"presenceDefinition": {"systemPresence": "Busy"}},
///              "metadata": {"CorrelationId": "7d3c"}}
/// }"#).unwrap();
/// assert_eq!(event.detail_type.as_deref(), Some("v2.users.{id}.presence"));
/// assert_eq!(event.detail.kind(), NotificationKind::Event);
/// assert_eq!(event.detail.topic_name, "v2.users.8f6c.presence");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EventBridgeEvent {
    /// The EventBridge envelope version (`"0"`).
    pub version: Option<String>,
    /// The EventBridge event id.
    pub id: Option<String>,
    /// `detail-type`: Genesys puts the topic pattern here.
    pub detail_type: Option<String>,
    /// The partner event source (`aws.partner/genesys.com/...`).
    pub source: Option<String>,
    /// The AWS account.
    pub account: Option<String>,
    /// When EventBridge received the event.
    pub time: Option<DateTime>,
    /// The AWS region.
    pub region: Option<String>,
    /// The `resources` list.
    pub resources: Option<Vec<serde_json::Value>>,
    /// The notification itself.
    pub detail: Notification,
    /// Envelope fields this crate does not know, kept.
    pub unknown_fields: UnknownFields,
}

impl EventBridgeEvent {
    /// Decodes one EventBridge event's JSON text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

impl<'de> Deserialize<'de> for EventBridgeEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EventBridgeEvent;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an EventBridge event (a JSON object with a `detail`)")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<EventBridgeEvent, A::Error> {
                let (mut version, mut id, mut detail_type, mut source) = (None, None, None, None);
                let (mut account, mut time, mut region, mut resources) = (None, None, None, None);
                let mut detail = None;
                let mut unknown_fields = UnknownFields::new();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "version" => version = map.next_value()?,
                        "id" => id = map.next_value()?,
                        "detail-type" => detail_type = map.next_value()?,
                        "source" => source = map.next_value()?,
                        "account" => account = map.next_value()?,
                        "time" => time = map.next_value()?,
                        "region" => region = map.next_value()?,
                        "resources" => resources = map.next_value()?,
                        "detail" => detail = Some(map.next_value()?),
                        _ => {
                            let value = map.next_value()?;
                            unknown_fields.insert(key, value);
                        }
                    }
                }
                Ok(EventBridgeEvent {
                    version,
                    id,
                    detail_type,
                    source,
                    account,
                    time,
                    region,
                    resources,
                    detail: detail.ok_or_else(|| de::Error::missing_field("detail"))?,
                    unknown_fields,
                })
            }
        }
        d.deserialize_map(V)
    }
}

impl Serialize for EventBridgeEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use crate::__private::field;
        let mut map = serializer.serialize_map(None)?;
        field(&mut map, "version", &self.version)?;
        field(&mut map, "id", &self.id)?;
        field(&mut map, "detail-type", &self.detail_type)?;
        field(&mut map, "source", &self.source)?;
        field(&mut map, "account", &self.account)?;
        field(&mut map, "time", &self.time)?;
        field(&mut map, "region", &self.region)?;
        field(&mut map, "resources", &self.resources)?;
        map.serialize_entry("detail", &self.detail)?;
        crate::__private::finish(map, &self.unknown_fields)
    }
}
