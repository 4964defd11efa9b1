//! The hosts of a scan: CLI hosts, inventory hosts and this machine, and how each is reached.

use super::*;
use crate::error::{Error, Result};

/// The hosts of this run: CLI hosts, inventory hosts, and this machine, each with the rule set
/// its variables give.
pub(super) fn targets(
    args: &ScanArgs,
    plan: &Plan,
    ssh_options: &SshOptions,
) -> Result<(Vec<ScanTarget>, Vec<RuleSet>)> {
    let mut rule_sets: Vec<(rules::Vars, RuleSet)> = vec![plan.rules.clone()];
    let mut rules_for = |host: Option<(&Path, &inventory::InventoryHost)>| -> Result<usize> {
        let mut inventory = None;
        if let Some((file, host)) = host {
            let origin = rules::VarOrigin::Inventory {
                file: file.display().to_string(),
                host: host.name.clone(),
            };
            inventory = Some(rules::vars_from(&host.vars, &origin));
            for name in host
                .vars
                .keys()
                .filter(|n| plan.policy_vars.contains_key(*n))
            {
                tracing::warn!(
                    "{origin} sets `{name}`, which the policy sets; the policy's value applies"
                );
            }
        }
        let merged = super::merge_vars(
            &plan.file_vars,
            inventory,
            Some(&plan.policy_vars),
            &plan.cli_vars,
        );
        // Hosts whose values and kinds of origin agree share one rule set; which inventory
        // host a value came from only names it in a load error.
        let same = |known: &rules::Vars| {
            known.len() == merged.len()
                && known.iter().zip(&merged).all(|((n1, v1), (n2, v2))| {
                    n1 == n2
                        && v1.value == v2.value
                        && std::mem::discriminant(&v1.origin) == std::mem::discriminant(&v2.origin)
                })
        };
        if let Some(index) = rule_sets.iter().position(|(known, _)| same(known)) {
            return Ok(index);
        }
        let set = select(rules::load_as(&plan.sources, &merged, plan.dialect)?, args)?;
        rule_sets.push((merged, set));
        Ok(rule_sets.len() - 1)
    };
    let mut targets = Vec::new();
    let remote = |name: &str, destination: &str, options: SshOptions| -> Result<Via> {
        SshTarget::new(destination, options)
            .map(|target| Via::Ssh(Box::new(target)))
            .map_err(|source| Error::Target {
                host: name.to_owned(),
                source: Box::new(source),
            })
    };
    for host in &args.hosts {
        targets.push(ScanTarget {
            probe: Probe {
                name: host.clone(),
                via: remote(host, host, ssh_options.clone())?,
                root: None,
                plan: 0,
            },
            record: host_record(host, None, None, None, BTreeMap::new()),
            groups: Default::default(),
            rules: rules_for(None)?,
        });
    }
    if let Some(path) = &args.inventory.inventory {
        let selected = inventory_hosts(path, &args.inventory.limit)?;
        for host in selected {
            let via = if host.local {
                local_via(args)
            } else {
                let mut options = ssh_options.clone();
                options.user = host.user.clone().or(options.user);
                options.port = host.port.or(options.port);
                let destination = host.address.clone().unwrap_or_else(|| host.name.clone());
                remote(&host.name, &destination, options)?
            };
            targets.push(ScanTarget {
                probe: Probe {
                    name: host.name.clone(),
                    via,
                    root: host.root.clone(),
                    plan: 0,
                },
                rules: rules_for(Some((path, &host)))?,
                groups: host.groups.clone(),
                record: host_record(&host.name, host.address, host.port, host.user, host.labels),
            });
        }
    }
    if !args.inventory.limit.is_empty() && args.inventory.inventory.is_none() {
        return Err(Error::args(
            "--limit selects inventory hosts; pass -i/--inventory FILE",
        ));
    }
    if args.local || targets.is_empty() {
        let root = match &args.root {
            Some(root) => Some(scan_root(root)?),
            None => None,
        };
        let name = host_name(args, root.as_deref());
        targets.push(ScanTarget {
            probe: Probe {
                name: name.clone(),
                via: local_via(args),
                root: root.map(|r| r.display().to_string()),
                plan: 0,
            },
            record: host_record(&name, None, None, None, BTreeMap::new()),
            groups: Default::default(),
            rules: rules_for(None)?,
        });
    } else if args.root.is_some() {
        return Err(Error::args(
            "--root applies to this machine; with remote hosts add --local, or give a per-host `root` in the inventory",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for target in &targets {
        if !seen.insert(target.record.name.as_str()) {
            return Err(Error::args(format!(
                "host `{}` is named twice",
                target.record.name
            )));
        }
    }
    Ok((targets, rule_sets.into_iter().map(|(_, set)| set).collect()))
}

/// The hosts of an inventory that `--limit` selects; none selected is a usage error.
pub fn inventory_hosts(path: &Path, patterns: &[String]) -> Result<Vec<inventory::InventoryHost>> {
    let limit = inventory::Limit::new(patterns).map_err(Error::Args)?;
    let hosts = inventory::load(path)?;
    let selected: Vec<_> = hosts.into_iter().filter(|h| limit.selects(h)).collect();
    if selected.is_empty() {
        let limits: Vec<String> = patterns.iter().map(|p| format!("`{p}`")).collect();
        return Err(Error::args(format!(
            "no host of {} matches --limit {}",
            path.display(),
            limits.join(" and --limit ")
        )));
    }
    Ok(selected)
}

/// This machine: the native reader, or the shell probe with `--via-shell`.
fn local_via(args: &ScanArgs) -> Via {
    if args.via_shell {
        Via::LocalShell
    } else {
        Via::Native
    }
}

pub(super) fn host_record(
    name: &str,
    address: Option<String>,
    port: Option<u16>,
    user: Option<String>,
    labels: BTreeMap<String, String>,
) -> HostRecord {
    HostRecord {
        name: name.to_owned(),
        address,
        port,
        user,
        labels,
    }
}

/// SSH settings: flags, then the policy's `ssh:` section, then defaults.
pub(super) fn ssh_options(args: &ScanArgs, plan: &Plan) -> SshOptions {
    let ssh = &args.ssh;
    let policy = plan.ssh.as_ref();
    let mut options = SshOptions {
        user: ssh.user.clone(),
        port: ssh.port,
        identity: ssh.identity.clone(),
        ssh_options: ssh.ssh_options.clone(),
        config_file: ssh.ssh_config.clone(),
        known_hosts: ssh.known_hosts.clone(),
        sudo: ssh.sudo || policy.is_some_and(|p| p.sudo),
        max_output: ssh.max_output,
        ..SshOptions::default()
    };
    options.host_key_policy = ssh
        .host_key_policy
        .or(policy.map(|p| p.host_key_policy))
        .unwrap_or_default();
    if let Some(seconds) = ssh.connect_timeout {
        options.connect_timeout = std::time::Duration::from_secs(seconds.max(1));
    } else if let Some(policy) = policy {
        options.connect_timeout = policy.connect_timeout.as_duration();
    }
    if let Some(seconds) = ssh.probe_timeout {
        options.probe_timeout = std::time::Duration::from_secs(seconds.max(1));
    } else if let Some(policy) = policy {
        options.probe_timeout = policy.probe_timeout.as_duration();
    }
    options
}

pub(super) fn concurrency(args: &ScanArgs, plan: &Plan) -> usize {
    args.ssh
        .concurrency
        .or(plan.ssh.as_ref().map(|p| p.concurrency))
        .unwrap_or(crate::defaults::CONCURRENCY) as usize
}

pub(super) fn scan_root(root: &Path) -> Result<PathBuf> {
    const ACTION: &str = "read the --root directory";
    let meta = std::fs::metadata(root).map_err(|source| Error::io(ACTION, root, source))?;
    if !meta.is_dir() {
        let source = std::io::Error::from(std::io::ErrorKind::NotADirectory);
        return Err(Error::io(ACTION, root, source));
    }
    Ok(root.to_owned())
}

pub(super) fn host_name(args: &ScanArgs, root: Option<&Path>) -> String {
    if let Some(name) = &args.host_name {
        return name.clone();
    }
    if let Some(root) = root {
        let canonical = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_owned());
        return canonical.file_name().map_or_else(
            || canonical.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
    }
    local_hostname()
}

pub fn local_hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc == 0 {
        let len = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        if let Ok(name) = std::str::from_utf8(&buf[..len]) {
            if !name.is_empty() {
                return name.to_owned();
            }
        }
    }
    "localhost".into()
}
