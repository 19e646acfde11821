//! Credential detectors shared by the secrets rules: names that announce a credential,
//! values shaped like well-known tokens, `key: value` lines of embedded configuration files,
//! and masking for messages.
//!
//! No regular-expression engine: each detector is a small scanner, which keeps them fast on
//! megabyte-sized ConfigMaps and their behaviour easy to read.

/// Name words that announce a credential on their own.
const CREDENTIAL_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PWD",
    "PASS",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
    "PRIVATEKEY",
    "ACCESSKEY",
    "SECRETKEY",
    "AUTHTOKEN",
    "CLIENTSECRET",
];

/// Word endings that announce a credential glued to a prefix (`PGPASSWORD`, `DBPASS`).
const CREDENTIAL_SUFFIXES: &[&str] = &["PASSWORD", "PASSWD", "TOKEN", "SECRET", "APIKEY"];

/// Word pairs that announce a credential (`API_KEY`, `accessKey`, ...).
const CREDENTIAL_PAIRS: &[(&str, &str)] = &[
    ("API", "KEY"),
    ("ACCESS", "KEY"),
    ("PRIVATE", "KEY"),
    ("SECRET", "KEY"),
    ("SIGNING", "KEY"),
    ("ENCRYPTION", "KEY"),
    ("MASTER", "KEY"),
    ("LICENSE", "KEY"),
];

/// Last words that turn a credential-sounding name into something else: a file holding the
/// credential, a URL, a duration, a switch, a name or id that is not secret.
const NOT_CREDENTIAL_LAST: &[&str] = &[
    "FILE",
    "FILES",
    "PATH",
    "DIR",
    "DIRECTORY",
    "URL",
    "URI",
    "ENDPOINT",
    "HOST",
    "HOSTNAME",
    "PORT",
    "TTL",
    "EXPIRY",
    "EXPIRATION",
    "EXPIRES",
    "EXPIRE",
    "TIMEOUT",
    "LENGTH",
    "LEN",
    "SIZE",
    "MIN",
    "MAX",
    "COUNT",
    "ENABLED",
    "ENABLE",
    "DISABLED",
    "DISABLE",
    "REQUIRED",
    "TYPE",
    "MODE",
    "METHOD",
    "NAME",
    "NAMES",
    "REF",
    "ID",
    "USER",
    "USERNAME",
    "LOGIN",
    "HEADER",
    "FIELD",
    "PROVIDER",
    "ALGORITHM",
    "ALG",
    "ISSUER",
    "AUDIENCE",
    "SCOPE",
    "SCOPES",
    "PREFIX",
    "VERSION",
    "FORMAT",
    "POLICY",
    "STRATEGY",
    "ROTATION",
    "PERIOD",
    "INTERVAL",
    "DURATION",
    "SECONDS",
    "ENV",
    "VAR",
    "MOUNT",
    "LOCATION",
    "ALIAS",
    "SOURCE",
    "TEMPLATE",
    "REGEX",
    "PATTERN",
    "HASH",
    "HASHED",
    "RESET",
    "LIMIT",
    "RETRIES",
    "CACHE",
    "ENCODING",
    "VALIDITY",
    "LIFETIME",
    "AGE",
    "KIND",
    "STORE",
    "PROVIDERS",
    "SECRETNAME",
    "KEYS",
    "NAMESPACE",
    "REGION",
    "SELECTOR",
    "LABEL",
    "ANNOTATION",
    "CLASS",
    "REQUEST",
    "RESPONSE",
];

/// First words that turn a name into a reference to a Kubernetes Secret.
const NOT_CREDENTIAL_FIRST: &[&str] = &["EXISTING", "USE", "SKIP", "ALLOW", "REQUIRE", "NO"];

