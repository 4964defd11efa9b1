//! Read-only queries behind the HTML report's trends and fleet view: scores over time, failures
//! by severity over time, recent regressions and fixes, and each host's live results.
//!
//! Failures by severity are not stored per scan, so they are rebuilt backwards: start from the
//! live `rule_state` and undo the change log newest first. That needs no complete log, so a
//! pruned file still gives every point after its prune horizon (earlier points are dropped).

use super::Store;
use super::db::{DbResult, Tx, TxMode, args};
use super::error::StoreError;
use super::model::{FailingCounts, Severity, Status};

/// At most this many points on a fleet-wide time axis; more scans are bucketed.
pub const MAX_FLEET_POINTS: usize = 120;
/// The window of the regressions-and-fixes chart.
pub const CHANGE_WINDOW_MS: i64 = 30 * DAY_MS;
const DAY_MS: i64 = 86_400_000;

/// One recorded full scan that produced results.
#[derive(Debug, Clone, PartialEq)]
pub struct ScorePoint {
    pub host: String,
    /// `finished_at`, unix ms.
    pub at: i64,
    pub pass: u32,
    pub fail: u32,
    pub score: Option<f64>,
}

/// The fleet at one time: score over every host's latest scan, and live failures by severity.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetPoint {
    pub at: i64,
    pub score: Option<f64>,
    /// `None` before the prune horizon, where the change log cannot tell.
    pub failing: Option<FailingCounts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeDirection {
    /// pass -> fail.
    Regression,
    /// fail -> pass.
    Fix,
}

/// A rule of a host that turned from pass to fail or back.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusFlip {
    pub host: String,
    pub rule_id: String,
    pub severity: Severity,
    pub at: i64,
    pub direction: ChangeDirection,
}

/// Everything the fleet report charts, for scans finished at or after `since`.
#[derive(Debug, Clone, Default)]
pub struct Trends {
    pub since: i64,
    pub now: i64,
    /// Per host, oldest first, hosts by name.
    pub host_scores: Vec<ScorePoint>,
    pub fleet: Vec<FleetPoint>,
    /// Newest first, within [`CHANGE_WINDOW_MS`] before `now`.
    pub flips: Vec<StatusFlip>,
    /// Set when the change log was pruned: failures before it are unknown.
    pub prune_horizon: Option<i64>,
}

/// One live result of a host, as the fleet report lists it.
#[derive(Debug, Clone)]
pub struct LiveResult {
    pub host: String,
    pub rule_id: String,
    pub title: String,
    pub status: Status,
    pub severity: Severity,
    pub reason: Option<String>,
    /// Equal ids are equal results (the evidence row is keyed by the result hash).
    pub evidence_id: i64,
}

/// A change-log row that touched a failure.
struct FailRow {
    at: i64,
    previous: Option<(Status, Severity)>,
    new: Option<(Status, Severity)>,
}

impl Store {
    /// Full scans with results of live hosts (or only `hosts`, each read through the
    /// per-host index) since `since`, by host then time.
    pub fn score_history(
        &mut self,
        since: i64,
        hosts: Option<&[&str]>,
    ) -> Result<Vec<ScorePoint>, StoreError> {
        let (mut tx, at) = self.begin(TxMode::Read, "reading the score history")?;
        let points =
            score_history(&mut tx, since, hosts).map_err(at.fail("reading the score history"))?;
        tx.commit().map_err(at.fail("reading the score history"))?;
        Ok(points)
    }

    /// The fleet's trends between `since` and `now` (unix ms), from one snapshot.
    pub fn trends(&mut self, since: i64, now: i64) -> Result<Trends, StoreError> {
        let (mut tx, at) = self.begin(TxMode::Read, "reading the trends")?;
        let prune_horizon =
            super::drift::prune_horizon(&mut tx).map_err(at.fail("reading the prune horizon"))?;
        let host_scores =
            score_history(&mut tx, since, None).map_err(at.fail("reading the score history"))?;
        let mut by_time = host_scores.clone();
        by_time.sort_by_key(|p| p.at);
        let times = point_times(&by_time);
        // Only rows after the first point are undone.
        let rows = fail_rows(&mut tx, times.first().copied().unwrap_or(now))
            .map_err(at.fail("reading the change log"))?;
        let live = live_failing(&mut tx).map_err(at.fail("reading live failures"))?;
        let flips =
            flips(&mut tx, now - CHANGE_WINDOW_MS).map_err(at.fail("reading the change log"))?;
        tx.commit().map_err(at.fail("reading the trends"))?;
        let failing = failing_at(live, &rows, &times);
        let fleet = fleet_scores(&by_time, &times)
            .into_iter()
            .zip(failing)
            .map(|((at, score), failing)| FleetPoint {
                at,
                score,
                failing: failing.filter(|_| prune_horizon.is_none_or(|h| at >= h)),
            })
            .collect();
        Ok(Trends {
            since,
            now,
            host_scores,
            fleet,
            flips,
            prune_horizon,
        })
    }

