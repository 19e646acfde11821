//! `kubeward scan`: load manifests, run the selected rules, filter, report. The steps belong
//! to the model, rules and report crates; this module reads the inputs, calls them in order
//! and decides nothing but where the report goes.

use super::error::{Error, Exit, Result};
use super::settings::{ScanArgs, ScanSettings};
use kubeward_model::{Input, LoadError, Loader, Snapshot};
use kubeward_report::{Format, ScanResult, Suppressed};
use kubeward_rules::filter::{self, Baseline, Filters};
use kubeward_rules::{engine, Finding};
use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Exit codes of `kubeward scan` (and of the program as a whole).
pub const AFTER_HELP: &str = "Exit codes:\n  0  no finding at or above --fail-on, no input error\n  1  findings at or above --fail-on\n  2  usage, configuration or input errors (unreadable or malformed files, wrong types); findings are still reported";

/// Runs `kubeward scan`.
pub fn run(args: ScanArgs) -> Result {
    let s = ScanSettings::resolve(args)?;
    let mut clock = Timings::new(s.timings);

    // inputs
    let (snapshot, files) = load(&s, &mut clock)?;

    // analysis
    let mut snapshot = snapshot;
    let select = |m: &kubeward_rules::RuleMeta| s.selection.includes(m);
    let vulnerable_image = &kubeward_rules::supply::VulnerableImage::META;
    let findings = match s.inventory.as_ref().filter(|_| select(vulnerable_image)) {
        // `--inventory`: the rules see the stored vulnerabilities of the images
        Some(store) => super::inventory::analyze_with_inventory(
            &mut snapshot,
            &s.analysis,
            &select,
            store.path(),
        ),
        None => engine::analyze(&snapshot, &s.analysis, &select),
    };
    clock.lap("analyse", format!("{} findings", findings.len()));

    if let Some(path) = &s.write_baseline {
        return write_baseline(&snapshot, findings, &s.filters, path);
    }

    // filters
    let filtered = filter::apply(&snapshot, findings, &s.filters);
    clock.lap(
        "filter",
        format!("{} suppressed", filtered.suppressed.len()),
    );
    let suppressed: Vec<Suppressed> = filtered
        .suppressed
        .into_iter()
        .map(|(finding, reason)| Suppressed { finding, reason })
        .collect();
    // the display threshold hides findings from the report, not from the exit code
    let threshold = s.show_from.unwrap_or(kubeward_rules::Severity::Info);
    let hidden = filtered
        .findings
        .iter()
        .filter(|f| f.severity < threshold)
        .count();
    let shown: Cow<'_, [Finding]> = if hidden == 0 {
        Cow::Borrowed(&filtered.findings)
    } else {
        Cow::Owned(
            filtered
                .findings
                .iter()
                .filter(|f| f.severity >= threshold)
                .cloned()
                .collect(),
        )
    };
    // the text report's "scale ceiling" table (HPAs' worst case against the quotas)
    let ceiling = match s.format {
        Format::Text => kubeward_rules::resources::ceiling::scale_ceiling_of(&snapshot),
        _ => Vec::new(),
    };
    let layout = kubeward_report::text::Layout {
        group_by: s.group_by,
        hidden_below: s.show_from.map(|t| (t, hidden)),
        ceiling: &ceiling,
    };
    let result = ScanResult {
        snapshot: &snapshot,
        findings: &shown,
        suppressed: &suppressed,
        show_suppressed: s.show_suppressed,
        files,
        tool_version: env!("CARGO_PKG_VERSION"),
    };

    // report
    write_report(&s, &result, &layout)?;
    clock.lap("report", String::new());
    let exit = if !snapshot.errors.is_empty() {
        Exit::Incomplete
    } else if s
        .fail_on
        .threshold()
        .is_some_and(|min| filtered.findings.iter().any(|f| f.severity >= min))
    {
        Exit::Findings
    } else {
        Exit::Clean
    };
    // The process ends here: freeing the snapshot's millions of nodes would only cost time.
    std::mem::forget(filtered.findings);
    std::mem::forget(suppressed);
    std::mem::forget(snapshot);
    Ok(exit)
}

