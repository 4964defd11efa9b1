//! Inventories: plumb's own YAML format and Ansible's YAML inventory, read into one host list.
//!
//! plumb's format:
//! ```yaml
//! vars: { banner_file: /etc/issue }          # for every host
//! groups: { web: { vars: { max_auth_tries: "3" } } }
//! hosts:
//!   web-1: { address: 10.0.0.5, port: 22, user: ops, groups: [web],
//!            labels: { env: prod }, vars: {}, root: /srv/image }
//!   image-1: { connection: local, root: /srv/images/web }   # a tree on this machine
//! ```
//! Ansible's: `all:` with `hosts`, `vars` and nested `children`; `ansible_host`, `ansible_port`,
//! `ansible_user` and `ansible_connection` (`ssh` or `local`) give the connection, other
//! variables become rule variables.

use crate::yaml_bounds::{self, Aliases, MAX_YAML_BYTES};
use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InventoryHost {
    pub name: String,
    /// Where to connect (defaults to the name, which may be an ssh_config alias).
    pub address: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub groups: BTreeSet<String>,
    pub labels: BTreeMap<String, String>,
    /// Rule variables, already merged (all < groups < host).
    pub vars: BTreeMap<String, String>,
    /// Scan this directory on the host instead of its live system.
    pub root: Option<String>,
    /// This machine (or a tree on it, with `root`), scanned without ssh.
    pub local: bool,
}

/// How a host is reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Connection {
    #[default]
    Ssh,
    Local,
}

impl Connection {
    /// Ansible's `ansible_connection` value (`smart` is its name for ssh).
    fn from_ansible(value: &str) -> Option<Connection> {
        match value {
            "ssh" | "smart" => Some(Connection::Ssh),
            "local" => Some(Connection::Local),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("cannot read the inventory {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },
}

fn invalid(location: impl Into<String>, message: impl Into<String>) -> InventoryError {
    InventoryError::Invalid {
        location: location.into(),
        message: message.into(),
    }
}

pub fn load(path: &Path) -> Result<Vec<InventoryHost>, InventoryError> {
    let text = crate::bounded_read::read_regular_text(path, MAX_YAML_BYTES).map_err(|source| {
        InventoryError::Io {
            path: path.display().to_string(),
            source,
        }
    })?;
    parse(&text, &path.display().to_string())
}

/// Parses either format; a top-level `all:` mapping means Ansible.
pub fn parse(text: &str, name: &str) -> Result<Vec<InventoryHost>, InventoryError> {
    // Ansible inventories do use anchors, so aliases are allowed within the expansion bound.
    yaml_bounds::check(text, Aliases::Bounded).map_err(|refusal| {
        invalid(
            format!("{name}{}", refusal.location_suffix()),
            refusal.message,
        )
    })?;
    let value: Value = serde_yaml::from_str(text).map_err(|err| yaml_error(name, &err))?;
    let is_ansible = value
        .as_mapping()
        .is_some_and(|map| map.contains_key(Value::from("all")));
    let mut hosts = if is_ansible {
        parse_ansible(&value, name)?
    } else {
        parse_plumb(text, name)?
    };
    hosts.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(hosts)
}

fn yaml_error(name: &str, err: &serde_yaml::Error) -> InventoryError {
    let location = match err.location() {
        Some(at) => format!("{name}:{}:{}", at.line(), at.column()),
        None => name.to_owned(),
    };
    let message = err.to_string();
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    };
    invalid(location, message)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlumbInventory {
    #[serde(default)]
    vars: BTreeMap<String, Scalar>,
    #[serde(default)]
    groups: BTreeMap<String, PlumbGroup>,
    hosts: BTreeMap<String, Option<PlumbHost>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlumbGroup {
    #[serde(default)]
    vars: BTreeMap<String, Scalar>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PlumbHost {
    address: Option<String>,
    port: Option<u16>,
    user: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    labels: BTreeMap<String, Scalar>,
    #[serde(default)]
    vars: BTreeMap<String, Scalar>,
    root: Option<String>,
    #[serde(default)]
    connection: Connection,
}

/// Any YAML scalar, as text.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Int(n) => n.to_string(),
            Self::Float(n) => n.to_string(),
            Self::Bool(b) => b.to_string(),
        }
    }
}

fn texts(map: &BTreeMap<String, Scalar>) -> BTreeMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), v.text())).collect()
}

