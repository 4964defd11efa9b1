//! Comparators: `==`, `!=`, numeric `<`..`>=`, `regex` (full match) and `contains`.

use crate::rules::{Comparator, Expectation};

/// Whether `actual` satisfies the expectation; `Err` explains why it cannot be compared
/// (a non-numeric value for a numeric comparator), which evaluation reports as a failure.
pub fn compare(actual: &str, expectation: &Expectation) -> Result<bool, String> {
    let expected = expectation.expected.as_str();
    let same = |a: &str, b: &str| {
        if expectation.case_insensitive {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    Ok(match &expectation.comparator {
        Comparator::Eq => same(actual, expected),
        Comparator::Ne => !same(actual, expected),
        Comparator::Contains if expectation.case_insensitive => actual
            .to_ascii_lowercase()
            .contains(&expected.to_ascii_lowercase()),
        Comparator::Contains => actual.contains(expected),
        Comparator::Regex(regex) => regex.is_match(actual),
        numeric => {
            let actual_number = parse_number(actual)
                .ok_or_else(|| format!("actual value `{actual}` is not a number"))?;
            let expected_number = parse_number(expected)
                .ok_or_else(|| format!("expected value `{expected}` is not a number"))?;
            match numeric {
                Comparator::Lt => actual_number < expected_number,
                Comparator::Le => actual_number <= expected_number,
                Comparator::Gt => actual_number > expected_number,
                Comparator::Ge => actual_number >= expected_number,
                _ => false,
            }
        }
    })
}

fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// `== no`, `>= 4`, `regex (?i)no`: how the expectation reads in evidence.
pub fn describe(expectation: &Expectation) -> String {
    // Case matters only to the text comparators.
    let text_comparison = matches!(
        expectation.comparator,
        Comparator::Eq | Comparator::Ne | Comparator::Contains
    );
    let case = if expectation.case_insensitive && text_comparison {
        " (any case)"
    } else {
        ""
    };
    format!(
        "{} {}{case}",
        expectation.comparator.symbol(),
        expectation.expected
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp(comparator: Comparator, expected: &str) -> Expectation {
        Expectation {
            expected: expected.into(),
            comparator,
            case_insensitive: false,
        }
    }

    #[test]
    fn string_and_numeric_comparators() {
        assert!(compare("no", &exp(Comparator::Eq, "no")).unwrap());
        assert!(!compare("No", &exp(Comparator::Eq, "no")).unwrap());
        assert!(compare("yes", &exp(Comparator::Ne, "no")).unwrap());
        assert!(compare("3", &exp(Comparator::Le, "4")).unwrap());
        assert!(!compare("5", &exp(Comparator::Le, "4")).unwrap());
        assert!(compare("10", &exp(Comparator::Gt, "9")).unwrap());
        assert!(compare("a,b", &exp(Comparator::Contains, "b")).unwrap());
        let regex = std::sync::Arc::new(regex::Regex::new("^(?:(?i)no)$").unwrap());
        assert!(compare("NO", &exp(Comparator::Regex(regex.clone()), "(?i)no")).unwrap());
        assert!(!compare("nope", &exp(Comparator::Regex(regex), "(?i)no")).unwrap());
    }

    #[test]
    fn case_insensitive_equality_ignores_ascii_case() {
        let mut ci = exp(Comparator::Eq, "enriched");
        ci.case_insensitive = true;
        assert!(compare("ENRICHED", &ci).unwrap());
        assert!(!compare("RAW", &ci).unwrap());
        ci.comparator = Comparator::Ne;
        assert!(!compare("Enriched", &ci).unwrap());
        ci.comparator = Comparator::Contains;
        assert!(compare("a,ENRICHED,b", &ci).unwrap());
        // The flag off keeps plumb's exact comparison.
        assert!(!compare("ENRICHED", &exp(Comparator::Eq, "enriched")).unwrap());
    }

    #[test]
    fn non_numeric_actual_is_explained() {
        let err = compare("unlimited", &exp(Comparator::Le, "4")).unwrap_err();
        assert!(err.contains("not a number"));
    }
}
