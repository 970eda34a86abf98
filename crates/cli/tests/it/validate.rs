//! `switchyard validate`: every problem, with file:line:column; never a panic.

use crate::support::Sandbox;

#[test]
fn a_valid_file_prints_its_plan() {
    let sb = Sandbox::new();
    let dir = sb.project(
        "p",
        "jobs:\n  build: {steps: [make]}\n  test: {needs: build, matrix: {os: [a, b]}, steps: [make test]}\n",
    );
    let ran = sb.run(&["validate", dir.to_str().unwrap()]).expect_code(0);
    assert_eq!(
        ran.stdout,
        format!(
            "{}/switchyard.yaml: valid\n3 jobs, 3 steps, 2 stages\n  stage 1: build\n  stage 2: test (a), test (b)\n",
            dir.display()
        )
    );
}

#[test]
fn every_problem_is_reported_with_its_position() {
    let sb = Sandbox::new();
    let dir = sb.project(
        "p",
        "jobs:\n  build:\n    stpes: [make]\n  test:\n    needs: [biuld]\n    timeout: 5\n    steps: []\n  a: {needs: b, steps: [x]}\n  b: {needs: a, steps: [x]}\n",
    );
    let file = dir.join("switchyard.yaml");
    let ran = sb.run(&["validate", file.to_str().unwrap()]).expect_code(2);
    let f = file.display();
    let expected = [
        format!("{f}:2:3: job `build` has no `steps:`; add at least one step with `run:`"),
        format!("{f}:3:5: unknown key `stpes` in job `build`; did you mean `steps`?"),
        format!("{f}:5:13: job `test` needs `biuld`, but no job has that name; did you mean `build`?"),
        format!("{f}:6:14: bad `timeout` of job `test`: `5` has no unit; write it like `5s`, `5m` or `5h`"),
        format!("{f}:7:12: `steps` of job `test` is empty; add at least one step with `run:`"),
        format!("{f}:8:14: jobs form a cycle: a -> b -> a; remove one of these `needs`"),
        format!("6 problems found in {f}"),
    ];
    let lines: Vec<&str> = ran.stderr.lines().collect();
    for e in &expected {
        assert!(
            lines.contains(&e.as_str()),
            "missing line {e:?} in:\n{}",
            ran.stderr
        );
    }
    assert!(ran.stdout.is_empty());
}

#[test]
fn yaml_syntax_errors_and_missing_files() {
    let sb = Sandbox::new();
    let dir = sb.project("p", "jobs:\n  build:\n    steps: [make\n");
    let ran = sb.run(&["validate", dir.to_str().unwrap()]).expect_code(2);
    assert!(
        ran.stderr.contains("switchyard.yaml:4:1: YAML syntax error"),
        "{}",
        ran.stderr
    );
    let ran = sb
        .run(&["validate", "/nonexistent/switchyard.yaml"])
        .expect_code(2);
    assert_eq!(
        ran.stderr,
        "error: /nonexistent/switchyard.yaml does not exist; give the path of a switchyard.yaml file or of its folder\n"
    );
}

/// Hostile inputs: each must give exit code 0 or 2 and never a panic.
#[test]
fn hostile_files_never_crash_the_validator() {
    let sb = Sandbox::new();
    let mut cases: Vec<Vec<u8>> = vec![
        b"\xff\xfe\x00garbage".to_vec(),
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00".to_vec(),
        "[".repeat(10_000).into_bytes(),
        "a:\n".repeat(5).into_bytes(),
        b"jobs: &a [*a]".to_vec(),
        b"*undefined".to_vec(),
        b"jobs:\n  a: !!binary aGVsbG8=\n".to_vec(),
        b"jobs:\n  a: !custom {}\n".to_vec(),
        b"---\njobs: {}\n---\njobs: {}\n".to_vec(),
        b"? [complex, key]\n: value\n".to_vec(),
        b"jobs:\n  a:\n    steps:\n      - run: \"\\u0000\"\n".to_vec(),
        vec![b'x'; 2 << 20],
        b"jobs:\n  \"\":\n    steps: [x]\n".to_vec(),
        b"jobs:\n  a:\n    matrix: {x: [1,2,3,4,5,6,7,8,9,10], y: [1,2,3,4,5,6,7,8,9,10], z: [1,2,3,4,5,6,7,8,9,10]}\n    steps: [x]\n".to_vec(),
    ];
    let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        laughs.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    cases.push(laughs.into_bytes());
    for (i, case) in cases.iter().enumerate() {
        let file = sb.path().join(format!("case{i}.yaml"));
        std::fs::write(&file, case).unwrap();
        let ran = sb.run(&["validate", file.to_str().unwrap()]);
        assert!(
            matches!(ran.code, Some(0) | Some(2)),
            "case {i}: exit {:?}\n{}",
            ran.code,
            ran.stderr
        );
        assert!(
            !ran.stderr.contains("panicked"),
            "case {i} panicked:\n{}",
            ran.stderr
        );
        if ran.code == Some(2) {
            let first = ran.stderr.lines().next().unwrap_or("");
            assert!(
                first.starts_with(&format!("{}:", file.display())),
                "case {i}: the first line should name the file: {first}"
            );
        }
    }
}
