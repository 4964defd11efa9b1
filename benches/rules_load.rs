//! `cargo bench --bench rules_load`: loading large rule packs (issue 13: ≤ 10 µs and ≤ 4 KiB
//! per rule at 30,000 rules).
//!
//! Synthetic packs of 3,000 and 30,000 rules are copies of the embedded pack with every id
//! renamed (`c<N>-<id>`), one directory per copy, as a site merging several packs would have
//! them. Each is loaded the way `--rules DIR` loads it, three ways:
//! - parsed: no rule cache, every file parsed (a first run, or `PLUMB_RULE_CACHE=off`);
//! - filling: an empty rule cache, so every file is parsed and its entry written;
//! - cached: the rule cache holds every file (every later run of the same pack).
//!
//! - load time: `rules::read_sources` + `rules::load_with_cache` in this process (files in the
//!   page cache after the first run), median over PLUMB_BENCH_RUNS runs (default 15);
//! - memory: the peak RSS of a child `plumb rules show <one id> --rules DIR --format json`,
//!   which reads, parses and validates the whole pack and prints one rule. Shown as the peak
//!   divided by the rule count (what a user sees), and as the growth over the same command on
//!   one copy of the pack (the cost of each further rule).

mod common;

use common::{run_timed, runs, show};
use plumb::rules::{self, RuleCache, Vars};
use std::path::Path;
use std::time::Instant;

fn main() {
    let runs = runs();
    println!("plumb rule loading benchmark, {runs} runs (release build)");
    let pack = rules::embedded_sources();
    let per_copy = rules::load(&pack, &Vars::new())
        .expect("the embedded pack loads")
        .rules
        .len();
    let cache_dir = tempfile::tempdir().expect("a temp dir");
    let packs: Vec<(usize, tempfile::TempDir)> = [1, 3_000_usize, 30_000]
        .into_iter()
        .map(|target| {
            let copies = target.div_ceil(per_copy);
            (copies, write_pack(&pack, copies))
        })
        .collect();
    // Memory first, while this process is small: a child's peak RSS counts what it shares
    // with this process when it is started.
    let mut peaks = Vec::new();
    for (copies, dir) in &packs {
        let cache = cache_dir.path().join(format!("rss-{copies}"));
        let cache = cache.display().to_string();
        let _fill = peak_rss_kib(dir, &cache, 1);
        let parsed = peak_rss_kib(dir, "off", runs.clamp(1, 5)) as f64;
        let cached = peak_rss_kib(dir, &cache, runs.clamp(1, 5)) as f64;
        peaks.push((parsed, cached));
    }
    let (baseline_parsed, baseline_cached) = peaks[0];
    for ((copies, dir), (peak_parsed, peak_cached)) in packs.iter().zip(&peaks).skip(1) {
        let rule_count = copies * per_copy;
        println!("{rule_count} rules ({copies} renamed copies of the {per_copy}-rule pack):");
        for mode in [Mode::Parsed, Mode::Filling, Mode::Cached] {
            let cache_path = cache_dir.path().join(format!("load-{copies}"));
            let mut per_rule_us = Vec::new();
            let mut total_ms = Vec::new();
            for _ in 0..runs {
                if mode == Mode::Filling {
                    let _ = std::fs::remove_dir_all(&cache_path);
                }
                let cache = match mode {
                    Mode::Parsed => None,
                    Mode::Filling | Mode::Cached => {
                        Some(RuleCache::at(cache_path.clone()).expect("a private cache dir"))
                    }
                };
                let started = Instant::now();
                let sources = rules::read_sources(&[dir.path().to_owned()]).expect("readable");
                let set = rules::load_with_cache(
                    &sources,
                    &Vars::new(),
                    cache.as_ref(),
                    rules::DialectChoice::Auto,
                )
                .expect("the synthetic pack loads");
                let elapsed = started.elapsed().as_secs_f64();
                assert_eq!(set.rules.len(), rule_count);
                drop(set);
                total_ms.push(elapsed * 1000.0);
                per_rule_us.push(elapsed * 1e6 / rule_count as f64);
            }
            let label = mode.label();
            show(&format!("  {label}: load total"), &total_ms, "ms");
            show(&format!("  {label}: load per rule"), &per_rule_us, "µs");
            // Filling is a one-off: memory is shown for a run with and without the cache.
            let (peak, baseline) = match mode {
                Mode::Parsed => (*peak_parsed, baseline_parsed),
                Mode::Filling => continue,
                Mode::Cached => (*peak_cached, baseline_cached),
            };
            println!(
                "  {label}: peak RSS of `plumb rules show`: {:.1} MiB = {:.2} KiB per rule; {:.2} KiB per rule over one copy ({:.1} MiB)",
                peak / 1024.0,
                peak / rule_count as f64,
                (peak - baseline) / (rule_count - per_copy) as f64,
                baseline / 1024.0
            );
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Parsed,
    Filling,
    Cached,
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Self::Parsed => "parsed (no cache)",
            Self::Filling => "parsed, filling the cache",
            Self::Cached => "from the rule cache",
        }
    }
}

/// `copies` copies of the pack under one directory, ids prefixed `c<N>-`.
fn write_pack(pack: &[rules::RuleSource], copies: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    for copy in 0..copies {
        let sub = dir.path().join(format!("c{copy:04}"));
        std::fs::create_dir(&sub).expect("a copy dir");
        for source in pack {
            let name = Path::new(&source.name).file_name().expect("a file name");
            std::fs::write(sub.join(name), renamed(&source.text, copy)).expect("a rule file");
        }
    }
    dir
}

/// The rule file with each `id:` value prefixed, so copies load side by side.
fn renamed(text: &str, copy: usize) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        let trimmed = line.trim_start_matches([' ', '-']);
        match trimmed.strip_prefix("id: ") {
            Some(id) if !line.starts_with('#') => {
                out.push_str(&line[..line.len() - trimmed.len()]);
                out.push_str(&format!("id: c{copy}-{}", id.trim()));
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The smallest peak RSS over `runs` runs of `plumb rules show` on the pack in `dir`.
fn peak_rss_kib(dir: &tempfile::TempDir, cache: &str, runs: usize) -> i64 {
    let id = "c0-ssh-permit-root-login-disabled";
    (0..runs)
        .map(|_| {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_plumb"));
            cmd.args(["rules", "show", id, "--format", "json", "--rules"])
                .arg(dir.path())
                .env_remove("PLUMB_RULES")
                .env_remove("PLUMB_CONFIG")
                .env(rules::CACHE_DIR_ENV, cache);
            let run = run_timed(&mut cmd);
            assert_eq!(run.code, 0, "plumb rules show failed");
            run.peak_rss_kib
        })
        .min()
        .unwrap_or(0)
}
