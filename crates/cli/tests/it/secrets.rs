//! Secrets in the OS keyring, through the real binary and a real Secret
//! Service (gnome-keyring in a private D-Bus session: tests/keyring/session,
//! which the test command uses).

use std::path::Path;

use crate::support::Sandbox;

/// Refuses to run against whatever keyring the developer's session has.
pub(crate) fn require_test_keyring() {
    assert!(
        std::env::var_os("SWITCHYARD_TEST_KEYRING").is_some(),
        "SWITCHYARD_TEST_KEYRING is not set. These tests store secrets in a real Secret Service; \
         run them in a private one: tests/keyring/session cargo test -p switchyard-cli"
    );
}

/// A name no other test (nor an earlier run) uses in the shared keyring.
pub(crate) fn unique(base: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{base}_{}_{nanos}", std::process::id())
}

#[test]
fn secrets_are_set_listed_rotated_and_removed_in_the_keyring() {
    require_test_keyring();
    let sb = Sandbox::new();
    let name = unique("CLI_TOKEN");
    let dir = sb.project("vault", "jobs:\n  a: {steps: [true]}\n");
    sb.run(&["import", dir.to_str().unwrap()]).expect_code(0);

    sb.run_stdin(&["secrets", "set", &name], "first-value\n")
        .expect_code(0)
        .stderr_has(&format!("stored secret {name} (global)"));
    let list = sb.run(&["secrets", "list", "--json"]).expect_code(0).json();
    let global = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name.as_str())
        .unwrap_or_else(|| panic!("{name} not listed: {list}"))
        .clone();
    assert_eq!(global["scope"], "global");
    assert_eq!(global["rotations"], 0);
    assert!(
        global["updated_at"].as_str().unwrap().starts_with("20"),
        "{global}"
    );
    assert!(!list.to_string().contains("first-value"));

    // Setting it again is a rotation.
    sb.run_stdin(&["secrets", "set", &name], "second-value")
        .expect_code(0)
        .stderr_has("rotated");
    // A project's secret of the same name is its own item.
    sb.run_stdin(&["secrets", "set", &name, "--project", "vault"], "project-value")
        .expect_code(0)
        .stderr_has("(project vault)");
    let list = sb.run(&["secrets", "list", "--json"]).expect_code(0).json();
    let mine: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == name.as_str())
        .collect();
    assert_eq!(mine.len(), 2, "{list}");
    assert_eq!(
        mine.iter().find(|s| s["scope"] == "global").unwrap()["rotations"],
        1
    );
    assert_eq!(
        mine.iter().find(|s| s["scope"] == "project").unwrap()["project"],
        "vault"
    );
    let table = sb.run(&["secrets", "list"]).expect_code(0);
    table.stdout_has(&name).stdout_has("vault");
    assert!(!table.stdout.contains("value"), "{}", table.stdout);

    // Bad input: exit 2, nothing stored.
    sb.run_stdin(&["secrets", "set", "9_BAD"], "v")
        .expect_code(2)
        .stderr_has("not a valid secret name");
    sb.run_stdin(&["secrets", "set", &name, "--project", "nope"], "v")
        .expect_code(2)
        .stderr_has("no project named `nope`");
    sb.run_stdin(&["secrets", "set", &name], "")
        .expect_code(2)
        .stderr_has("no value");

    sb.run(&["secrets", "rm", &name]).expect_code(0);
    sb.run(&["secrets", "rm", &name])
        .expect_code(1)
        .stderr_has("no global secret");
    sb.run(&["secrets", "rm", &name, "--project", "vault"])
        .expect_code(0);
    let list = sb.run(&["secrets", "list", "--json"]).expect_code(0).json();
    assert!(!list.to_string().contains(&name), "{list}");
}

/// Every file under `dir` whose bytes hold `needle`.
fn files_holding(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path)
                && bytes.windows(needle.len()).any(|w| w == needle)
            {
                hits.push(path.display().to_string());
            }
        }
    }
    hits
}

#[test]
fn secrets_from_every_source_reach_the_job_and_no_file_or_output() {
    require_test_keyring();
    let sb = Sandbox::new();
    let seen = sb.path().join("seen");
    std::fs::create_dir_all(&seen).unwrap();
    let (from_env, from_project, from_global) =
        (unique("LEAK_ENV"), unique("LEAK_PROJECT"), unique("LEAK_GLOBAL"));
    let values = [
        format!("env-v4lue-{}", std::process::id()),
        format!("pr0ject-v4lue-{}", std::process::id()),
        format!("gl0bal-v4lue-{}", std::process::id()),
    ];
    let pipeline = format!(
        "name: leaky\njobs:\n  deploy:\n    secrets: [{from_env}, {from_project}, {from_global}]\n    env: {{OUT: '{out}'}}\n    steps:\n      - run: |\n          echo \"env=${from_env} project=${from_project} global=${from_global}\"\n          printf '%s' \"${from_env}\" > \"$OUT/env\"\n          printf '%s' \"${from_project}\" > \"$OUT/project\"\n          printf '%s' \"${from_global}\" > \"$OUT/global\"\n",
        out = seen.display()
    );
    let dir = sb.project("leaky", &pipeline);
    // Config the app would write, to be searched too.
    std::fs::create_dir_all(&sb.home).unwrap();
    std::fs::write(sb.home.join("config.toml"), "[desktop]\ntheme = \"dark\"\n").unwrap();
    let mut outputs = Vec::new();
    outputs.push(sb.run(&["import", dir.to_str().unwrap()]).expect_code(0));
    outputs.push(
        sb.run_stdin(
            &["secrets", "set", &from_project, "--project", "leaky"],
            &values[1],
        )
        .expect_code(0),
    );
    outputs.push(
        sb.run_stdin(&["secrets", "set", &from_global], &format!("{}\n", values[2]))
            .expect_code(0),
    );
    // A global secret of the project secret's name is shadowed by it.
    outputs.push(
        sb.run_stdin(&["secrets", "set", &from_project], "shadowed-global")
            .expect_code(0),
    );

    let mut cmd = sb.command(&["run", "leaky", "--json"]);
    cmd.env(format!("SWITCHYARD_SECRET_{from_env}"), &values[0]);
    outputs.push(sb.run_with(cmd, &["run", "leaky", "--json"]).expect_code(0));
    for (file, value) in [
        ("env", &values[0]),
        ("project", &values[1]),
        ("global", &values[2]),
    ] {
        assert_eq!(
            &std::fs::read_to_string(seen.join(file)).unwrap(),
            value,
            "the job's {file} secret"
        );
    }
    let logs = sb.run(&["logs", "1"]).expect_code(0);
    assert_eq!(logs.stdout, "env=*** project=*** global=***\n");
    outputs.push(logs);
    outputs.push(sb.run(&["show", "1", "--json"]).expect_code(0));
    outputs.push(sb.run(&["secrets", "list", "--json"]).expect_code(0));
    outputs.push(sb.run(&["secrets", "list"]).expect_code(0));

    for value in &values {
        let hits = files_holding(&sb.home, value.as_bytes());
        assert!(hits.is_empty(), "a secret value was written to {hits:?}");
        for out in &outputs {
            assert!(
                !out.stdout.contains(value.as_str()) && !out.stderr.contains(value.as_str()),
                "a secret value reached the output of {}",
                out.cmd
            );
        }
    }
    assert!(sb.home.join("switchyard.db").exists());
    for name in [&from_project, &from_global] {
        sb.run(&["secrets", "rm", name]).expect_code(0);
    }
    sb.run(&["secrets", "rm", &from_project, "--project", "leaky"])
        .expect_code(0);
}
