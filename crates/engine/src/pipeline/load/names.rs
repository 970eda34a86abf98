//! The rules of names and values the loader (and other modules) check:
//! job, project and environment names, Kubernetes names and quantities,
//! runner names, paths; and the did-you-mean of unknown keys.

use super::super::*;
use super::*;

pub(super) fn parse_runner(text: &str) -> Result<RunnerRef, String> {
    text.parse().map_err(|e: super::super::UnknownRunner| e.0)
}

pub(super) fn check_relative(path: &str) -> Result<(), &'static str> {
    let p = Path::new(path);
    if p.is_absolute() || path.starts_with('~') {
        return Err("must be relative to the workspace, not absolute");
    }
    if p.components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err("must stay inside the workspace (no `..`)");
    }
    Ok(())
}

/// The first line of a script, shortened, as a step's default name.
pub(super) fn default_step_name(run: &str) -> String {
    let line = run
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("step");
    let mut name: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        name.push('…');
    }
    name
}

pub(crate) fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(crate) fn is_job_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Project names share the rules of job names.
pub(crate) fn is_project_name(s: &str) -> bool {
    is_job_name(s)
}

/// The closest candidate, if it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (input.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(input, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// A DNS-1123 subdomain: the names of most Kubernetes objects.
pub(crate) fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// A label value (also the name part of a qualified name).
pub(crate) fn is_label_value(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && s.as_bytes()[0].is_ascii_alphanumeric()
            && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric())
}

/// A qualified name (`[prefix/]name`): label keys, taint keys, resource names.
pub(crate) fn is_qualified_name(s: &str) -> bool {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    !name.is_empty() && is_label_value(name) && prefix.is_none_or(is_dns_subdomain)
}

/// A Kubernetes resource quantity: a decimal number with an optional binary
/// (`Ki` ... `Ei`) or decimal (`m`, `k`, `M` ... `E`) suffix, or an exponent.
pub(crate) fn is_quantity(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(digits_end);
    let number_ok = !number.is_empty()
        && number != "."
        && number.matches('.').count() <= 1
        && number.bytes().any(|b| b.is_ascii_digit());
    let suffix_ok = matches!(
        suffix,
        "" | "m" | "k" | "M" | "G" | "T" | "P" | "E" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"
    ) || (suffix.len() > 1
        && matches!(suffix.as_bytes()[0], b'e' | b'E')
        && suffix[1..]
            .strip_prefix(['+', '-'])
            .unwrap_or(&suffix[1..])
            .bytes()
            .all(|b| b.is_ascii_digit())
        && !suffix[1..]
            .strip_prefix(['+', '-'])
            .unwrap_or(&suffix[1..])
            .is_empty());
    number_ok && suffix_ok
}
