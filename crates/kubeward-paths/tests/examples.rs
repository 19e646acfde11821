//! The intrusion story of the repository's `examples/` folder, end to end.

use kubeward_model::{Index, Input, Loader};
use kubeward_paths::{analyse, VertexKind};
use kubeward_rbac::{Engine, Options};
use std::path::PathBuf;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

#[test]
fn the_shop_story_reaches_the_node_and_has_a_choke_point() {
    let loader = Loader::default();
    let (files, errors) = loader.expand(&[examples()], &|_| false);
    assert!(errors.is_empty(), "{errors:?}");
    let snap = loader.load(files.into_iter().map(Input::Path).collect());
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    assert!(snap.objects.len() > 10);
    let index = Index::new(&snap);
    let rbac = Engine::new(&snap, Options::default());
    let g = analyse(&snap, &index, &rbac);

    // every path starts at the internet and ends at a sink
    assert!(!g.paths.is_empty());
    for p in &g.paths {
        assert_eq!(p.from, "internet");
        assert_eq!(g.edges[p.edges[0]].from, "internet");
        assert_eq!(g.edges[*p.edges.last().unwrap()].to, p.to);
        for w in p.edges.windows(2) {
            assert_eq!(g.edges[w[0]].to, g.edges[w[1]].from);
        }
        assert!(g.vertex(&p.to).unwrap().kind.is_sink());
    }

    // the frontend's way: LoadBalancer → frontend → its token → pod creation in shop → node
    let front = g
        .paths
        .iter()
        .find(|p| {
            p.entry.as_deref() == Some("endpoint:shop/Service/frontend") && p.to == "node:any"
        })
        .expect("a path from the frontend's LoadBalancer to a node");
    let hops: Vec<(&str, &str)> = front
        .edges
        .iter()
        .map(|&i| (g.edges[i].attack, g.edges[i].to.as_str()))
        .collect();
    assert!(
        hops.contains(&("TOKEN_STEAL", "serviceaccount:shop/frontend")),
        "{hops:?}"
    );
    assert!(
        hops.iter().any(|(a, _)| *a == "POD_CREATE"
            || a.starts_with("CE_")
            || a.starts_with("EXPLOIT_HOST")),
        "{hops:?}"
    );
    // the token's rights: the namespace's secrets, pod creation
    for (attack, to) in [
        ("PERMISSION_DISCOVER", "grant:shop/read-secrets"),
        ("PERMISSION_DISCOVER", "grant:shop/create-pods"),
        ("PERMISSION_DISCOVER", "grant:shop/exec-pods"),
    ] {
        assert!(
            g.edges.iter().any(|e| e.attack == attack
                && e.from == "serviceaccount:shop/frontend"
                && e.to == to),
            "{attack} {to}"
        );
    }
    // the privileged node agent owns the node
    let agent = "container:monitoring/DaemonSet/node-agent/agent";
    for attack in [
        "CE_PRIV_MOUNT",
        "CE_NSENTER",
        "CE_RUNTIME_SOCKET",
        "EXPLOIT_HOST_WRITE",
    ] {
        assert!(
            g.edges
                .iter()
                .any(|e| e.attack == attack && e.from == agent && e.to == "node:any"),
            "{attack}"
        );
    }
    // the ClusterIP database is not an entry point
    assert!(!g
        .edges
        .iter()
        .any(|e| e.from == "internet" && e.to.contains("postgres")));

    // the whole story: the frontend's token creates a pod in the monitoring namespace (no
    // Pod Security there) running as the node agent's account, which is cluster-admin
    let admin = g
        .paths
        .iter()
        .find(|p| {
            p.entry.as_deref() == Some("endpoint:shop/Service/frontend") && p.to == "cluster-admin"
        })
        .expect("a path from the frontend's LoadBalancer to cluster-admin");
    let hops: Vec<&str> = admin
        .edges
        .iter()
        .map(|&i| g.edges[i].to.as_str())
        .collect();
    for v in [
        "serviceaccount:shop/frontend",
        "grant:monitoring/create-pods",
        "serviceaccount:monitoring/node-agent",
    ] {
        assert!(hops.contains(&v), "{v}: {hops:?}");
    }

    // choke points: the frontend's token cuts its paths at once (with the control-plane
    // examples in the same input, the node agent's binding ranks first: every node path
    // leads on to cluster-admin through it)
    let c = g
        .choke_points
        .iter()
        .find(|c| c.object == "Deployment/shop/frontend")
        .expect("the frontend's token is a choke point");
    assert!(c.path.ends_with("automountServiceAccountToken"), "{c:?}");
    assert!(c.paths_cut >= 2, "{c:?}");
    let c = g.choke_points.first().expect("a choke point");
    assert!(c.file.contains("examples"), "{c:?}");
    // applying the ranked fixes in order leaves no path from the internet to a sink
    assert_eq!(
        g.choke_points.last().unwrap().paths_left,
        0,
        "{:#?}",
        g.choke_points
    );
    assert!(g
        .vertices
        .iter()
        .any(|v| v.kind == VertexKind::ClusterAdmin));
    let json = serde_json::to_string_pretty(&g).unwrap();
    println!("{json}");
}
