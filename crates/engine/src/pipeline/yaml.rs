//! A small YAML tree that remembers where every node came from.
//!
//! Pipeline errors must point at file, line and column, so the pipeline loader
//! works on this tree rather than on a serde model. It is built from the event
//! stream of `saphyr-parser` (a maintained, YAML 1.2 parser); anchors, aliases
//! and `<<` merge keys are resolved here, and every oddity the loader cannot
//! represent (several documents, tags, non-scalar keys) becomes a positioned
//! [`YamlError`] instead of a panic.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// A 1-based line and column in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// Line, counting from 1.
    pub line: usize,
    /// Column in characters, counting from 1.
    pub column: usize,
}

impl Pos {
    fn from_span(span: &Span) -> Pos {
        Pos {
            line: span.start.line().max(1),
            column: span.start.col() + 1,
        }
    }
}

/// One YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node starts.
    pub pos: Pos,
    /// What the node holds.
    pub value: Value,
}

/// The content of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null` or nothing at all.
    Null,
    /// Any other scalar, as written (numbers and booleans stay text; the
    /// loader interprets them where it expects them).
    Scalar {
        /// The scalar's text.
        text: String,
        /// Whether it was quoted (a quoted `"true"` is a string, not a flag).
        quoted: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order; duplicate keys are kept so the loader can
    /// report them.
    Map(Vec<(Key, Node)>),
}

/// A mapping key and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key's text.
    pub text: String,
    /// Where the key starts.
    pub pos: Pos,
}

/// Why the text is not YAML this loader accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// Where the problem is.
    pub pos: Pos,
    /// What is wrong, in words.
    pub message: String,
}

impl Node {
    /// A short name of the node's kind, for "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "nothing",
            Value::Scalar { .. } => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Nesting limit: deeper documents are rejected rather than risking the stack.
const MAX_DEPTH: usize = 256;
/// Upper bound on nodes created through aliases ("billion laughs" guard).
const MAX_ALIAS_NODES: usize = 100_000;

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        pending_key: Option<Key>,
    },
}

/// Parses one YAML document. An empty document yields a `Null` node.
pub fn parse(src: &str) -> Result<Node, YamlError> {
    let mut docs = parse_documents(src, false)?;
    Ok(docs.pop().unwrap_or(Node {
        pos: Pos { line: 1, column: 1 },
        value: Value::Null,
    }))
}

/// Parses every document of a YAML stream (`---` between them), as
/// Kubernetes manifests are written. Empty documents are left out.
pub fn parse_stream(src: &str) -> Result<Vec<Node>, YamlError> {
    Ok(parse_documents(src, true)?
        .into_iter()
        .filter(|n| !matches!(n.value, Value::Null))
        .collect())
}

