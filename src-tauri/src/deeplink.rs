//! The strict parser of `switchyard://` links.
//!
//! Links arrive from chat messages and other programs, so they are outside
//! input: anything that is not exactly one of the known routes is refused
//! with a reason, and no link ever performs an action by itself (an import
//! only opens the import dialog, which asks first).
//!
//! Routes: `switchyard://runs/<id>`, `switchyard://runs/<id>/jobs/<job>`
//! (optionally `#L<line>`: a line of that job's log), `switchyard://projects/<name>`,
//! `switchyard://import?path=<absolute folder>`.

use crate::dto::DeepLinkDto;

/// The scheme Switchyard registers.
pub const SCHEME: &str = "switchyard";

/// Longest link accepted.
const MAX_LEN: usize = 2048;

fn invalid(url: &str, reason: impl Into<String>) -> DeepLinkDto {
    let shown: String = url.chars().take(120).filter(|c| !c.is_control()).collect();
    DeepLinkDto::Invalid {
        url: if url.chars().count() > 120 {
            format!("{shown}…")
        } else {
            shown
        },
        reason: reason.into(),
    }
}

/// Parses a link. Never fails: a link that is not accepted comes back as
/// [`DeepLinkDto::Invalid`] with the reason.
pub fn parse(raw: &str) -> DeepLinkDto {
    if raw.len() > MAX_LEN {
        return invalid(raw, format!("the link is longer than {MAX_LEN} characters"));
    }
    let url = match url::Url::parse(raw) {
        Ok(u) => u,
        Err(e) => return invalid(raw, format!("not a valid link ({e})")),
    };
    if url.scheme() != SCHEME {
        return invalid(raw, format!("only {SCHEME}:// links are accepted"));
    }
    if url.username() != "" || url.password().is_some() || url.port().is_some() {
        return invalid(raw, "the link has parts Switchyard does not use (user or port)");
    }
    // Only a log line of a job link has a fragment: `#L<line>`.
    let line = match url.fragment() {
        None => None,
        Some(f) => match f.strip_prefix('L').and_then(|n| n.parse::<u32>().ok()) {
            Some(n) if n > 0 && !f.starts_with("L0") => Some(n),
            _ => {
                return invalid(
                    raw,
                    "the only #fragment Switchyard uses is #L<line> on a job link",
                );
            }
        },
    };
    // `switchyard://runs/12`: the route is the host, the rest is the path.
    let route = url.host_str().unwrap_or("");
    let segments: Vec<String> = url
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).map(decode).collect())
        .unwrap_or_default();
    let query: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    match route {
        "runs" => {
            if !query.is_empty() {
                return invalid(raw, "a run link takes no query parameters");
            }
            let id = match segments.first().map(|id| (id, id.parse::<i64>())) {
                Some((_, Ok(id))) if id > 0 => id,
                Some((id, _)) => return invalid(raw, format!("`{id}` is not a run id (a positive number)")),
                None => return invalid(raw, "a run link looks like switchyard://runs/<id>"),
            };
            match &segments[1..] {
                [] if line.is_none() => DeepLinkDto::Run { id },
                [jobs, job] if jobs == "jobs" && valid_job_name(job) => DeepLinkDto::RunJob {
                    id,
                    job: job.clone(),
                    line,
                },
                [jobs, job] if jobs == "jobs" => invalid(raw, format!("`{job}` is not a job name")),
                _ => invalid(
                    raw,
                    "a run link looks like switchyard://runs/<id> or switchyard://runs/<id>/jobs/<job>#L<line>",
                ),
            }
        }
        "alerts" => {
            if !query.is_empty() || line.is_some() {
                return invalid(raw, "an alerts link takes no query parameters or #fragment");
            }
            match segments.as_slice() {
                [] => DeepLinkDto::Incident { id: None },
                [id] => match id.parse::<i64>() {
                    Ok(n) if n > 0 => DeepLinkDto::Incident { id: Some(n) },
                    _ => invalid(raw, format!("`{id}` is not an incident id (a positive number)")),
                },
                _ => invalid(raw, "an alerts link looks like switchyard://alerts/<incident id>"),
            }
        }
        "deployments" => {
            if !query.is_empty() || line.is_some() {
                return invalid(raw, "a deployment link takes no query parameters or #fragment");
            }
            match segments.as_slice() {
                [] => DeepLinkDto::Deployment { id: None },
                [id] => match id.parse::<i64>() {
                    Ok(n) if n > 0 => DeepLinkDto::Deployment { id: Some(n) },
                    _ => invalid(raw, format!("`{id}` is not a deployment id (a positive number)")),
                },
                _ => invalid(raw, "a deployment link looks like switchyard://deployments/<id>"),
            }
        }
        "projects" => {
            if !query.is_empty() {
                return invalid(raw, "a project link takes no query parameters");
            }
            match segments.as_slice() {
                [name] if valid_project_name(name) => DeepLinkDto::Project { name: name.clone() },
                [name] => invalid(raw, format!("`{name}` is not a project name")),
                _ => invalid(raw, "a project link looks like switchyard://projects/<name>"),
            }
        }
        "import" => {
            if !segments.is_empty() {
                return invalid(raw, "an import link looks like switchyard://import?path=<folder>");
            }
            let paths: Vec<&String> = query
                .iter()
                .filter(|(k, _)| k == "path")
                .map(|(_, v)| v)
                .collect();
            if query.iter().any(|(k, _)| k != "path") {
                return invalid(raw, "an import link takes only the `path` parameter");
            }
            match paths.as_slice() {
                [path] => {
                    let p = std::path::Path::new(path.as_str());
                    if !p.is_absolute() {
                        invalid(raw, "the folder to import must be an absolute path")
                    } else if path.contains('\0') || path.chars().any(char::is_control) {
                        invalid(raw, "the folder path contains control characters")
                    } else if p
                        .components()
                        .any(|c| matches!(c, std::path::Component::ParentDir))
                    {
                        invalid(raw, "the folder path must not contain `..`")
                    } else {
                        DeepLinkDto::Import {
                            path: path.to_string(),
                        }
                    }
                }
                [] => invalid(raw, "an import link needs ?path=<folder>"),
                _ => invalid(raw, "an import link takes one `path`"),
            }
        }
        "" => invalid(
            raw,
            "the link names no view; use runs/<id>, projects/<name> or import?path=<folder>",
        ),
        other => invalid(
            raw,
            format!("unknown view `{other}`; use runs/<id>, projects/<name> or import?path=<folder>"),
        ),
    }
}

