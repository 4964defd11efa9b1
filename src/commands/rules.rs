//! `plumb rules`: the rule pack without scanning. `list`, `show ID` and `check PATH...` render
//! what `rules::catalog` returns; stdout carries only that data.

use super::Output;
use super::scan::parse_vars;
use crate::cli::{ProfileArgs, RulesArgs};
use crate::error::{Error, Result};
use crate::exit;
use crate::output;
use crate::report::Format;
use crate::rules::{self, RuleSet, RuleSource, Selection, VarOrigin, catalog};
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {
    /// The loaded rules: id, severity, profiles, tags and title (json: also references,
    /// platforms, methods and where each is defined)
    List(ListArgs),
    /// One rule in full: texts, severity, tags, profiles, references, notes, platforms, vars,
    /// its checks as written, remediation and where it is defined
    Show(ShowArgs),
    /// Validate rule files without scanning, and lint them for missing remediation or
    /// references
    #[command(after_help = CHECK_EXIT)]
    Check(CheckArgs),
}

const CHECK_EXIT: &str = "Exit codes:
  0  every file loads (lint warnings are printed but do not count without --strict)
  1  --strict, and a rule has a lint warning
  2  a file does not load (each error names file:line:column), or a usage error
  3  a file cannot be read";

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub rules: RulesArgs,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Only rules with one of these tags (repeatable)
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The rule's id
    #[arg(value_name = "ID")]
    pub id: String,
    #[command(flatten)]
    pub rules: RulesArgs,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Rule files or directories to check, with any --rules [default: the embedded pack]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub rules: RulesArgs,
    /// Exit 1 when a rule has a lint warning
    #[arg(long)]
    pub strict: bool,
}

pub fn run(command: &RulesCommand, output: &Output) -> Result<u8> {
    let json = match output.format {
        Format::Table => false,
        Format::Json => true,
        other => {
            return Err(Error::args(format!(
                "plumb rules prints table or json, not {other:?}"
            )));
        }
    };
    match command {
        RulesCommand::List(args) => list(args, json),
        RulesCommand::Show(args) => show(args, json),
        RulesCommand::Check(args) => check(args, json),
    }
}

/// The rule files `--rules` names, else the embedded pack.
fn sources(paths: &[PathBuf]) -> Result<Vec<RuleSource>> {
    if paths.is_empty() {
        Ok(rules::embedded_sources())
    } else {
        Ok(rules::read_sources(paths)?)
    }
}

/// `--vars-file` values, overridden by `--var` (there is no policy or inventory here).
fn vars(args: &RulesArgs) -> Result<rules::Vars> {
    let cli = rules::vars_from(&parse_vars(&args.vars)?, &VarOrigin::CommandLine);
    let files = rules::read_vars_files(&args.vars_files)?;
    Ok(super::scan::merge_vars(&files, None, None, &cli))
}

fn load(args: &RulesArgs) -> Result<(Vec<RuleSource>, RuleSet)> {
    let sources = sources(&args.rules)?;
    let set = rules::load_as(&sources, &vars(args)?, args.rules_dialect)?;
    Ok((sources, set))
}

fn list(args: &ListArgs, json: bool) -> Result<u8> {
    let (_, set) = load(&args.rules)?;
    let selection = Selection {
        profiles: args.profile.profiles.clone(),
        tags: args.tags.clone(),
        ..Selection::default()
    };
    let set = selection.apply(set).map_err(Error::Args)?;
    let summaries: Vec<_> = set.rules.iter().map(catalog::summary).collect();
    if json {
        output::print_json(&summaries)?;
    } else {
        let mut table = super::state::table(&["id", "severity", "profiles", "tags", "title"]);
        for rule in &summaries {
            table.add_row(vec![
                rule.id.to_owned(),
                rule.severity.to_string(),
                rule.profiles.join(", "),
                rule.tags.join(", "),
                rule.title.to_owned(),
            ]);
        }
        output::print(&format!("{table}\n"))?;
    }
    Ok(exit::CLEAN)
}

fn show(args: &ShowArgs, json: bool) -> Result<u8> {
    let (sources, set) = load(&args.rules)?;
    let detail = catalog::detail(&set, &sources, &args.id).map_err(Error::Args)?;
    if json {
        output::print_json(&detail)?;
    } else {
        // The table form is the same record as YAML, the language rules are written in.
        let text = serde_yaml::to_string(&detail)
            .map_err(|err| Error::Operational(anyhow::anyhow!("rendering rule: {err}")))?;
        output::print(&text)?;
    }
    Ok(exit::CLEAN)
}

fn check(args: &CheckArgs, json: bool) -> Result<u8> {
    let mut paths = args.paths.clone();
    paths.extend(args.rules.rules.iter().cloned());
    let report = catalog::check(
        &sources(&paths)?,
        &vars(&args.rules)?,
        args.rules.rules_dialect,
    );
    if json {
        output::print_json(&report)?;
    } else {
        let mut text = String::new();
        for diagnostic in &report.diagnostics {
            let level = match diagnostic.level {
                catalog::Level::Error => "error",
                catalog::Level::Warning => "warning",
            };
            text.push_str(&format!(
                "{}: {level}: {}\n",
                diagnostic.location, diagnostic.message
            ));
        }
        text.push_str(&format!(
            "{} files, {} rules: {} errors, {} warnings\n",
            report.files, report.rules, report.errors, report.warnings
        ));
        output::print(&text)?;
    }
    Ok(if report.errors > 0 {
        exit::USAGE
    } else if args.strict && report.warnings > 0 {
        exit::FINDINGS
    } else {
        exit::CLEAN
    })
}
