//! Boxed tables that fit a width, as `ls` and `git` fit theirs: every row is one line; when
//! the table is too wide, headers and cells take their short forms, free text is cut with `…`,
//! and the least useful columns are left out. Borders are never broken.

use super::fit::{self, truncate};
use super::paint::{Ansi, Paint};

/// One cell: its text, an optional shorter form (a date without seconds, an id prefix), and a
/// colour.
#[derive(Clone, Debug, Default)]
pub struct Cell {
    pub text: String,
    pub short: Option<String>,
    pub color: Option<Ansi>,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: fit::one_line(&super::terminal_safe(&text.into())),
            ..Self::default()
        }
    }

    /// With a shorter form used when the table is too wide.
    pub fn or_short(mut self, short: impl Into<String>) -> Self {
        self.short = Some(fit::one_line(&super::terminal_safe(&short.into())));
        self
    }

    pub fn color(mut self, color: Ansi) -> Self {
        self.color = Some(color);
        self
    }
}

#[derive(Clone, Debug)]
pub struct Column {
    pub header: &'static str,
    /// Header when the table is too wide (`fail crit` -> `crit`).
    pub short_header: Option<&'static str>,
    /// Free text cut with `…` down to this many columns when the table is too wide; `None`
    /// for values that must be shown whole.
    pub truncate_to: Option<usize>,
    /// Left out when the table is still too wide, lowest first; `None`: always shown.
    pub drop_rank: Option<u8>,
    pub right: bool,
}

impl Column {
    pub const fn new(header: &'static str) -> Self {
        Self {
            header,
            short_header: None,
            truncate_to: None,
            drop_rank: None,
            right: false,
        }
    }

    pub const fn short(mut self, header: &'static str) -> Self {
        self.short_header = Some(header);
        self
    }

    pub const fn truncate_to(mut self, columns: usize) -> Self {
        self.truncate_to = Some(columns);
        self
    }

    pub const fn drop_rank(mut self, rank: u8) -> Self {
        self.drop_rank = Some(rank);
        self
    }

    pub const fn right(mut self) -> Self {
        self.right = true;
        self
    }
}

/// Renders `rows` under `columns` in at most `width` columns (when it can: the columns that
/// are never left out, at their shortest, are the floor).
pub fn render(columns: &[Column], rows: &[Vec<Cell>], width: usize, paint: Paint) -> String {
    let layout = Layout::fit(columns, rows, width);
    let mut out = String::new();
    let visible: Vec<usize> = (0..columns.len()).filter(|&i| layout.shown[i]).collect();
    let rule = |left: &str, fill: &str, join: &str, right: &str| {
        let parts: Vec<String> = visible
            .iter()
            .map(|&i| fill.repeat(layout.widths[i] + 2))
            .collect();
        format!("{left}{}{right}\n", parts.join(join))
    };
    let line = |texts: Vec<(String, Option<Ansi>, bool)>| {
        let cells: Vec<String> = texts
            .into_iter()
            .zip(&visible)
            .map(|((text, color, right), &i)| {
                let padding = " ".repeat(layout.widths[i].saturating_sub(fit::width(&text)));
                let text = match color {
                    Some(color) => paint.fg(&text, color),
                    None => text,
                };
                if right {
                    format!(" {padding}{text} ")
                } else {
                    format!(" {text}{padding} ")
                }
            })
            .collect();
        format!("│{}│\n", cells.join("┆"))
    };
    out.push_str(&rule("┌", "─", "┬", "┐"));
    let headers = visible
        .iter()
        .map(|&i| {
            let header = layout.header(&columns[i]);
            (header.to_owned(), None, false)
        })
        .collect();
    out.push_str(&line(headers));
    out.push_str(&rule("╞", "═", "╪", "╡"));
    for row in rows {
        let texts = visible
            .iter()
            .map(|&i| {
                let cell = row.get(i).cloned().unwrap_or_default();
                let text = layout.text(&cell, i);
                (text, cell.color, columns[i].right)
            })
            .collect();
        out.push_str(&line(texts));
    }
    out.push_str(&rule("└", "─", "┴", "┘"));
    out
}

/// The columns shown, their widths, and which forms are used.
struct Layout {
    shown: Vec<bool>,
    widths: Vec<usize>,
    short_headers: bool,
    short_cells: bool,
}

