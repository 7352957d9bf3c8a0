//! Helpers shared by the `genesys` binary's tests: a command that reads no
//! real credentials, and the flags that point it at an emulator.
#![allow(dead_code)] // each test file uses its own subset

use std::path::Path;

use genesys_emulator::Emulator;
use tokio::process::Command;

/// `genesys <args>` with `home` as its home and `store` as its login store,
/// and no credentials, region, log filter or display from the environment.
pub fn isolated(home: &Path, store: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_genesys"));
    command
        .args(args)
        .env("HOME", home)
        .env("GENESYS_CLI_HOME", store)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("GENESYSCLOUD_REGION")
        .env_remove("GENESYSCLOUD_OAUTHCLIENT_ID")
        .env_remove("GENESYSCLOUD_OAUTHCLIENT_SECRET")
        .env_remove("GENESYSCLOUD_ACCESS_TOKEN")
        .env_remove("RUST_LOG")
        .current_dir(home)
        .kill_on_drop(true);
    command
}

/// `--base-url <emu> --client-id <id> --client-secret <secret>`, then `args`.
pub fn against_args(emu: &Emulator, client: (&str, &str), args: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = vec![
        "--base-url".into(),
        emu.base_url(),
        "--client-id".into(),
        client.0.into(),
        "--client-secret".into(),
        client.1.into(),
    ];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    all
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
