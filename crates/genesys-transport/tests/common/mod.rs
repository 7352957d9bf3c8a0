//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use genesys_emulator::{Emulator, EmulatorConfig, TlsOptions, seed};
use genesys_transport::{ApiRequest, BoxFuture, Sleeper};
use http::{HeaderValue, Method};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

/// A sleeper that records the requested waits and returns at once.
#[derive(Debug, Clone, Default)]
pub struct RecordingSleeper(pub Arc<Mutex<Vec<Duration>>>);

impl RecordingSleeper {
    pub fn sleeps(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.0.lock().unwrap().push(duration);
        Box::pin(async {})
    }
}

/// Captured `tracing` output.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

pub struct CapturedWriter(Arc<Mutex<Vec<u8>>>);

impl io::Write for CapturedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = CapturedWriter;
    fn make_writer(&'a self) -> Self::Writer {
        CapturedWriter(self.0.clone())
    }
}

/// Installs a TRACE-level subscriber writing to a buffer for the current
/// thread (use with current-thread tokio tests).
pub fn capture_tracing() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    // Everything this process logs, except the emulator (the server side).
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "trace,genesys_emulator=off",
        ))
        .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (captured, guard)
}

/// The path the TLS and proxy tests request.
pub const USERS_ME: &str = "/api/v2/users/me";

/// An emulator serving HTTPS with `options`.
pub async fn tls_emulator(options: TlsOptions) -> Emulator {
    Emulator::start(EmulatorConfig::default().with_tls(options))
        .await
        .expect("emulator starts")
}

/// `GET /api/v2/users/me` with the emulator's demo user's token.
pub fn users_me(emu: &Emulator) -> ApiRequest {
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    ApiRequest::new(Method::GET, USERS_ME).with_header(
        http::header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    )
}
