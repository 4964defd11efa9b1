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
