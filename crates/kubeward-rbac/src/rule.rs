//! One `rules` entry of a Role or ClusterRole, and how the API server's RBAC authorizer
//! matches a request against it.

use kubeward_model::Node;
use serde::Serialize;

/// One entry of a role's `rules` (owned: the engine also holds the built-in default roles).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PolicyRule {
    pub verbs: Vec<String>,
    #[serde(rename = "apiGroups", skip_serializing_if = "Vec::is_empty")]
    pub api_groups: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(rename = "resourceNames", skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    #[serde(rename = "nonResourceURLs", skip_serializing_if = "Vec::is_empty")]
    pub non_resource_urls: Vec<String>,
}

fn strings(node: &Node, key: &str) -> Vec<String> {
    node.get(key)
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
        .map(str::to_string)
        .collect()
}

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl PolicyRule {
    /// Reads one `rules` item of a manifest.
    pub fn from_node(node: &Node) -> PolicyRule {
        PolicyRule {
            verbs: strings(node, "verbs"),
            api_groups: strings(node, "apiGroups"),
            resources: strings(node, "resources"),
            resource_names: strings(node, "resourceNames"),
            non_resource_urls: strings(node, "nonResourceURLs"),
        }
    }

    /// A resource rule (tests and the default policy).
    pub fn resource(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
        PolicyRule {
            verbs: owned(verbs),
            api_groups: owned(groups),
            resources: owned(resources),
            ..Default::default()
        }
    }

    /// A non-resource rule (tests and the default policy).
    pub fn urls(urls: &[&str], verbs: &[&str]) -> PolicyRule {
        PolicyRule {
            verbs: owned(verbs),
            non_resource_urls: owned(urls),
            ..Default::default()
        }
    }

    /// Restricts the rule to named objects.
    pub fn named(mut self, names: &[&str]) -> PolicyRule {
        self.resource_names = owned(names);
        self
    }

    /// Whether `verb` is one of the rule's verbs (or the rule has `*`).
    pub fn verb_matches(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == "*" || v == verb)
    }

    /// Whether the API group is one of the rule's (or the rule has `*`).
    pub fn group_matches(&self, group: &str) -> bool {
        self.api_groups.iter().any(|g| g == "*" || g == group)
    }

    /// Whether the rule names the resource (`pods`) or subresource (`pods/exec`). As in the
    /// API server: `*` matches everything, `*/exec` the `exec` subresource of every resource;
    /// `pods/*` is not a pattern (it matches only a subresource literally named `*`).
    pub fn resource_matches(&self, resource: &str, subresource: Option<&str>) -> bool {
        let combined = match subresource {
            Some(s) => format!("{resource}/{s}"),
            None => resource.to_string(),
        };
        self.resources.iter().any(|r| {
            r == "*"
                || *r == combined
                || subresource.is_some_and(|s| r.strip_prefix("*/") == Some(s))
        })
    }

    /// Whether the rule lets the request reach the object `name` (`None`: a request that
    /// names no object, such as `list` or `create`). A rule without `resourceNames` reaches
    /// every object; one with `resourceNames` only the objects it names.
    pub fn name_matches(&self, name: Option<&str>) -> bool {
        self.resource_names.is_empty()
            || name.is_some_and(|n| self.resource_names.iter().any(|r| r == n))
    }

    /// Whether the rule grants a non-resource URL: `*` matches every path, a trailing `*`
    /// every path with that prefix.
    pub fn url_matches(&self, url: &str) -> bool {
        self.non_resource_urls.iter().any(|u| {
            u == "*"
                || u == url
                || u.strip_suffix('*')
                    .is_some_and(|prefix| url.starts_with(prefix))
        })
    }

    /// Whether the rule grants `verb` on (`group`, `resource`, `subresource`), ignoring
    /// `resourceNames`.
    pub fn grants_resource(
        &self,
        verb: &str,
        group: &str,
        resource: &str,
        subresource: Option<&str>,
    ) -> bool {
        self.verb_matches(verb)
            && self.group_matches(group)
            && self.resource_matches(resource, subresource)
    }

    /// Whether the match of this rule for a request relies on a wildcard (`*` in verbs,
    /// groups or resources, `*/sub`) rather than on explicit names.
    pub fn matched_by_wildcard(
        &self,
        verb: &str,
        group: &str,
        resource: &str,
        subresource: Option<&str>,
    ) -> bool {
        let combined = match subresource {
            Some(s) => format!("{resource}/{s}"),
            None => resource.to_string(),
        };
        !self.verbs.iter().any(|v| v == verb)
            || !self.api_groups.iter().any(|g| g == group)
            || !self.resources.contains(&combined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_groups_resources_and_wildcards() {
        let r = PolicyRule::resource(&[""], &["pods", "pods/exec"], &["get", "create"]);
        assert!(r.grants_resource("get", "", "pods", None));
        assert!(r.grants_resource("create", "", "pods", Some("exec")));
        assert!(!r.grants_resource("delete", "", "pods", None));
        assert!(!r.grants_resource("get", "apps", "pods", None));
        assert!(!r.grants_resource("get", "", "pods", Some("log")));
        assert!(!r.grants_resource("get", "", "secrets", None));
        let all = PolicyRule::resource(&["*"], &["*"], &["*"]);
        assert!(all.grants_resource(
            "escalate",
            "rbac.authorization.k8s.io",
            "clusterroles",
            None
        ));
        assert!(all.grants_resource("create", "", "pods", Some("exec")));
        assert!(all.matched_by_wildcard("get", "", "pods", None));
        assert!(!r.matched_by_wildcard("get", "", "pods", None));
    }

    #[test]
    fn subresource_patterns_as_the_api_server_reads_them() {
        let star_sub = PolicyRule::resource(&["apps"], &["*/scale"], &["update"]);
        assert!(star_sub.grants_resource("update", "apps", "deployments", Some("scale")));
        assert!(!star_sub.grants_resource("update", "apps", "deployments", None));
        assert!(!star_sub.grants_resource("update", "apps", "deployments", Some("status")));
        // `pods/*` is no pattern for the API server
        let pods_star = PolicyRule::resource(&[""], &["pods/*"], &["create"]);
        assert!(!pods_star.grants_resource("create", "", "pods", Some("exec")));
        assert!(!pods_star.grants_resource("create", "", "pods", None));
        // a resource does not grant its subresources
        let pods = PolicyRule::resource(&[""], &["pods"], &["create"]);
        assert!(!pods.grants_resource("create", "", "pods", Some("exec")));
    }

    #[test]
    fn resource_names_and_urls() {
        let r = PolicyRule::resource(&[""], &["secrets"], &["get"]).named(&["db"]);
        assert!(r.name_matches(Some("db")));
        assert!(!r.name_matches(Some("other")));
        assert!(!r.name_matches(None));
        assert!(PolicyRule::resource(&[""], &["secrets"], &["get"]).name_matches(None));
        let u = PolicyRule::urls(&["/healthz", "/api/*"], &["get"]);
        assert!(u.url_matches("/healthz"));
        assert!(u.url_matches("/api/v1"));
        assert!(!u.url_matches("/apis"));
        assert!(!u.url_matches("/healthz/etcd"));
        assert!(PolicyRule::urls(&["*"], &["get"]).url_matches("/metrics"));
    }
}
