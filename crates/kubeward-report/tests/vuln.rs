//! The vulnerability report's formats on a small catalog: a suppressed match, a match without
//! a fix, an undecidable version. SARIF is validated against the OASIS schema, OpenVEX
//! against the fields the OpenVEX 0.2.0 specification requires, and the OpenVEX output is
//! read back by kubeward's own VEX reader.

use kubeward_image::catalog::Catalog;
use kubeward_image::package::{Ecosystem, Package};
use kubeward_report::vuln::{self, VulnFormat, VulnResult};
use kubeward_vuln::osv::{Database, VexDocument};
use kubeward_vuln::{assess, VulnOptions, VulnReport};
use serde_json::Value;

const SCHEMA: &str = include_str!("schemas/sarif-schema-2.1.0.json");

fn catalog() -> Catalog {
    let mut lodash = Package::new(Ecosystem::Npm, "lodash", "4.17.15");
    lodash.locations = vec!["app/node_modules/lodash/package.json".into()];
    let mut flask = Package::new(Ecosystem::Pypi, "Flask", "2.0.0");
    flask.locations = vec!["site packages/Flask-2.0.0.dist-info/METADATA".into()];
    let mut minimist = Package::new(Ecosystem::Npm, "minimist", "1.2.5");
    minimist.locations = vec!["app/node_modules/minimist/package.json".into()];
    Catalog {
        source_name: Some("shop-web".into()),
        packages: vec![
            lodash,
            flask,
            minimist,
            Package::new(Ecosystem::Pypi, "six", "not a version"),
        ],
        ..Catalog::default()
    }
}

fn report(c: &Catalog) -> VulnReport {
    let mut db = Database::new();
    db.add_json(
        br#"[
          {"id":"GHSA-p6mc-m468-83gw","aliases":["CVE-2020-8203"],"summary":"Prototype Pollution in lodash",
           "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H"}],
           "affected":[{"package":{"ecosystem":"npm","name":"lodash"},
             "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.20"}]}]}]},
          {"id":"PYSEC-1","database_specific":{"severity":"HIGH"},
           "affected":[{"package":{"ecosystem":"PyPI","name":"flask"},
             "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.2.5"}]}]}]},
          {"id":"KW-NPM-1","affected":[{"package":{"ecosystem":"npm","name":"minimist"},
             "ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]},
          {"id":"PYSEC-2","affected":[{"package":{"ecosystem":"PyPI","name":"six"},
             "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0"}]}]}]}
        ]"#,
        "test",
    )
    .unwrap();
    let vex = VexDocument::parse(
        br#"{"@id":"https://example.invalid/vex/1","statements":[
          {"vulnerability":{"name":"CVE-2020-8203"},"products":[{"@id":"pkg:npm/lodash"}],
           "status":"not_affected","justification":"vulnerable_code_not_in_execute_path",
           "impact_statement":"never given user input"}]}"#,
    )
    .unwrap();
    assess(c, &db, &[vex], VulnOptions::default())
}

fn render(format: VulnFormat, c: &Catalog, r: &VulnReport, show_suppressed: bool) -> String {
    let result = VulnResult {
        catalog: c,
        report: r,
        from_sbom: false,
        show_suppressed,
        tool_version: "0.1.0",
        timestamp: None,
    };
    let mut out = Vec::new();
    vuln::write(format, &result, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn json(format: VulnFormat) -> Value {
    let c = catalog();
    let r = report(&c);
    serde_json::from_str(&render(format, &c, &r, false)).unwrap()
}

#[test]
fn the_report_is_typed() {
    let c = catalog();
    let r = report(&c);
    let ids: Vec<&str> = r.matches.iter().map(|m| m.matched.id.as_str()).collect();
    assert_eq!(ids, ["PYSEC-1", "KW-NPM-1"]);
    assert_eq!(r.suppressed.len(), 1);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].error.package, "six");
}

#[test]
fn text_lists_matches_suppressions_and_undecided_versions() {
    let c = catalog();
    let r = report(&c);
    let t = render(VulnFormat::Text, &c, &r, true);
    assert!(t.starts_with("ID        SEVERITY  PACKAGE   VERSION  FIXED IN   ECOSYSTEM\n"));
    assert!(
        t.contains("KW-NPM-1  unknown   minimist  1.2.5    (unfixed)  npm\n"),
        "{t}"
    );
    assert!(t.contains("Suppressed by VEX:\n"));
    assert!(t.contains("not_affected: vulnerable_code_not_in_execute_path"));
    assert!(t.contains("Not decided (versions that could not be compared"));
    assert!(t.ends_with(
        "2 vulnerabilities (high 1, unknown 1) in 2 of 4 packages; 1 suppressed by VEX\n"
    ));
    let quiet = render(VulnFormat::Text, &c, &r, false);
    assert!(!quiet.contains("Suppressed by VEX:"));
}

#[test]
fn json_keeps_its_contract() {
    let v = json(VulnFormat::Json);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "errors",
            "matches",
            "source",
            "summary",
            "suppressed",
            "warnings"
        ]
    );
    assert_eq!(v["summary"]["by_severity"]["high"], 1);
    assert_eq!(v["summary"]["by_severity"]["unknown"], 1);
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(v["source"]["kind"], "image");
    let s = &v["suppressed"][0];
    assert_eq!(s["id"], "GHSA-p6mc-m468-83gw");
    assert_eq!(s["suppressed_by"]["status"], "not_affected");
    assert_eq!(
        s["suppressed_by"]["document"],
        "https://example.invalid/vex/1"
    );
    assert_eq!(s["package"]["type"], "npm");
    assert_eq!(v["errors"][0]["package"], "six");
    assert_eq!(v["errors"][0]["purl"], "pkg:pypi/six@not%20a%20version");
    assert!(v["matches"][1]["cvss"].is_null());
}

