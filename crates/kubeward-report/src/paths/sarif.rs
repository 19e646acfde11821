//! SARIF 2.1.0 of the attack paths, through the one SARIF writer ([`crate::sarif::Log`]).
//!
//! One result per path, in display order, with rule id `attack-path/<sink kind>`
//! (`attack-path/cluster-admin`, `attack-path/node`); its location is the path's first
//! fixable field (the evidence of the edge that the best choke point cuts on the path, else
//! the first evidence), its message the path's story, `relatedLocations` every field the path
//! relies on, and one `codeFlow` with one step per hop (GitHub code scanning shows it as the
//! path). `partialFingerprints["kubewardAttackPath/v1"]` identifies the path by its start,
//! entry point and sink, so it survives line shifts.

use super::{
    clean, cut_by, fingerprint, first_fixable, hops, ranked, sink_kind, story_line, Lookup,
};
use crate::sarif::{
    level, security_severity, CodeFlow, Configuration, Log, LogicalLocation, Message,
    ReportingDescriptor, SarifLocation, SarifResult, ThreadFlow, ThreadFlowLocation,
};
use kubeward_paths::{Evidence, Graph};
use kubeward_rules::Severity;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io;

/// The key of a path's identity in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "kubewardAttackPath/v1";

/// Writes the SARIF log of the paths.
pub fn sarif(graph: &Graph, out: &mut dyn io::Write) -> io::Result<()> {
    log(graph).write(out)
}

/// The severity of a path by its sink: the node and cluster-admin are critical.
fn severity(kind: &str) -> Severity {
    match kind {
        "cluster-admin" | "node" => Severity::Critical,
        _ => Severity::High,
    }
}

fn rule(kind: &str) -> ReportingDescriptor {
    let sev = severity(kind);
    let (short, what) = match kind {
        "cluster-admin" => (
            "An attack path leads from the internet to cluster-admin".to_string(),
            "full control of the cluster's API",
        ),
        "node" => (
            "An attack path leads from the internet to root on a node".to_string(),
            "root on a node (and every token mounted there)",
        ),
        other => (
            format!("An attack path leads from the internet to {other}"),
            "a sensitive target",
        ),
    };
    let doc = format!(
        "## What it does\nkubeward builds the attack graph of the input (exposed endpoints, \
         workloads, stolen tokens, RBAC rights, container escapes) and reports the shortest \
         path from the internet to {what}.\n\n## Why it matters\nEach step alone may look \
         minor; together they are the breach. The related locations are every field the path \
         relies on, and the code flow shows it hop by hop.\n\n## Fix\nFix the field the result \
         points at (the best choke point on the path): removing that one step cuts the path. \
         `kubeward paths` lists the choke points ranked by the paths they cut.\n"
    );
    let mut properties = Map::new();
    properties.insert("tags".into(), json!(["security", "attack-path"]));
    properties.insert("security-severity".into(), json!(security_severity(sev)));
    properties.insert("severity".into(), json!(sev.as_str()));
    ReportingDescriptor {
        id: format!("attack-path/{kind}"),
        name: format!("attack-path-{kind}"),
        short_description: Message::text(short.clone()),
        full_description: Some(Message::text(short)),
        help: Some(Message {
            text: doc.clone(),
            markdown: Some(doc),
        }),
        help_uri: None,
        default_configuration: Some(Configuration { level: level(sev) }),
        properties,
    }
}

/// A location at an evidence, with the object as logical location (the file name goes to
/// the URI as it is: [`crate::sarif::uri`] percent-encodes what a URI cannot hold).
fn at(ev: &Evidence) -> SarifLocation {
    let mut loc = SarifLocation::file(&ev.file, ev.line, ev.col);
    loc.logical_locations.push(LogicalLocation {
        name: clean(&ev.object),
        fully_qualified_name: clean(&ev.object),
        kind: "resource",
        properties: Map::new(),
    });
    loc
}

fn log(graph: &Graph) -> Log {
    let look = Lookup::new(graph);
    let mut kinds: BTreeSet<&'static str> = BTreeSet::new();
    let mut results = Vec::new();
    for (rank, i) in ranked(&look).into_iter().enumerate() {
        let p = &graph.paths[i];
        let kind = sink_kind(&look, p);
        kinds.insert(kind);
        let on_path = hops(graph, p);
        let mut related = Vec::new();
        let mut seen = BTreeSet::new();
        let mut steps = Vec::new();
        let first = on_path.iter().find_map(|(_, e)| e.evidence.first());
        let mut last = None;
        for (h, (_, e)) in on_path.iter().enumerate() {
            let step = format!(
                "{}. {}: {} → {}",
                h + 1,
                clean(e.attack),
                look.label(&e.from),
                look.label(&e.to)
            );
            for ev in &e.evidence {
                if !seen.insert((&ev.file, ev.line, ev.col, &ev.object, &ev.path)) {
                    continue;
                }
                let mut loc = at(ev);
                loc.id = Some(related.len() + 1);
                loc.message = Some(Message::text(format!("{step} ({})", clean(&ev.path))));
                related.push(loc);
            }
            // a hop without evidence of its own (a rule of the node, say) is shown at the
            // field of the hop before it, else at the path's first field: viewers need a place
            if let Some(ev) = e.evidence.first() {
                last = Some(ev);
            }
            let mut loc = match last.or(first) {
                Some(ev) => at(ev),
                None => SarifLocation {
                    physical_location: None,
                    logical_locations: Vec::new(),
                    id: None,
                    message: None,
                },
            };
            loc.message = Some(Message::text(step));
            steps.push(ThreadFlowLocation {
                location: loc,
                execution_order: h + 1,
            });
        }
        let story = story_line(graph, &look, p);
        let mut properties = Map::new();
        properties.insert("rank".into(), json!(rank + 1));
        properties.insert("from".into(), json!(clean(&p.from)));
        if let Some(entry) = &p.entry {
            properties.insert("entry".into(), json!(clean(entry)));
        }
        properties.insert("to".into(), json!(clean(&p.to)));
        properties.insert("hops".into(), json!(p.edges.len()));
        properties.insert("weight".into(), json!(p.weight));
        properties.insert(
            "attacks".into(),
            Value::from(
                on_path
                    .iter()
                    .map(|(_, e)| clean(e.attack))
                    .collect::<Vec<_>>(),
            ),
        );
        if let Some((_, c, _)) = cut_by(&look, p) {
            properties.insert("fix".into(), json!(clean(&c.fix)));
        }
        let id = fingerprint(&[&p.from, p.entry.as_deref().unwrap_or(""), &p.to]);
        results.push(SarifResult {
            rule_id: format!("attack-path/{kind}"),
            rule_index: 0,
            level: level(severity(kind)),
            message: Message::text(story.clone()),
            locations: first_fixable(&look, p).map(at).into_iter().collect(),
            partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, id)]),
            properties,
            suppressions: Vec::new(),
            related_locations: related,
            code_flows: vec![CodeFlow {
                message: Some(Message::text(story)),
                thread_flows: vec![ThreadFlow { locations: steps }],
            }],
        });
    }
    // the two sinks are always described; other kinds when a path reaches one
    kinds.insert("cluster-admin");
    kinds.insert("node");
    let rules = kinds.into_iter().map(rule).collect();
    Log::new(env!("CARGO_PKG_VERSION"), rules, results, Vec::new())
}
