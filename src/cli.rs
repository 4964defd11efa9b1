//! Command-line definitions (clap derive). Also the source of completions/ and man/.

use crate::report::Format;
use crate::rules::Severity;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "plumb",
    version,
    about = "Agentless compliance scanning of Linux hosts",
    long_about = "Agentless compliance scanning of Linux hosts.\n\nplumb checks hosts against YAML rules, locally or over SSH, gathering every fact a host needs in one round trip and evaluating in Rust.",
    after_help = crate::exit::HELP_TEXT,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// When to use colors (auto: only on a terminal, and never when NO_COLOR is set)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, env = "PLUMB_COLOR")]
    pub color: ColorChoice,
    /// Only print errors on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Output format [default: table on a terminal, json otherwise]
    #[arg(long, global = true, value_enum, env = "PLUMB_FORMAT")]
    pub format: Option<Format>,
    /// State file, or a postgres:// URL [default: <state dir>/plumb/state.db]
    // Parsed by StateLocation::parse, not clap, so no error can echo a password.
    #[arg(
        long,
        global = true,
        value_name = "PATH|URL",
        env = "PLUMB_STATE",
        hide_env_values = true
    )]
    pub state: Option<PathBuf>,
    /// Config file [default: <config dir>/plumb/config.yaml]
    #[arg(long, global = true, value_name = "FILE", env = "PLUMB_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check hosts against rules and report (and store) the results
    #[command(after_help = crate::exit::HELP_TEXT)]
    Scan(Box<ScanArgs>),
    /// Inspect, verify, prune, migrate and copy the state (a file, or a PostgreSQL database)
    State {
        #[command(subcommand)]
        command: crate::commands::state::StateCommand,
    },
    /// Scheduled scans without a daemon: `run-once` for cron or a systemd timer, status,
    /// maintenance
    Schedule {
        #[command(subcommand)]
        command: crate::commands::schedule::ScheduleCommand,
    },
    /// What changed: between scans, since a time, at a time, host against host, or across the fleet
    #[command(after_help = DRIFT_EXIT)]
    Drift(crate::commands::drift::DriftArgs),
    /// The rule pack without scanning: list, show one rule, validate and lint rule files
    Rules {
        #[command(subcommand)]
        command: crate::commands::rules::RulesCommand,
    },
    /// Check a scan policy's signature, signer, revocation, schema, clamps and pins
    #[command(after_help = VERIFY_POLICY_EXIT)]
    VerifyPolicy(VerifyPolicyArgs),
    /// Write the man pages or shell completions into a directory, to install them
    Generate {
        #[command(subcommand)]
        command: crate::generate::GenerateCommand,
    },
}

const DRIFT_EXIT: &str =
    "Times: RFC 3339 (2026-11-24T02:59:00Z), a date (2026-11-24, midnight UTC) or an age
(30m, 2h, 7d, 2w) meaning that long before now.

Exit codes:
  0  no regression at or above --fail-on-regression (or no gate)
  1  a regression at or above --fail-on-regression
  2  usage error: unknown host or scan, ambiguous scan prefix, a time that cannot be parsed
     or is before the prune horizon
  3  the state file is missing, locked or corrupt";

const VERIFY_POLICY_EXIT: &str = "Exit codes:
  0  the policy is valid
  1  the policy is invalid (signature, signer, revocation, schema or pins)
  2  usage error: a missing argument or an unreadable file";

/// Where a policy's trust comes from; shared by `scan --policy` and `verify-policy`.
#[derive(Debug, Clone, Args)]
pub struct TrustArgs {
    /// OpenSSH allowed_signers file with the keys trusted to sign policies
    #[arg(long, value_name = "FILE", env = "PLUMB_ALLOWED_SIGNERS")]
    pub allowed_signers: Option<PathBuf>,
    /// A single trusted public key (.pub); wins over allowed_signers
    #[arg(long, value_name = "PUB")]
    pub key: Option<PathBuf>,
    /// The detached signature [default: POLICY.sig]
    #[arg(long, value_name = "SIG")]
    pub signature: Option<PathBuf>,
    /// Fingerprints of revoked keys, one a line [default: the policy's revocation_list]
    #[arg(long, value_name = "FILE", env = "PLUMB_REVOCATION_LIST")]
    pub revocation_list: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyPolicyArgs {
    /// The policy file
    #[arg(value_name = "POLICY", env = "PLUMB_POLICY")]
    pub policy: Option<PathBuf>,
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// Severity threshold for a failing exit code, or `never` for report-only runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Low,
    Medium,
    High,
    Critical,
    Never,
}

impl FailOn {
    /// Without `--fail-on` or `fail_on:` in the config file, any failure fails the run.
    pub const DEFAULT: FailOn = FailOn::Low;

