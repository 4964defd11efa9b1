//! The typed scan policy: strict parsing with file:line:column errors, defaults, and the
//! interval clamps that the schedule must honour whatever the file says.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::duration::PolicyDuration;

/// Scan intervals never go below this, so a typo cannot hammer a fleet.
pub const INTERVAL_FLOOR: PolicyDuration = PolicyDuration::from_secs(5 * 60);
/// Scan intervals never exceed this, so a host is never forgotten for long.
pub const INTERVAL_CAP: PolicyDuration = PolicyDuration::from_secs(48 * 3600);
/// Evidence cap when the policy names none.
pub const DEFAULT_EVIDENCE_MAX_BYTES: u64 = crate::defaults::EVIDENCE_BYTES as u64;
/// Evidence cap no policy may exceed.
pub const EVIDENCE_MAX_BYTES_CEILING: u64 = crate::defaults::MAX_EVIDENCE_BYTES as u64;
/// Longest maintenance window; longer ones are almost always a mistake for "forever".
pub const MAINTENANCE_WINDOW_MAX: PolicyDuration = PolicyDuration::from_secs(7 * 86_400);

/// A parsed, checked policy with effective (clamped) intervals.
#[derive(Debug, Clone, Serialize)]
pub struct Policy {
    /// Must only go up between policies the same fleet sees (checked by the caller, which
    /// knows the last version it ran).
    pub version: u64,
    pub description: String,
    pub rulesets: Vec<RulesetPin>,
    pub vars: BTreeMap<String, String>,
    pub ssh: SshSettings,
    pub evidence: EvidenceSettings,
    pub schedule: Schedule,
    pub backoff: Backoff,
    pub export: ExportSettings,
    /// Path of the revocation list, relative to the policy file.
    pub revocation_list: Option<String>,
    /// The inventory `schedule run-once` enrols when `-i` is not given, relative to the
    /// policy file.
    pub inventory: Option<String>,
    /// Accepted failures (signed with the policy); see [`crate::waivers`].
    pub waivers: Vec<crate::waivers::Waiver>,
    /// Every interval the policy gave outside [`INTERVAL_FLOOR`, `INTERVAL_CAP`].
    pub clamps: Vec<Clamp>,
}

/// A rule set (file or directory, relative to the policy file) and its expected hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RulesetPin {
    pub path: String,
    pub sha256: String,
}

pub use crate::probe::ssh::HostKeyPolicy;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SshSettings {
    pub host_key_policy: HostKeyPolicy,
    pub connect_timeout: PolicyDuration,
    pub probe_timeout: PolicyDuration,
    pub sudo: bool,
    pub concurrency: u32,
}

impl Default for SshSettings {
    fn default() -> Self {
        Self {
            host_key_policy: HostKeyPolicy::Strict,
            connect_timeout: PolicyDuration::from_secs(crate::defaults::CONNECT_TIMEOUT.as_secs()),
            probe_timeout: PolicyDuration::from_secs(crate::defaults::PROBE_TIMEOUT.as_secs()),
            sudo: false,
            concurrency: crate::defaults::CONCURRENCY,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceSettings {
    pub max_bytes: u64,
}

impl Default for EvidenceSettings {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_EVIDENCE_MAX_BYTES,
        }
    }
}

/// The compliance tiers of DESIGN §5, each with its own scan interval.
pub use crate::tier::Tier;

/// Effective interval per tier (already clamped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierIntervals {
    pub unknown: PolicyDuration,
    pub critical: PolicyDuration,
    pub non_compliant: PolicyDuration,
    pub partial: PolicyDuration,
    pub mostly_compliant: PolicyDuration,
    pub compliant: PolicyDuration,
}

impl TierIntervals {
    pub fn get(&self, tier: Tier) -> PolicyDuration {
        match tier {
            Tier::Unknown => self.unknown,
            Tier::Critical => self.critical,
            Tier::NonCompliant => self.non_compliant,
            Tier::Partial => self.partial,
            Tier::MostlyCompliant => self.mostly_compliant,
            Tier::Compliant => self.compliant,
        }
    }

    fn get_mut(&mut self, tier: Tier) -> &mut PolicyDuration {
        match tier {
            Tier::Unknown => &mut self.unknown,
            Tier::Critical => &mut self.critical,
            Tier::NonCompliant => &mut self.non_compliant,
            Tier::Partial => &mut self.partial,
            Tier::MostlyCompliant => &mut self.mostly_compliant,
            Tier::Compliant => &mut self.compliant,
        }
    }
}

