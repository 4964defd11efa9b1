//! Waivers (DESIGN §7): known, approved failures accepted until a date.
//!
//! A waiver names rules (ids or globs) and hosts (name, inventory group or label globs), with a
//! reason, who approved it, a required `expires` and an optional ticket. Waivers come from the
//! signed policy (`waivers:`) or from `--waivers FILE`. During a scan, a `fail` that an active
//! waiver matches becomes `waived`: it keeps its evidence, is reported apart, does not fail
//! `--fail-on` and is not in the score. Only `fail` is waived: a `pass` stays a pass (a waiver
//! never hides a fix), and `error`/`skipped` stay as they are (a rule that could not be
//! assessed still fails closed). An expired waiver waives nothing, with a warning; a waiver
//! that waived nothing in a run is reported as stale.

mod file;
mod set;

pub use file::{Signed, WaiversError, WaiversFile, read_file};
pub use set::{HostIdentity, Use, UseStatus, WaiverSet, warnings};

use crate::eval::AppliedWaiver;
use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// Longest id, reason, approver or ticket: waivers end up in every report and in the state
/// file's evidence, which is capped.
pub const MAX_TEXT_CHARS: usize = 1024;

/// One waiver, checked and with its globs compiled.
#[derive(Debug, Clone, Serialize)]
pub struct Waiver {
    pub id: String,
    /// Rule ids or globs (`sshd-*`).
    pub rules: Vec<String>,
    /// Host name globs.
    pub hosts: Vec<String>,
    /// Inventory group globs.
    pub groups: Vec<String>,
    /// Label globs by label key (`env: "stag*"`).
    pub labels: BTreeMap<String, String>,
    pub reason: String,
    pub approved_by: String,
    /// RFC 3339 UTC of [`Waiver::expires_ms`].
    pub expires: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Unix milliseconds; the waiver applies strictly before it. A date means 00:00 UTC.
    #[serde(skip)]
    pub expires_ms: i64,
    #[serde(skip)]
    matchers: Matchers,
}

#[derive(Debug, Clone)]
struct Matchers {
    rules: GlobSet,
    hosts: GlobSet,
    groups: GlobSet,
    labels: Vec<(String, GlobMatcher)>,
}

impl Waiver {
    /// Whether the waiver names this rule on this host (expired or not). A host is named when
    /// its name matches `hosts`, one of its groups matches `groups`, or one of `labels`
    /// matches the host's value of that label.
    pub fn matches(&self, rule_id: &str, host: &HostIdentity) -> bool {
        let m = &self.matchers;
        m.rules.is_match(rule_id)
            && (m.hosts.is_match(&host.name)
                || host.groups.iter().any(|group| m.groups.is_match(group))
                || m.labels.iter().any(|(key, glob)| {
                    host.labels
                        .get(key)
                        .is_some_and(|value| glob.is_match(value))
                }))
    }

    pub fn active_at(&self, now_ms: i64) -> bool {
        now_ms < self.expires_ms
    }

    pub fn applied(&self) -> AppliedWaiver {
        AppliedWaiver {
            id: self.id.clone(),
            reason: self.reason.clone(),
            approved_by: self.approved_by.clone(),
            expires: self.expires.clone(),
            ticket: self.ticket.clone(),
        }
    }
}

/// A waiver as written; unknown keys are errors at their line and column.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    id: String,
    rules: Vec<String>,
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    reason: String,
    approved_by: String,
    expires: String,
    #[serde(default)]
    ticket: Option<String>,
}

impl<'de> Deserialize<'de> for Waiver {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::policy::model::deserialize_checked(d, "a waiver mapping", check)
    }
}