    /// Every live result of every live host, by host then rule.
    pub fn live_results(&mut self) -> Result<Vec<LiveResult>, StoreError> {
        let (mut tx, at) = self.begin(TxMode::Read, "reading live results")?;
        let results = tx
            .query_map(
                "SELECT k.name, r.id, coalesce(ru.title, r.id), st.text, sev.text, s.reason,
                        s.evidence_id
                 FROM rule_state AS s
                 JOIN host_keys AS k ON k.key = s.host_key
                 JOIN hosts AS h ON h.name = k.name AND h.removed_at IS NULL
                 JOIN rule_keys AS r ON r.key = s.rule_key
                 LEFT JOIN rules AS ru ON ru.id = r.id
                 JOIN value_codes AS st ON st.code = s.status
                 JOIN value_codes AS sev ON sev.code = s.severity
                 WHERE s.removed_at IS NULL
                 ORDER BY k.name, r.id",
                &args![],
                |row| {
                    Ok(LiveResult {
                        host: row.get(0)?,
                        rule_id: row.get(1)?,
                        title: row.get(2)?,
                        status: decode(row.get(3)?)?,
                        severity: decode(row.get(4)?)?,
                        reason: row.get(5)?,
                        evidence_id: row.get(6)?,
                    })
                },
            )
            .map_err(at.fail("reading live results"))?;
        tx.commit().map_err(at.fail("reading live results"))?;
        Ok(results)
    }
}

fn score_history(tx: &mut Tx, since: i64, hosts: Option<&[&str]>) -> DbResult<Vec<ScorePoint>> {
    // One host: `scans_by_host_time` (an `?2 IS NULL OR` clause would defeat the index).
    const ONE_HOST: &str =
        "SELECT s.host, s.finished_at, s.pass_count, s.fail_count FROM scans AS s
         JOIN hosts AS h ON h.name = s.host AND h.removed_at IS NULL
         WHERE s.scope = 'full' AND s.status <> 'error' AND s.finished_at >= ?1
           AND s.host = ?2
         ORDER BY s.host, s.finished_at, s.rowid";
    const ALL_HOSTS: &str =
        "SELECT s.host, s.finished_at, s.pass_count, s.fail_count FROM scans AS s
         JOIN hosts AS h ON h.name = s.host AND h.removed_at IS NULL
         WHERE s.scope = 'full' AND s.status <> 'error' AND s.finished_at >= ?1
         ORDER BY s.host, s.finished_at, s.rowid";
    let read = |row: &super::db::Row<'_>| {
        let (pass, fail): (u32, u32) = (row.get(2)?, row.get(3)?);
        Ok(ScorePoint {
            host: row.get(0)?,
            at: row.get(1)?,
            pass,
            fail,
            score: crate::score::compliance_score(pass.into(), fail.into()),
        })
    };
    let Some(hosts) = hosts else {
        return tx.query_map(ALL_HOSTS, &args![since], read);
    };
    let mut points = Vec::new();
    for host in hosts {
        points.extend(tx.query_map(ONE_HOST, &args![since, host], read)?);
    }
    Ok(points)
}

