//! `kubeward sbom SOURCE`: the packages of an image or root filesystem as CycloneDX 1.6,
//! SPDX 2.3, kubeward's JSON catalog, or a table.

use super::common::{emit, print_warnings, read_catalog, Input, RegistryArgs};
use super::error::{Error, Exit, Result};
use clap::{Args, ValueEnum};
use kubeward_image::image::Source;
use kubeward_image::sbom::{self, SbomOptions};
use kubeward_io::terminal::escape_multiline;
use std::path::PathBuf;

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

/// Runs `kubeward sbom`.
pub fn run(args: SbomArgs) -> Result {
    let source = Source::parse(&args.source).map_err(|e| Error::Input(e.to_string()))?;
    // an SBOM file is handed to the image readers: `sbom` writes SBOMs of images
    let catalog = match read_catalog(&source, false, &args.registry)? {
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
        SbomFormat::Json => {
            serde_json::to_string_pretty(&catalog).map_err(|e| Error::Output(e.to_string()))?
        }
        // text for people: the whole table through the one escaping function
        SbomFormat::Table => {
            escape_multiline(&kubeward_report::packages::table(&catalog)).into_owned()
        }
    };
    let mut bytes = text.into_bytes();
    if !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    emit(args.output.as_deref(), &bytes)?;
    Ok(Exit::Clean)
}