fn parse_plumb(text: &str, name: &str) -> Result<Vec<InventoryHost>, InventoryError> {
    let inventory: PlumbInventory =
        serde_yaml::from_str(text).map_err(|err| yaml_error(name, &err))?;
    let mut hosts = Vec::new();
    for (host_name, host) in inventory.hosts {
        let host = host.unwrap_or_default();
        let mut vars = texts(&inventory.vars);
        for group in &host.groups {
            let group_vars = inventory.groups.get(group).ok_or_else(|| {
                invalid(
                    name,
                    format!(
                        "host `{host_name}` is in group `{group}`, which `groups` does not define"
                    ),
                )
            })?;
            vars.extend(texts(&group_vars.vars));
        }
        vars.extend(texts(&host.vars));
        hosts.push(InventoryHost {
            name: host_name,
            address: host.address,
            port: host.port,
            user: host.user,
            groups: host.groups.into_iter().collect(),
            labels: texts(&host.labels),
            vars,
            root: host.root,
            local: host.connection == Connection::Local,
        });
    }
    Ok(hosts)
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_map(
    value: Option<&Value>,
    name: &str,
    what: &str,
) -> Result<BTreeMap<String, String>, InventoryError> {
    let Some(value) = value else {
        return Ok(BTreeMap::new());
    };
    if value.is_null() {
        return Ok(BTreeMap::new());
    }
    let map = value
        .as_mapping()
        .ok_or_else(|| invalid(name, format!("{what} must be a mapping")))?;
    let mut out = BTreeMap::new();
    for (key, value) in map {
        let key =
            scalar_text(key).ok_or_else(|| invalid(name, format!("{what} has a non-text key")))?;
        // Lists and mappings are Ansible-only data that rules cannot use; skip them.
        if let Some(value) = scalar_text(value) {
            out.insert(key, value);
        }
    }
    Ok(out)
}

/// Walks Ansible's group tree; host variables win over group variables, children over parents.
fn parse_ansible(root: &Value, name: &str) -> Result<Vec<InventoryHost>, InventoryError> {
    let mut hosts: BTreeMap<String, InventoryHost> = BTreeMap::new();
    let all = root.get("all").cloned().unwrap_or(Value::Null);
    walk_group("all", &all, &BTreeMap::new(), &[], name, &mut hosts, 0)?;
    Ok(hosts.into_values().collect())
}

fn walk_group(
    group: &str,
    node: &Value,
    inherited: &BTreeMap<String, String>,
    path: &[String],
    name: &str,
    hosts: &mut BTreeMap<String, InventoryHost>,
    depth: usize,
) -> Result<(), InventoryError> {
    if depth > 64 {
        return Err(invalid(name, "groups nest more than 64 levels deep"));
    }
    if !node.is_null() && !node.is_mapping() {
        return Err(invalid(name, format!("group `{group}` must be a mapping")));
    }
    for key in node.as_mapping().into_iter().flat_map(|m| m.keys()) {
        if !matches!(key.as_str(), Some("hosts" | "vars" | "children")) {
            return Err(invalid(
                name,
                format!("group `{group}` has unknown key {key:?} (expected hosts, vars, children)"),
            ));
        }
    }
    let mut vars = inherited.clone();
    vars.extend(string_map(
        node.get("vars"),
        name,
        &format!("vars of group `{group}`"),
    )?);
    let mut groups = path.to_vec();
    if group != "all" {
        groups.push(group.to_owned());
    }
    if let Some(list) = node.get("hosts").filter(|v| !v.is_null()) {
        let list = list
            .as_mapping()
            .ok_or_else(|| invalid(name, format!("hosts of group `{group}` must be a mapping")))?;
        for (host_name, host_vars) in list {
            let host_name = scalar_text(host_name).ok_or_else(|| {
                invalid(name, format!("group `{group}` has a non-text host name"))
            })?;
            let own = string_map(Some(host_vars), name, &format!("host `{host_name}`"))?;
            let entry = hosts
                .entry(host_name.clone())
                .or_insert_with(|| InventoryHost {
                    name: host_name.clone(),
                    ..InventoryHost::default()
                });
            entry.groups.extend(groups.iter().cloned());
            let mut merged = vars.clone();
            merged.extend(entry.vars.clone());
            merged.extend(own);
            entry.address = merged.remove("ansible_host").or(entry.address.take());
            if let Some(port) = merged.remove("ansible_port") {
                entry.port = Some(port.parse().map_err(|_| {
                    invalid(
                        name,
                        format!("host `{host_name}`: ansible_port `{port}` is not a port"),
                    )
                })?);
            }
            entry.user = merged.remove("ansible_user").or(entry.user.take());
            entry.root = merged.remove("plumb_root").or(entry.root.take());
            if let Some(connection) = merged.remove("ansible_connection") {
                entry.local = Connection::from_ansible(&connection)
                    .ok_or_else(|| {
                        invalid(
                            name,
                            format!(
                                "host `{host_name}`: ansible_connection `{connection}` is not supported (ssh or local)"
                            ),
                        )
                    })?
                    == Connection::Local;
            }
            merged.retain(|key, _| !key.starts_with("ansible_"));
            entry.vars = merged;
        }
    }
    if let Some(children) = node.get("children").filter(|v| !v.is_null()) {
        let children = children.as_mapping().ok_or_else(|| {
            invalid(
                name,
                format!("children of group `{group}` must be a mapping"),
            )
        })?;
        for (child, child_node) in children {
            let child = scalar_text(child)
                .ok_or_else(|| invalid(name, format!("group `{group}` has a non-text child")))?;
            walk_group(&child, child_node, &vars, &groups, name, hosts, depth + 1)?;
        }
    }
    Ok(())
}

/// `--limit`: Ansible host patterns (see README, "Selecting hosts").
///
/// One `--limit` is a pattern of terms separated by `,` (or `:` when there is no comma):
/// plain terms are a union, `&term` intersects, `!term` excludes. As in Ansible the plain terms
/// are applied first, then the intersections, then the exclusions, whatever their order, and a
/// pattern of only `&`/`!` terms starts from all hosts. A term is `all`, a glob, or `~regex`
/// (matched from the start); it matches a host's name, one of its groups, and (plumb's
/// addition) a label value or `key=value`. Ansible reads only the last `--limit`; plumb
/// intersects them, so each one narrows the run.
pub struct Limit {
    patterns: Vec<Pattern>,
}

struct Pattern {
    union: Vec<Term>,
    intersect: Vec<Term>,
    exclude: Vec<Term>,
}

enum Term {
    All,
    Glob(GlobMatcher),
    Regex(regex::Regex),
}

impl Limit {
    pub fn new(patterns: &[String]) -> Result<Self, String> {
        let patterns = patterns
            .iter()
            .map(|pattern| Pattern::parse(pattern))
            .collect::<Result<_, _>>()?;
        Ok(Self { patterns })
    }

    /// Whether every `--limit` pattern selects `host`.
    pub fn selects(&self, host: &InventoryHost) -> bool {
        self.patterns.iter().all(|pattern| pattern.selects(host))
    }
}

impl Pattern {
    fn parse(pattern: &str) -> Result<Self, String> {
        let mut parsed = Pattern {
            union: Vec::new(),
            intersect: Vec::new(),
            exclude: Vec::new(),
        };
        for term in split_pattern(pattern) {
            let (list, text) = if let Some(text) = term.strip_prefix('&') {
                (&mut parsed.intersect, text)
            } else if let Some(text) = term.strip_prefix('!') {
                (&mut parsed.exclude, text)
            } else {
                (&mut parsed.union, term)
            };
            list.push(Term::parse(text.trim()).map_err(|err| {
                format!("--limit `{pattern}`: `{term}` is not a valid pattern: {err}")
            })?);
        }
        if parsed.union.is_empty() && parsed.intersect.is_empty() && parsed.exclude.is_empty() {
            return Err(format!("--limit `{pattern}` names no host, group or label"));
        }
        Ok(parsed)
    }

    fn selects(&self, host: &InventoryHost) -> bool {
        let included = self.union.is_empty() || self.union.iter().any(|t| t.selects(host));
        included
            && self.intersect.iter().all(|t| t.selects(host))
            && !self.exclude.iter().any(|t| t.selects(host))
    }
}

/// Ansible's split: on commas when there are any, else on colons (a lone IPv6 address stays
/// whole); terms are trimmed and empty ones dropped.
fn split_pattern(pattern: &str) -> Vec<&str> {
    let terms: Vec<&str> = if pattern.contains(',') {
        pattern.split(',').collect()
    } else if pattern.trim().parse::<std::net::Ipv6Addr>().is_ok() {
        vec![pattern]
    } else {
        pattern.split(':').collect()
    };
    terms
        .into_iter()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

impl Term {
    fn parse(text: &str) -> Result<Self, String> {
        if text == "all" {
            return Ok(Self::All);
        }
        if let Some(expression) = text.strip_prefix('~') {
            // Ansible uses Python's re.match: anchored at the start only.
            return regex::Regex::new(&format!("^(?:{expression})"))
                .map(Self::Regex)
                .map_err(|err| err.to_string());
        }
        Glob::new(text)
            .map(|glob| Self::Glob(glob.compile_matcher()))
            .map_err(|err| err.to_string())
    }

    fn matches(&self, text: &str) -> bool {
        match self {
            Self::All => true,
            Self::Glob(glob) => glob.is_match(text),
            Self::Regex(regex) => regex.is_match(text),
        }
    }

    fn selects(&self, host: &InventoryHost) -> bool {
        self.matches(&host.name)
            || host.groups.iter().any(|g| self.matches(g))
            || host
                .labels
                .iter()
                .any(|(k, v)| self.matches(v) || self.matches(&format!("{k}={v}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plumb_inventory_merges_vars_and_keeps_roots() {
        let text = "
vars: { a: '1', b: '1' }
groups: { web: { vars: { b: '2', c: '2' } } }
hosts:
  web-1: { address: 10.0.0.5, port: 2222, user: ops, groups: [web], labels: { env: prod }, vars: { c: '3' }, root: /srv/img }
  bare:
";
        let hosts = parse(text, "inv.yml").unwrap();
        assert_eq!(hosts.len(), 2);
        let web = hosts.iter().find(|h| h.name == "web-1").unwrap();
        assert_eq!(web.address.as_deref(), Some("10.0.0.5"));
        assert_eq!(web.port, Some(2222));
        assert_eq!(web.root.as_deref(), Some("/srv/img"));
        assert_eq!(web.vars["a"], "1");
        assert_eq!(web.vars["b"], "2");
        assert_eq!(web.vars["c"], "3");
        assert_eq!(web.labels["env"], "prod");
    }

    #[test]
    fn local_connections_in_both_formats() {
        let plumb = "hosts:\n  img: { connection: local, root: /srv/img }\n  web: { connection: ssh }\n  bare:\n";
        let hosts = parse(plumb, "inv.yml").unwrap();
        let local: Vec<(&str, bool)> = hosts.iter().map(|h| (h.name.as_str(), h.local)).collect();
        assert_eq!(local, [("bare", false), ("img", true), ("web", false)]);
        let err = parse("hosts:\n  a: { connection: docker }\n", "inv.yml").unwrap_err();
        assert!(err.to_string().contains("inv.yml:2:"), "{err}");

        let ansible = "all:\n  hosts:\n    img: { ansible_connection: local, plumb_root: /srv/img }\n    web: { ansible_connection: smart }\n";
        let hosts = parse(ansible, "inv.yml").unwrap();
        let img = hosts.iter().find(|h| h.name == "img").unwrap();
        assert!(img.local && img.root.as_deref() == Some("/srv/img"));
        assert!(!img.vars.contains_key("ansible_connection"));
        assert!(!hosts.iter().find(|h| h.name == "web").unwrap().local);
        let err = parse(
            "all:\n  hosts:\n    a: { ansible_connection: winrm }\n",
            "inv.yml",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("ansible_connection `winrm`"),
            "{err}"
        );
    }

    #[test]
    fn plumb_inventory_rejects_unknown_keys_with_a_position() {
        let err = parse("hosts:\n  a: { adress: x }\n", "inv.yml").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("inv.yml:2:"), "{text}");
        assert!(text.contains("unknown field `adress`"), "{text}");
    }

    #[test]
    fn ansible_inventory_walks_children_with_precedence() {
        let text = "
all:
  vars: { ntp: pool, level: all }
  hosts:
    lone: { ansible_host: 10.0.0.9 }
  children:
    web:
      vars: { level: web }
      hosts:
        w1: { ansible_host: 10.0.0.1, ansible_port: 2201, ansible_user: deploy, level: host }
      children:
        canary:
          hosts:
            w2:
";
        let hosts = parse(text, "hosts.yml").unwrap();
        let get = |n: &str| hosts.iter().find(|h| h.name == n).unwrap();
        let w1 = get("w1");
        assert_eq!(
            (w1.address.as_deref(), w1.port, w1.user.as_deref()),
            (Some("10.0.0.1"), Some(2201), Some("deploy"))
        );
        assert_eq!(w1.vars["level"], "host");
        assert_eq!(w1.vars["ntp"], "pool");
        assert!(!w1.vars.contains_key("ansible_host"));
        let w2 = get("w2");
        assert_eq!(w2.vars["level"], "web");
        assert!(w2.groups.contains("web") && w2.groups.contains("canary"));
        assert_eq!(get("lone").vars["level"], "all");
    }

    #[test]
    fn limit_matches_names_groups_and_labels() {
        let host = InventoryHost {
            name: "db-1".into(),
            groups: ["database".to_owned()].into(),
            labels: [("env".to_owned(), "prod".to_owned())].into(),
            ..InventoryHost::default()
        };
        for pattern in ["db-*", "data*", "prod", "env=prod", "web,db-1"] {
            assert!(
                Limit::new(&[pattern.into()]).unwrap().selects(&host),
                "{pattern}"
            );
        }
        assert!(!Limit::new(&["web-*".into()]).unwrap().selects(&host));
        assert!(Limit::new(&["[".into()]).is_err());
        assert!(Limit::new(&["~(".into()]).is_err());
        assert!(Limit::new(&[" , ".into()]).is_err());
    }

    #[test]
    fn limit_follows_ansible_host_patterns() {
        let host = |name: &str, groups: &[&str], env: &str| InventoryHost {
            name: name.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            labels: [("env".to_owned(), env.to_owned())].into(),
            ..InventoryHost::default()
        };
        let hosts = [
            host("web-1", &["web"], "prod"),
            host("web-2", &["web"], "staging"),
            host("db-1", &["db"], "prod"),
            host("lb-1", &["edge", "web"], "prod"),
        ];
        let pick = |limits: &[&str]| -> Vec<&str> {
            let limit =
                Limit::new(&limits.iter().map(|l| l.to_string()).collect::<Vec<_>>()).unwrap();
            hosts
                .iter()
                .filter(|h| limit.selects(h))
                .map(|h| h.name.as_str())
                .collect()
        };
        assert_eq!(
            pick(&["db:web-1"]),
            ["web-1", "db-1"],
            "union, inventory order"
        );
        assert_eq!(pick(&["web:&prod"]), ["web-1", "lb-1"]);
        assert_eq!(pick(&["web:!edge"]), ["web-1", "web-2"]);
        // Exclusions apply last and intersections after unions, whatever the written order.
        assert_eq!(pick(&["!edge:&prod:web"]), ["web-1"]);
        assert_eq!(pick(&["!web"]), ["db-1"], "only exclusions: from all hosts");
        assert_eq!(pick(&["all:!prod"]), ["web-2"]);
        assert_eq!(pick(&["~(web|db)-1"]), ["web-1", "db-1"]);
        assert_eq!(
            pick(&["~eb"]),
            Vec::<&str>::new(),
            "a regex is anchored at the start"
        );
        assert_eq!(pick(&["web-*,lb-?"]), ["web-1", "web-2", "lb-1"]);
        // Several --limit flags: each narrows the run.
        assert_eq!(pick(&["web-*", "env=prod"]), ["web-1"]);
    }
}
