//! The compliance score, computed in one place with one rounding, so the scan report and
//! `plumb state` show the same number for the same scan.

/// pass / (pass + fail) × 100, rounded to 0.1; `None` when no rule was assessable (all
/// skipped or in error).
pub fn compliance_score(pass: u64, fail: u64) -> Option<f64> {
    let assessed = pass + fail;
    (assessed > 0).then(|| (pass as f64 * 1000.0 / assessed as f64).round() / 10.0)
}

/// Serialises a stored score rounded to 0.1 as [`compliance_score`] rounds it (for
/// `serialize_with`; a file written by an older plumb may hold more digits).
pub fn serialize_score<S: serde::Serializer>(score: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match score {
        Some(value) => s.serialize_f64((value * 10.0).round() / 10.0),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_to_a_tenth() {
        assert_eq!(compliance_score(1, 2), Some(33.3));
        assert_eq!(compliance_score(2, 1), Some(66.7));
        assert_eq!(compliance_score(3, 0), Some(100.0));
        assert_eq!(compliance_score(0, 0), None);
    }
}
