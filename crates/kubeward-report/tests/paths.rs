//! The attack-path renderers (`kubeward_report::paths`): text, story, JSON, SARIF, DOT,
//! Mermaid and HTML of hand-made graphs (one with hostile names), of an empty graph, of a large
//! graph without paths, and of the `examples/shop` cluster; the HTML page rendered in headless
//! Chromium (`chromium` module).

use kubeward_paths::{ChokePoint, Confidence, Edge, Evidence, Graph, Path, Vertex, VertexKind};
use kubeward_report::paths::{self, Options};
use serde_json::Value;

const SCHEMA: &str = include_str!("schemas/sarif-schema-2.1.0.json");

/// A name that tries to leave a DOT string and add a vertex.
const DOT_BREAKER: &str = r#"a"];evil[label="x"#;
/// A name that tries to close the page's script and open another.
const SCRIPT_BREAKER: &str = "</script><script>alert(1)</script>";

fn ev(file: &str, line: u32, object: &str, path: &str) -> Evidence {
    Evidence {
        file: file.into(),
        line,
        col: 9,
        object: object.into(),
        path: path.into(),
        object_id: 0,
    }
}

#[allow(clippy::too_many_arguments)]
fn edge(
    attack: &'static str,
    from: &str,
    to: &str,
    evidence: Vec<Evidence>,
    weight: u32,
    fix: &str,
    conditions: &[&str],
) -> Edge {
    Edge {
        attack,
        from: from.into(),
        to: to.into(),
        evidence,
        weight,
        confidence: Confidence::High,
        technique: "T1610",
        fix: fix.into(),
        conditions: conditions.iter().map(|c| c.to_string()).collect(),
    }
}

fn path(graph: &Graph, entry: &str, to: &str, edges: &[usize]) -> Path {
    Path {
        from: "internet".into(),
        entry: Some(entry.into()),
        to: to.into(),
        edges: edges.to_vec(),
        weight: edges.iter().map(|&e| graph.edges[e].weight).sum(),
    }
}

