//! The YAML shape of rules, deserialized with positions.
//!
//! Plain structs with `deny_unknown_fields` keep serde_norway's line:column in errors; checks that
//! need more than field types are validated inside `visit_map`, which makes the error point at
//! the offending mapping.

use super::model::Capability;
use super::names;
use super::shape::{Checked, Shape};
use super::vars::TextKind;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// A YAML scalar read as text: `expected: 0` and `expected: "0"` mean the same.
#[derive(Clone, Debug, PartialEq)]
pub struct Scalar(pub String);

impl Serialize for Scalar {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// `mode:` exactly as written. It is read as text (not through YAML's number types), so
/// `0o640` is not turned into 416 and `0640` is not a YAML 1.1 octal or a YAML 1.2 string
/// depending on the reader. A value that looks like a number is checked where it is read, so a
/// wrong or ambiguous mode is an error at its own line and column; anything else (set_compare's
/// `subset`/`equal`, a `{{ var }}`) is checked after loading.
#[derive(Clone, Debug, PartialEq)]
pub struct ModeText(pub String);

impl Serialize for ModeText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ModeText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ModeVisitor;
        impl Visitor<'_> for ModeVisitor {
            type Value = ModeText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mode such as '0640'")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ModeText, E> {
                if v.trim_start()
                    .starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-')
                {
                    permission_mode(v).map_err(de::Error::custom)?;
                }
                Ok(ModeText(v.to_owned()))
            }
        }
        deserializer.deserialize_str(ModeVisitor)
    }
}

/// A permission mask as a rule author writes it: octal digits as chmod takes them (`'0640'`,
/// `0640`, `"640"`, `640`) or YAML 1.2's `0o640`. Refused: digits 8 and 9, hex and other
/// notations, and digits without a leading 0 whose chmod reading is not a usual mask (a class
/// allowed more than the one before it, owner > group > others), because that is what a YAML
/// tool writes for an octal number read as decimal (0o640 is dumped as `416`).
pub fn permission_mode(text: &str) -> Result<u32, String> {
    let written = text.trim();
    let usage = "write it as octal digits, like '0640' or 0o640";
    let (digits, explicit) = match written.strip_prefix("0o") {
        Some(rest) => (rest, true),
        None => (written, written.starts_with('0')),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`mode` `{written}` is not a permission mode; {usage}"
        ));
    }
    if digits.bytes().any(|b| b > b'7') {
        return Err(format!(
            "`mode` `{written}` has a digit that is not octal (0-7); {usage}"
        ));
    }
    let mode = u32::from_str_radix(digits, 8)
        .ok()
        .filter(|mode| *mode <= 0o7777)
        .ok_or_else(|| format!("`mode` `{written}` is larger than 07777; {usage}"))?;
    if !explicit && mode >= 0o10 && !is_usual_mask(mode) {
        let decimal = written.parse::<u32>().unwrap_or(u32::MAX);
        let as_decimal = if decimal <= 0o7777 {
            format!(", or the decimal number {decimal} = 0{decimal:o}")
        } else {
            String::new()
        };
        return Err(format!(
            "`mode` `{written}` is ambiguous: chmod digits 0{mode:o}, an unusual mask{as_decimal}; \
             write '0{mode:o}' (or 0o{mode:o}) if that is meant"
        ));
    }
    Ok(mode)
}

/// Each class allows nothing the class before it lacks (owner ⊇ group ⊇ others).
fn is_usual_mask(mode: u32) -> bool {
    let (owner, group, other) = ((mode >> 6) & 7, (mode >> 3) & 7, mode & 7);
    group & !owner == 0 && other & !group == 0
}

/// `path: /x` or `path: [/x, /y]`.
#[derive(Clone, Debug, PartialEq)]
pub struct OneOrMany(pub Vec<String>);

