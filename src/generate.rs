//! Shell completions and man pages, generated from the clap definitions. They are committed
//! under completions/ and man/; tests/generated.rs fails when they are stale. `plumb generate`
//! writes them where an installed binary's user wants them.

use crate::cli::Cli;
use crate::error::{Error, Result};
use clap::{Command, CommandFactory};
use clap_complete::Shell;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `plumb generate`: what to write, and where.
#[derive(Debug, clap::Subcommand)]
pub enum GenerateCommand {
    /// Write the man pages (plumb.1 and one per subcommand) into DIR, for example
    /// /usr/local/share/man/man1
    Man {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Write the shell completions (bash, zsh, fish, elvish, powershell) into DIR
    Completions {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

/// Writes the generated files of one kind into the directory, creating it; names each file
/// written on stdout.
pub fn run(command: &GenerateCommand) -> Result<u8> {
    let (prefix, dir) = match command {
        GenerateCommand::Man { dir } => ("man/", dir),
        GenerateCommand::Completions { dir } => ("completions/", dir),
    };
    const ACTION: &str = "write generated files to";
    let files = files().map_err(|source| Error::io(ACTION, dir, source))?;
    std::fs::create_dir_all(dir).map_err(|source| Error::io(ACTION, dir, source))?;
    let mut written = String::new();
    for (relative, content) in &files {
        let Some(name) = relative.strip_prefix(prefix) else {
            continue;
        };
        let path = dir.join(name);
        std::fs::write(&path, content).map_err(|source| Error::io(ACTION, &path, source))?;
        written.push_str(&format!("{}\n", path.display()));
    }
    crate::output::print(&written)?;
    Ok(crate::exit::CLEAN)
}

/// Every generated file: path relative to the repository root → content.
pub fn files() -> std::io::Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ] {
        let mut cmd = Cli::command();
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut cmd, "plumb", &mut out);
        let name = match shell {
            Shell::Bash => "plumb.bash",
            Shell::Zsh => "_plumb",
            Shell::Fish => "plumb.fish",
            Shell::Elvish => "plumb.elv",
            _ => "_plumb.ps1",
        };
        files.insert(format!("completions/{name}"), out);
    }
    man_pages(
        without_help_subcommand(Cli::command()),
        "plumb",
        "plumb",
        &mut files,
    )?;
    Ok(files)
}

/// `cmd`'s page and, recursively, one per subcommand (`plumb-state-hosts.1`), so every page a
/// SUBCOMMANDS list names exists.
fn man_pages(
    cmd: Command,
    name: &str,
    bin: &str,
    files: &mut BTreeMap<String, Vec<u8>>,
) -> std::io::Result<()> {
    for sub in cmd.get_subcommands() {
        let sub_name = format!("{name}-{}", sub.get_name());
        let sub_bin = format!("{bin} {}", sub.get_name());
        let sub = sub
            .clone()
            .display_name(sub_name.clone())
            .bin_name(sub_bin.clone());
        man_pages(sub, &sub_name, &sub_bin, files)?;
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut page)?;
    files.insert(format!("man/{name}.1"), page);
    Ok(())
}

/// `cmd` without the `help` subcommand at any level: `--help` is the same text, and a man page
/// for it would only repeat the list of subcommands.
fn without_help_subcommand(cmd: Command) -> Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    names
        .into_iter()
        .fold(cmd.disable_help_subcommand(true), |cmd, name| {
            cmd.mut_subcommand(name, without_help_subcommand)
        })
}
