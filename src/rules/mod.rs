//! Rules: the YAML model, loading and validation, variables and selection.

mod load;
pub mod model;
mod names;
mod raw;
mod select;
#[cfg(test)]
mod tests;
mod vars;

pub use load::{LoadError, RuleSet, RuleSource, load, normalise_whitespace, read_sources};
pub use model::*;
pub use select::Selection;
pub use vars::{Var, VarOrigin, Vars, quote as shell_quote, vars_from};

/// The default rule pack, compiled into the binary from fixtures/rules.
pub fn embedded_sources() -> Vec<RuleSource> {
    EMBEDDED
        .iter()
        .map(|(name, text)| RuleSource {
            name: format!("<embedded>/{name}"),
            text: (*text).to_owned(),
        })
        .collect()
}

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));
