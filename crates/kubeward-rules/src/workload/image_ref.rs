//! Container image references: `[registry[:port]/]repository[:tag][@digest]`.

/// The parts of an image reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// Registry host (with port), when the first component names one.
    pub registry: Option<&'a str>,
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    /// `sha256:...` without the `@`.
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    /// Parses a reference the way the container runtime does. `None` for an empty reference,
    /// an empty tag or digest, or an unrendered template (`$IMAGE`, `{{ .Values.image }}`), which
    /// rules cannot judge.
    pub(crate) fn parse(image: &'a str) -> Option<ImageRef<'a>> {
        let image = image.trim();
        if image.is_empty() || image.contains(['$', '{', '}', ' ', '\t']) {
            return None;
        }
        let (name_tag, digest) = match image.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (image, None),
        };
        if digest == Some("") {
            return None;
        }
        // The tag follows the last ':' of the last path component; a ':' before a '/' is the
        // registry port (`localhost:5000/app`).
        let last = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag[last..].rfind(':') {
            Some(i) => (&name_tag[..last + i], Some(&name_tag[last + i + 1..])),
            None => (name_tag, None),
        };
        if tag == Some("") || name.is_empty() {
            return None;
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (Some(first), rest),
            _ => (None, name),
        };
        if repository.is_empty() {
            return None;
        }
        Some(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// Whether the reference can point at different images over time: no digest, and the tag is
    /// absent (implicitly `latest`) or `latest`.
    pub(crate) fn is_mutable_latest(&self) -> bool {
        self.digest.is_none() && matches!(self.tag, None | Some("latest"))
    }
}

#[cfg(test)]
mod tests {
    use super::ImageRef;

    fn p(s: &str) -> Option<(Option<&str>, &str, Option<&str>, Option<&str>)> {
        ImageRef::parse(s).map(|r| (r.registry, r.repository, r.tag, r.digest))
    }

    #[test]
    fn parses_references() {
        assert_eq!(p("nginx"), Some((None, "nginx", None, None)));
        assert_eq!(p("nginx:1.25"), Some((None, "nginx", Some("1.25"), None)));
        assert_eq!(
            p("library/nginx:latest"),
            Some((None, "library/nginx", Some("latest"), None))
        );
        assert_eq!(
            p("localhost:5000/app"),
            Some((Some("localhost:5000"), "app", None, None))
        );
        assert_eq!(
            p("localhost/app:v1"),
            Some((Some("localhost"), "app", Some("v1"), None))
        );
        assert_eq!(
            p("registry.k8s.io:443/pause:3.9@sha256:abc"),
            Some((Some("registry.k8s.io:443"), "pause", Some("3.9"), Some("sha256:abc")))
        );
        assert_eq!(
            p("ghcr.io/o/r@sha256:0123"),
            Some((Some("ghcr.io"), "o/r", None, Some("sha256:0123")))
        );
        assert_eq!(p("quay.io/org/app"), Some((Some("quay.io"), "org/app", None, None)));
        assert_eq!(p("org/app"), Some((None, "org/app", None, None)));
        assert_eq!(p(""), None);
        assert_eq!(p("nginx:"), None);
        assert_eq!(p("nginx@"), None);
        assert_eq!(p("{{ .Values.image }}"), None);
        assert_eq!(p("$(IMAGE)"), None);
    }

    #[test]
    fn mutability() {
        assert!(ImageRef::parse("nginx").unwrap().is_mutable_latest());
        assert!(ImageRef::parse("localhost:5000/app").unwrap().is_mutable_latest());
        assert!(ImageRef::parse("nginx:latest").unwrap().is_mutable_latest());
        assert!(!ImageRef::parse("nginx:latest@sha256:00").unwrap().is_mutable_latest());
        assert!(!ImageRef::parse("nginx:1.25").unwrap().is_mutable_latest());
    }
}
