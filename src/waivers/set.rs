//! A run's waivers applied to results, and what each waiver did in the run.

use super::Waiver;
use crate::eval::{RuleResult, Status};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// What a waiver matches a host by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostIdentity {
    pub name: String,
    pub groups: BTreeSet<String>,
    pub labels: BTreeMap<String, String>,
}

/// The waivers of a run, all judged at one instant so every host sees the same ones active.
#[derive(Debug, Default)]
pub struct WaiverSet {
    waivers: Vec<Waiver>,
    now_ms: i64,
    /// Per waiver (same index): failures waived, and failures an expired waiver matched.
    counts: Mutex<Vec<(usize, usize)>>,
}

/// What one waiver did in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UseStatus {
    /// Waived at least one failure.
    Applied,
    /// Past its `expires`: the failures it matches count again.
    Expired,
    /// Active, but waived no failure in this run.
    Stale,
}

/// A waiver's part in a run (the JSON report's `waivers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Use {
    pub id: String,
    pub status: UseStatus,
    /// RFC 3339 UTC.
    pub expires: String,
    /// Failures it waived.
    pub waived: usize,
    /// Failures it matched after it expired, which count again.
    pub expired_matches: usize,
}

impl WaiverSet {
    /// Refuses two waivers with one id (the id names the waiver in reports and the state file).
    pub fn new(waivers: Vec<Waiver>, now_ms: i64) -> Result<Self, String> {
        let mut seen = BTreeSet::new();
        for waiver in &waivers {
            if !seen.insert(waiver.id.as_str()) {
                return Err(format!(
                    "waiver id `{}` is given twice (in the policy or the --waivers files)",
                    waiver.id
                ));
            }
        }
        let counts = Mutex::new(vec![(0, 0); waivers.len()]);
        Ok(Self {
            waivers,
            now_ms,
            counts,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.waivers.is_empty()
    }

    /// Turns each `fail` of `host` that an active waiver matches into `waived` (the first
    /// such waiver, in the order given). Nothing else changes status.
    pub fn apply(&self, host: &HostIdentity, results: &mut [RuleResult]) {
        if self.waivers.is_empty() {
            return;
        }
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for result in results.iter_mut().filter(|r| r.status == Status::Fail) {
            let mut matching = self
                .waivers
                .iter()
                .enumerate()
                .filter(|(_, w)| w.matches(&result.rule_id, host));
            let mut expired = None;
            let active = matching.find(|(index, waiver)| {
                let active = waiver.active_at(self.now_ms);
                if !active && expired.is_none() {
                    expired = Some(*index);
                }
                active
            });
            match (active, expired) {
                (Some((index, waiver)), _) => {
                    result.status = Status::Waived;
                    result.waiver = Some(waiver.applied());
                    counts[index].0 += 1;
                }
                (None, Some(index)) => counts[index].1 += 1,
                (None, None) => {}
            }
        }
    }

    /// Every waiver's part in the run so far, in the order given.
    pub fn uses(&self) -> Vec<Use> {
        let counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.waivers
            .iter()
            .zip(counts.iter())
            .map(|(waiver, &(waived, expired_matches))| Use {
                id: waiver.id.clone(),
                status: if !waiver.active_at(self.now_ms) {
                    UseStatus::Expired
                } else if waived == 0 {
                    UseStatus::Stale
                } else {
                    UseStatus::Applied
                },
                expires: waiver.expires.clone(),
                waived,
                expired_matches,
            })
            .collect()
    }
}

/// The stderr warnings for expired and stale waivers, one line each.
pub fn warnings(uses: &[Use]) -> Vec<String> {
    uses.iter()
        .filter_map(|u| match u.status {
            UseStatus::Applied => None,
            UseStatus::Expired => Some(match u.expired_matches {
                0 => format!(
                    "waiver {} expired at {} (it matches no failure in this run; remove it)",
                    u.id, u.expires
                ),
                n => format!(
                    "waiver {} expired at {}: {n} {} it matches count again",
                    u.id,
                    u.expires,
                    if n == 1 { "failure" } else { "failures" }
                ),
            }),
            UseStatus::Stale => Some(format!(
                "waiver {} is stale: it waived no failure in this run (its rules pass, or its rules or hosts were not scanned)",
                u.id
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Reason;
    use crate::rules::Severity;

    fn waivers(entries: &[(&str, &str)]) -> Vec<Waiver> {
        let text: String = entries
            .iter()
            .map(|(id, expires)| {
                format!(
                    "  - {{ id: {id}, rules: ['*'], hosts: ['*'], reason: r, approved_by: a, expires: {expires} }}\n"
                )
            })
            .collect();
        crate::policy::model::parse_yaml::<super::super::WaiversFile>(
            &format!("waivers:\n{text}"),
            std::path::Path::new("w.yml"),
        )
        .unwrap()
        .waivers
    }

    fn result(id: &str, status: Status) -> RuleResult {
        RuleResult {
            rule_id: id.into(),
            title: id.into(),
            severity: Severity::High,
            status,
            reason: matches!(status, Status::Error | Status::Skipped)
                .then_some(Reason::ProbeFailed),
            detail: None,
            implementation: None,
            evidence: Vec::new(),
            waiver: None,
        }
    }

    #[test]
    fn only_failures_are_waived_by_the_first_active_waiver() {
        // 2026-01-01: `old` has expired, `new` is active.
        let now = crate::time::parse_instant("2026-01-01").unwrap();
        let set = WaiverSet::new(
            waivers(&[("old", "2025-06-01"), ("new", "2027-01-01")]),
            now,
        )
        .unwrap();
        let mut results: Vec<RuleResult> =
            [Status::Pass, Status::Fail, Status::Error, Status::Skipped]
                .into_iter()
                .enumerate()
                .map(|(i, status)| result(&format!("r{i}"), status))
                .collect();
        set.apply(&HostIdentity::default(), &mut results);
        let statuses: Vec<Status> = results.iter().map(|r| r.status).collect();
        // Could not assess is still not assessed: error and skipped fail closed as before.
        assert_eq!(
            statuses,
            [Status::Pass, Status::Waived, Status::Error, Status::Skipped]
        );
        assert_eq!(results[1].waiver.as_ref().unwrap().id, "new");
        assert!(
            results
                .iter()
                .filter(|r| r.status != Status::Waived)
                .all(|r| r.waiver.is_none())
        );
        let uses = set.uses();
        assert_eq!(
            (uses[0].status.clone(), uses[0].expired_matches),
            (UseStatus::Expired, 0)
        );
        assert_eq!(
            (uses[1].status.clone(), uses[1].waived),
            (UseStatus::Applied, 1)
        );
    }

    #[test]
    fn expired_matches_are_counted_and_ids_are_unique() {
        let now = crate::time::parse_instant("2026-01-01").unwrap();
        let set = WaiverSet::new(waivers(&[("old", "2025-06-01")]), now).unwrap();
        let mut results = vec![result("a", Status::Fail), result("b", Status::Fail)];
        set.apply(&HostIdentity::default(), &mut results);
        assert!(results.iter().all(|r| r.status == Status::Fail));
        assert_eq!(set.uses()[0].expired_matches, 2);
        assert_eq!(
            warnings(&set.uses()),
            ["waiver old expired at 2025-06-01T00:00:00Z: 2 failures it matches count again"]
        );
        let twice = WaiverSet::new(waivers(&[("x", "2027-01-01"), ("x", "2028-01-01")]), now);
        assert!(twice.unwrap_err().contains("`x` is given twice"));
    }
}
