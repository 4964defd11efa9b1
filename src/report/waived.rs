//! Waived results as every renderer shows them: apart from failures, with their waiver.

use crate::eval::{AppliedWaiver, RuleResult, Status};

/// Waived results, most severe first, then by rule id (the order failures use).
pub(crate) fn waived(results: &[RuleResult]) -> Vec<&RuleResult> {
    super::findings::by_severity(results, |status| status == Status::Waived)
}

/// One line: `waived by W-1 until 2027-03-31T00:00:00Z, approved by alice, ticket SEC-1: reason`.
pub(crate) fn note(waiver: &AppliedWaiver) -> String {
    let ticket = waiver
        .ticket
        .as_deref()
        .map(|t| format!(", ticket {t}"))
        .unwrap_or_default();
    format!(
        "waived by {} until {}, approved by {}{ticket}: {}",
        waiver.id, waiver.expires, waiver.approved_by, waiver.reason
    )
}

/// [`note`] of a result's waiver (a waived result always has one; the fallback is defensive).
pub(crate) fn result_note(result: &RuleResult) -> String {
    result
        .waiver
        .as_ref()
        .map_or_else(|| "waived".to_owned(), note)
}

/// SARIF's `suppressions` of a waived result: suppressed outside the code (`external`), an
/// accepted risk, justified by the waiver.
pub(crate) fn sarif_suppressions(result: &RuleResult) -> serde_json::Value {
    let mut suppression = serde_json::json!({
        "kind": "external",
        "status": "accepted",
        "justification": result_note(result),
    });
    if let Some(waiver) = &result.waiver {
        suppression["properties"] = serde_json::json!({ "waiver": waiver });
    }
    serde_json::json!([suppression])
}
