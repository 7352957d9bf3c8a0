//! `genesys-auth` without default features must not pull hyper, rustls or
//! tokio: other projects depend on it just to write token sources.

use std::process::Command;

#[test]
fn core_has_no_http_stack() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "genesys-auth",
            "--no-default-features",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(tree.contains("genesys-auth"), "{tree}");
    assert!(tree.contains("secrecy"), "{tree}");
    for banned in ["hyper", "rustls", "tokio", "genesys-transport", "http "] {
        let hits: Vec<&str> = tree
            .lines()
            .filter(|line| line.starts_with(banned))
            .collect();
        assert!(
            hits.is_empty(),
            "`{banned}` is in the no-default-features tree: {hits:?}\n{tree}"
        );
    }
}

#[test]
fn default_features_bring_the_client() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "genesys-auth",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(output.status.success());
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(tree.lines().any(|l| l.starts_with("hyper ")), "{tree}");
    assert!(
        tree.lines().any(|l| l.starts_with("genesys-transport ")),
        "{tree}"
    );
}
