//! The `verify-policy` verdict: a serializable report (the `--format json` output, field
//! names are stable) and its table rendering.

use comfy_table::{Cell, Color, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

use super::model::{Clamp, Policy, SchemaError};
use super::pins::PinCheck;
use super::signers::SignerInfo;

/// Outcome of the signature check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SignatureStatus {
    Valid,
    /// `code` is a stable identifier (e.g. `bad_signature`, `wrong_namespace`,
    /// `untrusted_key`, `key_expired`); `reason` is for people.
    Invalid {
        code: String,
        reason: String,
    },
    Missing {
        path: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyReport {
    pub policy_path: String,
    pub signature_path: String,
    /// The allowed_signers or .pub file used.
    pub trust_source: String,
    pub signature: SignatureStatus,
    /// The signing key as named by the signature (and the trust entry, when it matched).
    pub signer: Option<SignerInfo>,
    /// The signing key is in the revocation list.
    pub revoked: bool,
    /// The revocation list consulted, if any.
    pub revocation_list: Option<String>,
    /// Whether the policy was parsed and the files it names read. False when its signature
    /// does not verify: such a policy is not parsed, so `version`, `description`,
    /// `schema_errors`, `clamps` and `pins` are empty and say nothing about it.
    pub contents_checked: bool,
    pub version: Option<u64>,
    pub description: Option<String>,
    pub schema_errors: Vec<SchemaError>,
    pub clamps: Vec<Clamp>,
    pub pins: Vec<PinCheck>,
    /// Same as [`PolicyReport::is_valid`], present in the JSON for consumers.
    pub valid: bool,
    #[serde(skip)]
    pub(crate) policy: Option<Policy>,
}

impl PolicyReport {
    /// Valid signature from a trusted, unrevoked key; schema clean; every pin matches.
    /// Clamps do not make a policy invalid (they are reported).
    pub fn is_valid(&self) -> bool {
        self.signature == SignatureStatus::Valid
            && !self.revoked
            && self.schema_errors.is_empty()
            && self.policy.is_some()
            && self.pins.iter().all(|p| p.matched)
    }

    /// `verify-policy`'s exit code: 0 valid, 1 invalid (DESIGN §7).
    pub fn exit_code(&self) -> u8 {
        if self.is_valid() {
            crate::exit::CLEAN
        } else {
            crate::exit::FINDINGS
        }
    }

    /// The parsed policy, whether or not the whole report is valid (for display/diagnosis).
    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_ref()
    }

    /// The parsed policy only when the report is valid: what `scan --policy` may apply.
    pub fn verified_policy(&self) -> Option<&Policy> {
        self.policy.as_ref().filter(|_| self.is_valid())
    }

    /// One line per reason the policy is invalid (empty when valid).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        match &self.signature {
            SignatureStatus::Valid => {}
            SignatureStatus::Invalid { reason, .. } => out.push(format!("signature: {reason}")),
            SignatureStatus::Missing { path } => out.push(format!(
                "signature: {path} not found (sign with: ssh-keygen -Y sign -f KEY -n plumb-policy {})",
                self.policy_path
            )),
        }
        if let (true, Some(signer)) = (self.revoked, &self.signer) {
            out.push(format!("signing key {} is revoked", signer.fingerprint));
        }
        out.extend(self.schema_errors.iter().map(ToString::to_string));
        for pin in self.pins.iter().filter(|p| !p.matched) {
            out.push(pin_problem(pin));
        }
        out
    }
}

fn pin_problem(pin: &PinCheck) -> String {
    match (&pin.actual, &pin.error) {
        (_, Some(error)) => format!("ruleset {}: {error}", pin.path),
        (Some(actual), None) => format!(
            "ruleset {}: sha256 mismatch, expected {}, actual {actual}",
            pin.path, pin.expected
        ),
        (None, None) => format!("ruleset {}: not checked", pin.path),
    }
}

/// What the table says of a policy left unparsed because its signature does not verify.
const NOT_CHECKED: &str = "not checked: the signature does not verify, so the policy was not parsed and the files it names were not read";

/// A human table of the report. `color` forces ANSI colours on or off.
pub fn render_table(report: &PolicyReport, color: bool) -> String {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    let paint = |text: String, ok: Option<bool>| {
        let cell = Cell::new(text);
        match (color, ok) {
            (true, Some(true)) => cell.fg(Color::Green),
            (true, Some(false)) => cell.fg(Color::Red),
            _ => cell,
        }
    };
    let valid = report.is_valid();
    table.set_header(vec![Cell::new("check"), Cell::new("result")]);
    table.add_row(vec![
        Cell::new("verdict"),
        paint(if valid { "VALID" } else { "INVALID" }.into(), Some(valid)),
    ]);
    table.add_row(vec![Cell::new("policy"), Cell::new(&report.policy_path)]);
    let signature = match &report.signature {
        SignatureStatus::Valid => ("valid".to_string(), true),
        SignatureStatus::Invalid { reason, .. } => (format!("invalid: {reason}"), false),
        SignatureStatus::Missing { path } => (format!("missing: {path}"), false),
    };
    table.add_row(vec![
        Cell::new("signature"),
        paint(signature.0, Some(signature.1)),
    ]);
    let signer = match &report.signer {
        Some(s) => format!(
            "{} {} ({})",
            s.principal.as_deref().unwrap_or("(no trusted principal)"),
            s.fingerprint,
            s.key_type
        ),
        None => "-".into(),
    };
    table.add_row(vec![Cell::new("signer"), Cell::new(signer)]);
    let revoked = match (&report.revocation_list, report.revoked) {
        (_, true) => "REVOKED".to_string(),
        (Some(list), false) => format!("no (checked {list})"),
        (None, false) => "no (no revocation list)".to_string(),
    };
    table.add_row(vec![
        Cell::new("revoked"),
        paint(revoked, Some(!report.revoked)),
    ]);
    if let Some(version) = report.version {
        table.add_row(vec![Cell::new("version"), Cell::new(version)]);
    }
    if let Some(description) = report.description.as_deref().filter(|d| !d.is_empty()) {
        table.add_row(vec![
            Cell::new("description"),
            Cell::new(description.trim()),
        ]);
    }
    if !report.contents_checked {
        table.add_row(vec![
            Cell::new("contents"),
            paint(NOT_CHECKED.into(), Some(false)),
        ]);
    } else if report.schema_errors.is_empty() {
        table.add_row(vec![Cell::new("schema"), paint("ok".into(), Some(true))]);
    }
    for error in &report.schema_errors {
        table.add_row(vec![
            Cell::new("schema"),
            paint(error.to_string(), Some(false)),
        ]);
    }
    for clamp in &report.clamps {
        let cell = Cell::new(clamp.to_string());
        let cell = if color { cell.fg(Color::Yellow) } else { cell };
        table.add_row(vec![Cell::new("clamped"), cell]);
    }
    for pin in &report.pins {
        let text = if pin.matched {
            format!("{}: ok {}", pin.path, pin.expected)
        } else {
            pin_problem(pin)
        };
        table.add_row(vec![Cell::new("pin"), paint(text, Some(pin.matched))]);
    }
    format!("{table}\n")
}
