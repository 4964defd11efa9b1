//! The `plumb state` tables, fitted to the terminal's width: when too wide, times lose their
//! seconds, scan ids show their first 8 characters (as `git` abbreviates), names are cut with
//! `…`, and the least useful columns are left out.

use super::{format_time, score_text};
use crate::report::grid::{self, Cell, Column};
use crate::report::paint::{Ansi, Paint};
use crate::store;
use crate::tier::Tier;

/// Characters of a scan id shown when the table is narrow; `drift --scan` takes the prefix.
const SCAN_ID_PREFIX: usize = 8;
/// Names are cut no shorter than this.
const NAME_MIN: usize = 12;

/// Where the tables render: the terminal's width, else the report default.
pub fn width() -> usize {
    usize::from(crate::report::terminal_width().unwrap_or(crate::report::DEFAULT_WIDTH))
}

fn time(unix_ms: i64) -> Cell {
    let full = format_time(unix_ms);
    // 2026-11-30T11:40:03Z -> 2026-11-30 11:40
    let short = full.get(..16).map(|s| s.replacen('T', " ", 1));
    match short {
        Some(short) => Cell::new(full).or_short(short),
        None => Cell::new(full),
    }
}

fn opt_time(unix_ms: Option<i64>) -> Cell {
    unix_ms.map_or_else(|| Cell::new("-"), time)
}

fn scan_id(id: &str) -> Cell {
    Cell::new(id).or_short(id.chars().take(SCAN_ID_PREFIX).collect::<String>())
}

pub fn last_scans(scans: &[store::HostLastScan], width: usize, paint: Paint) -> String {
    let columns = [
        Column::new("host").truncate_to(NAME_MIN),
        Column::new("last scan").drop_rank(1),
        Column::new("finished").drop_rank(0),
        Column::new("status"),
    ];
    let rows: Vec<Vec<Cell>> = scans
        .iter()
        .map(|scan| {
            vec![
                Cell::new(&scan.host),
                scan_id(&scan.scan_id),
                time(scan.finished_at),
                Cell::new(&scan.status),
            ]
        })
        .collect();
    grid::render(&columns, &rows, width, paint)
}

fn compliance_color(state: Tier) -> Ansi {
    match state {
        Tier::Critical | Tier::NonCompliant => Ansi::Red,
        Tier::Partial | Tier::MostlyCompliant => Ansi::Yellow,
        Tier::Compliant => Ansi::Green,
        Tier::Unknown => Ansi::Grey,
    }
}

pub fn hosts(hosts: &[store::HostSummary], width: usize, paint: Paint) -> String {
    let columns = [
        Column::new("host").truncate_to(NAME_MIN),
        Column::new("score").right(),
        Column::new("compliance").drop_rank(2),
        Column::new("last scan").drop_rank(1),
        Column::new("status").drop_rank(0),
        Column::new("fail crit").short("crit").right(),
        Column::new("fail high").short("high").right(),
        Column::new("fail med").short("med").right(),
        Column::new("fail low").short("low").right(),
    ];
    let rows: Vec<Vec<Cell>> = hosts
        .iter()
        .map(|host| {
            vec![
                Cell::new(&host.name),
                Cell::new(score_text(host.score)),
                Cell::new(host.compliance.as_str()).color(compliance_color(host.compliance)),
                opt_time(host.last_scan_at),
                Cell::new(host.last_scan_status.as_deref().unwrap_or("-")),
                Cell::new(host.failing.critical.to_string()),
                Cell::new(host.failing.high.to_string()),
                Cell::new(host.failing.medium.to_string()),
                Cell::new(host.failing.low.to_string()),
            ]
        })
        .collect();
    grid::render(&columns, &rows, width, paint)
}

pub fn scans(scans: &[store::ScanSummary], width: usize, paint: Paint) -> String {
    let columns = [
        Column::new("scan"),
        Column::new("host").truncate_to(NAME_MIN),
        Column::new("trigger").drop_rank(1),
        Column::new("finished").drop_rank(6),
        Column::new("status").drop_rank(3),
        Column::new("scope").drop_rank(0),
        Column::new("pass").right(),
        Column::new("fail").right(),
        Column::new("skipped").short("skip").right().drop_rank(4),
        Column::new("error").short("err").right().drop_rank(5),
        Column::new("score").right(),
        Column::new("changes").right().drop_rank(2),
    ];
    let rows: Vec<Vec<Cell>> = scans
        .iter()
        .map(|scan| {
            let changes = if scan.fast_path {
                Cell::new("unchanged").or_short("0")
            } else {
                Cell::new(scan.change_count.to_string())
            };
            vec![
                scan_id(&scan.scan_id),
                Cell::new(&scan.host),
                Cell::new(&scan.trigger),
                time(scan.finished_at),
                Cell::new(&scan.status),
                Cell::new(&scan.scope),
                Cell::new(scan.counts.pass.to_string()),
                Cell::new(scan.counts.fail.to_string()),
                Cell::new(scan.counts.skipped.to_string()),
                Cell::new(scan.counts.error.to_string()),
                Cell::new(score_text(scan.score)),
                changes,
            ]
        })
        .collect();
    grid::render(&columns, &rows, width, paint)
}

pub fn history(entries: &[store::HistoryEntry], width: usize, paint: Paint) -> String {
    let columns = [
        Column::new("id").right().drop_rank(1),
        Column::new("when").drop_rank(3),
        Column::new("rule").truncate_to(NAME_MIN),
        Column::new("change").truncate_to(8),
        Column::new("from"),
        Column::new("to"),
        Column::new("severity").short("sev").drop_rank(2),
        Column::new("scan").drop_rank(0),
    ];
    let dash = |value: &Option<String>| Cell::new(value.as_deref().unwrap_or("-"));
    let rows: Vec<Vec<Cell>> = entries
        .iter()
        .map(|e| {
            vec![
                Cell::new(e.id.to_string()),
                time(e.occurred_at),
                Cell::new(&e.rule_id),
                Cell::new(&e.change_kind),
                dash(&e.previous_status),
                dash(&e.new_status),
                Cell::new(&e.severity),
                scan_id(&e.scan_id),
            ]
        })
        .collect();
    grid::render(&columns, &rows, width, paint)
}
