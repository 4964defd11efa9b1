//! `--vars-file FILE`: rule variables from a YAML file, outside input like an inventory.
//!
//! A file is a mapping of names to values, or Kensa's defaults-file shape, whose `variables:`
//! key holds that mapping. A value is a string, number or boolean, or a list of them; a list
//! is carried as its members joined by `,` ([`LIST_SEPARATOR`]), the way Kensa substitutes
//! one, and a Kensa set_compare's `authorized` splits it again.

use super::raw::Scalar;
use super::vars::{Var, VarOrigin, Vars};
use crate::yaml_bounds::{self, Aliases, MAX_YAML_BYTES};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::path::Path;

/// Joins the members of a list value (Kensa's list separator).
pub const LIST_SEPARATOR: char = ',';

/// The key under which Kensa's defaults file keeps its variables.
const KENSA_VARIABLES_KEY: &str = "variables";

#[derive(Debug, thiserror::Error)]
pub enum VarsFileError {
    #[error("cannot read vars file {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },
}

/// The variables of each file in order, later files winning over earlier ones.
pub fn read_vars_files(paths: &[impl AsRef<Path>]) -> Result<Vars, VarsFileError> {
    let mut vars = Vars::new();
    for path in paths {
        vars.extend(read_vars_file(path.as_ref())?);
    }
    Ok(vars)
}

/// One vars file: a bounded regular file, within the YAML bounds.
pub fn read_vars_file(path: &Path) -> Result<Vars, VarsFileError> {
    let name = path.display().to_string();
    let text = crate::bounded_read::read_regular_text(path, MAX_YAML_BYTES).map_err(|source| {
        VarsFileError::Io {
            path: name.clone(),
            source,
        }
    })?;
    parse(&name, &text)
}

/// The variables in `text`, read from the file `name`.
pub fn parse(name: &str, text: &str) -> Result<Vars, VarsFileError> {
    yaml_bounds::check(text, Aliases::Bounded).map_err(|refusal| VarsFileError::Invalid {
        location: format!("{name}{}", refusal.location_suffix()),
        message: refusal.message,
    })?;
    let VarsDocument(values) = serde_yaml::from_str(text).map_err(|err| {
        let location = match err.location() {
            Some(at) => format!("{name}:{}:{}", at.line(), at.column()),
            None => name.to_owned(),
        };
        let message = err.to_string();
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_owned(),
            None => message,
        };
        VarsFileError::Invalid { location, message }
    })?;
    let origin = VarOrigin::VarsFile {
        file: name.to_owned(),
    };
    Ok(values
        .into_iter()
        .map(|(key, value)| {
            let var = Var {
                value,
                origin: origin.clone(),
            };
            (key, var)
        })
        .collect())
}

/// The whole file: names to values as text, in file order.
struct VarsDocument(Vec<(String, String)>);

