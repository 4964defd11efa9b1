//! Is an audit rule line among the loaded rules (`auditctl -l`)? Kensa's reading, for
//! `AuditMatch::Loaded`: auditctl prints a rule in its own form (`-k KEY` as `-F key=KEY`,
//! `auid!=unset` as `auid!=-1`, syscalls re-sorted), so a line is matched on the fields that
//! tell rules apart rather than as text.

use std::collections::BTreeSet;

/// Whether `rule` (one line of a rule's text) is loaded, given auditctl's lines.
pub fn line_loaded(rule: &str, loaded: &[&str]) -> bool {
    let rule = normalise(rule);
    if rule.starts_with("-w") {
        // Watches print as written.
        return loaded.iter().any(|line| normalise(line) == rule);
    }
    let fields = ["arch", "path", "perm", "exit"].map(|name| (name, field_token(&rule, name)));
    let key = audit_key(&rule);
    let syscalls = syscall_set(&rule);
    // perm alone does not tell two rules apart.
    let distinguishing = fields
        .iter()
        .any(|(name, token)| *name != "perm" && token.is_some())
        || !syscalls.is_empty();
    loaded.iter().any(|line| {
        fields.iter().all(|(name, wanted)| {
            wanted
                .as_ref()
                .is_none_or(|wanted| field_token(line, name).as_ref() == Some(wanted))
        }) && key
            .as_ref()
            .is_none_or(|key| audit_key(line).as_ref() == Some(key))
            && (syscalls.is_empty() || syscalls == syscall_set(line))
            && auid_filters(&rule)
                .iter()
                .all(|filter| line.split_whitespace().any(|word| word == filter.as_str()))
            && (distinguishing || normalise(line) == rule)
    })
}

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first `-F NAME=VALUE` of a line, as `NAME=VALUE`.
fn field_token(line: &str, name: &str) -> Option<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    words
        .windows(2)
        .find(|pair| {
            pair[0] == "-F"
                && pair[1]
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('='))
        })
        .map(|pair| pair[1].to_owned())
}

/// The key a line is filed under: `-k KEY`, `-kKEY` or `-F key=KEY`, whichever comes first.
fn audit_key(line: &str) -> Option<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.iter().enumerate().find_map(|(at, word)| {
        if *word == "-k" {
            words.get(at + 1).map(|key| (*key).to_owned())
        } else if let Some(key) = word.strip_prefix("-k").filter(|key| !key.is_empty()) {
            Some(key.to_owned())
        } else {
            word.strip_prefix("key=").map(str::to_owned)
        }
    })
}

/// Every syscall the line's `-S` lists name.
fn syscall_set(line: &str) -> BTreeSet<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    words
        .windows(2)
        .filter(|pair| pair[0] == "-S")
        .flat_map(|pair| pair[1].split(','))
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The rule's `-F auid...` filters, spelled as auditctl prints them.
fn auid_filters(rule: &str) -> Vec<String> {
    let words: Vec<&str> = rule.split_whitespace().collect();
    words
        .windows(2)
        .filter(|pair| pair[0] == "-F" && pair[1].starts_with("auid"))
        .map(|pair| match pair[1] {
            "auid!=unset" => "auid!=-1".to_owned(),
            other => other.to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::line_loaded;

    const LOADED: [&str; 4] = [
        "-w /etc/hosts -p wa -k net-cfg",
        "-a always,exit -F arch=b64 -S settimeofday,adjtimex -F key=clock",
        "-a always,exit -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=-1 -F key=priv",
        "-a always,exit -F arch=b32 -S adjtimex -F key=clock",
    ];

    #[test]
    fn watches_compare_as_text() {
        assert!(line_loaded("-w  /etc/hosts -p wa -k net-cfg", &LOADED));
        assert!(!line_loaded("-w /etc/hosts -p w -k net-cfg", &LOADED));
    }

    #[test]
    fn syscall_rules_match_on_fields_in_auditctl_form() {
        // Key spelled -k, syscalls in another order: still loaded.
        let rule = "-a always,exit -F arch=b64 -S adjtimex -S settimeofday -k clock";
        assert!(line_loaded(rule, &LOADED));
        // Another key, another arch, or another syscall set is not.
        assert!(!line_loaded(
            "-a always,exit -F arch=b64 -S adjtimex,settimeofday -k time",
            &LOADED
        ));
        assert!(!line_loaded(
            "-a always,exit -F arch=b32 -S adjtimex,settimeofday -k clock",
            &LOADED
        ));
    }

    #[test]
    fn path_is_a_whole_value_and_auid_unset_is_minus_one() {
        let sudo =
            "-a always,exit -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=unset -k priv";
        assert!(line_loaded(sudo, &LOADED));
        let su =
            "-a always,exit -F path=/usr/bin/su -F perm=x -F auid>=1000 -F auid!=unset -k priv";
        assert!(!line_loaded(su, &LOADED));
        let other_uid = "-a always,exit -F path=/usr/bin/sudo -F perm=x -F auid>=500 -k priv";
        assert!(!line_loaded(other_uid, &LOADED));
    }
}
