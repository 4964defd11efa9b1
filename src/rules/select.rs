//! Narrowing a rule set with `--profile`, `--rule`, `--tag`, `--min-severity` and `--exclude`.

use super::load::RuleSet;
use super::model::{Relations, Rule, Severity};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// A rule is kept when it carries one of these profiles.
    pub profiles: Vec<String>,
    pub rule_ids: Vec<String>,
    pub tags: Vec<String>,
    pub min_severity: Option<Severity>,
    pub exclude: Vec<String>,
}

impl Selection {
    /// A scan with any selection looks at part of the rule source only. A profile is not such
    /// a selection: it names its own rule source (see `source_name`), which it scans whole.
    pub fn scope(&self) -> crate::store::Scope {
        let narrowed = !self.rule_ids.is_empty()
            || !self.tags.is_empty()
            || self.min_severity.is_some()
            || !self.exclude.is_empty();
        if narrowed {
            crate::store::Scope::Partial
        } else {
            crate::store::Scope::Full
        }
    }

    /// The rule source a scan records under: `base`, or `base` narrowed to the profiles, so
    /// a profile's scans keep their own baseline (a rule outside the profile is not `removed`).
    pub fn source_name(&self, base: &str) -> String {
        let profiles: BTreeSet<&str> = self.profiles.iter().map(String::as_str).collect();
        if profiles.is_empty() {
            base.to_owned()
        } else {
            let names: Vec<&str> = profiles.into_iter().collect();
            format!("{base}\nprofiles:{}", names.join(","))
        }
    }

    /// Keeps the selected rules. Naming a rule id that does not exist is an error, and so is a
    /// selection that keeps nothing, so a typo never turns into an empty, passing scan.
    pub fn apply(&self, set: RuleSet) -> Result<RuleSet, String> {
        for id in self.rule_ids.iter().chain(&self.exclude) {
            if !set.rules.iter().any(|rule| &rule.id == id) {
                return Err(format!("no rule with id `{id}` is loaded"));
            }
        }
        if set.rules.is_empty() {
            return Err("no rule is loaded, so there is nothing to scan".into());
        }
        check_profiles(&self.profiles, &set)?;
        let known_tags: BTreeSet<String> = set
            .rules
            .iter()
            .flat_map(|rule| rule.tags.iter().cloned())
            .collect();
        let unknown: Vec<&str> = self
            .tags
            .iter()
            .map(String::as_str)
            .filter(|tag| !known_tags.contains(*tag))
            .collect();
        let tags_hint = || {
            let shown: Vec<&str> = known_tags.iter().map(String::as_str).take(60).collect();
            let more = known_tags.len().saturating_sub(shown.len());
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!("known tags (case-sensitive): {}{more}", shown.join(", "))
        };
        let rules: Vec<_> = set
            .rules
            .into_iter()
            .filter(|rule| {
                self.profiles.is_empty() || rule.profiles.iter().any(|p| self.profiles.contains(p))
            })
            .filter(|rule| self.rule_ids.is_empty() || self.rule_ids.contains(&rule.id))
            .filter(|rule| {
                self.tags.is_empty() || rule.tags.iter().any(|tag| self.tags.contains(tag))
            })
            .filter(|rule| self.min_severity.is_none_or(|min| rule.severity >= min))
            .filter(|rule| !self.exclude.contains(&rule.id))
            .collect();
        if rules.is_empty() {
            let mut message = "the selection matches no rule".to_string();
            if !unknown.is_empty() {
                message.push_str(&format!(
                    "; no loaded rule has the tag {}; {}",
                    unknown
                        .iter()
                        .map(|tag| format!("`{tag}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    tags_hint()
                ));
            } else if !self.tags.is_empty() {
                message.push_str(&format!("; {}", tags_hint()));
            }
            if let Some(min) = self.min_severity {
                message.push_str(&format!("; --min-severity is {}", min.as_str()));
            }
            return Err(message);
        }
        Ok(RuleSet {
            rules: resolve_kensa_relations(rules),
        })
    }
}

/// Kensa's relations between selected rules, as Kensa's scan applies them: a rule another
/// selected rule `supersedes` does not run, and two selected rules that declare
/// `conflicts_with` each other both run, with a warning. (`depends_on` only orders Kensa's
/// remediation, which a scan does not do; it stays metadata.)
fn resolve_kensa_relations(rules: Vec<Rule>) -> Vec<Rule> {
    let mut related: Vec<(&str, &Relations)> = rules
        .iter()
        .filter_map(|rule| Some((rule.id.as_str(), rule.relations.as_deref()?)))
        .collect();
    if related.is_empty() {
        return rules;
    }
    // By id, so when two rules supersede one, the message names the same one on every run.
    related.sort_by_key(|(id, _)| *id);
    let selected: BTreeSet<&str> = rules.iter().map(|rule| rule.id.as_str()).collect();
    let mut superseded: BTreeMap<&str, &str> = BTreeMap::new();
    for (id, relations) in &related {
        for target in &relations.supersedes {
            if let Some(target) = selected.get(target.as_str()) {
                superseded.entry(target).or_insert(id);
            }
        }
    }
    for (target, by) in &superseded {
        tracing::info!("rule `{target}` is not run: rule `{by}` supersedes it");
    }
    let active = |id: &str| selected.contains(id) && !superseded.contains_key(id);
    let mut warned = BTreeSet::new();
    for (id, relations) in &related {
        for other in relations.conflicts_with.iter().map(String::as_str) {
            let pair = if *id < other {
                (*id, other)
            } else {
                (other, *id)
            };
            if active(id) && active(other) && warned.insert(pair) {
                tracing::warn!("rule `{id}` conflicts with rule `{other}`; both are run");
            }
        }
    }
    let superseded: BTreeSet<String> = superseded.into_keys().map(str::to_owned).collect();
    rules
        .into_iter()
        .filter(|rule| !superseded.contains(&rule.id))
        .collect()
}

/// Every profile some loaded rule carries, sorted.
pub fn known_profiles(set: &RuleSet) -> BTreeSet<&str> {
    set.rules
        .iter()
        .flat_map(|rule| rule.profiles.iter().map(String::as_str))
        .collect()
}

/// An unknown profile is an error even when other named profiles match, since a misspelt one
/// would quietly scan less than asked.
pub fn check_profiles(profiles: &[String], set: &RuleSet) -> Result<(), String> {
    let known = known_profiles(set);
    let unknown: Vec<String> = profiles
        .iter()
        .filter(|p| !known.contains(p.as_str()))
        .map(|p| format!("`{p}`"))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let known = if known.is_empty() {
        "no loaded rule has a profile".to_owned()
    } else {
        let names: Vec<&str> = known.into_iter().collect();
        format!("known profiles: {}", names.join(", "))
    };
    Err(format!("unknown profile {}; {known}", unknown.join(", ")))
}
