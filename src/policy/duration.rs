//! Human durations as policies write them: `90s`, `15m`, `4h`, `2d`.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A whole number of seconds, written in a policy as `<n>s|m|h|d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyDuration(Duration);

impl PolicyDuration {
    pub const fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }

    pub fn as_secs(self) -> u64 {
        self.0.as_secs()
    }

    pub fn as_duration(self) -> Duration {
        self.0
    }

    /// Parses `90s`, `15m`, `4h` or `2d`. A bare number is refused: the unit is what makes
    /// `30` unambiguous for a reader of the file.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| format!("duration {text:?} has no unit (use s, m, h or d, e.g. 15m)"))?;
        let (digits, unit) = text.split_at(split);
        if digits.is_empty() {
            return Err(format!(
                "duration {text:?} must start with a whole number (e.g. 90s, 15m, 4h, 2d)"
            ));
        }
        let amount: u64 = digits
            .parse()
            .map_err(|_| format!("duration {text:?} is too large"))?;
        let unit_secs = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            other => {
                return Err(format!(
                    "duration {text:?} has unknown unit {other:?} (use s, m, h or d)"
                ));
            }
        };
        // Bounded so that any arithmetic on policy durations stays far from overflow.
        const MAX_SECS: u64 = 10 * 365 * 86_400;
        match amount.checked_mul(unit_secs) {
            Some(secs) if secs <= MAX_SECS => Ok(Self::from_secs(secs)),
            _ => Err(format!("duration {text:?} is longer than 10 years")),
        }
    }
}

impl fmt::Display for PolicyDuration {
    /// The largest unit that divides the value exactly, so `14400` prints as `4h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.as_secs();
        if secs != 0 && secs % 86_400 == 0 {
            write!(f, "{}d", secs / 86_400)
        } else if secs != 0 && secs % 3600 == 0 {
            write!(f, "{}h", secs / 3600)
        } else if secs != 0 && secs % 60 == 0 {
            write!(f, "{}m", secs / 60)
        } else {
            write!(f, "{secs}s")
        }
    }
}

impl Serialize for PolicyDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PolicyDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl Visitor<'_> for DurationVisitor {
            type Value = PolicyDuration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as 90s, 15m, 4h or 2d")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PolicyDuration, E> {
                PolicyDuration::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(DurationVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_unit() {
        assert_eq!(PolicyDuration::parse("90s").unwrap().as_secs(), 90);
        assert_eq!(PolicyDuration::parse("15m").unwrap().as_secs(), 900);
        assert_eq!(PolicyDuration::parse("4h").unwrap().as_secs(), 14_400);
        assert_eq!(PolicyDuration::parse("2d").unwrap().as_secs(), 172_800);
    }

    #[test]
    fn refuses_missing_or_unknown_units_and_overflow() {
        assert!(PolicyDuration::parse("30").unwrap_err().contains("no unit"));
        assert!(
            PolicyDuration::parse("3w")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(
            PolicyDuration::parse("h")
                .unwrap_err()
                .contains("whole number")
        );
        assert!(PolicyDuration::parse("-5m").is_err());
        assert!(PolicyDuration::parse("1.5h").is_err());
        assert!(PolicyDuration::parse("99999999999999999999d").is_err());
        assert!(
            PolicyDuration::parse("5000d")
                .unwrap_err()
                .contains("10 years")
        );
    }

    #[test]
    fn displays_in_the_largest_exact_unit() {
        assert_eq!(PolicyDuration::from_secs(14_400).to_string(), "4h");
        assert_eq!(PolicyDuration::from_secs(90).to_string(), "90s");
        assert_eq!(PolicyDuration::from_secs(172_800).to_string(), "2d");
        assert_eq!(PolicyDuration::from_secs(0).to_string(), "0s");
    }
}
