//! JUnit XML reports, as written by cargo-nextest, pytest, Maven Surefire,
//! jest-junit and most other test runners.
//!
//! Only `<testcase>` elements count (the totals in suite attributes are often
//! wrong: jest leaves out todos, Surefire counts reruns once). A test case
//! with a `<failure>` or `<error>` child failed, with `<skipped>` it was
//! skipped, otherwise it passed. Re-run records (`<flakyFailure>`,
//! `<rerunFailure>`) don't change the outcome: a flaky test that passed in
//! the end passed. A file that is not a JUnit report, or not XML at all, is a
//! [`JunitError`] that names the file and the line; the engine turns it into
//! a warning on the job.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// How a test case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestOutcome {
    /// It passed.
    Passed,
    /// It failed or raised an error.
    Failed,
    /// It was skipped (or marked expected-to-fail, as pytest's xfail).
    Skipped,
}

impl TestOutcome {
    /// The name stored in the history.
    pub fn as_str(self) -> &'static str {
        match self {
            TestOutcome::Passed => "passed",
            TestOutcome::Failed => "failed",
            TestOutcome::Skipped => "skipped",
        }
    }
}

/// One test case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// The innermost suite's name.
    pub suite: Option<String>,
    /// The `classname` attribute (class, module or describe block).
    pub classname: Option<String>,
    /// The test's name.
    pub name: String,
    /// How it ended.
    pub outcome: TestOutcome,
    /// Duration in ms, when given.
    pub duration_ms: Option<i64>,
    /// The first line of the failure (or skip) message.
    pub message: Option<String>,
    /// The whole failure text (stack trace), shortened to [`MAX_DETAILS`].
    pub details: Option<String>,
}

/// Why a file could not be read as a JUnit report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JunitError {
    /// It is not UTF-8 text.
    #[error("not a text file (is it compressed?); JUnit reports are XML text")]
    NotText,
    /// It is not well-formed XML.
    #[error("malformed XML at line {line}: {reason}")]
    Malformed {
        /// Line of the problem.
        line: usize,
        /// What the XML parser said.
        reason: String,
    },
    /// It is XML, but its root is not `<testsuites>` or `<testsuite>`.
    #[error("not a JUnit report: its root element is <{root}>, expected <testsuites> or <testsuite>")]
    NotJunit {
        /// The root element found.
        root: String,
    },
    /// It has no root element at all.
    #[error("not a JUnit report: it holds no XML element")]
    Empty,
    /// It ends before its elements are closed.
    #[error("the file ends inside <{open}> (was it cut off while being written?)")]
    Truncated {
        /// The innermost element left open.
        open: String,
    },
}

/// Longest failure text kept per test case.
pub const MAX_DETAILS: usize = 16 * 1024;
/// Most test cases read from one report.
pub const MAX_CASES: usize = 200_000;

#[derive(Default)]
struct OpenCase {
    case: Option<TestCase>,
    /// Capturing text of a `<failure>`/`<error>`/`<skipped>` element.
    capture: Option<String>,
    capture_depth: usize,
}

