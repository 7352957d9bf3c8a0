//! Turning spec names into idiomatic, collision-free Rust names.

use std::collections::BTreeSet;

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Rust keywords (strict and reserved) that cannot be field names as-is.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Type names the generated code or the crate root already uses; a
/// definition with one of these names gets a `Model` suffix.
pub const RESERVED_TYPE_NAMES: &[&str] = &[
    "Box",
    "Date",
    "DateTime",
    "Default",
    "LocalDateTime",
    "Map",
    "Model",
    "OpenEnum",
    "Option",
    "ParseDateTimeError",
    "Result",
    "Self",
    "String",
    "UnknownFields",
    "Value",
    "Vec",
];

/// The field that keeps unknown JSON fields; a property that would take
/// this name is renamed.
pub const UNKNOWN_FIELDS: &str = "unknown_fields";

/// The field that marks explicit `null`s; a property that would take this
/// name is renamed.
pub const EXPLICIT_NULLS: &str = "explicit_nulls";

/// `phoneNumber` → `phone_number`; keywords get a trailing `_` (`type_`);
/// names that start with a digit get an `n` prefix; odd characters go.
pub fn field_name(json: &str) -> String {
    let mut name = json.to_snake_case();
    if name.is_empty() {
        name = "field".into();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'n');
    }
    if KEYWORDS.contains(&name.as_str()) || name == UNKNOWN_FIELDS || name == EXPLICIT_NULLS {
        name.push('_');
    }
    name
}

/// A definition name as a type name: kept when already UpperCamelCase
/// (so `OAuthClient` stays as Genesys spells it), converted otherwise.
pub fn type_name(spec_name: &str) -> String {
    let is_camel = spec_name.starts_with(|c: char| c.is_ascii_uppercase())
        && spec_name.chars().all(|c| c.is_ascii_alphanumeric());
    let mut name = if is_camel {
        spec_name.to_owned()
    } else {
        spec_name.to_upper_camel_case()
    };
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'T');
    }
    if RESERVED_TYPE_NAMES.contains(&name.as_str()) {
        name.push_str("Model");
    }
    name
}

/// An enum value as a variant name: `transfer.conference` →
/// `TransferConference`, `en-US` → `EnUs`, `2` → `V2`, `` → `Empty`.
pub fn variant_name(value: &str) -> String {
    let mut name = value.to_upper_camel_case();
    if name.is_empty() {
        // Values made only of punctuation: spell them out so they stay distinct.
        name = value
            .chars()
            .map(|c| match c {
                '*' => "Star".to_owned(),
                '+' => "Plus".to_owned(),
                '-' => "Minus".to_owned(),
                '/' => "Slash".to_owned(),
                '.' => "Dot".to_owned(),
                _ => format!("U{:X}", c as u32),
            })
            .collect();
        if name.is_empty() {
            name = "Empty".into();
        }
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    if name == "Self" {
        name.push('_');
    }
    name
}

/// A tag as a cargo feature name: `AI Studio` → `ai-studio`.
pub fn feature_name(tag: &str) -> String {
    let mut out = String::new();
    for c in tag.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_owned();
    match out.as_str() {
        "" => "untagged".into(),
        "default" | "full" => format!("{out}-tag"),
        _ => out,
    }
}

/// Hands out names from a namespace, resolving collisions deterministically
/// by numbering later arrivals (`Name`, `Name2`, `Name3`, ...).
#[derive(Debug, Default)]
pub struct Namespace {
    taken: BTreeSet<String>,
}

impl Namespace {
    /// Reserves `name` exactly, returning false if it was already taken.
    pub fn reserve(&mut self, name: &str) -> bool {
        self.taken.insert(name.to_owned())
    }

    /// `base` if free, else `base` + `sep` + the first free number from 2.
    pub fn claim(&mut self, base: &str, sep: &str) -> String {
        if self.taken.insert(base.to_owned()) {
            return base.to_owned();
        }
        (2..)
            .map(|n| format!("{base}{sep}{n}"))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .expect("an unbounded range always yields a free name")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_snake_case_and_never_keywords() {
        assert_eq!(field_name("phoneNumber"), "phone_number");
        assert_eq!(field_name("OAuthClient"), "o_auth_client");
        assert_eq!(field_name("type"), "type_");
        assert_eq!(field_name("self"), "self_");
        assert_eq!(field_name("$schema"), "schema");
        assert_eq!(field_name("$ref"), "ref_");
        assert_eq!(field_name("meta-data"), "meta_data");
        assert_eq!(field_name("1stPlace"), "n1st_place");
        assert_eq!(field_name("unknownFields"), "unknown_fields_");
        assert_eq!(
            field_name("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
            "urn_ietf_params_scim_schemas_extension_enterprise_2_0_user"
        );
    }

    #[test]
    fn type_names_keep_genesys_spelling_and_avoid_reserved_names() {
        assert_eq!(type_name("OAuthClient"), "OAuthClient");
        assert_eq!(type_name("ACDSettings"), "ACDSettings");
        assert_eq!(type_name("scim_user"), "ScimUser");
        assert_eq!(type_name("DateTime"), "DateTimeModel");
        assert_eq!(type_name("3d"), "T3d");
    }

    #[test]
    fn variants_cover_odd_values() {
        assert_eq!(variant_name("transfer.conference"), "TransferConference");
        assert_eq!(variant_name("en-US"), "EnUs");
        assert_eq!(variant_name("2"), "V2");
        assert_eq!(variant_name(""), "Empty");
        assert_eq!(variant_name("*"), "Star");
        assert_eq!(variant_name("Self"), "Self_");
    }

    #[test]
    fn features_are_kebab_case() {
        assert_eq!(feature_name("AI Studio"), "ai-studio");
        assert_eq!(feature_name("Conversations"), "conversations");
        assert_eq!(feature_name("Workforce Management"), "workforce-management");
        assert_eq!(feature_name("full"), "full-tag");
    }

    #[test]
    fn namespace_numbers_collisions_in_arrival_order() {
        let mut ns = Namespace::default();
        assert_eq!(ns.claim("user_id", "_"), "user_id");
        assert_eq!(ns.claim("user_id", "_"), "user_id_2");
        assert_eq!(ns.claim("user_id", "_"), "user_id_3");
    }
}
