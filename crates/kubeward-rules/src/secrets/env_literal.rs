use super::detect;
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a container environment variable whose literal `value` looks like a
    /// credential, in every container (init, regular and ephemeral) of every pod template:
    /// - the variable's name announces a credential (`PASSWORD`, `PASSWD`, `SECRET`,
    ///   `TOKEN`, `API_KEY`, `ACCESS_KEY`, `PRIVATE_KEY`, `CREDENTIALS`, `..._AUTH`, also
    ///   glued as in `PGPASSWORD`, and camelCase) and the value is a plausible literal; or
    /// - whatever the name, the value has the shape of a well-known credential: AWS access
    ///   key id (`AKIA...`), GitHub (`ghp_`, `github_pat_`), GitLab (`glpat-`), Slack
    ///   (`xox[abprs]-`, webhook URLs), Stripe live keys, Google API keys (`AIza`),
    ///   OpenAI/Anthropic keys, npm and Docker Hub tokens, a PEM private key, a signed JWT,
    ///   a URL with `user:password@`.
    ///
    /// Not reported: names that describe a credential without holding it (`*_FILE`,
    /// `*_PATH`, `*_URL`, `*_TTL`, `*_ENABLED`, `*_NAME`, `*_ID`, `*_USER`, ...); empty
    /// values; `$(VAR)`, `${VAR}`, `{{ }}` and `<...>` placeholders; file paths; URLs without
    /// a password; booleans and short numbers; repeated characters (`xxxx`); instructions
    /// (`REPLACE_ME`, `your-token`); references to external secret stores (`vault:`,
    /// `arn:aws:secretsmanager:`). Weak defaults (`changeme`, `admin`) are reported: the
    /// workload runs with them. Messages never print the value: only its first two
    /// characters (for values of 8 characters or more) and its length.
    ///
    /// ## Why it matters
    /// A literal in a pod template is stored in plain text in the workload object (readable
    /// by anyone with `get` on Deployments, in every `kubectl get -o yaml`, backup and
    /// GitOps repository), copied to every ReplicaSet, and visible in the process
    /// environment of the container. Unlike Secrets it cannot be protected by RBAC on
    /// Secrets, encryption at rest, or rotation without a redeploy.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: api
    ///   image: example/api:1.0
    ///   env:
    ///   - name: DB_PASSWORD
    ///     value: hunter2
    /// ```
    ///
    /// ## Fix
    /// Store the value in a Secret (or an external secret manager) and mount it as a file,
    /// or reference it with `valueFrom.secretKeyRef`. Rotate the exposed credential.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.4.1 "Prefer using Secrets as files over Secrets as environment variables"
    /// - NSA/CISA Kubernetes Hardening Guide: "Secrets"
    /// - MITRE ATT&CK for Containers: T1552.001 Unsecured Credentials: Credentials In Files;
    ///   T1552.007 Container API
    /// - kube-linter `env-var-secret`
    pub struct SecretInEnvLiteral {
        name: "secret-in-env-literal",
        domain: Secrets,
        severity: High,
        summary: "Container environment variable holds a literal credential",
    }
}

impl Rule for SecretInEnvLiteral {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for t in cx.index.pod_templates() {
            for c in t.containers() {
                for (j, env) in c.env().iter().enumerate() {
                    let (Some(name), Some(value)) = (env.str_at("name"), env.str_at("value"))
                    else {
                        continue;
                    };
                    let what = if let Some((kind, m)) = detect::known_secret(value) {
                        format!("{kind} {}", detect::mask(m))
                    } else if detect::credential_name(name)
                        && detect::plausible_literal(value)
                        && !detect::names_itself(name, value)
                    {
                        format!("a literal credential {}", detect::mask(value.trim()))
                    } else {
                        continue;
                    };
                    let path = t.path(&c.rel_path().key("env").index(j).key("value"));
                    out.push(Finding::new(
                        Self::META.name,
                        Self::META.severity,
                        cx.snapshot,
                        t.object,
                        &path,
                        format!("container \"{}\" sets env {name} to {what}", c.name),
                        format!("Move {name} into a Secret and mount it as a file (or use valueFrom.secretKeyRef); rotate the exposed value."),
                    ));
                }
            }
        }
    }
}
