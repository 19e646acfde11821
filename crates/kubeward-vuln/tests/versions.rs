//! Version ordering against the vendored cases (`testdata/versions/cases.yaml`) and
//! Maven `ComparableVersion` facts.

use kubeward_vuln::version::{compare, Scheme};
use std::cmp::Ordering;
use std::path::PathBuf;

struct Case {
    line: usize,
    eco: String,
    a: String,
    b: String,
    expected: i32,
}

/// Reads the value of `key: ` in a one-line YAML flow mapping; quoted values may hold spaces
/// and commas, the corpus has no escapes.
fn field(line: &str, key: &str) -> Option<String> {
    let at = line.find(&format!("{key}: "))? + key.len() + 2;
    let rest = &line[at..];
    if let Some(q) = rest.strip_prefix('"') {
        let end = q.find('"')?;
        Some(q[..end].to_string())
    } else {
        let end = rest.find([',', '}']).unwrap_or(rest.len());
        Some(rest[..end].trim().to_string())
    }
}

fn load_cases() -> Vec<Case> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/versions/cases.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut cases = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t == "cases:" {
            continue;
        }
        assert!(
            t.starts_with("- {") && t.ends_with('}'),
            "line {}: unexpected shape: {t}",
            n + 1
        );
        // `a: ` also occurs inside other keys' text only after `b:`; read keys in order.
        let eco = field(t, "ecosystem").expect("ecosystem");
        let after_eco = &t[t.find(", a: ").expect("a") + 2..];
        let a = field(after_eco, "a").expect("a");
        let after_a = &after_eco[after_eco.find(", b: ").expect("b") + 2..];
        let b = field(after_a, "b").expect("b");
        let expected: i32 = field(after_a, "expected")
            .expect("expected")
            .parse()
            .expect("expected is a number");
        cases.push(Case {
            line: n + 1,
            eco,
            a,
            b,
            expected,
        });
    }
    cases
}

fn sign(o: Ordering) -> i32 {
    match o {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }
}

#[test]
fn corpus_cases_all_pass() {
    let cases = load_cases();
    assert!(cases.len() >= 450, "only {} cases read", cases.len());
    let mut failures = Vec::new();
    let mut per_eco: std::collections::BTreeMap<String, usize> = Default::default();
    for c in &cases {
        let eco = Scheme::from_name(&c.eco)
            .unwrap_or_else(|| panic!("line {}: unknown ecosystem {}", c.line, c.eco));
        *per_eco.entry(c.eco.clone()).or_default() += 1;
        match compare(eco, &c.a, &c.b) {
            Ok(o) if sign(o) == c.expected => {}
            Ok(o) => failures.push(format!(
                "line {}: {} {:?} vs {:?}: got {}, expected {}",
                c.line,
                c.eco,
                c.a,
                c.b,
                sign(o),
                c.expected
            )),
            Err(e) => failures.push(format!("line {}: {}: {e}", c.line, c.eco)),
        }
        // Antisymmetry: swapping the operands flips the answer.
        if let Ok(o) = compare(eco, &c.b, &c.a) {
            if sign(o) != -c.expected {
                failures.push(format!("line {}: not antisymmetric", c.line));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed ({per_eco:?}):\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Maven orderings from the `ComparableVersion` documentation and the version order
/// specification (each list is strictly increasing).
#[test]
fn maven_orderings() {
    let chains: &[&[&str]] = &[
        &[
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
        ],
        &[
            "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
            "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11",
            "11", "11.a", "11b", "11c", "11m",
        ],
        &["1.0.RC2", "1.0-RC3", "1.0.1"],
        &["1.0.0.x1", "1.0.0-x2"],
        &["1-snapshot", "1", "1-sp"],
        &["1-foo2", "1-foo10"],
        &["1.foo", "1-1", "1.1"],
        &["1-sp-1", "1-ga-1"],
        &["1.0-alpha-1", "1.0-beta-1", "1.0-rc-1", "1.0", "1.0.1"],
        &["2.12.7", "2.13.0", "2.13.4.2", "2.13.5"],
        &["5.3.18", "5.3.20", "5.3.30", "6.0.0-M1", "6.0.0"],
    ];
    for chain in chains {
        for w in chain.windows(2) {
            assert_eq!(
                compare(Scheme::Maven, w[0], w[1]).unwrap(),
                Ordering::Less,
                "maven {} < {}",
                w[0],
                w[1]
            );
            assert_eq!(
                compare(Scheme::Maven, w[1], w[0]).unwrap(),
                Ordering::Greater,
                "maven {} > {}",
                w[1],
                w[0]
            );
        }
    }
}

#[test]
fn maven_equalities() {
    let groups: &[&[&str]] = &[
        &[
            "1",
            "1.0",
            "1.0.0",
            "1-0",
            "1.0-0",
            "1.ga",
            "1-ga",
            "1.final",
            "1-final",
            "1.release",
        ],
        &[
            "1a1",
            "1-a1",
            "1-alpha-1",
            "1.0-alpha1",
            "1.0a1",
            "1A1",
            "1-ALPHA-1",
        ],
        &["1b2", "1-b2", "1-beta-2", "1.0-beta2"],
        &["1m3", "1-m3", "1-milestone-3"],
        &["1rc", "1-rc", "1.rc", "1cr", "1-cr"],
        &["1.foo", "1-foo"],
        &["1x", "1-x", "1.0-x", "1.0.0-x"],
    ];
    for g in groups {
        for v in g.iter().skip(1) {
            assert_eq!(
                compare(Scheme::Maven, g[0], v).unwrap(),
                Ordering::Equal,
                "maven {} == {}",
                g[0],
                v
            );
        }
    }
}

/// Odd input never panics, and every scheme either rejects it or orders it consistently.
#[test]
fn odd_input_is_an_error_or_an_order_never_a_panic() {
    let odd = [
        "",
        " ",
        "-",
        ".",
        "..",
        "~",
        "^",
        "_",
        "+",
        ":",
        "0",
        "00",
        "1.",
        ".1",
        "1..2",
        "1-",
        "-1",
        "1:",
        ":1",
        "1.0-",
        "v",
        "go",
        "gox",
        "é",
        "1.é",
        "1é",
        "1.0%",
        "1.0\u{0}",
        "1 0",
        "99999999999999999999999999999999.1",
        "1.0_",
        "1.0_p",
        "1.0-r",
        "1.0~",
        "a1",
        "1a1b2c3",
        "1.0+",
        "1.0-+",
        "1!",
        "1!1",
        "1.0.post",
        "1.0-alpha.01",
        "v1.2.3-0.20230101000000-abc",
    ];
    for eco in Scheme::ALL {
        for a in odd {
            for b in ["1.0", "1.0.0", "1", a] {
                let ab = compare(eco, a, b);
                let ba = compare(eco, b, a);
                if let (Ok(x), Ok(y)) = (ab, ba) {
                    assert_eq!(x, y.reverse(), "{eco}: {a:?} vs {b:?}");
                }
            }
        }
    }
}