/// Two entry points (one with hostile names and a hostile file name) that reach the node and,
/// through a node token, cluster-admin; three choke points.
fn sample() -> Graph {
    let evil_ep = format!("Service/{DOT_BREAKER}");
    let evil_w = format!("Deployment/{SCRIPT_BREAKER}");
    let evil_c = format!("Deployment/{SCRIPT_BREAKER}/c");
    let mut vertices = vec![
        Vertex::new(VertexKind::Internet, None, "internet"),
        Vertex::new(VertexKind::Endpoint, Some("shop"), "Service/frontend"),
        Vertex::new(VertexKind::Workload, Some("shop"), "Deployment/frontend"),
        Vertex::new(
            VertexKind::Container,
            Some("shop"),
            "Deployment/frontend/app",
        ),
        Vertex::new(VertexKind::Serviceaccount, Some("shop"), "frontend"),
        Vertex::new(VertexKind::Grant, Some("shop"), "create pods"),
        Vertex::new(VertexKind::Node, None, "any"),
        Vertex::new(VertexKind::Serviceaccount, Some("monitoring"), "agent"),
        Vertex::new(VertexKind::ClusterAdmin, None, "cluster-admin"),
        Vertex::new(VertexKind::Endpoint, Some("evil"), &evil_ep),
        Vertex::new(VertexKind::Workload, Some("evil"), &evil_w),
        Vertex::new(VertexKind::Container, Some("evil"), &evil_c),
    ];
    vertices.sort_by(|a, b| a.id.cmp(&b.id));
    let id = |kind: VertexKind, ns: Option<&str>, name: &str| Vertex::new(kind, ns, name).id;
    let ep = id(VertexKind::Endpoint, Some("shop"), "Service/frontend");
    let w = id(VertexKind::Workload, Some("shop"), "Deployment/frontend");
    let c = id(
        VertexKind::Container,
        Some("shop"),
        "Deployment/frontend/app",
    );
    let sa = id(VertexKind::Serviceaccount, Some("shop"), "frontend");
    let g = id(VertexKind::Grant, Some("shop"), "create pods");
    let agent = id(VertexKind::Serviceaccount, Some("monitoring"), "agent");
    let eep = id(VertexKind::Endpoint, Some("evil"), &evil_ep);
    let ew = id(VertexKind::Workload, Some("evil"), &evil_w);
    let ec = id(VertexKind::Container, Some("evil"), &evil_c);
    let fe = "examples/shop/10-frontend.yaml";
    let rb = "examples/shop/20-rbac.yaml";
    let mon = "examples/shop/50-monitoring.yaml";
    let evil_file = "evil\u{1b}[31m.yaml";
    let evil_obj = format!("Deployment/evil/{SCRIPT_BREAKER}");
    let edges = vec![
        // 0..=7: the frontend's way
        edge(
            "EXPOSURE",
            "internet",
            &ep,
            vec![ev(fe, 9, "Service/shop/frontend", "spec.type")],
            1,
            "make Service frontend ClusterIP",
            &[],
        ),
        edge(
            "SERVICE_ROUTE",
            &ep,
            &w,
            vec![ev(fe, 11, "Service/shop/frontend", "spec.selector")],
            1,
            "",
            &[],
        ),
        edge(
            "ENDPOINT_EXPLOIT",
            &w,
            &c,
            vec![ev(
                fe,
                30,
                "Deployment/shop/frontend",
                "spec.template.spec.containers[0]",
            )],
            3,
            "",
            &[],
        ),
        edge(
            "TOKEN_STEAL",
            &c,
            &sa,
            vec![ev(
                fe,
                26,
                "Deployment/shop/frontend",
                "spec.template.spec.automountServiceAccountToken",
            )],
            1,
            "set automountServiceAccountToken: false",
            &[],
        ),
        edge(
            "PERMISSION_DISCOVER",
            &sa,
            &g,
            vec![ev(rb, 20, "RoleBinding/shop/frontend", "roleRef")],
            1,
            "remove RoleBinding shop/frontend",
            &[],
        ),
        edge(
            "POD_CREATE",
            &g,
            "node:any",
            vec![ev(rb, 8, "Role/shop/deployer", "rules[0]")],
            2,
            "",
            &["namespace shop enforces no Pod Security level"],
        ),
        edge(
            "TOKEN_STEAL",
            "node:any",
            &agent,
            vec![ev(
                mon,
                5,
                "DaemonSet/monitoring/agent",
                "spec.template.spec",
            )],
            2,
            "",
            &[],
        ),
        edge(
            "PERMISSION_DISCOVER",
            &agent,
            "cluster-admin",
            vec![ev(mon, 40, "ClusterRoleBinding/agent", "roleRef")],
            1,
            "remove ClusterRoleBinding agent",
            &[],
        ),
        // 8..=11: the hostile way
        edge(
            "EXPOSURE",
            "internet",
            &eep,
            vec![ev(
                evil_file,
                3,
                &format!("Service/evil/{DOT_BREAKER}"),
                "spec.type",
            )],
            1,
            "",
            &[],
        ),
        edge(
            "SERVICE_ROUTE",
            &eep,
            &ew,
            vec![ev(
                evil_file,
                4,
                &format!("Service/evil/{DOT_BREAKER}"),
                "spec.selector",
            )],
            1,
            "",
            &[],
        ),
        edge(
            "ENDPOINT_EXPLOIT",
            &ew,
            &ec,
            vec![ev(
                evil_file,
                12,
                &evil_obj,
                "spec.template.spec.containers[0]",
            )],
            3,
            "",
            &[],
        ),
        edge(
            "CE_PRIV_MOUNT",
            &ec,
            "node:any",
            vec![ev(
                evil_file,
                14,
                &evil_obj,
                "spec.template.spec.containers[0].securityContext.privileged",
            )],
            1,
            &format!("set securityContext.privileged=false in {SCRIPT_BREAKER}\u{1b}]0;x"),
            &[],
        ),
    ];
    let mut graph = Graph {
        vertices,
        edges,
        ..Graph::default()
    };
    graph.paths = vec![
        path(&graph, &eep, "cluster-admin", &[8, 9, 10, 11, 6, 7]),
        path(&graph, &eep, "node:any", &[8, 9, 10, 11]),
        path(&graph, &ep, "cluster-admin", &[0, 1, 2, 3, 4, 5, 6, 7]),
        path(&graph, &ep, "node:any", &[0, 1, 2, 3, 4, 5]),
    ];
    graph.choke_points = vec![
        ChokePoint {
            fix: "remove ClusterRoleBinding agent".into(),
            object: "ClusterRoleBinding/agent".into(),
            path: "roleRef".into(),
            file: mon.into(),
            line: 40,
            paths_cut: 2,
            paths_left: 2,
            edges: vec![7],
        },
        ChokePoint {
            fix: "set automountServiceAccountToken: false".into(),
            object: "Deployment/shop/frontend".into(),
            path: "spec.template.spec.automountServiceAccountToken".into(),
            file: fe.into(),
            line: 26,
            paths_cut: 1,
            paths_left: 1,
            edges: vec![3],
        },
        ChokePoint {
            fix: format!("set securityContext.privileged=false in {SCRIPT_BREAKER}\u{1b}]0;x"),
            object: evil_obj.clone(),
            path: "spec.template.spec.containers[0].securityContext.privileged".into(),
            file: evil_file.into(),
            line: 14,
            paths_cut: 1,
            paths_left: 0,
            edges: vec![11],
        },
    ];
    graph
}

