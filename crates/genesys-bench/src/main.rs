//! `genesys-bench`: the SDK measured side by side with a raw hyper client
//! and the official Python SDK, against the local emulator, in one run.
//!
//! ```text
//! cargo run --release -p genesys-bench -- all
//! ```
//!
//! runs every measurement, prints a markdown table of medians and ratios and
//! writes it into `docs/benchmarks.md` with the command, the date and the
//! machine. Every comparison is made inside the same process and the same
//! run: rounds alternate the contenders (SDK first in even rounds, the
//! baseline first in odd ones), and ratios are taken per round before the
//! median, so the noise of a shared machine hits both sides alike.
//!
//! The emulator runs in this process on its own single-threaded tokio
//! runtime (one OS thread), listening on `127.0.0.1` only; the Rust clients
//! run on a second, current-thread runtime on the main thread, and the
//! Python SDK in a child process that is idle except in its own turn.
#![forbid(unsafe_code)]

mod cpu;
mod decode;
#[cfg(feature = "sdk")]
mod follow;
mod pin;
mod python;
mod raw;
mod report;
#[cfg(feature = "sdk")]
mod sdk;
mod stats;
mod topics;

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use clap::{Args, Parser, Subcommand};
use futures_util::stream::{self, StreamExt as _, TryStreamExt as _};
use genesys_emulator::{Emulator, EmulatorConfig, seed};
use genesys_model::CreateCallRequest;

use crate::report::{CallResults, Contender, DecodeResult, Report, SingleFlightResults};

/// The name of the emulator's runtime threads (their CPU time is read by
/// name).
const EMULATOR_THREAD: &str = "emulator";

/// Side-by-side benchmarks of the Genesys Cloud SDK on the local emulator.
#[derive(Debug, Parser)]
#[command(name = "genesys-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Every measurement; prints the table and writes docs/benchmarks.md.
    All(Opts),
    /// Create-call throughput: SDK, raw hyper and the Python SDK.
    Calls(Opts),
    /// Token single flight under concurrent first calls.
    SingleFlight(Opts),
    /// Decoding large listings into models and into serde_json::Value.
    Decode(Opts),
    /// One contender alone, for profilers: `valgrind --tool=callgrind
    /// --separate-threads=yes` at two `--calls` counts gives instructions
    /// per call of the client (main) and emulator threads.
    Profile(ProfileOpts),
    /// Following N calls placed at once with one token, on an emulator
    /// limited to 300 requests a minute: polling (`wait_for_every`, 1 s)
    /// against events (`wait_for`): requests, 429s, wall time and how late
    /// the caller sees each call connect. Takes about two minutes (the
    /// calls take 20 s of real time to connect; polling waits out the rate
    /// limit); prints, and with `--write` updates its own section of
    /// docs/benchmarks.md.
    #[cfg(feature = "sdk")]
    Follow(follow::FollowOpts),
    /// Topic matching per notification: the trie against a linear scan,
    /// and a whole call event decoded (no emulator, no network).
    Topics {
        /// Rounds; the median is reported.
        #[arg(long, default_value_t = 15)]
        rounds: usize,
        /// Passes over the 242 topic names per round.
        #[arg(long, default_value_t = 2000)]
        iterations: usize,
    },
}

/// What `profile` runs.
#[derive(Debug, Clone, Args)]
struct ProfileOpts {
    /// `sdk` or `raw`.
    #[arg(long, default_value = "sdk")]
    contender: String,
    /// Calls made after the warm-up.
    #[arg(long, default_value_t = 2000)]
    calls: usize,
    /// Requests in flight (1: sequential).
    #[arg(long, default_value_t = 1)]
    in_flight: usize,
    /// Warm-up calls (token fetch, connections).
    #[arg(long, default_value_t = 200)]
    warmup: usize,
    /// Idle connections the SDK's HTTP client keeps per host (default: the
    /// SDK's own default).
    #[arg(long)]
    sdk_pool_max_idle: Option<usize>,
    /// Thread placement: `none`, `apart` or `shared` (as for `all`).
    #[arg(long, default_value = "none", value_parser = ["none", "apart", "shared"])]
    pin: String,
}

