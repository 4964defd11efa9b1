//! Secrets kept out of evidence. Evidence goes to every report format, the state file and the
//! hash-chained history, which can never be edited, so it is cleaned where it is built:
//! lines of shadow(5)/gshadow(5) become "name: password set, SHA-512"; a rule marked
//! `sensitive` keeps its verdicts but not the text it read; and, whatever the rule, anything
//! shaped like a crypt(3) hash or a PEM private key is withheld.

use super::result::Evidence;
use regex::Regex;
use serde_json::Value;
use std::borrow::Cow;
use std::sync::LazyLock;

/// What stands in for text a sensitive rule read.
pub const WITHHELD: &str = "withheld (sensitive rule)";

/// Files whose lines are `name:password:...`.
const SHADOW_FILES: [&str; 4] = ["shadow", "shadow-", "gshadow", "gshadow-"];

/// Evidence keys that carry text read from the host rather than verdicts.
const READ_TEXT_KEYS: [&str; 5] = ["stdout", "stderr", "text", "observed", "matches"];

/// A crypt(3) hash: `$id$[rounds=N$]salt$hash` (MD5, bcrypt, SHA-256/512, yescrypt, scrypt...).
static CRYPT_HASH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$(?:1|2[abxy]?|5|6|7|y|gy|md5|sha1)\$(?:rounds=[0-9]+\$)?[./A-Za-z0-9$,=]{8,}")
        .unwrap_or_else(|err| unreachable!("a fixed pattern: {err}"))
});

/// A PEM private key block, to its END line or the end of the text.
static PRIVATE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?s)-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)",
    )
    .unwrap_or_else(|err| unreachable!("a fixed pattern: {err}"))
});

/// Whether `path` is a shadow or gshadow file (or its backup).
pub fn is_shadow_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|name| SHADOW_FILES.contains(&name))
}

/// A shadow/gshadow line as the one field a check looks at: "root: password set, SHA-512".
pub fn shadow_line(line: &str) -> String {
    let mut fields = line.trim_end().splitn(3, ':');
    match (fields.next(), fields.next()) {
        (Some(name), Some(password)) => format!("{name}: {}", password_state(password)),
        _ => "an entry that is not name:password (withheld)".to_owned(),
    }
}

/// What a shadow password field says, without the hash.
pub fn password_state(field: &str) -> String {
    if field.is_empty() {
        return "no password".to_owned();
    }
    if field.starts_with(['!', '*']) {
        return "locked".to_owned();
    }
    format!("password set, {}", hash_scheme(field))
}

/// The hashing scheme named by a crypt(3) `$id$` prefix.
fn hash_scheme(field: &str) -> &'static str {
    let id = field
        .strip_prefix('$')
        .and_then(|rest| rest.split('$').next());
    match id {
        Some("1") => "MD5",
        Some("2" | "2a" | "2b" | "2x" | "2y") => "bcrypt",
        Some("5") => "SHA-256",
        Some("6") => "SHA-512",
        Some("7") => "scrypt",
        Some("y") => "yescrypt",
        Some("gy") => "gost-yescrypt",
        Some("md5") => "Sun MD5",
        Some("sha1") => "SHA-1",
        Some(_) => "unknown scheme",
        None if field.len() == 13 => "DES",
        None => "unknown scheme",
    }
}

/// `text` with every crypt hash and private key block withheld.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let text = match CRYPT_HASH.replace_all(text, "<password hash withheld>") {
        Cow::Borrowed(_) => Cow::Borrowed(text),
        Cow::Owned(owned) => Cow::Owned(owned),
    };
    match PRIVATE_KEY.replace_all(&text, "<private key withheld>") {
        Cow::Borrowed(_) => text,
        Cow::Owned(owned) => Cow::Owned(owned),
    }
}

fn scrub_in_place(text: &mut String) {
    if let Cow::Owned(clean) = scrub(text) {
        *text = clean;
    }
}

fn scrub_value(value: &mut Value) {
    match value {
        Value::String(text) => scrub_in_place(text),
        Value::Array(items) => items.iter_mut().for_each(scrub_value),
        Value::Object(map) => map.values_mut().for_each(scrub_value),
        _ => {}
    }
}

/// Cleans one rule's evidence and detail; `sensitive` is the rule's own marking.
pub fn evidence(evidence: &mut [Evidence], detail: Option<&mut String>, sensitive: bool) {
    for item in evidence.iter_mut() {
        if sensitive {
            withhold_read_text(item);
        }
        scrub_in_place(&mut item.target);
        scrub_in_place(&mut item.expected);
        scrub_in_place(&mut item.actual);
        scrub_value(&mut item.source);
    }
    if let Some(detail) = detail {
        scrub_in_place(detail);
    }
}

/// A sensitive rule's evidence keeps what was checked and the verdict, not what was read.
fn withhold_read_text(item: &mut Evidence) {
    if let Value::Object(map) = &mut item.source {
        for key in READ_TEXT_KEYS {
            if let Some(value) = map.get_mut(key) {
                *value = Value::String(WITHHELD.to_owned());
            }
        }
    }
    match item.method.as_str() {
        // "matched: <line>" says which way it went before the colon.
        "file_content_match" => {
            if let Some((verdict, _)) = item.actual.split_once(':') {
                item.actual = format!("{verdict}: {WITHHELD}");
            }
        }
        "config_value" | "sshd_effective_config" | "set_compare" | "systemd_target" => {
            item.actual = WITHHELD.to_owned();
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shadow_lines_keep_the_name_and_the_state_of_the_password() {
        assert_eq!(
            shadow_line("root:$6$rounds=100000$Jq1x9ZyT$Zp4fC8v2kN1yH6sD0a:19850:0:99999:7:::"),
            "root: password set, SHA-512"
        );
        assert_eq!(
            shadow_line("root:$y$j9T$F3qZ1vXcP0m8R2sT4uW6y.$Qk9Lr2Hs:19800::::::"),
            "root: password set, yescrypt"
        );
        assert_eq!(shadow_line("root:*:19800:0:99999:7:::"), "root: locked");
        assert_eq!(shadow_line("root:!$1$abc$def:1::"), "root: locked");
        assert_eq!(shadow_line("guest::1::"), "guest: no password");
        assert_eq!(
            shadow_line("old:$2b$12$abcdefghijkl:1"),
            "old: password set, bcrypt"
        );
        assert_eq!(
            shadow_line("old:$5$abcdefgh$ijk:1"),
            "old: password set, SHA-256"
        );
        assert_eq!(shadow_line("des:abcdefghijklm:1"), "des: password set, DES");
        assert!(is_shadow_file("/etc/gshadow-"));
        assert!(!is_shadow_file("/etc/shadowsocks.json"));
    }

    #[test]
    fn hashes_and_private_keys_are_withheld_anywhere() {
        let text = "root:$6$saltsalt$abcdefghijklmnop:1\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\nafter";
        assert_eq!(
            scrub(text),
            "root:<password hash withheld>:1\n<private key withheld>\nafter"
        );
        assert!(matches!(scrub("exit 0, $6 dollars"), Cow::Borrowed(_)));
    }
}
