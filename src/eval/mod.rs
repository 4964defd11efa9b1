//! Evaluation: a pure function from (rule, facts) to a result with evidence.

mod accounts;
mod audit_loaded;
mod capabilities;
mod compare;
mod config;
mod dropins;
pub mod host;
mod methods;
mod platform;
mod redact;
mod result;
mod sudoers;
#[cfg(test)]
mod tests;

pub use host::HostView;
pub use result::{AppliedWaiver, Evidence, Outcome, Reason, RuleResult, Status};

use crate::probe::{Facts, Timings};
use crate::rules::{CheckExpr, Rule, RuleSet, When};
use std::time::Instant;

pub use crate::defaults::{EVIDENCE_BYTES as DEFAULT_EVIDENCE_BYTES, MAX_EVIDENCE_BYTES};

/// The one measure of evidence, used by the evaluator's cap and the store's ceiling alike: the
/// length of the canonical JSON of what is stored ([`RuleResult::stored_evidence`]).
pub fn evidence_size(stored: &serde_json::Value) -> usize {
    crate::canonical::to_canonical_string(stored).len()
}

#[derive(Clone, Debug)]
pub struct EvalOptions {
    pub evidence_max_bytes: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            evidence_max_bytes: DEFAULT_EVIDENCE_BYTES,
        }
    }
}

/// Evaluates every rule against one host's facts.
pub fn evaluate_all(
    rules: &RuleSet,
    facts: &Facts,
    options: &EvalOptions,
) -> (Vec<RuleResult>, Timings) {
    let host = HostView::new(facts);
    let mut timings = Timings::default();
    let results = rules
        .rules
        .iter()
        .map(|rule| evaluate_timed(rule, &host, options, &mut timings))
        .collect();
    (results, timings)
}

pub fn evaluate(rule: &Rule, host: &HostView, options: &EvalOptions) -> RuleResult {
    evaluate_timed(rule, host, options, &mut Timings::default())
}

fn evaluate_timed(
    rule: &Rule,
    host: &HostView,
    options: &EvalOptions,
    timings: &mut Timings,
) -> RuleResult {
    let mut result = RuleResult {
        rule_id: rule.id.clone(),
        title: rule.title.clone(),
        severity: rule.severity,
        status: Status::Skipped,
        reason: None,
        detail: None,
        implementation: None,
        evidence: Vec::new(),
        waiver: None,
    };
    match platform::matches(&rule.platforms, host.os_release()) {
        Ok(true) => {}
        Ok(false) => {
            result.reason = Some(Reason::Platform);
            result.detail = Some(format!(
                "{} is not among the rule's platforms",
                os_name(host)
            ));
            return result;
        }
        Err(why) => {
            result.reason = Some(Reason::Platform);
            result.detail = Some(why);
            return result;
        }
    }
    let capabilities = host.capabilities();
    let chosen = rule.implementations.iter().find(|imp| {
        imp.when
            .as_ref()
            .is_none_or(|when| when.holds(&|cap| capabilities.contains(&cap)))
    });
    let Some(implementation) = chosen else {
        result.reason = Some(Reason::NoImplementation);
        return result;
    };
    result.implementation = implementation.when.as_ref().map(When::to_string);
    let (status, reason, evidence) = evaluate_expr(&implementation.check, host, timings);
    result.status = status;
    if let Some((reason, detail)) = reason {
        result.reason = Some(reason);
        result.detail = Some(detail);
    }
    result.evidence = evidence;
    redact::evidence(&mut result.evidence, result.detail.as_mut(), rule.sensitive);
    apply_evidence_cap(
        &mut result,
        options.evidence_max_bytes.min(MAX_EVIDENCE_BYTES),
    );
    result
}

fn os_name(host: &HostView) -> String {
    let os = host.os_release();
    match (os.get("ID"), os.get("VERSION_ID")) {
        (Some(id), Some(version)) => format!("{id} {version}"),
        (Some(id), None) => id.clone(),
        _ => "this host".into(),
    }
}

type ExprVerdict = (Status, Option<(Reason, String)>, Vec<Evidence>);

/// AND: a failure decides, then an error, then a skip. OR: a pass decides, then an error,
/// then a failure. The reason reported is the first one of the deciding status.
fn evaluate_expr(expr: &CheckExpr, host: &HostView, timings: &mut Timings) -> ExprVerdict {
    match expr {
        CheckExpr::Leaf(check) => {
            let started = Instant::now();
            let outcome = methods::evaluate_check(check, host);
            timings.add(check.method(), started.elapsed());
            (outcome.status, outcome.reason, vec![outcome.evidence])
        }
        CheckExpr::All(items) | CheckExpr::Any(items) => {
            let order: [Status; 4] = if matches!(expr, CheckExpr::All(_)) {
                [Status::Fail, Status::Error, Status::Skipped, Status::Pass]
            } else {
                [Status::Pass, Status::Error, Status::Fail, Status::Skipped]
            };
            let verdicts: Vec<ExprVerdict> = items
                .iter()
                .map(|item| evaluate_expr(item, host, timings))
                .collect();
            let status = order
                .into_iter()
                .find(|status| verdicts.iter().any(|(s, _, _)| s == status))
                .unwrap_or(Status::Skipped);
            let reason = verdicts
                .iter()
                .filter(|(s, _, _)| *s == status)
                .find_map(|(_, reason, _)| reason.clone());
            let evidence = verdicts.into_iter().flat_map(|(_, _, e)| e).collect();
            (status, reason, evidence)
        }
    }
}

/// Over the cap, the verdict becomes `error: evidence_oversize`; a verdict is never kept on
/// truncated evidence.
fn apply_evidence_cap(result: &mut RuleResult, cap: usize) {
    let size = evidence_size(&result.stored_evidence());
    if size <= cap {
        return;
    }
    let first = result.evidence.first().cloned();
    result.status = Status::Error;
    result.reason = Some(Reason::EvidenceOversize);
    result.detail = Some(format!(
        "evidence is {size} bytes, over the cap of {cap} bytes"
    ));
    result.evidence = first
        .map(|e| Evidence {
            actual: format!("evidence of {size} bytes withheld (cap {cap})"),
            source: serde_json::Value::Null,
            ..e
        })
        .into_iter()
        .collect();
    // Even the first check's own fields may be too large (a huge expected value).
    if evidence_size(&result.stored_evidence()) > cap {
        result.evidence.clear();
    }
}