impl Layout {
    fn fit(columns: &[Column], rows: &[Vec<Cell>], width: usize) -> Self {
        let mut layout = Self {
            shown: vec![true; columns.len()],
            widths: vec![0; columns.len()],
            short_headers: false,
            short_cells: false,
        };
        layout.measure(columns, rows);
        // Shorter forms first, then cut free text, then leave columns out (and cut again).
        for step in 0..2 {
            if layout.total() <= width {
                return layout;
            }
            if step == 0 {
                layout.short_headers = true;
            } else {
                layout.short_cells = true;
            }
            layout.measure(columns, rows);
        }
        loop {
            layout.shrink(columns, width);
            if layout.total() <= width {
                return layout;
            }
            let next = (0..columns.len())
                .filter(|&i| layout.shown[i])
                .filter_map(|i| columns[i].drop_rank.map(|rank| (rank, i)))
                .min();
            let Some((_, index)) = next else {
                return layout;
            };
            layout.shown[index] = false;
            layout.measure(columns, rows);
        }
    }

    fn header<'c>(&self, column: &'c Column) -> &'c str {
        match column.short_header {
            Some(short) if self.short_headers => short,
            _ => column.header,
        }
    }

    fn full_text<'a>(&self, cell: &'a Cell) -> &'a str {
        match &cell.short {
            Some(short) if self.short_cells => short,
            _ => &cell.text,
        }
    }

    fn text(&self, cell: &Cell, index: usize) -> String {
        truncate(self.full_text(cell), self.widths[index])
    }

    /// Each shown column as wide as its header or its widest cell.
    fn measure(&mut self, columns: &[Column], rows: &[Vec<Cell>]) {
        for (i, column) in columns.iter().enumerate() {
            let cells = rows
                .iter()
                .filter_map(|row| row.get(i))
                .map(|cell| fit::width(self.full_text(cell)));
            self.widths[i] = cells
                .max()
                .unwrap_or(0)
                .max(fit::width(self.header(column)));
        }
    }

    /// Cuts the widest truncatable column, a column at a time, until the table fits or none
    /// can give more.
    fn shrink(&mut self, columns: &[Column], width: usize) {
        while self.total() > width {
            let floor = |i: usize| {
                let header = fit::width(self.header(&columns[i]));
                columns[i].truncate_to.map(|min| min.max(header))
            };
            let widest = (0..columns.len())
                .filter(|&i| self.shown[i])
                .filter(|&i| floor(i).is_some_and(|min| self.widths[i] > min))
                .max_by_key(|&i| self.widths[i]);
            let Some(i) = widest else { return };
            self.widths[i] -= 1;
        }
    }

    /// Columns taken: a border, then per column its width, two spaces and a border.
    fn total(&self) -> usize {
        1 + (0..self.widths.len())
            .filter(|&i| self.shown[i])
            .map(|i| self.widths[i] + 3)
            .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<Column> {
        vec![
            Column::new("host").truncate_to(6),
            Column::new("when").drop_rank(1),
            Column::new("fail crit").short("crit").right(),
        ]
    }

    fn rows() -> Vec<Vec<Cell>> {
        vec![vec![
            Cell::new("a-long-host-name"),
            Cell::new("2026-11-30T11:40:03Z").or_short("11-30 11:40"),
            Cell::new("3"),
        ]]
    }

    fn render_at(width: usize) -> String {
        render(&columns(), &rows(), width, Paint { color: false })
    }

    #[test]
    fn a_wide_enough_table_is_shown_whole() {
        let text = render_at(200);
        assert!(text.contains("│ a-long-host-name ┆ 2026-11-30T11:40:03Z ┆         3 │"));
        assert!(text.contains("fail crit"));
    }

    #[test]
    fn a_narrow_table_shortens_then_cuts_then_drops() {
        // Short header and date: 1 + 19 + 14 + 7 = 41.
        let text = render_at(41);
        assert!(
            text.contains("│ a-long-host-name ┆ 11-30 11:40 ┆    3 │"),
            "{text}"
        );
        // Cutting the name is enough.
        let text = render_at(38);
        assert!(
            text.contains("│ a-long-host-… ┆ 11-30 11:40 ┆    3 │"),
            "{text}"
        );
        // It is not: the date goes, and the name is whole again.
        let text = render_at(27);
        assert!(text.contains("│ a-long-host-name ┆    3 │"), "{text}");
        let text = render_at(23);
        assert!(text.contains("│ a-long-host… ┆    3 │"), "{text}");
        for width in [23, 27, 38, 41, 200] {
            for line in render_at(width).lines() {
                assert!(fit::width(line) <= width, "{line}");
            }
        }
    }
}
