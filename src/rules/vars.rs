//! `{{ var }}` placeholders in rule parameters.
//!
//! In shell command text (`run`, `observed_command`) a value becomes exactly one shell word:
//! it is single-quoted, so `; touch /x` from an inventory is an argument, never a command.
//! `{{ var | raw }}` pastes the value unquoted; only a rule's own default or a signed policy
//! may supply such a value, since it is code run as root on the host.

use super::model::Dialect;
use std::collections::BTreeMap;
use std::fmt;

/// Where a variable's value came from. A rule's own `vars` default has no origin here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VarOrigin {
    /// The `vars` of a policy whose signature verified.
    SignedPolicy,
    /// The `vars` of a policy accepted with `--allow-unsigned-policy`.
    UnsignedPolicy,
    /// An inventory's host or group vars.
    Inventory { file: String, host: String },
    /// A `--vars-file`.
    VarsFile { file: String },
    /// `--var` on the command line.
    CommandLine,
}

impl VarOrigin {
    /// Whether a value from here may be pasted into shell text unquoted.
    fn may_be_raw(&self) -> bool {
        matches!(self, Self::SignedPolicy)
    }
}

impl fmt::Display for VarOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SignedPolicy => f.write_str("the signed policy"),
            Self::UnsignedPolicy => f.write_str("an unsigned policy"),
            Self::Inventory { file, host } => write!(f, "inventory {file} (host `{host}`)"),
            Self::VarsFile { file } => write!(f, "vars file {file}"),
            Self::CommandLine => f.write_str("--var on the command line"),
        }
    }
}

/// A variable's value and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    pub value: String,
    pub origin: VarOrigin,
}

/// Variables from outside the rules, by name.
pub type Vars = BTreeMap<String, Var>;

/// Every value in `values` with one origin.
pub fn vars_from(values: &BTreeMap<String, String>, origin: &VarOrigin) -> Vars {
    values
        .iter()
        .map(|(name, value)| {
            let var = Var {
                value: value.clone(),
                origin: origin.clone(),
            };
            (name.clone(), var)
        })
        .collect()
}

/// What a rule parameter is: shell command text gets its values quoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    Plain,
    Shell,
}

/// A looked-up value; `origin` is `None` for the rule's own default.
pub struct Resolved<'a> {
    pub value: &'a str,
    pub origin: Option<&'a VarOrigin>,
}

/// The filter that asks for a value unquoted in shell text.
const RAW_FILTER: &str = "raw";

/// Replaces every `{{ name }}` in `text` with the value `lookup` gives; an undefined name is an
/// error. In shell text the value is one single-quoted word, and `{{ name | raw }}` pastes it
/// as it is (refused for values from an inventory, `--var` or an unsigned policy).
///
/// In a Kensa rule, a value made only of characters no shell treats specially (see
/// [`is_inert`]) is pasted as it is wherever it stands: Kensa pastes values verbatim, often
/// inside the command's own quotes, and such a value means the same quoted or not.
pub fn substitute<'a>(
    text: &str,
    kind: TextKind,
    dialect: Dialect,
    lookup: &dyn Fn(&str) -> Option<Resolved<'a>>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut shell = ShellContext::default();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let literal = &rest[..start];
        out.push_str(literal);
        shell.feed(literal);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed `{{{{` in `{text}`"))?;
        let inner = &after[..end];
        let (name, raw) = placeholder(inner)?;
        let placeholder = format!("{{{{ {} }}}}", inner.trim());
        let resolved = lookup(name).ok_or_else(|| match dialect {
            Dialect::Plumb => format!(
                "undefined variable `{name}` (define it in the rule's `vars` or pass --var {name}=VALUE)"
            ),
            Dialect::Kensa => format!(
                "undefined variable `{name}` (define it in a --vars-file, such as Kensa's defaults.yml, or pass --var {name}=VALUE)"
            ),
        })?;
        let pasted = match (kind, raw) {
            (TextKind::Plain, false) => resolved.value.to_owned(),
            (TextKind::Shell, false) if dialect == Dialect::Kensa && is_inert(resolved.value) => {
                resolved.value.to_owned()
            }
            (TextKind::Plain, true) => {
                return Err(format!(
                    "`{placeholder}`: `| {RAW_FILTER}` applies only to shell command text (`run`, `observed_command`)"
                ));
            }
            (TextKind::Shell, true) => match resolved.origin {
                Some(origin) if !origin.may_be_raw() => {
                    return Err(format!(
                        "`{placeholder}` pastes `{name}` into shell text unquoted, but its value comes from {origin}; \
                         only the rule's own default or a signed policy may supply raw shell text"
                    ));
                }
                _ => resolved.value.to_owned(),
            },
            (TextKind::Shell, false) => {
                if let Some(problem) = shell.unsafe_spot() {
                    return Err(format!(
                        "`{placeholder}` is {problem} in shell text; write it unquoted, plumb quotes the value as one shell word"
                    ));
                }
                quote(resolved.value)
            }
        };
        shell.feed(&pasted);
        out.push_str(&pasted);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether `value` can only be words to a shell, wherever it is pasted: letters, digits,
