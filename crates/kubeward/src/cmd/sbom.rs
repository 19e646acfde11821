//! `kubeward sbom SOURCE`: the packages of an image or root filesystem as CycloneDX 1.6,
//! SPDX 2.3, kubeward's JSON catalog, or a table.

use super::inventory::{is_registry_source, pull_and_catalog, RegistryArgs};
use clap::{Args, ValueEnum};
use kubeward_image::catalog::{catalog_source, Catalog, CatalogOptions};
use kubeward_image::sbom::{self, SbomOptions};
use kubeward_io::terminal::{escape, escape_multiline};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output formats of `kubeward sbom`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
    /// kubeward's catalog as JSON (every field of every package).
    Json,
    /// An aligned table for people.
    Table,
}

/// Arguments of `kubeward sbom`.
#[derive(Args, Debug)]
pub struct SbomArgs {
    /// OCI image layout folder, OCI archive (.tar), docker-save tarball, root filesystem
    /// folder, or a registry image (`registry://host/repo:tag`, `ghcr.io/org/app:1`).
    pub source: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = SbomFormat::Cyclonedx)]
    pub format: SbomFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Name of the described artifact (default: the image name, else the path given).
    #[arg(long)]
    pub name: Option<String>,
    /// RFC 3339 timestamp to record. Without it the output has none (SPDX: the Unix epoch),
    /// so the same input always gives the same bytes.
    #[arg(long, value_name = "RFC3339")]
    pub timestamp: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// True when `s` names a registry image rather than a path (`nginx:1.27`,
/// `ghcr.io/org/app@sha256:...`).
fn looks_like_reference(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && !s.starts_with('/')
        && !s.contains('\\')
        && (s.contains(':') || s.contains('@') || s.contains('/'))
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:@".contains(c))
}

/// Where a catalog came from.
pub(crate) enum Input {
    /// Read from an image or filesystem.
    Image(Catalog),
    /// Read from an SBOM document (CycloneDX or SPDX JSON).
    Sbom(Catalog),
}

/// Reads SOURCE as a registry image, an image or filesystem; with `allow_sbom`, a JSON file
/// is read as an SBOM.
pub(crate) fn read_input(
    path: &Path,
    allow_sbom: bool,
    registry: &RegistryArgs,
) -> Result<Input, String> {
    let text = path.to_string_lossy();
    if is_registry_source(&text) {
        return Ok(Input::Image(pull_and_catalog(&text, registry)?.catalog));
    }
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let s = path.to_string_lossy();
            if looks_like_reference(&s) {
                return Err(format!(
                    "{s}: no such file or folder; to pull it from a registry, name the registry (`registry://docker.io/library/nginx:1.27`, `ghcr.io/org/app:1`), or save the image first (`docker save IMAGE -o image.tar`) and pass the file"
                ));
            }
            return Err(format!("{}: no such file or folder", path.display()));
        }
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    if allow_sbom && meta.is_file() && starts_with_json_object(path) {
        let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut c = sbom::read_sbom(&data).map_err(|e| format!("{}: {e}", path.display()))?;
        if c.source_name.is_none() {
            c.source_name = Some(path.display().to_string());
        }
        return Ok(Input::Sbom(c));
    }
    let c = catalog_source(path, &CatalogOptions::default())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Input::Image(c))
}

