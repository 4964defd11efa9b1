//! A Kensa rule translated into plumb's model, with Kensa's semantics.
//!
//! Each Kensa check becomes the plumb parameters of the same method (so plumb's validation and
//! builders apply), its `{{ var }}` placeholders are substituted there, and the built check
//! gets the flags that give it Kensa's meaning. What each method does in Kensa was read from
//! Kensa's own check code (internal/check/check.go); the differences from plumb's reading are
//! listed in the README, "Running Kensa rules".

use super::raw::{KensaCheck, KensaCheckNode, KensaImplementation, KensaRule, WhenNode};
use crate::rules::load::{Shared, VarScope, build_check, exact, platform, references_json};
use crate::rules::model::*;
use crate::rules::raw::{OneOrMany, RawCheck, Scalar};
use crate::rules::vars::{TextKind, Vars};
use crate::rules::vars_file::LIST_SEPARATOR;

/// The comparators Kensa's config_value and sysctl_value know.
const KENSA_COMPARATORS: [&str; 6] = ["==", "!=", "<", "<=", ">", ">="];

pub fn build_rule(
    raw: KensaRule,
    overrides: &Vars,
    origin: &RuleOrigin,
    shared: &Shared,
) -> Result<Rule, String> {
    let scope = VarScope::new(Default::default(), overrides, Dialect::Kensa);
    let metadata = metadata(&raw)?;
    let relations = Relations {
        supersedes: raw.supersedes.clone().unwrap_or_default(),
        conflicts_with: raw.conflicts_with.clone().unwrap_or_default(),
    };
    let relations = (relations != Relations::default()).then(|| Box::new(relations));
    let implementations = implementations(raw.implementations, &scope)?;
    let platforms: Vec<Platform> = raw
        .platforms
        .into_iter()
        .map(|p| platform(p.family, p.min_version, p.max_version))
        .collect();
    Ok(Rule {
        id: raw.id,
        title: raw.title,
        description: raw.description,
        rationale: raw.rationale,
        severity: raw.severity,
        tags: exact(raw.tags),
        profiles: Vec::new(),
        references_json: references_json(raw.references)?,
        platforms: shared.platforms(platforms),
        vars: scope.values(),
        remediation: String::new(),
        notes: String::new(),
        sensitive: false,
        implementations,
        dialect: Dialect::Kensa,
        metadata: Some(metadata),
        relations,
        source: origin.clone(),
    })
}

/// Kensa picks the first implementation whose `when` holds, an implementation without `when`
/// at once, and the `default: true` one only when nothing else matched; with none, the rule
/// is skipped (`no_implementation`). The model tries implementations in order and takes one
/// without `when` as it comes, so the default goes last and nothing follows an unconditional
/// one.
fn implementations(
    list: Vec<KensaImplementation>,
    scope: &VarScope,
) -> Result<Vec<Implementation>, String> {
    let mut out = Vec::with_capacity(list.len());
    let mut default = None;
    for implementation in list {
        let check = build_expr(*implementation.check.0, scope)?;
        match (implementation.default, implementation.when) {
            (true, _) => default = Some(check),
            (false, Some(WhenNode(when))) => out.push(Implementation {
                when: Some(when),
                check,
            }),
            (false, None) => {
                out.push(Implementation { when: None, check });
                return Ok(out);
            }
        }
    }
    if let Some(check) = default {
        out.push(Implementation { when: None, check });
    }
    Ok(out)
}

/// The keys plumb keeps without acting on, as one JSON object: `category`, `transactional`,
/// `depends_on`, `conflicts_with`, `supersedes` (each when written), and `implementations`,
/// one entry per implementation in file order with its `when` (or `default: true`) and its
/// `remediation` as written. `supersedes` is also honoured by selection (see
/// `rules::select`).
fn metadata(raw: &KensaRule) -> Result<Box<serde_json::value::RawValue>, String> {
    let mut map = serde_json::Map::new();
    let mut put = |key: &str, value: serde_json::Value| {
        map.insert(key.to_owned(), value);
    };
    if let Some(category) = &raw.category {
        put("category", category.clone().into());
    }
    if let Some(transactional) = raw.transactional {
        put("transactional", transactional.into());
    }
    for (key, list) in [
        ("depends_on", &raw.depends_on),
        ("conflicts_with", &raw.conflicts_with),
        ("supersedes", &raw.supersedes),
    ] {
        if let Some(list) = list {
            put(key, list.clone().into());
        }
    }
    let implementations: Vec<serde_json::Value> = raw
        .implementations
        .iter()
        .map(|implementation| {
            let mut entry = serde_json::Map::new();
            match &implementation.when {
                Some(WhenNode(when)) => {
                    entry.insert("when".into(), when.to_string().into());
                }
                None if implementation.default => {
                    entry.insert("default".into(), true.into());
                }
                None => {}
            }
            if let Some(remediation) = &implementation.remediation {
                entry.insert("remediation".into(), remediation.clone());
            }
            entry.into()
        })
        .collect();
    put("implementations", implementations.into());
    serde_json::value::to_raw_value(&map)
        .map_err(|err| format!("the rule's metadata cannot be represented as JSON: {err}"))
}

