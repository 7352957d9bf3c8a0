//! The official Python SDK (`PureCloudPlatformClientV2`), pinned, in a
//! throwaway virtual environment, driving the same emulator.
//!
//! The interpreter runs `python/create_calls.py` (embedded in this binary)
//! as a long-lived worker: it logs in once, then answers `run N` with the
//! time N sequential create-calls took, so Python rounds interleave with the
//! Rust rounds of the same run.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;

/// The pinned SDK version (the one `tests/conformance` checks the emulator
/// against); `GENESYS_PY_SDK_VERSION` overrides it.
pub const DEFAULT_SDK_VERSION: &str = "269.0.0";

/// The worker script.
const SCRIPT: &str = include_str!("../python/create_calls.py");

/// The SDK version to install.
pub fn sdk_version() -> String {
    std::env::var("GENESYS_PY_SDK_VERSION").unwrap_or_else(|_| DEFAULT_SDK_VERSION.to_owned())
}

/// A virtual environment with the SDK installed. A temporary one is
/// deleted when this is dropped.
pub struct PythonEnv {
    dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    /// The installed SDK version.
    pub version: String,
    /// `python --version` of the interpreter.
    pub python: String,
}

impl PythonEnv {
    /// Creates a venv and installs the pinned SDK from PyPI into it: in a
    /// temporary directory, or in `keep` (reused when it already has that
    /// version, which saves the install on repeated runs).
    pub fn install(keep: Option<&Path>) -> anyhow::Result<Self> {
        let version = sdk_version();
        let (dir, temp) = match keep {
            Some(dir) => (dir.to_path_buf(), None),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("genesys-bench-venv-")
                    .tempdir()?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let python = dir.join("bin").join("python");
        let installed = python.exists()
            && Command::new(&python)
                .args(["-m", "pip", "show", "--disable-pip-version-check", "-q"])
                .arg("PureCloudPlatformClientV2")
                .output()
                .map(|o| {
                    o.status.success()
                        && String::from_utf8_lossy(&o.stdout)
                            .lines()
                            .any(|l| l.trim() == format!("Version: {version}"))
                })
                .unwrap_or(false);
        if !installed {
            eprintln!(
                "  installing PureCloudPlatformClientV2=={version} into a venv at {}",
                dir.display()
            );
            run(Command::new("python3").arg("-m").arg("venv").arg(&dir))
                .context("python3 -m venv (is python3 with venv installed?)")?;
            run(Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .arg(format!("PureCloudPlatformClientV2=={version}")))
            .context("pip install PureCloudPlatformClientV2")?;
        }
        let out = Command::new(&python).arg("--version").output()?;
        let python_version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        Ok(Self {
            dir,
            _temp: temp,
            version,
            python: python_version,
        })
    }

    /// Starts the worker against the emulator at `base_url`.
    pub fn start_worker(
        &self,
        base_url: &str,
        client_id: &str,
        client_secret: &str,
        user_id: &str,
    ) -> anyhow::Result<PythonWorker> {
        let script = self.dir.join("genesys_bench_create_calls.py");
        std::fs::write(&script, SCRIPT)?;
        let stderr = tempfile::tempfile()?;
        let mut child = Command::new(self.dir.join("bin").join("python"))
            .arg(&script)
            .args([base_url, client_id, client_secret, user_id])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr.try_clone()?)
            .spawn()
            .context("starting the Python worker")?;
        let stdin = child.stdin.take().context("worker stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("worker stdout")?);
        let mut worker = PythonWorker {
            child,
            stdin,
            stdout,
            stderr,
        };
        let ready = worker.read_line()?;
        if ready.get("ready") != Some(&Value::Bool(true)) {
            bail!("the Python worker did not start: {ready}");
        }
        Ok(worker)
    }
}

/// A running Python worker.
pub struct PythonWorker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: std::fs::File,
}

impl PythonWorker {
    /// Places `calls` calls one after another; the time the loop took and
    /// the CPU time the Python process spent in it.
    pub fn run(&mut self, calls: usize) -> anyhow::Result<(Duration, Option<Duration>)> {
        writeln!(self.stdin, "run {calls}")?;
        self.stdin.flush()?;
        let answer = self.read_line()?;
        let seconds = answer
            .get("seconds")
            .and_then(Value::as_f64)
            .with_context(|| format!("unexpected worker answer {answer}"))?;
        let cpu = answer
            .get("cpu_seconds")
            .and_then(Value::as_f64)
            .map(Duration::from_secs_f64);
        Ok((Duration::from_secs_f64(seconds), cpu))
    }

    fn read_line(&mut self) -> anyhow::Result<Value> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            let _ = self.child.wait();
            bail!("the Python worker exited:\n{}", self.stderr_text());
        }
        serde_json::from_str(&line).with_context(|| format!("worker said {line:?}"))
    }

    fn stderr_text(&mut self) -> String {
        use std::io::{Read, Seek, SeekFrom};
        let mut text = String::new();
        let _ = self.stderr.seek(SeekFrom::Start(0));
        let _ = self.stderr.read_to_string(&mut text);
        text
    }
}

impl Drop for PythonWorker {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let out = command.output()?;
    if !out.status.success() {
        bail!(
            "{:?} failed ({}):\n{}{}",
            command,
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}
