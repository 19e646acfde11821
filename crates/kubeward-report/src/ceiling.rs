//! The text report's "scale ceiling" table: per namespace, what its HorizontalPodAutoscalers
//! may take at `maxReplicas` and whether a ResourceQuota caps it. The figures are computed by
//! `kubeward_rules::resources::ceiling`; this module only lays them out.
//!
//! ```text
//! scale ceiling (HorizontalPodAutoscalers at maxReplicas):
//!   namespace  HPAs  max replicas  requests cpu / memory  limits cpu / memory  quota         capped
//!   shop          2            60  15 / 15Gi              unbounded / 30Gi     none          no
//! ```

use crate::text::clean;
use kubeward_rules::resources::ceiling::{NamespaceCeiling, Resource};

/// The table as text lines (empty when there is no row); `bold` styles the title.
pub fn render(rows: &[NamespaceCeiling], bold: &dyn Fn(&str) -> String) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let show =
        |r: Resource, v: Option<i128>| v.map_or_else(|| "unbounded".to_string(), |v| r.show(v));
    let header = [
        "namespace",
        "HPAs",
        "max replicas",
        "requests cpu / memory",
        "limits cpu / memory",
        "quota",
        "capped",
    ];
    let mut table: Vec<[String; 7]> = vec![header.map(str::to_string)];
    for row in rows {
        let judged = row.unknown_targets < row.hpas;
        let (requests, limits) = if judged {
            (
                format!(
                    "{} / {}",
                    Resource::Cpu.show(row.requests[0]),
                    Resource::Memory.show(row.requests[1])
                ),
                format!(
                    "{} / {}",
                    show(Resource::Cpu, row.limits[0]),
                    show(Resource::Memory, row.limits[1])
                ),
            )
        } else {
            ("?".into(), "?".into())
        };
        let capped = if !judged {
            "unknown"
        } else if row.capped {
            "yes"
        } else {
            "no"
        };
        table.push([
            clean(&row.namespace),
            row.hpas.to_string(),
            row.max_replicas.to_string(),
            requests,
            limits,
            clean(&row.quota),
            capped.to_string(),
        ]);
    }
    let mut widths = [0usize; 7];
    for r in &table {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    out.push_str(&bold(
        "scale ceiling (HorizontalPodAutoscalers at maxReplicas):",
    ));
    out.push('\n');
    for r in &table {
        let mut line = String::from(" ");
        for (i, cell) in r.iter().enumerate() {
            line.push(' ');
            let pad = widths[i] - cell.chars().count();
            // counts are right-aligned
            if i == 1 || i == 2 {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                if i < 6 {
                    line.push_str(&" ".repeat(pad));
                }
            }
            if i < 6 {
                line.push(' ');
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let unknown: usize = rows.iter().map(|r| r.unknown_targets).sum();
    if unknown > 0 {
        out.push_str(&format!(
            "  ({unknown} HPA{} target{} a workload not in the input or of a kind not judged: not counted)\n",
            if unknown == 1 { "" } else { "s" },
            if unknown == 1 { "s" } else { "" }
        ));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ns: &str, capped: bool, unknown: usize) -> NamespaceCeiling {
        NamespaceCeiling {
            namespace: ns.into(),
            hpas: 2,
            max_replicas: 60,
            requests: [15_000, 15 * (1 << 30) * 1000],
            limits: [None, Some(30 * (1 << 30) * 1000)],
            quota: if capped {
                "limits.cpu 20".into()
            } else {
                "none".into()
            },
            capped,
            unknown_targets: unknown,
        }
    }

    #[test]
    fn lays_out_one_row_per_namespace() {
        let text = render(&[row("shop", false, 0), row("edge", true, 1)], &|s| {
            s.to_string()
        });
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "scale ceiling (HorizontalPodAutoscalers at maxReplicas):"
        );
        assert!(
            lines[1].starts_with("  namespace  HPAs  max replicas  requests cpu / memory"),
            "{text}"
        );
        assert!(
            lines[2].starts_with("  shop          2            60  15 / 15Gi"),
            "{text}"
        );
        assert!(
            lines[2].contains("unbounded / 30Gi") && lines[2].ends_with("none           no"),
            "{text}"
        );
        assert!(lines[3].ends_with("limits.cpu 20  yes"), "{text}");
        assert_eq!(
            lines[4],
            "  (1 HPA targets a workload not in the input or of a kind not judged: not counted)"
        );
        assert_eq!(render(&[], &|s| s.to_string()), "");
    }

    #[test]
    fn namespaces_from_the_input_are_escaped() {
        let text = render(&[row("evil\u{1b}[2J", false, 2)], &|s| s.to_string());
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(text.contains("unknown"), "{text}");
        assert!(text.contains(" ? "), "{text}");
    }
}