/// Kensa's `checks:` is AND, like plumb's.
fn build_expr(check: KensaCheck, scope: &VarScope) -> Result<CheckExpr, String> {
    match check.checks {
        Some(children) => {
            let mut built = Vec::with_capacity(children.len());
            for KensaCheckNode(child) in children {
                built.push(build_expr(*child, scope)?);
            }
            Ok(CheckExpr::All(built))
        }
        None => leaf(check, scope),
    }
}

fn leaf(check: KensaCheck, scope: &VarScope) -> Result<CheckExpr, String> {
    let method = check.method.clone().unwrap_or_default();
    let alias_separator = check.alias_separator.clone();
    let target_excluded = check.expected.is_none() && check.not_expected.is_some();
    let mut raw = plumb_params(&method, check)?;
    raw.try_map_strings(&mut |text, kind: TextKind| scope.resolve(text, kind))?;
    // Kensa requires every line of a (multi-line) audit rule to be among the loaded rules,
    // matched on the fields auditctl prints; the rules.d files are not read.
    if method == "audit_rule_exists" {
        let text = raw.rule.take().unwrap_or_default();
        let lines: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_owned)
            .collect();
        if lines.is_empty() {
            return Err("audit_rule_exists: `rule` holds no audit rule".into());
        }
        return Ok(CheckExpr::Leaf(Box::new(Check::AuditRuleExists(
            AuditMatch::Loaded(lines),
        ))));
    }
    let mut built = build_check(raw)?;
    kensa_semantics(&mut built, alias_separator, target_excluded);
    Ok(CheckExpr::Leaf(Box::new(built)))
}

/// The plumb parameters that ask plumb's builder for the check Kensa's method makes.
fn plumb_params(method: &str, k: KensaCheck) -> Result<RawCheck, String> {
    let text = |value: Option<Scalar>| value.map(|Scalar(text)| text);
    let path = k.path.clone().map(|path| OneOrMany(vec![path]));
    let comparator = match k.comparator {
        Some(comparator) if !KENSA_COMPARATORS.contains(&comparator.as_str()) => {
            return Err(format!(
                "`comparator` must be one of {}, not `{comparator}`",
                KENSA_COMPARATORS.join(", ")
            ));
        }
        other => other,
    };
    let mut raw = RawCheck {
        method: Some(method.to_owned()),
        ..RawCheck::default()
    };
    match method {
        "config_value" => {
            // A drop-in directory is read after the file, and then the last value wins;
            // otherwise the first does. Kensa ignores `scan_pattern` next to `dropin_dir`.
            let dropin = k.dropin_dir.is_some();
            raw.path = path;
            raw.key = k.key;
            raw.expected = k.expected;
            raw.comparator = comparator;
            raw.delimiter = Some(match k.delimiter.as_deref() {
                None => "=".to_owned(),
                Some(" ") => "whitespace".to_owned(),
                Some(other) => other.to_owned(),
            });
            raw.occurrence = Some(if dropin { "last" } else { "first" }.to_owned());
            if let Some(dir) = k.dropin_dir {
                raw.dropins = Some("plain".into());
                raw.dropin_dirs = Some(vec![dir]);
            } else {
                // Kensa's scan_pattern is a file-name suffix: `conf` reads DIR/*.conf.
                raw.scan_pattern = k.scan_pattern.map(|suffix| format!("*.{suffix}"));
            }
        }
        "sysctl_value" => {
            raw.key = k.key;
            raw.expected = k.expected;
            raw.comparator = comparator;
        }
        "package_state" | "package_installed" | "package_absent" | "dpkg_installed"
        | "dpkg_absent" => {
            raw.method = Some("package_state".into());
            raw.name = k.name;
            raw.state = Some(match method {
                "package_state" => k.state.unwrap_or_else(|| "present".into()),
                "package_absent" | "dpkg_absent" => "absent".into(),
                _ => "present".into(),
            });
        }
        "apparmor_state" => {
            // Kensa's states are `enforcing` (the default) and `loaded`; plumb's nearest
            // is "enabled" for both.
            match k.state.as_deref().unwrap_or("enforcing") {
                "enforcing" | "loaded" => raw.expected = Some(Scalar("enabled".into())),
                other => {
                    return Err(format!(
                        "`state` must be one of enforcing, loaded, not `{other}`"
                    ));
                }
            }
        }
        "file_exists" | "file_absent" | "file_content_match" => {
            raw.path = path;
            raw.pattern = k.pattern;
        }
        "file_permission" | "file_permissions" => {
            raw.method = Some("file_permission".into());
            raw.path = path;
            raw.mode = k.mode;
            raw.owner = text(k.owner);
            raw.group = text(k.group);
        }
        "file_content" => {
            raw.path = path;
            raw.contains = k.expected_content;
        }
        "service_state" | "service_enabled" | "service_active" => {
            raw.method = Some("service_state".into());
            raw.name = k.name;
            raw.enabled = k.enabled.or((method == "service_enabled").then_some(true));
            raw.active = k.active.or((method == "service_active").then_some(true));
            if raw.enabled.is_none() && raw.active.is_none() {
                return Err("service_state needs `enabled` or `active`".into());
            }
        }
        "audit_rule_exists" => raw.rule = k.rule,
        "sshd_effective_config" => {
            raw.key = k.key;
            raw.expected = k.expected;
        }
        "mount_option" => {
            raw.mount_point = k.mount_point;
            raw.options = k.options;
        }
        "kernel_module_state" => {
            raw.name = k.name;
            raw.state = Some(k.state.unwrap_or_else(|| "disabled".into()));
            if !matches!(raw.state.as_deref(), Some("disabled" | "blacklisted")) {
                return Err(format!(
                    "`state` must be one of disabled, blacklisted, not `{}`",
                    raw.state.unwrap_or_default()
                ));
            }
        }
        "grub_parameter" => {
            raw.name = k.key;
            raw.value = k.expected;
        }
        "selinux_state" => {
            // Kensa compares `getenforce` ignoring case (`Enforcing`).
            raw.expected = k.state.map(|state| Scalar(state.to_ascii_lowercase()));
        }
        "systemd_target" => {
            raw.expected = k.expected.or(k.not_expected);
        }
        "command" => {
            raw.run = k.cmd.or(k.run);
            raw.expected_exit = k.expected_exit;
            raw.not_assessable_exit = k.not_assessable_exit;
            // An empty expected output asserts that the command prints nothing.
            match k.expected_output.or(k.expected_stdout) {
                Some(expected) if expected.trim().is_empty() => raw.stdout_empty = Some(true),
                other => raw.expected_stdout = other,
            }
        }
        "set_compare" => {
            raw.observed_command = k.observed_command;
            raw.authorized = text(k.authorized).map(|list| vec![list]);
        }
        other => return Err(format!("unknown Kensa check method `{other}`")),
    }
    if method == "systemd_target" && raw.expected.is_none() {
        return Err("systemd_target needs `expected` or `not_expected`".into());
    }
    Ok(raw)
}