/// Splits a name into upper-case words at `_ - . /` and camelCase boundaries.
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_uppercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether a variable or key name announces a credential (`DB_PASSWORD`, `apiKey`,
/// `client-secret`), and not a file, URL, duration or switch about one (`PASSWORD_FILE`,
/// `TOKEN_TTL`, `AUTH_ENABLED`).
pub fn credential_name(name: &str) -> bool {
    if !may_name_credential(name) {
        return false;
    }
    let w = words(name);
    let (Some(first), Some(last)) = (w.first(), w.last()) else {
        return false;
    };
    if NOT_CREDENTIAL_LAST.contains(&last.as_str())
        || NOT_CREDENTIAL_FIRST.contains(&first.as_str())
    {
        return false;
    }
    // `credentialsSecret`, `passwordSecret`: the name of a Kubernetes Secret that holds it.
    if last == "SECRET"
        && w[..w.len() - 1]
            .iter()
            .any(|x| CREDENTIAL_WORDS.contains(&x.as_str()) || x == "CREDENTIALS")
    {
        return false;
    }
    w.iter().any(|x| CREDENTIAL_WORDS.contains(&x.as_str()) || CREDENTIAL_SUFFIXES.iter().any(|s| x.ends_with(s)))
        // `REDIS_AUTH`, but not a lone `auth:` (often `auth: ldap`).
        || (w.len() > 1 && last == "AUTH")
        || w.windows(2).any(|p| CREDENTIAL_PAIRS.iter().any(|(a, b)| p[0] == *a && p[1] == *b))
}

/// A necessary condition for [`credential_name`], without allocating: every way a name can
/// qualify needs one of these words as a case-insensitive substring.
fn may_name_credential(name: &str) -> bool {
    static AC: std::sync::LazyLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::LazyLock::new(|| {
            let mut pats: Vec<&str> = CREDENTIAL_WORDS.to_vec();
            pats.extend(CREDENTIAL_SUFFIXES);
            pats.extend(CREDENTIAL_PAIRS.iter().map(|(a, _)| *a));
            pats.push("AUTH");
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(pats)
                .ok()
        });
    match AC.as_ref() {
        Some(ac) => ac.is_match(name),
        None => true,
    }
}

/// Whether a value under a credential name looks like an actual credential rather than a
/// reference or a placeholder: not empty, not a `$(VAR)`/`${VAR}`/`{{ }}`/`<...>`
/// placeholder, not a file path or URL without user info, not a boolean or short number,
/// not a single repeated character (`xxxx`, `****`), not a `REPLACE_ME`/`your-...`
/// instruction, not a reference to an external secret store.
///
/// Obvious placeholders are not credentials: `changeme` and its spellings, `example`,
/// `dummy`, runs of `x` (`xxx`, `xxxx-xxxx`). Weak real values such as `admin` or
/// `hunter2` are reported.
pub fn plausible_literal(value: &str) -> bool {
    let v = value.trim();
    // `COOKIE_SECRET: SECRET`, `password: password`, `API_KEY: api-key`: a placeholder
    // naming what belongs there.
    let vw = words(v);
    const FILLERS: &[&str] = &[
        "KEY", "API", "ACCESS", "PRIVATE", "MY", "YOUR", "THE", "HERE",
    ];
    if !vw.is_empty()
        && vw
            .iter()
            .all(|x| CREDENTIAL_WORDS.contains(&x.as_str()) || FILLERS.contains(&x.as_str()))
    {
        return false;
    }
    if v.chars().count() < 3 {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if v.contains("$(")
        || v.contains("${")
        || v.contains("{{")
        || v.starts_with('$')
        || v.starts_with('%')
    {
        return false;
    }
    if v.starts_with('<') && v.ends_with('>') {
        return false;
    }
    if v.starts_with('/') || v.starts_with("./") || v.starts_with("~/") || v.starts_with("file:") {
        return false;
    }
    if let Some((scheme, _)) = v.split_once("://") {
        if !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
        {
            return url_password(v).is_some();
        }
    }
    if matches!(
        lower.as_str(),
        "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "null"
            | "none"
            | "nil"
            | "undefined"
            | "redacted"
            | "[redacted]"
            | "optional"
            | "required"
            | "enabled"
            | "disabled"
    ) {
        return false;
    }
    if v.chars().all(|c| c.is_ascii_digit()) && v.len() < 6 {
        return false;
    }
    let mut chars = v.chars();
    let first = chars.next().unwrap_or(' ');
    if chars.all(|c| c == first) {
        return false;
    }
    if lower.starts_with("your") {
        return false;
    }
    const PLACEHOLDERS: &[&str] = &[
        "changeme",
        "change-me",
        "change_me",
        "changeit",
        "change-it",
        "example",
        "dummy",
        "sample",
        "notasecret",
        "not-a-secret",
    ];
    if PLACEHOLDERS.contains(&lower.as_str()) {
        return false;
    }
    // `xxx`, `XXXX-XXXX`, `xxx_xxx`: a mask or a template, never a value
    if v.chars()
        .all(|c| matches!(c, 'x' | 'X' | '*' | '-' | '_' | '.' | ' '))
        && v.chars().any(|c| c == 'x' || c == 'X')
    {
        return false;
    }
    const INSTRUCTIONS: &[&str] = &[
        "replace",
        "your-",
        "your_",
        "insert",
        "fill-in",
        "fill_in",
        "todo",
        "placeholder",
    ];
    if INSTRUCTIONS.iter().any(|p| lower.contains(p)) {
        return false;
    }
    const REFERENCES: &[&str] = &[
        "arn:aws:secretsmanager:",
        "arn:aws:ssm:",
        "vault:",
        "ref+",
        "sm://",
        "gcp:secretmanager:",
        "azurekeyvault:",
    ];
    if REFERENCES.iter().any(|p| lower.starts_with(p)) {
        return false;
    }
    true
}

/// Whether a value merely repeats its variable's name (`HF_TOKEN: HF_TOKEN`), a placeholder.
pub fn names_itself(name: &str, value: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect::<String>()
    };
    let (n, v) = (norm(name), norm(value));
    !v.is_empty() && (n == v || n.ends_with(&v) && v.len() >= 4)
}

/// The password of a `scheme://user:password@host` URL, when it has a real one.
pub fn url_password(text: &str) -> Option<&str> {
    let (_, rest) = text.split_once("://")?;
    let authority = rest.split(['/', '?', '#', ' ', '"', '\'']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    let lower = password.to_ascii_lowercase();
    let placeholder = password.is_empty()
        || password.contains("$(")
        || password.contains("${")
        || password.contains('{')
        || password.starts_with('$')
        || password.starts_with('<')
        || password.chars().all(|c| c == '*' || c == 'x' || c == 'X')
        || lower == "password"
        || lower == "pass";
    (!placeholder).then_some(password)
}

fn is_token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Finds `prefix` followed by at least `min` characters accepted by `class`, not preceded by
/// a token character. Returns the whole match.
fn prefixed<'t>(text: &'t str, prefix: &str, class: fn(u8) -> bool, min: usize) -> Option<&'t str> {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(off) = text[from..].find(prefix) {
        let start = from + off;
        let body = start + prefix.len();
        let mut end = body;
        while end < b.len() && class(b[end]) {
            end += 1;
        }
        let boundary = start == 0 || !b[start - 1].is_ascii_alphanumeric();
        if boundary && end - body >= min {
            return Some(&text[start..end]);
        }
        from = body;
    }
    None
}

