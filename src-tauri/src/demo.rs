//! The demo project, built into the app so a new user can see a live run
//! within a minute of the first start.

use std::path::{Path, PathBuf};

const FILES: &[(&str, &str)] = &[
    (
        "switchyard.yaml",
        include_str!("../../examples/demo/switchyard.yaml"),
    ),
    ("README.md", include_str!("../../examples/demo/README.md")),
    ("src/greet.sh", include_str!("../../examples/demo/src/greet.sh")),
    ("tests/run.sh", include_str!("../../examples/demo/tests/run.sh")),
];

/// Writes the demo project under the data dir (once) and returns its folder.
pub fn install(home: &Path) -> std::io::Result<PathBuf> {
    let dir = home.join("demo");
    for (rel, content) in FILES {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if !path.exists() {
            std::fs::write(&path, content)?;
        }
    }
    Ok(dir)
}
