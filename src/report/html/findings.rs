//! Results grouped for the page: one group per (rule, status, evidence), listing its hosts.
//! Identical findings on many hosts cost one entry, and each (rule, status) keeps at most
//! [`MAX_VARIANTS`] evidences, so a fleet's page grows with its hosts by a few bytes per result.

use crate::eval::{Evidence, Status};
use crate::rules::Severity;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Distinct evidences shown per (rule, status); further hosts go to one "other values" group.
pub const MAX_VARIANTS: usize = 3;
/// Checks shown per group.
pub const MAX_CHECKS: usize = 4;
/// Characters of an expected or actual value, or a source, shown.
pub const MAX_VALUE_CHARS: usize = 300;

/// One result as the grouping sees it.
pub struct Entry<'a> {
    pub rule_id: &'a str,
    pub title: &'a str,
    pub severity: Severity,
    pub status: Status,
    pub reason: Option<&'a str>,
}

/// What a group shows of its evidence, cut to the caps.
#[derive(Clone, Debug, Default)]
pub struct GroupEvidence {
    pub checks: Vec<Evidence>,
    /// Checks not shown.
    pub more_checks: usize,
    pub detail: Option<String>,
}

impl GroupEvidence {
    pub fn new(checks: &[Evidence], detail: Option<&str>) -> Self {
        let cut = |text: &str| super::shorten(text, MAX_VALUE_CHARS);
        Self {
            checks: checks
                .iter()
                .take(MAX_CHECKS)
                .map(|check| Evidence {
                    method: cut(&check.method),
                    target: cut(&check.target),
                    expected: cut(&check.expected),
                    actual: cut(&check.actual),
                    source: check.source.clone(),
                })
                .collect(),
            more_checks: checks.len().saturating_sub(MAX_CHECKS),
            detail: detail.map(cut),
        }
    }

    /// The evidence as the state file stores it (`{"checks", "detail", "implementation"}`);
    /// `None` when it is not that shape.
    pub fn from_stored(text: &str) -> Option<Self> {
        #[derive(serde::Deserialize)]
        struct Stored {
            #[serde(default)]
            checks: Vec<Evidence>,
            detail: Option<String>,
        }
        let stored: Stored = serde_json::from_str(text).ok()?;
        Some(Self::new(&stored.checks, stored.detail.as_deref()))
    }
}

#[derive(Clone, Debug)]
pub struct Group {
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub reason: Option<String>,
    /// `None` for the "other values" group, or when the evidence could not be read.
    pub evidence: Option<GroupEvidence>,
    /// Indices into the page's hosts.
    pub hosts: Vec<u32>,
    /// Holds the hosts beyond [`MAX_VARIANTS`] evidences, whose values are not shown.
    pub other: bool,
}

/// Handle of a group, to attach its evidence once it is known.
#[derive(Clone, Copy, Debug)]
pub struct GroupId(usize);

/// The groups of one (rule, status): (variant key, group) of each shown variant, and the
/// "other values" group once there is one.
type Variants = (Vec<(u64, usize)>, Option<usize>);

#[derive(Debug, Default)]
pub struct Findings {
    pub groups: Vec<Group>,
    variants: HashMap<(String, Status), Variants>,
}

/// Key of an evidence text: equal texts are the same variant.
pub fn variant_key(text: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

impl Findings {
    /// Adds `host`'s result; returns the group's id when this opened a group that shows
    /// evidence, so the caller attaches it with [`Findings::set_evidence`].
    pub fn add(&mut self, host: u32, entry: &Entry, key: u64) -> Option<GroupId> {
        let slot = self
            .variants
            .entry((entry.rule_id.to_string(), entry.status))
            .or_default();
        if let Some(&(_, group)) = slot.0.iter().find(|(k, _)| *k == key) {
            self.groups[group].hosts.push(host);
            return None;
        }
        let other = slot.0.len() >= MAX_VARIANTS;
        if other && let Some(group) = slot.1 {
            self.groups[group].hosts.push(host);
            return None;
        }
        let index = self.groups.len();
        self.groups.push(Group {
            rule_id: entry.rule_id.to_string(),
            title: entry.title.to_string(),
            severity: entry.severity,
            status: entry.status,
            reason: entry.reason.map(str::to_string),
            evidence: None,
            hosts: vec![host],
            other,
        });
        if other {
            slot.1 = Some(index);
            None
        } else {
            slot.0.push((key, index));
            Some(GroupId(index))
        }
    }

    pub fn set_evidence(&mut self, group: GroupId, evidence: GroupEvidence) {
        if let Some(group) = self.groups.get_mut(group.0) {
            group.evidence = Some(evidence);
        }
    }

    /// Display order: failures first, most severe first, most hosts first.
    pub fn sort(&mut self) {
        self.variants.clear();
        for group in &mut self.groups {
            group.hosts.sort_unstable();
        }
        self.groups.sort_by(|a, b| {
            status_rank(a.status)
                .cmp(&status_rank(b.status))
                .then(b.severity.cmp(&a.severity))
                .then(a.rule_id.cmp(&b.rule_id))
                .then(a.other.cmp(&b.other))
                .then(b.hosts.len().cmp(&a.hosts.len()))
        });
    }

    /// Rules by the number of hosts they fail on, most first (ties: most severe, then by id).
    pub fn most_failing(&self) -> Vec<(&Group, usize)> {
        let mut by_rule: HashMap<&str, (&Group, usize)> = HashMap::new();
        for group in self.groups.iter().filter(|g| g.status == Status::Fail) {
            by_rule.entry(&group.rule_id).or_insert((group, 0)).1 += group.hosts.len();
        }
        let mut rules: Vec<(&Group, usize)> = by_rule.into_values().collect();
        rules.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then(b.0.severity.cmp(&a.0.severity))
                .then(a.0.rule_id.cmp(&b.0.rule_id))
        });
        rules
    }
}

/// Order of statuses on the page (and in the status filter).
pub fn status_rank(status: Status) -> u8 {
    match status {
        Status::Fail => 0,
        Status::Error => 1,
        Status::Waived => 2,
        Status::Skipped => 3,
        Status::Pass => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(rule_id: &str) -> Entry<'_> {
        Entry {
            rule_id,
            title: "t",
            severity: Severity::High,
            status: Status::Fail,
            reason: None,
        }
    }

    #[test]
    fn equal_findings_share_a_group_and_extra_variants_share_one_other_group() {
        let mut findings = Findings::default();
        assert!(findings.add(0, &entry("r"), 1).is_some());
        assert!(findings.add(1, &entry("r"), 1).is_none());
        for (host, key) in [(2, 2), (3, 3)] {
            assert!(findings.add(host, &entry("r"), key).is_some());
        }
        // A fourth and fifth distinct evidence: no evidence shown, hosts still counted.
        assert!(findings.add(4, &entry("r"), 4).is_none());
        assert!(findings.add(5, &entry("r"), 5).is_none());
        findings.sort();
        let hosts: Vec<(Vec<u32>, bool)> = findings
            .groups
            .iter()
            .map(|g| (g.hosts.clone(), g.other))
            .collect();
        assert_eq!(
            hosts,
            vec![
                (vec![0, 1], false),
                (vec![2], false),
                (vec![3], false),
                (vec![4, 5], true)
            ]
        );
        assert_eq!(findings.most_failing()[0].1, 6);
    }
}
