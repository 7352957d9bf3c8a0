//! Where `genesys login` keeps a login: one JSON file per profile, readable
//! only by the user (mode 0600 in a 0700 directory), written atomically.
//!
//! Location: `$GENESYS_CLI_HOME/logins/<profile>.json`, else
//! `$XDG_CONFIG_HOME/genesys/logins/<profile>.json`, else
//! `~/.config/genesys/logins/<profile>.json` (`%APPDATA%\genesys\logins\…`
//! on Windows). The profile is `--profile`, default `DEFAULT`.
//!
//! Format (version 1):
//!
//! ```json
//! {
//!   "version": 1,
//!   "kind": "oauth",                      // or "embedded-emulator"
//!   "api_base_url": "https://api.mypurecloud.ie",
//!   "login_base_url": "https://login.mypurecloud.ie",
//!   "client_id": "…",
//!   "user_id": "…", "user_name": "…",
//!   "access_token": "…", "expires_at": 1764300000,   // Unix seconds
//!   "refresh_token": "…"
//! }
//! ```
//!
//! An `embedded-emulator` login holds no token at all: the embedded
//! emulator forgets every token when the process that ran it exits, so the
//! file records only that the user chose it.

use std::fmt;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

/// The variable that moves the store (tests point it at a temporary directory).
pub const ENV_HOME: &str = "GENESYS_CLI_HOME";

/// What a stored login is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginKind {
    /// A user token (and refresh token) from an OAuth server.
    Oauth,
    /// The embedded emulator's demo user; no token is kept.
    EmbeddedEmulator,
}

/// A stored login. Secrets are [`SecretString`]s and are left out of `Debug`.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredLogin {
    /// The format version, 1.
    pub version: u32,
    /// What the login is for.
    pub kind: LoginKind,
    /// The API base URL the login belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_base_url: Option<String>,
    /// The login (OAuth) base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_base_url: Option<String>,
    /// The OAuth client id (a public PKCE client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The user the token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The user's name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The access token.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_secret",
        deserialize_with = "de_secret"
    )]
    pub access_token: Option<SecretString>,
    /// When the access token expires, in Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// The refresh token (replaced on every rotation).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_secret",
        deserialize_with = "de_secret"
    )]
    pub refresh_token: Option<SecretString>,
}

fn ser_secret<S: serde::Serializer>(value: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(secret) => s.serialize_str(secret.expose_secret()),
        None => s.serialize_none(),
    }
}

fn de_secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(SecretString::from))
}

impl fmt::Debug for StoredLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredLogin")
            .field("kind", &self.kind)
            .field("api_base_url", &self.api_base_url)
            .field("client_id", &self.client_id)
            .field("user_id", &self.user_id)
            .field("has_access_token", &self.access_token.is_some())
            .field("expires_at", &self.expires_at)
            .field("has_refresh_token", &self.refresh_token.is_some())
            .finish()
    }
}

impl StoredLogin {
    /// A login of `kind` with nothing else set.
    pub fn new(kind: LoginKind) -> Self {
        Self {
            version: 1,
            kind,
            api_base_url: None,
            login_base_url: None,
            client_id: None,
            user_id: None,
            user_name: None,
            access_token: None,
            expires_at: None,
            refresh_token: None,
        }
    }

    /// The access token's expiry as a [`SystemTime`].
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expires_at
            .map(|secs| UNIX_EPOCH + Duration::from_secs(secs))
    }

    /// Sets the expiry from a [`SystemTime`].
    pub fn set_expiry(&mut self, at: Option<SystemTime>) {
        self.expires_at = at.and_then(|t| t.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs()));
    }
}

/// The store's directory, from [`ENV_HOME`] or the user's config directory.
pub fn store_dir() -> Result<PathBuf, String> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(home) = var(ENV_HOME) {
        return Ok(home);
    }
    if cfg!(windows)
        && let Some(appdata) = var("APPDATA")
    {
        return Ok(appdata.join("genesys"));
    }
    if let Some(config) = var("XDG_CONFIG_HOME") {
        return Ok(config.join("genesys"));
    }
    if let Some(home) = var("HOME").or_else(|| var("USERPROFILE")) {
        return Ok(home.join(".config").join("genesys"));
    }
    Err(format!(
        "no directory for the login store: set {ENV_HOME} (or HOME)"
    ))
}

/// The file of `profile`'s login.
pub fn login_path(profile: &str) -> Result<PathBuf, String> {
    if profile.is_empty()
        || !profile
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || profile.starts_with('.')
    {
        return Err(format!(
            "profile name `{profile}`: use letters, digits, `-`, `_` and `.` only"
        ));
    }
    Ok(store_dir()?.join("logins").join(format!("{profile}.json")))
}

/// Reads a stored login, `Ok(None)` if there is none.
pub fn load(path: &Path) -> Result<Option<StoredLogin>, String> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    // serde_json's message can quote the input: report only the position.
    let login: StoredLogin = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{} is not a valid stored login (line {}, column {}); run `genesys logout` and log in again",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if login.version != 1 {
        return Err(format!(
            "{} has format version {}, which this genesys does not read",
            path.display(),
            login.version
        ));
    }
    Ok(Some(login))
}

/// Writes `login` to `path` atomically: a new file (mode 0600) in the same
/// directory, flushed, then renamed over the old one (a failed write
/// removes its temporary file). The directory is
/// created with mode 0700 if missing.
pub fn save(path: &Path, login: &StoredLogin) -> Result<(), String> {
    let dir = path
        .parent()
        .ok_or_else(|| format!("{} has no parent directory", path.display()))?;
    create_private_dir(dir)?;
    let text =
        serde_json::to_string_pretty(login).map_err(|e| format!("cannot encode the login: {e}"))?;
    // `tempfile` creates the file with mode 0600 on Unix, in the same
    // directory so the rename is atomic.
    let written = (|| -> std::io::Result<()> {
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        file.write_all(text.as_bytes())?;
        file.as_file().sync_all()?;
        file.persist(path).map_err(|e| e.error)?;
        Ok(())
    })();
    written.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// Deletes the stored login; `Ok(false)` if there was none.
pub fn delete(path: &Path) -> Result<bool, String> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(format!("cannot delete {}: {e}", path.display())),
    }
}

fn create_private_dir(dir: &Path) -> Result<(), String> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_private_and_debug_hides_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logins").join("DEFAULT.json");
        let mut login = StoredLogin::new(LoginKind::Oauth);
        login.access_token = Some(SecretString::from("access-secret"));
        login.refresh_token = Some(SecretString::from("refresh-secret"));
        login.expires_at = Some(42);
        save(&path, &login).unwrap();
        save(&path, &login).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let back = load(&path).unwrap().unwrap();
        assert_eq!(
            back.refresh_token.unwrap().expose_secret(),
            "refresh-secret"
        );
        let debug = format!("{login:?}");
        assert!(!debug.contains("secret"), "{debug}");
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
        assert!(delete(&path).unwrap());
        assert!(!delete(&path).unwrap());
        assert!(load(&path).unwrap().is_none());
    }

    #[test]
    fn profile_names_cannot_escape_the_store() {
        assert!(login_path("../x").is_err());
        assert!(login_path("").is_err());
        assert!(login_path(".hidden").is_err());
    }
}
