//! Narrowing a rule set with `--rule`, `--tag`, `--min-severity` and `--exclude`.

use super::load::RuleSet;
use super::model::Severity;

#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub rule_ids: Vec<String>,
    pub tags: Vec<String>,
    pub min_severity: Option<Severity>,
    pub exclude: Vec<String>,
}

impl Selection {
    /// Keeps the selected rules. Naming a rule id that does not exist is an error, so a typo
    /// never turns into an empty, passing scan.
    pub fn apply(&self, set: RuleSet) -> Result<RuleSet, String> {
        for id in self.rule_ids.iter().chain(&self.exclude) {
            if !set.rules.iter().any(|rule| &rule.id == id) {
                return Err(format!("no rule with id `{id}` is loaded"));
            }
        }
        let rules = set
            .rules
            .into_iter()
            .filter(|rule| self.rule_ids.is_empty() || self.rule_ids.contains(&rule.id))
            .filter(|rule| {
                self.tags.is_empty() || rule.tags.iter().any(|tag| self.tags.contains(tag))
            })
            .filter(|rule| self.min_severity.is_none_or(|min| rule.severity >= min))
            .filter(|rule| !self.exclude.contains(&rule.id))
            .collect();
        Ok(RuleSet { rules })
    }
}
