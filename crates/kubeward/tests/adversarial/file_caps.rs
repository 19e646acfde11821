//! Class 5: configuration and baseline files were read without a size cap: a `kubeward.yaml`
//! that is a symlink to `/dev/zero` (git stores symlinks, and the default file is read without
//! being asked in CI) took all memory. Every such read now goes through the capped reader;
//! the default file must be a regular file. The memory limit and timeout below are only a
//! safety net so that a regression fails instead of eating the machine.

use crate::common::{texts, write};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

/// Runs `kubeward ARGS` in `dir` under a 4 GiB address-space limit, killed after 60 s.
fn kubeward_capped(dir: &Path, args: &[&str]) -> Output {
    let bin = assert_cmd::cargo::cargo_bin("kubeward");
    let mut c = assert_cmd::Command::new("sh");
    c.arg("-c")
        .arg("ulimit -v 4194304 && exec \"$0\" \"$@\"")
        .arg(bin)
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env("CLICOLOR", "0")
        .timeout(Duration::from_secs(60));
    c.output().expect("run")
}

fn pod(dir: &Path) {
    write(
        dir,
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: web, image: web:1.0}]\n",
    );
}

#[cfg(unix)]
#[test]
fn a_default_kubeward_yaml_linked_to_dev_zero_fails_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    pod(dir.path());
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("kubeward.yaml")).expect("symlink");
    let out = kubeward_capped(dir.path(), &["scan", "pod.yaml"]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot read configuration: kubeward.yaml: not a regular file"),
        "{stderr}"
    );
    assert!(stdout.is_empty(), "no scan without its configuration");
}

#[cfg(unix)]
#[test]
fn an_explicit_config_or_baseline_from_dev_zero_stops_at_the_cap() {
    let dir = tempfile::tempdir().expect("tempdir");
    pod(dir.path());
    let out = kubeward_capped(dir.path(), &["scan", "pod.yaml", "--config", "/dev/zero"]);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot read configuration: /dev/zero: larger than the 4 MiB limit"),
        "{stderr}"
    );

    std::os::unix::fs::symlink("/dev/zero", dir.path().join("base.json")).expect("symlink");
    let out = kubeward_capped(dir.path(), &["scan", "pod.yaml", "--baseline", "base.json"]);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot read baseline: base.json: larger than the 64 MiB limit"),
        "{stderr}"
    );
}

#[test]
fn an_oversized_configuration_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    pod(dir.path());
    // 5 MiB of comments: valid YAML, over the 4 MiB cap
    let line = format!("# {}\n", "x".repeat(1021));
    write(dir.path(), "kubeward.yaml", line.repeat(5 * 1024));
    let out = kubeward_capped(dir.path(), &["scan", "pod.yaml"]);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("kubeward.yaml: larger than the 4 MiB limit"),
        "{stderr}"
    );
}

/// The build-stage inputs: a VEX document, an SBOM and the database's manifest are read
/// through the capped reader too, so none of them can be made to eat the machine.
#[cfg(unix)]
#[test]
fn vex_sbom_and_database_inputs_from_dev_zero_fail_fast() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(
        d,
        "app.cdx.json",
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}"#,
    );
    std::os::unix::fs::symlink("/dev/zero", d.join("vex.json")).expect("symlink");
    let out = kubeward_capped(d, &["vuln", "app.cdx.json", "--vex", "vex.json"]);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("vex.json: larger than the 64 MiB limit"),
        "{stderr}"
    );

    // an SBOM input that is a symlink to /dev/zero: not a regular file, so it is handed to
    // the image readers, which refuse it without reading it whole
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.cdx.json")).expect("symlink");
    for args in [
        &["vuln", "zero.cdx.json"][..],
        &["sbom", "zero.cdx.json"][..],
        &["inventory", "add", "zero.cdx.json", "--store", "inv.db"][..],
    ] {
        let out = kubeward_capped(d, args);
        let (stdout, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
    }

    // an SBOM file over the cap (sparse: no disk used) is refused from its size
    let big = std::fs::File::create(d.join("big.cdx.json")).expect("create");
    std::io::Write::write_all(&mut &big, b"{").expect("write");
    big.set_len(300 * 1024 * 1024).expect("set_len");
    drop(big);
    let out = kubeward_capped(d, &["vuln", "big.cdx.json"]);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("big.cdx.json: larger than the 256 MiB limit"),
        "{stderr}"
    );

    // the database's manifest
    std::fs::create_dir(d.join("db")).expect("mkdir");
    std::os::unix::fs::symlink("/dev/zero", d.join("db/manifest.json")).expect("symlink");
    let out = kubeward_capped(d, &["db", "status", "--db-dir", "db"]);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("manifest.json: invalid manifest: larger than the 4 MiB limit"),
        "{stderr}"
    );
}