fn upper_or_digit(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

fn alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

fn alnum_underscore(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn jwt_part(c: u8) -> bool {
    is_token_char(c)
}

/// Every literal that starts a credential format [`known_secret`] recognises. One
/// Aho-Corasick pass over a text tells whether any detector can match at all, so large
/// ConfigMaps (dashboards, scripts) cost one scan instead of one scan per format.
const TRIGGERS: &[&str] = &[
    "AKIA",
    "ASIA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xox",
    "hooks.slack.com",
    "sk_live_",
    "rk_live_",
    "AIza",
    "sk-proj-",
    "sk-ant-",
    "npm_",
    "dckr_pat_",
    "-----BEGIN ",
    "eyJ",
    "://",
    "assword=",
    "ASSWORD=",
    "wd=",
    "WD=",
];

fn may_hold_known_secret(text: &str) -> bool {
    static AC: std::sync::LazyLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(TRIGGERS)
                .ok()
        });
    match AC.as_ref() {
        Some(ac) => ac.is_match(text),
        None => true,
    }
}

/// Whether `text` may hold anything [`known_secret`], [`config_assignment`] or a
/// `key=value` credential assignment can find: one case-insensitive scan, for callers that
/// mask many short texts (report messages) and skip the detectors when it says no.
pub fn may_hold_credential(text: &str) -> bool {
    static AC: std::sync::LazyLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::LazyLock::new(|| {
            let mut pats: Vec<&str> = TRIGGERS.to_vec();
            pats.extend(CREDENTIAL_WORDS);
            pats.extend(CREDENTIAL_SUFFIXES);
            pats.extend(CREDENTIAL_PAIRS.iter().map(|(a, _)| *a));
            pats.extend(["AUTH", "="]);
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(pats)
                .ok()
        });
    match AC.as_ref() {
        Some(ac) => ac.is_match(text),
        None => true,
    }
}

/// A well-known credential format found in `text`: (what it is, the matched text).
pub fn known_secret(text: &str) -> Option<(&'static str, &str)> {
    if !may_hold_known_secret(text) {
        return None;
    }
    for prefix in ["AKIA", "ASIA"] {
        if let Some(m) = prefixed(text, prefix, upper_or_digit, 16) {
            // Exactly 20 characters; the documentation's example key is not a credential.
            if m.len() == 20 && !m.ends_with("EXAMPLE") {
                return Some(("an AWS access key id", m));
            }
        }
    }
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        if let Some(m) = prefixed(text, prefix, alnum, 36) {
            return Some(("a GitHub token", m));
        }
    }
    if let Some(m) = prefixed(text, "github_pat_", alnum_underscore, 22) {
        return Some(("a GitHub fine-grained token", m));
    }
    if let Some(m) = prefixed(text, "glpat-", jwt_part, 20) {
        return Some(("a GitLab token", m));
    }
    for prefix in ["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"] {
        if let Some(m) = prefixed(text, prefix, jwt_part, 10) {
            return Some(("a Slack token", m));
        }
    }
    if let Some(m) = prefixed(
        text,
        "https://hooks.slack.com/services/T",
        |c| alnum(c) || c == b'/',
        20,
    ) {
        return Some(("a Slack webhook URL", m));
    }
    for prefix in ["sk_live_", "rk_live_"] {
        if let Some(m) = prefixed(text, prefix, alnum, 16) {
            return Some(("a Stripe live key", m));
        }
    }
    if let Some(m) = prefixed(text, "AIza", jwt_part, 35) {
        return Some(("a Google API key", m));
    }
    for prefix in ["sk-proj-", "sk-ant-"] {
        if let Some(m) = prefixed(text, prefix, jwt_part, 20) {
            return Some(("an OpenAI/Anthropic API key", m));
        }
    }
    if let Some(m) = prefixed(text, "npm_", alnum, 36) {
        return Some(("an npm token", m));
    }
    if let Some(m) = prefixed(text, "dckr_pat_", jwt_part, 20) {
        return Some(("a Docker Hub token", m));
    }
    if let Some(m) = private_key(text) {
        return Some(("a PEM private key", m));
    }
    if let Some(m) = jwt(text) {
        return Some(("a JSON Web Token", m));
    }
    if let Some(pw) = url_password(text) {
        return Some(("a password in a URL (user:password@)", pw));
    }
    if let Some(pw) = connection_string_password(text) {
        return Some(("a password in a connection string (Password=...;)", pw));
    }
    None
}