fn decode(segment: &str) -> String {
    url::form_urlencoded::parse(format!("x={segment}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A job name as pipelines allow it (a matrix job's name has its values in
/// parentheses): printable, no path separators, at most 200 characters.
fn valid_job_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 200
        && !name.chars().any(|c| c.is_control() || c == '/' || c == '\\')
}

fn valid_project_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name != "."
        && name != ".."
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reason(link: &str) -> String {
        match parse(link) {
            DeepLinkDto::Invalid { reason, .. } => reason,
            other => panic!("{link} was accepted as {other:?}"),
        }
    }

    #[test]
    fn an_alerts_link_only_opens_an_incident() {
        assert_eq!(
            parse("switchyard://alerts/3"),
            DeepLinkDto::Incident { id: Some(3) }
        );
        assert_eq!(parse("switchyard://alerts"), DeepLinkDto::Incident { id: None });
        assert_eq!(
            parse("switchyard://deployments/12"),
            DeepLinkDto::Deployment { id: Some(12) }
        );
        assert_eq!(
            parse("switchyard://deployments"),
            DeepLinkDto::Deployment { id: None }
        );
        assert!(matches!(
            parse("switchyard://deployments/0"),
            DeepLinkDto::Invalid { .. }
        ));
        assert!(matches!(
            parse("switchyard://deployments/3?promote=1"),
            DeepLinkDto::Invalid { .. }
        ));
        for bad in [
            "switchyard://alerts/0",
            "switchyard://alerts/x",
            "switchyard://alerts/3/ack",
            "switchyard://alerts/3?do=ack",
        ] {
            assert!(matches!(parse(bad), DeepLinkDto::Invalid { .. }), "{bad}");
        }
    }

    #[test]
    fn known_routes() {
        assert_eq!(parse("switchyard://runs/42"), DeepLinkDto::Run { id: 42 });
        assert_eq!(parse("switchyard://runs/42/"), DeepLinkDto::Run { id: 42 });
        assert_eq!(
            parse("switchyard://runs/42/jobs/test%20(py%3D3.12)#L17"),
            DeepLinkDto::RunJob {
                id: 42,
                job: "test (py=3.12)".into(),
                line: Some(17)
            }
        );
        assert_eq!(
            parse("switchyard://runs/42/jobs/lint"),
            DeepLinkDto::RunJob {
                id: 42,
                job: "lint".into(),
                line: None
            }
        );
        assert_eq!(
            parse("switchyard://projects/shop-api"),
            DeepLinkDto::Project {
                name: "shop-api".into()
            }
        );
        assert_eq!(
            parse("switchyard://import?path=%2Fhome%2Fme%2Fmy%20app"),
            DeepLinkDto::Import {
                path: "/home/me/my app".into()
            }
        );
    }

    #[test]
    fn everything_else_is_refused_with_a_reason() {
        assert!(reason("https://runs/1").contains("only switchyard://"));
        assert!(reason("switchyard://runs/abc").contains("not a run id"));
        assert!(reason("switchyard://runs/-3").contains("not a run id"));
        assert!(reason("switchyard://runs/0").contains("not a run id"));
        assert!(reason("switchyard://runs/99999999999999999999").contains("not a run id"));
        assert!(reason("switchyard://runs/1/delete").contains("switchyard://runs/<id>"));
        assert!(reason("switchyard://runs/1#L3").contains("runs/<id>/jobs/<job>#L<line>"));
        assert!(reason("switchyard://runs/1/jobs/a#x").contains("#L<line>"));
        assert!(reason("switchyard://runs/1/jobs/a#L0").contains("#L<line>"));
        assert!(reason("switchyard://runs/1/jobs/a#L-1").contains("#L<line>"));
        assert!(reason("switchyard://runs/1/jobs/a/b").contains("switchyard://runs/<id>/jobs/<job>"));
        assert!(reason("switchyard://runs/1/jobs/a%2Fb").contains("not a job name"));
        assert!(reason("switchyard://runs/1?cancel=1").contains("no query"));
        // `..` is resolved away by URL parsing, leaving no name.
        assert!(reason("switchyard://projects/..").contains("switchyard://projects/<name>"));
        assert!(reason("switchyard://projects/a%2Fb").contains("not a project name"));
        assert!(reason("switchyard://import?path=relative/dir").contains("absolute"));
        assert!(reason("switchyard://import?path=/a/../etc").contains(".."));
        assert!(reason("switchyard://import?path=/a&path=/b").contains("one `path`"));
        assert!(reason("switchyard://import?path=/a&run=1").contains("only the `path`"));
        assert!(reason("switchyard://import").contains("needs ?path"));
        assert!(reason("switchyard://deploy/prod").contains("unknown view `deploy`"));
        assert!(reason("switchyard://").contains("names no view"));
        assert!(reason("switchyard://user:pw@runs/1").contains("does not use"));
        assert!(reason("switchyard://runs:8080/1").contains("does not use"));
        assert!(reason("not a url").contains("not a valid link"));
        assert!(reason(&format!("switchyard://runs/{}", "1".repeat(3000))).contains("longer than"));
    }

    #[test]
    fn the_shown_link_is_short_and_has_no_control_characters() {
        match parse(&format!("switchyard://x/{}\u{7}", "a".repeat(500))) {
            DeepLinkDto::Invalid { url, .. } => {
                assert!(url.chars().count() <= 121);
                assert!(!url.chars().any(char::is_control));
            }
            other => panic!("{other:?}"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Any text: a known route or a refusal, never a panic.
        #[test]
        fn never_panics(s in "(?s).{0,300}") {
            let _ = parse(&s);
        }

        /// Any text after the scheme: accepted runs always have a positive id.
        #[test]
        fn accepted_links_are_well_formed(s in "[a-z/?=&%0-9.:@#-]{0,80}") {
            match parse(&format!("switchyard://{s}")) {
                DeepLinkDto::Run { id } => prop_assert!(id > 0),
                DeepLinkDto::RunJob { id, job, line } => prop_assert!(
                    id > 0 && valid_job_name(&job) && line.is_none_or(|l| l > 0)
                ),
                DeepLinkDto::Project { name } => prop_assert!(valid_project_name(&name)),
                DeepLinkDto::Incident { id } => prop_assert!(id.is_none_or(|i| i > 0)),
                DeepLinkDto::Deployment { id } => prop_assert!(id.is_none_or(|i| i > 0)),
                DeepLinkDto::Import { path } => prop_assert!(
                    path.starts_with('/')
                        && !std::path::Path::new(&path)
                            .components()
                            .any(|c| matches!(c, std::path::Component::ParentDir))
                ),
                DeepLinkDto::Invalid { reason, .. } => prop_assert!(!reason.is_empty()),
            }
        }
    }
}
