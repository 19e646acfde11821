//! What `etcd-client-tls` and `etcd-peer-tls` share: the same three checks on the flags of
//! one side of etcd (`--cert-file`... for clients, `--peer-cert-file`... for peers).

use super::flags::{invocations, Component};
use crate::finding::{Finding, Severity};
use crate::rule::Context;

/// One side of etcd's transport security: its flag prefix and its wording.
pub(super) struct Side {
    /// `""` (clients) or `"peer-"`.
    pub prefix: &'static str,
    /// The severity of a missing certificate or certificate authentication.
    pub severity: Severity,
    pub no_certificate: &'static str,
    pub no_authentication: &'static str,
    pub auto_tls: &'static str,
    pub remediation: &'static str,
}

/// One finding per etcd command line with a problem on this side, at the worst problem's flag.
pub(super) fn check(rule: &'static str, side: &Side, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let flag = |name: &str| format!("{}{name}", side.prefix);
    let (cert, key) = (flag("cert-file"), flag("key-file"));
    let (auth, auto) = (flag("client-cert-auth"), flag("auto-tls"));
    for inv in invocations(cx, Component::Etcd) {
        let mut problems: Vec<(Severity, &str, &str)> = Vec::new();
        if !inv.is_set(&cert) || !inv.is_set(&key) {
            let missing = if inv.is_set(&cert) { &key } else { &cert };
            problems.push((side.severity, missing, side.no_certificate));
        }
        if !inv.bool(&auth, false) {
            problems.push((side.severity, &auth, side.no_authentication));
        }
        if inv.bool(&auto, false) {
            problems.push((Severity::Medium, &auto, side.auto_tls));
        }
        let Some(severity) = problems.iter().map(|p| p.0).max() else {
            continue;
        };
        let at = problems
            .iter()
            .find(|p| p.0 == severity)
            .map_or("", |p| p.1);
        let text: Vec<&str> = problems.iter().map(|p| p.2).collect();
        out.push(Finding::new(
            rule,
            severity,
            cx.snapshot,
            inv.object,
            &inv.path_of(at),
            format!("{} {}", inv.describe(), text.join("; ")),
            side.remediation,
        ));
    }
}
