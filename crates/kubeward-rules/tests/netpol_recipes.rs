//! The network rules on the NetworkPolicy recipes vendored in `testdata/netpol-recipes`
//! (ahmetb/kubernetes-network-policy-recipes, see `testdata/SOURCES.md`): which of the
//! rules of issue 10 fire on each recipe, alone and with the pods the recipe is written for.

use kubeward_model::load_str;
use kubeward_rules::{engine, Settings};
use std::collections::BTreeSet;
use std::path::PathBuf;

const RULES: &[&str] = &[
    "namespace-without-network-policy",
    "missing-egress-network-policy",
    "network-policy-allow-all",
    "network-policy-egress-internet",
    "network-policy-egress-metadata",
    "network-policy-blocks-dns",
    "network-policy-selects-nothing",
    "data-store-reachable",
];

fn recipe(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/netpol-recipes")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The rules of [`RULES`] that fire on the text.
fn fired(text: &str) -> BTreeSet<&'static str> {
    let snap = load_str("recipe.yaml", text);
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    engine::analyze(&snap, &Settings::default(), &|m| RULES.contains(&m.name))
        .into_iter()
        .map(|f| f.rule)
        .collect()
}

/// A Deployment labelled `app: <app>` in the default namespace.
fn pod(app: &str) -> String {
    format!(
        "\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {app}, namespace: default}}\nspec:\n  selector: {{matchLabels: {{app: {app}}}}}\n  template:\n    metadata: {{labels: {{app: {app}}}}}\n    spec:\n      containers: [{{name: c, image: \"{app}:1\"}}]\n"
    )
}

#[test]
fn allow_all_recipes_and_only_them() {
    let allow_all = [
        "02a-web-allow-all.yaml",
        "05-web-allow-all-namespaces.yaml",
        "08-web-allow-external.yaml",
        // the 2017 form of recipe 14: `to: [{namespaceSelector: {}}]` on every port
        "14-foo-deny-external-egress.original-2017.yaml",
    ];
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/netpol-recipes");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("recipes")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "{names:?}");
    for name in &names {
        let got = fired(&recipe(name));
        let want: BTreeSet<&str> = if allow_all.contains(&name.as_str()) {
            ["network-policy-allow-all"].into()
        } else {
            BTreeSet::new()
        };
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn egress_recipes_with_their_pods() {
    // recipe 11 without its DNS allowance breaks name resolution of foo
    let deny = format!("{}{}", recipe("11-foo-deny-egress.yaml"), pod("foo"));
    assert!(fired(&deny).contains("network-policy-blocks-dns"));
    // with the allowance (kube-dns in kube-system on 53), it does not
    let dns = format!(
        "{}{}",
        recipe("11-foo-deny-egress-allow-dns.yaml"),
        pod("foo")
    );
    let got = fired(&dns);
    assert!(!got.contains("network-policy-blocks-dns"), "{got:?}");
    // and a pod the policy does not select has no egress isolation
    let other = format!("{dns}{}", pod("bar"));
    assert!(fired(&other).contains("missing-egress-network-policy"));
    // recipe 12: every pod of default is denied egress, DNS included
    let all = format!(
        "{}{}",
        recipe("12-default-deny-all-egress.yaml"),
        pod("web")
    );
    let got = fired(&all);
    assert!(got.contains("network-policy-blocks-dns"), "{got:?}");
    assert!(!got.contains("missing-egress-network-policy"), "{got:?}");
    // recipe 14 (current form): DNS only, no external egress
    let ext = format!(
        "{}{}",
        recipe("14-foo-deny-external-egress.yaml"),
        pod("foo")
    );
    let got = fired(&ext);
    assert!(!got.contains("network-policy-blocks-dns"), "{got:?}");
    assert!(!got.contains("network-policy-egress-internet"), "{got:?}");
}
