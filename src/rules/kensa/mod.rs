//! The Kensa dialect: rule files written for Kensa (github.com/Hanalyx/kensa), read unchanged
//! and given Kensa's meaning.
//!
//! A file is Kensa's when `--rules-dialect kensa` says so, or, under `auto`, when plumb's
//! reading refuses it for a key only Kensa has (see [`KENSA_ONLY_KEYS`]). Its rules are
//! translated into the same model as plumb's, with each check's Kensa semantics set in its
//! flags (see `build`), and the keys plumb keeps without acting on in `Rule::metadata`.

mod build;
mod raw;
#[cfg(test)]
mod tests;

pub(super) use build::build_rule;

use super::load::{IdLocator, LoadError, RuleSource, yaml_error};
use super::shape::OneOrList;
use raw::KensaRule;

/// How a run reads its rule files: each in the dialect its keys show, or all in one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DialectChoice {
    /// Each file in its own dialect: Kensa when it has a Kensa-only key, else plumb
    #[default]
    Auto,
    /// Every file as a plumb rule file
    Plumb,
    /// Every file as a Kensa rule file
    Kensa,
}

/// Keys a Kensa rule file has and a plumb one never does: the rule-level ones, and
/// `remediation` inside an implementation (plumb's `remediation` is rule-level text).
pub const KENSA_ONLY_KEYS: [&str; 6] = [
    "category",
    "transactional",
    "depends_on",
    "conflicts_with",
    "supersedes",
    "remediation",
];

/// The Kensa-only key that makes a file plumb refused (`plumb_error`) a Kensa file, if any:
/// the key plumb's reading stopped at, or a rule-level Kensa-only key at the start of a line.
pub fn kensa_only_key(plumb_error: &str, text: &str) -> Option<&'static str> {
    let refused = KENSA_ONLY_KEYS
        .into_iter()
        .find(|key| plumb_error.contains(&format!("unknown field `{key}`")));
    refused.or_else(|| {
        text.lines().find_map(|line| {
            let line = line.strip_prefix("- ").unwrap_or(line);
            KENSA_ONLY_KEYS[..5].iter().copied().find(|key| {
                line.strip_prefix(key)
                    .is_some_and(|rest| rest.starts_with(':'))
            })
        })
    })
}

/// One Kensa rule as read, with the position of its `id:` (0 when not found).
pub struct Parsed {
    pub line: u32,
    pub column: u32,
    pub rule: KensaRule,
}

/// The rules of a Kensa file. `detected_by`: the Kensa-only key that made an `auto` load read
/// it as Kensa, named in an error so a plumb file with a stray key is not a mystery.
pub fn parse(source: &RuleSource, detected_by: Option<&str>) -> Result<Vec<Parsed>, LoadError> {
    let OneOrList::<KensaRule>(rules) = serde_yaml::from_str(&source.text).map_err(|err| {
        let error = yaml_error(&source.name, &err);
        match (error, detected_by) {
            (LoadError::Invalid { location, message }, Some(key)) => LoadError::Invalid {
                location,
                message: format!(
                    "{message} (read as a Kensa rule file, as it has `{key}`; --rules-dialect plumb reads it as plumb)"
                ),
            },
            (error, _) => error,
        }
    })?;
    let mut locator = IdLocator::new(source);
    Ok(rules
        .into_iter()
        .map(|rule| {
            let (line, column) = locator.locate(&rule.id);
            Parsed { line, column, rule }
        })
        .collect())
}
