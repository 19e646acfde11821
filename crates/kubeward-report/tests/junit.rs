//! JUnit XML: well-formed, one suite per rule, one case per object × rule.

mod common;

use common::{render, Fixture};
use kubeward_report::Format;
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};

/// An element name and its attributes.
type Tag = (String, Vec<(String, String)>);

/// Parses the document and returns (element name, attributes) of every start/empty tag, and
/// the concatenated unescaped text.
fn parse(xml: &str) -> (Vec<Tag>, String) {
    let mut reader = Reader::from_str(xml);
    let mut tags = Vec::new();
    let mut text = String::new();
    let mut depth = 0i32;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.expect("valid attribute");
                        let v = a
                            .normalized_value(XmlVersion::Explicit1_0)
                            .expect("valid escape")
                            .into_owned();
                        (String::from_utf8(a.key.as_ref().to_vec()).unwrap(), v)
                    })
                    .collect();
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                if !xml[..reader.buffer_position() as usize].ends_with("/>") {
                    depth += 1;
                }
                tags.push((name, attrs));
            }
            Event::End(_) => depth -= 1,
            Event::Text(t) => text.push_str(&t.decode().unwrap()),
            Event::GeneralRef(r) if r.is_char_ref() => {
                text.push(r.resolve_char_ref().unwrap().unwrap())
            }
            Event::GeneralRef(r) => {
                let name = r.decode().unwrap();
                text.push_str(match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "every element is closed");
    (tags, text)
}

fn attr<'a>(tag: &'a Tag, key: &str) -> &'a str {
    tag.1
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{key} on {}", tag.0))
}

#[test]
fn junit_is_well_formed_and_grouped_by_rule() {
    let fx = Fixture::new();
    let xml = render(Format::Junit, &fx.result(false), false);
    println!("{xml}");
    assert!(!xml.contains('\u{1b}'), "XML 1.0 cannot carry ESC");
    let (tags, text) = parse(&xml);
    let root = &tags[0];
    assert_eq!(root.0, "testsuites");
    assert_eq!(attr(root, "tests"), "4");
    assert_eq!(attr(root, "failures"), "3");
    assert_eq!(attr(root, "errors"), "1");

    let suites: Vec<&str> = tags
        .iter()
        .filter(|t| t.0 == "testsuite")
        .map(|t| attr(t, "name"))
        .collect();
    assert_eq!(
        suites,
        [
            "privileged",
            "image-tag-latest",
            "service-load-balancer",
            "load"
        ]
    );

    // Two image findings on one object are one case listing both.
    let image_case = tags
        .iter()
        .find(|t| t.0 == "testcase" && attr(t, "classname") == "image-tag-latest")
        .unwrap();
    assert_eq!(attr(image_case, "name"), "Deployment/shop/web");
    assert!(text
        .contains("examples/shop.yaml:11:11: medium: container \"web\" uses image nginx:latest"));
    assert!(text.contains("examples/shop.yaml:15:11: low: container \"sidecar\""));
    let failures: Vec<_> = tags.iter().filter(|t| t.0 == "failure").collect();
    assert_eq!(
        attr(failures[1], "message"),
        "container \"web\" uses image nginx:latest (and 1 more)"
    );
    assert_eq!(attr(failures[1], "type"), "medium");
    // Hostile text round-trips through escaping; the control character is replaced.
    assert_eq!(
        attr(failures[2], "message"),
        "Service <web> is exposed & \"public\" \u{fffd}[31m"
    );
    assert!(text.contains("fix: use type: ClusterIP behind an Ingress"));
}

#[test]
fn suppressed_are_skipped_cases_and_a_clean_scan_passes() {
    let fx = Fixture::new();
    let (tags, _) = parse(&render(Format::Junit, &fx.result(true), false));
    let skipped = tags.iter().find(|t| t.0 == "skipped").unwrap();
    assert!(attr(skipped, "message")
        .starts_with("suppressed (annotation kubeward.io/ignore: built-in role)"));
    assert_eq!(attr(&tags[0], "skipped"), "1");

    let snapshot = kubeward_model::load_str(
        "a.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n",
    );
    let clean = kubeward_report::ScanResult {
        snapshot: &snapshot,
        findings: &[],
        suppressed: &[],
        show_suppressed: false,
        files: 1,
        tool_version: "0.1.0",
    };
    let (tags, text) = parse(&render(Format::Junit, &clean, false));
    assert_eq!(attr(&tags[0], "tests"), "1");
    assert_eq!(attr(&tags[0], "failures"), "0");
    assert_eq!(text.trim(), "no findings in 1 object from 1 file");
}