/// Settings shared by every measurement.
#[derive(Debug, Clone, Args)]
struct Opts {
    /// Rounds per measurement; medians are taken over them.
    #[arg(long, default_value_t = 15)]
    rounds: usize,
    /// Create-calls per contender per round (sequential, and again with
    /// `--in-flight` concurrent requests).
    #[arg(long, default_value_t = 3000)]
    calls: usize,
    /// Requests in flight for the concurrent throughput.
    #[arg(long, default_value_t = 64)]
    in_flight: usize,
    /// Warm-up create-calls per contender before the first round.
    #[arg(long, default_value_t = 500)]
    warmup: usize,
    /// Sequential create-calls the Python SDK makes per round.
    #[arg(long, default_value_t = 300)]
    python_calls: usize,
    /// Leave out the official Python SDK (no venv, no PyPI).
    #[arg(long)]
    skip_python: bool,
    /// Keep the Python venv in this directory and reuse it on later runs
    /// (default: a temporary directory, removed at exit).
    #[arg(long, value_name = "DIR")]
    python_venv: Option<PathBuf>,
    /// Concurrent first calls for the single-flight measurement.
    #[arg(long, default_value_t = 1000)]
    concurrent_first_calls: usize,
    /// Uncached token requests timed for the single-flight context.
    #[arg(long, default_value_t = 50)]
    token_fetches: usize,
    /// Size of each decode listing in MB (10^6 bytes).
    #[arg(long, default_value_t = 10.0)]
    decode_mb: f64,
    /// Idle connections the SDK's HTTP client keeps per host (default: the
    /// SDK's own default). A diagnostic: it shows what connection reuse is
    /// worth under concurrency.
    #[arg(long)]
    sdk_pool_max_idle: Option<usize>,
    /// Worker threads of the emulator's runtime.
    #[arg(long, default_value_t = 1)]
    emulator_threads: usize,
    /// Where to write the report (default for `all`: docs/benchmarks.md of
    /// this workspace; other subcommands only print unless given).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print the report only.
    #[arg(long)]
    no_write: bool,
    /// Thread placement for the create-call measurements: `both` (every
    /// measurement once with `shared` and once with `apart`), `shared` (the
    /// client thread, Python and the emulator on the first CPU), `apart`
    /// (client and Python on the first CPU, the emulator on the second) or
    /// `none` (the scheduler decides, which on this kind of VM flips between
    /// the two from run to run; see `pin.rs`).
    #[arg(long, default_value = "both", value_parser = ["both", "none", "apart", "shared"])]
    pin: String,
}

/// Which measurements a subcommand runs.
#[derive(Debug, Clone, Copy)]
struct Selection {
    calls: bool,
    single_flight: bool,
    decode: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (opts, selection, default_output) = match cli.command {
        Command::All(o) => (
            o,
            Selection {
                calls: true,
                single_flight: true,
                decode: true,
            },
            true,
        ),
        Command::Calls(o) => (
            o,
            Selection {
                calls: true,
                single_flight: false,
                decode: false,
            },
            false,
        ),
        Command::SingleFlight(o) => (
            o,
            Selection {
                calls: false,
                single_flight: true,
                decode: false,
            },
            false,
        ),
        Command::Profile(p) => return profile(&p),
        #[cfg(feature = "sdk")]
        Command::Follow(f) => return follow::run(&f),
        Command::Topics { rounds, iterations } => {
            ensure!(rounds > 0, "--rounds must be at least 1");
            return topics::run(rounds, iterations);
        }
        Command::Decode(o) => (
            o,
            Selection {
                calls: false,
                single_flight: false,
                decode: true,
            },
            false,
        ),
    };
    ensure!(opts.rounds > 0, "--rounds must be at least 1");
    ensure!(opts.in_flight > 0, "--in-flight must be at least 1");