fn render(f: impl Fn(&Graph, &mut dyn std::io::Write) -> std::io::Result<()>, g: &Graph) -> String {
    let mut out = Vec::new();
    f(g, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn text(g: &Graph, opts: Options) -> String {
    let mut out = Vec::new();
    paths::text(g, &opts, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The examples/ cluster, loaded and analysed as `kubeward paths examples/shop` does.
fn shop() -> Graph {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/shop");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let inputs = files
        .iter()
        .map(|f| kubeward_model::Input::Bytes {
            name: format!("examples/shop/{}", f.file_name().unwrap().to_string_lossy()),
            bytes: std::fs::read(f).unwrap(),
        })
        .collect();
    let snap = kubeward_model::Loader::default().load(inputs);
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    let index = kubeward_model::Index::new(&snap);
    let rbac = kubeward_rbac::Engine::new(&snap, kubeward_rbac::Options::default());
    kubeward_paths::analyse(&snap, &index, &rbac)
}

// ---- text and story ----

#[test]
fn story_is_one_line_per_path_worst_first_with_the_cutting_fix() {
    let g = sample();
    let lines = paths::story(&g, 10);
    assert_eq!(lines.len(), 4, "{lines:#?}");
    // to cluster-admin first, the lighter first
    assert!(
        lines[0].starts_with("internet → Service/evil/"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("→ … → cluster-admin, 6 hops (weight 9)"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with(
            "internet → Service/shop/frontend → … → cluster-admin, 8 hops (weight 12)"
        ),
        "{}",
        lines[1]
    );
    assert!(lines[0].ends_with(
        "cut by: remove ClusterRoleBinding agent (ClusterRoleBinding/agent, examples/shop/50-monitoring.yaml:40)"
    ));
    // two choke points cut the frontend's path to cluster-admin: the better ranked is named
    assert!(
        lines[1].contains("cut by: remove ClusterRoleBinding agent"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("→ node root, 4 hops (weight 6)"),
        "{}",
        lines[2]
    );
    assert!(lines[3].ends_with(
        "cut by: set automountServiceAccountToken: false (Deployment/shop/frontend, examples/shop/10-frontend.yaml:26)"
    ), "{}", lines[3]);
    for l in &lines {
        assert!(!l.contains('\u{1b}') && !l.contains('\n'), "{l:?}");
    }
    let short = paths::story(&g, 2);
    assert_eq!(short.len(), 3);
    assert_eq!(short[2], "… and 2 more");
    assert!(paths::story(&Graph::default(), 5).is_empty());
}

#[test]
fn text_lists_hops_with_evidence_conditions_and_choke_points() {
    let g = sample();
    let t = text(&g, Options::default());
    assert!(t.starts_with(
        "4 attack paths from the internet (2 to cluster-admin, 2 to node root)\n  1. internet → "
    ), "{t}");
    assert!(t.contains("path 2: internet → Service/shop/frontend → … → cluster-admin"));
    assert!(t.contains(
        "  1. EXPOSURE  internet → Service/shop/frontend  (weight 1, high confidence, T1610)\n       examples/shop/10-frontend.yaml:9:9  Service/shop/frontend  spec.type\n       fix: make Service frontend ClusterIP\n"
    ), "{t}");
    assert!(t.contains("  4. TOKEN_STEAL  container app of Deployment/shop/frontend → ServiceAccount/shop/frontend"));
    assert!(t.contains("       if: namespace shop enforces no Pod Security level\n"));
    assert!(t.contains(
        "choke points (apply in order; each fixes one field):\n  1. remove ClusterRoleBinding agent\n       ClusterRoleBinding/agent  roleRef  examples/shop/50-monitoring.yaml:40\n       cuts 2 paths, 2 left\n"
    ), "{t}");
    assert!(t.contains("       cuts 1 path, 0 left\n"));
    // hostile input is escaped, no escape code reaches the terminal without colour
    assert!(!t.contains('\u{1b}'));
    assert!(t.contains("evil\\u{1b}[31m.yaml:14:9"));
    assert!(t.contains("\\u{1b}]0;x"));
}

#[test]
fn text_colour_styles_only_our_words() {
    let g = sample();
    let plain = text(&g, Options::default());
    let coloured = text(
        &g,
        Options {
            color: true,
            max_paths: None,
        },
    );
    assert!(coloured.contains("\u{1b}["));
    // the hostile escapes stay escaped
    assert!(!coloured.contains("\u{1b}[31m.yaml"));
    assert!(!coloured.contains("\u{1b}]0;x"));
    // without the styles, the same text
    let stripped = strip_ansi(&coloured);
    assert_eq!(stripped, plain);
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn text_max_paths_counts_the_rest() {
    let t = text(
        &sample(),
        Options {
            color: false,
            max_paths: Some(1),
        },
    );
    assert!(t.contains("  1. internet → "));
    assert!(!t.contains("  2. internet → "));
    assert!(t.contains("  … and 3 more\n"));
    assert!(t.contains("path 1: "));
    assert!(!t.contains("path 2: "));
    // as many choke points
    assert!(t.contains("  1. remove ClusterRoleBinding agent\n"));
    assert!(!t.contains("  2. set automountServiceAccountToken"));
    assert!(t.ends_with("cuts 2 paths, 2 left\n  … and 2 more\n"), "{t}");
}

#[test]
fn an_empty_graph_says_there_is_no_path() {
    let g = Graph::default();
    let t = text(&g, Options::default());
    assert_eq!(
        t,
        "no path from the internet to a node or cluster-admin (0 vertices, 0 edges)\n"
    );
    let h = render(paths::html, &g);
    assert!(h.contains("no path from the internet to a node or cluster-admin"));
    let log: Value = serde_json::from_str(&render(paths::sarif, &g)).unwrap();
    validate(&log);
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);
    assert!(render(paths::dot, &g).contains("digraph kubeward_paths {\n"));
    assert!(render(paths::mermaid, &g).contains("flowchart LR\n"));
}

#[test]
fn bad_edge_indices_are_skipped_not_panicked_on() {
    let mut g = sample();
    g.paths[0].edges.push(999);
    g.choke_points[0].edges.push(1234);
    for f in [
        paths::sarif,
        paths::dot,
        paths::mermaid,
        paths::html,
        paths::json,
    ] {
        assert!(!render(f, &g).is_empty());
    }
    assert!(!text(&g, Options::default()).is_empty());
}

// ---- JSON ----

#[test]
fn json_is_the_graph_contract() {
    let g = sample();
    let s = render(paths::json, &g);
    assert!(s.ends_with("}\n"));
    let v: Value = serde_json::from_str(&s).unwrap();
    assert_eq!(v["vertices"].as_array().unwrap().len(), g.vertices.len());
    assert_eq!(v["edges"][0]["attack"], "EXPOSURE");
    assert_eq!(v["edges"][0]["evidence"][0]["line"], 9);
    assert_eq!(
        v["paths"][2]["edges"],
        serde_json::json!([0, 1, 2, 3, 4, 5, 6, 7])
    );
    assert_eq!(v["choke_points"][0]["paths_cut"], 2);
}

// ---- SARIF ----

fn validate(log: &Value) {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let url = "https://kubeward.invalid/sarif-schema-2.1.0.json";
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler.add_resource(url, schema).unwrap();
    let index = compiler.compile(url, &mut schemas).unwrap();
    if let Err(e) = schemas.validate(log, index) {
        panic!("SARIF output is not valid against the 2.1.0 schema:\n{e:#}\n{log:#}");
    }
}

#[test]
fn sarif_has_a_result_per_path_at_its_first_fixable_field() {
    let g = sample();
    let log: Value = serde_json::from_str(&render(paths::sarif, &g)).unwrap();
    validate(&log);
    let run = &log["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "attack-path/cluster-admin",
            "attack-path/cluster-admin",
            "attack-path/node",
            "attack-path/node"
        ]
    );
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["attack-path/cluster-admin", "attack-path/node"]);
    // the frontend's path to cluster-admin: the first choke point cuts it at the binding
    let r = &results[1];
    assert_eq!(r["level"], "error");
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "examples/shop/50-monitoring.yaml"
    );
    assert_eq!(loc["region"]["startLine"], 40);
    assert_eq!(
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "ClusterRoleBinding/agent"
    );
    assert!(r["message"]["text"]
        .as_str()
        .unwrap()
        .starts_with("internet → Service/shop/frontend → … → cluster-admin, 8 hops"));
    // every hop's field is related, one step per hop in the code flow
    assert_eq!(r["relatedLocations"].as_array().unwrap().len(), 8);
    let steps = r["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .unwrap();
    assert_eq!(steps.len(), 8);
    assert_eq!(steps[0]["executionOrder"], 1);
    assert_eq!(
        steps[3]["location"]["message"]["text"],
        "4. TOKEN_STEAL: container app of Deployment/shop/frontend → ServiceAccount/shop/frontend"
    );
    assert_eq!(
        steps[3]["location"]["physicalLocation"]["region"]["startLine"],
        26
    );
    // the frontend's path to the node: cut by the second choke point (the token)
    let r = &results[3];
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        26
    );
    // one stable identity per path
    let mut fps: Vec<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["kubewardAttackPath/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    fps.sort();
    fps.dedup();
    assert_eq!(fps.len(), 4);
    // hostile text escaped
    let s = render(paths::sarif, &g);
    assert!(!s.contains("\\u001b"), "raw ESC in SARIF");
    assert!(s.contains("evil%1B%5B31m.yaml"));
}

#[test]
fn sarif_without_fixes_points_at_the_first_evidence() {
    let mut g = sample();
    g.choke_points.clear();
    for e in &mut g.edges {
        e.fix.clear();
    }
    let log: Value = serde_json::from_str(&render(paths::sarif, &g)).unwrap();
    validate(&log);
    let r = &log["runs"][0]["results"][1];
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        9
    );
    assert!(r["properties"].get("fix").is_none());
}

#[test]
fn sarif_shows_a_hop_without_evidence_at_the_field_before_it() {
    let mut g = sample();
    g.edges[5].evidence.clear();
    let log: Value = serde_json::from_str(&render(paths::sarif, &g)).unwrap();
    validate(&log);
    // the frontend's path to the node, hop 6 (POD_CREATE) at hop 5's binding
    let steps = &log["runs"][0]["results"][3]["codeFlows"][0]["threadFlows"][0]["locations"];
    assert_eq!(
        steps[5]["location"]["message"]["text"],
        "6. POD_CREATE: create pods in shop → node root"
    );
    assert_eq!(
        steps[5]["location"]["physicalLocation"]["region"]["startLine"],
        20
    );
    assert_eq!(
        log["runs"][0]["results"][3]["relatedLocations"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

// ---- DOT and Mermaid ----

/// `"` that are not escaped by a backslash (an even number of backslashes before them).
fn unescaped_quotes(line: &str) -> usize {
    let mut n = 0;
    let mut backslashes = 0;
    for c in line.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                if backslashes % 2 == 0 {
                    n += 1;
                }
                backslashes = 0;
            }
            _ => backslashes = 0,
        }
    }
    n
}

#[test]
fn dot_draws_the_paths_with_escaped_labels() {
    let g = sample();
    let d = render(paths::dot, &g);
    assert!(d.contains("digraph kubeward_paths {\n  rankdir=LR;\n"));
    assert!(d.ends_with("}\n"));
    // every edge on a path, labelled with its attack id
    assert_eq!(d.matches(" -> ").count(), 12);
    assert_eq!(d.matches("[label=\"CE_PRIV_MOUNT\"").count(), 1);
    assert_eq!(d.matches("[label=\"TOKEN_STEAL\"").count(), 2);
    assert_eq!(d.matches("shape=doubleoctagon").count(), 2);
    assert_eq!(d.matches("shape=ellipse").count(), 1);
    // the hostile name stays inside its string
    assert!(d.contains(r#"Service/evil/a\"];evil[label=\"x"#));
    assert!(!d.contains(r#"a"];evil"#));
    for line in d.lines() {
        assert_eq!(unescaped_quotes(line) % 2, 0, "{line}");
        assert!(!line.contains('\u{1b}'));
    }
    // vertices are declared before use, named v0.. only
    for line in d.lines().filter(|l| l.contains(" -> ")) {
        let names: Vec<&str> = line
            .trim()
            .split(" [")
            .next()
            .unwrap()
            .split(" -> ")
            .collect();
        for n in names {
            assert!(
                n.starts_with('v') && n[1..].chars().all(|c| c.is_ascii_digit()),
                "{n}"
            );
            assert!(d.contains(&format!("\n  {n} [label=")), "{n}");
        }
    }
}

#[test]
fn mermaid_draws_the_paths_with_entity_escaped_labels() {
    let g = sample();
    let m = render(paths::mermaid, &g);
    assert!(m.starts_with(
        "%% kubeward attack paths: 4 paths, 12 vertices and 12 edges drawn\nflowchart LR\n"
    ));
    assert_eq!(m.matches(" -->|").count(), 12);
    assert!(m.contains("-->|\"CE_PRIV_MOUNT\"|"));
    assert!(m.contains("((\"internet\"))"));
    assert!(m.contains("{{\"cluster-admin\"}}"));
    assert!(m.contains("{{\"node root\"}}"));
    assert!(m.contains("[\"Service/shop/frontend\"]"));
    // hostile names: quotes, brackets and markup as entity codes
    assert!(m.contains("Service/evil/a#34;#93;#59;evil#91;label=#34;x"));
    assert!(m.contains("#60;/script#62;"));
    for line in m.lines() {
        assert_eq!(line.matches('"').count() % 2, 0, "{line}");
        assert!(!line.contains('<'), "{line}");
        assert!(!line.contains('\u{1b}'));
    }
    assert!(m.contains("  class v"));
}

#[test]
fn without_paths_the_whole_graph_is_drawn_up_to_the_cap() {
    let mut g = Graph {
        vertices: vec![Vertex::new(VertexKind::Internet, None, "internet")],
        ..Graph::default()
    };
    for i in 0..600 {
        let w = Vertex::new(VertexKind::Workload, Some("ns"), &format!("Pod/p{i:03}"));
        g.edges
            .push(edge("SERVICE_ROUTE", "internet", &w.id, vec![], 1, "", &[]));
        g.vertices.push(w);
    }
    g.vertices.sort_by(|a, b| a.id.cmp(&b.id));
    let d = render(paths::dot, &g);
    assert!(d.contains("// cut: 500 of 600 edges drawn\n"));
    assert_eq!(d.matches(" -> ").count(), 500);
    let m = render(paths::mermaid, &g);
    assert!(m.contains("%% cut: 500 of 600 edges drawn\n"));
    assert_eq!(m.matches(" -->|").count(), 500);
    let h = render(paths::html, &g);
    assert!(h.contains("The drawing is cut: 500 of 600 edges drawn."));
    assert!(d.contains("// vertices without a drawn edge are left out\n"));
    // few edges but many vertices: the vertices of the edges only
    g.edges.truncate(3);
    let d = render(paths::dot, &g);
    assert!(!d.contains("cut:"));
    assert!(d.contains("// vertices without a drawn edge are left out\n"));
    assert_eq!(d.matches(" [label=").count(), 4 + 3);
    // small graphs without paths are drawn whole, isolated vertices too
    g.vertices.truncate(10);
    let d = render(paths::dot, &g);
    assert!(!d.contains("left out"));
    assert_eq!(d.matches(" [label=").count(), 10 + 3);
}

#[test]
fn mermaid_stays_under_its_default_text_size() {
    // long names: 500 edges would be about 300 kB, Mermaid reads at most 50,000 characters
    let long = "n".repeat(250);
    let mut g = Graph {
        vertices: vec![Vertex::new(VertexKind::Internet, None, "internet")],
        ..Graph::default()
    };
    for i in 0..600 {
        let w = Vertex::new(
            VertexKind::Workload,
            Some("ns"),
            &format!("Pod/{long}{i:03}"),
        );
        g.edges
            .push(edge("SERVICE_ROUTE", "internet", &w.id, vec![], 1, "", &[]));
        g.vertices.push(w);
    }
    g.vertices.sort_by(|a, b| a.id.cmp(&b.id));
    let m = render(paths::mermaid, &g);
    assert!(m.len() <= 50_000, "{}", m.len());
    let drawn = m.matches(" -->|").count();
    assert!(drawn > 50 && drawn < 500, "{drawn}");
    assert!(m.contains(&format!("%% cut: {drawn} of 600 edges drawn\n")));
}

// ---- HTML ----

#[test]
fn html_is_self_contained_and_escapes_the_input() {
    let g = sample();
    let h = render(paths::html, &g);
    assert!(h.starts_with("<!DOCTYPE html>\n"));
    assert!(h.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"));
    // one script, ours; the hostile name is text
    assert_eq!(h.matches("<script").count(), 1);
    assert_eq!(h.matches("</script>").count(), 1);
    assert!(!h.contains("alert(1)</script>"));
    assert!(h.contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(h.contains("Service/evil/a&quot;];evil[label=&quot;x"));
    assert!(!h.contains('\u{1b}'));
    // nothing to fetch
    for bad in ["src=", "href=", "@import", "url(http", "https://", "<link"] {
        assert!(!h.contains(bad), "{bad}");
    }
    assert_eq!(h.matches("http://").count(), 1, "only the SVG namespace");
    // the drawing and the list
    assert_eq!(h.matches("<g class=\"v ").count(), 12);
    assert_eq!(h.matches("<g class=\"e\"").count(), 12);
    assert_eq!(h.matches(" class=\"path\" data-edges=").count(), 4);
    assert!(h.contains("<li id=\"path-1\" class=\"path\" data-edges=\"8 9 10 11 6 7\">"));
    assert_eq!(h.matches("<tr><td>").count(), 3);
    assert!(h.contains("fix: make Service frontend ClusterIP"));
    assert!(h.contains("if: namespace shop enforces no Pod Security level"));
}

#[test]
fn every_format_is_deterministic() {
    for f in [
        paths::sarif,
        paths::dot,
        paths::mermaid,
        paths::html,
        paths::json,
    ] {
        assert_eq!(render(f, &sample()), render(f, &sample()));
    }
}

#[test]
fn snapshots() {
    let g = sample();
    insta::assert_snapshot!("text", text(&g, Options::default()));
    insta::assert_snapshot!("dot", render(paths::dot, &g));
    insta::assert_snapshot!("mermaid", render(paths::mermaid, &g));
}

// ---- the examples/ cluster ----

#[test]
fn the_shop_example_tells_its_story_in_every_format() {
    let g = shop();
    assert!(!g.paths.is_empty());
    let lines = paths::story(&g, 3);
    assert!(lines[0].starts_with("internet → "), "{lines:#?}");
    assert!(
        lines[0].contains("→ cluster-admin, ") || lines[0].contains("→ node root, "),
        "{lines:#?}"
    );
    assert!(lines[0].contains("cut by: "), "{lines:#?}");
    let t = text(&g, Options::default());
    assert!(t.contains("choke points"));
    let log: Value = serde_json::from_str(&render(paths::sarif, &g)).unwrap();
    validate(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), g.paths.len());
    for r in results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(uri.starts_with("examples/shop/"), "{uri}");
        // one step per hop, each at a place (a hop without evidence at the one before)
        let steps = r["codeFlows"][0]["threadFlows"][0]["locations"]
            .as_array()
            .unwrap();
        assert!(!steps.is_empty());
        assert_eq!(
            steps.len() as u64,
            r["properties"]["hops"].as_u64().unwrap()
        );
        for s in steps {
            assert!(s["location"]["physicalLocation"].is_object(), "{s:#}");
        }
    }
}

// ---- the outputs in the real tools: Chromium for the page, Graphviz for DOT ----

mod tools {
    use super::*;
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    const CHROMIUM: &str = "/usr/bin/chromium";
    const GRAPHVIZ: &str = "/usr/bin/dot";
    /// A safety net against a hung tool, not a speed assertion.
    const DEADLINE: Duration = Duration::from_secs(90);

    /// A fresh folder under the system temporary folder, removed on drop.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let dir =
                std::env::temp_dir().join(format!("kubeward-{tag}-{}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Whether the tool is installed; without it the test is skipped with a note, except
    /// on CI (`CI` set), where `.ci/run` installs it and its absence fails.
    fn have(tool: &str, package: &str) -> bool {
        if std::path::Path::new(tool).exists() {
            return true;
        }
        if std::env::var_os("CI").is_some() {
            panic!("{tool} is missing (Debian package {package}: .ci/run installs it)");
        }
        eprintln!("note: {tool} is missing (Debian package {package}): this check is skipped");
        false
    }

    /// Runs `cmd` with `input` on its standard input and returns its standard output; kills
    /// it and fails past [`DEADLINE`].
    fn run(mut cmd: Command, input: &[u8]) -> String {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the tool starts");
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout.read_to_string(&mut s);
            s
        });
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > DEADLINE {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{cmd:?} did not finish within {DEADLINE:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let _ = writer.join();
        let out = reader.join().unwrap();
        assert!(status.success(), "{cmd:?} failed: {status}");
        out
    }

    /// The DOM of `page` after its scripts ran, or `None` without Chromium.
    fn dump_dom(page: &str, fragment: &str) -> Option<String> {
        if !have(CHROMIUM, "chromium") {
            return None;
        }
        let tmp = TempDir::new("paths-html");
        let file = tmp.0.join("paths.html");
        std::fs::write(&file, page).unwrap();
        let mut cmd = Command::new(CHROMIUM);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!(
            "--user-data-dir={}",
            tmp.0.join("profile").display()
        ))
        .arg("--dump-dom")
        .arg(format!("file://{}{fragment}", file.display()));
        Some(run(cmd, b""))
    }

    #[test]
    fn graphviz_reads_the_dot_and_draws_no_injected_vertex() {
        if !have(GRAPHVIZ, "graphviz") {
            return;
        }
        let g = sample();
        let svg = run(
            {
                let mut cmd = Command::new(GRAPHVIZ);
                cmd.arg("-Tsvg");
                cmd
            },
            render(paths::dot, &g).as_bytes(),
        );
        assert_eq!(svg.matches("<g id=\"node").count(), 12, "{svg}");
        assert_eq!(svg.matches("<g id=\"edge").count(), 12, "{svg}");
        // the hostile name is one label, whole
        assert!(
            svg.contains("Service/evil/a&quot;];evil[label=&quot;x"),
            "{svg}"
        );
        assert!(svg.contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn the_page_draws_the_graph_and_runs_its_script() {
        let g = sample();
        let page = render(paths::html, &g);
        let Some(dom) = dump_dom(&page, "") else {
            return;
        };
        // the script ran to its end and counted what Rust drew
        assert!(dom.contains("data-ready=\"1\""), "{dom}");
        assert!(dom.contains("data-drawn-vertices=\"12\""), "{dom}");
        assert!(dom.contains("data-drawn-edges=\"12\""), "{dom}");
        // and selected the first path: its six edges and seven vertices highlighted
        assert_eq!(dom.matches("class=\"path sel\"").count(), 1, "{dom}");
        assert_eq!(dom.matches("<g class=\"e hl\"").count(), 6, "{dom}");
        assert_eq!(dom.matches("<g class=\"v k-").count(), 12);
        assert_eq!(
            dom.matches(" hl\" id=\"v").count(),
            7,
            "highlighted vertices: {dom}"
        );
        assert!(dom.contains("<svg id=\"graph\" xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(
            dom.contains("class=\"focus\"") || dom.contains("focus\""),
            "{dom}"
        );
        // the path list and the choke points
        assert_eq!(dom.matches(" class=\"path").count(), 4);
        assert!(dom.contains("internet → Service/shop/frontend → … → cluster-admin, 8 hops"));
        assert_eq!(dom.matches("<tr><td>").count(), 3);
        // the hostile name stayed text: one script element, no alert
        assert_eq!(dom.matches("<script").count(), 1, "{dom}");
        assert!(dom.contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn the_address_selects_a_path() {
        let page = render(paths::html, &sample());
        let Some(dom) = dump_dom(&page, "#path-3") else {
            return;
        };
        assert!(dom.contains("data-ready=\"1\""), "{dom}");
        assert!(
            dom.contains("<li id=\"path-3\" class=\"path sel\""),
            "{dom}"
        );
        assert_eq!(dom.matches("class=\"path sel\"").count(), 1);
        // the hostile way to the node: four edges, five vertices
        assert_eq!(dom.matches("<g class=\"e hl\"").count(), 4, "{dom}");
        assert_eq!(dom.matches(" hl\" id=\"v").count(), 5, "{dom}");
    }

    #[test]
    fn the_shop_page_renders() {
        let g = shop();
        let page = render(paths::html, &g);
        let Some(dom) = dump_dom(&page, "") else {
            return;
        };
        assert!(dom.contains("data-ready=\"1\""));
        let drawn = page.matches("<g class=\"v ").count();
        assert!(drawn > 0);
        assert!(dom.contains(&format!("data-drawn-vertices=\"{drawn}\"")));
        assert_eq!(dom.matches(" class=\"path").count(), g.paths.len());
    }
}
