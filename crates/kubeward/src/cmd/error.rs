//! How a subcommand ends: the one error type of the CLI and the exit code of every outcome,
//! decided here and nowhere else.
//!
//! | outcome | exit code |
//! |---|---|
//! | [`Exit::Clean`]: nothing at or above the threshold, no error | 0 |
//! | [`Exit::Findings`]: findings (or vulnerabilities) at or above the threshold | 1 |
//! | [`Exit::Incomplete`]: the output was written, but some input could not be used | 2 |
//! | [`Error`]: usage, configuration, input or output error; nothing (more) is written | 2 |
//!
//! clap's own usage errors (an unknown flag, a value outside a fixed set) exit 2 as well.

use std::io::Write;
use std::process::ExitCode;

/// A subcommand that ran to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Exit 0.
    Clean,
    /// Exit 1: findings at or above the threshold.
    Findings,
    /// Exit 2: the report was written but input errors are in it (unreadable or malformed
    /// files, a failed download): the result may be incomplete.
    Incomplete,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::Findings => 1,
            Exit::Incomplete => 2,
        }
    }
}

/// A subcommand that stopped. Every variant exits 2; the message is printed as
/// `kubeward: MESSAGE` on standard error, through the one terminal-escaping function (it may
/// quote paths and input).
#[derive(Debug)]
pub enum Error {
    /// Flags that do not fit together or name nothing (`--select no-such-rule`).
    Usage(String),
    /// `kubeward.yaml` or a flag value it shares: one `file:line:col: message` per problem.
    Config(Vec<String>),
    /// An input that cannot be read or used (a missing file, a broken baseline, an empty
    /// vulnerability database).
    Input(String),
    /// The output could not be written.
    Output(String),
}

impl Error {
    /// The process exit code.
    pub fn code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Config(_) | Error::Input(_) | Error::Output(_) => 2,
        }
    }

    /// The lines printed for this error (one per configuration problem).
    pub fn lines(&self) -> Vec<&str> {
        match self {
            Error::Usage(m) | Error::Input(m) | Error::Output(m) => vec![m.as_str()],
            Error::Config(errors) => errors.iter().map(String::as_str).collect(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.lines().join("\n"))
    }
}

/// Modules that still report errors as text: an input error.
impl From<String> for Error {
    fn from(message: String) -> Self {
        Error::Input(message)
    }
}

/// Modules that still report errors as text: the message.
impl From<Error> for String {
    fn from(e: Error) -> Self {
        e.to_string()
    }
}

/// The result of a subcommand.
pub type Result<T = Exit> = std::result::Result<T, Error>;

/// Prints the error, if any, and turns the outcome into the process exit code.
pub fn finish(result: Result) -> ExitCode {
    match result {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            let mut err = std::io::stderr().lock();
            for line in e.lines() {
                let _ = writeln!(err, "kubeward: {}", kubeward_io::terminal::escape(line));
            }
            ExitCode::from(e.code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_decided_here() {
        assert_eq!(Exit::Clean.code(), 0);
        assert_eq!(Exit::Findings.code(), 1);
        assert_eq!(Exit::Incomplete.code(), 2);
        for e in [
            Error::Usage("u".into()),
            Error::Config(vec!["a".into(), "b".into()]),
            Error::Input("i".into()),
            Error::Output("o".into()),
        ] {
            assert_eq!(e.code(), 2, "{e}");
        }
        assert_eq!(
            Error::Config(vec!["a".into(), "b".into()]).lines(),
            ["a", "b"]
        );
    }
}