    let command = report::command_line();
    let machine = report::Machine::probe();
    eprintln!("genesys-bench: {command}");
    eprintln!("  machine: {}", machine.one_line());

    let mut report = Report {
        command,
        machine,
        settings: settings_line(&opts),
        pinning: String::new(),
        calls: Vec::new(),
        single_flight: None,
        decode: Vec::new(),
    };

    // The client side: one thread, the main one.
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // The emulator: its own runtime and thread(s).
    let emu_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.emulator_threads.max(1))
        .thread_name(EMULATOR_THREAD)
        .enable_all()
        .build()?;
    emu_rt.block_on(emu_rt.spawn(async {}))?;
    let placements: &[&str] = match opts.pin.as_str() {
        "both" => &["shared", "apart"],
        "apart" => &["apart"],
        "shared" => &["shared"],
        _ => &["none"],
    };
    report.pinning = pin_threads(placements[0]);

    // Decode first, in a fresh heap: after the create-call rounds the
    // emulator in this process holds ~200,000 conversations, and the
    // allocator state they leave slows the many small allocations of a
    // typed decode more than a `Value` decode (measured: 1.2× becomes ~1.0×).
    if selection.decode {
        report.decode = run_decode(&opts)?;
    }

    if selection.calls || selection.single_flight {
        let python_env = if selection.calls && !opts.skip_python {
            eprintln!("  setting up the official Python SDK");
            Some(python::PythonEnv::install(opts.python_venv.as_deref())?)
        } else {
            None
        };
        let emu = emu_rt
            .block_on(Emulator::start(EmulatorConfig::default()))
            .context("starting the emulator")?;
        eprintln!("  emulator at {}", emu.base_url());
        if selection.calls {
            for (i, placement) in placements.iter().enumerate() {
                let pinning = if i == 0 {
                    report.pinning.clone()
                } else {
                    pin_threads(placement)
                };
                eprintln!("  placement: {pinning}");
                let mut r = run_calls(&opts, &emu, &client_rt, python_env.as_ref())?;
                r.placement = placement_label(placement, &pinning);
                report.calls.push(r);
            }
            if placements.len() > 1 {
                report.pinning = format!(
                    "create-call measurements once per placement (`--pin both`), the rest with: {}",
                    pin_threads(placements[placements.len() - 1])
                );
            }
        }
        if selection.single_flight {
            report.single_flight = run_single_flight(&opts, &emu, &client_rt)?;
        }
        emu_rt.block_on(emu.shutdown());
    }

    let markdown = report.markdown();
    println!("{markdown}");
    let output = match (&opts.output, default_output) {
        _ if opts.no_write => None,
        (Some(path), _) => Some(path.clone()),
        (None, true) => Some(report::default_output()),
        (None, false) => None,
    };
    if let Some(path) = output {
        report::write_section(&path, &markdown)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// The settings line of the report.
fn settings_line(o: &Opts) -> String {
    let pool = match o.sdk_pool_max_idle {
        Some(n) => format!(
            "; the SDK's HTTP client keeps at most {n} idle connections per host (`--sdk-pool-max-idle`)"
        ),
        None => String::new(),
    };
    format!(
        "{} rounds; {} create-calls per contender per round (sequential, and with {} in flight); \
         {} Python create-calls per round; {} concurrent first calls; {} MB decode listings; \
         emulator on {} thread(s) in the same process, Rust clients on one current-thread \
         tokio runtime{pool}",
        o.rounds,
        o.calls,
        o.in_flight,
        o.python_calls,
        o.concurrent_first_calls,
        o.decode_mb,
        o.emulator_threads
    )
}

/// A short label for a placement, for headings.
fn placement_label(placement: &str, pinning: &str) -> String {
    match placement {
        "shared" if !pinning.contains("not pinned") => "client and emulator on one CPU".to_owned(),
        "apart" if !pinning.contains("not pinned") => {
            "client and emulator on separate CPUs".to_owned()
        }
        _ => "placement left to the scheduler".to_owned(),
    }
}

/// Pins this (client) thread and the emulator's threads as `mode` says; a
/// description for the report.
fn pin_threads(mode: &str) -> String {
    if mode == "none" {
        return "threads placed by the OS scheduler (no `--pin`)".to_owned();
    }
    // Tokio starts its workers lazily: wait until they are there.
    for _ in 0..100 {
        if cpu::threads_named_ns(EMULATOR_THREAD).is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    match pin::pin_client_and_server(EMULATOR_THREAD, mode == "apart") {
        Ok(done) => done,
        Err(why) => {
            eprintln!("  not pinning threads: {why}");
            format!("threads not pinned ({why})")
        }
    }
}

/// The create-call request every contender sends.
fn create_call_body() -> CreateCallRequest {
    CreateCallRequest {
        phone_number: Some("+15550123".into()),
        ..Default::default()
    }
}

/// Runs `call` `n` times one after another.
async fn sequential<F, Fut>(n: usize, call: F) -> anyhow::Result<Duration>
where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let started = Instant::now();
    for _ in 0..n {
        call().await?;
    }
    Ok(started.elapsed())
}

/// Runs `call` `n` times with `in_flight` calls outstanding at any time.
async fn concurrent<F, Fut>(n: usize, in_flight: usize, call: F) -> anyhow::Result<Duration>
where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let started = Instant::now();
    stream::iter(0..n)
        .map(|_| call())
        .buffer_unordered(in_flight)
        .try_for_each(|()| async { Ok(()) })
        .await?;
    Ok(started.elapsed())
}

