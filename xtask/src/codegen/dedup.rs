//! Structurally identical definitions become type aliases of one canonical
//! model, so the same struct is not compiled twice.
//!
//! The notifications document repeats itself a lot: the same event body
//! appears under one name per topic family (`QueueConversationCallEvent...`
//! and `ConversationCallEvent...`), and many are the REST API's models under
//! another name (`AuditTopicDomainEntityRef` is `DomainEntityRef`). Two
//! definitions are identical when they have the same JSON properties with
//! the same types, formats, enum values and required flags, where nested
//! models are compared the same way, recursively: the classes are found by
//! partition refinement (as in DFA minimisation), so cycles are handled.
//! Descriptions do not count.
//!
//! Only notification definitions are aliased; REST models keep their own
//! types (aliasing them would change nothing users see but `DEFINITION`, and
//! saves little: see the closing note of the issue that added this).

use std::collections::{BTreeMap, HashMap};

use super::ir::{EnumDef, ModelDef, Origin, Ty};

/// Set (to anything) to generate without aliases, to measure what they save.
pub const NO_ALIASES_ENV: &str = "GENESYS_CODEGEN_NO_ALIASES";

/// Marks every notification model that is structurally identical to another
/// model (REST models preferred, then the first name) as its alias, along
/// with the enums it owns. Returns the number of aliased models.
pub fn alias_structural_duplicates(models: &mut [ModelDef], enums: &mut [EnumDef]) -> usize {
    let classes = structural_classes(models, enums);
    let mut canonical: HashMap<usize, usize> = HashMap::new();
    for (i, model) in models.iter().enumerate() {
        let entry = canonical.entry(classes[i]).or_insert(i);
        let current = &models[*entry];
        let better = (model.origin, &model.name) < (current.origin, &current.name);
        if better {
            *entry = i;
        }
    }
    let enum_index: HashMap<String, usize> = enums
        .iter()
        .enumerate()
        .map(|(i, e)| (e.name.clone(), i))
        .collect();
    let mut aliased = 0;
    for i in 0..models.len() {
        let target = canonical[&classes[i]];
        if target == i || models[i].origin != Origin::Notifications {
            continue;
        }
        let canonical_fields: BTreeMap<&str, &Ty> = models[target]
            .fields
            .iter()
            .map(|f| (f.json.as_str(), &f.ty))
            .collect();
        let mut enum_aliases = Vec::new();
        for field in &models[i].fields {
            if let Some(other) = canonical_fields.get(field.json.as_str()) {
                pair_enums(&field.ty, other, &mut enum_aliases);
            }
        }
        for (alias, canonical_enum) in enum_aliases {
            if let Some(&e) = enum_index.get(&alias) {
                enums[e].alias_of = Some(canonical_enum);
            }
        }
        models[i].alias_of = Some(models[target].name.clone());
        aliased += 1;
    }
    aliased
}

/// The enums at the same place in two identical types.
fn pair_enums(alias: &Ty, canonical: &Ty, out: &mut Vec<(String, String)>) {
    match (alias, canonical) {
        (Ty::Enum(a), Ty::Enum(c)) if a != c => out.push((a.clone(), c.clone())),
        (Ty::Vec(a), Ty::Vec(c)) | (Ty::Map(a), Ty::Map(c)) | (Ty::Boxed(a), Ty::Boxed(c)) => {
            pair_enums(a, c, out)
        }
        (Ty::Boxed(a), c) => pair_enums(a, c, out),
        (a, Ty::Boxed(c)) => pair_enums(a, c, out),
        _ => {}
    }
}

/// A class id per model: equal ids mean structurally identical.
pub fn structural_classes(models: &[ModelDef], enums: &[EnumDef]) -> Vec<usize> {
    let index: HashMap<&str, usize> = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.as_str(), i))
        .collect();
    let enum_values: HashMap<&str, String> = enums
        .iter()
        .map(|e| {
            let mut values: Vec<&str> = e.variants.iter().map(|(_, w)| w.as_str()).collect();
            values.sort_unstable();
            (e.name.as_str(), values.join("\u{1f}"))
        })
        .collect();
    let mut class = vec![0usize; models.len()];
    let mut count = 1;
    loop {
        let mut ids: HashMap<(usize, String), usize> = HashMap::new();
        let next: Vec<usize> = models
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let signature = signature(m, &class, &index, &enum_values);
                let fresh = ids.len();
                *ids.entry((class[i], signature)).or_insert(fresh)
            })
            .collect();
        class = next;
        if ids.len() == count {
            return class;
        }
        count = ids.len();
    }
}

fn signature(
    model: &ModelDef,
    class: &[usize],
    index: &HashMap<&str, usize>,
    enum_values: &HashMap<&str, String>,
) -> String {
    let mut fields: Vec<String> = model
        .fields
        .iter()
        .map(|f| {
            let mut ty = String::new();
            ty_signature(&f.ty, class, index, enum_values, &mut ty);
            format!("{}:{}:{ty}", f.json, if f.required { "r" } else { "o" })
        })
        .collect();
    fields.sort_unstable();
    fields.join(",")
}

fn ty_signature(
    ty: &Ty,
    class: &[usize],
    index: &HashMap<&str, usize>,
    enum_values: &HashMap<&str, String>,
    out: &mut String,
) {
    use std::fmt::Write as _;
    match ty {
        Ty::Model(name) => {
            let _ = write!(
                out,
                "M{}",
                index.get(name.as_str()).map_or(usize::MAX, |&i| class[i])
            );
        }
        Ty::Enum(name) => {
            let _ = write!(
                out,
                "E[{}]",
                enum_values.get(name.as_str()).map_or("", String::as_str)
            );
        }
        Ty::Vec(inner) => {
            out.push_str("V(");
            ty_signature(inner, class, index, enum_values, out);
            out.push(')');
        }
        Ty::Map(inner) => {
            out.push_str("H(");
            ty_signature(inner, class, index, enum_values, out);
            out.push(')');
        }
        // Boxing is how a cycle is stored, not what the JSON is.
        Ty::Boxed(inner) => ty_signature(inner, class, index, enum_values, out),
        other => {
            let _ = write!(out, "{other:?}");
        }
    }
}
