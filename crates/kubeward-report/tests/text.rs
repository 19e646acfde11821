//! The text report.

mod common;

use common::{render, Fixture};
use kubeward_report::Format;

#[test]
fn plain_text_shows_source_line_caret_fix_and_summary() {
    let fx = Fixture::new();
    let out = render(Format::Text, &fx.result(false), false);
    println!("{out}");
    assert!(
        !out.contains('\u{1b}'),
        "plain output has no escape codes:\n{out}"
    );
    assert!(
        out.contains("Deployment/shop/web  (examples/shop.yaml:1)"),
        "{out}"
    );
    assert!(
        out.contains("Service/shop/web  (examples/shop.yaml:17)"),
        "{out}"
    );
    // The finding, its location, the offending line and a caret under the key.
    assert!(
        out.contains("high     privileged: privileged (container \"web\""),
        "{out}"
    );
    assert!(out.contains("--> examples/shop.yaml:13:13"), "{out}");
    assert!(out.contains("13 |             privileged: true\n"), "{out}");
    assert!(
        out.contains("   |             ^^^^^^^^^^ spec.template.spec.containers[0].securityContext.privileged\n"),
        "{out}"
    );
    assert!(
        out.contains("= fix: set securityContext.privileged to false"),
        "{out}"
    );
    assert!(
        out.contains("= pod security: privileged (baseline check; policy restricted:latest)"),
        "{out}"
    );
    // The escape sequence in the hostile message is shown, not sent.
    assert!(
        out.contains("Service <web> is exposed & \"public\" \\u{1b}[31m"),
        "{out}"
    );
    assert!(out.contains("errors:\n  examples/broken.yaml:"), "{out}");
    assert!(out.contains("note: 1 document skipped"), "{out}");
    assert!(out.ends_with(
        "4 findings (1 critical, 1 high, 1 medium, 1 low) in 2 of 3 objects from 3 files; 1 suppressed; 1 error\n"
    ));
    assert!(
        !out.contains("suppressed:\n"),
        "suppressed findings are listed only on request"
    );
}

#[test]
fn coloured_text_styles_severities() {
    let fx = Fixture::new();
    let out = render(Format::Text, &fx.result(false), true);
    assert!(out.contains("\u{1b}["), "coloured output has styles");
    // Input text is escaped even in colour mode: the only ESC bytes are our own styles.
    assert!(out.contains("\\u{1b}[31m"));
}

#[test]
fn suppressed_are_listed_on_request() {
    let fx = Fixture::new();
    let out = render(Format::Text, &fx.result(true), false);
    assert!(
        out.contains("suppressed:\n  info     rbac-wildcard  ClusterRole/admin  examples/cluster.yaml:5:1  (annotation kubeward.io/ignore: built-in role)"),
        "{out}"
    );
}

#[test]
fn empty_scan_says_so() {
    let snapshot = kubeward_model::load_str(
        "a.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n",
    );
    let result = kubeward_report::ScanResult {
        snapshot: &snapshot,
        findings: &[],
        suppressed: &[],
        show_suppressed: false,
        files: 1,
        tool_version: "0.1.0",
    };
    assert_eq!(
        render(Format::Text, &result, false),
        "no findings in 1 object from 1 file\n"
    );
}
