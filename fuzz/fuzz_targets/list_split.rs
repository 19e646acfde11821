//! The item-by-item parse of a `kind: List` must give the same tree as the whole parse
//! whenever it gives one at all.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // steer inputs towards the kubectl form
    let text = format!("apiVersion: v1\nitems:\n{text}");
    if let Some(agrees) = kubeward_model::yaml::list_split_agrees(&text) {
        assert!(agrees, "split and whole parse differ for {text:?}");
    }
});