fn parse_documents(src: &str, several: bool) -> Result<Vec<Node>, YamlError> {
    let mut parser = Parser::new_from_str(src);
    let mut done: Vec<Node> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut alias_nodes = 0usize;
    let mut root: Option<Node> = None;
    let mut documents = 0usize;

    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(ev)) => ev,
            Some(Err(e)) => {
                let m = e.marker();
                return Err(YamlError {
                    pos: Pos {
                        line: m.line().max(1),
                        column: m.col() + 1,
                    },
                    message: format!("YAML syntax error: {}", e.info()),
                });
            }
        };
        let pos = Pos::from_span(&span);
        let node = match event {
            Event::Nothing | Event::StreamStart | Event::DocumentEnd => continue,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                documents += 1;
                if several {
                    if let Some(r) = root.take() {
                        done.push(r);
                    }
                    continue;
                }
                if documents > 1 {
                    return Err(YamlError {
                        pos,
                        message: "a pipeline file holds one YAML document; remove the extra `---` document"
                            .into(),
                    });
                }
                continue;
            }
            Event::Alias(id) => {
                let Some(target) = anchors.get(&id) else {
                    return Err(YamlError {
                        pos,
                        message: "alias refers to an anchor that is not defined before it".into(),
                    });
                };
                alias_nodes += count_nodes(target);
                if alias_nodes > MAX_ALIAS_NODES {
                    return Err(YamlError {
                        pos,
                        message: "aliases expand to too many nodes; the file is too large to be a pipeline"
                            .into(),
                    });
                }
                let mut node = target.clone();
                node.pos = pos;
                node
            }
            Event::Scalar(text, style, anchor, tag) => {
                check_tag(tag.as_deref(), pos)?;
                let quoted = !matches!(style, ScalarStyle::Plain);
                let value = if !quoted && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL") {
                    Value::Null
                } else {
                    Value::Scalar {
                        text: text.into_owned(),
                        quoted,
                    }
                };
                let node = Node { pos, value };
                if anchor != 0 {
                    anchors.insert(anchor, node.clone());
                }
                node
            }
            Event::SequenceStart(anchor, tag) => {
                check_tag(tag.as_deref(), pos)?;
                check_depth(stack.len(), pos)?;
                stack.push(Frame::Seq {
                    pos,
                    anchor,
                    items: Vec::new(),
                });
                continue;
            }
            Event::MappingStart(anchor, tag) => {
                check_tag(tag.as_deref(), pos)?;
                check_depth(stack.len(), pos)?;
                stack.push(Frame::Map {
                    pos,
                    anchor,
                    entries: Vec::new(),
                    pending_key: None,
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = stack.pop() else {
                    return Err(YamlError {
                        pos,
                        message: "unbalanced YAML structure".into(),
                    });
                };
                let (node, anchor) = match frame {
                    Frame::Seq { pos, anchor, items } => (
                        Node {
                            pos,
                            value: Value::Seq(items),
                        },
                        anchor,
                    ),
                    Frame::Map {
                        pos, anchor, entries, ..
                    } => (
                        Node {
                            pos,
                            value: Value::Map(apply_merge_keys(entries)?),
                        },
                        anchor,
                    ),
                };
                if anchor != 0 {
                    anchors.insert(anchor, node.clone());
                }
                node
            }
        };
        // Attach the finished node to its parent.
        match stack.last_mut() {
            None => {
                if root.is_some() {
                    return Err(YamlError {
                        pos: node.pos,
                        message: "a pipeline file holds one YAML document".into(),
                    });
                }
                root = Some(node);
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries, pending_key, ..
            }) => match pending_key.take() {
                Some(key) => entries.push((key, node)),
                None => match node.value {
                    Value::Scalar { text, .. } => *pending_key = Some(Key { text, pos: node.pos }),
                    Value::Null => {
                        *pending_key = Some(Key {
                            text: String::new(),
                            pos: node.pos,
                        })
                    }
                    _ => {
                        return Err(YamlError {
                            pos: node.pos,
                            message: "mapping keys must be plain text, not lists or mappings".into(),
                        });
                    }
                },
            },
        }
    }
    if !stack.is_empty() {
        return Err(YamlError {
            pos: Pos::default(),
            message: "the YAML document ends in the middle of a structure".into(),
        });
    }
    if let Some(r) = root {
        done.push(r);
    }
    Ok(done)
}

impl Node {
    /// The node as JSON, with plain scalars typed by the YAML 1.2 core
    /// schema (`true`, `42`, `1.5` are a boolean and numbers; quoted, text),
    /// as `kubectl` reads manifests.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Scalar { text, quoted: true } => J::String(text.clone()),
            Value::Scalar { text, quoted: false } => plain_scalar(text),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                let mut m = serde_json::Map::new();
                for (k, v) in entries {
                    m.insert(k.text.clone(), v.to_json());
                }
                J::Object(m)
            }
        }
    }
}

