//! Resource collections derived from the paths: which operations create,
//! read, list, update and delete what, and the entities they keep.
//!
//! A path `P/{id}` is an item of the collection `P` when `P` itself has a
//! `GET` or `POST` operation. Then `POST P` creates (when its body is an
//! object), `GET P` lists, and `GET`/`PUT`/`PATCH`/`DELETE P/{id}` read,
//! replace, update and delete. Entities are kept per concrete collection
//! path, so `/api/v2/routing/queues/q1/wrapupcodes` and `.../q2/wrapupcodes`
//! are separate collections.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, OnceLock};

use genesys_model::catalogue::{self, HttpMethod, Operation};
use serde_json::Value;

use super::digest::digest;
use super::schema::kind;

/// What an operation does to the collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// `POST P`: adds an entity to `P`; `item` is `GET P/{id}` when there is one.
    Create { item: Option<&'static str> },
    /// `GET P`: lists `P`'s entities.
    List,
    /// `GET P/{id}`.
    Read,
    /// `PUT P/{id}`: replaces the entity's fields with the body's.
    Replace { item: Option<&'static str> },
    /// `PATCH P/{id}`: sets the body's fields.
    Update { item: Option<&'static str> },
    /// `DELETE P/{id}`.
    Delete,
    /// Anything else (actions, queries, jobs, singletons): a schema-valid answer.
    Other,
}

/// The role of `op` (computed once for all operations).
pub(crate) fn role(op: &'static Operation) -> Role {
    static ROLES: OnceLock<HashMap<&'static str, Role>> = OnceLock::new();
    ROLES
        .get_or_init(classify)
        .get(op.id)
        .copied()
        .unwrap_or(Role::Other)
}

/// The template without its last segment, when that segment is a parameter.
fn collection_of(template: &str) -> Option<&str> {
    let (parent, last) = template.rsplit_once('/')?;
    (last.starts_with('{') && last.ends_with('}')).then_some(parent)
}

fn classify() -> HashMap<&'static str, Role> {
    let ops = catalogue::operations();
    let mut by_path: HashMap<(&str, HttpMethod), &'static Operation> = HashMap::new();
    for op in ops {
        by_path.insert((op.path, op.method), op);
    }
    let is_collection = |path: &str| {
        by_path.contains_key(&(path, HttpMethod::Get))
            || by_path.contains_key(&(path, HttpMethod::Post))
    };
    // Collections with at least one item operation.
    let collections: HashSet<&str> = ops
        .iter()
        .filter_map(|op| collection_of(op.path))
        .filter(|parent| is_collection(parent))
        .collect();
    // The item template of each collection (the `GET` one when several names exist).
    let mut item_get: HashMap<&str, &'static Operation> = HashMap::new();
    for op in ops.iter().filter(|op| op.method == HttpMethod::Get) {
        if let Some(parent) = collection_of(op.path)
            && collections.contains(parent)
        {
            item_get.entry(parent).or_insert(op);
        }
    }
    let mut roles = HashMap::new();
    for op in ops {
        let role = if collections.contains(op.path) {
            match op.method {
                HttpMethod::Post if body_is_object(op) => Role::Create {
                    item: item_get.get(op.path).map(|o| o.id),
                },
                HttpMethod::Get => Role::List,
                _ => Role::Other,
            }
        } else if let Some(parent) = collection_of(op.path)
            && collections.contains(parent)
        {
            let item = by_path.get(&(op.path, HttpMethod::Get)).map(|o| o.id);
            match op.method {
                HttpMethod::Get => Role::Read,
                HttpMethod::Put if body_is_object(op) => Role::Replace { item },
                HttpMethod::Patch if body_is_object(op) => Role::Update { item },
                HttpMethod::Delete => Role::Delete,
                _ => Role::Other,
            }
        } else {
            Role::Other
        };
        roles.insert(op.id, role);
    }
    roles
}

fn body_is_object(op: &Operation) -> bool {
    let digest = digest();
    let Some(body) = digest.operations.get(op.id).and_then(|o| o.body.as_ref()) else {
        return false;
    };
    let schemas = super::schema::Schemas::new(&digest.definitions);
    kind(schemas.resolve(body)) == Some("object")
}

/// The entities created through generic operations, per concrete
/// collection path, in creation order.
#[derive(Debug, Default)]
pub(crate) struct Resources {
    collections: Mutex<BTreeMap<String, Collection>>,
}

/// One collection's entities.
#[derive(Debug, Default)]
pub(crate) struct Collection {
    /// `(id, entity)` in creation order.
    pub(crate) entities: Vec<(String, Value)>,
    /// How many were ever created here (for deterministic ids).
    pub(crate) created: u64,
}

impl Collection {
    pub(crate) fn get(&self, id: &str) -> Option<&Value> {
        self.entities.iter().find(|(i, _)| i == id).map(|(_, e)| e)
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut Value> {
        self.entities
            .iter_mut()
            .find(|(i, _)| i == id)
            .map(|(_, e)| e)
    }
}

impl Resources {
    /// The collections, locked.
    pub(crate) fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Collection>> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.collections
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Removes the entity `id` of `collection` and every collection nested
/// under it; whether it existed.
pub(crate) fn remove(
    collections: &mut BTreeMap<String, Collection>,
    collection: &str,
    id: &str,
) -> bool {
    let Some(entities) = collections.get_mut(collection) else {
        return false;
    };
    let before = entities.entities.len();
    entities.entities.retain(|(i, _)| i != id);
    if entities.entities.len() == before {
        return false;
    }
    let prefix = format!("{collection}/{id}/");
    collections.retain(|path, _| !path.starts_with(&prefix));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role_of(id: &str) -> Role {
        role(catalogue::operation(id).unwrap())
    }

    #[test]
    fn collections_and_items_come_from_the_paths() {
        assert_eq!(
            role_of("postRoutingQueues"),
            Role::Create {
                item: Some("getRoutingQueue")
            }
        );
        assert_eq!(role_of("getRoutingQueues"), Role::List);
        assert_eq!(role_of("getRoutingQueue"), Role::Read);
        assert!(matches!(role_of("putRoutingQueue"), Role::Replace { .. }));
        assert_eq!(role_of("deleteRoutingQueue"), Role::Delete);
        assert!(matches!(
            role_of("postRoutingWrapupcodes"),
            Role::Create { .. }
        ));
        assert!(matches!(
            role_of("postOutboundContactlists"),
            Role::Create { .. }
        ));
        // An action under an item is not a collection operation.
        assert_eq!(
            role_of("postAnalyticsConversationsDetailsQuery"),
            Role::Other
        );
    }

    #[test]
    fn removing_an_entity_removes_what_is_nested_under_it() {
        let mut collections = BTreeMap::new();
        let mut queues = Collection::default();
        queues.entities.push(("q1".into(), Value::Null));
        collections.insert("/api/v2/routing/queues".to_owned(), queues);
        collections.insert(
            "/api/v2/routing/queues/q1/wrapupcodes".to_owned(),
            Collection::default(),
        );
        assert!(remove(&mut collections, "/api/v2/routing/queues", "q1"));
        assert!(!remove(&mut collections, "/api/v2/routing/queues", "q1"));
        assert_eq!(collections.len(), 1);
    }
}
