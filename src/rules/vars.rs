//! `{{ var }}` placeholders in rule parameters.

/// Replaces every `{{ name }}` in `text` with `lookup(name)`; an undefined name is an error.
pub fn substitute(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed `{{{{` in `{text}`"))?;
        let name = after[..end].trim();
        if name.is_empty() {
            return Err(format!("empty `{{{{ }}}}` placeholder in `{text}`"));
        }
        let value = lookup(name).ok_or_else(|| {
            format!("undefined variable `{name}` (define it in the rule's `vars` or pass --var {name}=VALUE)")
        })?;
        out.push_str(&value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        (name == "max").then(|| "4".to_owned())
    }

    #[test]
    fn replaces_placeholders_with_and_without_spaces() {
        assert_eq!(
            substitute("a {{ max }} b {{max}}", &vars).unwrap(),
            "a 4 b 4"
        );
        assert_eq!(substitute("plain", &vars).unwrap(), "plain");
    }

    #[test]
    fn undefined_and_unclosed_placeholders_are_errors() {
        assert!(
            substitute("{{ nope }}", &vars)
                .unwrap_err()
                .contains("undefined variable `nope`")
        );
        assert!(
            substitute("{{ max", &vars)
                .unwrap_err()
                .contains("unclosed")
        );
    }
}