/// True when the first non-blank byte of the file is `{` (tarballs start with a file name).
fn starts_with_json_object(path: &Path) -> bool {
    use std::io::Read;
    let mut buf = [0u8; 512];
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let n = f.read(&mut buf).unwrap_or(0);
    let text = &buf[..n];
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    text.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{')
}

/// Writes `bytes` to the file or to standard output (a closed pipe is not an error).
pub(crate) fn emit(output: Option<&Path>, bytes: &[u8]) -> Result<(), String> {
    match output {
        Some(p) => {
            std::fs::write(p, bytes).map_err(|e| format!("{}: cannot write: {e}", p.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(bytes).and_then(|_| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(format!("cannot write output: {e}"))
                }
                _ => Ok(()),
            }
        }
    }
}

/// Prints the reader's warnings to standard error.
pub(crate) fn print_warnings(c: &Catalog) {
    let mut err = std::io::stderr().lock();
    for w in &c.warnings {
        let _ = writeln!(err, "kubeward: warning: {}", escape(&w.to_string()));
    }
}

/// Runs `kubeward sbom`.
pub fn run(args: SbomArgs) -> ExitCode {
    match sbom_main(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            let _ = writeln!(std::io::stderr(), "kubeward: {}", escape(&msg));
            ExitCode::from(2)
        }
    }
}

fn sbom_main(args: &SbomArgs) -> Result<(), String> {
    let catalog = match read_input(&args.source, false, &args.registry)? {
        Input::Image(c) | Input::Sbom(c) => c,
    };
    print_warnings(&catalog);
    let opts = SbomOptions {
        timestamp: args.timestamp.clone(),
        name: args.name.clone(),
        tool_version: Some(env!("CARGO_PKG_VERSION").to_string()),
    };
    let text = match args.format {
        SbomFormat::Cyclonedx => sbom::to_cyclonedx(&catalog, &opts),
        SbomFormat::Spdx => sbom::to_spdx(&catalog, &opts),
        SbomFormat::Json => serde_json::to_string_pretty(&catalog).map_err(|e| e.to_string())?,
        // text for people: the whole table through the one escaping function
        SbomFormat::Table => escape_multiline(&table(&catalog)).into_owned(),
    };
    let mut bytes = text.into_bytes();
    if !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    emit(args.output.as_deref(), &bytes)
}

/// Left-aligned columns separated by two spaces; the last column is not padded. Cells are
/// terminal-escaped here (before widths are measured), so every table of the CLI is safe to
/// print and stays aligned.
pub(crate) fn columns(header: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| escape(c).into_owned()).collect())
        .collect();
    let rows = rows.as_slice();
    let n = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::new();
        for (i, c) in cells.enumerate() {
            if i + 1 < n {
                l.push_str(c);
                l.extend(std::iter::repeat_n(' ', width[i] - c.chars().count() + 2));
            } else {
                l.push_str(c);
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for r in rows {
        line(&mut r.iter().map(String::as_str));
    }
    out
}

fn table(c: &Catalog) -> String {
    let mut pkgs: Vec<_> = c.packages.iter().collect();
    pkgs.sort_by(|a, b| {
        (a.name.to_lowercase(), a.sort_key()).cmp(&(b.name.to_lowercase(), b.sort_key()))
    });
    let rows: Vec<Vec<String>> = pkgs
        .iter()
        .map(|p| {
            let mut loc = p.locations.first().cloned().unwrap_or_default();
            if p.owned_by_os_package {
                loc.push_str(" (owned by an OS package)");
            }
            vec![
                p.name.clone(),
                p.version.clone(),
                p.ecosystem.to_string(),
                loc,
            ]
        })
        .collect();
    let mut s = columns(&["NAME", "VERSION", "TYPE", "LOCATION"], &rows);
    let counts: Vec<String> = kubeward_image::catalog::counts(c)
        .iter()
        .map(|(e, n)| format!("{e} {n}"))
        .collect();
    let distro = c
        .distro
        .as_ref()
        .map(|d| format!(" on {}", d.qualifier()))
        .unwrap_or_default();
    s.push_str(&format!(
        "\n{} packages{distro}{}\n",
        c.packages.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        }
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_paths() {
        assert!(looks_like_reference("nginx:1.27"));
        assert!(looks_like_reference("ghcr.io/org/app@sha256:abc"));
        assert!(!looks_like_reference("./image.tar"));
        assert!(!looks_like_reference("image.tar"));
        assert!(!looks_like_reference("/tmp/rootfs"));
    }
}
