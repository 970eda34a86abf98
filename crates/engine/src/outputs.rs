//! Job outputs: values a job hands to the jobs that need it, such as the
//! image a build pushed. A step appends `name=value` lines (or
//! `name<<DELIMITER` ... `DELIMITER` for several lines, as GitHub Actions
//! reads `$GITHUB_OUTPUT`) to the file named by `SWITCHYARD_OUTPUT`; when
//! the job succeeds, its runner hands the file back, and the outputs are
//! kept with the job. A deploy job names one in its `images` as
//! `${{ needs.<job>.outputs.<name> }}`.
//!
//! Outputs come from a file, never from the log, so nothing a step merely
//! prints (a test echoing untrusted text) can set one.

use std::collections::BTreeMap;

/// Most bytes of outputs one job may write.
pub const MAX_BYTES: usize = 64 * 1024;
/// Most outputs of one job.
pub const MAX_OUTPUTS: usize = 100;

/// Whether `name` can name an output: a letter or `_`, then letters,
/// digits, `_` and `-` (at most 64).
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Reads the output file's content. A later line for the same name wins,
/// as it does on GitHub.
pub fn parse(bytes: &[u8]) -> Result<BTreeMap<String, String>, String> {
    if bytes.len() > MAX_BYTES {
        return Err(format!(
            "the outputs are {} bytes; a job may write at most {} KiB to $SWITCHYARD_OUTPUT (keep large data in artifacts)",
            bytes.len(),
            MAX_BYTES / 1024
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "the outputs are not UTF-8 text".to_string())?;
    let mut out = BTreeMap::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let (name, value) = if let Some((name, delimiter)) = line.split_once("<<") {
            let delimiter = delimiter.trim();
            if delimiter.is_empty() {
                return Err(format!(
                    "line {} of the outputs: `{name}<<` needs a delimiter, as in `{name}<<EOF`",
                    n + 1
                ));
            }
            let mut value: Vec<&str> = Vec::new();
            let mut closed = false;
            for (_, l) in lines.by_ref() {
                if l.strip_suffix('\r').unwrap_or(l) == delimiter {
                    closed = true;
                    break;
                }
                value.push(l);
            }
            if !closed {
                return Err(format!(
                    "line {} of the outputs: `{name}` is never closed by a line `{delimiter}`",
                    n + 1
                ));
            }
            (name, value.join("\n"))
        } else if let Some((name, value)) = line.split_once('=') {
            (name, value.to_string())
        } else {
            return Err(format!(
                "line {} of the outputs is not `name=value` or `name<<DELIMITER`: `{}`",
                n + 1,
                shorten(line)
            ));
        };
        if !valid_name(name) {
            return Err(format!(
                "line {} of the outputs: `{}` is not an output name (a letter or `_`, then letters, digits, `_` and `-`)",
                n + 1,
                shorten(name)
            ));
        }
        out.insert(name.to_string(), value);
        if out.len() > MAX_OUTPUTS {
            return Err(format!("a job may have at most {MAX_OUTPUTS} outputs"));
        }
    }
    Ok(out)
}

fn shorten(text: &str) -> String {
    let mut s: String = text.chars().take(60).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

/// A `${{ needs.<job>.outputs.<name> }}` in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The job that writes it.
    pub job: String,
    /// The output's name.
    pub name: String,
}

/// Replaces every `${{ needs.<job>.outputs.<name> }}` in `text` with what
/// `lookup` gives; anything else in `${{ }}` is an error, as is an output
/// `lookup` does not have (its message says what to do).
pub fn expand(
    text: &str,
    mut lookup: impl FnMut(&Reference) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else {
            return Err(format!(
                "`{}` opens `${{{{` and never closes it with `}}}}`",
                shorten(text)
            ));
        };
        let r = reference(after[..end].trim())?;
        out.push_str(&lookup(&r)?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The references in `text`, or why one is not a reference.
pub fn references(text: &str) -> Result<Vec<Reference>, String> {
    let mut found = Vec::new();
    expand(text, |r| {
        found.push(r.clone());
        Ok(String::new())
    })?;
    Ok(found)
}

fn reference(expr: &str) -> Result<Reference, String> {
    let parts: Vec<&str> = expr.split('.').map(str::trim).collect();
    match parts.as_slice() {
        ["needs", job, "outputs", name] if !job.is_empty() && valid_name(name) => Ok(Reference {
            job: (*job).to_string(),
            name: (*name).to_string(),
        }),
        _ => Err(format!(
            "`${{{{ {expr} }}}}` is not an output reference; write `${{{{ needs.<job>.outputs.<name> }}}}`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_delimited_blocks_are_read_and_the_last_wins() {
        let out = parse(b"image=registry.local/acme/web:1.4\nnotes<<EOF\none\ntwo=2\nEOF\n\nimage=registry.local/acme/web:1.5\r\nempty=\n").unwrap();
        assert_eq!(out["image"], "registry.local/acme/web:1.5");
        assert_eq!(out["notes"], "one\ntwo=2");
        assert_eq!(out["empty"], "");
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn malformed_outputs_say_which_line_and_what_to_write() {
        let e = parse(b"ok=1\njust text\n").unwrap_err();
        assert!(e.starts_with("line 2 of the outputs is not `name=value`"), "{e}");
        let e = parse(b"9lives=1\n").unwrap_err();
        assert!(e.contains("`9lives` is not an output name"), "{e}");
        let e = parse(b"notes<<EOF\nnever closed\n").unwrap_err();
        assert!(e.contains("`notes` is never closed by a line `EOF`"), "{e}");
        assert!(
            parse(&vec![b'a'; MAX_BYTES + 1])
                .unwrap_err()
                .contains("at most 64 KiB")
        );
        assert!(parse(&[0xff, b'=', b'1']).unwrap_err().contains("not UTF-8"));
    }

    #[test]
    fn references_are_expanded_and_anything_else_is_an_error() {
        let got = expand("registry.local/acme/web:${{ needs.build.outputs.tag }}", |r| {
            assert_eq!((r.job.as_str(), r.name.as_str()), ("build", "tag"));
            Ok("1.4".into())
        })
        .unwrap();
        assert_eq!(got, "registry.local/acme/web:1.4");
        assert!(
            expand("${{ matrix.os }}", |_| Ok(String::new()))
                .unwrap_err()
                .contains("write `${{ needs.<job>.outputs.<name> }}`")
        );
        assert!(expand("x:${{ needs.b.outputs.t", |_| Ok(String::new())).is_err());
        assert_eq!(
            references("${{needs.a.outputs.x}}/${{ needs.b.outputs.y }}").unwrap(),
            [
                Reference {
                    job: "a".into(),
                    name: "x".into()
                },
                Reference {
                    job: "b".into(),
                    name: "y".into()
                }
            ]
        );
    }
}