impl<'de> Deserialize<'de> for VarsDocument {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DocumentVisitor;
        impl<'de> Visitor<'de> for DocumentVisitor {
            type Value = VarsDocument;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of variable names to values, or `variables:` holding one")
            }
            fn visit_unit<E: de::Error>(self) -> Result<VarsDocument, E> {
                Ok(VarsDocument(Vec::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<VarsDocument, E> {
                Ok(VarsDocument(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<VarsDocument, A::Error> {
                let mut values = Vec::new();
                let mut kensa = false;
                while let Some(key) = map.next_key::<String>()? {
                    if key == KENSA_VARIABLES_KEY && values.is_empty() && !kensa {
                        let VarsMapping(inner) = map.next_value()?;
                        values = inner;
                        kensa = true;
                        continue;
                    }
                    if kensa {
                        return Err(de::Error::custom(format!(
                            "`{key}` next to `{KENSA_VARIABLES_KEY}:`; a vars file is a mapping of variables, or `{KENSA_VARIABLES_KEY}:` holding one"
                        )));
                    }
                    let VarValue(value) = map.next_value()?;
                    push(&mut values, key, value).map_err(de::Error::custom)?;
                }
                Ok(VarsDocument(values))
            }
        }
        deserializer.deserialize_any(DocumentVisitor)
    }
}

/// Adds a variable, refusing a name given twice (YAML leaves which one wins to the reader).
fn push(values: &mut Vec<(String, String)>, key: String, value: String) -> Result<(), String> {
    if !is_var_name(&key) {
        return Err(format!(
            "`{key}` is not a variable name (a letter, then letters, digits and `_`)"
        ));
    }
    if values.iter().any(|(known, _)| *known == key) {
        return Err(format!("variable `{key}` is given twice"));
    }
    values.push((key, value));
    Ok(())
}

/// What a `{{ name }}` can name: `[A-Za-z][A-Za-z0-9_]*`.
fn is_var_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The mapping under `variables:`.
struct VarsMapping(Vec<(String, String)>);

impl<'de> Deserialize<'de> for VarsMapping {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MappingVisitor;
        impl<'de> Visitor<'de> for MappingVisitor {
            type Value = VarsMapping;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of variable names to values")
            }
            fn visit_unit<E: de::Error>(self) -> Result<VarsMapping, E> {
                Ok(VarsMapping(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<VarsMapping, A::Error> {
                let mut values = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let VarValue(value) = map.next_value()?;
                    push(&mut values, key, value).map_err(de::Error::custom)?;
                }
                Ok(VarsMapping(values))
            }
        }
        deserializer.deserialize_map(MappingVisitor)
    }
}

/// One value as text: a scalar as written, a list as its members joined by `,`.
struct VarValue(String);

impl<'de> Deserialize<'de> for VarValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = VarValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean, or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<VarValue, E> {
                Ok(VarValue(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<VarValue, E> {
                Ok(VarValue(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<VarValue, E> {
                Ok(VarValue(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<VarValue, E> {
                Ok(VarValue(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<VarValue, E> {
                Ok(VarValue(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<VarValue, E> {
                Err(de::Error::custom(
                    "a variable has no value; remove it or give it one",
                ))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<VarValue, A::Error> {
                let mut members = Vec::new();
                while let Some(Scalar(member)) = seq.next_element()? {
                    // A member holding the separator or whitespace would split into members
                    // nobody wrote.
                    if member.is_empty()
                        || member.contains(LIST_SEPARATOR)
                        || member.contains(char::is_whitespace)
                    {
                        return Err(de::Error::custom(format!(
                            "list member `{member}` is empty or holds `{LIST_SEPARATOR}` or whitespace"
                        )));
                    }
                    members.push(member);
                }
                Ok(VarValue(members.join(&LIST_SEPARATOR.to_string())))
            }
            fn visit_map<A: MapAccess<'de>>(self, _map: A) -> Result<VarValue, A::Error> {
                Err(de::Error::custom(
                    "a variable's value is a string, number, boolean or list, not a mapping",
                ))
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(String, String)> {
        parse("v.yml", text)
            .unwrap()
            .into_iter()
            .map(|(name, var)| (name, var.value))
            .collect()
    }

    #[test]
    fn flat_and_kensa_shapes_with_lists() {
        assert_eq!(
            values("b: 3\na: [x, 7]\n"),
            [("a".into(), "x,7".into()), ("b".into(), "3".into())]
        );
        assert_eq!(
            values("variables:\n  users: []\n  text: hi there\n"),
            [
                ("text".into(), "hi there".into()),
                ("users".into(), "".into())
            ]
        );
        assert!(values("").is_empty());
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let err = |text: &str| parse("v.yml", text).unwrap_err().to_string();
        assert!(
            err("a: 1\nb:\n  c: 2\n").starts_with("v.yml:3:"),
            "{}",
            err("a: 1\nb:\n  c: 2\n")
        );
        assert!(err("a: [x, 'y z']\n").contains("v.yml:1:"));
        assert!(err("a: 1\na: 2\n").contains("given twice"));
        assert!(err("variables: {a: 1}\nb: 2\n").contains("next to `variables:`"));
        assert!(err("a b: 1\n").contains("not a variable name"));
    }
}
