//! The compliance tiers of DESIGN §5: one type for the policy's intervals, the store's
//! summaries and the schedule.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A host's compliance tier, from its latest full-scope results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Unknown,
    Critical,
    NonCompliant,
    Partial,
    MostlyCompliant,
    Compliant,
}

impl Tier {
    pub const ALL: [Tier; 6] = [
        Tier::Unknown,
        Tier::Critical,
        Tier::NonCompliant,
        Tier::Partial,
        Tier::MostlyCompliant,
        Tier::Compliant,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Unknown => "unknown",
            Tier::Critical => "critical",
            Tier::NonCompliant => "non_compliant",
            Tier::Partial => "partial",
            Tier::MostlyCompliant => "mostly_compliant",
            Tier::Compliant => "compliant",
        }
    }

    /// Any failed critical rule or a score below 20 → critical; below 50 non_compliant;
    /// below 70 partial; below 90 mostly_compliant; else compliant. `score` is `None` when
    /// the host was never scanned or nothing on it was assessable: unknown.
    pub fn of(score: Option<f64>, failed_critical: u32) -> Tier {
        if failed_critical > 0 {
            return Tier::Critical;
        }
        match score {
            None => Tier::Unknown,
            Some(s) if s < 20.0 => Tier::Critical,
            Some(s) if s < 50.0 => Tier::NonCompliant,
            Some(s) if s < 70.0 => Tier::Partial,
            Some(s) if s < 90.0 => Tier::MostlyCompliant,
            Some(_) => Tier::Compliant,
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tier {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Tier::ALL
            .into_iter()
            .find(|tier| tier.as_str() == text)
            .ok_or_else(|| format!("unknown tier {text:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_follow_design() {
        let cases = [
            (Some(0.0), Tier::Critical),
            (Some(19.99), Tier::Critical),
            (Some(20.0), Tier::NonCompliant),
            (Some(49.99), Tier::NonCompliant),
            (Some(50.0), Tier::Partial),
            (Some(69.99), Tier::Partial),
            (Some(70.0), Tier::MostlyCompliant),
            (Some(89.99), Tier::MostlyCompliant),
            (Some(90.0), Tier::Compliant),
            (Some(100.0), Tier::Compliant),
            (None, Tier::Unknown),
        ];
        for (score, tier) in cases {
            assert_eq!(Tier::of(score, 0), tier, "{score:?}");
        }
        // One failed critical rule outweighs any score, and an unassessable host too.
        assert_eq!(Tier::of(Some(100.0), 1), Tier::Critical);
        assert_eq!(Tier::of(None, 2), Tier::Critical);
    }

    #[test]
    fn text_round_trips_in_the_strings_json_uses() {
        for tier in Tier::ALL {
            assert_eq!(tier.as_str().parse::<Tier>(), Ok(tier));
            assert_eq!(
                serde_json::to_value(tier).unwrap(),
                serde_json::json!(tier.as_str())
            );
        }
        assert_eq!(Tier::NonCompliant.as_str(), "non_compliant");
        assert!("Compliant".parse::<Tier>().is_err());
    }
}
