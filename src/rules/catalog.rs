//! The loaded rules as data, without scanning: a listing, one rule in full, and validation of
//! rule files with lints. `plumb rules` renders these.

use super::kensa::DialectChoice;
use super::load::{LoadError, RuleSet, RuleSource, cache_for, load_with_cache};
use super::model::{Dialect, Platform, Rule, Severity};
use super::vars::Vars;
use serde::Serialize;
use std::collections::BTreeMap;

/// One line of `plumb rules list`.
#[derive(Debug, Serialize)]
pub struct RuleSummary<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub severity: Severity,
    pub tags: &'a [String],
    pub profiles: &'a [String],
    pub references: serde_json::Value,
    pub platforms: &'a [Platform],
    /// The methods the rule's checks use, each once, in order of first use.
    pub methods: Vec<&'static str>,
    /// Where the rule is defined (file:line:column).
    pub source: String,
    /// The rule format its file was read in.
    pub dialect: Dialect,
}

pub fn summary(rule: &Rule) -> RuleSummary<'_> {
    let mut methods = Vec::new();
    for check in rule.all_checks() {
        if !methods.contains(&check.method()) {
            methods.push(check.method());
        }
    }
    RuleSummary {
        id: &rule.id,
        title: &rule.title,
        severity: rule.severity,
        tags: &rule.tags,
        profiles: &rule.profiles,
        references: rule.references(),
        platforms: &rule.platforms,
        methods,
        source: rule.source.to_string(),
        dialect: rule.dialect,
    }
}

/// Everything about one rule, for `plumb rules show`: its listing line and the rest.
#[derive(Debug, Serialize)]
pub struct RuleDetail<'a> {
    #[serde(flatten)]
    pub summary: RuleSummary<'a>,
    pub description: &'a str,
    pub rationale: &'a str,
    pub notes: &'a str,
    pub remediation: &'a str,
    /// The values the checks use: the rule's defaults with `--var` (or policy) overrides.
    pub vars: &'a BTreeMap<String, String>,
    pub sensitive: bool,
    /// As written: `when: CAPABILITY` or `default: true`, and the check with its `{{ var }}`
    /// placeholders.
    pub implementations: Vec<serde_json::Value>,
    /// What the dialect carries that plumb keeps without acting on (see `Rule::metadata`);
    /// left out when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
}

/// The rule `id` of `set` in full. Its checks are read again from its source file, as written.
pub fn detail<'a>(
    set: &'a RuleSet,
    sources: &[RuleSource],
    id: &str,
) -> Result<RuleDetail<'a>, String> {
    let rule = set
        .rules
        .iter()
        .find(|rule| rule.id == id)
        .ok_or_else(|| format!("no rule with id `{id}` is loaded"))?;
    let written = sources
        .iter()
        .filter(|source| defines(source, rule))
        .find_map(|source| as_written(&source.text, &rule.id))
        .ok_or_else(|| format!("rule `{id}`: its source {} is not loaded", rule.source))?;
    Ok(RuleDetail {
        summary: summary(rule),
        description: &rule.description,
        rationale: &rule.rationale,
        notes: &rule.notes,
        remediation: &rule.remediation,
        vars: &rule.vars,
        sensitive: rule.sensitive,
        implementations: implementations(written),
        metadata: rule
            .metadata
            .as_ref()
            .and_then(|metadata| serde_json::from_str(metadata.get()).ok()),
    })
}

fn defines(source: &RuleSource, rule: &Rule) -> bool {
    *rule.source.file == *source.name
}

/// The mapping of rule `id` in a rule file (one rule or a list), as its author wrote it. The
/// file loaded already, so it is within the YAML bounds.
fn as_written(text: &str, id: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let rules = match serde_yaml::from_str(text).ok()? {
        serde_json::Value::Array(items) => items,
        one => vec![one],
    };
    rules.into_iter().find_map(|rule| match rule {
        serde_json::Value::Object(map) if map.get("id").and_then(|v| v.as_str()) == Some(id) => {
            Some(map)
        }
        _ => None,
    })
}

