//! Kustomizations rendered in-process give the objects `kubectl kustomize`
//! (kustomize v5) gives for the same overlays: the fixtures in
//! `tests/fixtures/kustomize/<case>/overlay` are rendered both ways and
//! compared object by object. kubectl is the one `tests/cluster/build`
//! builds (`SWITCHYARD_TEST_KUBECTL`, set by the README's test command), or
//! `kubectl` on PATH.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use switchyard_engine::deploy::manifests;
use switchyard_engine::pipeline::yaml;

fn kubectl() -> PathBuf {
    if let Some(p) = std::env::var_os("SWITCHYARD_TEST_KUBECTL").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let on_path = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        on_path,
        "these tests compare with `kubectl kustomize`: set SWITCHYARD_TEST_KUBECTL=$(tests/cluster/build | tail -n1)/kubectl or put kubectl on PATH"
    );
    PathBuf::from("kubectl")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kustomize")
}

/// Objects by `kind namespace/name`, for a comparison that names the odd one.
fn by_id(objects: impl IntoIterator<Item = Value>) -> BTreeMap<String, Value> {
    objects
        .into_iter()
        .map(|o| {
            let id = format!(
                "{} {}/{}",
                o["kind"].as_str().unwrap_or_default(),
                o["metadata"]["namespace"].as_str().unwrap_or_default(),
                o["metadata"]["name"].as_str().unwrap_or_default()
            );
            (id, o)
        })
        .collect()
}

fn compare(case: &str) {
    let root = fixtures().join(case);
    let ours = manifests::load(&root, "overlay")
        .unwrap_or_else(|e| panic!("{case}: Switchyard could not render it:\n{e}"));
    let out = Command::new(kubectl())
        .arg("kustomize")
        .arg(root.join("overlay"))
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "{case}: kubectl kustomize failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let theirs = yaml::parse_stream(&text)
        .unwrap()
        .iter()
        .map(|d| d.to_json())
        .collect::<Vec<_>>();
    let ours = by_id(ours.into_iter().map(|m| m.object));
    let theirs = by_id(theirs);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "{case}: not the same objects"
    );
    for (id, want) in &theirs {
        let got = &ours[id];
        assert!(
            got == want,
            "{case}: {id} differs\n--- Switchyard\n{}\n--- kubectl kustomize\n{}",
            serde_json::to_string_pretty(got).unwrap(),
            serde_json::to_string_pretty(want).unwrap()
        );
    }
}

#[test]
fn an_overlay_with_every_transformer_renders_as_kustomize_does() {
    compare("full");
}

#[test]
fn prefixes_at_two_levels_and_deprecated_patch_fields_render_as_kustomize_does() {
    compare("nested");
}

#[test]
fn patch_targets_by_label_selector_and_name_pattern_render_as_kustomize_does() {
    compare("targets");
}
