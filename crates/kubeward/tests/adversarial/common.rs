//! Helpers shared by the adversarial modules.
#![allow(dead_code)]

use assert_cmd::Command;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The `kubeward` binary with colour off and no inherited `NO_COLOR` decisions.
pub fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").expect("binary");
    c.env_remove("NO_COLOR").env("CLICOLOR", "0");
    c
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&p, text).expect("write fixture");
    p
}

/// Standard output and standard error of a finished command, as lossy text.
pub fn texts(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// True when `s` holds a C0/C1 control character other than newline and tab, or a Unicode
/// bidirectional control: what must never reach a terminal from input.
pub fn has_raw_control(s: &str) -> bool {
    s.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
    })
}

/// A Pod in namespace `shop` running `registry.example/app:1`.
pub const APP_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: app, namespace: shop}\nspec:\n  containers:\n  - name: app\n    image: registry.example/app:1\n";

/// Runs `kubeward ARGS` without the user's cache and data folders (the build-stage
/// subcommands would use them): exit code (-1 when killed), standard output and error.
pub fn run_build_stage(args: &[&OsStr]) -> (i32, String, String) {
    let out = kubeward()
        .env_remove("KUBEWARD_CACHE_DIR")
        .env_remove("KUBEWARD_DATA_DIR")
        .args(args)
        .output()
        .expect("run");
    let (o, e) = texts(&out);
    (out.status.code().unwrap_or(-1), o, e)
}

/// `s` as an argument beside paths.
pub fn os(s: &str) -> &OsStr {
    s.as_ref()
}