/// The password of an ADO.NET / ODBC / JDBC-style connection string
/// (`Server=db;User Id=sa;Password=S3cret;`, `...;PWD=S3cret`), when it is a real one.
pub fn connection_string_password(text: &str) -> Option<&str> {
    // key=value parts separated by `;` (a `;` inside quotes is not handled: over-detection
    // is masked, not printed)
    let mut offset = 0;
    for part in text.split(';') {
        let start = offset;
        offset += part.len() + 1;
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if !(key.eq_ignore_ascii_case("password") || key.eq_ignore_ascii_case("pwd")) {
            continue;
        }
        // a connection string has other parts too: not a lone `password=x` assignment
        if !text.contains(';') {
            return None;
        }
        let value = value.trim().trim_matches(['\'', '"']);
        if value.is_empty() || !plausible_literal(value) {
            continue;
        }
        let at = start + part.find(value).unwrap_or(0);
        return Some(&text[at..at + value.len()]);
    }
    None
}

/// `-----BEGIN ... PRIVATE KEY-----` (RSA, EC, OPENSSH, DSA, ENCRYPTED or plain) followed
/// by key material. Certificates and public keys are not secrets.
fn private_key(text: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(off) = text[from..].find("-----BEGIN ") {
        let start = from + off;
        let rest = &text[start + 11..];
        let line_end = rest.find("-----").unwrap_or(0);
        let label = &rest[..line_end];
        if label.ends_with("PRIVATE KEY") && label.len() < 40 {
            let after = &rest[line_end + 5..];
            let body: usize = after.lines().take(3).map(|l| l.trim().len()).sum();
            if body >= 40 {
                let end = start + 11 + line_end + 5;
                return Some(&text[start..end]);
            }
        }
        from = start + 11;
    }
    None
}

/// `eyJ<header>.eyJ<payload>.<signature>` (a signed JWT).
fn jwt(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(off) = text[from..].find("eyJ") {
        let start = from + off;
        let mut i = start;
        let mut parts = [0usize; 3];
        let mut n = 0;
        while n < 3 {
            let s = i;
            while i < b.len() && jwt_part(b[i]) {
                i += 1;
            }
            parts[n] = i - s;
            n += 1;
            if n < 3 && i < b.len() && b[i] == b'.' {
                i += 1;
            } else {
                break;
            }
        }
        let boundary = start == 0 || !b[start - 1].is_ascii_alphanumeric();
        if boundary
            && n == 3
            && parts.iter().all(|&p| p >= 10)
            && text[start..]
                .split('.')
                .nth(1)
                .is_some_and(|p| p.starts_with("eyJ"))
        {
            return Some(&text[start..i]);
        }
        from = start + 3;
    }
    None
}

/// A credential assignment in one line of an embedded configuration file
/// (`password: x`, `password = "x"`, `"apiKey": "x",`, `export TOKEN=x`): (key, value).
/// Comment lines are skipped.
pub fn config_assignment(line: &str) -> Option<(&str, &str)> {
    let t = line.trim_start();
    let t = t.strip_prefix("- ").unwrap_or(t);
    let t = t.strip_prefix("export ").unwrap_or(t);
    if t.starts_with('#')
        || t.starts_with("//")
        || t.starts_with(';')
        || t.starts_with("<!--")
        || t.starts_with('*')
    {
        return None;
    }
    let sep = t.find([':', '='])?;
    let key = t[..sep].trim().trim_matches(['"', '\'']);
    if key.is_empty() || key.contains(' ') || !credential_name(key) {
        return None;
    }
    let mut value = t[sep + 1..].trim();
    let quoted = value.starts_with('"') || value.starts_with('\'');
    if quoted {
        let q = &value[..1];
        value = value[1..].split(q).next().unwrap_or("");
    } else {
        value = value
            .split(" #")
            .next()
            .unwrap_or(value)
            .trim_end_matches([',', ';'])
            .trim();
    }
    if value.is_empty()
        || value.starts_with(['{', '[', '|', '>', '&', '*'])
        || !plausible_literal(value)
    {
        return None;
    }
    // Code rather than configuration: `token=os.environ["X"]`, `password = getpass()`.
    if value.contains(['(', '[']) || value.contains("os.environ") || value.contains("process.env") {
        return None;
    }
    // nsswitch.conf: `passwd: files systemd` names lookup sources.
    const NSS: &[&str] = &[
        "files", "compat", "db", "sss", "ldap", "nis", "systemd", "dns", "winbind",
    ];
    if key.eq_ignore_ascii_case("passwd")
        && value
            .split_whitespace()
            .next()
            .is_some_and(|w| NSS.contains(&w))
    {
        return None;
    }
    // Unquoted values with inner spaces are prose or lists, not passwords.
    if !quoted && value.contains(char::is_whitespace) {
        return None;
    }
    Some((key, value))
}

/// What a credential found in a multi-line text is: (line number from 1, description,
/// masked value).
pub struct TextHit {
    pub line: usize,
    pub what: String,
    pub masked: String,
}