/// `_ . , : / = + - @ %` and spaces (no `~` or glob, no quote, `$`, backslash or operator).
/// Pasted unquoted its spaces split words, as Kensa's rules expect (`for unit in {{ units }}`);
/// so that a value cannot smuggle an option in beside its first word (`/ -delete`), no word
/// after a space may start with `-`.
pub fn is_inert(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" _.,:/=+-@%".contains(&b))
        && value.split(' ').skip(1).all(|word| !word.starts_with('-'))
}

/// `name` or `name | raw` → (name, raw).
fn placeholder(inner: &str) -> Result<(&str, bool), String> {
    let (name, filter) = match inner.split_once('|') {
        Some((name, filter)) => (name.trim(), Some(filter.trim())),
        None => (inner.trim(), None),
    };
    if name.is_empty() {
        return Err(format!("empty placeholder `{{{{{inner}}}}}`"));
    }
    match filter {
        None => Ok((name, false)),
        Some(RAW_FILTER) => Ok((name, true)),
        Some(other) => Err(format!(
            "unknown filter `{other}` in `{{{{{inner}}}}}` (the only filter is `{RAW_FILTER}`)"
        )),
    }
}

/// `text` as one POSIX shell word: single-quoted, each `'` written as `'\''`.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Quoting {
    #[default]
    None,
    Single,
    Double,
    /// bash's `$'...'`, where a backslash escapes a quote.
    AnsiC,
}

/// How far into shell syntax the text so far is, enough to tell whether a single-quoted word
/// placed next stays one word. Anything it cannot vouch for is refused, not guessed.
#[derive(Debug, Default)]
struct ShellContext {
    quoting: Quoting,
    escaped: bool,
    heredoc: bool,
    previous: char,
}

impl ShellContext {
    fn feed(&mut self, text: &str) {
        for c in text.chars() {
            let previous = std::mem::replace(&mut self.previous, c);
            if self.escaped {
                self.escaped = false;
                continue;
            }
            self.quoting = match (self.quoting, c) {
                (Quoting::None | Quoting::Double | Quoting::AnsiC, '\\') => {
                    self.escaped = true;
                    self.quoting
                }
                (Quoting::None, '\'') if previous == '$' => Quoting::AnsiC,
                (Quoting::None, '\'') => Quoting::Single,
                (Quoting::Single | Quoting::AnsiC, '\'') => Quoting::None,
                (Quoting::None, '"') => Quoting::Double,
                (Quoting::Double, '"') => Quoting::None,
                (Quoting::None, '<') if previous == '<' => {
                    // A here-document body is not quote-processed.
                    self.heredoc = true;
                    Quoting::None
                }
                (quoting, _) => quoting,
            };
        }
    }