impl Serialize for OneOrMany {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor;
        impl<'de> Visitor<'de> for OneOrManyVisitor {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a path or a list of paths")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                if items.is_empty() {
                    return Err(de::Error::custom("the list of paths is empty"));
                }
                Ok(OneOrMany(items))
            }
        }
        deserializer.deserialize_any(OneOrManyVisitor)
    }
}

/// Every parameter any method takes; which ones a method allows is checked in `CheckNode`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheck {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<Vec<CheckNode>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub any: Option<Vec<CheckNode>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_exit: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_stdout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdout_regex: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_assessable_exit: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Scalar>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<OneOrMany>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<ModeText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_contains: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub includes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan_pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Scalar>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_insensitive_key: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurrence: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persisted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masked: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mount_point: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_fstab: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Scalar>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorized: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdout_empty: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropin_dirs: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropins: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paths: Option<OneOrMany>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wanted_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub if_mounted: Option<bool>,
}

/// (method, required parameters, optional parameters).
type MethodSpec = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

const EXPECT_PARAMS: &[&str] = &["comparator"];

pub const METHODS: &[MethodSpec] = &[
    (
        "command",
        &["run"],
        &[
            "expected_exit",
            "expected_stdout",
            "stdout_regex",
            "not_assessable_exit",
            "timeout",
            "stdout_empty",
        ],
    ),
    ("file_exists", &["path"], &[]),
    ("file_absent", &["path"], &[]),
    (
        "file_permission",
        &["path"],
        &["mode", "owner", "group", "missing"],
    ),
    ("file_content", &["path"], &["contains", "not_contains"]),
    (
        "file_content_match",
        &["path", "pattern"],
        &["expect", "includes"],
    ),
    (
        "config_value",
        &["path", "key"],
        &[
            "scan_pattern",
            "expected",
            "comparator",
            "delimiter",
            "case_insensitive_key",
            "occurrence",
            "missing",
            "stop_at",
            "dropin_dirs",
            "dropins",
        ],
    ),
    (
        "config_line",
        &["paths", "pattern"],
        &["scan_pattern", "expect"],
    ),
    (
        "accounts",
        &["predicate"],
        &["expected", "comparator", "mode", "files", "group"],
    ),
    ("sshd_effective_config", &["key", "expected"], EXPECT_PARAMS),
    (
        "sysctl_value",
        &["key", "expected"],
        &["comparator", "persisted"],
    ),
    ("package_state", &["name"], &["state"]),
    (
        "service_state",
        &["name"],
        &["enabled", "active", "masked", "installed", "wanted_by"],
    ),
    ("kernel_module_state", &["name", "state"], &[]),
    (
        "mount_option",
        &["mount_point"],
        &["options", "in_fstab", "missing", "if_mounted"],
    ),
    ("grub_parameter", &["name"], &["value", "state"]),
    ("audit_rule_exists", &[], &["key", "rule"]),
    (
        "set_compare",
        &["observed_command", "authorized"],
        &["mode", "timeout"],
    ),
    ("systemd_target", &["expected"], &[]),
    ("selinux_state", &["expected"], &[]),
    ("apparmor_state", &["expected"], &[]),
];