/// [`sequential`] when `in_flight` is 1, else [`concurrent`].
async fn calls_with<F, Fut>(n: usize, in_flight: usize, call: F) -> anyhow::Result<Duration>
where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    if in_flight <= 1 {
        sequential(n, call).await
    } else {
        concurrent(n, in_flight, call).await
    }
}

fn per_second(n: usize, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64()
}

/// Times `run` (which makes `n` calls on the client runtime), with the CPU
/// time of this thread (the whole client side) and of the emulator's
/// threads.
fn measure<Fut>(
    rt: &tokio::runtime::Runtime,
    n: usize,
    into: &mut Contender,
    run: Fut,
) -> anyhow::Result<()>
where
    Fut: Future<Output = anyhow::Result<Duration>>,
{
    let client_before = cpu::this_thread_ns();
    let server_before = cpu::threads_named_ns(EMULATOR_THREAD);
    let elapsed = rt.block_on(run)?;
    let client_after = cpu::this_thread_ns();
    let server_after = cpu::threads_named_ns(EMULATOR_THREAD);
    into.push(
        per_second(n, elapsed),
        cpu::us_per_call(client_before, client_after, n),
        cpu::us_per_call(server_before, server_after, n),
    );
    Ok(())
}

/// Items 1 and 2: create-call throughput of the SDK, raw hyper and the
/// official Python SDK.
fn run_calls(
    opts: &Opts,
    emu: &Emulator,
    rt: &tokio::runtime::Runtime,
    python_env: Option<&python::PythonEnv>,
) -> anyhow::Result<CallResults> {
    let base = emu.base_url();
    let body = create_call_body();
    let token = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    // The raw client sends what the SDK sends: header fields and body.
    #[cfg(feature = "sdk")]
    let (headers, body_bytes) = {
        let captured = rt.block_on(sdk::capture_create_call(
            &token,
            seed::DEFAULT_USER_ID,
            &body,
        ))?;
        (captured.headers, captured.body)
    };
    #[cfg(not(feature = "sdk"))]
    let (headers, body_bytes) = (
        raw::minimal_headers(&token)?,
        bytes::Bytes::from(serde_json::to_vec(&body)?),
    );
    let raw_headers = headers
        .iter()
        .map(|(n, _)| n.as_str().to_owned())
        .collect::<Vec<_>>();
    let raw = raw::RawCaller::new(&base, seed::DEFAULT_USER_ID, &headers, body_bytes)?;
    let raw_call = || async {
        raw.call().await?;
        Ok(())
    };

    #[cfg(feature = "sdk")]
    let sdk_client = sdk::client(
        &base,
        seed::DEFAULT_CLIENT_ID,
        seed::DEFAULT_CLIENT_SECRET,
        opts.sdk_pool_max_idle,
    )?;
    #[cfg(feature = "sdk")]
    let sdk_call = || sdk::call(&sdk_client, seed::DEFAULT_USER_ID, &body);

    let mut python = None;
    let mut python_version = None;
    if let Some(env) = python_env {
        let worker = env.start_worker(
            &base,
            seed::DEFAULT_CLIENT_ID,
            seed::DEFAULT_CLIENT_SECRET,
            seed::DEFAULT_USER_ID,
        )?;
        python_version = Some(format!(
            "PureCloudPlatformClientV2 {} ({})",
            env.version, env.python
        ));
        python = Some(worker);
    }

    eprintln!("  warming up ({} calls per contender)", opts.warmup);
    rt.block_on(async {
        sequential(opts.warmup, raw_call).await?;
        concurrent(opts.warmup, opts.in_flight, raw_call).await?;
        #[cfg(feature = "sdk")]
        {
            sequential(opts.warmup, sdk_call).await?;
            concurrent(opts.warmup, opts.in_flight, sdk_call).await?;
        }
        anyhow::Ok(())
    })?;

    let created_before = emu.counters().calls_created();
    let mut r = CallResults {
        calls: opts.calls,
        in_flight: opts.in_flight,
        python_calls: opts.python_calls,
        python_version,
        raw_headers,
        ..CallResults::default()
    };
    let mut expected = 0u64;
    let (n, k) = (opts.calls, opts.in_flight);
    for round in 0..opts.rounds {
        eprintln!("  create-call round {}/{}", round + 1, opts.rounds);
        let sdk_first = round % 2 == 0;
        for sdk_turn in [sdk_first, !sdk_first] {
            if sdk_turn {
                #[cfg(feature = "sdk")]
                {
                    measure(rt, n, &mut r.sdk_seq, sequential(n, sdk_call))?;
                    expected += n as u64;
                }
            } else {
                measure(rt, n, &mut r.raw_seq, sequential(n, raw_call))?;
                expected += n as u64;
            }
        }
        for sdk_turn in [sdk_first, !sdk_first] {
            if sdk_turn {
                #[cfg(feature = "sdk")]
                {
                    measure(rt, n, &mut r.sdk_par, concurrent(n, k, sdk_call))?;
                    expected += n as u64;
                }
            } else {
                measure(rt, n, &mut r.raw_par, concurrent(n, k, raw_call))?;
                expected += n as u64;
            }
        }
        if let Some(worker) = python.as_mut() {
            let m = opts.python_calls;
            let server_before = cpu::threads_named_ns(EMULATOR_THREAD);
            let (elapsed, client_cpu) = worker.run(m)?;
            let server_after = cpu::threads_named_ns(EMULATOR_THREAD);
            r.py_seq.push(
                per_second(m, elapsed),
                client_cpu.map(|c| c.as_secs_f64() * 1e6 / m as f64),
                cpu::us_per_call(server_before, server_after, m),
            );
            expected += m as u64;
        }
    }
    let created = emu.counters().calls_created() - created_before;
    ensure!(
        created == expected,
        "the emulator created {created} calls, expected {expected}"
    );
    r.calls_created = created;
    drop(python);
    Ok(r)
}

