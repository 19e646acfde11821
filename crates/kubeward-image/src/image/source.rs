//! What a user names as the input of `sbom`, `vuln` and `inventory add`, decided once:
//! a registry image, a local image or root filesystem, or an SBOM document.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// An image source as given on the command line, parsed by [`Source::parse`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A registry image: `registry://host[:port]/repo:tag`, or a reference whose first
    /// component is a registry host (`ghcr.io/org/app:1`, `localhost:5000/app@sha256:...`)
    /// and that is not an existing local path. Kept as written (`registry://` included).
    Registry(String),
    /// An OCI layout folder, an OCI archive, a docker-save tarball or a root filesystem
    /// folder (which of these is decided when it is read).
    Path(PathBuf),
    /// A regular file whose first non-blank byte is `{`: an SBOM (CycloneDX or SPDX JSON).
    /// Tarballs start with a file name, so they never look like one.
    Sbom(PathBuf),
}

/// Why a source could not be parsed.
#[derive(Debug)]
pub enum SourceError {
    /// Nothing at that path. `looks_like_reference`: the text reads like an image reference
    /// without a registry host (`nginx:1.27`), so the message says how to name one.
    NotFound {
        path: PathBuf,
        looks_like_reference: bool,
    },
    /// The path exists but its metadata could not be read.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::NotFound {
                path,
                looks_like_reference: true,
            } => write!(
                f,
                "{}: no such file or folder; to pull it from a registry, name the registry (`registry://docker.io/library/nginx:1.27`, `ghcr.io/org/app:1`), or save the image first (`docker save IMAGE -o image.tar`) and pass the file",
                path.to_string_lossy()
            ),
            SourceError::NotFound { path, .. } => {
                write!(f, "{}: no such file or folder", path.display())
            }
            SourceError::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for SourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SourceError::Io { source, .. } => Some(source),
            SourceError::NotFound { .. } => None,
        }
    }
}

impl Source {
    /// Decides what `arg` names. An existing local path wins over a reference that reads the
    /// same (`registry://` always means the registry); without the `registry` feature only
    /// `registry://` names a registry image. A local path is looked at (metadata and, for a
    /// regular file, its first 512 bytes) but not read.
    pub fn parse(arg: impl AsRef<OsStr>) -> Result<Source, SourceError> {
        let arg = arg.as_ref();
        let text = arg.to_string_lossy();
        let path = Path::new(arg);
        if is_registry_source(&text, path) {
            return Ok(Source::Registry(text.into_owned()));
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(SourceError::NotFound {
                    path: path.to_path_buf(),
                    looks_like_reference: looks_like_reference(&text),
                })
            }
            Err(source) => {
                return Err(SourceError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        if meta.is_file() && starts_with_json_object(path) {
            Ok(Source::Sbom(path.to_path_buf()))
        } else {
            Ok(Source::Path(path.to_path_buf()))
        }
    }

    /// The source as the user wrote it (a path is shown with [`Path::display`]).
    pub fn display(&self) -> String {
        match self {
            Source::Registry(r) => r.clone(),
            Source::Path(p) | Source::Sbom(p) => p.display().to_string(),
        }
    }
}

/// Whether `text` names a registry image rather than the existing local path `path`.
fn is_registry_source(text: &str, path: &Path) -> bool {
    if !text.starts_with("registry://") && path.exists() {
        return false;
    }
    #[cfg(feature = "registry")]
    {
        super::registry::is_registry_reference(text)
    }
    #[cfg(not(feature = "registry"))]
    {
        text.starts_with("registry://")
    }
}

/// True when `s` reads like an image reference without a registry host (`nginx:1.27`,
/// `library/nginx@sha256:...`) rather than a path.
fn looks_like_reference(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && !s.starts_with('/')
        && !s.contains('\\')
        && (s.contains(':') || s.contains('@') || s.contains('/'))
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:@".contains(c))
}

/// True when the first non-blank byte of the file (after a UTF-8 byte order mark) is `{`.
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

    #[test]
    fn parse_decides_once() {
        let dir = std::env::temp_dir().join(format!("kubeward-source-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sbom = dir.join("sbom.json");
        std::fs::write(&sbom, "\u{feff}  \n{\"bomFormat\": \"CycloneDX\"}").unwrap();
        let tar = dir.join("image.tar");
        std::fs::write(&tar, "manifest.json\0").unwrap();
        assert_eq!(Source::parse(&sbom).unwrap(), Source::Sbom(sbom.clone()));
        assert_eq!(Source::parse(&tar).unwrap(), Source::Path(tar.clone()));
        assert_eq!(Source::parse(&dir).unwrap(), Source::Path(dir.clone()));
        assert_eq!(
            Source::parse("registry://localhost:5000/app:1").unwrap(),
            Source::Registry("registry://localhost:5000/app:1".into())
        );
        let e = Source::parse("nginx:1.27").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("nginx:1.27: no such file or folder; to pull it"),
            "{e}"
        );
        let e = Source::parse(dir.join("missing")).unwrap_err();
        assert!(
            e.to_string().ends_with("missing: no such file or folder"),
            "{e}"
        );
        #[cfg(feature = "registry")]
        assert_eq!(
            Source::parse("ghcr.io/org/app:1").unwrap(),
            Source::Registry("ghcr.io/org/app:1".into())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