/// Reads standard input and walks the paths; returns the snapshot and the number of files.
fn load(s: &ScanSettings, clock: &mut Timings) -> Result<(Snapshot, usize)> {
    let loader = Loader::new(s.limits.clone());
    let mut paths = s.paths.clone();
    if paths.is_empty() {
        if std::io::stdin().is_terminal() {
            return Err(Error::Usage(
                "nothing to scan: give files or folders, or `-` for standard input (see --help)"
                    .into(),
            ));
        }
        paths.push(PathBuf::from("-"));
    }
    let mut inputs = Vec::new();
    let mut input_errors = Vec::new();
    let (stdin_args, path_args): (Vec<_>, Vec<_>) =
        paths.into_iter().partition(|p| p.as_os_str() == "-");
    if !stdin_args.is_empty() {
        match kubeward_model::load::read_input(std::io::stdin().lock(), s.limits.max_file_bytes) {
            Ok(Ok(bytes)) => inputs.push(Input::Bytes {
                name: "-".into(),
                bytes,
            }),
            Ok(Err(limit)) => input_errors.push(LoadError {
                file: "-".into(),
                line: 1,
                column: 1,
                message: format!(
                    "input is larger than the limit of {} MiB; not read",
                    limit / (1024 * 1024)
                ),
            }),
            Err(e) => return Err(Error::Input(format!("cannot read standard input: {e}"))),
        }
    }
    let (files, walk_errors) = loader.expand(&path_args, &|p: &Path| s.exclude.is_match(p));
    input_errors.extend(walk_errors);
    let file_count = files.len() + inputs.len();
    // `*.conf` files met in folders are read only when they are kubeconfigs
    inputs.extend(files.into_iter().map(|p| Input::of_listed(p, &path_args)));
    let mut snapshot = loader.load(inputs);
    snapshot.errors.splice(0..0, input_errors);
    clock.lap("load", format!("{} objects", snapshot.objects.len()));
    Ok((snapshot, file_count))
}

/// `--write-baseline`: every finding that is not suppressed otherwise becomes accepted.
fn write_baseline(
    snapshot: &Snapshot,
    findings: Vec<Finding>,
    filters: &Filters,
    path: &Path,
) -> Result {
    let filtered = filter::apply(
        snapshot,
        findings,
        &Filters {
            baseline: Default::default(),
            ..filters.clone()
        },
    );
    let b = Baseline::from_findings(&filtered.findings);
    let text = serde_json::to_string_pretty(&b).map_err(|e| Error::Output(e.to_string()))? + "\n";
    std::fs::write(path, text)
        .map_err(|e| Error::Output(format!("{}: cannot write baseline: {e}", path.display())))?;
    eprintln!(
        "kubeward: wrote {} findings to baseline {}",
        b.findings.len(),
        kubeward_io::terminal::escape(&path.display().to_string())
    );
    Ok(if snapshot.errors.is_empty() {
        Exit::Clean
    } else {
        Exit::Incomplete
    })
}

/// Writes the report to `--output` or standard output (a closed pipe is not an error).
fn write_report(
    s: &ScanSettings,
    result: &ScanResult<'_>,
    layout: &kubeward_report::text::Layout,
) -> Result<()> {
    let emit = |w: &mut dyn Write, color: bool| {
        if s.format == Format::Text {
            kubeward_report::text::write_with(result, w, color, layout)
        } else {
            kubeward_report::write(s.format, result, w, color)
        }
    };
    match &s.output {
        Some(path) => {
            let cannot = |e: std::io::Error| {
                Error::Output(format!("{}: cannot write report: {e}", path.display()))
            };
            let file = std::fs::File::create(path).map_err(cannot)?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
            emit(&mut w, false)
                .and_then(|_| w.flush())
                .map_err(cannot)?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            let res = emit(&mut lock, s.color).and_then(|_| lock.flush());
            if let Err(e) = res {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(Error::Output(format!("cannot write report: {e}")));
                }
            }
        }
    }
    Ok(())
}

/// `--timings`: wall-clock time of each phase, on standard error.
struct Timings {
    on: bool,
    start: std::time::Instant,
    last: std::time::Instant,
}

impl Timings {
    fn new(on: bool) -> Self {
        let now = std::time::Instant::now();
        Timings {
            on,
            start: now,
            last: now,
        }
    }

    fn lap(&mut self, phase: &str, what: String) {
        if self.on {
            let now = std::time::Instant::now();
            eprintln!(
                "kubeward: {phase:<8} {:>8.3}s  (total {:.3}s) {what}",
                (now - self.last).as_secs_f64(),
                (now - self.start).as_secs_f64()
            );
            self.last = now;
        }
    }
}
