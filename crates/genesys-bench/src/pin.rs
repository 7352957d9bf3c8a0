//! Pinning the client thread and the emulator's threads to one CPU
//! (`shared`) or to two (`apart`); `--pin both`, the default, measures the
//! create-calls once each way.
//!
//! Why it is there: Linux's wake-affine scheduling tends to pull two threads
//! that wake each other (a sequential request loop) onto one CPU and keep
//! them there, but not always, so unpinned runs on a 2-vCPU VM flip between
//! two regimes: on one CPU a concurrent phase runs at about half the
//! throughput it gets on two, and on two CPUs every sequential round trip
//! pays cross-CPU wake-ups of an idle vCPU, several times the cost of the
//! request itself. Pinned, each regime is measured on purpose. Child
//! processes (the Python SDK) inherit the client thread's CPU.
//!
//! Done with `taskset -p` (util-linux) on thread ids from `/proc`, which
//! needs no `unsafe` and no binding; where that is unavailable the run goes
//! on unpinned and the report says so.

use std::fs;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The CPUs this process may run on (`Cpus_allowed_list` of
/// `/proc/self/status`), in order, as read on the first call: before this
/// module pinned anything, since `/proc/self/status` follows the main
/// thread's own mask.
pub fn allowed_cpus() -> Vec<usize> {
    static ALLOWED: OnceLock<Vec<usize>> = OnceLock::new();
    ALLOWED
        .get_or_init(|| {
            let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
            status
                .lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
                .map(|list| parse_cpu_list(list.trim()))
                .unwrap_or_default()
        })
        .clone()
}

/// Parses a CPU list such as `0-3,8,10-11`.
pub fn parse_cpu_list(list: &str) -> Vec<usize> {
    let mut cpus = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
                    cpus.extend(a..=b);
                }
            }
            None => cpus.extend(part.parse::<usize>().ok()),
        }
    }
    cpus
}

/// The id of the calling thread.
fn this_thread_id() -> Option<u32> {
    // `/proc/thread-self` links to `PID/task/TID`.
    let link = fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

/// Ids of this process's threads whose name starts with `prefix`.
fn threads_named(prefix: &str) -> Vec<u32> {
    let Ok(tasks) = fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter(|t| {
            fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|comm| comm.trim_end().starts_with(prefix))
        })
        .filter_map(|t| t.file_name().to_str()?.parse().ok())
        .collect()
}

fn taskset(cpu: usize, tid: u32) -> bool {
    Command::new("taskset")
        .args(["-p", "-c", &cpu.to_string(), &tid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Pins the calling thread to the first allowed CPU and the threads named
/// `server_prefix` to the second (`apart`) or the first as well. Returns a
/// description for the report, or why it did not pin.
pub fn pin_client_and_server(server_prefix: &str, apart: bool) -> Result<String, String> {
    let cpus = allowed_cpus();
    let (client_cpu, server_cpu) = match (apart, &cpus[..]) {
        (true, [a, b, ..]) => (*a, *b),
        (false, [a, ..]) => (*a, *a),
        _ => return Err(format!("only {} CPU(s) allowed", cpus.len())),
    };
    let me = this_thread_id().ok_or("no /proc/thread-self")?;
    let servers = threads_named(server_prefix);
    if servers.is_empty() {
        return Err(format!("no {server_prefix:?} threads found"));
    }
    if !taskset(client_cpu, me) {
        return Err("`taskset -p` failed or is not installed".into());
    }
    for tid in &servers {
        if !taskset(server_cpu, *tid) {
            return Err(format!("`taskset -p` failed for thread {tid}"));
        }
    }
    Ok(format!(
        "client thread (and the Python SDK) pinned to CPU {client_cpu}, emulator thread(s) to CPU {server_cpu}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_parse() {
        assert_eq!(parse_cpu_list("0-3,8,10-11"), [0, 1, 2, 3, 8, 10, 11]);
        assert_eq!(parse_cpu_list("1"), [1]);
        assert!(parse_cpu_list("").is_empty());
    }
}
