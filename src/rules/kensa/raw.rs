//! Kensa's rule file shape, deserialized with positions like plumb's own (`rules::raw`).
//!
//! Every mapping denies keys outside Kensa's set, and each check's parameters are held to
//! Kensa's per-method contract where they are read, so a typo fails at its file:line:column
//! here too.

use crate::rules::model::{Capability, Severity, When};
use crate::rules::raw::{ModeText, Scalar};
use crate::rules::shape::{Checked, Shape};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One Kensa rule as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KensaRule {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub rationale: String,
    pub severity: Severity,
    pub category: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Remediation only (roll back on failure); Kensa's default is true.
    pub transactional: Option<bool>,
    pub references: Option<serde_json::Value>,
    #[serde(default)]
    pub platforms: Vec<KensaPlatform>,
    pub implementations: Vec<KensaImplementation>,
    pub depends_on: Option<Vec<String>>,
    pub conflicts_with: Option<Vec<String>>,
    pub supersedes: Option<Vec<String>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KensaPlatform {
    pub family: String,
    pub min_version: Option<Scalar>,
    pub max_version: Option<Scalar>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KensaImplementation {
    pub when: Option<WhenNode>,
    #[serde(default)]
    pub default: bool,
    pub check: KensaCheckNode,
    /// Kept as written (metadata): plumb does not remediate.
    pub remediation: Option<serde_json::Value>,
}

impl Shape for KensaRule {
    const EXPECTING: &'static str = "a Kensa rule mapping";
    fn validate_shape(&self) -> Result<(), String> {
        if self.id.trim().is_empty() {
            return Err("`id` is empty".into());
        }
        if self.implementations.is_empty() {
            return Err(format!("rule `{}`: `implementations` is empty", self.id));
        }
        let defaults = self.implementations.iter().filter(|i| i.default).count();
        if defaults > 1 {
            return Err(format!(
                "rule `{}` has {defaults} default implementations; it may have one at most",
                self.id
            ));
        }
        if self
            .implementations
            .iter()
            .any(|i| i.default && i.when.is_some())
        {
            return Err(format!(
                "rule `{}`: an implementation has either `when` or `default: true`, not both",
                self.id
            ));
        }
        Ok(())
    }
}

/// `when:` read straight into the model: a capability name, `{all: [...]}` or `{any: [...]}`
/// (nested allowed). Unknown capability names are an error at their position.
#[derive(Clone, Debug)]
pub struct WhenNode(pub When);

impl<'de> Deserialize<'de> for WhenNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WhenVisitor;
        impl<'de> Visitor<'de> for WhenVisitor {
            type Value = WhenNode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a capability name, `all: [...]` or `any: [...]`")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<WhenNode, E> {
                match Capability::parse(name) {
                    Some(capability) => Ok(WhenNode(When::Has(capability))),
                    None => {
                        let known: Vec<_> = Capability::ALL.iter().map(|c| c.as_str()).collect();
                        Err(de::Error::custom(format!(
                            "unknown capability `{name}` (known: {})",
                            known.join(", ")
                        )))
                    }
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WhenNode, A::Error> {
                let Some(key) = map.next_key::<String>()? else {
                    return Err(de::Error::custom("an empty `when` mapping"));
                };
                let items = match key.as_str() {
                    "all" | "any" => map.next_value::<Vec<WhenNode>>()?,
                    other => {
                        return Err(de::Error::custom(format!(
                            "`when: {{{other}: ...}}` is not supported (use a capability, `all` or `any`)"
                        )));
                    }
                };
                if map.next_key::<String>()?.is_some() {
                    return Err(de::Error::custom(
                        "a `when` mapping holds one key, `all` or `any`",
                    ));
                }
                if items.is_empty() {
                    return Err(de::Error::custom(format!("`when: {{{key}: []}}` is empty")));
                }
                let items = items.into_iter().map(|WhenNode(when)| when).collect();
                Ok(WhenNode(if key == "all" {
                    When::All(items)
                } else {
                    When::Any(items)
                }))
            }
        }
        deserializer.deserialize_any(WhenVisitor)
    }
}

/// Every parameter a Kensa check method reads (Kensa's check contract); which ones a method
/// takes is checked in [`KensaCheckNode`].
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KensaCheck {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<Vec<KensaCheckNode>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Scalar>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_expected: Option<Scalar>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan_pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropin_dir: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<ModeText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Scalar>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Scalar>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mount_point: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cmd: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_stdout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_exit: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_assessable_exit: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_command: Option<String>,
    /// One string; a list variable substitutes as members joined by `,`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorized: Option<Scalar>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_separator: Option<String>,
}

/// (method, required, optional, groups of which at least one member is required).
type KensaMethod = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static [&'static str]],
);

/// Kensa's check contract: the parameters each method reads, and no others.
pub const KENSA_METHODS: &[KensaMethod] = &[
    (
        "config_value",
        &["path", "key", "expected"],
        &["delimiter", "scan_pattern", "comparator", "dropin_dir"],
        &[],
    ),
    ("sysctl_value", &["key", "expected"], &["comparator"], &[]),
    ("package_installed", &["name"], &[], &[]),
    ("package_absent", &["name"], &[], &[]),
    ("package_state", &["name"], &["state"], &[]),
    ("dpkg_installed", &["name"], &[], &[]),
    ("dpkg_absent", &["name"], &[], &[]),
    ("apparmor_state", &[], &["state"], &[]),
    ("file_exists", &["path"], &[], &[]),
    ("file_absent", &["path"], &[], &[]),
    (
        "file_permissions",
        &["path"],
        &["mode", "owner", "group"],
        &[],
    ),
    (
        "file_permission",
        &["path"],
        &["mode", "owner", "group"],
        &[],
    ),
    ("file_content_match", &["path", "pattern"], &[], &[]),
    ("file_content", &["path", "expected_content"], &[], &[]),
    ("service_enabled", &["name"], &[], &[]),
    ("service_active", &["name"], &[], &[]),
    ("service_state", &["name"], &["enabled", "active"], &[]),
    ("audit_rule_exists", &["rule"], &[], &[]),
    ("sshd_effective_config", &["key", "expected"], &[], &[]),
    ("mount_option", &["mount_point", "options"], &[], &[]),
    ("kernel_module_state", &["name"], &["state"], &[]),
    ("grub_parameter", &["key", "expected"], &[], &[]),
    ("selinux_state", &["state"], &[], &[]),
    ("systemd_target", &[], &[], &[&["expected", "not_expected"]]),
    (
        "command",
        &[],
        &[
            "expected_output",
            "expected_stdout",
            "expected_exit",
            "not_assessable_exit",
        ],
        &[&["cmd", "run"]],
    ),
    (
        "set_compare",
        &["observed_command", "authorized"],
        &["alias_separator"],
        &[],
    ),
];

impl KensaCheck {
    fn present_params(&self) -> Vec<&'static str> {
        let flags: [(&'static str, bool); 29] = [
            ("path", self.path.is_some()),
            ("key", self.key.is_some()),
            ("expected", self.expected.is_some()),
            ("not_expected", self.not_expected.is_some()),
            ("delimiter", self.delimiter.is_some()),
            ("scan_pattern", self.scan_pattern.is_some()),
            ("comparator", self.comparator.is_some()),
            ("dropin_dir", self.dropin_dir.is_some()),
            ("name", self.name.is_some()),
            ("state", self.state.is_some()),
            ("mode", self.mode.is_some()),
            ("owner", self.owner.is_some()),
            ("group", self.group.is_some()),
            ("pattern", self.pattern.is_some()),
            ("expected_content", self.expected_content.is_some()),
            ("enabled", self.enabled.is_some()),
            ("active", self.active.is_some()),
            ("rule", self.rule.is_some()),
            ("mount_point", self.mount_point.is_some()),
            ("options", self.options.is_some()),
            ("cmd", self.cmd.is_some()),
            ("run", self.run.is_some()),
            ("expected_output", self.expected_output.is_some()),
            ("expected_stdout", self.expected_stdout.is_some()),
            ("expected_exit", self.expected_exit.is_some()),
            ("not_assessable_exit", self.not_assessable_exit.is_some()),
            ("observed_command", self.observed_command.is_some()),
            ("authorized", self.authorized.is_some()),
            ("alias_separator", self.alias_separator.is_some()),
        ];
        flags
            .into_iter()
            .filter(|(_, set)| *set)
            .map(|(name, _)| name)
            .collect()
    }

    fn check_shape(&self) -> Result<(), String> {
        let present = self.present_params();
        let Some(method) = &self.method else {
            return match &self.checks {
                None => Err("a check needs `method` or `checks`".into()),
                Some(checks) if checks.is_empty() => Err("`checks` is empty".into()),
                Some(_) => match present.first() {
                    Some(param) => Err(format!(
                        "`{param}` belongs inside a method check, not next to `checks`"
                    )),
                    None => Ok(()),
                },
            };
        };
        if self.checks.is_some() {
            return Err("a check has `method` or `checks`, not both".into());
        }
        let Some((_, required, optional, one_of)) =
            KENSA_METHODS.iter().find(|(name, ..)| name == method)
        else {
            let known: Vec<_> = KENSA_METHODS.iter().map(|(name, ..)| *name).collect();
            return Err(format!(
                "unknown Kensa check method `{method}` (known: {})",
                known.join(", ")
            ));
        };
        for param in *required {
            if !present.contains(param) {
                return Err(format!("method `{method}` needs `{param}`"));
            }
        }
        for group in *one_of {
            if !group.iter().any(|param| present.contains(param)) {
                return Err(format!(
                    "method `{method}` needs one of `{}`",
                    group.join("`, `")
                ));
            }
        }
        let allowed = |param: &&str| {
            required.contains(param)
                || optional.contains(param)
                || one_of.iter().any(|group| group.contains(param))
        };
        if let Some(param) = present.iter().find(|param| !allowed(param)) {
            return Err(format!(
                "`{param}` is not a parameter of Kensa method `{method}`"
            ));
        }
        if method.starts_with("file_permission")
            && self.mode.is_none()
            && self.owner.is_none()
            && self.group.is_none()
        {
            return Err(format!(
                "{method} needs at least one of `mode`, `owner`, `group`"
            ));
        }
        Ok(())
    }
}

/// A Kensa check mapping whose shape was validated where it was read.
#[derive(Clone, Debug)]
pub struct KensaCheckNode(pub Box<KensaCheck>);

impl Serialize for KensaCheckNode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl Shape for KensaCheck {
    const EXPECTING: &'static str = "a check mapping (`method: ...` or `checks: [...]`)";
    fn validate_shape(&self) -> Result<(), String> {
        self.check_shape()
    }
}

impl<'de> Deserialize<'de> for KensaCheckNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Checked::<KensaCheck>::deserialize(deserializer)
            .map(|Checked(raw)| KensaCheckNode(Box::new(raw)))
    }
}
