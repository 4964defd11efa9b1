//! What evaluation produces: a status, its reason, and evidence.

use crate::rules::Severity;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Skipped,
    Error,
    /// A failure a waiver accepts (the underlying verdict is `fail`; see [`AppliedWaiver`]).
    Waived,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Skipped => "skipped",
            Self::Error => "error",
            Self::Waived => "waived",
        }
    }
}

impl std::str::FromStr for Status {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [
            Self::Pass,
            Self::Fail,
            Self::Skipped,
            Self::Error,
            Self::Waived,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
        .ok_or_else(|| format!("unknown status {text:?}"))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a result is `skipped` or `error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The rule's platforms do not include this host.
    Platform,
    /// No implementation fits the host's capabilities.
    NoImplementation,
    /// The host cannot answer the check (e.g. systemd not running, a mount point absent).
    NotAssessable,
    /// Scanning a directory tree: the check needs a running system.
    NotAssessableOffline,
    ProbeFailed,
    Timeout,
    EvidenceOversize,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::NoImplementation => "no_implementation",
            Self::NotAssessable => "not_assessable",
            Self::NotAssessableOffline => "not_assessable_offline",
            Self::ProbeFailed => "probe_failed",
            Self::Timeout => "timeout",
            Self::EvidenceOversize => "evidence_oversize",
        }
    }
}

/// What was checked and what was found, for one leaf check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub method: String,
    /// Path, key, unit or command the check is about.
    pub target: String,
    pub expected: String,
    pub actual: String,
    /// Where `actual` came from: a file and line, or a command and its exit code.
    pub source: serde_json::Value,
}

/// The verdict of one leaf check.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub status: Status,
    pub reason: Option<(Reason, String)>,
    pub evidence: Evidence,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleResult {
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Human explanation of a skip or error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The capability that picked the implementation, if not the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation: Option<String>,
    pub evidence: Vec<Evidence>,
    /// The waiver that accepts this failure (status `waived`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<AppliedWaiver>,
}

/// The waiver behind a `waived` result, as reports and the state file show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedWaiver {
    pub id: String,
    pub reason: String,
    pub approved_by: String,
    /// RFC 3339 UTC.
    pub expires: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

impl RuleResult {
    /// The evidence as the state file stores it and as the cap measures it.
    /// A waived result also stores its waiver, so the change log records who accepted it;
    /// other results store exactly what they stored before waivers existed.
    pub fn stored_evidence(&self) -> serde_json::Value {
        let mut stored = serde_json::json!({
            "checks": self.evidence,
            "detail": self.detail,
            "implementation": self.implementation,
        });
        if let (Some(waiver), Some(map)) = (&self.waiver, stored.as_object_mut()) {
            map.insert("waiver".into(), serde_json::json!(waiver));
        }
        stored
    }
}