/// Parses a JUnit XML report.
pub fn parse(bytes: &[u8]) -> Result<Vec<TestCase>, JunitError> {
    let text = std::str::from_utf8(bytes).map_err(|_| JunitError::NotText)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;

    let line_at = |pos: u64| -> usize {
        let pos = (pos as usize).min(text.len());
        text.as_bytes()[..pos].iter().filter(|&&b| b == b'\n').count() + 1
    };
    let malformed = |reader: &Reader<&[u8]>, e: quick_xml::Error| JunitError::Malformed {
        line: line_at(reader.error_position()),
        reason: e.to_string(),
    };

    let mut cases = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut suites: Vec<Option<String>> = Vec::new();
    let mut open = OpenCase::default();
    let mut saw_root = false;

    loop {
        let event = reader.read_event().map_err(|e| malformed(&reader, e))?;
        match event {
            Event::Start(e) => {
                let name = local_name(&e);
                if stack.is_empty() {
                    check_root(&name)?;
                    saw_root = true;
                }
                element_start(&e, &name, &mut suites, &mut open, stack.len());
                stack.push(name);
            }
            Event::Empty(e) => {
                let name = local_name(&e);
                if stack.is_empty() {
                    check_root(&name)?;
                    saw_root = true;
                }
                element_start(&e, &name, &mut suites, &mut open, stack.len());
                element_end(&name, &mut suites, &mut open, &mut cases, stack.len());
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                element_end(&name, &mut suites, &mut open, &mut cases, stack.len());
                if cases.len() > MAX_CASES {
                    break;
                }
            }
            Event::Text(t) => {
                if let Some(buf) = open.capture.as_mut() {
                    push_limited(buf, &t.xml10_content());
                } else if stack.is_empty() && !t.trim().is_empty() {
                    return Err(JunitError::Malformed {
                        line: line_at(reader.buffer_position()),
                        reason: "text outside of the root element".into(),
                    });
                }
            }
            Event::CData(t) => {
                if let Some(buf) = open.capture.as_mut() {
                    push_limited(buf, &t);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(buf) = open.capture.as_mut() {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => quick_xml::escape::resolve_predefined_entity(&r)
                            .unwrap_or("")
                            .to_string(),
                    };
                    push_limited(buf, &resolved);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::Comment(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(JunitError::Truncated { open: open.clone() });
    }
    if !saw_root {
        return Err(JunitError::Empty);
    }
    Ok(cases)
}

fn check_root(name: &str) -> Result<(), JunitError> {
    match name {
        "testsuites" | "testsuite" => Ok(()),
        other => Err(JunitError::NotJunit {
            root: other.to_string(),
        }),
    }
}

fn local_name(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_string()
}

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        if a.key.local_name().as_ref() == key {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        } else {
            None
        }
    })
}

fn element_start(
    e: &BytesStart<'_>,
    name: &str,
    suites: &mut Vec<Option<String>>,
    open: &mut OpenCase,
    depth: usize,
) {
    match name {
        "testsuite" => suites.push(attr(e, "name")),
        "testcase" if open.case.is_none() => {
            let duration_ms = attr(e, "time").and_then(|t| parse_seconds(&t));
            open.case = Some(TestCase {
                suite: suites.last().cloned().flatten(),
                classname: attr(e, "classname").filter(|s| !s.is_empty()),
                name: attr(e, "name").unwrap_or_else(|| "(unnamed)".into()),
                outcome: TestOutcome::Passed,
                duration_ms,
                message: None,
                details: None,
            });
        }
        "failure" | "error" | "skipped" if open.capture.is_none() => {
            let Some(case) = open.case.as_mut() else {
                return;
            };
            let outcome = if name == "skipped" {
                TestOutcome::Skipped
            } else {
                TestOutcome::Failed
            };
            // A failure wins over a skip if a report has both.
            if case.outcome != TestOutcome::Failed {
                case.outcome = outcome;
                let message = attr(e, "message").filter(|m| !m.trim().is_empty());
                case.message = message.as_deref().map(first_line);
                let mut capture = String::new();
                if let Some(m) = &message
                    && m.contains('\n')
                {
                    push_limited(&mut capture, m);
                    capture.push('\n');
                }
                open.capture = Some(capture);
                open.capture_depth = depth;
            }
        }
        _ => {}
    }
}

fn element_end(
    name: &str,
    suites: &mut Vec<Option<String>>,
    open: &mut OpenCase,
    cases: &mut Vec<TestCase>,
    depth: usize,
) {
    match name {
        "testsuite" => {
            suites.pop();
        }
        "testcase" => {
            if let Some(case) = open.case.take() {
                cases.push(case);
            }
            open.capture = None;
        }
        "failure" | "error" | "skipped" if depth == open.capture_depth => {
            if let (Some(text), Some(case)) = (open.capture.take(), open.case.as_mut()) {
                let text = text.trim();
                if !text.is_empty() {
                    if case.message.is_none() {
                        case.message = Some(first_line(text));
                    }
                    case.details = Some(text.to_string());
                }
            }
        }
        _ => {}
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    line.chars().take(500).collect()
}

fn push_limited(buf: &mut String, text: &str) {
    if buf.len() >= MAX_DETAILS {
        return;
    }
    let room = MAX_DETAILS - buf.len();
    if text.len() <= room {
        buf.push_str(text);
    } else {
        let mut end = room;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        buf.push_str(&text[..end]);
        buf.push('…');
    }
}

fn parse_seconds(t: &str) -> Option<i64> {
    let t = t.trim().replace(',', "");
    let secs: f64 = t.parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some((secs * 1000.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_report() {
        let xml = br#"<?xml version="1.0"?>
<testsuite name="s" tests="3">
  <testcase classname="c" name="ok" time="0.5"/>
  <testcase classname="c" name="bad"><failure message="expected 1&#10;got 2">trace &amp; more</failure></testcase>
  <testcase classname="c" name="skip"><skipped/></testcase>
</testsuite>"#;
        let cases = parse(xml).unwrap();
        assert_eq!(cases.len(), 3);
        assert_eq!(cases[0].outcome, TestOutcome::Passed);
        assert_eq!(cases[0].duration_ms, Some(500));
        assert_eq!(cases[1].outcome, TestOutcome::Failed);
        assert_eq!(cases[1].message.as_deref(), Some("expected 1"));
        assert!(cases[1].details.as_deref().unwrap().contains("trace & more"));
        assert_eq!(cases[2].outcome, TestOutcome::Skipped);
        assert_eq!(cases[2].suite.as_deref(), Some("s"));
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(parse(b"\x1f\x8b\x08\x00\xff\xfe"), Err(JunitError::NotText));
        assert!(matches!(
            parse(b"<html><body/></html>"),
            Err(JunitError::NotJunit { .. })
        ));
        assert_eq!(parse(b""), Err(JunitError::Empty));
        assert!(matches!(
            parse(b"<testsuite><testcase name=\"a\">"),
            Err(JunitError::Truncated { .. })
        ));
        assert!(matches!(
            parse(b"<testsuite></testcase>"),
            Err(JunitError::Malformed { .. })
        ));
    }
}
