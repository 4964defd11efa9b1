//! Colours for the terminal views: ANSI SGR codes, or nothing at all without `color`.

use crate::rules::Severity;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ansi {
    Red = 31,
    Green = 32,
    Yellow = 33,
    Magenta = 35,
    Cyan = 36,
    Grey = 90,
}

/// Colours text; a no-op without `color`, so plain output has no escape code at all.
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    pub color: bool,
}

impl Paint {
    pub fn fg(self, text: &str, color: Ansi) -> String {
        self.sgr(text, color as u8)
    }

    pub fn fg_if(self, condition: bool, text: &str, color: Ansi) -> String {
        if condition {
            self.fg(text, color)
        } else {
            text.to_owned()
        }
    }

    pub fn bold(self, text: &str) -> String {
        self.sgr(text, 1)
    }

    fn sgr(self, text: &str, code: u8) -> String {
        if self.color && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

pub fn severity_color(severity: Severity) -> Ansi {
    match severity {
        Severity::Critical => Ansi::Magenta,
        Severity::High => Ansi::Red,
        Severity::Medium => Ansi::Yellow,
        Severity::Low => Ansi::Cyan,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_adds_escape_codes_only_with_color() {
        assert_eq!(Paint { color: false }.fg("x", Ansi::Red), "x");
        assert_eq!(Paint { color: true }.fg("x", Ansi::Red), "\x1b[31mx\x1b[0m");
    }
}
