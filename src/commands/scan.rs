//! `plumb scan`: load rules, gather facts, evaluate, report.

use super::Output;
use crate::cli::ScanArgs;
use crate::eval::{self, EvalOptions, MAX_EVIDENCE_BYTES, RuleResult, Status};
use crate::exit;
use crate::probe::{self, Facts, ProbePlan};
use crate::report::{self, HostOutcome, HostReport, RenderOptions, ScanReport, Summary};
use crate::rules::{self, RuleSet, Selection};
use anyhow::{Context, Result, anyhow};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub fn run(args: &ScanArgs, output: &Output) -> Result<u8> {
    let rules = load_rules(args)?;
    if args.evidence_max_bytes > MAX_EVIDENCE_BYTES {
        return Err(exit::usage(anyhow!(
            "--evidence-max-bytes {} is over the hard ceiling of {MAX_EVIDENCE_BYTES} bytes",
            args.evidence_max_bytes
        )));
    }
    let root = scan_root(args.root.as_deref())?;
    let options = EvalOptions {
        evidence_max_bytes: args.evidence_max_bytes,
    };
    let started_at = report::now_unix_ms();
    let clock = Instant::now();
    let plan = ProbePlan::for_rules(&rules, args.root.is_some());
    tracing::info!(
        rules = rules.rules.len(),
        facts = plan.len(),
        "probe plan ready"
    );
    let (facts, gather_timings) = probe::native::gather(&plan, &root);
    let (results, eval_timings) = eval::evaluate_all(&rules, &facts, &options);
    tracing::debug!(?gather_timings, ?eval_timings, "timings");

    let host = host_name(args, &root);
    let host_report = HostReport {
        host,
        outcome: HostOutcome::Ok,
        error: None,
        platform: platform_name(&facts),
        scan_id: None,
        started_at: report::rfc3339(started_at),
        duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
        summary: Summary::of(&results),
        changes: None,
        results,
    };
    let code = exit_code(std::slice::from_ref(&host_report), args);
    let scan_report = ScanReport {
        schema_version: report::JSON_SCHEMA_VERSION,
        tool: report::TOOL,
        generated_at: report::rfc3339(report::now_unix_ms()),
        summary: host_report.summary.clone(),
        hosts: vec![host_report],
    };
    emit(&scan_report, &rules, args.output.as_deref(), output)?;
    Ok(code)
}

/// Loads and selects rules; every problem with rule content is a usage error (exit 2).
pub fn load_rules(args: &ScanArgs) -> Result<RuleSet> {
    let overrides = parse_vars(&args.vars)?;
    let sources = if args.rules.is_empty() {
        rules::embedded_sources()
    } else {
        rules::read_sources(&args.rules).map_err(|err| match err {
            rules::LoadError::Io { .. } => exit::operational(err),
            other => exit::usage(other),
        })?
    };
    let set = rules::load(&sources, &overrides).map_err(exit::usage)?;
    let selection = Selection {
        rule_ids: args.rule_ids.clone(),
        tags: args.tags.clone(),
        min_severity: args.min_severity.map(Into::into),
        exclude: args.exclude.clone(),
    };
    selection
        .apply(set)
        .map_err(|err| exit::usage(anyhow!(err)))
}

pub fn parse_vars(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                Ok((key.trim().to_owned(), value.to_owned()))
            }
            _ => Err(exit::usage(anyhow!(
                "--var `{pair}` must look like KEY=VALUE"
            ))),
        })
        .collect()
}

fn scan_root(root: Option<&Path>) -> Result<PathBuf> {
    let Some(root) = root else {
        return Ok(PathBuf::from("/"));
    };
    let meta = std::fs::metadata(root)
        .with_context(|| format!("--root {}: cannot read the directory", root.display()))?;
    if !meta.is_dir() {
        return Err(exit::operational(anyhow!(
            "--root {} is not a directory",
            root.display()
        )));
    }
    Ok(root.to_owned())
}

fn host_name(args: &ScanArgs, root: &Path) -> String {
    if let Some(name) = &args.host_name {
        return name.clone();
    }
    if args.root.is_some() {
        let canonical = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_owned());
        return canonical.file_name().map_or_else(
            || canonical.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
    }
    local_hostname()
}

pub fn local_hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc == 0 {
        let len = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        if let Ok(name) = std::str::from_utf8(&buf[..len]) {
            if !name.is_empty() {
                return name.to_owned();
            }
        }
    }
    "localhost".into()
}

fn platform_name(facts: &Facts) -> Option<String> {
    let host = eval::HostView::new(facts);
    let os = host.os_release();
    os.get("PRETTY_NAME").cloned().or_else(|| {
        let id = os.get("ID")?;
        Some(match os.get("VERSION_ID") {
            Some(version) => format!("{id} {version}"),
            None => id.clone(),
        })
    })
}

/// 1 when any result at or above `--fail-on` failed; 3 when a host could not be scanned.
pub fn exit_code(hosts: &[HostReport], args: &ScanArgs) -> u8 {
    let Some(threshold) = args.fail_on.threshold() else {
        return exit::CLEAN;
    };
    if hosts.iter().any(|h| h.outcome == HostOutcome::Error) {
        return exit::OPERATIONAL;
    }
    let failed =
        |result: &RuleResult| result.status == Status::Fail && result.severity >= threshold;
    if hosts.iter().flat_map(|h| &h.results).any(failed) {
        exit::FINDINGS
    } else {
        exit::CLEAN
    }
}

/// Renders the report to `--output` (atomically) or stdout.
pub fn emit(
    report: &ScanReport,
    rules: &RuleSet,
    path: Option<&Path>,
    output: &Output,
) -> Result<()> {
    let catalog = report::catalog(&rules.rules);
    let color = output.color && path.is_none();
    let options = RenderOptions {
        color,
        width: if path.is_none() {
            report::terminal_width()
        } else {
            None
        },
    };
    let mut text = report::render(output.format, report, &catalog, options)?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    match path {
        Some(path) => report::write_atomic(path, text.as_bytes())
            .with_context(|| format!("cannot write the report to {}", path.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                // A closed pipe (`plumb scan | head`) is the reader's choice, not an error.
                Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write the report to stdout"),
            }
        }
    }
}
