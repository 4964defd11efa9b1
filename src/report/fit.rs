//! Fitting text to a terminal width: display width, `…` truncation and word wrapping.
//! A column is one `char`; ANSI escape sequences (from [`super::paint`]) take none.

/// What a cut-off text ends with.
pub const ELLIPSIS: char = '…';

/// Columns `text` takes on a terminal: its chars, escape sequences not counted.
pub fn width(text: &str) -> usize {
    visible_chars(text).count()
}

/// `text` without its escape sequences.
pub fn strip_escapes(text: &str) -> String {
    visible_chars(text).collect()
}

fn visible_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    let mut in_escape = false;
    text.chars().filter(move |&c| match c {
        '\x1b' => {
            in_escape = true;
            false
        }
        'm' if in_escape => {
            in_escape = false;
            false
        }
        _ => !in_escape,
    })
}

/// `text` (plain, no escape codes) in at most `max` columns: cut and ended with `…` when
/// longer, at a word boundary when one is in the second half, so words are rarely cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let kept: String = text.chars().take(max - 1).collect();
    // Prefer ending at a space when that keeps at least half of the room.
    let cut = match kept.rfind(' ') {
        Some(at) if kept[..at].chars().count() * 2 >= max - 1 => &kept[..at],
        _ => kept.as_str(),
    };
    let mut out = cut.trim_end().to_owned();
    out.push(ELLIPSIS);
    out
}

/// `text` (plain) padded with spaces to `columns`.
pub fn pad(text: &str, columns: usize) -> String {
    let mut out = text.to_owned();
    for _ in width(text)..columns {
        out.push(' ');
    }
    out
}

/// Line breaks and runs of whitespace as single spaces, for a one-line cell.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` wrapped at spaces into lines of at most `width` columns: the first starts with
/// `first`, the rest with `rest` (both plain). Words are never split; a word too long for a
/// line of its own is truncated with `…`. Escape codes in `text` do not count.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_owned();
    let mut empty = true;
    for word in text.split_whitespace() {
        let indent = if lines.is_empty() { first } else { rest };
        let room = width.saturating_sub(self::width(indent)).max(1);
        let word = if self::width(word) > room && !word.contains('\x1b') {
            truncate(word, room)
        } else {
            word.to_owned()
        };
        if !empty && self::width(&line) + 1 + self::width(&word) > width {
            lines.push(std::mem::replace(&mut line, rest.to_owned()));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(&word);
        empty = false;
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_counts_chars_and_skips_escape_codes() {
        assert_eq!(width("\x1b[1mhost\x1b[0m"), 4);
        assert_eq!(width("a…b"), 3);
    }

    #[test]
    fn truncation_ends_with_an_ellipsis_and_prefers_word_boundaries() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abcdefghij", 5), "abcd…");
        assert_eq!(truncate("mode 0644 exceeds 0640", 15), "mode 0644…");
        assert_eq!(truncate("a bcdefghijkl", 8), "a bcdef…");
        assert_eq!(truncate("x", 0), "");
    }

    #[test]
    fn wrapping_never_splits_a_word() {
        let lines = wrap("not installed anywhere at all", 14, "  ", "    ");
        assert_eq!(
            lines,
            ["  not", "    installed", "    anywhere", "    at all"]
        );
        let lines = wrap("aaaa \x1b[31mbbbb\x1b[0m cccc", 12, "  ", "    ");
        assert_eq!(lines, ["  aaaa \x1b[31mbbbb\x1b[0m", "    cccc"]);
        let lines = wrap("averyveryverylongword", 10, "", "");
        assert_eq!(lines, ["averyvery…"]);
    }
}
