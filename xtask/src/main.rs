//! Workspace automation for genesys-cloud-rs.
//!
//! `cargo xtask codegen [--spec FILE] [--check] [--out DIR]` regenerates the
//! models and operation catalogue of `genesys-model` from the Genesys Cloud
//! Swagger 2.0 spec, the facade's API and the emulator's spec digest.
#![forbid(unsafe_code)]

mod codegen;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Workspace automation for genesys-cloud-rs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate crates/genesys-model from the Swagger 2.0 spec.
    Codegen {
        /// The spec to read (default: $GENESYS_SPEC, else ../shared/spec/genesys-platform-api-v2.json).
        #[arg(long)]
        spec: Option<PathBuf>,
        /// The notification service's document (default: $GENESYS_NOTIFICATIONS_SPEC, else
        /// genesys-notifications.json beside the spec, when it exists).
        #[arg(long)]
        notifications: Option<PathBuf>,
        /// Generate without the notifications document (no event models or topics).
        #[arg(long, conflicts_with = "notifications")]
        no_notifications: bool,
        /// Do not write: exit non-zero, listing the files that differ, if the committed output is stale.
        #[arg(long)]
        check: bool,
        /// Write into this model-crate directory instead of crates/genesys-model
        /// (it gets src/generated/ and a Cargo.toml with the generated features).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_owned()
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let Command::Codegen {
        spec,
        notifications,
        no_notifications,
        check,
        out,
    } = cli.command;
    let root = workspace_root();
    let spec_path = codegen::resolve_spec_path(spec.as_deref(), &root)?;
    let preview = out.is_some();
    let model_crate = out.unwrap_or_else(|| root.join("crates/genesys-model"));
    let started = Instant::now();

    let text = std::fs::read_to_string(&spec_path)
        .with_context(|| format!("reading the spec {}", spec_path.display()))?;
    let notifications_path = if no_notifications {
        None
    } else {
        codegen::resolve_notifications_path(notifications.as_deref(), &spec_path)
    };
    let notifications_text = notifications_path
        .as_ref()
        .map(|path| {
            std::fs::read_to_string(path)
                .with_context(|| format!("reading the notifications document {}", path.display()))
        })
        .transpose()?;
    let cargo_path = model_crate.join("Cargo.toml");
    let cargo_toml = match std::fs::read_to_string(&cargo_path) {
        Ok(text) => text,
        Err(_) => codegen::standalone_manifest(),
    };
    // A preview (--out) gets the models only; the workspace gets the facade's API too.
    let facade = if preview {
        None
    } else {
        let dir = root.join("crates/genesys-cloud");
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml"))
            .with_context(|| format!("reading {}", dir.join("Cargo.toml").display()))?;
        Some((dir, manifest))
    };
    let targets = codegen::Targets {
        model: (model_crate, cargo_toml),
        facade,
        emulator: (!preview).then(|| root.join("crates/genesys-emulator")),
    };
    let output = codegen::generate(&text, notifications_text.as_deref(), &targets)
        .with_context(|| format!("generating from {}", spec_path.display()))?;
    let generated_dirs = targets.generated_dirs();

    if check {
        let stale = codegen::stale_files(&output, &generated_dirs)?;
        if stale.is_empty() {
            eprintln!("generated code is up to date with {}", spec_path.display());
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("generated code is stale; run `cargo xtask codegen`. Files that differ:");
        for path in stale {
            eprintln!("  {}", path.strip_prefix(&root).unwrap_or(&path).display());
        }
        return Ok(ExitCode::FAILURE);
    }

    codegen::write(&output, &generated_dirs)?;
    let bytes: usize = output.files.values().map(String::len).sum();
    let lines: usize = output.files.values().map(|c| c.lines().count()).sum();
    eprintln!(
        "generated {} models ({} of them aliases), {} enums, {} operations, {} features, {} topics ({} topic features) from {}{} in {:.1?}: {} files, {} lines, {:.1} MiB",
        output.ir.models.len(),
        output.ir.aliases,
        output.ir.enums.len(),
        output.ir.operations.len(),
        output.ir.features.len(),
        output.ir.topics.len(),
        output.ir.topic_features.len(),
        spec_path.display(),
        notifications_path
            .as_ref()
            .map(|p| format!(" and {}", p.display()))
            .unwrap_or_default(),
        started.elapsed(),
        output.files.len(),
        lines,
        bytes as f64 / (1024.0 * 1024.0),
    );
    Ok(ExitCode::SUCCESS)
}