/// Every credential in a text (a ConfigMap value): known token formats anywhere, and
/// credential assignments line by line. At most one hit per line.
pub fn scan_text(text: &str) -> Vec<TextHit> {
    let mut out = Vec::new();
    // Private keys span lines: look at the whole text first.
    let pem = private_key(text);
    if let Some(m) = pem {
        let line = text[..text.find(m).unwrap_or(0)].matches('\n').count() + 1;
        out.push(TextHit {
            line,
            what: "a PEM private key".into(),
            masked: format!("({} ...)", m),
        });
    }
    let any_known = may_hold_known_secret(text);
    for (i, line) in text.lines().enumerate() {
        if line.len() > 100_000 {
            continue;
        }
        if let Some((what, m)) = any_known.then(|| known_secret(line)).flatten() {
            if what == "a PEM private key" {
                continue;
            }
            out.push(TextHit {
                line: i + 1,
                what: what.into(),
                masked: mask(m),
            });
        } else if let Some((key, value)) = config_assignment(line) {
            out.push(TextHit {
                line: i + 1,
                what: format!("a literal value for \"{key}\""),
                masked: mask(value),
            });
        }
    }
    out
}

/// `"hu…" (7 characters)`: the first two characters (only for values of 8 characters or
/// more) and the length; never the secret itself.
pub fn mask(value: &str) -> String {
    let n = value.chars().count();
    if n >= 8 {
        let head: String = value.chars().take(2).collect();
        format!("\"{head}…\" ({n} characters)")
    } else {
        format!("({n} characters)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for n in [
            "DB_PASSWORD",
            "apiKey",
            "client-secret",
            "AWS_SECRET_ACCESS_KEY",
            "GITHUB_TOKEN",
            "redis.auth",
            "PGPASSWORD",
            "spring.datasource.password",
        ] {
            assert!(credential_name(n), "{n}");
        }
        for n in [
            "PASSWORD_FILE",
            "TOKEN_TTL",
            "AUTH_ENABLED",
            "SECRET_NAME",
            "AWS_ACCESS_KEY_ID",
            "existingSecret",
            "OAUTH_URL",
            "key",
            "auth",
            "AUTH_TYPE",
            "credentialsSecret",
            "api-token-secret-namespace",
            "BYPASS_CACHE",
            "passthrough",
        ] {
            assert!(!credential_name(n), "{n}");
        }
    }

    #[test]
    fn values() {
        for v in ["hunter2", "admin123", "s3cr3t-Pa55", "123456"] {
            assert!(plausible_literal(v), "{v}");
        }
        for v in [
            "changeme",
            "CHANGE_ME",
            "changeit",
            "xxx",
            "XXXX-XXXX",
            "example",
        ] {
            assert!(!plausible_literal(v), "{v}");
        }
        for v in [
            "",
            "$(DB_PASSWORD)",
            "${PASSWORD}",
            "{{ .Values.pw }}",
            "<password>",
            "/etc/secret/pw",
            "true",
            "xxxx",
            "REPLACE_ME",
            "SECRET",
            "password",
            "http://auth:8080/token",
            "30",
            "vault:secret/data/db#pw",
        ] {
            assert!(!plausible_literal(v), "{v}");
        }
        assert!(plausible_literal("postgres://app:s3cret@db:5432/app"));
        assert!(plausible_literal("mysecretpassword"));
        assert!(names_itself("HF_TOKEN", "HF_TOKEN"));
        assert!(names_itself("GITHUB_TOKEN", "token"));
        assert!(!names_itself("DB_PASSWORD", "hunter2"));
    }

    #[test]
    fn known_formats() {
        assert_eq!(
            known_secret("key AKIAABCDEFGHIJKLMNOP here").map(|x| x.0),
            Some("an AWS access key id")
        );
        assert_eq!(known_secret("AKIAIOSFODNN7EXAMPLE"), None);
        assert!(known_secret(&format!("ghp_{}", "a1".repeat(18))).is_some());
        assert!(known_secret("xoxb-123456789012-abcdefghij").is_some());
        assert!(known_secret("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U").is_some());
        assert!(known_secret("redis://:p4ssw0rd@redis:6379").is_some());
        assert!(known_secret("postgres://user:${PW}@db/x").is_none());
        assert_eq!(
            known_secret("Server=db;Database=shop;User Id=sa;Password=S3cr3t!x;"),
            Some((
                "a password in a connection string (Password=...;)",
                "S3cr3t!x"
            ))
        );
        assert_eq!(
            known_secret("Driver={ODBC};Server=db;UID=app;PWD=hunter22"),
            Some((
                "a password in a connection string (Password=...;)",
                "hunter22"
            ))
        );
        assert!(known_secret("Server=db;User Id=sa;Password=${DB_PASSWORD};").is_none());
        assert!(known_secret("Server=db;User Id=sa;Password=<password>;").is_none());
        assert!(known_secret("Server=db;Password=changeme").is_none());
        assert!(known_secret(
            "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUEXAMPLEEXAMPLEEXAMPLEEXAMPLE\n"
        )
        .is_none());
        assert!(known_secret(
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAxEXAMPLEEXAMPLEEXAMPLEEXAMPLE\n"
        )
        .is_some());
        assert!(known_secret("AIzaSyA-1234567890abcdefghijklmnopqrstu").is_some());
        assert!(known_secret("just some text with sk_test_abc").is_none());
    }

    #[test]
    fn config_lines() {
        assert_eq!(
            config_assignment("  password: hunter22"),
            Some(("password", "hunter22"))
        );
        assert_eq!(
            config_assignment("\"apiKey\": \"abcdef123\","),
            Some(("apiKey", "abcdef123"))
        );
        assert_eq!(
            config_assignment("export DB_PASSWORD=s3cret"),
            Some(("DB_PASSWORD", "s3cret"))
        );
        assert_eq!(config_assignment("# password: hunter22"), None);
        assert_eq!(config_assignment("password_file: /etc/pw"), None);
        assert_eq!(config_assignment("password: ${PW}"), None);
        assert_eq!(config_assignment("basic_auth:"), None);
        assert_eq!(config_assignment("password: \"\""), None);
        assert_eq!(config_assignment("    passwd:         compat"), None);
        assert_eq!(config_assignment("token=os.environ[\"HF_TOKEN\"]"), None);
        assert_eq!(config_assignment("    passwd:         compat"), None);
        assert_eq!(config_assignment("token=os.environ[\"HF_TOKEN\"]"), None);
    }

    #[test]
    fn masking() {
        assert_eq!(mask("hunter2"), "(7 characters)");
        assert_eq!(mask("supersecret"), "\"su…\" (11 characters)");
    }
}

