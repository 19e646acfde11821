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
    /// Parses a reference the way the container runtime does. `None` for anything that is not a
    /// valid reference by the distribution grammar (lowercase repository, tag of at most 128
    /// word characters, `algorithm:hex` digest): unrendered templates (`$IMAGE`,
    /// `{{ .Values.image }}`, `<PROJECT_ID>`, `ko://...`) and typos, which rules cannot judge.
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
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
                (Some(first), rest)
            }
            _ => (None, name),
        };
        let valid = registry.is_none_or(valid_registry)
            && valid_repository(repository)
            && tag.is_none_or(valid_tag)
            && digest.is_none_or(valid_digest);
        valid.then_some(ImageRef {
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

/// `host[:port]` (IPv6 literals in brackets).
fn valid_registry(r: &str) -> bool {
    let (host, port) = match r.rsplit_once(':') {
        Some((h, p)) if !r.ends_with(']') => (h, Some(p)),
        _ => (r, None),
    };
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !v6.is_empty() && v6.chars().all(|c| c.is_ascii_hexdigit() || c == ':')
    } else {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    };
    host_ok && port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// Slash-separated lowercase components: `[a-z0-9]+` joined by `.`, `_`, `__` or dashes.
fn valid_repository(r: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    r.split('/').all(|comp| {
        comp.starts_with(alnum)
            && comp.ends_with(alnum)
            && comp
                .chars()
                .all(|c| alnum(c) || matches!(c, '.' | '_' | '-'))
    })
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn valid_tag(t: &str) -> bool {
    t.len() <= 128
        && !t.starts_with(['.', '-'])
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// `algorithm:encoded`, the encoding hexadecimal (sha256, sha512) or base64url-like for others.
fn valid_digest(d: &str) -> bool {
    match d.split_once(':') {
        Some((alg, enc)) => {
            !alg.is_empty()
                && alg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '_' | '-'))
                && !enc.is_empty()
                && enc
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '=' | '_' | '-'))
        }
        None => false,
    }
}

/// Every container of every pod template whose image is a valid reference, with the parsed
/// reference (the walk the image rules share).
pub(crate) fn images<'a, 's>(
    cx: &'a crate::rule::Context<'s>,
) -> impl Iterator<
    Item = (
        &'a kubeward_model::PodTemplate<'s>,
        kubeward_model::Container<'s>,
        &'s str,
        ImageRef<'s>,
    ),
> + 'a {
    cx.index.pod_templates().iter().flat_map(|t| {
        t.containers().into_iter().filter_map(move |c| {
            let image = c.image()?;
            let r = ImageRef::parse(image)?;
            Some((t, c, image, r))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::ImageRef;

    /// (registry, repository, tag, digest).
    type Parts<'a> = (Option<&'a str>, &'a str, Option<&'a str>, Option<&'a str>);

    fn p(s: &str) -> Option<Parts<'_>> {
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
            Some((
                Some("registry.k8s.io:443"),
                "pause",
                Some("3.9"),
                Some("sha256:abc")
            ))
        );
        assert_eq!(
            p("ghcr.io/o/r@sha256:0123"),
            Some((Some("ghcr.io"), "o/r", None, Some("sha256:0123")))
        );
        assert_eq!(
            p("quay.io/org/app"),
            Some((Some("quay.io"), "org/app", None, None))
        );
        assert_eq!(p("org/app"), Some((None, "org/app", None, None)));
        assert_eq!(p(""), None);
        assert_eq!(p("nginx:"), None);
        assert_eq!(p("nginx@"), None);
        assert_eq!(p("{{ .Values.image }}"), None);
        assert_eq!(p("$(IMAGE)"), None);
        assert_eq!(p("ko://github.com/tektoncd/pipeline/cmd/webhook"), None);
        assert_eq!(p("us-docker.pkg.dev/PROJECT_ID/app"), None);
        assert_eq!(p("example.com/<PROJECT_ID>/app:latest"), None);
        assert_eq!(p("app:-bad"), None);
        assert_eq!(p("app@sha256"), None);
        assert_eq!(
            p("Registry.Example.com/team/app:v1").map(|r| r.0),
            Some(Some("Registry.Example.com"))
        );
        assert_eq!(
            p("[::1]:5000/app:v1"),
            Some((Some("[::1]:5000"), "app", Some("v1"), None))
        );
        assert_eq!(p("[::1]/app").map(|r| r.0), Some(Some("[::1]")));
        assert_eq!(
            p("my_org/my__app-x.y:1"),
            Some((None, "my_org/my__app-x.y", Some("1"), None))
        );
    }

    #[test]
    fn mutability() {
        assert!(ImageRef::parse("nginx").unwrap().is_mutable_latest());
        assert!(ImageRef::parse("localhost:5000/app")
            .unwrap()
            .is_mutable_latest());
        assert!(ImageRef::parse("nginx:latest").unwrap().is_mutable_latest());
        assert!(!ImageRef::parse("nginx:latest@sha256:00")
            .unwrap()
            .is_mutable_latest());
        assert!(!ImageRef::parse("nginx:1.25").unwrap().is_mutable_latest());
    }
}
