//! `cargo xtask codegen`: the Genesys Swagger spec in, `genesys-model` out.
//!
//! Flow: [`spec`] reads the Swagger 2.0 document; [`ir`] resolves names,
//! types, enums, recursion and per-tag feature gates; [`emit`] prints Rust
//! with quote + prettyplease (no installed rustfmt needed), so the output is
//! deterministic for a given spec.

pub mod dedup;
pub mod emit;
pub mod emit_api;
pub mod emit_emulator;
pub mod emit_topics;
pub mod ir;
pub mod names;
pub mod paging;
pub mod spec;
pub mod topics;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sha2::{Digest, Sha256};

/// The default spec, beside the checkout.
pub const DEFAULT_SPEC: &str = "../shared/spec/genesys-platform-api-v2.json";
/// The environment variable that names another spec.
pub const SPEC_ENV: &str = "GENESYS_SPEC";
/// The notifications document's file name, looked for beside the spec.
pub const NOTIFICATIONS_FILE: &str = "genesys-notifications.json";
/// The environment variable that names another notifications document.
pub const NOTIFICATIONS_ENV: &str = "GENESYS_NOTIFICATIONS_SPEC";
const FEATURES_BEGIN: &str = "# BEGIN GENERATED FEATURES (cargo xtask codegen)\n";
const FEATURES_END: &str = "# END GENERATED FEATURES\n";

/// Everything one run writes: file path (relative to the workspace root) → contents.
pub struct Output {
    pub files: BTreeMap<PathBuf, String>,
    pub ir: ir::Ir,
}

/// Where the spec comes from: `--spec`, else `$GENESYS_SPEC`, else the shared default.
pub fn resolve_spec_path(explicit: Option<&Path>, workspace: &Path) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    if let Some(path) = std::env::var_os(SPEC_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let default = workspace.join(DEFAULT_SPEC);
    anyhow::ensure!(
        default.exists(),
        "no spec to read: set ${SPEC_ENV} or pass --spec FILE (the default {} does not exist)",
        default.display()
    );
    Ok(default)
}

/// Where the notifications document comes from: `--notifications`, else
/// `$GENESYS_NOTIFICATIONS_SPEC`, else `genesys-notifications.json` beside
/// the spec when it exists there.
pub fn resolve_notifications_path(explicit: Option<&Path>, spec: &Path) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_owned());
    }
    if let Some(path) = std::env::var_os(NOTIFICATIONS_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let beside = spec.with_file_name(NOTIFICATIONS_FILE);
    beside.exists().then_some(beside)
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where the generated code goes.
pub struct Targets {
    /// The model crate's directory and its current Cargo.toml.
    pub model: (PathBuf, String),
    /// The facade crate's directory and its current Cargo.toml, when the
    /// API surface is generated too.
    pub facade: Option<(PathBuf, String)>,
    /// The emulator crate's directory, when its spec digest is generated too.
    pub emulator: Option<PathBuf>,
}

/// Generates everything from a spec's text (and the notifications
/// document's, when given), in memory.
pub fn generate(
    text: &str,
    notifications: Option<&str>,
    targets: &Targets,
) -> anyhow::Result<Output> {
    let (model_crate, cargo_toml) = (&targets.model.0, targets.model.1.as_str());
    let spec = spec::Spec::parse(text)?;
    let events = notifications
        .map(|n| {
            spec::Spec::parse(n)
                .map(|parsed| (parsed, sha256_hex(n)))
                .map_err(|e| e.context("reading the notifications document"))
        })
        .transpose()?;
    let ir = ir::Ir::build_with(
        &spec,
        sha256_hex(text),
        events.as_ref().map(|(e, sha)| (e, sha.clone())),
    )?;

    let generated_dir = model_crate.join("src/generated");
    let mut files = BTreeMap::new();
    for file in emit::emit_models(&ir)?.into_iter().chain([
        emit::emit_catalogue(&ir)?,
        emit::emit_root(&ir)?,
        emit_topics::emit_topics(&ir)?,
    ]) {
        files.insert(generated_dir.join(&file.path), file.contents);
    }
    files.insert(
        model_crate.join("Cargo.toml"),
        replace_features_block(cargo_toml, &emit::features_block(&ir))?,
    );
    if let Some((facade, manifest)) = &targets.facade {
        let dir = facade.join("src/generated");
        for file in emit_api::emit_api(&ir)? {
            files.insert(dir.join(&file.path), file.contents);
        }
        files.insert(
            facade.join("Cargo.toml"),
            replace_features_block(manifest, &emit_api::facade_features_block(&ir))?,
        );
    }
    if let Some(emulator) = &targets.emulator {
        files.insert(
            emulator.join("src/generated").join(emit_emulator::FILE),
            emit_emulator::emit_emulator_spec(&spec)?,
        );
    }
    Ok(Output { files, ir })
}

fn replace_features_block(cargo_toml: &str, block: &str) -> anyhow::Result<String> {
    let start = cargo_toml
        .find(FEATURES_BEGIN)
        .context("the model crate's Cargo.toml lacks the generated-features markers")?;
    let end = cargo_toml[start..]
        .find(FEATURES_END)
        .map(|i| start + i)
        .context("the model crate's Cargo.toml lacks the end-of-features marker")?;
    Ok(format!(
        "{}{FEATURES_BEGIN}{block}{}",
        &cargo_toml[..start],
        &cargo_toml[end..]
    ))
}

/// Files that differ from (or are missing in) the tree, plus generated
/// files in the generated directories that the generator no longer writes.
pub fn stale_files(output: &Output, generated_dirs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut stale = Vec::new();
    for (path, contents) in &output.files {
        if std::fs::read_to_string(path).ok().as_deref() != Some(contents.as_str()) {
            stale.push(path.clone());
        }
    }
    for dir in generated_dirs {
        for path in existing_generated(dir)? {
            if !output.files.contains_key(&path) {
                stale.push(path);
            }
        }
    }
    Ok(stale)
}

fn existing_generated(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(existing_generated(&path)?);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(out)
}

/// Writes the output, removing generated files it no longer contains.
pub fn write(output: &Output, generated_dirs: &[PathBuf]) -> anyhow::Result<()> {
    for dir in generated_dirs {
        for path in existing_generated(dir)? {
            if !output.files.contains_key(&path) {
                std::fs::remove_file(&path)?;
            }
        }
    }
    for (path, contents) in &output.files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if std::fs::read_to_string(path).ok().as_deref() != Some(contents.as_str()) {
            std::fs::write(path, contents)
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(())
}

/// A manifest for generating into a fresh directory (`--out`), e.g. to try
/// another spec without touching the workspace.
pub fn standalone_manifest() -> String {
    format!(
        "[package]\nname = \"genesys-model-preview\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n{FEATURES_BEGIN}{FEATURES_END}"
    )
}

impl Targets {
    /// The directories whose `.rs` files are all generated.
    pub fn generated_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = vec![self.model.0.join("src/generated")];
        if let Some((facade, _)) = &self.facade {
            dirs.push(facade.join("src/generated"));
        }
        dirs
    }
}