fn check(raw: RawWaiver) -> Result<Waiver, String> {
    let id = raw.id.trim().to_owned();
    let name = if id.is_empty() {
        "a waiver".to_owned()
    } else {
        format!("waiver `{id}`")
    };
    let text = |field: &str, value: &str| -> Result<(), String> {
        if value.trim().is_empty() {
            return Err(format!("{name}: `{field}` is empty"));
        }
        if value.chars().count() > MAX_TEXT_CHARS {
            return Err(format!(
                "{name}: `{field}` is longer than {MAX_TEXT_CHARS} characters"
            ));
        }
        if value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(format!("{name}: `{field}` has control characters"));
        }
        Ok(())
    };
    text("id", &id)?;
    if id.chars().any(char::is_whitespace) {
        return Err(format!("{name}: `id` has whitespace"));
    }
    text("reason", &raw.reason)?;
    text("approved_by", &raw.approved_by)?;
    if let Some(ticket) = &raw.ticket {
        text("ticket", ticket)?;
    }
    if raw.rules.is_empty() {
        return Err(format!("{name}: `rules` is empty; name rule ids or globs"));
    }
    if raw.hosts.is_empty() && raw.groups.is_empty() && raw.labels.is_empty() {
        return Err(format!(
            "{name} names no host: give `hosts`, `groups` or `labels` (`hosts: [\"*\"]` for every host)"
        ));
    }
    let expires_ms = crate::time::parse_instant(&raw.expires)
        .map_err(|err| format!("{name}: `expires`: {err}"))?;
    let set = |field: &str, patterns: &[String]| -> Result<GlobSet, String> {
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            builder.add(glob(&name, field, pattern)?.glob().clone());
        }
        builder
            .build()
            .map_err(|err| format!("{name}: `{field}`: {err}"))
    };
    let matchers = Matchers {
        rules: set("rules", &raw.rules)?,
        hosts: set("hosts", &raw.hosts)?,
        groups: set("groups", &raw.groups)?,
        labels: raw
            .labels
            .iter()
            .map(|(key, pattern)| Ok((key.clone(), glob(&name, "labels", pattern)?)))
            .collect::<Result<_, String>>()?,
    };
    Ok(Waiver {
        id,
        rules: raw.rules,
        hosts: raw.hosts,
        groups: raw.groups,
        labels: raw.labels,
        reason: raw.reason.trim().to_owned(),
        approved_by: raw.approved_by.trim().to_owned(),
        expires: crate::time::rfc3339_seconds(expires_ms),
        ticket: raw.ticket.map(|t| t.trim().to_owned()),
        expires_ms,
        matchers,
    })
}

fn glob(name: &str, field: &str, pattern: &str) -> Result<GlobMatcher, String> {
    if pattern.trim().is_empty() {
        return Err(format!("{name}: `{field}` has an empty pattern"));
    }
    Glob::new(pattern)
        .map(|g| g.compile_matcher())
        .map_err(|err| format!("{name}: `{field}` pattern `{pattern}`: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> Result<Vec<Waiver>, String> {
        crate::policy::model::parse_yaml::<WaiversFile>(text, Path::new("w.yml"))
            .map(|file| file.waivers)
            .map_err(|err| err.to_string())
    }

    fn host(name: &str, groups: &[&str], labels: &[(&str, &str)]) -> HostIdentity {
        HostIdentity {
            name: name.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    const ONE: &str = "waivers:\n  - id: W-1\n    rules: [sshd-*, motd]\n    hosts: [web-*]\n    groups: [legacy]\n    labels: { env: stag* }\n    reason: vendor appliance\n    approved_by: alice\n    expires: 2027-03-31\n    ticket: SEC-1\n";

    #[test]
    fn globs_match_rules_and_hosts_by_name_group_or_label() {
        let waiver = parse(ONE).unwrap().remove(0);
        assert_eq!(waiver.expires, "2027-03-31T00:00:00Z");
        let plain = host("db-1", &[], &[]);
        assert!(waiver.matches("sshd-root-login", &host("web-1", &[], &[])));
        assert!(waiver.matches("motd", &host("db-1", &["legacy"], &[])));
        assert!(waiver.matches("motd", &host("db-1", &[], &[("env", "staging")])));
        assert!(!waiver.matches("motd", &host("db-1", &[], &[("env", "prod")])));
        assert!(!waiver.matches("motd", &host("db-1", &[], &[("role", "staging")])));
        assert!(!waiver.matches("motd", &plain));
        assert!(!waiver.matches("auditd", &host("web-1", &[], &[])));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors_with_a_position() {
        let err = parse(&ONE.replace("ticket:", "tciket:")).unwrap_err();
        assert!(err.starts_with("w.yml:10:"), "{err}");
        assert!(err.contains("unknown field `tciket`"), "{err}");
        for (from, to, message) in [
            ("    expires: 2027-03-31\n", "", "missing field `expires`"),
            ("2027-03-31", "in a month", "is not a date"),
            (
                "    hosts: [web-*]\n    groups: [legacy]\n    labels: { env: stag* }\n",
                "",
                "names no host",
            ),
            ("rules: [sshd-*, motd]", "rules: []", "`rules` is empty"),
            (
                "approved_by: alice",
                "approved_by: ''",
                "`approved_by` is empty",
            ),
            ("[web-*]", "['[']", "pattern `[`"),
        ] {
            let err = parse(&ONE.replace(from, to)).unwrap_err();
            assert!(err.starts_with("w.yml:"), "{err}");
            assert!(err.contains(message), "{from:?}: {err}");
        }
    }
}
