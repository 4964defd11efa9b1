//! Shell completions and man pages, generated from the clap definitions. They are committed
//! under completions/ and man/; tests/generated.rs fails when they are stale.

use crate::cli::Cli;
use clap::CommandFactory;
use clap_complete::Shell;
use std::collections::BTreeMap;

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
    let cmd = Cli::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    files.insert("man/plumb.1".into(), page);
    for sub in cmd.get_subcommands() {
        let name = format!("plumb-{}", sub.get_name());
        let sub = sub
            .clone()
            .display_name(name.clone())
            .bin_name(name.replace("-", " "));
        let mut page = Vec::new();
        clap_mangen::Man::new(sub).render(&mut page)?;
        files.insert(format!("man/{name}.1"), page);
    }
    Ok(files)
}