    pub fn threshold(self) -> Option<Severity> {
        match self {
            Self::Low => Some(Severity::Low),
            Self::Medium => Some(Severity::Medium),
            Self::High => Some(Severity::High),
            Self::Critical => Some(Severity::Critical),
            Self::Never => None,
        }
    }
}

/// The hosts of an inventory that a run covers.
#[derive(Debug, Clone, Default, Args)]
pub struct InventoryArgs {
    /// Hosts from an inventory: plumb's YAML format or an Ansible YAML inventory
    #[arg(short = 'i', long, value_name = "FILE", env = "PLUMB_INVENTORY")]
    pub inventory: Option<PathBuf>,
    /// Only inventory hosts matching an Ansible host pattern: a:b union, a:&b intersection,
    /// a:!b exclusion; globs, ~regex; names, groups, labels (repeatable: every one must match)
    #[arg(long, value_name = "PATTERN")]
    pub limit: Vec<String>,
}

/// Rules when no policy pins them, and values for their variables.
#[derive(Debug, Clone, Default, Args)]
pub struct RulesArgs {
    /// Rule files or directories (replaces the embedded default pack; repeatable)
    #[arg(
        long = "rules",
        value_name = "PATH",
        env = "PLUMB_RULES",
        value_delimiter = ':'
    )]
    pub rules: Vec<PathBuf>,
    /// Set a rule variable (repeatable)
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// Rule variables from a YAML file: a mapping of names to values, or Kensa's defaults file
    /// (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it
    #[arg(long = "vars-file", value_name = "FILE")]
    pub vars_files: Vec<PathBuf>,
    /// The format rule files are written in: auto reads a file with a Kensa-only key
    /// (category, transactional, depends_on, ...) as Kensa's and any other as plumb's
    #[arg(
        long,
        value_enum,
        value_name = "DIALECT",
        default_value_t = crate::rules::DialectChoice::Auto
    )]
    pub rules_dialect: crate::rules::DialectChoice,
}

/// The benchmark profiles a run selects rules by; shared by `scan`, `schedule run-once` and
/// `rules list`.
#[derive(Debug, Clone, Default, Args)]
pub struct ProfileArgs {
    /// Only rules in this profile, such as cis_l1_server (repeatable: rules in any of them)
    #[arg(long = "profile", value_name = "PROFILE")]
    pub profiles: Vec<String>,
}

/// A scan policy and the keys its signature is checked against.
#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    /// The signed scan policy (rule sets, vars, ssh, evidence, schedule and export settings)
    /// [default: the config file's policy]
    #[arg(long, value_name = "FILE", env = "PLUMB_POLICY")]
    pub policy: Option<PathBuf>,
    /// Use a policy whose signature does not verify (development only; warns). For
    /// `schedule run-once`, also run without any policy
    #[arg(long)]
    pub allow_unsigned_policy: bool,
    #[command(flatten)]
    pub trust: TrustArgs,
}

impl PolicyArgs {
    /// `--policy`, else the config file's; `--allow-unsigned-policy` without either is a usage
    /// error, as it would silently do nothing.
    pub fn path<'a>(
        &'a self,
        config: &'a crate::config::Config,
    ) -> crate::error::Result<Option<&'a std::path::Path>> {
        let path = self.policy.as_deref().or(config.policy.as_deref());
        if path.is_none() && self.allow_unsigned_policy {
            return Err(crate::error::Error::args(
                "--allow-unsigned-policy needs a policy: --policy FILE, PLUMB_POLICY or `policy:` in the config file",
            ));
        }
        Ok(path)
    }
}