pub fn method_names() -> String {
    METHODS
        .iter()
        .map(|(name, _, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl RawCheck {
    /// The parameters that are set, by name (combinators and `method` excluded).
    fn present_params(&self) -> Vec<&'static str> {
        let flags: [(&'static str, bool); 46] = [
            ("run", self.run.is_some()),
            ("expected_exit", self.expected_exit.is_some()),
            ("expected_stdout", self.expected_stdout.is_some()),
            ("stdout_regex", self.stdout_regex.is_some()),
            ("not_assessable_exit", self.not_assessable_exit.is_some()),
            ("timeout", self.timeout.is_some()),
            ("path", self.path.is_some()),
            ("mode", self.mode.is_some()),
            ("owner", self.owner.is_some()),
            ("group", self.group.is_some()),
            ("missing", self.missing.is_some()),
            ("contains", self.contains.is_some()),
            ("not_contains", self.not_contains.is_some()),
            ("pattern", self.pattern.is_some()),
            ("expect", self.expect.is_some()),
            ("includes", self.includes.is_some()),
            ("scan_pattern", self.scan_pattern.is_some()),
            ("key", self.key.is_some()),
            ("expected", self.expected.is_some()),
            ("comparator", self.comparator.is_some()),
            ("delimiter", self.delimiter.is_some()),
            ("case_insensitive_key", self.case_insensitive_key.is_some()),
            ("occurrence", self.occurrence.is_some()),
            ("stop_at", self.stop_at.is_some()),
            ("persisted", self.persisted.is_some()),
            ("name", self.name.is_some()),
            ("state", self.state.is_some()),
            ("enabled", self.enabled.is_some()),
            ("active", self.active.is_some()),
            ("masked", self.masked.is_some()),
            ("mount_point", self.mount_point.is_some()),
            ("options", self.options.is_some()),
            ("in_fstab", self.in_fstab.is_some()),
            ("value", self.value.is_some()),
            ("rule", self.rule.is_some()),
            ("observed_command", self.observed_command.is_some()),
            ("authorized", self.authorized.is_some()),
            ("stdout_empty", self.stdout_empty.is_some()),
            ("dropin_dirs", self.dropin_dirs.is_some()),
            ("dropins", self.dropins.is_some()),
            ("paths", self.paths.is_some()),
            ("predicate", self.predicate.is_some()),
            ("files", self.files.is_some()),
            ("installed", self.installed.is_some()),
            ("wanted_by", self.wanted_by.is_some()),
            ("if_mounted", self.if_mounted.is_some()),
        ];
        flags
            .into_iter()
            .filter(|(_, set)| *set)
            .map(|(name, _)| name)
            .collect()
    }

    /// Structural validation: one of method/checks/any, the method's parameters and no others.
    fn check_shape(&self) -> Result<(), String> {
        let kinds = [
            self.method.is_some(),
            self.checks.is_some(),
            self.any.is_some(),
        ]
        .into_iter()
        .filter(|set| *set)
        .count();
        if kinds != 1 {
            return Err("a check needs exactly one of `method`, `checks` or `any`".into());
        }
        let present = self.present_params();
        let Some(method) = &self.method else {
            if let Some(param) = present.first() {
                return Err(format!(
                    "`{param}` belongs inside a method check, not next to `checks`/`any`"
                ));
            }
            let empty = self
                .checks
                .as_ref()
                .or(self.any.as_ref())
                .is_some_and(Vec::is_empty);
            return if empty {
                Err("`checks`/`any` needs at least one check".into())
            } else {
                Ok(())
            };
        };
        let Some((_, required, optional)) = METHODS.iter().find(|(name, _, _)| name == method)
        else {
            return Err(format!(
                "unknown method `{method}` (known: {})",
                method_names()
            ));
        };
        for param in *required {
            if !present.contains(param) {
                return Err(format!("method `{method}` needs `{param}`"));
            }
        }
        for param in &present {
            if !required.contains(param) && !optional.contains(param) {
                return Err(format!("`{param}` is not a parameter of method `{method}`"));
            }
        }
        match method.as_str() {
            "file_content" if self.contains.is_some() == self.not_contains.is_some() => {
                Err("file_content needs exactly one of `contains` or `not_contains`".into())
            }
            "audit_rule_exists" if self.key.is_some() == self.rule.is_some() => {
                Err("audit_rule_exists needs exactly one of `key` or `rule`".into())
            }
            "file_permission"
                if self.mode.is_none() && self.owner.is_none() && self.group.is_none() =>
            {
                Err("file_permission needs at least one of `mode`, `owner`, `group`".into())
            }
            "service_state"
                if self.enabled.is_none()
                    && self.active.is_none()
                    && self.masked.is_none()
                    && self.installed.is_none()
                    && self.wanted_by.is_none() =>
            {
                Err(
                    "service_state needs at least one of `enabled`, `active`, `masked`, \
                     `installed`, `wanted_by`"
                        .into(),
                )
            }
            _ => self.validate_identifiers(method),
        }
    }

    /// Names that reach a command line or a path, checked here (where the error can point at
    /// the mapping) when they hold no `{{ var }}`; substituted ones are checked after loading.
    fn validate_identifiers(&self, method: &str) -> Result<(), String> {
        let literal = |text: &Option<String>| text.clone().filter(|t| !t.contains("{{"));
        let check: fn(&str) -> Result<String, String> = match method {
            "service_state" => names::unit,
            "package_state" => names::package,
            "kernel_module_state" => names::kernel_module,
            "sysctl_value" => {
                return literal(&self.key).map_or(Ok(()), |key| names::sysctl_key(&key).map(drop));
            }
            _ => return Ok(()),
        };
        literal(&self.name).map_or(Ok(()), |name| check(&name).map(drop))
    }

    /// Applies `f` to every string parameter (for `{{ var }}` substitution).
    /// Shell command text (`run`, `observed_command`) is marked so values in it get quoted.
    pub fn try_map_strings(&mut self, f: &mut StringMap) -> Result<(), String> {
        fn one(slot: &mut Option<String>, kind: TextKind, f: &mut StringMap) -> Result<(), String> {
            if let Some(text) = slot {
                map_text(text, kind, f)?;
            }
            Ok(())
        }
        fn scalar(slot: &mut Option<Scalar>, f: &mut StringMap) -> Result<(), String> {
            if let Some(Scalar(text)) = slot {
                map_text(text, TextKind::Plain, f)?;
            }
            Ok(())
        }
        fn list(slot: &mut Option<Vec<String>>, f: &mut StringMap) -> Result<(), String> {
            for text in slot.iter_mut().flatten() {
                map_text(text, TextKind::Plain, f)?;
            }
            Ok(())
        }
        one(&mut self.run, TextKind::Shell, f)?;
        one(&mut self.observed_command, TextKind::Shell, f)?;
        for slot in [
            &mut self.expected_stdout,
            &mut self.stdout_regex,
            &mut self.owner,
            &mut self.group,
            &mut self.contains,
            &mut self.not_contains,
            &mut self.pattern,
            &mut self.scan_pattern,
            &mut self.key,
            &mut self.stop_at,
            &mut self.name,
            &mut self.mount_point,
            &mut self.rule,
            &mut self.dropins,
            &mut self.predicate,
            &mut self.wanted_by,
        ] {
            one(slot, TextKind::Plain, f)?;
        }
        for slot in [&mut self.expected, &mut self.value, &mut self.timeout] {
            scalar(slot, f)?;
        }
        if let Some(ModeText(text)) = &mut self.mode {
            map_text(text, TextKind::Plain, f)?;
        }
        list(&mut self.options, f)?;
        list(&mut self.authorized, f)?;
        list(&mut self.dropin_dirs, f)?;
        list(&mut self.files, f)?;
        for OneOrMany(paths) in [&mut self.path, &mut self.paths].into_iter().flatten() {
            for path in paths {
                map_text(path, TextKind::Plain, f)?;
            }
        }
        for child in self.checks.iter_mut().chain(self.any.iter_mut()).flatten() {
            child.0.try_map_strings(f)?;
        }
        Ok(())
    }
}

/// `f` applied to `text` when it holds a `{{`: substitution leaves other text as it is, and
/// most parameters have none, so they are not copied.
fn map_text(text: &mut String, kind: TextKind, f: &mut StringMap) -> Result<(), String> {
    if text.contains("{{") {
        *text = f(text, kind)?;
    }
    Ok(())
}

/// What `try_map_strings` applies to each string parameter.
pub type StringMap<'a> = dyn FnMut(&str, TextKind) -> Result<String, String> + 'a;

/// A check mapping whose shape was validated where it was read.
#[derive(Clone, Debug)]
// Boxed: a raw check is over a kilobyte of mostly empty fields, and is moved several times
// between parsing and building.
pub struct CheckNode(pub Box<RawCheck>);

impl Serialize for CheckNode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CheckNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Checked::<RawCheck>::deserialize(deserializer).map(|Checked(raw)| CheckNode(Box::new(raw)))
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlatform {
    pub family: String,
    pub min_version: Option<Scalar>,
    pub max_version: Option<Scalar>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawImplementation {
    pub when: Option<String>,
    pub default: Option<bool>,
    pub check: CheckNode,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub rationale: String,
    pub severity: super::model::Severity,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Named benchmark profiles the rule belongs to (`cis_l1_server`, ...).
    #[serde(default)]
    pub profiles: Vec<String>,
    #[serde(default)]
    /// Read straight into JSON, the form reports carry it in.
    pub references: Option<serde_json::Value>,
    #[serde(default)]
    pub platforms: Vec<RawPlatform>,
    #[serde(default)]
    pub vars: BTreeMap<String, Scalar>,
    #[serde(default)]
    pub remediation: String,
    /// Where plumb's reading deliberately differs from a common reading.
    #[serde(default)]
    pub notes: String,
    /// Evidence shows verdicts only, never the text the check read.
    #[serde(default)]
    pub sensitive: bool,
    pub check: Option<CheckNode>,
    pub checks: Option<Vec<CheckNode>>,
    pub any: Option<Vec<CheckNode>>,
    pub implementations: Option<Vec<RawImplementation>>,
}

impl Shape for RawCheck {
    const EXPECTING: &'static str =
        "a check mapping (`method: ...`, `checks: [...]` or `any: [...]`)";
    fn validate_shape(&self) -> Result<(), String> {
        self.check_shape()
    }
}

impl Shape for RawRule {
    const EXPECTING: &'static str = "a rule mapping";
    fn validate_shape(&self) -> Result<(), String> {
        if self.id.trim().is_empty() {
            return Err("`id` is empty".into());
        }
        if let Some(bad) = self.profiles.iter().find(|p| !is_profile_name(p)) {
            return Err(format!(
                "rule `{}`: profile `{bad}` is not a profile name (lowercase letters, digits and `_`)",
                self.id
            ));
        }
        let bodies = [
            self.check.is_some(),
            self.checks.is_some(),
            self.any.is_some(),
            self.implementations.is_some(),
        ];
        if bodies.into_iter().filter(|set| *set).count() != 1 {
            return Err(format!(
                "rule `{}` needs exactly one of `check`, `checks`, `any` or `implementations`",
                self.id
            ));
        }
        if let Some(implementations) = &self.implementations {
            let mut defaults = 0;
            for implementation in implementations {
                match (&implementation.when, implementation.default) {
                    (Some(_), Some(_)) | (None, None) | (None, Some(false)) => {
                        return Err(format!(
                            "rule `{}`: each implementation needs either `when: CAPABILITY` or `default: true`",
                            self.id
                        ));
                    }
                    (Some(name), None) if Capability::parse(name).is_none() => {
                        let known: Vec<_> = Capability::ALL.iter().map(|c| c.as_str()).collect();
                        return Err(format!(
                            "rule `{}`: unknown capability `{name}` (known: {})",
                            self.id,
                            known.join(", ")
                        ));
                    }
                    (Some(_), None) => {}
                    (None, Some(true)) => defaults += 1,
                }
            }
            if defaults != 1 {
                return Err(format!(
                    "rule `{}` has {defaults} default implementations; it needs exactly one",
                    self.id
                ));
            }
        }
        for checks in [&self.checks, &self.any].into_iter().flatten() {
            if checks.is_empty() {
                return Err(format!("rule `{}`: `checks`/`any` is empty", self.id));
            }
        }
        Ok(())
    }
}

/// A profile name: `[a-z0-9_]+`, so it is one word in a flag, a table and a file name.
pub fn is_profile_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}
