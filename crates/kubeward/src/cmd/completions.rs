//! `kubeward completions SHELL` and `kubeward man`: generated from the clap definitions, so
//! they never drift from the real flags.

use super::error::{Error, Exit, Result};
use std::io::Write;

/// Shells with a completion script.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

impl From<Shell> for clap_complete::Shell {
    fn from(s: Shell) -> Self {
        match s {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
            Shell::Powershell => clap_complete::Shell::PowerShell,
            Shell::Elvish => clap_complete::Shell::Elvish,
        }
    }
}

/// Writes the completion script of `shell` for `cmd`.
pub fn completions(shell: Shell, mut cmd: clap::Command, out: &mut dyn Write) -> Result {
    let shell: clap_complete::Shell = shell.into();
    clap_complete::generate(shell, &mut cmd, "kubeward", out);
    Ok(Exit::Clean)
}

/// Writes the man page of `cmd` and of each subcommand (as sections of one page).
pub fn man(cmd: clap::Command, out: &mut dyn Write) -> Result {
    let mut page = Vec::new();
    let render = clap_mangen::Man::new(cmd.clone())
        .render(&mut page)
        .and_then(|_| {
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                writeln!(page, ".SH \"KUBEWARD {}\"", sub.get_name().to_uppercase())?;
                clap_mangen::Man::new(sub.clone())
                    .render_description_section(&mut page)
                    .and_then(|_| {
                        clap_mangen::Man::new(sub.clone()).render_options_section(&mut page)
                    })?;
            }
            Ok(())
        });
    match render.and_then(|_| out.write_all(&page)) {
        Ok(()) => Ok(Exit::Clean),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Exit::Clean),
        Err(e) => Err(Error::Output(format!("cannot write the man page: {e}"))),
    }
}