/// Each implementation as `{when: CAPABILITY, check}` or `{default: true, check}`; a rule with
/// a single `check`/`checks`/`any` has one default implementation.
fn implementations(mut rule: serde_json::Map<String, serde_json::Value>) -> Vec<serde_json::Value> {
    if let Some(serde_json::Value::Array(list)) = rule.remove("implementations") {
        return list;
    }
    let check = match (
        rule.remove("check"),
        rule.remove("checks"),
        rule.remove("any"),
    ) {
        (Some(check), _, _) => check,
        (None, Some(checks), _) => serde_json::json!({ "checks": checks }),
        (None, None, Some(any)) => serde_json::json!({ "any": any }),
        (None, None, None) => serde_json::Value::Null,
    };
    vec![serde_json::json!({ "default": true, "check": check })]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The file does not load: a scan with it would stop.
    Error,
    /// The rule loads but lacks what an auditor needs (remediation, references).
    Warning,
}

/// One problem `plumb rules check` found.
#[derive(Debug, Serialize)]
pub struct Diagnostic {
    /// file:line:column, or the file when the position is unknown.
    pub location: String,
    pub level: Level,
    pub message: String,
}

/// What `plumb rules check` found in a set of rule files.
#[derive(Debug, Default, Serialize)]
pub struct CheckReport {
    pub files: usize,
    /// Rules that loaded.
    pub rules: usize,
    pub errors: usize,
    pub warnings: usize,
    pub diagnostics: Vec<Diagnostic>,
}

/// Validates each file on its own (so every broken file is named, not only the first), then
/// the files together (duplicate ids across files), then lints the rules that loaded.
pub fn check(sources: &[RuleSource], overrides: &Vars, dialect: DialectChoice) -> CheckReport {
    let mut report = CheckReport {
        files: sources.len(),
        ..CheckReport::default()
    };
    // One cache for both passes, so the second reads what the first parsed.
    let cache = cache_for(sources);
    let mut loaded = Vec::new();
    for source in sources {
        match load_with_cache(
            std::slice::from_ref(source),
            overrides,
            cache.as_ref(),
            dialect,
        ) {
            Ok(set) => loaded.push(set),
            Err(err) => report.diagnostics.push(load_error(err)),
        }
    }
    if report.diagnostics.is_empty() {
        match load_with_cache(sources, overrides, cache.as_ref(), dialect) {
            Ok(set) => loaded = vec![set],
            Err(err) => {
                report.diagnostics.push(load_error(err));
                loaded.clear();
            }
        }
    }
    for rule in loaded.iter().flat_map(|set| &set.rules) {
        report.rules += 1;
        report.diagnostics.extend(lint(rule));
    }
    report.errors = report
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .count();
    report.warnings = report.diagnostics.len() - report.errors;
    report
}

fn load_error(err: LoadError) -> Diagnostic {
    let (location, message) = match err {
        LoadError::Invalid { location, message } => (location, message),
        other => (String::new(), other.to_string()),
    };
    Diagnostic {
        location,
        level: Level::Error,
        message,
    }
}

/// A Kensa rule's remediation is per implementation, kept in its metadata.
fn has_kensa_remediation(rule: &Rule) -> bool {
    rule.metadata
        .as_ref()
        .and_then(|metadata| serde_json::from_str::<serde_json::Value>(metadata.get()).ok())
        .and_then(|metadata| metadata.get("implementations").cloned())
        .and_then(|list| list.as_array().cloned())
        .is_some_and(|list| list.iter().any(|entry| entry.get("remediation").is_some()))
}

/// What a loaded rule lacks for an auditor: remediation to act on, references to trace it to
/// a benchmark.
pub fn lint(rule: &Rule) -> Vec<Diagnostic> {
    let warn = |message: String| Diagnostic {
        location: rule.source.to_string(),
        level: Level::Warning,
        message,
    };
    let mut out = Vec::new();
    if rule.remediation.trim().is_empty() && !has_kensa_remediation(rule) {
        out.push(warn(format!("rule `{}` has no `remediation`", rule.id)));
    }
    let no_references = match &rule.references() {
        serde_json::Value::Null => true,
        serde_json::Value::Object(map) => map.is_empty(),
        serde_json::Value::Array(items) => items.is_empty(),
        serde_json::Value::String(text) => text.trim().is_empty(),
        _ => false,
    };
    if no_references {
        out.push(warn(format!("rule `{}` has no `references`", rule.id)));
    }
    out
}