/// Item 3: 1,000 concurrent first calls through one fresh client.
#[cfg(feature = "sdk")]
fn run_single_flight(
    opts: &Opts,
    emu: &Emulator,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<Option<SingleFlightResults>> {
    use futures_util::future::join_all;
    use genesys_auth::TokenSource as _;
    use genesys_emulator::Grant;

    let base = emu.base_url();
    let body = create_call_body();
    let n = opts.concurrent_first_calls;

    // A batch of `n` calls started together; per-call latencies in ms.
    async fn batch(
        client: &genesys_cloud::Client,
        body: &CreateCallRequest,
        n: usize,
    ) -> anyhow::Result<(Vec<f64>, Duration)> {
        let started = Instant::now();
        let latencies = join_all((0..n).map(|_| async {
            let t = Instant::now();
            sdk::call(client, seed::DEFAULT_USER_ID, body).await?;
            anyhow::Ok(t.elapsed().as_secs_f64() * 1e3)
        }))
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<f64>>>()?;
        Ok((latencies, started.elapsed()))
    }

    let mut results = SingleFlightResults {
        calls: n,
        ..SingleFlightResults::default()
    };
    let grant = sdk::uncached_grant(&base, seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET)?;
    rt.block_on(async {
        // One token request, uncached, for scale.
        grant.token().await?;
        for _ in 0..opts.token_fetches {
            let t = Instant::now();
            grant.token().await?;
            results.token_fetch_ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        // One first call alone on a fresh client, with an empty cache and
        // with the token fetched beforehand (alternating): what a cold
        // token adds to one call.
        for i in 0..opts.token_fetches * 2 {
            let cold = i % 2 == 0;
            let client = sdk::client(
                &base,
                seed::DEFAULT_CLIENT_ID,
                seed::DEFAULT_CLIENT_SECRET,
                opts.sdk_pool_max_idle,
            )?;
            if !cold {
                client.access_token().await?;
            }
            let t = Instant::now();
            sdk::call(&client, seed::DEFAULT_USER_ID, &body).await?;
            let elapsed = t.elapsed().as_secs_f64() * 1e3;
            if cold {
                results.single_cold_ms.push(elapsed);
            } else {
                results.single_warm_ms.push(elapsed);
            }
        }
        // Warm the emulator's and the allocator's paths once.
        let client = sdk::client(
            &base,
            seed::DEFAULT_CLIENT_ID,
            seed::DEFAULT_CLIENT_SECRET,
            opts.sdk_pool_max_idle,
        )?;
        batch(&client, &body, n).await?;
        anyhow::Ok(())
    })?;

    for round in 0..opts.rounds {
        eprintln!("  single-flight round {}/{}", round + 1, opts.rounds);
        let cold_first = round % 2 == 0;
        for cold in [cold_first, !cold_first] {
            let client = sdk::client(
                &base,
                seed::DEFAULT_CLIENT_ID,
                seed::DEFAULT_CLIENT_SECRET,
                opts.sdk_pool_max_idle,
            )?;
            let (latencies, wall) = rt.block_on(async {
                if !cold {
                    // The same fresh client, its token fetched beforehand.
                    client.access_token().await?;
                }
                let before = emu.counters().token_requests(Grant::ClientCredentials);
                let out = batch(&client, &body, n).await?;
                let after = emu.counters().token_requests(Grant::ClientCredentials);
                if cold {
                    results.token_requests.push(after - before);
                } else {
                    ensure!(after == before, "a pre-fetched token was fetched again");
                }
                anyhow::Ok(out)
            })?;
            let median = stats::Summary::of(&latencies).map_or(f64::NAN, |s| s.median);
            let wall_ms = wall.as_secs_f64() * 1e3;
            if cold {
                results.cold_latency_ms.push(median);
                results.cold_wall_ms.push(wall_ms);
            } else {
                results.warm_latency_ms.push(median);
                results.warm_wall_ms.push(wall_ms);
            }
            drop(client);
        }
    }
    Ok(Some(results))
}

/// Without the facade there is nothing to measure.
#[cfg(not(feature = "sdk"))]
fn run_single_flight(
    _opts: &Opts,
    _emu: &Emulator,
    _rt: &tokio::runtime::Runtime,
) -> anyhow::Result<Option<SingleFlightResults>> {
    eprintln!("  single flight: skipped (built without the `sdk` feature)");
    Ok(None)
}

/// Item 4: decode throughput, typed against `serde_json::Value`.
fn run_decode(opts: &Opts) -> anyhow::Result<Vec<DecodeResult>> {
    let min_bytes = (opts.decode_mb * 1e6) as usize;
    eprintln!(
        "  building the decode listings ({} MB each)",
        opts.decode_mb
    );
    let datasets = decode::datasets(min_bytes)?;
    let mut results = Vec::new();
    for d in &datasets {
        let mb = d.bytes.len() as f64 / 1e6;
        // Warm up: page the input in, size the allocator's arenas.
        d.decode_typed()?;
        d.decode_value()?;
        let mut r = DecodeResult {
            name: d.name,
            model: d.model,
            bytes: d.bytes.len(),
            entities: d.entities,
            ..DecodeResult::default()
        };
        for round in 0..opts.rounds {
            let typed_first = round % 2 == 0;
            for typed in [typed_first, !typed_first] {
                if typed {
                    r.typed_mbps.push(mb / d.decode_typed()?.as_secs_f64());
                } else {
                    r.value_mbps.push(mb / d.decode_value()?.as_secs_f64());
                }
            }
        }
        results.push(r);
    }
    Ok(results)
}

/// The `profile` subcommand: one contender, no report.
fn profile(p: &ProfileOpts) -> anyhow::Result<()> {
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let emu_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(EMULATOR_THREAD)
        .enable_all()
        .build()?;
    let emu = emu_rt.block_on(Emulator::start(EmulatorConfig::default()))?;
    eprintln!("{}", pin_threads(&p.pin));
    let base = emu.base_url();
    let body = create_call_body();
    let token = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    let k = p.in_flight.max(1);
    let mut sample = Contender::default();
    match p.contender.as_str() {
        "raw" => {
            #[cfg(feature = "sdk")]
            let captured = client_rt.block_on(sdk::capture_create_call(
                &token,
                seed::DEFAULT_USER_ID,
                &body,
            ))?;
            #[cfg(feature = "sdk")]
            let (headers, bytes) = (captured.headers, captured.body);
            #[cfg(not(feature = "sdk"))]
            let (headers, bytes) = (
                raw::minimal_headers(&token)?,
                bytes::Bytes::from(serde_json::to_vec(&body)?),
            );
            let raw = raw::RawCaller::new(&base, seed::DEFAULT_USER_ID, &headers, bytes)?;
            let call = || async {
                raw.call().await?;
                Ok(())
            };
            client_rt.block_on(calls_with(p.warmup, k, call))?;
            measure(
                &client_rt,
                p.calls,
                &mut sample,
                calls_with(p.calls, k, call),
            )?;
        }
        #[cfg(feature = "sdk")]
        "sdk" => {
            let client = sdk::client(
                &base,
                seed::DEFAULT_CLIENT_ID,
                seed::DEFAULT_CLIENT_SECRET,
                p.sdk_pool_max_idle,
            )?;
            let call = || sdk::call(&client, seed::DEFAULT_USER_ID, &body);
            client_rt.block_on(calls_with(p.warmup, k, call))?;
            measure(
                &client_rt,
                p.calls,
                &mut sample,
                calls_with(p.calls, k, call),
            )?;
        }
        other => anyhow::bail!("unknown contender {other:?} (sdk or raw)"),
    }
    let _ = token;
    println!(
        "{} x{} in flight: {:.0} calls/s, client CPU {:?} us/call, emulator CPU {:?} us/call",
        p.contender,
        k,
        sample.rate[0],
        sample.client_us.first(),
        sample.server_us.first()
    );
    emu_rt.block_on(emu.shutdown());
    Ok(())
}