/// Whether a value of a Secret is an obvious template placeholder rather than real data:
/// empty, a `$(VAR)`/`${VAR}`/`{{ }}`/`<...>` template, a SOPS-encrypted value (`ENC[...]`),
/// a mask of one repeated character or of `x`s, `changeme` and its spellings, or an
/// instruction (`REPLACE_ME`, `your-token`, `TODO`).
pub fn template_placeholder(value: &str) -> bool {
    let v = value.trim();
    // a placeholder is short: a long value is data unless it is templated or encrypted
    if v.len() > 256 {
        return v.starts_with("ENC[") || v.contains("{{") || v.contains("${") || v.contains("$(");
    }
    if v.is_empty()
        || v.contains("$(")
        || v.contains("${")
        || v.contains("{{")
        || v.starts_with("ENC[")
        || (v.starts_with('<') && v.ends_with('>'))
    {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    let mut chars = v.chars();
    let first = chars.next().unwrap_or(' ');
    if v.chars().count() > 1 && chars.all(|c| c == first) {
        return true;
    }
    if v.chars()
        .all(|c| matches!(c, 'x' | 'X' | '*' | '-' | '_' | '.' | ' '))
        && v.chars().any(|c| c == 'x' || c == 'X')
    {
        return true;
    }
    const WORDS: &[&str] = &[
        "changeme",
        "change-me",
        "change_me",
        "changeit",
        "change-it",
        "placeholder",
        "redacted",
        "[redacted]",
        "tbd",
        "todo",
        "dummy",
        "example",
        "sample",
        "none",
        "null",
        "nil",
    ];
    if WORDS.contains(&lower.as_str()) {
        return true;
    }
    const INSTRUCTIONS: &[&str] = &[
        "replace", "your-", "your_", "insert-", "fill-in", "fill_in", "todo",
    ];
    v.len() < 64 && INSTRUCTIONS.iter().any(|p| lower.contains(p))
}

/// One credential in a command line (`command`/`args` of a container, a probe's or
/// lifecycle hook's `exec.command`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandHit {
    /// Index of the argv item that holds the credential.
    pub item: usize,
    /// What was found (`the value of --db-password`, `a GitHub token`).
    pub what: String,
    /// The credential itself (for [`mask`] only: never print it).
    pub value: String,
}

/// Clients whose `-pSECRET` (no space) is a password.
const MYSQL_CLIENTS: &[&str] = &[
    "mysql",
    "mysqladmin",
    "mysqldump",
    "mysqlcheck",
    "mysqlimport",
    "mysqlshow",
    "mysqlpump",
    "mariadb",
    "mariadb-admin",
    "mariadb-dump",
    "mariadb-check",
];

/// Clients whose short flag, followed by a separate word, is a password: (command, flag).
const PASSWORD_FLAGS: &[(&str, &str)] = &[
    ("redis-cli", "-a"),
    ("valkey-cli", "-a"),
    ("sshpass", "-p"),
    ("mongo", "-p"),
    ("mongosh", "-p"),
    ("mongodump", "-p"),
    ("mongorestore", "-p"),
];

/// A word of a shell command line, or the end of one command (`;`, `|`, `&&`, newline).
#[derive(Debug, PartialEq, Eq)]
enum Word {
    Text(String),
    Break,
}

