//! Input types of the store (what a scan hands over) and the small enums shared with queries.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Declares a lowercase string enum stored as TEXT in SQLite.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("unknown {} {:?}", stringify!($name), other)),
                }
            }
        }
    };
}
pub(super) use text_enum;

text_enum!(
    /// What started a scan.
    Trigger { Manual => "manual", Scheduled => "scheduled", Ci => "ci" }
);
text_enum!(
    /// Outcome of a whole host scan: `error` means the host could not be scanned.
    ScanStatus { Ok => "ok", Partial => "partial", Error => "error" }
);
text_enum!(
    /// What a scan looked at. A `partial` scan (a `--tag`/`--rule`/`--min-severity`/`--exclude`
    /// selection) updates the rules it evaluated and never removes any other.
    Scope { Full => "full", Partial => "partial" }
);
/// Rule severity and verdict are the rule model's and the evaluator's own types.
pub use crate::eval::Status;
pub use crate::rules::Severity;
text_enum!(
    /// Why a `transactions` row was written.
    ChangeKind {
        FirstSeen => "first_seen",
        StateChanged => "state_changed",
        SeverityChanged => "severity_changed",
        EvidenceChanged => "evidence_changed",
        Removed => "removed",
    }
);
/// The results of scanning one host, as handed to [`crate::store::Store::apply_scan`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanBatch {
    pub scan_id: uuid::Uuid,
    pub host: HostRecord,
    pub trigger: Trigger,
    /// Unix milliseconds.
    pub started_at: i64,
    /// Unix milliseconds; also the time recorded for every change of this scan.
    pub finished_at: i64,
    pub status: ScanStatus,
    pub error: Option<String>,
    pub policy_version: Option<i64>,
    pub ruleset_hash: String,
    pub scope: Scope,
    /// Names where the rules came from (`embedded`, the `--rules` paths, or the policy), so a
    /// rule is `removed` only when it leaves the source that produced it.
    pub rule_source: String,
    pub results: Vec<ResultRecord>,
}

#[cfg(test)]
impl ScanBatch {
    /// A full, successful manual scan of `host` from the embedded pack, finished at `at`.
    pub(crate) fn for_test(host: &str, at: i64, results: Vec<ResultRecord>) -> Self {
        ScanBatch {
            scan_id: uuid::Uuid::new_v4(),
            host: HostRecord {
                name: host.into(),
                address: None,
                port: None,
                user: None,
                labels: BTreeMap::new(),
            },
            trigger: Trigger::Manual,
            started_at: at - 10,
            finished_at: at,
            status: ScanStatus::Ok,
            error: None,
            policy_version: None,
            ruleset_hash: "t".into(),
            scope: Scope::Full,
            rule_source: "embedded".into(),
            results,
        }
    }
}

/// The host a batch belongs to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostRecord {
    pub name: String,
    pub address: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub labels: BTreeMap<String, String>,
}

/// One rule's verdict with its evidence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResultRecord {
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub reason: Option<String>,
    pub evidence: serde_json::Value,
    /// The id of the waiver behind a `waived` status; `None` for every other status.
    #[serde(default)]
    pub waiver: Option<String>,
}

/// Number of results per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub pass: u32,
    pub fail: u32,
    pub skipped: u32,
    pub error: u32,
    /// Failures a waiver accepts: neither pass nor fail, so not in the score.
    #[serde(default)]
    pub waived: u32,
}

impl Counts {
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Skipped => self.skipped += 1,
            Status::Error => self.error += 1,
            Status::Waived => self.waived += 1,
        }
    }

    /// [`crate::score::compliance_score`] of these counts.
    pub fn score(&self) -> Option<f64> {
        crate::score::compliance_score(self.pass.into(), self.fail.into())
    }
}

/// Failed rules per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailingCounts {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
}

impl FailingCounts {
    pub fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_as_text() {
        for kind in ChangeKind::ALL {
            assert_eq!(kind.as_str().parse::<ChangeKind>(), Ok(*kind));
        }
        assert!("bogus".parse::<Status>().is_err());
    }
}
