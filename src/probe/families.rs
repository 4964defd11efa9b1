//! Which platform families a host may belong to, read from os-release before any command
//! runs, so that a command only some families need (a RHEL-only `ps -eZ`) is skipped on the
//! others.
//!
//! This reading is deliberately looser than rule evaluation's platform match
//! (`eval::platform`): it may let a command run that no rule ends up using, but never skips
//! one that a matching rule needs. It is kept simple enough to be written twice, here and as
//! `_os_words` in probe.sh, and the parity tests hold the two together.

use std::collections::BTreeSet;
use std::path::Path;

use super::facts::FileFact;
use super::native;
use super::sources::OS_RELEASE;

/// The host's os-release words, or `None` when they are unknown and every command runs.
pub fn host_words(root: &Path) -> Option<BTreeSet<String>> {
    // The first candidate that is a readable regular file, as the shell's `[ -f ] && [ -r ]`,
    // read as any other file fact (capped, never a FIFO or a device).
    let text = OS_RELEASE
        .iter()
        .find_map(|target| match native::read_file(root, target) {
            FileFact::Text { content } => Some(Some(content)),
            FileFact::TooLarge { .. } => Some(None),
            FileFact::Missing | FileFact::Unreadable | FileFact::TooManyLinks => None,
        })??;
    os_words(&text)
}

/// Every word of every `ID` and `ID_LIKE` value in an os-release text, or `None` when there
/// are none or any of them is not a plain lowercase name (`[a-z0-9._-]`): a reading this
/// loose must not guess.
///
/// Lines are trimmed of spaces and tabs only, `#` lines and lines without `=` are skipped, and
/// a value loses one pair of matching outer quotes before it is split on spaces and tabs.
pub fn os_words(text: &str) -> Option<BTreeSet<String>> {
    let blank = |c: char| c == ' ' || c == '\t';
    let mut words = BTreeSet::new();
    for line in text.split('\n') {
        let line = line.trim_matches(blank);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if !matches!(key.trim_end_matches(blank), "ID" | "ID_LIKE") {
            continue;
        }
        let value = unquote(value.trim_start_matches(blank));
        for word in value.split(blank).filter(|word| !word.is_empty()) {
            let plain = word.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            });
            if !plain {
                return None;
            }
            words.insert(word.to_owned());
        }
    }
    (!words.is_empty()).then_some(words)
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

/// Whether a command wanted by `words_wanted` (empty: by some rule on every platform) runs on a
/// host with these os-release words.
pub fn needed(words_wanted: &BTreeSet<String>, host: Option<&BTreeSet<String>>) -> bool {
    match host {
        Some(host) if !words_wanted.is_empty() => words_wanted.iter().any(|w| host.contains(w)),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn id_and_id_like_words_are_read() {
        let text = "NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n";
        assert_eq!(
            os_words(text),
            Some(words(&["centos", "fedora", "rhel", "rocky"]))
        );
        assert_eq!(
            os_words("  ID = debian\t\n# ID=rhel\nVERSION_ID=12\n"),
            Some(words(&["debian"]))
        );
        assert_eq!(
            os_words("ID='ubuntu'\nID_LIKE=debian"),
            Some(words(&["debian", "ubuntu"]))
        );
    }

    #[test]
    fn anything_unusual_means_unknown() {
        assert_eq!(os_words(""), None);
        assert_eq!(os_words("NAME=x\n"), None);
        assert_eq!(os_words("ID=rhel\r\n"), None);
        assert_eq!(os_words("ID=Debian\n"), None);
        assert_eq!(os_words("ID=\"rhel\n"), None);
    }

    #[test]
    fn gating_only_skips_when_the_host_is_known_and_unwanted() {
        let rhel = words(&["rhel", "centos", "rocky", "almalinux", "ol"]);
        let debian = words(&["debian"]);
        assert!(needed(&rhel, Some(&words(&["rocky", "rhel"]))));
        assert!(!needed(&rhel, Some(&debian)));
        assert!(needed(&rhel, None));
        assert!(needed(&BTreeSet::new(), Some(&debian)));
    }
}
