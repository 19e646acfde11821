//! `kubeward pss preview`: which pods and pod templates a namespace would reject if labelled
//! `pod-security.kubernetes.io/enforce: LEVEL`. Loading is the scanner's; the judgement and
//! the report are `kubeward_admission::preview`'s.

use super::error::{Error, Exit, Result};
use clap::{Args, Subcommand, ValueEnum};
use kubeward_model::{Input, LoadError, Loader};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

pub const AFTER_HELP: &str = "Exit codes:\n  0  nothing would be rejected\n  1  some pods or templates would be rejected\n  2  usage or input errors (the preview is printed but may be incomplete)";

#[derive(Subcommand, Debug)]
pub enum PssCommand {
    /// List the pods and pod templates a namespace would reject at a level, with Pod Security
    /// admission's messages: the dry run before tightening a namespace's label.
    #[command(after_help = AFTER_HELP)]
    Preview(PreviewArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PreviewFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct PreviewArgs {
    /// The enforce level to try: privileged, baseline or restricted, optionally :latest or
    /// :v1.N (the enforce-version label).
    #[arg(long, value_name = "LEVEL[:VERSION]")]
    pub level: String,
    /// Only these namespaces (repeatable); objects without one are in `default`.
    #[arg(long = "namespace", short = 'n', value_name = "NS")]
    pub namespaces: Vec<String>,
    /// The cluster's version: `latest` resolves to it.
    #[arg(long, value_name = "1.N")]
    pub kubernetes_version: Option<String>,
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: PreviewFormat,
    /// Files, folders or `-` (a `kubectl get pods,deploy,... -A -o yaml` dump works).
    pub paths: Vec<PathBuf>,
}

pub fn run(command: PssCommand) -> Result {
    match command {
        PssCommand::Preview(args) => preview(args),
    }
}

fn preview(args: PreviewArgs) -> Result {
    let level = kubeward_admission::config::parse_level_version(&args.level).ok_or_else(|| {
        Error::Usage(format!(
            "--level {:?}: must be privileged, baseline or restricted, optionally :latest or :v1.N",
            args.level
        ))
    })?;
    let minor = match &args.kubernetes_version {
        Some(v) => Some(
            crate::config::parse_kubernetes_version(v)
                .map_err(|e| Error::Usage(format!("--kubernetes-version: {e}")))?,
        ),
        None => None,
    };
    let loader = Loader::default();
    let mut paths = args.paths.clone();
    if paths.is_empty() {
        if std::io::stdin().is_terminal() {
            return Err(Error::Usage(
                "nothing to preview: give files or folders, or `-` for standard input".into(),
            ));
        }
        paths.push(PathBuf::from("-"));
    }
    let (stdin, files): (Vec<_>, Vec<_>) = paths.into_iter().partition(|p| p.as_os_str() == "-");
    let mut inputs = Vec::new();
    let mut errors: Vec<LoadError> = Vec::new();
    if !stdin.is_empty() {
        match kubeward_model::load::read_input(
            std::io::stdin().lock(),
            loader.limits.max_file_bytes,
        ) {
            Ok(Ok(bytes)) => inputs.push(Input::Bytes {
                name: "-".into(),
                bytes,
            }),
            Ok(Err(limit)) => errors.push(LoadError {
                file: "-".into(),
                line: 1,
                column: 1,
                message: format!("input is larger than the limit of {limit} bytes; not read"),
            }),
            Err(e) => return Err(Error::Input(format!("cannot read standard input: {e}"))),
        }
    }
    let (files, walk_errors) = loader.expand(&files, &|_| false);
    errors.extend(walk_errors);
    inputs.extend(files.into_iter().map(Input::Path));
    let mut snap = loader.load(inputs);
    errors.append(&mut snap.errors);
    let p = kubeward_admission::preview::preview(&snap, level, &args.namespaces, minor);
    let text = match args.format {
        PreviewFormat::Text => p.text(),
        PreviewFormat::Json => p.json(),
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(Error::Output(format!("cannot write: {e}")));
        }
    }
    let mut err = std::io::stderr().lock();
    for e in &errors {
        let _ = writeln!(
            err,
            "kubeward: {}",
            kubeward_io::terminal::escape(&e.to_string())
        );
    }
    Ok(if !errors.is_empty() {
        Exit::Incomplete
    } else if p.rejected.is_empty() {
        Exit::Clean
    } else {
        Exit::Findings
    })
}
