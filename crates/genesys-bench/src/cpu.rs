//! CPU time of threads, from Linux's `/proc/.../schedstat` (nanoseconds on
//! a CPU, without `unsafe` or a libc binding). Elsewhere every reading is
//! `None` and the report leaves the CPU columns empty.

use std::fs;

/// CPU nanoseconds the calling thread has run so far.
pub fn this_thread_ns() -> Option<u64> {
    schedstat("/proc/thread-self/schedstat")
}

/// CPU nanoseconds the threads of this process whose name starts with
/// `prefix` have run so far (summed).
pub fn threads_named_ns(prefix: &str) -> Option<u64> {
    let mut total = None;
    for task in fs::read_dir("/proc/self/task").ok()?.flatten() {
        let path = task.path();
        let Ok(comm) = fs::read_to_string(path.join("comm")) else {
            continue;
        };
        if comm.trim_end().starts_with(prefix)
            && let Some(ns) = schedstat(&path.join("schedstat").to_string_lossy())
        {
            *total.get_or_insert(0) += ns;
        }
    }
    total
}

fn schedstat(path: &str) -> Option<u64> {
    fs::read_to_string(path)
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// CPU time spent between two readings, in microseconds per `n` calls.
pub fn us_per_call(before: Option<u64>, after: Option<u64>, n: usize) -> Option<f64> {
    match (before, after) {
        (Some(b), Some(a)) if n > 0 && a >= b => Some((a - b) as f64 / 1e3 / n as f64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_thread_accumulates_cpu_time() {
        let Some(before) = this_thread_ns() else {
            return; // not Linux
        };
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let after = this_thread_ns().unwrap();
        assert!(after > before);
        assert_eq!(us_per_call(Some(1_000), Some(3_000), 2), Some(1.0));
        assert_eq!(us_per_call(None, Some(3_000), 2), None);
    }
}
