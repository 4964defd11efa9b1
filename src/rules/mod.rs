//! Rules: the YAML model, loading and validation, variables and selection.

mod cache;
pub mod catalog;
mod kensa;
mod load;
pub mod model;
mod names;
mod raw;
mod select;
pub(crate) mod shape;
#[cfg(test)]
mod tests;
mod vars;
mod vars_file;

pub use cache::{CACHE_DIR_ENV, RuleCache};
pub use kensa::DialectChoice;
pub use load::{
    LoadError, RuleSet, RuleSource, load, load_as, load_with_cache, normalise_whitespace,
    read_sources,
};
pub use model::*;
pub use select::{Selection, check_profiles, known_profiles};
pub use vars::{Var, VarOrigin, Vars, quote as shell_quote, vars_from};
pub use vars_file::{LIST_SEPARATOR, VarsFileError, read_vars_file, read_vars_files};

/// The default rule pack, compiled into the binary from fixtures/rules.
pub fn embedded_sources() -> Vec<RuleSource> {
    EMBEDDED
        .iter()
        .map(|(name, text)| RuleSource {
            name: format!("{EMBEDDED_PREFIX}{name}"),
            text: (*text).to_owned(),
        })
        .collect()
}

/// How the embedded pack's files are named (`<embedded>/ssh.yml`).
pub(crate) const EMBEDDED_PREFIX: &str = "<embedded>/";

/// Whether `source` is one of the pack's files exactly as compiled into this binary (so it is
/// trusted input, and tests already hold it to the YAML bounds).
pub(crate) fn is_embedded(source: &RuleSource) -> bool {
    source
        .name
        .strip_prefix(EMBEDDED_PREFIX)
        .and_then(|name| EMBEDDED.iter().find(|(embedded, _)| *embedded == name))
        .is_some_and(|(_, text)| *text == source.text)
}

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));