    /// Why a quoted word could not be placed here, if it could not.
    fn unsafe_spot(&self) -> Option<&'static str> {
        if self.escaped {
            Some("after a backslash")
        } else if self.heredoc {
            Some("in a here-document")
        } else {
            match self.quoting {
                Quoting::None => None,
                Quoting::Single | Quoting::AnsiC => Some("inside single quotes"),
                Quoting::Double => Some("inside double quotes"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVENTORY: VarOrigin = VarOrigin::CommandLine;

    fn vars(name: &str) -> Option<Resolved<'static>> {
        match name {
            "max" => Some(Resolved {
                value: "4",
                origin: None,
            }),
            "user" => Some(Resolved {
                value: "nobody; touch /tmp/pwned 'x'",
                origin: None,
            }),
            "words" => Some(Resolved {
                value: "a b.c",
                origin: Some(&INVENTORY),
            }),
            "smuggled" => Some(Resolved {
                value: "/ -delete",
                origin: Some(&INVENTORY),
            }),
            "cli" => Some(Resolved {
                value: "a b",
                origin: Some(&INVENTORY),
            }),
            _ => None,
        }
    }

    fn plain(text: &str) -> Result<String, String> {
        substitute(text, TextKind::Plain, Dialect::Plumb, &vars)
    }

    fn shell(text: &str) -> Result<String, String> {
        substitute(text, TextKind::Shell, Dialect::Plumb, &vars)
    }

    #[test]
    fn replaces_placeholders_with_and_without_spaces() {
        assert_eq!(plain("a {{ max }} b {{max}}").unwrap(), "a 4 b 4");
        assert_eq!(plain("plain").unwrap(), "plain");
        assert_eq!(
            plain("{{ user }}").unwrap(),
            "nobody; touch /tmp/pwned 'x'",
            "no shell quotes outside shell text"
        );
    }

    #[test]
    fn undefined_and_unclosed_placeholders_are_errors() {
        assert!(
            plain("{{ nope }}")
                .unwrap_err()
                .contains("undefined variable `nope`")
        );
        assert!(plain("{{ max").unwrap_err().contains("unclosed"));
        assert!(
            plain("{{ max | upper }}")
                .unwrap_err()
                .contains("unknown filter")
        );
    }

    #[test]
    fn shell_values_are_one_quoted_word() {
        assert_eq!(
            shell("id -u {{ user }}").unwrap(),
            r"id -u 'nobody; touch /tmp/pwned '\''x'\'''"
        );
        // Quoted regions before the placeholder end before it.
        assert_eq!(
            shell("grep -e 'a' \"b\" {{ max }}").unwrap(),
            "grep -e 'a' \"b\" '4'"
        );
    }

    #[test]
    fn placeholders_where_quoting_cannot_be_vouched_for_are_refused() {
        for text in [
            "echo '{{ max }}'",
            "echo \"x {{ max }}\"",
            "echo \\{{ max }}",
            "cat <<EOF\n{{ max }}\nEOF",
            "echo $'\\'{{ max }}'",
        ] {
            assert!(shell(text).is_err(), "{text}");
        }
    }

    #[test]
    fn kensa_pastes_inert_values_as_they_are_and_quotes_the_rest() {
        let kensa = |text: &str| substitute(text, TextKind::Shell, Dialect::Kensa, &vars);
        // Inside the command's own quotes, and unquoted where spaces split words.
        assert_eq!(kensa(r#"echo "max {{ max }}""#).unwrap(), r#"echo "max 4""#);
        assert_eq!(
            kensa("for u in {{ words }}; do").unwrap(),
            "for u in a b.c; do"
        );
        // Anything a shell could read as more than words is one quoted word, or refused.
        assert_eq!(
            kensa("id -u {{ user }}").unwrap(),
            shell("id -u {{ user }}").unwrap()
        );
        assert!(kensa(r#"echo "{{ user }}""#).is_err());
        // A later word that would be an option stays inside the one quoted word.
        assert_eq!(kensa("find {{ smuggled }}").unwrap(), "find '/ -delete'");
        let undefined = kensa("{{ nope }}").unwrap_err();
        assert!(undefined.contains("--vars-file"), "{undefined}");
    }

    #[test]
    fn raw_is_for_shell_text_and_trusted_values_only() {
        assert_eq!(shell("echo {{ max | raw }}").unwrap(), "echo 4");
        let refused = shell("echo {{ cli | raw }}").unwrap_err();
        assert!(
            refused.contains("`cli`") && refused.contains("--var on the command line"),
            "{refused}"
        );
        assert!(
            plain("{{ max | raw }}")
                .unwrap_err()
                .contains("only to shell")
        );
    }
}
