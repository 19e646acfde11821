//! SARIF 2.1.0: valid against the OASIS schema (vendored in `tests/schemas/`, see its NOTICE),
//! and carrying what GitHub code scanning reads.

mod common;

use common::{render, Fixture};
use kubeward_report::{Format, ScanResult};
use serde_json::Value;

const SCHEMA: &str = include_str!("schemas/sarif-schema-2.1.0.json");

/// Validates a SARIF log against the schema, panicking with every violation.
fn validate(log: &Value) {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let url = "https://kubeward.invalid/sarif-schema-2.1.0.json";
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    // Check `format` too (uri, uri-reference, date-time...), not only structure.
    compiler.enable_format_assertions();
    compiler.add_resource(url, schema).unwrap();
    let index = compiler.compile(url, &mut schemas).unwrap();
    if let Err(e) = schemas.validate(log, index) {
        panic!("SARIF output is not valid against the 2.1.0 schema:\n{e:#}\n{log:#}");
    }
}

fn sarif(result: &ScanResult<'_>) -> Value {
    serde_json::from_str(&render(Format::Sarif, result, false)).unwrap()
}

#[test]
fn sarif_is_valid_against_the_schema() {
    let fx = Fixture::new();
    validate(&sarif(&fx.result(false)));
    validate(&sarif(&fx.result(true)));
}

#[test]
fn the_schema_check_rejects_invalid_logs() {
    let fx = Fixture::new();
    let mut log = sarif(&fx.result(false));
    log["runs"][0]["results"][0]["level"] = "fatal".into();
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("https://kubeward.invalid/s.json", schema)
        .unwrap();
    let index = compiler
        .compile("https://kubeward.invalid/s.json", &mut schemas)
        .unwrap();
    assert!(schemas.validate(&log, index).is_err());
}

#[test]
fn results_carry_rule_region_fingerprint_and_object() {
    let fx = Fixture::new();
    let log = sarif(&fx.result(false));
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"]
        .as_str()
        .unwrap()
        .ends_with("sarif-schema-2.1.0.json"));
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "kubeward");
    assert_eq!(driver["version"], "0.1.0");
    let rules = driver["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);

    let r = &results[0];
    assert_eq!(r["ruleId"], "privileged");
    let idx = r["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(
        rules[idx]["id"], "privileged",
        "ruleIndex points at the rule"
    );
    assert_eq!(r["level"], "error");
    let loc = &r["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"],
        "examples/shop.yaml"
    );
    assert_eq!(loc["physicalLocation"]["region"]["startLine"], 13);
    assert_eq!(loc["physicalLocation"]["region"]["startColumn"], 13);
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        "Deployment/shop/web"
    );
    assert_eq!(
        r["partialFingerprints"]["kubewardFingerprint/v1"],
        fx.findings[0].fingerprint.as_str()
    );
    assert_eq!(results[3]["level"], "error", "critical maps to error");
    assert_eq!(results[1]["level"], "warning", "medium maps to warning");
    assert_eq!(results[2]["level"], "note", "low maps to note");

    // Every rule has a security-severity GitHub can read.
    for rule in rules {
        let score: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&score));
    }

    let inv = &run["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false, "a file failed to load");
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["level"], "error");
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "examples/broken.yaml"
    );
}

#[test]
fn the_whole_catalogue_is_described() {
    let fx = Fixture::new();
    let log = sarif(&fx.result(false));
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for (i, rule) in kubeward_rules::registry::all().iter().enumerate() {
        let m = rule.meta();
        assert_eq!(rules[i]["id"], m.name);
        assert_eq!(rules[i]["shortDescription"]["text"], m.summary);
        // The doc comment, without the space `/// ` leaves at the start of each line.
        let help = rules[i]["help"]["markdown"].as_str().unwrap();
        let doc: Vec<&str> = m
            .doc
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect();
        assert_eq!(help.lines().collect::<Vec<_>>(), doc, "help of {}", m.name);
        assert!(!rules[i]["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .starts_with('#'));
        assert_eq!(rules[i]["properties"]["tags"][1], m.domain.as_str());
    }
}

#[test]
fn suppressed_findings_carry_suppressions_on_request() {
    let fx = Fixture::new();
    let hidden = sarif(&fx.result(false));
    assert_eq!(hidden["runs"][0]["results"].as_array().unwrap().len(), 4);
    let shown = sarif(&fx.result(true));
    let results = shown["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    let s = &results[4]["suppressions"][0];
    assert_eq!(s["kind"], "inSource");
    assert_eq!(
        s["justification"],
        "annotation kubeward.io/ignore: built-in role"
    );
}

#[test]
fn odd_file_names_give_valid_uris() {
    use kubeward_model::{FieldPath, Input, Loader};
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec: {}\n";
    let names = ["my dir/a#b%.yaml", "/abs/x.yaml", ".\\win\\ü.yaml", "-"];
    let inputs = names
        .iter()
        .map(|n| Input::Bytes {
            name: n.to_string(),
            bytes: pod.as_bytes().to_vec(),
        })
        .collect();
    let snapshot = Loader::default().load(inputs);
    let findings: Vec<_> = snapshot
        .objects
        .iter()
        .map(|o| {
            kubeward_rules::Finding::new(
                "x",
                kubeward_rules::Severity::Low,
                &snapshot,
                o,
                &FieldPath::parse("spec"),
                "m",
                "r",
            )
        })
        .collect();
    let result = ScanResult {
        snapshot: &snapshot,
        findings: &findings,
        suppressed: &[],
        show_suppressed: false,
        files: 4,
        tool_version: "0.1.0",
    };
    let log = sarif(&result);
    validate(&log);
    let uris: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        uris,
        [
            "my%20dir/a%23b%25.yaml",
            "file:///abs/x.yaml",
            "win/%C3%BC.yaml",
            "-"
        ]
    );
}