#[test]
fn sarif_goes_through_the_one_writer_and_is_valid() {
    let log = json(VulnFormat::Sarif);
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let url = "https://kubeward.invalid/sarif-schema-2.1.0.json";
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler.add_resource(url, schema).unwrap();
    let index = compiler.compile(url, &mut schemas).unwrap();
    if let Err(e) = schemas.validate(&log, index) {
        panic!("invalid SARIF:\n{e:#}\n{log:#}");
    }
    assert_eq!(
        log["$schema"],
        kubeward_report::sarif::SCHEMA_URI,
        "the scan's schema"
    );
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
    let flask = &results[0];
    assert_eq!(flask["level"], "error");
    assert_eq!(
        flask["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "site%20packages/Flask-2.0.0.dist-info/METADATA"
    );
    assert_eq!(
        flask["partialFingerprints"]["kubewardVuln/v1"],
        "PYSEC-1|pkg:pypi/flask@2.0.0|site packages/Flask-2.0.0.dist-info/METADATA"
    );
    let inv = &run["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false, "a version was undecided");
    assert_eq!(
        inv["toolExecutionNotifications"][0]["descriptor"]["id"],
        "match-error"
    );
}

#[test]
fn cyclonedx_points_every_vulnerability_at_its_component() {
    let bom = json(VulnFormat::Cyclonedx);
    assert_eq!(bom["bomFormat"], "CycloneDX");
    let refs: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    let vulns = bom["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 3, "two matches and the suppressed one");
    for v in vulns {
        let r = v["affects"][0]["ref"].as_str().unwrap();
        assert!(refs.contains(&r), "{r} is not a component");
    }
    let suppressed = &vulns[2];
    assert_eq!(suppressed["id"], "GHSA-p6mc-m468-83gw");
    assert_eq!(suppressed["analysis"]["state"], "not_affected");
    assert_eq!(
        suppressed["analysis"]["justification"],
        "code_not_reachable"
    );
    assert_eq!(suppressed["ratings"][0]["method"], "CVSSv31");
}

#[test]
fn openvex_has_the_fields_the_specification_requires() {
    let doc = json(VulnFormat::Openvex);
    assert_eq!(doc["@context"], "https://openvex.dev/ns/v0.2.0");
    assert!(doc["@id"]
        .as_str()
        .unwrap()
        .starts_with("urn:kubeward:openvex:"));
    assert_eq!(doc["author"], "kubeward");
    assert_eq!(doc["timestamp"], "1970-01-01T00:00:00Z");
    assert_eq!(doc["version"], 1);
    let statements = doc["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 3);
    for s in statements {
        assert!(s["vulnerability"]["name"].is_string());
        assert!(s["products"][0]["@id"]
            .as_str()
            .unwrap()
            .starts_with("pkg:"));
        match s["status"].as_str().unwrap() {
            // affected needs an action statement
            "affected" => assert!(s["action_statement"].is_string(), "{s}"),
            // not_affected needs a justification or an impact statement
            "not_affected" => assert!(
                s["justification"].is_string() || s["impact_statement"].is_string(),
                "{s}"
            ),
            other => panic!("unexpected status {other}"),
        }
    }
    let quiet = &statements[2];
    assert_eq!(quiet["status"], "not_affected");
    assert_eq!(
        quiet["justification"],
        "vulnerable_code_not_in_execute_path"
    );
    assert_eq!(quiet["impact_statement"], "never given user input");
    assert_eq!(quiet["vulnerability"]["aliases"][0], "CVE-2020-8203");
    assert_eq!(statements[0]["products"][0]["@id"], "pkg:pypi/flask@2.0.0");
    assert_eq!(
        statements[0]["action_statement"],
        "Upgrade Flask to 2.2.5 or later"
    );
}

#[test]
fn openvex_is_deterministic_and_reads_back() {
    let c = catalog();
    let r = report(&c);
    let a = render(VulnFormat::Openvex, &c, &r, false);
    assert_eq!(a, render(VulnFormat::Openvex, &c, &r, false));
    let doc = VexDocument::parse(a.as_bytes()).unwrap();
    assert_eq!(doc.statements.len(), 3);
    // fed back, it suppresses what it says is not affected and nothing else
    let again = {
        let mut db = Database::new();
        db.add_json(
            br#"{"id":"GHSA-p6mc-m468-83gw","aliases":["CVE-2020-8203"],
               "affected":[{"package":{"ecosystem":"npm","name":"lodash"},
                 "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.20"}]}]}]}"#,
            "test",
        )
        .unwrap();
        assess(&c, &db, &[doc], VulnOptions::default())
    };
    assert_eq!(again.suppressed.len(), 1);
    assert!(again.matches.is_empty());
    let given = VulnResult {
        catalog: &c,
        report: &r,
        from_sbom: false,
        show_suppressed: false,
        tool_version: "0.1.0",
        timestamp: Some("2026-12-03T10:00:00Z"),
    };
    let mut out = Vec::new();
    vuln::write(VulnFormat::Openvex, &given, &mut out).unwrap();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["timestamp"], "2026-12-03T10:00:00Z");
}