/// Splits one argv item into shell words: quotes group and are removed, a backslash escapes
/// the next character, `;`, `|`, `&` and newlines end a command. Bounded: at most 4,096
/// words per item.
fn shell_words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut has = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if out.len() > 4096 {
            break;
        }
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                has = true;
            }
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    if n != '\n' {
                        cur.push(n);
                        has = true;
                    }
                }
            }
            (None, c) if c.is_whitespace() || matches!(c, ';' | '|' | '&' | '(' | ')') => {
                if has || !cur.is_empty() {
                    out.push(Word::Text(std::mem::take(&mut cur)));
                    has = false;
                }
                if matches!(c, ';' | '|' | '&' | '\n' | '(' | ')')
                    && out.last() != Some(&Word::Break)
                {
                    out.push(Word::Break);
                }
            }
            (None, c) => {
                cur.push(c);
                has = true;
            }
        }
    }
    if has || !cur.is_empty() {
        out.push(Word::Text(cur));
    }
    out
}

/// Whether a command-line value is a credential rather than a reference to one: a
/// plausible literal (see [`plausible_literal`]) with no shell expansion in it.
fn command_value(value: &str) -> bool {
    !value.contains('`') && !value.starts_with('@') && plausible_literal(value)
}

/// Every credential in a command line given as argv items: well-known token formats and
/// URL passwords anywhere; `--password=x`, `--client-secret x` and `-password x` where the
/// flag names a credential; `PGPASSWORD=x` and `export TOKEN=x` assignments; the MySQL
/// and MariaDB clients' `-pSECRET`; curl's `-u user:password`; `Authorization:` header
/// values. Items that are shell scripts (`sh -c "..."`) are split into words first.
/// Values that are `$(VAR)`/`$VAR`/`${VAR}` references, command substitutions, file paths
/// (`@file`, `/run/secrets/x`) or placeholders are not credentials.
pub fn command_secrets(items: &[&str]) -> Vec<CommandHit> {
    let mut words: Vec<(usize, Word)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if item.len() > 1_000_000 {
            continue;
        }
        if item.contains(char::is_whitespace) || item.contains(['"', '\'', ';', '|', '&']) {
            // a script item starts and ends its own commands
            words.push((i, Word::Break));
            words.extend(shell_words(item).into_iter().map(|w| (i, w)));
            words.push((i, Word::Break));
        } else {
            words.push((i, Word::Text((*item).to_string())));
        }
    }
    let mut out: Vec<CommandHit> = Vec::new();
    let push = |out: &mut Vec<CommandHit>, item: usize, what: String, value: &str| {
        if !out.iter().any(|h| h.item == item && h.value == value) {
            out.push(CommandHit {
                item,
                what,
                value: value.to_string(),
            });
        }
    };
    let mut command: Option<String> = None;
    let text = |k: usize| match words.get(k) {
        Some((_, Word::Text(t))) => Some(t.as_str()),
        _ => None,
    };
    for k in 0..words.len() {
        let (item, w) = match &words[k] {
            (i, Word::Text(t)) => (*i, t.as_str()),
            (_, Word::Break) => {
                command = None;
                continue;
            }
        };
        let assignment = w.split_once('=').filter(|(key, _)| {
            !key.is_empty()
                && !key.starts_with('-')
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if command.is_none()
            && assignment.is_none()
            && !matches!(w, "export" | "env" | "exec" | "sudo")
        {
            command = Some(w.rsplit('/').next().unwrap_or(w).to_string());
        }
        if let Some((what, m)) = known_secret(w) {
            push(&mut out, item, what.to_string(), m);
            continue;
        }
        if let Some((key, value)) = assignment {
            if credential_name(key) && command_value(value) && !names_itself(key, value) {
                push(&mut out, item, format!("the value of {key}"), value);
            }
            continue;
        }
        if let Some(flag) = w.strip_prefix('-') {
            let flag = flag.trim_start_matches('-');
            let mysql = command
                .as_deref()
                .is_some_and(|c| MYSQL_CLIENTS.contains(&c));
            if mysql && w.starts_with("-p") && !w.starts_with("--") && w.len() > 2 {
                let value = &w[2..];
                if command_value(value) {
                    push(
                        &mut out,
                        item,
                        format!(
                            "the password of {} -p",
                            command.as_deref().unwrap_or("mysql")
                        ),
                        value,
                    );
                }
                continue;
            }
            if let Some((name, value)) = flag.split_once('=') {
                if credential_name(name) && command_value(value) && !names_itself(name, value) {
                    push(&mut out, item, format!("the value of --{name}"), value);
                }
                continue;
            }
            if let Some(cmd) = command.as_deref() {
                if PASSWORD_FLAGS.iter().any(|(c, f)| *c == cmd && *f == w) {
                    if let Some(v) = text(k + 1).filter(|v| !v.starts_with('-')) {
                        if command_value(v) {
                            push(
                                &mut out,
                                words[k + 1].0,
                                format!("the password of {cmd} {w}"),
                                v,
                            );
                        }
                    }
                    continue;
                }
            }
            let curl = command.as_deref() == Some("curl");
            if curl && (w == "-u" || w == "--user") {
                if let Some(v) = text(k + 1) {
                    if let Some((_, pw)) = v.split_once(':') {
                        if command_value(pw) {
                            push(
                                &mut out,
                                words[k + 1].0,
                                "the password of curl -u".into(),
                                pw,
                            );
                        }
                    }
                }
                continue;
            }
            if credential_name(flag) {
                if let Some(v) = text(k + 1).filter(|v| !v.starts_with('-')) {
                    if command_value(v) && !names_itself(flag, v) {
                        push(&mut out, words[k + 1].0, format!("the value of {w}"), v);
                    }
                }
            }
            continue;
        }
        // `Authorization: Bearer TOKEN` (one quoted word, or three words)
        let lower = w.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("authorization:") {
            let rest_orig = &w[w.len() - rest.len()..];
            let parts: Vec<&str> = rest_orig.split_whitespace().collect();
            let cred = match parts.as_slice() {
                [] => {
                    // the scheme and the credential are the next words
                    let scheme = text(k + 1);
                    let next = if scheme.is_some_and(|s| {
                        s.eq_ignore_ascii_case("bearer")
                            || s.eq_ignore_ascii_case("basic")
                            || s.eq_ignore_ascii_case("token")
                    }) {
                        k + 2
                    } else {
                        k + 1
                    };
                    text(next).map(|t| (words[next].0, t))
                }
                [one] => Some((item, *one)),
                [_, cred, ..] => Some((item, *cred)),
            };
            if let Some((at, c)) = cred {
                if command_value(c) {
                    push(&mut out, at, "an Authorization header".into(), c);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod command_tests {
    use super::*;

    fn hits(items: &[&str]) -> Vec<(usize, String)> {
        command_secrets(items)
            .into_iter()
            .map(|h| (h.item, h.value))
            .collect()
    }

    #[test]
    fn finds_credentials_in_argv_and_scripts() {
        assert_eq!(hits(&["--db-password=hunter22"]), [(0, "hunter22".into())]);
        assert_eq!(
            hits(&["--client-secret", "s3cr3t-value"]),
            [(1, "s3cr3t-value".into())]
        );
        assert_eq!(
            hits(&["mysql", "-uroot", "-pS3cret99", "shop"]),
            [(2, "S3cret99".into())]
        );
        assert_eq!(
            hits(&[
                "sh",
                "-c",
                "mysqldump -u root -ptopsecret shop > /backup/x.sql"
            ]),
            [(2, "topsecret".into())]
        );
        assert_eq!(
            hits(&["sh", "-c", "PGPASSWORD=pa55word psql -h db -U app"]),
            [(2, "pa55word".into())]
        );
        assert_eq!(
            hits(&["redis-cli", "-u", "redis://:p4ssw0rd@redis:6379", "ping"]),
            [(2, "p4ssw0rd".into())]
        );
        assert_eq!(
            hits(&["curl", "-u", "admin:adm1n-pw", "http://x"]),
            [(2, "adm1n-pw".into())]
        );
        assert_eq!(
            hits(&[
                "curl",
                "-H",
                "Authorization: Bearer abcdef123456",
                "http://x"
            ]),
            [(2, "abcdef123456".into())]
        );
        let gh = format!("ghp_{}", "a1".repeat(18));
        assert_eq!(hits(&["--token", &gh]).len(), 1);
        assert_eq!(
            hits(&["redis-cli", "-a", "r3dis-Pa55", "ping"]),
            [(2, "r3dis-Pa55".into())]
        );
        assert_eq!(
            hits(&["sh", "-c", "sshpass -p 'hunter22' ssh x"]),
            [(2, "hunter22".into())]
        );
    }

    #[test]
    fn leaves_references_paths_and_switches_alone() {
        for argv in [
            &["--db-password=$(DB_PASSWORD)"][..],
            &["--password", "$(DB_PASSWORD)"],
            &["--password-file=/run/secrets/db"],
            &["--token-file", "/var/run/secrets/token"],
            &["mysql", "-p$(MYSQL_ROOT_PASSWORD)"],
            &[
                "sh",
                "-c",
                "mysql -uroot -p\"$MYSQL_ROOT_PASSWORD\" -e 'select 1'",
            ],
            &["sh", "-c", "mysqladmin ping -p${MYSQL_PASSWORD}"],
            &["--authentication-token-webhook=true"],
            &["--enable-bootstrap-token-auth", "--v=2"],
            &["--secret-name", "db-credentials"],
            &["psql", "-p", "5432"],
            &["redis-server", "--requirepass", "$(REDIS_PASSWORD)"],
            &["curl", "-u", "admin:$(PW)", "http://x"],
            &["sh", "-c", "export TOKEN=`cat /run/secrets/t`; run"],
            &["--api-key", "@/etc/key"],
            &["--password", "changeme"],
            &["sh", "-c", "redis-cli -a \"$REDIS_PASSWORD\" ping"],
            &["mysql", "-a", "x"],
        ] {
            assert_eq!(hits(argv), [], "{argv:?}");
        }
    }

    #[test]
    fn placeholders_in_secrets() {
        for v in [
            "",
            "changeme",
            "${DB}",
            "{{ .Values.pw }}",
            "<password>",
            "ENC[AES256_GCM,data:x]",
            "xxxx",
            "REPLACE_ME",
            "****",
        ] {
            assert!(template_placeholder(v), "{v}");
        }
        for v in ["hunter2", "admin", "5432", "a", "postgres://db"] {
            assert!(!template_placeholder(v), "{v}");
        }
    }
}
