//! `cargo bench --bench scan`: a local scan with the embedded pack, as operators run it.
//! Prints medians over PLUMB_BENCH_RUNS (default 15) runs of the release binary: wall time,
//! peak RSS, and where the time goes (fact gathering by kind, evaluation by method).

mod common;

use common::{run_measured, runs, stats};
use plumb::eval::{self, EvalOptions};
use plumb::probe::{self, ProbePlan, Timings};
use std::collections::BTreeMap;
use std::path::Path;

fn main() {
    let runs = runs();
    let binary = env!("CARGO_BIN_EXE_plumb");
    println!("plumb scan benchmark: embedded pack, local machine, {runs} runs (release build)");

    // Scans are stored as operators run them, but in a state file of the benchmark's own.
    let state_dir = tempfile::tempdir().expect("a temp dir for the state file");
    let state = state_dir.path().join("state.db");
    let scan = || {
        let mut cmd = std::process::Command::new(binary);
        cmd.args([
            "scan",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--allow-errors",
            "--state",
        ])
        .arg(&state);
        cmd
    };
    // Warm the page cache once so the first run does not stand out.
    run_measured(&mut scan());
    let mut walls = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..runs {
        let (wall, peak, code) = run_measured(&mut scan());
        assert_eq!(code, 0, "plumb scan failed");
        walls.push(wall * 1000.0);
        rss.push(peak as f64 / 1024.0);
    }
    let wall = stats(&walls);
    let rss = stats(&rss);
    println!(
        "whole scan (binary):  wall median {:.1} ms (min {:.1}, max {:.1}); peak RSS median {:.1} MiB (min {:.1}, max {:.1})",
        wall.median, wall.min, wall.max, rss.median, rss.min, rss.max
    );

    // In-process breakdown: the same work, timed by phase and method.
    let rules = plumb::rules::load(&plumb::rules::embedded_sources(), &BTreeMap::new())
        .expect("the embedded pack loads");
    let plan = ProbePlan::for_rules(&rules, false);
    println!(
        "rules: {}  distinct facts: {} (files {}, stats {}, dirs {}, commands {}, units {})",
        rules.rules.len(),
        plan.len(),
        plan.files.len(),
        plan.stats.len(),
        plan.dirs.len(),
        plan.commands.len(),
        plan.units.len()
    );
    let mut samples: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for _ in 0..runs {
        let (facts, gather) = probe::native::gather(&plan, Path::new("/"));
        let (_, evaluation) = eval::evaluate_all(&rules, &facts, &EvalOptions::default());
        record(&mut samples, "gather", &gather);
        record(&mut samples, "eval", &evaluation);
    }
    println!(
        "{:<40} {:>12} {:>12} {:>12}",
        "phase / method", "median µs", "min µs", "max µs"
    );
    for (name, values) in &samples {
        let s = stats(values);
        println!(
            "{name:<40} {:>12.0} {:>12.0} {:>12.0}",
            s.median, s.min, s.max
        );
    }
}

fn record(samples: &mut BTreeMap<String, Vec<f64>>, prefix: &str, timings: &Timings) {
    for (name, micros) in &timings.micros {
        samples
            .entry(format!("{prefix}: {name}"))
            .or_default()
            .push(*micros as f64);
    }
}
