//! Hand-written inline SVG charts. Colours come from the page's stylesheet (classes), so the
//! charts need no style attribute and the CSP needs no 'unsafe-inline'.

use super::escape;
use std::fmt::Write;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// One line of a chart: (unix ms, value) points, oldest first.
pub struct Series<'a> {
    pub label: &'a str,
    /// CSS class of the line and its dots (`c-critical`, `c-score`, ...).
    pub class: &'a str,
    pub points: Vec<(i64, f64)>,
}

/// A line chart over time with a dot per point (each with a tooltip), y from 0 to `y_max`.
/// `id` names the chart for tests and links.
pub fn line_chart(id: &str, title: &str, series: &[Series], y_max: f64) -> String {
    let all = || series.iter().flat_map(|s| s.points.iter());
    let x0 = all().map(|p| p.0).min().unwrap_or(0);
    let x1 = all().map(|p| p.0).max().unwrap_or(0);
    let y_max = if y_max > 0.0 { y_max } else { 1.0 };
    let x = |at: i64| {
        if x1 == x0 {
            LEFT + (WIDTH - LEFT - RIGHT) / 2.0
        } else {
            LEFT + (at - x0) as f64 / (x1 - x0) as f64 * (WIDTH - LEFT - RIGHT)
        }
    };
    let y = |v: f64| TOP + (1.0 - v / y_max) * (HEIGHT - TOP - BOTTOM);
    let mut out = format!(
        r#"<svg id="{id}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}"><title>{label}</title>"#,
        id = escape(id),
        label = escape(title),
    );
    axes(&mut out, y_max, x0, x1);
    for line in series {
        let _ = write!(
            out,
            r#"<g class="{}" data-label="{}" data-points="{}">"#,
            escape(line.class),
            escape(line.label),
            line.points.len()
        );
        if line.points.len() > 1 {
            out.push_str(r#"<polyline points=""#);
            for (at, v) in &line.points {
                let _ = write!(out, "{:.1},{:.1} ", x(*at), y(*v));
            }
            out.push_str(r#""/>"#);
        }
        for (at, v) in &line.points {
            let _ = write!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3"><title>{}: {} {}</title></circle>"#,
                x(*at),
                y(*v),
                escape(line.label),
                crate::time::rfc3339_seconds(*at),
                trim_number(*v)
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

fn axes(out: &mut String, y_max: f64, x0: i64, x1: i64) {
    let bottom = HEIGHT - BOTTOM;
    let _ = write!(
        out,
        r#"<g class="axis"><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/><line x1="{LEFT}" y1="{bottom}" x2="{}" y2="{bottom}"/>"#,
        WIDTH - RIGHT
    );
    for fraction in [0.0, 0.5, 1.0] {
        let y = TOP + (1.0 - fraction) * (HEIGHT - TOP - BOTTOM);
        let _ = write!(
            out,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            y + 4.0,
            trim_number(y_max * fraction)
        );
    }
    let date = |at: i64| crate::time::rfc3339_seconds(at).replace('T', " ");
    let _ = write!(
        out,
        r#"<text x="{LEFT}" y="{}">{}</text><text x="{}" y="{}" text-anchor="end">{}</text></g>"#,
        HEIGHT - 8.0,
        date(x0),
        WIDTH - RIGHT,
        HEIGHT - 8.0,
        date(x1)
    );
}

fn trim_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A small score line for a table cell: one polyline vertex per scan (0..100), or one dot.
pub fn sparkline(scores: &[f64]) -> String {
    const W: f64 = 90.0;
    const H: f64 = 20.0;
    let y = |v: f64| 1.0 + (1.0 - v / 100.0) * (H - 2.0);
    let mut out = format!(
        r#"<svg class="spark" viewBox="0 0 {W} {H}" data-points="{}">"#,
        scores.len()
    );
    match scores {
        [] => {}
        [only] => {
            let _ = write!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="2"/>"#,
                W / 2.0,
                y(*only)
            );
        }
        _ => {
            out.push_str(r#"<polyline points=""#);
            let step = (W - 2.0) / (scores.len() - 1) as f64;
            for (i, v) in scores.iter().enumerate() {
                let _ = write!(out, "{:.1},{:.1} ", 1.0 + i as f64 * step, y(*v));
            }
            out.push_str(r#""/>"#);
        }
    }
    out.push_str("</svg>");
    out
}

/// One horizontal bar per (label, class, value), scaled to the largest.
pub fn hbars(id: &str, title: &str, bars: &[(&str, &str, usize)]) -> String {
    const ROW: f64 = 24.0;
    let height = ROW * bars.len() as f64 + 4.0;
    let max = bars.iter().map(|b| b.2).max().unwrap_or(0).max(1) as f64;
    let mut out = format!(
        r#"<svg id="{}" class="bars" viewBox="0 0 420 {height}" role="img" aria-label="{t}"><title>{t}</title>"#,
        escape(id),
        t = escape(title)
    );
    for (i, (label, class, value)) in bars.iter().enumerate() {
        let y = 2.0 + i as f64 * ROW;
        let w = *value as f64 / max * 260.0;
        let _ = write!(
            out,
            r#"<text x="0" y="{:.1}">{}</text><rect class="{}" x="80" y="{y:.1}" width="{w:.1}" height="{}"/><text x="{:.1}" y="{:.1}">{value}</text>"#,
            y + 16.0,
            escape(label),
            escape(class),
            ROW - 6.0,
            86.0 + w,
            y + 16.0
        );
    }
    out.push_str("</svg>");
    out
}

/// Regressions (up) and fixes (down) per day over `days` days ending on the day of `now`.
pub fn daily_flips(id: &str, title: &str, now: i64, days: i64, flips: &[(i64, bool)]) -> String {
    const DAY: i64 = 86_400_000;
    let last_day = now.div_euclid(DAY);
    let first_day = last_day - days + 1;
    let count = usize::try_from(days).unwrap_or(0);
    let mut up = vec![0usize; count];
    let mut down = vec![0usize; count];
    for &(at, regression) in flips {
        let Ok(slot) = usize::try_from(at.div_euclid(DAY) - first_day) else {
            continue;
        };
        if slot < count {
            if regression {
                up[slot] += 1;
            } else {
                down[slot] += 1;
            }
        }
    }
    let max = up.iter().chain(&down).copied().max().unwrap_or(0).max(1) as f64;
    let mid = (HEIGHT - BOTTOM + TOP) / 2.0;
    let half = (HEIGHT - BOTTOM - TOP) / 2.0;
    let slot_w = (WIDTH - LEFT - RIGHT) / count.max(1) as f64;
    let mut out = format!(
        r#"<svg id="{}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{t}"><title>{t}</title>"#,
        escape(id),
        t = escape(title)
    );
    let _ = write!(
        out,
        r#"<g class="axis"><line x1="{LEFT}" y1="{mid}" x2="{}" y2="{mid}"/><text x="{}" y="{}" text-anchor="end">+{}</text><text x="{}" y="{}" text-anchor="end">-{}</text>"#,
        WIDTH - RIGHT,
        LEFT - 6.0,
        TOP + 8.0,
        trim_number(max),
        LEFT - 6.0,
        HEIGHT - BOTTOM,
        trim_number(max)
    );
    let date = |day: i64| crate::time::rfc3339_seconds(day * DAY)[..10].to_string();
    let _ = write!(
        out,
        r#"<text x="{LEFT}" y="{}">{}</text><text x="{}" y="{}" text-anchor="end">{}</text></g>"#,
        HEIGHT - 8.0,
        date(first_day),
        WIDTH - RIGHT,
        HEIGHT - 8.0,
        date(last_day)
    );
    for (slot, (&regressions, &fixes)) in up.iter().zip(&down).enumerate() {
        let x = LEFT + slot as f64 * slot_w + 1.0;
        let day = date(first_day + slot as i64);
        if regressions > 0 {
            let h = regressions as f64 / max * half;
            let _ = write!(
                out,
                r#"<rect class="c-regression" x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}"><title>{day}: {} regressions</title></rect>"#,
                mid - h,
                slot_w - 2.0,
                regressions
            );
        }
        if fixes > 0 {
            let h = fixes as f64 / max * half;
            let _ = write!(
                out,
                r#"<rect class="c-fix" x="{x:.1}" y="{mid:.1}" width="{:.1}" height="{h:.1}"><title>{day}: {} fixes</title></rect>"#,
                slot_w - 2.0,
                fixes
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_chart_has_one_dot_per_point_and_escapes_labels() {
        let svg = line_chart(
            "t",
            "score",
            &[Series {
                label: "<b>",
                class: "c-score",
                points: vec![(0, 10.0), (1000, 50.0), (2000, 100.0)],
            }],
            100.0,
        );
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains(r#"data-points="3""#));
        assert!(!svg.contains("<b>") && svg.contains("&lt;b&gt;"));
    }

    #[test]
    fn a_sparkline_has_one_vertex_per_score() {
        let svg = sparkline(&[10.0, 20.0, 30.0, 40.0]);
        let points = svg
            .split(r#"<polyline points=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(points.split_whitespace().count(), 4);
    }
}