/// Live failures of live hosts by severity.
fn live_failing(tx: &mut Tx) -> DbResult<FailingCounts> {
    let pairs: Vec<(String, u32)> = tx.query_map(
        "SELECT sev.text, count(*) FROM rule_state AS s
         JOIN host_keys AS k ON k.key = s.host_key
         JOIN hosts AS h ON h.name = k.name AND h.removed_at IS NULL
         JOIN value_codes AS st ON st.code = s.status
         JOIN value_codes AS sev ON sev.code = s.severity
         WHERE s.removed_at IS NULL AND st.text = 'fail'
         GROUP BY sev.text",
        &args![],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let mut counts = FailingCounts::default();
    for (severity, n) in pairs {
        let severity: Severity = decode(severity)?;
        for _ in 0..n {
            counts.add(severity);
        }
    }
    Ok(counts)
}

/// Change-log rows of live hosts since `since` that started or ended a failure, newest
/// first.
fn fail_rows(tx: &mut Tx, since: i64) -> DbResult<Vec<FailRow>> {
    tx.query_map(
        "SELECT c.occurred_at, ps.text, ns.text, pv.text, sv.text FROM change_log AS c
         JOIN host_keys AS k ON k.key = c.host_key
         JOIN hosts AS h ON h.name = k.name AND h.removed_at IS NULL
         LEFT JOIN value_codes AS ps ON ps.code = c.previous_status
         LEFT JOIN value_codes AS ns ON ns.code = c.new_status
         LEFT JOIN value_codes AS pv ON pv.code = c.previous_severity
         JOIN value_codes AS sv ON sv.code = c.severity
         WHERE c.occurred_at >= ?1 AND (ps.text = 'fail' OR ns.text = 'fail')
         ORDER BY c.occurred_at DESC, c.id DESC",
        &args![since],
        |row| {
            let severity: Severity = decode(row.get(4)?)?;
            let previous_severity = match row.get::<Option<String>>(3)? {
                Some(text) => decode(text)?,
                None => severity,
            };
            let status = |text: Option<String>| text.map(decode::<Status>).transpose();
            Ok(FailRow {
                at: row.get(0)?,
                previous: status(row.get(1)?)?.map(|s| (s, previous_severity)),
                new: status(row.get(2)?)?.map(|s| (s, severity)),
            })
        },
    )
}

/// Regressions and fixes of live hosts since `since`, newest first, as `plumb drift`
/// classes them (a status change to fail, an expired waiver; fail or waived to pass).
fn flips(tx: &mut Tx, since: i64) -> DbResult<Vec<StatusFlip>> {
    // A waived result is stored as fail with its waiver.
    let rows = tx.query_map(
        "SELECT k.name, r.id, sv.text, c.occurred_at,
                CASE WHEN c.previous_waiver IS NOT NULL THEN 'waived' ELSE ps.text END,
                CASE WHEN c.waiver IS NOT NULL THEN 'waived' ELSE ns.text END
         FROM change_log AS c
         JOIN host_keys AS k ON k.key = c.host_key
         JOIN hosts AS h ON h.name = k.name AND h.removed_at IS NULL
         JOIN rule_keys AS r ON r.key = c.rule_key
         JOIN value_codes AS ps ON ps.code = c.previous_status
         JOIN value_codes AS ns ON ns.code = c.new_status
         JOIN value_codes AS sv ON sv.code = c.severity
         WHERE c.occurred_at >= ?1 AND ns.text IN ('fail', 'pass')
         ORDER BY c.occurred_at DESC, c.id DESC",
        &args![since],
        |row| {
            let before: Status = decode(row.get(4)?)?;
            let after: Status = decode(row.get(5)?)?;
            let class = (before != after).then(|| crate::drift::status_change(before, after));
            let direction = match class {
                Some(class) if class.is_regression() => Some(ChangeDirection::Regression),
                Some(crate::drift::ChangeClass::Fix) => Some(ChangeDirection::Fix),
                _ => None,
            };
            let Some(direction) = direction else {
                return Ok(None);
            };
            Ok(Some(StatusFlip {
                host: row.get(0)?,
                rule_id: row.get(1)?,
                severity: decode(row.get(2)?)?,
                at: row.get(3)?,
                direction,
            }))
        },
    )?;
    Ok(rows.into_iter().flatten().collect())
}

fn decode<T: std::str::FromStr<Err = String>>(text: String) -> DbResult<T> {
    super::db::parse(text)
}

/// Bucket widths tried, smallest first, when there are more scans than points.
const BUCKETS_MS: [i64; 7] = [
    60_000,
    600_000,
    3_600_000,
    6 * 3_600_000,
    DAY_MS,
    7 * DAY_MS,
    30 * DAY_MS,
];

/// The times of the fleet axis: each scan's time, or when there are more than
/// [`MAX_FLEET_POINTS`], the last scan time of each bucket of the smallest width that fits.
fn point_times(by_time: &[ScorePoint]) -> Vec<i64> {
    let mut times: Vec<i64> = by_time.iter().map(|p| p.at).collect();
    times.dedup();
    if times.len() <= MAX_FLEET_POINTS {
        return times;
    }
    for width in BUCKETS_MS {
        let mut bucketed: Vec<i64> = Vec::new();
        for &at in &times {
            match bucketed.last_mut() {
                Some(last) if last.div_euclid(width) == at.div_euclid(width) => *last = at,
                _ => bucketed.push(at),
            }
        }
        if bucketed.len() <= MAX_FLEET_POINTS {
            return bucketed;
        }
    }
    // Years of history: the last MAX_FLEET_POINTS months.
    times.dedup_by_key(|at| at.div_euclid(30 * DAY_MS));
    let skip = times.len().saturating_sub(MAX_FLEET_POINTS);
    times.split_off(skip)
}

/// The fleet score at each of `times`: pass and fail of every host's latest scan until then.
fn fleet_scores(by_time: &[ScorePoint], times: &[i64]) -> Vec<(i64, Option<f64>)> {
    let mut latest: std::collections::HashMap<&str, (u64, u64)> = Default::default();
    let (mut pass, mut fail) = (0u64, 0u64);
    let mut scans = by_time.iter().peekable();
    times
        .iter()
        .map(|&at| {
            while let Some(point) = scans.next_if(|p| p.at <= at) {
                let now = (u64::from(point.pass), u64::from(point.fail));
                if let Some((old_pass, old_fail)) = latest.insert(&point.host, now) {
                    pass -= old_pass;
                    fail -= old_fail;
                }
                pass += now.0;
                fail += now.1;
            }
            (at, crate::score::compliance_score(pass, fail))
        })
        .collect()
}

/// Failures by severity at each of `times` (oldest first): `live` with every later row undone.
/// `None` where a count would go negative (rows missing, as before a prune).
fn failing_at(live: FailingCounts, rows: &[FailRow], times: &[i64]) -> Vec<Option<FailingCounts>> {
    let mut counts = [
        i64::from(live.low),
        i64::from(live.medium),
        i64::from(live.high),
        i64::from(live.critical),
    ];
    let slot = |severity: Severity| match severity {
        Severity::Low => 0,
        Severity::Medium => 1,
        Severity::High => 2,
        Severity::Critical => 3,
    };
    let mut rows = rows.iter().peekable();
    let mut out: Vec<Option<FailingCounts>> = times
        .iter()
        .rev()
        .map(|&at| {
            while let Some(row) = rows.next_if(|row| row.at > at) {
                if let Some((Status::Fail, severity)) = row.new {
                    counts[slot(severity)] -= 1;
                }
                if let Some((Status::Fail, severity)) = row.previous {
                    counts[slot(severity)] += 1;
                }
            }
            let count = |i: usize| u32::try_from(counts[i]).ok();
            Some(FailingCounts {
                low: count(0)?,
                medium: count(1)?,
                high: count(2)?,
                critical: count(3)?,
            })
        })
        .collect();
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(host: &str, at: i64, pass: u32, fail: u32) -> ScorePoint {
        ScorePoint {
            host: host.into(),
            at,
            pass,
            fail,
            score: crate::score::compliance_score(pass.into(), fail.into()),
        }
    }

    #[test]
    fn the_fleet_score_counts_each_hosts_latest_scan_once() {
        let scans = [
            point("a", 1, 1, 1),
            point("b", 2, 4, 0),
            point("a", 3, 2, 0),
        ];
        let times = point_times(&scans);
        assert_eq!(times, vec![1, 2, 3]);
        assert_eq!(
            fleet_scores(&scans, &times),
            vec![(1, Some(50.0)), (2, Some(83.3)), (3, Some(100.0))]
        );
    }

    #[test]
    fn many_scans_are_bucketed_to_at_most_the_point_limit() {
        let scans: Vec<ScorePoint> = (0..1000).map(|i| point("a", i * 1000, 1, 0)).collect();
        let times = point_times(&scans);
        assert!(times.len() <= MAX_FLEET_POINTS, "{}", times.len());
        assert_eq!(times.last(), Some(&999_000));
    }

    /// A full scan of host `h` finished at `at` with `results`.
    fn record_scan(store: &mut Store, at: i64, results: Vec<crate::store::ResultRecord>) {
        let batch = crate::store::ScanBatch::for_test("h", at, results);
        store.apply_scan(&batch).unwrap();
    }

    /// Two scans of one host on a real file: a high rule regresses and a low one is fixed.
    #[test]
    fn a_state_file_gives_scores_failures_and_flips_per_scan() {
        use crate::store::ResultRecord;
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("state.db")).unwrap();
        let result = |id: &str, severity, status| ResultRecord {
            rule_id: id.into(),
            title: id.into(),
            severity,
            status,
            reason: None,
            evidence: serde_json::json!({ "status": status.as_str() }),
            waiver: None,
        };
        let now = crate::store::now_ms();
        for (at, high, low) in [
            (now - 2000, Status::Pass, Status::Fail),
            (now - 1000, Status::Fail, Status::Pass),
        ] {
            record_scan(
                &mut store,
                at,
                vec![
                    result("high-rule", Severity::High, high),
                    result("low-rule", Severity::Low, low),
                    result("pass-rule", Severity::Medium, Status::Pass),
                ],
            );
        }
        let trends = store.trends(0, now).unwrap();
        let scores: Vec<Option<f64>> = trends.host_scores.iter().map(|p| p.score).collect();
        assert_eq!(scores, [Some(66.7), Some(66.7)]);
        let failing: Vec<Option<FailingCounts>> = trends.fleet.iter().map(|p| p.failing).collect();
        let one = |severity| {
            let mut counts = FailingCounts::default();
            counts.add(severity);
            Some(counts)
        };
        assert_eq!(failing, [one(Severity::Low), one(Severity::High)]);
        let flips: Vec<(&str, ChangeDirection)> = trends
            .flips
            .iter()
            .map(|f| (f.rule_id.as_str(), f.direction))
            .collect();
        assert_eq!(flips.len(), 2, "{flips:?}");
        assert!(flips.contains(&("high-rule", ChangeDirection::Regression)));
        assert!(flips.contains(&("low-rule", ChangeDirection::Fix)));
        assert_eq!(store.live_results().unwrap().len(), 3);
    }

    /// The chart counts what `plumb drift` calls regressions and fixes: from skipped to fail
    /// too, an expired waiver, a waived failure fixed; a failure being waived is neither.
    #[test]
    fn regressions_and_fixes_are_drifts() {
        use crate::store::ResultRecord;
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("state.db")).unwrap();
        let now = crate::store::now_ms();
        let scans: [(i64, [Status; 3]); 3] = [
            (now - 3000, [Status::Skipped, Status::Fail, Status::Fail]),
            (now - 2000, [Status::Fail, Status::Waived, Status::Waived]),
            (now - 1000, [Status::Fail, Status::Fail, Status::Pass]),
        ];
        for (at, statuses) in scans {
            let results = ["was-skipped", "waiver-ends", "waived-fixed"]
                .into_iter()
                .zip(statuses)
                .map(|(id, status)| ResultRecord {
                    rule_id: id.into(),
                    title: id.into(),
                    severity: Severity::High,
                    status,
                    reason: (status == Status::Skipped).then(|| "platform".to_owned()),
                    evidence: serde_json::json!({ "status": status.as_str() }),
                    waiver: (status == Status::Waived).then(|| "W-1".to_owned()),
                })
                .collect();
            record_scan(&mut store, at, results);
        }
        let trends = store.trends(0, now).unwrap();
        let mut flips: Vec<(&str, ChangeDirection)> = trends
            .flips
            .iter()
            .map(|f| (f.rule_id.as_str(), f.direction))
            .collect();
        flips.sort_by_key(|(id, _)| *id);
        assert_eq!(
            flips,
            [
                ("waived-fixed", ChangeDirection::Fix),
                ("waiver-ends", ChangeDirection::Regression),
                ("was-skipped", ChangeDirection::Regression),
            ]
        );
    }

    #[test]
    fn failures_are_rebuilt_backwards_from_the_live_state() {
        // At 10 a high rule started failing; at 20 it was fixed and a low one started failing.
        let rows = [
            FailRow {
                at: 20,
                previous: Some((Status::Pass, Severity::Low)),
                new: Some((Status::Fail, Severity::Low)),
            },
            FailRow {
                at: 20,
                previous: Some((Status::Fail, Severity::High)),
                new: Some((Status::Pass, Severity::High)),
            },
            FailRow {
                at: 10,
                previous: None,
                new: Some((Status::Fail, Severity::High)),
            },
        ];
        let live = FailingCounts {
            low: 1,
            ..FailingCounts::default()
        };
        let got = failing_at(live, &rows, &[5, 10, 20]);
        let high = FailingCounts {
            high: 1,
            ..FailingCounts::default()
        };
        assert_eq!(
            got,
            vec![Some(FailingCounts::default()), Some(high), Some(live)]
        );
        // Rows missing (pruned): a count below zero is unknown, not zero.
        assert_eq!(
            failing_at(FailingCounts::default(), &rows[..1], &[5]),
            vec![None]
        );
    }
}