impl Default for TierIntervals {
    fn default() -> Self {
        let h = |hours: u64| PolicyDuration::from_secs(hours * 3600);
        Self {
            unknown: h(6),
            critical: h(4),
            non_compliant: h(8),
            partial: h(12),
            mostly_compliant: h(24),
            compliant: h(48),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Schedule {
    pub intervals: TierIntervals,
    /// Cap on hosts claimed by one `schedule run-once` pass; `None` = no cap.
    pub max_hosts_per_run: Option<u32>,
    pub maintenance_windows: Vec<MaintenanceWindow>,
}

impl Schedule {
    /// When `host` is inside a maintenance window at `unix_secs`, the end of the latest such
    /// window (unix seconds); `None` when the host is not in maintenance.
    pub fn maintenance_end(&self, host: &str, unix_secs: i64) -> Option<i64> {
        self.maintenance_windows
            .iter()
            .filter(|w| w.applies_to(host))
            .filter_map(|w| w.active_until(unix_secs))
            .max()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    /// Weekday of a count of days since 1970-01-01 (a Thursday).
    pub fn from_unix_day(day: i64) -> Weekday {
        match (day + 3).rem_euclid(7) {
            0 => Weekday::Mon,
            1 => Weekday::Tue,
            2 => Weekday::Wed,
            3 => Weekday::Thu,
            4 => Weekday::Fri,
            5 => Weekday::Sat,
            _ => Weekday::Sun,
        }
    }
}

/// A recurring maintenance window in UTC: it opens on each listed weekday at `start` and
/// stays open for `duration` (possibly past midnight). Hosts match by glob on their name.
#[derive(Debug, Clone, Serialize)]
pub struct MaintenanceWindow {
    pub name: String,
    pub hosts: Vec<String>,
    pub days: Vec<Weekday>,
    /// Minutes after midnight UTC.
    pub start_minute: u32,
    pub duration: PolicyDuration,
    #[serde(skip)]
    matcher: GlobSet,
}

impl MaintenanceWindow {
    pub fn applies_to(&self, host: &str) -> bool {
        self.matcher.is_match(host)
    }

    /// The end (unix seconds) of this window's occurrence that contains `unix_secs`, if any.
    pub fn active_until(&self, unix_secs: i64) -> Option<i64> {
        let today = unix_secs.div_euclid(86_400);
        let duration = i64::try_from(self.duration.as_secs()).ok()?;
        // A window lasts at most 7 days, so only openings in the last 7 days can cover now.
        (0..=7)
            .map(|back| today - back)
            .filter(|day| self.days.contains(&Weekday::from_unix_day(*day)))
            .map(|day| day * 86_400 + i64::from(self.start_minute) * 60)
            .filter(|start| *start <= unix_secs && unix_secs < start + duration)
            .map(|start| start + duration)
            .max()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Backoff {
    /// Consecutive failures before a host is suppressed.
    pub threshold: u32,
    /// First suppression delay; doubles per further failure.
    pub base: PolicyDuration,
    /// Longest suppression delay.
    pub max: PolicyDuration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            threshold: 3,
            base: PolicyDuration::from_secs(15 * 60),
            max: PolicyDuration::from_secs(24 * 3600),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportSettings {
    /// A consumer whose last full sync is older than this gets everything again.
    pub full_sync_horizon: PolicyDuration,
}

impl Default for ExportSettings {
    fn default() -> Self {
        Self {
            full_sync_horizon: PolicyDuration::from_secs(7 * 86_400),
        }
    }
}

/// An interval the policy gave outside the allowed range, and what is used instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clamp {
    pub field: String,
    pub given: PolicyDuration,
    pub applied: PolicyDuration,
}

impl fmt::Display for Clamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = if self.given < self.applied {
            "below the floor"
        } else {
            "above the cap"
        };
        write!(
            f,
            "{}: {} is {why}, using {}",
            self.field, self.given, self.applied
        )
    }
}

/// A policy that does not parse or fails a check, with its position in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "{}:{line}:{column}: {}", self.file, self.message)
            }
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for SchemaError {}

/// Parses policy text. `file` is used only to name the file in errors.
pub fn parse_policy(text: &str, file: &Path) -> Result<Policy, SchemaError> {
    parse_yaml(text, file)
}

/// Parses YAML text into `T` (strict types with `deny_unknown_fields`), with errors at
/// `file:line:column`. Callers bound the text first ([`crate::yaml_bounds`]).
pub(crate) fn parse_yaml<T: de::DeserializeOwned>(
    text: &str,
    file: &Path,
) -> Result<T, SchemaError> {
    serde_yaml::from_str::<T>(text).map_err(|err| {
        let location = err.location();
        let mut message = err.to_string();
        if let Some(loc) = &location {
            // serde_norway appends the position; we print it in front, compiler style.
            let suffix = format!(" at line {} column {}", loc.line(), loc.column());
            if let Some(stripped) = message.strip_suffix(&suffix) {
                message = stripped.to_string();
            }
        }
        SchemaError {
            file: file.display().to_string(),
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            message,
        }
    })
}

/// Deserializes a mapping into `Raw`, then runs `check` on it. A failed check becomes an
/// error raised from inside the mapping, so serde_norway reports the mapping's position.
pub(crate) fn deserialize_checked<'de, D, Raw, Out>(
    deserializer: D,
    expecting: &'static str,
    check: fn(Raw) -> Result<Out, String>,
) -> Result<Out, D::Error>
where
    D: Deserializer<'de>,
    Raw: Deserialize<'de>,
{
    struct Checked<Raw, Out> {
        expecting: &'static str,
        check: fn(Raw) -> Result<Out, String>,
        raw: PhantomData<Raw>,
    }
    impl<'de, Raw: Deserialize<'de>, Out> Visitor<'de> for Checked<Raw, Out> {
        type Value = Out;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.expecting)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Out, A::Error> {
            let raw = Raw::deserialize(de::value::MapAccessDeserializer::new(map))?;
            (self.check)(raw).map_err(de::Error::custom)
        }
    }
    deserializer.deserialize_map(Checked {
        expecting,
        check,
        raw: PhantomData,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    version: u64,
    #[serde(default)]
    description: String,
    rulesets: Vec<RulesetPin>,
    #[serde(default)]
    vars: BTreeMap<String, String>,
    #[serde(default)]
    ssh: SshSettings,
    #[serde(default)]
    evidence: EvidenceSettings,
    #[serde(default)]
    schedule: RawScheduleChecked,
    #[serde(default)]
    backoff: Backoff,
    #[serde(default)]
    export: ExportSettings,
    #[serde(default)]
    revocation_list: Option<String>,
    #[serde(default)]
    inventory: Option<String>,
    #[serde(default)]
    waivers: Vec<crate::waivers::Waiver>,
}

impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_checked(d, "a scan policy mapping", |raw: RawPolicy| {
            if raw.version == 0 {
                return Err("version must be 1 or more".into());
            }
            if raw.rulesets.is_empty() {
                return Err("rulesets is empty: a policy must pin at least one rule set".into());
            }
            if raw
                .revocation_list
                .as_deref()
                .is_some_and(|path| path.trim().is_empty())
            {
                return Err("revocation_list is empty; remove the key or name a file".into());
            }
            if raw
                .inventory
                .as_deref()
                .is_some_and(|path| path.trim().is_empty())
            {
                return Err("inventory is empty; remove the key or name a file".into());
            }
            let RawScheduleChecked(schedule, clamps) = raw.schedule;
            Ok(Policy {
                version: raw.version,
                description: raw.description,
                rulesets: raw.rulesets,
                vars: raw.vars,
                ssh: raw.ssh,
                evidence: raw.evidence,
                schedule,
                backoff: raw.backoff,
                export: raw.export,
                revocation_list: raw.revocation_list,
                inventory: raw.inventory,
                waivers: raw.waivers,
                clamps,
            })
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPin {
    path: String,
    sha256: String,
}

impl<'de> Deserialize<'de> for RulesetPin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_checked(d, "a ruleset mapping {path, sha256}", |raw: RawPin| {
            let pin = RulesetPin {
                path: raw.path,
                sha256: raw.sha256,
            };
            check_pin(&pin)?;
            Ok(pin)
        })
    }
}

fn check_pin(pin: &RulesetPin) -> Result<(), String> {
    if pin.path.trim().is_empty() {
        return Err("a ruleset has an empty path".into());
    }
    let hex_ok = pin.sha256.len() == 64
        && pin
            .sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !hex_ok {
        return Err(format!(
            "ruleset {:?}: sha256 must be 64 lowercase hex digits, got {:?}",
            pin.path, pin.sha256
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSsh {
    #[serde(default)]
    host_key_policy: HostKeyPolicy,
    connect_timeout: Option<PolicyDuration>,
    probe_timeout: Option<PolicyDuration>,
    #[serde(default)]
    sudo: bool,
    concurrency: Option<u32>,
}

impl<'de> Deserialize<'de> for SshSettings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_checked(d, "the ssh settings mapping", |raw: RawSsh| {
            let defaults = SshSettings::default();
            let settings = SshSettings {
                host_key_policy: raw.host_key_policy,
                connect_timeout: raw.connect_timeout.unwrap_or(defaults.connect_timeout),
                probe_timeout: raw.probe_timeout.unwrap_or(defaults.probe_timeout),
                sudo: raw.sudo,
                concurrency: raw.concurrency.unwrap_or(defaults.concurrency),
            };
            if settings.connect_timeout.as_secs() == 0 || settings.probe_timeout.as_secs() == 0 {
                return Err("ssh timeouts must be longer than 0s".into());
            }
            if !(1..=1024).contains(&settings.concurrency) {
                return Err(format!(
                    "ssh.concurrency must be between 1 and 1024, got {}",
                    settings.concurrency
                ));
            }
            Ok(settings)
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvidence {
    max_bytes: Option<u64>,
}

impl<'de> Deserialize<'de> for EvidenceSettings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_checked(d, "the evidence settings mapping", |raw: RawEvidence| {
            let max_bytes = raw.max_bytes.unwrap_or(DEFAULT_EVIDENCE_MAX_BYTES);
            if max_bytes == 0 {
                return Err("evidence.max_bytes must be more than 0".into());
            }
            if max_bytes > EVIDENCE_MAX_BYTES_CEILING {
                return Err(format!(
                    "evidence.max_bytes {max_bytes} is above the hard ceiling of \
                     {EVIDENCE_MAX_BYTES_CEILING} bytes"
                ));
            }
            Ok(EvidenceSettings { max_bytes })
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIntervals {
    unknown: Option<PolicyDuration>,
    critical: Option<PolicyDuration>,
    non_compliant: Option<PolicyDuration>,
    partial: Option<PolicyDuration>,
    mostly_compliant: Option<PolicyDuration>,
    compliant: Option<PolicyDuration>,
}

impl RawIntervals {
    fn given(&self, tier: Tier) -> Option<PolicyDuration> {
        match tier {
            Tier::Unknown => self.unknown,
            Tier::Critical => self.critical,
            Tier::NonCompliant => self.non_compliant,
            Tier::Partial => self.partial,
            Tier::MostlyCompliant => self.mostly_compliant,
            Tier::Compliant => self.compliant,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    intervals: Option<RawIntervals>,
    max_hosts_per_run: Option<u32>,
    #[serde(default)]
    maintenance_windows: Vec<MaintenanceWindow>,
}

/// The schedule together with the clamps applied to its intervals.
#[derive(Default)]
struct RawScheduleChecked(Schedule, Vec<Clamp>);

impl<'de> Deserialize<'de> for RawScheduleChecked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_checked(d, "the schedule mapping", |raw: RawSchedule| {
            if raw.max_hosts_per_run == Some(0) {
                return Err(
                    "schedule.max_hosts_per_run must be 1 or more (omit it for no cap)".into(),
                );
            }
            let mut names = std::collections::BTreeSet::new();
            for window in &raw.maintenance_windows {
                if !names.insert(window.name.as_str()) {
                    return Err(format!(
                        "maintenance window name {:?} is used twice",
                        window.name
                    ));
                }
            }
            let (intervals, clamps) = clamp_intervals(raw.intervals.as_ref());
            Ok(RawScheduleChecked(
                Schedule {
                    intervals,
                    max_hosts_per_run: raw.max_hosts_per_run,
                    maintenance_windows: raw.maintenance_windows,
                },
                clamps,
            ))
        })
    }
}

/// Effective intervals: the given ones (or defaults) forced into [floor, cap], each change
/// recorded.
fn clamp_intervals(given: Option<&RawIntervals>) -> (TierIntervals, Vec<Clamp>) {
    let mut intervals = TierIntervals::default();
    let mut clamps = Vec::new();
    for tier in Tier::ALL {
        let Some(value) = given.and_then(|g| g.given(tier)) else {
            continue;
        };
        let applied = value.clamp(INTERVAL_FLOOR, INTERVAL_CAP);
        if applied != value {
            clamps.push(Clamp {
                field: format!("schedule.intervals.{}", tier.as_str()),
                given: value,
                applied,
            });
        }
        *intervals.get_mut(tier) = applied;
    }
    (intervals, clamps)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    name: String,
    hosts: Vec<String>,
    days: Vec<Weekday>,
    start: String,
    duration: PolicyDuration,
}

impl<'de> Deserialize<'de> for MaintenanceWindow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_checked(d, "a maintenance window mapping", |raw: RawWindow| {
            let name = raw.name;
            if name.trim().is_empty() {
                return Err("a maintenance window has an empty name".into());
            }
            if raw.hosts.is_empty() {
                return Err(format!(
                    "maintenance window {name:?}: hosts is empty (use [\"*\"] for every host)"
                ));
            }
            if raw.days.is_empty() {
                return Err(format!("maintenance window {name:?}: days is empty"));
            }
            let start_minute = parse_hh_mm(&raw.start).ok_or_else(|| {
                format!(
                    "maintenance window {name:?}: start {:?} is not a UTC time HH:MM (00:00-23:59)",
                    raw.start
                )
            })?;
            if raw.duration.as_secs() == 0 || raw.duration > MAINTENANCE_WINDOW_MAX {
                return Err(format!(
                    "maintenance window {name:?}: duration must be more than 0s and at most {MAINTENANCE_WINDOW_MAX}"
                ));
            }
            let mut builder = GlobSetBuilder::new();
            for pattern in &raw.hosts {
                let glob = Glob::new(pattern).map_err(|e| {
                    format!("maintenance window {name:?}: bad host pattern {pattern:?}: {e}")
                })?;
                builder.add(glob);
            }
            let matcher = builder
                .build()
                .map_err(|e| format!("maintenance window {name:?}: {e}"))?;
            Ok(MaintenanceWindow {
                name,
                hosts: raw.hosts,
                days: raw.days,
                start_minute,
                duration: raw.duration,
                matcher,
            })
        })
    }
}

fn parse_hh_mm(text: &str) -> Option<u32> {
    let (hh, mm) = text.split_once(':')?;
    if hh.len() != 2 || mm.len() != 2 {
        return None;
    }
    let hh: u32 = hh.parse().ok()?;
    let mm: u32 = mm.parse().ok()?;
    (hh < 24 && mm < 60).then_some(hh * 60 + mm)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackoff {
    threshold: Option<u32>,
    base: Option<PolicyDuration>,
    max: Option<PolicyDuration>,
}

impl<'de> Deserialize<'de> for Backoff {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_checked(d, "the backoff mapping", |raw: RawBackoff| {
            let defaults = Backoff::default();
            let backoff = Backoff {
                threshold: raw.threshold.unwrap_or(defaults.threshold),
                base: raw.base.unwrap_or(defaults.base),
                max: raw.max.unwrap_or(defaults.max),
            };
            if backoff.threshold == 0 {
                return Err("backoff.threshold must be 1 or more".into());
            }
            if backoff.base.as_secs() == 0 {
                return Err("backoff.base must be longer than 0s".into());
            }
            if backoff.base > backoff.max {
                return Err(format!(
                    "backoff.base ({}) is longer than backoff.max ({})",
                    backoff.base, backoff.max
                ));
            }
            Ok(backoff)
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExport {
    full_sync_horizon: Option<PolicyDuration>,
}

impl<'de> Deserialize<'de> for ExportSettings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_checked(d, "the export mapping", |raw: RawExport| {
            let horizon = raw
                .full_sync_horizon
                .unwrap_or(ExportSettings::default().full_sync_horizon);
            if horizon.as_secs() == 0 {
                return Err("export.full_sync_horizon must be longer than 0s".into());
            }
            Ok(ExportSettings {
                full_sync_horizon: horizon,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIN: &str = "0000000000000000000000000000000000000000000000000000000000000000";

    fn parse(text: &str) -> Result<Policy, SchemaError> {
        parse_policy(text, Path::new("p.yaml"))
    }

    fn minimal(extra: &str) -> String {
        format!("version: 1\nrulesets:\n  - path: rules\n    sha256: \"{PIN}\"\n{extra}")
    }

    #[test]
    fn minimal_policy_takes_the_defaults() {
        let policy = parse(&minimal("")).unwrap();
        assert_eq!(policy.version, 1);
        assert_eq!(policy.evidence.max_bytes, 65_536);
        assert_eq!(policy.schedule.intervals, TierIntervals::default());
        assert_eq!(
            policy.schedule.intervals.get(Tier::Critical).as_secs(),
            4 * 3600
        );
        assert_eq!(policy.backoff.threshold, 3);
        assert_eq!(policy.ssh.host_key_policy, HostKeyPolicy::Strict);
        assert!(policy.clamps.is_empty());
    }

    #[test]
    fn an_ssh_section_without_timeouts_keeps_the_defaults_of_a_run_without_policy() {
        let policy = parse(&minimal("ssh: {sudo: true}\n")).unwrap();
        let no_policy = crate::probe::ssh::SshOptions::default();
        assert_eq!(
            policy.ssh.probe_timeout.as_duration(),
            no_policy.probe_timeout
        );
        assert_eq!(
            policy.ssh.connect_timeout.as_duration(),
            no_policy.connect_timeout
        );
        assert_eq!(policy.ssh.concurrency, crate::defaults::CONCURRENCY);
        assert_eq!(
            SshSettings::default().probe_timeout.as_duration(),
            no_policy.probe_timeout
        );
    }

    #[test]
    fn every_section_parses() {
        let policy = parse(&minimal(
            "vars: {permit_root: \"no\"}\nssh: {host_key_policy: accept-new, connect_timeout: 5s, probe_timeout: 3m, sudo: true, concurrency: 4}\nevidence: {max_bytes: 1024}\nschedule: {max_hosts_per_run: 7}\nbackoff: {threshold: 5, base: 1m, max: 2h}\nexport: {full_sync_horizon: 1d}\nrevocation_list: revoked.txt\n",
        ))
        .unwrap();
        assert_eq!(policy.vars["permit_root"], "no");
        assert_eq!(policy.ssh.host_key_policy, HostKeyPolicy::AcceptNew);
        assert_eq!(policy.ssh.connect_timeout.as_secs(), 5);
        assert_eq!(policy.ssh.probe_timeout.as_secs(), 180);
        assert!(policy.ssh.sudo);
        assert_eq!(policy.ssh.concurrency, 4);
        assert_eq!(policy.evidence.max_bytes, 1024);
        assert_eq!(policy.schedule.max_hosts_per_run, Some(7));
        assert_eq!(
            policy.backoff,
            Backoff {
                threshold: 5,
                base: PolicyDuration::from_secs(60),
                max: PolicyDuration::from_secs(7200)
            }
        );
        assert_eq!(policy.export.full_sync_horizon.as_secs(), 86_400);
        assert_eq!(policy.revocation_list.as_deref(), Some("revoked.txt"));
        let err = parse(&minimal("ssh: {host_key_policy: yolo}\n")).unwrap_err();
        assert!(err.message.contains("unknown variant `yolo`"), "{err}");
    }

    #[test]
    fn intervals_are_clamped_and_reported() {
        let policy = parse(&minimal(
            "schedule:\n  intervals:\n    critical: 1m\n    compliant: 30d\n    partial: 5m\n",
        ))
        .unwrap();
        assert_eq!(policy.schedule.intervals.critical.as_secs(), 300);
        assert_eq!(policy.schedule.intervals.compliant.as_secs(), 48 * 3600);
        assert_eq!(policy.schedule.intervals.partial.as_secs(), 300);
        assert_eq!(
            policy.clamps,
            vec![
                Clamp {
                    field: "schedule.intervals.critical".into(),
                    given: PolicyDuration::from_secs(60),
                    applied: PolicyDuration::from_secs(300),
                },
                Clamp {
                    field: "schedule.intervals.compliant".into(),
                    given: PolicyDuration::from_secs(30 * 86_400),
                    applied: PolicyDuration::from_secs(48 * 3600),
                },
            ]
        );
    }

    #[test]
    fn unknown_key_names_line_and_column() {
        let err = parse(&minimal("ssh:\n  sudo: true\n  colour: red\n")).unwrap_err();
        assert_eq!((err.line, err.column), (Some(7), Some(3)), "{err}");
        assert!(err.message.contains("unknown field `colour`"), "{err}");
        assert!(err.to_string().starts_with("p.yaml:7:3: "), "{err}");
    }

    #[test]
    fn wrong_type_names_line_and_column() {
        let err = parse(&minimal("ssh:\n  sudo: \"yes please\"\n")).unwrap_err();
        assert_eq!((err.line, err.column), (Some(6), Some(9)), "{err}");
        assert!(err.message.contains("invalid type"), "{err}");
    }

    #[test]
    fn bad_duration_names_its_position() {
        let err = parse(&minimal("backoff:\n  base: 10 minutes\n")).unwrap_err();
        assert_eq!(err.line, Some(6), "{err}");
        assert!(err.message.contains("unknown unit"), "{err}");
    }

    #[test]
    fn evidence_above_the_ceiling_is_an_error_at_the_mapping() {
        let err = parse(&minimal("evidence:\n  max_bytes: 300000\n")).unwrap_err();
        assert!(err.message.contains("hard ceiling"), "{err}");
        assert_eq!(err.line, Some(6), "{err}");
        assert_eq!(
            parse(&minimal("evidence:\n  max_bytes: 262144\n"))
                .unwrap()
                .evidence
                .max_bytes,
            262_144
        );
    }

    #[test]
    fn bad_pin_hash_is_rejected() {
        let err = parse("version: 1\nrulesets:\n  - path: r\n    sha256: abc\n").unwrap_err();
        assert!(err.message.contains("64 lowercase hex"), "{err}");
        assert_eq!(err.line, Some(3), "{err}");
    }

    #[test]
    fn missing_version_and_empty_rulesets_are_errors() {
        assert!(
            parse("rulesets: []\n")
                .unwrap_err()
                .message
                .contains("version")
        );
        assert!(
            parse("version: 2\nrulesets: []\n")
                .unwrap_err()
                .message
                .contains("at least one")
        );
        assert!(
            parse("version: 0\nrulesets: []\n")
                .unwrap_err()
                .message
                .contains("1 or more")
        );
    }

    #[test]
    fn maintenance_window_parses_and_matches() {
        let policy = parse(&minimal(
            "schedule:\n  maintenance_windows:\n    - name: patch\n      hosts: [\"db-*\"]\n      days: [sun]\n      start: \"23:00\"\n      duration: 4h\n",
        ))
        .unwrap();
        let window = &policy.schedule.maintenance_windows[0];
        assert!(window.applies_to("db-1"));
        assert!(!window.applies_to("web-1"));
        // 2026-11-22 is a Sunday; 23:30 UTC is inside, Monday 02:59 still inside, 03:00 not.
        let sunday = 20_779 * 86_400;
        assert_eq!(Weekday::from_unix_day(20_779), Weekday::Sun);
        let end = sunday + 23 * 3600 + 4 * 3600;
        assert_eq!(window.active_until(sunday + 23 * 3600 + 1800), Some(end));
        assert_eq!(window.active_until(end - 1), Some(end));
        assert_eq!(window.active_until(end), None);
        assert_eq!(window.active_until(sunday + 22 * 3600), None);
        assert_eq!(policy.schedule.maintenance_end("db-1", end - 1), Some(end));
        assert_eq!(policy.schedule.maintenance_end("web-1", end - 1), None);
    }

    #[test]
    fn maintenance_window_errors() {
        let window = |body: &str| {
            parse(&minimal(&format!(
                "schedule:\n  maintenance_windows:\n    - {body}\n"
            )))
            .unwrap_err()
            .message
        };
        assert!(
            window("{name: a, hosts: [x], days: [sun], start: \"25:00\", duration: 1h}")
                .contains("HH:MM")
        );
        assert!(
            window("{name: a, hosts: [x], days: [funday], start: \"01:00\", duration: 1h}")
                .contains("unknown variant")
        );
        assert!(
            window("{name: a, hosts: [], days: [sun], start: \"01:00\", duration: 1h}")
                .contains("hosts is empty")
        );
        assert!(
            window("{name: a, hosts: [x], days: [sun], start: \"01:00\", duration: 8d}")
                .contains("at most 7d")
        );
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(text in "([a-z_:\\[\\]{}\" ,0-9-]{0,30}\n){0,8}") {
            let _ = parse(&text);
            let _ = parse(&minimal(&text));
        }
    }

    #[test]
    fn backoff_base_above_max_is_an_error() {
        let err = parse(&minimal("backoff:\n  base: 2d\n  max: 1h\n")).unwrap_err();
        assert!(err.message.contains("longer than backoff.max"), "{err}");
    }
}
