//! JUnit reports written by real tools (see tests/fixtures/junit/README.md
//! for how each was made), parsed directly and through a real run.

use std::path::PathBuf;

use switchyard_engine::RunOptions;
use switchyard_engine::junit::{self, JunitError, TestOutcome};
use switchyard_engine::status::JobStatus;

use crate::support::{Env, job};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/junit")
        .join(name)
}

fn counts(name: &str) -> (usize, usize, usize, usize) {
    let bytes = std::fs::read(fixture(name)).unwrap();
    let cases = junit::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let of = |o| cases.iter().filter(|c| c.outcome == o).count();
    (
        cases.len(),
        of(TestOutcome::Passed),
        of(TestOutcome::Failed),
        of(TestOutcome::Skipped),
    )
}

fn failed(name: &str) -> Vec<(String, String)> {
    let cases = junit::parse(&std::fs::read(fixture(name)).unwrap()).unwrap();
    cases
        .into_iter()
        .filter(|c| c.outcome == TestOutcome::Failed)
        .map(|c| (c.name, c.message.unwrap_or_default()))
        .collect()
}

#[test]
fn pytest_reports() {
    assert_eq!(counts("pytest.xml"), (6, 2, 2, 2));
    assert_eq!(counts("pytest-legacy-xunit1.xml"), (6, 2, 2, 2));
    let f = failed("pytest.xml");
    assert_eq!(f[0].0, "test_division_result");
    assert_eq!(
        f[0].1,
        "AssertionError: integer division gave the wrong quotient (10 ÷ 4)"
    );
    assert_eq!(f[1].0, "test_uses_database");
    assert!(
        f[1].1.starts_with("failed on setup with \"ConnectionError"),
        "{:?}",
        f[1]
    );
}

#[test]
fn surefire_reports() {
    assert_eq!(counts("surefire.xml"), (7, 4, 2, 1));
    let names: Vec<String> = failed("surefire.xml").into_iter().map(|f| f.0).collect();
    assert_eq!(
        names,
        vec!["parseTimeoutRejectsUnits", "slugCollapsesRepeatedSpaces"]
    );
    // Re-runs: a flaky test that passed in the end passed; reruns are not extra cases.
    assert_eq!(counts("surefire-rerun-flaky.xml"), (3, 2, 1, 0));
}

#[test]
fn jest_junit_reports() {
    // jest-junit writes `test.todo` without a marker, so it reads as passed.
    assert_eq!(counts("jest-junit.xml"), (11, 5, 5, 1));
    let f = failed("jest-junit.xml");
    assert!(f.iter().any(|(n, _)| n == "parseDuration parses hours"), "{f:?}");
}

#[test]
fn nextest_reports() {
    assert_eq!(counts("nextest.xml"), (3, 2, 1, 0));
    let f = failed("nextest.xml");
    assert_eq!(f[0].0, "test_failure_assert");
    assert!(
        f[0].1.starts_with("thread '"),
        "message is the first line of the text: {:?}",
        f[0].1
    );
}

#[test]
fn malformed_files_are_errors_not_crashes() {
    let parse = |n: &str| junit::parse(&std::fs::read(fixture(n)).unwrap());
    assert!(
        matches!(
            parse("malformed-truncated.xml"),
            Err(JunitError::Malformed { .. } | JunitError::Truncated { .. })
        ),
        "{:?}",
        parse("malformed-truncated.xml")
    );
    assert_eq!(
        parse("malformed-not-junit.xml"),
        Err(JunitError::NotJunit {
            root: "project".into()
        })
    );
    assert_eq!(parse("malformed-garbage.xml"), Err(JunitError::NotText));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_are_read_after_the_job_even_when_it_fails() {
    let env = Env::new();
    for f in ["pytest.xml", "surefire.xml", "malformed-truncated.xml"] {
        env.file(
            &format!("reports/{f}"),
            &std::fs::read_to_string(fixture(f)).unwrap(),
        );
    }
    env.pipeline(
        r#"
jobs:
  test:
    steps:
      - run: exit 1
    reports:
      junit: ["reports/*.xml", "nothing/*.xml"]
"#,
    );
    let engine = env.engine().await;
    let run = env.run(&engine, RunOptions::default()).await;
    let test = job(&run, "test");
    assert_eq!(test.status, JobStatus::Failed);
    assert_eq!(
        (test.tests.passed, test.tests.failed, test.tests.skipped),
        (6, 4, 3)
    );
    assert_eq!(test.warnings.len(), 2, "{:?}", test.warnings);
    assert!(
        test.warnings[0].starts_with("JUnit report reports/malformed-truncated.xml could not be read:"),
        "{:?}",
        test.warnings
    );
    assert_eq!(test.warnings[1], "no JUnit report matched `nothing/*.xml`");
    // Failures come first, with their messages.
    let results = engine.store().test_results(test.id).await.unwrap();
    assert_eq!(results.len(), 13);
    assert!(
        results[..4]
            .iter()
            .all(|r| r.status == "failed" && r.message.is_some())
    );
}
