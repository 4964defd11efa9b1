//! Small statistics helpers shared by the benchmarks.
#![allow(dead_code)]

/// Median, min and max of a sample.
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

pub fn stats(samples: &[f64]) -> Stats {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    Stats {
        median,
        min: sorted.first().copied().unwrap_or(f64::NAN),
        max: sorted.last().copied().unwrap_or(f64::NAN),
    }
}

pub fn runs() -> usize {
    std::env::var("PLUMB_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15)
}

/// Runs a command to completion and returns (wall seconds, peak RSS in KiB, exit code).
pub fn run_measured(cmd: &mut std::process::Command) -> (f64, i64, i32) {
    let run = run_timed(cmd);
    (run.wall_secs, run.peak_rss_kib, run.code)
}

/// What [`run_timed`] measured of one run.
pub struct Measured {
    pub wall_secs: f64,
    /// User plus system CPU time: on a busy machine it says more than the wall time.
    pub cpu_secs: f64,
    pub peak_rss_kib: i64,
    pub code: i32,
}

/// Runs a command to completion, output discarded, and measures it.
// The child is reaped by wait4 (which also yields its rusage), not by Child::wait.
#[allow(clippy::zombie_processes)]
pub fn run_timed(cmd: &mut std::process::Command) -> Measured {
    use std::process::Stdio;
    let started = std::time::Instant::now();
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning the benchmarked command");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid, "wait4 failed");
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Measured {
        wall_secs: started.elapsed().as_secs_f64(),
        cpu_secs: secs(usage.ru_utime) + secs(usage.ru_stime),
        peak_rss_kib: usage.ru_maxrss,
        code: libc::WEXITSTATUS(status),
    }
}

/// Prints a labelled median with min and max; returns the statistics.
pub fn show(label: &str, samples: &[f64], unit: &str) -> Stats {
    let s = stats(samples);
    println!(
        "{label:<58} median {:>9.1} {unit} (min {:.1}, max {:.1}, n={})",
        s.median,
        s.min,
        s.max,
        samples.len()
    );
    s
}

/// A full, successful scheduled scan of `host` at `at` (unix ms) with these results, as the
/// store benchmarks record it.
pub fn scan_batch(
    host: &str,
    scan_id: uuid::Uuid,
    at: i64,
    results: Vec<plumb::store::ResultRecord>,
) -> plumb::store::ScanBatch {
    use plumb::store::{HostRecord, ScanBatch, ScanStatus, Scope, Trigger};
    ScanBatch {
        scan_id,
        host: HostRecord {
            name: host.to_string(),
            address: None,
            port: None,
            user: None,
            labels: std::collections::BTreeMap::new(),
        },
        trigger: Trigger::Scheduled,
        started_at: at - 1000,
        finished_at: at,
        status: ScanStatus::Ok,
        error: None,
        policy_version: Some(1),
        ruleset_hash: "bench".to_string(),
        scope: Scope::Full,
        rule_source: "embedded".to_string(),
        results,
    }
}