#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// Hosts to scan over SSH: [user@]host[:port] or an ssh_config alias (default: this machine)
    #[arg(value_name = "HOST")]
    pub hosts: Vec<String>,
    /// Scan this machine too (it is the default when no host or inventory is given)
    #[arg(long)]
    pub local: bool,
    #[command(flatten)]
    pub inventory: InventoryArgs,
    #[command(flatten)]
    pub ssh: SshArgs,
    #[command(flatten)]
    pub rules: RulesArgs,
    /// Scan a directory tree (image, chroot, container filesystem) instead of the live system
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Only these rules (repeatable)
    #[arg(long = "rule", value_name = "ID")]
    pub rule_ids: Vec<String>,
    /// Only rules with one of these tags (repeatable)
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only rules at or above this severity
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub min_severity: Option<SeverityArg>,
    /// Leave these rules out (repeatable)
    #[arg(long = "exclude", value_name = "ID")]
    pub exclude: Vec<String>,
    /// Exit 1 when a rule at or above this severity fails. `never` is a soft fail of findings
    /// only: a host that could not be scanned still exits 3, and so does a rule in `error`
    /// unless --allow-errors [default: the config file's fail_on, else low]
    #[arg(long, value_enum, env = "PLUMB_FAIL_ON")]
    pub fail_on: Option<FailOn>,
    /// Do not fail the run (exit 3) for rules that could not be assessed (status `error`) at
    /// or above --fail-on (any severity with --fail-on never); they are still reported
    #[arg(long)]
    pub allow_errors: bool,
    /// Write the report to FILE (atomically) instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[arg(long, value_name = "BYTES", help = format!(
        "Evidence cap per rule in bytes, at most {} [default: the policy's, else {}]",
        crate::defaults::MAX_EVIDENCE_BYTES,
        crate::defaults::EVIDENCE_BYTES
    ))]
    pub evidence_max_bytes: Option<usize>,
    /// Name the scanned host in reports and the state file (default: the hostname, or the
    /// --root directory name)
    #[arg(long, value_name = "NAME")]
    pub host_name: Option<String>,
    /// Do not record the results in the state file
    #[arg(long)]
    pub no_store: bool,
    /// Gather facts with the generated sh script (what remote scans run) instead of natively
    #[arg(long)]
    pub via_shell: bool,
    /// Accept the failures these waivers name (repeatable; see README "Waivers"). Under a
    /// signed policy the file must be signed too (FILE.sig)
    #[arg(long = "waivers", value_name = "FILE")]
    pub waivers: Vec<PathBuf>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub view: ViewArgs,
}

/// What the table view of a scan shows (`--format table` only).
#[derive(Debug, Clone, Default, Args)]
pub struct ViewArgs {
    /// Print the header and the summary (counts, score, changes, errors) only
    #[arg(long, conflicts_with = "explain")]
    pub summary: bool,
    /// Show this rule in full: expected and actual values, source, remediation and references
    /// (repeatable)
    #[arg(long, value_name = "RULE")]
    pub explain: Vec<String>,
}

/// How remote hosts are reached. Unset values come from the policy, then the defaults.
#[derive(Debug, Clone, Args)]
pub struct SshArgs {
    /// Log in as this user (a user in HOST or the inventory wins)
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// SSH port (a port in HOST or the inventory wins)
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Private key to authenticate with
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// An ssh option, as for `ssh -o` (repeatable)
    #[arg(short = 'o', long = "ssh-option", value_name = "KEY=VALUE")]
    pub ssh_options: Vec<String>,
    /// Use this ssh_config instead of ~/.ssh/config and /etc/ssh/ssh_config
    #[arg(long, value_name = "FILE", env = "PLUMB_SSH_CONFIG")]
    pub ssh_config: Option<PathBuf>,
    /// Run the probe through `sudo -n` on the host
    #[arg(long)]
    pub sudo: bool,
    /// strict: the host key must be known; accept-new: trust a first-seen key. A changed key
    /// is always refused [default: the policy's, else strict]
    #[arg(long, value_enum, value_name = "POLICY")]
    pub host_key_policy: Option<crate::probe::ssh::HostKeyPolicy>,
    /// known_hosts file to check host keys against
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
    #[arg(long, value_name = "SECONDS", help = format!(
        "Seconds to wait for a connection [default: the policy's, else {}]",
        crate::defaults::CONNECT_TIMEOUT.as_secs()
    ))]
    pub connect_timeout: Option<u64>,
    #[arg(long, value_name = "SECONDS", help = format!(
        "Seconds the whole probe may take on one host [default: the policy's, else {}]",
        crate::defaults::PROBE_TIMEOUT.as_secs()
    ))]
    pub probe_timeout: Option<u64>,
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024), help = format!(
        "Hosts scanned at once [default: the policy's, else {}]",
        crate::defaults::CONCURRENCY
    ))]
    pub concurrency: Option<u32>,
    /// Most bytes one host may send back before it is cut off
    #[arg(long, value_name = "BYTES", default_value_t = crate::defaults::MAX_OUTPUT)]
    pub max_output: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(value: SeverityArg) -> Self {
        match value {
            SeverityArg::Low => Self::Low,
            SeverityArg::Medium => Self::Medium,
            SeverityArg::High => Self::High,
            SeverityArg::Critical => Self::Critical,
        }
    }
}
