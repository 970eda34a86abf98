//! Starter pipelines for projects that have none yet, chosen from the files
//! that say which stack the project uses.
//!
//! The proposal is a plain `switchyard.yaml` the user can review, edit and
//! save; nothing is written without them. Each starter builds and tests the
//! way the stack's own tools expect, and reads the JUnit reports those tools
//! can write.

use std::path::Path;

/// A proposed pipeline.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Starter {
    /// The stack it was chosen for, e.g. `Rust (Cargo)`.
    pub stack: String,
    /// The file that told (e.g. `Cargo.toml`).
    pub detected_from: String,
    /// The pipeline text.
    pub yaml: String,
}

/// Proposes a pipeline for the project in `dir`, from the first stack file
/// found (Cargo.toml, package.json, go.mod, pyproject.toml, pom.xml,
/// Makefile), or `None` when none is there.
pub fn detect(dir: &Path) -> Option<Starter> {
    let name = crate::pipeline::name_from_folder(dir);
    let has = |f: &str| dir.join(f).is_file();
    let (stack, from, jobs) = if has("Cargo.toml") {
        ("Rust (Cargo)", "Cargo.toml", CARGO.to_string())
    } else if has("package.json") {
        ("Node.js (npm)", "package.json", node_jobs(dir))
    } else if has("go.mod") {
        ("Go modules", "go.mod", GO.to_string())
    } else if has("pyproject.toml") {
        ("Python (pyproject)", "pyproject.toml", PYTHON.to_string())
    } else if has("pom.xml") {
        ("Java (Maven)", "pom.xml", MAVEN.to_string())
    } else if has("Makefile") {
        ("Make", "Makefile", MAKE.to_string())
    } else {
        return None;
    };
    Some(Starter {
        stack: stack.into(),
        detected_from: from.into(),
        yaml: format!(
            "# Starter pipeline proposed by Switchyard for a {stack} project (from {from}).\n\
             # Edit it freely; see docs/pipeline-format.md for every option.\n\
             name: {name}\n\njobs:\n{jobs}"
        ),
    })
}

fn node_jobs(dir: &Path) -> String {
    // Use the scripts the project defines; don't invent ones it lacks.
    let scripts: Vec<String> = std::fs::read_to_string(dir.join("package.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| {
            v.get("scripts")
                .and_then(|s| s.as_object())
                .map(|o| o.keys().cloned().collect())
        })
        .unwrap_or_default();
    let install = if dir.join("package-lock.json").is_file() {
        "npm ci"
    } else {
        "npm install"
    };
    let mut out = format!("  install:\n    steps:\n      - run: {install}\n");
    for (script, job) in [("lint", "lint"), ("build", "build"), ("test", "test")] {
        if scripts.iter().any(|s| s == script) {
            out.push_str(&format!(
                "  {job}:\n    needs: install\n    steps:\n      - run: npm run {script}\n"
            ));
        }
    }
    out
}

const CARGO: &str = "  build:
    steps:
      - run: cargo build --locked --all-targets
  test:
    needs: build
    timeout: 30m
    steps:
      - run: cargo test --locked
  lint:
    steps:
      - run: cargo fmt --check
      - run: cargo clippy --all-targets -- -D warnings
";

const GO: &str = "  build:
    steps:
      - run: go build ./...
  test:
    needs: build
    timeout: 20m
    steps:
      - run: go test ./...
  vet:
    steps:
      - run: go vet ./...
";

const PYTHON: &str = "  test:
    timeout: 20m
    steps:
      - name: install
        run: python3 -m venv .venv && .venv/bin/pip install -e . pytest
      - name: pytest
        run: .venv/bin/python -m pytest --junitxml=reports/pytest.xml
    reports:
      junit: reports/pytest.xml
";

const MAVEN: &str = "  verify:
    timeout: 30m
    steps:
      - run: mvn -B verify
    reports:
      junit: \"**/target/surefire-reports/TEST-*.xml\"
    artifacts: \"**/target/*.jar\"
";

const MAKE: &str = "  build:
    steps:
      - run: make
  test:
    needs: build
    steps:
      - run: make test
";

#[cfg(test)]
mod tests {
    use super::*;

    fn propose(files: &[(&str, &str)]) -> Option<Starter> {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("my shop");
        std::fs::create_dir_all(&project).unwrap();
        for (name, content) in files {
            std::fs::write(project.join(name), content).unwrap();
        }
        detect(&project)
    }

    /// Every starter must be a valid pipeline: the user saves it as it is.
    #[test]
    fn every_starter_is_a_valid_pipeline() {
        let cases: &[&[(&str, &str)]] = &[
            &[("Cargo.toml", "[package]")],
            &[(
                "package.json",
                r#"{"scripts": {"test": "jest", "lint": "eslint ."}}"#,
            )],
            &[("package.json", "not json")],
            &[("go.mod", "module x")],
            &[("pyproject.toml", "[project]")],
            &[("pom.xml", "<project/>")],
            &[("Makefile", "all:")],
        ];
        for files in cases {
            let s = propose(files).unwrap_or_else(|| panic!("no starter for {files:?}"));
            let p = crate::pipeline::load(Path::new("starter.yaml"), &s.yaml)
                .unwrap_or_else(|e| panic!("starter for {} is invalid:\n{}\n{e}", s.stack, s.yaml));
            assert_eq!(p.name.as_deref(), Some("my-shop"));
        }
    }

    #[test]
    fn node_uses_only_scripts_the_project_has() {
        let s = propose(&[
            ("package.json", r#"{"scripts": {"test": "vitest"}}"#),
            ("package-lock.json", "{}"),
        ])
        .unwrap();
        assert!(s.yaml.contains("npm ci"));
        assert!(s.yaml.contains("npm run test"));
        assert!(!s.yaml.contains("npm run lint"));
    }

    #[test]
    fn nothing_to_go_on_means_no_proposal() {
        assert_eq!(propose(&[("README.md", "hi")]), None);
    }
}
