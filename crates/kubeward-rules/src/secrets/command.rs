use super::detect;
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use crate::workload::common::label;
use kubeward_model::{FieldPath, Node};

declare_rule! {
    /// ## What it does
    /// Reports a credential written in a container's `command` or `args`, or in the
    /// `exec.command` of its probes (`livenessProbe`, `readinessProbe`, `startupProbe`) and
    /// lifecycle hooks (`postStart`, `preStop`), in every container of every pod template:
    /// - `--password=x`, `--client-secret x`, `-token=x`: a flag whose name announces a
    ///   credential (as `secret-in-env-literal` judges names), with a literal value;
    /// - `PGPASSWORD=x psql ...`, `export API_TOKEN=x`: an assignment in a shell command;
    /// - `mysql -pSECRET` (MySQL and MariaDB clients: `-p` glued to the password);
    /// - `curl -u user:password`, an `Authorization:` header with a literal credential;
    /// - anywhere, a well-known token shape or a URL with `user:password@`.
    ///
    /// Shell scripts (`sh -c "..."`) are split into words first. Not reported: `$(VAR)`
    /// references (the kubelet expands them from the environment, which may come from a
    /// Secret), `$VAR`/`${VAR}` and command substitutions, file paths (`--password-file`,
    /// `@/etc/key`), switches (`--authentication-token-webhook=true`), placeholders. Messages
    /// never print the value; reports mask it in the source line.
    ///
    /// ## Why it matters
    /// A command line is in the workload object (readable with `get` on Deployments, in every
    /// `kubectl get -o yaml`, backup and Git repository) and, at run time, in the process
    /// list of the node and of every container that shares the PID namespace
    /// (`/proc/<pid>/cmdline` is world-readable).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: backup
    ///   image: mysql:8.4
    ///   command: ["sh", "-c", "mysqldump -uroot -pS3cret! shop > /backup/shop.sql"]
    /// ```
    ///
    /// ## Fix
    /// Pass the credential through the environment from a Secret (`valueFrom.secretKeyRef`,
    /// then `$(DB_PASSWORD)` in `args`, or the client's own variable such as `MYSQL_PWD`),
    /// or a file mounted from a Secret (`--password-file`). Rotate the exposed value.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.4.1 "Prefer using Secrets as files over Secrets as environment variables"
    /// - Kubernetes documentation: "Define a Command and Arguments for a Container" (`$(VAR)`
    ///   expansion)
    /// - MITRE ATT&CK: T1552.001 Unsecured Credentials: Credentials In Files
    pub struct SecretInCommand {
        name: "secret-in-command",
        domain: Secrets,
        severity: High,
        summary: "Container command, args, probe or hook holds a credential",
    }
}

/// The argv lists of a container: (what, relative paths of the lists' fields, items).
/// One command line: what it is (`command`, `livenessProbe`, `preStop hook`) and its lists.
type CommandLine<'a> = (String, Vec<(FieldPath, &'a [Node])>);

fn command_lines<'a>(c: &'a Node) -> Vec<CommandLine<'a>> {
    let list = |n: Option<&'a Node>| n.map(Node::items).unwrap_or(&[]);
    let mut out = Vec::new();
    let main: Vec<(FieldPath, &'a [Node])> = ["command", "args"]
        .iter()
        .map(|k| (FieldPath::root().key(k), list(c.get(k))))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    if !main.is_empty() {
        out.push(("command".to_string(), main));
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        let items = list(c.at(&[probe, "exec", "command"]));
        if !items.is_empty() {
            let p = FieldPath::root().key(probe).key("exec").key("command");
            out.push((probe.to_string(), vec![(p, items)]));
        }
    }
    for hook in ["postStart", "preStop"] {
        let items = list(c.at(&["lifecycle", hook, "exec", "command"]));
        if !items.is_empty() {
            let p = FieldPath::root()
                .key("lifecycle")
                .key(hook)
                .key("exec")
                .key("command");
            out.push((format!("{hook} hook"), vec![(p, items)]));
        }
    }
    out
}

impl Rule for SecretInCommand {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for t in cx.index.pod_templates() {
            for c in t.containers() {
                for (what, lists) in command_lines(c.node) {
                    // one argv across command and args: (list path, index in it, text)
                    let mut argv: Vec<(&FieldPath, usize, &str)> = Vec::new();
                    for (p, items) in &lists {
                        for (i, n) in items.iter().enumerate() {
                            argv.push((p, i, n.as_str().unwrap_or("")));
                        }
                    }
                    let texts: Vec<&str> = argv.iter().map(|a| a.2).collect();
                    for hit in detect::command_secrets(&texts) {
                        let Some((p, i, _)) = argv.get(hit.item) else {
                            continue;
                        };
                        let field = p.index(*i);
                        let path = t.path(&c.rel_path().join(&field));
                        out.push(Finding::new(
                            Self::META.name,
                            Self::META.severity,
                            cx.snapshot,
                            t.object,
                            &path,
                            format!(
                                "{} has {} {} in its {what} ({})",
                                label(&c),
                                hit.what,
                                detect::mask(&hit.value),
                                field.as_str()
                            ),
                            "Pass the credential from a Secret (env valueFrom.secretKeyRef and $(VAR) in args, or a file mounted from a Secret) and rotate it.",
                        ));
                    }
                }
            }
        }
    }
}