/// The flags that give a built check Kensa's meaning (see Kensa's check.go).
/// `target_excluded`: a systemd_target with `not_expected` only.
fn kensa_semantics(check: &mut Check, alias_separator: Option<String>, target_excluded: bool) {
    match check {
        Check::ConfigValue(config) => {
            // Values compare with strings.EqualFold, a key alone on its line is the value ""
            // (`expected: ""` asks for exactly that), and quotes stay part of the value.
            if let Some(expectation) = &mut config.expectation {
                expectation.case_insensitive = true;
            }
            config.keep_quotes = true;
            config.bare_key_is_empty = true;
        }
        Check::FilePermission(permission) => {
            // `stat -c %a` compared as a string: the mode must be equal; stat without -L
            // judges a symlink itself.
            permission.exact_mode = true;
            permission.follow_symlinks = false;
        }
        Check::SshdEffectiveConfig {
            expectation,
            first_wins,
            failure_fails,
            ..
        } => {
            // The first `sshd -T` line for the key, compared ignoring case; a failing sshd -T
            // finds no line, which Kensa reports as a fail.
            expectation.case_insensitive = true;
            *first_wins = true;
            *failure_fails = true;
        }
        Check::KernelModuleState {
            state,
            unshipped_passes,
            ..
        } => {
            // `disabled` passes when modprobe finds no such module; `blacklisted` only looks
            // at the blacklist.
            *unshipped_passes = *state == ModuleState::Disabled;
        }
        Check::SetCompare {
            authorized,
            alias_separator: separator,
            equal,
            empty_authorized_skips,
            ..
        } => {
            // One text of members joined by `,` (how a list variable substitutes); only
            // unauthorized members fail.
            let mut members: Vec<String> = authorized
                .iter()
                .flat_map(|text| text.split(LIST_SEPARATOR))
                .map(str::trim)
                .filter(|member| !member.is_empty())
                .map(str::to_owned)
                .collect();
            members.sort();
            members.dedup();
            *authorized = members;
            *separator = alias_separator;
            *equal = false;
            // An empty list means the site has not declared its set yet: not assessable.
            *empty_authorized_skips = true;
        }
        // Against a running systemd, `static` and `generated` units count as enabled.
        Check::ServiceState(service) => service.static_counts_enabled = true,
        // The running command line, and a GRUB_CMDLINE_LINUX line of /etc/default/grub.
        Check::GrubParameter {
            default_grub_only, ..
        } => *default_grub_only = true,
        // `getenforce` alone decides.
        Check::SelinuxState { running_only, .. } => *running_only = true,
        // `grep -F`: each line of the expected content is a literal any line may contain.
        Check::FileContent { any_line, .. } => *any_line = true,
        // `expected` wins when both are given, as in Kensa.
        Check::SystemdTarget { equal, .. } => *equal = !target_excluded,
        _ => {}
    }
}