/// A plain scalar under the YAML 1.2 core schema.
fn plain_scalar(text: &str) -> serde_json::Value {
    use serde_json::Value as J;
    match text {
        "true" | "True" | "TRUE" => return J::Bool(true),
        "false" | "False" | "FALSE" => return J::Bool(false),
        _ => {}
    }
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    let signed = text.strip_prefix(['-', '+']).unwrap_or(text);
    let integer = if digits(signed, 10) {
        text.parse::<i64>().ok()
    } else if let Some(h) = text.strip_prefix("0x").filter(|h| digits(h, 16)) {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = text.strip_prefix("0o").filter(|o| digits(o, 8)) {
        i64::from_str_radix(o, 8).ok()
    } else {
        None
    };
    if let Some(n) = integer {
        return J::from(n);
    }
    let float_chars = |s: &str| {
        s.chars().any(|c| c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
    };
    if float_chars(signed)
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = serde_json::Number::from_f64(f)
    {
        return J::Number(n);
    }
    J::String(text.to_string())
}

fn check_tag(tag: Option<&saphyr_parser::Tag>, pos: Pos) -> Result<(), YamlError> {
    match tag {
        Some(tag) if !tag.is_yaml_core_schema() => Err(YamlError {
            pos,
            message: format!(
                "YAML tag `{}{}` is not supported here; remove it",
                tag.handle, tag.suffix
            ),
        }),
        _ => Ok(()),
    }
}

fn check_depth(depth: usize, pos: Pos) -> Result<(), YamlError> {
    if depth >= MAX_DEPTH {
        return Err(YamlError {
            pos,
            message: format!("the YAML nests deeper than {MAX_DEPTH} levels"),
        });
    }
    Ok(())
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(entries) => entries.iter().map(|(_, v)| count_nodes(v)).sum(),
        _ => 0,
    }
}

/// Resolves YAML merge keys (`<<: *defaults`, or a list of them): the merged
/// mappings' entries are added unless the mapping sets the key itself.
fn apply_merge_keys(entries: Vec<(Key, Node)>) -> Result<Vec<(Key, Node)>, YamlError> {
    if !entries.iter().any(|(k, _)| k.text == "<<") {
        return Ok(entries);
    }
    let mut own = Vec::with_capacity(entries.len());
    let mut merged: Vec<(Key, Node)> = Vec::new();
    for (key, value) in entries {
        if key.text != "<<" {
            own.push((key, value));
            continue;
        }
        let sources = match value.value {
            Value::Map(m) => vec![m],
            Value::Seq(items) => {
                let mut maps = Vec::new();
                for item in items {
                    match item.value {
                        Value::Map(m) => maps.push(m),
                        _ => {
                            return Err(YamlError {
                                pos: item.pos,
                                message: "a `<<` merge list may only hold mappings".into(),
                            });
                        }
                    }
                }
                maps
            }
            _ => {
                return Err(YamlError {
                    pos: value.pos,
                    message: "`<<` merges a mapping (usually an alias like `*defaults`) into this one".into(),
                });
            }
        };
        for source in sources {
            for (k, v) in source {
                if !merged.iter().any(|(m, _)| m.text == k.text) {
                    merged.push((k, v));
                }
            }
        }
    }
    for (k, v) in merged {
        if !own.iter().any(|(o, _)| o.text == k.text) {
            own.push((k, v));
        }
    }
    Ok(own)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_keys(node: &Node) -> Vec<&str> {
        match &node.value {
            Value::Map(m) => m.iter().map(|(k, _)| k.text.as_str()).collect(),
            _ => panic!("not a map"),
        }
    }

    #[test]
    fn positions_are_one_based() {
        let node = parse("a: 1\nb:\n  - x\n").unwrap();
        let Value::Map(entries) = &node.value else {
            panic!()
        };
        assert_eq!(entries[1].0.pos, Pos { line: 2, column: 1 });
        let Value::Seq(items) = &entries[1].1.value else {
            panic!()
        };
        assert_eq!(items[0].pos, Pos { line: 3, column: 5 });
    }

    #[test]
    fn aliases_and_merge_keys_resolve() {
        let node = parse("base: &b {x: 1, y: 2}\njob:\n  <<: *b\n  y: 3\n").unwrap();
        let Value::Map(entries) = &node.value else {
            panic!()
        };
        assert_eq!(map_keys(&entries[1].1), vec!["y", "x"]);
    }

    #[test]
    fn second_document_is_an_error() {
        let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(err.pos.line, 2);
    }

    #[test]
    fn syntax_error_has_position() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.message.starts_with("YAML syntax error"), "{err:?}");
        assert!(err.pos.line >= 1);
    }

    #[test]
    fn a_stream_holds_every_document() {
        let docs = parse_stream("---\na: 1\n---\n---\nb: \"2\"\nc: [true, 0x10, 1.5, 1.2.3, '3']\n").unwrap();
        assert_eq!(docs.len(), 2, "the empty document is left out");
        assert_eq!(docs[0].to_json(), serde_json::json!({"a": 1}));
        assert_eq!(
            docs[1].to_json(),
            serde_json::json!({"b": "2", "c": [true, 16, 1.5, "1.2.3", "3"]})
        );
        assert_eq!(docs[1].pos.line, 5);
    }

    #[test]
    fn empty_document_is_null() {
        assert_eq!(parse("").unwrap().value, Value::Null);
        assert_eq!(parse("# only a comment\n").unwrap().value, Value::Null);
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            src.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        assert!(parse(&src).unwrap_err().message.contains("too many"));
    }
}
