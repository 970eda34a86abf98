//! Turns the text of `switchyard.yaml` into a [`Pipeline`], collecting every
//! problem instead of stopping at the first, each with its line and column.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::yaml::{self, Key, Node, Pos, Value};
use super::{
    Condition, Diagnostic, InvalidPipeline, Job, Need, Pipeline, PodOptions, RunnerRef, Step, Toleration,
    parse_duration,
};

/// The pipeline file's name at a project's root.
pub const PIPELINE_FILE: &str = "switchyard.yaml";

/// Keys allowed at the top of the file.
pub(crate) const PIPELINE_KEYS: &[&str] = &["name", "env", "jobs"];
/// Keys allowed in a job.
pub(crate) const JOB_KEYS: &[&str] = &[
    "needs",
    "runner",
    "image",
    "env",
    "working_dir",
    "timeout",
    "retry",
    "if",
    "secrets",
    "artifacts",
    "reports",
    "matrix",
    "steps",
    "resources",
    "node_selector",
    "tolerations",
    "service_account",
    "image_pull_secrets",
];
/// Keys of a job that only mean something for a Kubernetes pod.
const POD_KEYS: &[&str] = &[
    "resources",
    "node_selector",
    "tolerations",
    "service_account",
    "image_pull_secrets",
];
/// Keys allowed under `resources`.
pub(crate) const RESOURCES_KEYS: &[&str] = &["requests", "limits"];
/// Keys allowed in a toleration.
pub(crate) const TOLERATION_KEYS: &[&str] = &["key", "operator", "value", "effect", "toleration_seconds"];
/// Keys allowed in a step.
pub(crate) const STEP_KEYS: &[&str] = &["name", "run", "env", "working_dir", "timeout"];
/// Keys allowed under `reports`.
pub(crate) const REPORT_KEYS: &[&str] = &["junit"];

/// Largest pipeline file accepted; anything bigger is not a hand-written pipeline.
const MAX_FILE_BYTES: usize = 1 << 20;
/// Upper bound on retries of one job.
const MAX_RETRY: u32 = 20;
/// Upper bound on the jobs one matrix fans out to.
pub(crate) const MAX_MATRIX_JOBS: usize = 256;

/// Why a pipeline file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadFileError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    ReadFailed {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid pipeline.
    #[error(transparent)]
    Invalid(#[from] InvalidPipeline),
}

/// Reads and loads a pipeline file.
pub fn load_file(path: &Path) -> Result<Pipeline, LoadFileError> {
    let bytes = std::fs::read(path).map_err(|source| LoadFileError::ReadFailed {
        path: path.to_path_buf(),
        source,
    })?;
    let diag = |message: String| InvalidPipeline {
        diagnostics: vec![Diagnostic {
            file: path.to_path_buf(),
            pos: Pos { line: 1, column: 1 },
            message,
        }],
    };
    if bytes.len() > MAX_FILE_BYTES {
        return Err(diag(format!(
            "the file is {} bytes; a pipeline file may be at most {MAX_FILE_BYTES}",
            bytes.len()
        ))
        .into());
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_col_of_byte(e.as_bytes(), e.utf8_error().valid_up_to());
        InvalidPipeline {
            diagnostics: vec![Diagnostic {
                file: path.to_path_buf(),
                pos: Pos { line, column },
                message: "the file is not valid UTF-8; save it as UTF-8".into(),
            }],
        }
    })?;
    Ok(load(path, &text)?)
}

fn line_col_of_byte(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    (line, column)
}

/// Loads a pipeline from text; `file` is only used in messages.
pub fn load(file: &Path, text: &str) -> Result<Pipeline, InvalidPipeline> {
    let mut cx = Cx {
        file: file.to_path_buf(),
        diagnostics: Vec::new(),
    };
    if text.len() > MAX_FILE_BYTES {
        cx.error(
            Pos { line: 1, column: 1 },
            format!(
                "the file is {} bytes; a pipeline file may be at most {MAX_FILE_BYTES}",
                text.len()
            ),
        );
        return Err(cx.into_error());
    }
    let root = match yaml::parse(text) {
        Ok(root) => root,
        Err(e) => {
            cx.error(e.pos, e.message);
            return Err(cx.into_error());
        }
    };
    let pipeline = cx.pipeline(&root);
    if cx.diagnostics.is_empty() {
        Ok(pipeline)
    } else {
        Err(cx.into_error())
    }
}

struct Cx {
    file: PathBuf,
    diagnostics: Vec<Diagnostic>,
}

impl Cx {
    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            file: self.file.clone(),
            pos,
            message: message.into(),
        });
    }

    fn into_error(mut self) -> InvalidPipeline {
        self.diagnostics.sort();
        self.diagnostics.dedup();
        InvalidPipeline {
            diagnostics: self.diagnostics,
        }
    }

    /// The entries of a mapping node, after reporting unknown and duplicate
    /// keys. `what` names the mapping in messages ("job `build`").
    fn entries<'n>(&mut self, node: &'n Node, allowed: &[&str], what: &str) -> Vec<(&'n Key, &'n Node)> {
        self.entries_with(node, allowed, what, false)
    }

    /// Like [`Self::entries`]; with `extensions`, keys starting with `x-` are
    /// ignored (a place for YAML anchors, as in Compose files).
    fn entries_with<'n>(
        &mut self,
        node: &'n Node,
        allowed: &[&str],
        what: &str,
        extensions: bool,
    ) -> Vec<(&'n Key, &'n Node)> {
        let Value::Map(entries) = &node.value else {
            self.error(
                node.pos,
                format!("{what} must be a mapping of keys, found {}", node.kind()),
            );
            return Vec::new();
        };
        let mut seen: HashMap<&str, Pos> = HashMap::new();
        let mut out = Vec::new();
        for (key, value) in entries {
            if let Some(first) = seen.get(key.text.as_str()) {
                self.error(
                    key.pos,
                    format!(
                        "duplicate key `{}` in {what} (first set on line {}); keep one",
                        key.text, first.line
                    ),
                );
                continue;
            }
            seen.insert(&key.text, key.pos);
            if extensions && key.text.starts_with("x-") {
                continue;
            }
            if !allowed.contains(&key.text.as_str()) {
                let hint = did_you_mean(&key.text, allowed.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("; expected one of: {}", allowed.join(", ")));
                self.error(key.pos, format!("unknown key `{}` in {what}{hint}", key.text));
                continue;
            }
            out.push((key, value));
        }
        out
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Scalar { text, .. } => Some(text.clone()),
            _ => {
                self.error(node.pos, format!("{what} must be text, found {}", node.kind()));
                None
            }
        }
    }

    fn non_empty_string(&mut self, node: &Node, what: &str) -> Option<String> {
        let s = self.string(node, what)?;
        if s.trim().is_empty() {
            self.error(node.pos, format!("{what} is empty"));
            return None;
        }
        Some(s)
    }

    /// A scalar or a list of scalars.
    fn string_list(&mut self, node: &Node, what: &str) -> Vec<(String, Pos)> {
        match &node.value {
            Value::Null => Vec::new(),
            Value::Scalar { text, .. } => vec![(text.clone(), node.pos)],
            Value::Seq(items) => items
                .iter()
                .filter_map(|item| match &item.value {
                    Value::Scalar { text, .. } => Some((text.clone(), item.pos)),
                    _ => {
                        self.error(
                            item.pos,
                            format!("each entry of {what} must be text, found {}", item.kind()),
                        );
                        None
                    }
                })
                .collect(),
            Value::Map(_) => {
                self.error(
                    node.pos,
                    format!("{what} must be text or a list of text, found a mapping"),
                );
                Vec::new()
            }
        }
    }

    fn env(&mut self, node: &Node, what: &str) -> IndexMap<String, String> {
        let mut env = IndexMap::new();
        if matches!(node.value, Value::Null) {
            return env;
        }
        let Value::Map(entries) = &node.value else {
            self.error(
                node.pos,
                format!("{what} must be a mapping of NAME: value, found {}", node.kind()),
            );
            return env;
        };
        for (key, value) in entries {
            if !is_env_name(&key.text) {
                self.error(
                    key.pos,
                    format!(
                        "`{}` in {what} is not a valid environment variable name; use letters, digits and `_`, not starting with a digit",
                        key.text
                    ),
                );
                continue;
            }
            if env.contains_key(&key.text) {
                self.error(key.pos, format!("duplicate variable `{}` in {what}", key.text));
                continue;
            }
            let Some(text) = self.map_value(key, value, what) else {
                continue;
            };
            env.insert(key.text.clone(), text);
        }
        env
    }

    /// The text of a `KEY: value` entry of a mapping of text (empty for
    /// nothing), or `None` after reporting a list or mapping given instead.
    fn map_value(&mut self, key: &Key, value: &Node, what: &str) -> Option<String> {
        match &value.value {
            Value::Scalar { text, .. } => Some(text.clone()),
            Value::Null => Some(String::new()),
            _ => {
                self.error(
                    value.pos,
                    format!(
                        "the value of `{}` in {what} must be text, found {}",
                        key.text,
                        value.kind()
                    ),
                );
                None
            }
        }
    }

    fn duration(&mut self, node: &Node, what: &str) -> Option<std::time::Duration> {
        let text = self.string(node, what)?;
        match parse_duration(&text) {
            Ok(d) => Some(d),
            Err(reason) => {
                self.error(node.pos, format!("bad {what}: {reason}"));
                None
            }
        }
    }

    fn pipeline(&mut self, root: &Node) -> Pipeline {
        let mut pipeline = Pipeline {
            name: None,
            env: IndexMap::new(),
            jobs: Vec::new(),
        };
        if matches!(root.value, Value::Null) {
            self.error(
                root.pos,
                "the pipeline file is empty; it needs at least `jobs:` with one job (see docs/pipeline-format.md)",
            );
            return pipeline;
        }
        let mut jobs_node = None;
        for (key, value) in self.entries_with(root, PIPELINE_KEYS, "the pipeline", true) {
            match key.text.as_str() {
                "name" => {
                    if let Some(name) = self.non_empty_string(value, "`name`") {
                        if !is_project_name(&name) {
                            self.error(
                                value.pos,
                                format!("`name: {name}` may only use letters, digits, `-`, `_` and `.`"),
                            );
                        } else {
                            pipeline.name = Some(name);
                        }
                    }
                }
                "env" => pipeline.env = self.env(value, "the pipeline's `env`"),
                "jobs" => jobs_node = Some(value),
                _ => {}
            }
        }
        let Some(jobs_node) = jobs_node else {
            if matches!(root.value, Value::Map(_)) {
                self.error(root.pos, "the pipeline has no `jobs:`; add at least one job");
            }
            return pipeline;
        };
        let Value::Map(entries) = &jobs_node.value else {
            self.error(
                jobs_node.pos,
                format!(
                    "`jobs` must be a mapping of job names to jobs, found {}",
                    jobs_node.kind()
                ),
            );
            return pipeline;
        };
        if entries.is_empty() {
            self.error(jobs_node.pos, "`jobs` is empty; add at least one job");
        }
        let mut seen: HashMap<&str, Pos> = HashMap::new();
        for (key, value) in entries {
            if let Some(first) = seen.get(key.text.as_str()) {
                self.error(
                    key.pos,
                    format!(
                        "duplicate job name `{}` (first defined on line {}); job names must be unique",
                        key.text, first.line
                    ),
                );
                continue;
            }
            seen.insert(&key.text, key.pos);
            if !is_job_name(&key.text) {
                self.error(
                    key.pos,
                    format!(
                        "job name `{}` may only use letters, digits, `-`, `_` and `.`",
                        key.text
                    ),
                );
                continue;
            }
            if let Some(job) = self.job(key, value) {
                pipeline.jobs.push(job);
            }
        }
        self.check_needs(&pipeline.jobs);
        self.check_matrix_names(&pipeline.jobs);
        pipeline
    }

    fn job(&mut self, key: &Key, node: &Node) -> Option<Job> {
        let what = format!("job `{}`", key.text);
        let mut job = Job {
            name: key.text.clone(),
            pos: key.pos,
            needs: Vec::new(),
            runner: RunnerRef::Local,
            image: None,
            pod: PodOptions::default(),
            env: IndexMap::new(),
            working_dir: None,
            timeout: None,
            retry: 0,
            condition: Condition::Success,
            secrets: Vec::new(),
            artifacts: Vec::new(),
            junit: Vec::new(),
            matrix: IndexMap::new(),
            steps: Vec::new(),
        };
        if matches!(node.value, Value::Null) {
            self.error(key.pos, format!("{what} is empty; give it `steps:`"));
            return None;
        }
        let mut steps_node = None;
        let mut first_pod_key: Option<&Key> = None;
        for (k, value) in self.entries(node, JOB_KEYS, &what) {
            let field = format!("`{}` of {what}", k.text);
            if POD_KEYS.contains(&k.text.as_str()) && first_pod_key.is_none() {
                first_pod_key = Some(k);
            }
            match k.text.as_str() {
                "needs" => {
                    job.needs = self
                        .string_list(value, &field)
                        .into_iter()
                        .map(|(job, pos)| Need { job, pos })
                        .collect();
                }
                "runner" => {
                    if let Some(text) = self.string(value, &field) {
                        match parse_runner(&text) {
                            Ok(r) => job.runner = r,
                            Err(msg) => self.error(value.pos, msg),
                        }
                    }
                }
                "image" => job.image = self.non_empty_string(value, &field),
                "env" => job.env = self.env(value, &field),
                "working_dir" => job.working_dir = self.relative_path(value, &field),
                "timeout" => job.timeout = self.duration(value, &field),
                "retry" => job.retry = self.retry(value, &field),
                "if" => {
                    if let Some(text) = self.string(value, &field) {
                        job.condition = match text.as_str() {
                            "success" => Condition::Success,
                            "failure" => Condition::Failure,
                            "always" => Condition::Always,
                            other => {
                                let choices = ["success", "failure", "always"];
                                let hint = did_you_mean(other, choices)
                                    .map(|s| format!("did you mean `{s}`?"))
                                    .unwrap_or_else(|| "use success, failure or always".into());
                                self.error(value.pos, format!("unknown condition `if: {other}`; {hint}"));
                                Condition::Success
                            }
                        }
                    }
                }
                "secrets" => {
                    let mut names = BTreeSet::new();
                    for (name, pos) in self.string_list(value, &field) {
                        if !is_env_name(&name) {
                            self.error(
                                pos,
                                format!("secret name `{name}` must be a valid environment variable name (letters, digits, `_`)"),
                            );
                        } else if !names.insert(name.clone()) {
                            self.error(pos, format!("secret `{name}` is listed twice in {what}"));
                        } else {
                            job.secrets.push(name);
                        }
                    }
                }
                "artifacts" => job.artifacts = self.globs(value, &field),
                "reports" => {
                    let report_what = format!("`reports` of {what}");
                    for (rk, rv) in self.entries(value, REPORT_KEYS, &report_what) {
                        if rk.text == "junit" {
                            job.junit = self.globs(rv, &format!("`reports.junit` of {what}"));
                        }
                    }
                }
                "matrix" => job.matrix = self.matrix(value, &what),
                "steps" => steps_node = Some(value),
                "resources" => self.resources(value, &field, &mut job.pod),
                "node_selector" => job.pod.node_selector = self.node_selector(value, &field),
                "tolerations" => job.pod.tolerations = self.tolerations(value, &field),
                "service_account" => {
                    if let Some(name) = self.non_empty_string(value, &field) {
                        if is_dns_subdomain(&name) {
                            job.pod.service_account = Some(name);
                        } else {
                            self.error(
                                value.pos,
                                format!("`service_account: {name}` in {what} is not a valid ServiceAccount name; use lowercase letters, digits, `-` and `.`"),
                            );
                        }
                    }
                }
                "image_pull_secrets" => {
                    for (name, pos) in self.string_list(value, &field) {
                        if is_dns_subdomain(&name) {
                            job.pod.image_pull_secrets.push(name);
                        } else {
                            self.error(pos, format!("`{name}` in {field} is not a valid Secret name; use lowercase letters, digits, `-` and `.`"));
                        }
                    }
                }
                _ => {}
            }
        }
        if let (Some(k), RunnerRef::Local) = (first_pod_key, &job.runner) {
            self.error(
                k.pos,
                format!(
                    "`{}` of {what} only applies to Kubernetes jobs; add `runner: kubernetes:<target>` or remove it",
                    k.text
                ),
            );
        }
        match steps_node {
            None => self.error(
                key.pos,
                format!("{what} has no `steps:`; add at least one step with `run:`"),
            ),
            Some(node) => job.steps = self.steps(node, &what),
        }
        Some(job)
    }

    fn resources(&mut self, node: &Node, what: &str, pod: &mut PodOptions) {
        for (k, value) in self.entries(node, RESOURCES_KEYS, what) {
            let field = format!("`{}` of {what}", k.text);
            let mut out = IndexMap::new();
            let Value::Map(entries) = &value.value else {
                self.error(
                    value.pos,
                    format!(
                        "{field} must map resource names to quantities (like `cpu: 500m`), found {}",
                        value.kind()
                    ),
                );
                continue;
            };
            for (name, q) in entries {
                if !is_qualified_name(&name.text) {
                    self.error(name.pos, format!("`{}` in {field} is not a resource name (like `cpu`, `memory` or `nvidia.com/gpu`)", name.text));
                    continue;
                }
                let Some(text) = self.string(q, &format!("`{}` in {field}", name.text)) else {
                    continue;
                };
                if !is_quantity(text.trim()) {
                    self.error(
                        q.pos,
                        format!("`{text}` in {field} is not a Kubernetes quantity; write it like `500m`, `2`, `512Mi` or `1Gi`"),
                    );
                    continue;
                }
                out.insert(name.text.clone(), text.trim().to_string());
            }
            if k.text == "requests" {
                pod.requests = out;
            } else {
                pod.limits = out;
            }
        }
    }

    fn node_selector(&mut self, node: &Node, what: &str) -> IndexMap<String, String> {
        let mut out = IndexMap::new();
        let Value::Map(entries) = &node.value else {
            self.error(
                node.pos,
                format!(
                    "{what} must map node label names to values, found {}",
                    node.kind()
                ),
            );
            return out;
        };
        for (key, value) in entries {
            if !is_qualified_name(&key.text) {
                self.error(
                    key.pos,
                    format!(
                        "`{}` in {what} is not a valid label name (like `kubernetes.io/arch` or `pool`)",
                        key.text
                    ),
                );
                continue;
            }
            let Some(text) = self.map_value(key, value, what) else {
                continue;
            };
            if !is_label_value(&text) {
                self.error(value.pos, format!("`{text}` in {what} is not a valid label value (at most 63 letters, digits, `-`, `_`, `.`)"));
                continue;
            }
            out.insert(key.text.clone(), text);
        }
        out
    }

    fn tolerations(&mut self, node: &Node, what: &str) -> Vec<Toleration> {
        let Value::Seq(items) = &node.value else {
            self.error(
                node.pos,
                format!("{what} must be a list of tolerations, found {}", node.kind()),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let item_what = format!("toleration {} of {what}", i + 1);
            let mut t = Toleration::default();
            let mut ok = true;
            for (k, value) in self.entries(item, TOLERATION_KEYS, &item_what) {
                let field = format!("`{}` of {item_what}", k.text);
                match k.text.as_str() {
                    "key" => match self.non_empty_string(value, &field) {
                        Some(key) if is_qualified_name(&key) => t.key = Some(key),
                        Some(key) => {
                            self.error(
                                value.pos,
                                format!("`key: {key}` in {item_what} is not a valid taint key"),
                            );
                            ok = false;
                        }
                        None => ok = false,
                    },
                    "operator" => match self.string(value, &field).as_deref() {
                        Some(op @ ("Equal" | "Exists")) => t.operator = Some(op.to_string()),
                        Some(other) => {
                            self.error(
                                value.pos,
                                format!("`operator: {other}` in {item_what} must be `Equal` or `Exists`"),
                            );
                            ok = false;
                        }
                        None => ok = false,
                    },
                    "value" => t.value = self.string(value, &field),
                    "effect" => match self.string(value, &field).as_deref() {
                        Some(e @ ("NoSchedule" | "PreferNoSchedule" | "NoExecute")) => {
                            t.effect = Some(e.to_string())
                        }
                        Some(other) => {
                            self.error(
                                value.pos,
                                format!(
                                    "`effect: {other}` in {item_what} must be `NoSchedule`, `PreferNoSchedule` or `NoExecute`"
                                ),
                            );
                            ok = false;
                        }
                        None => ok = false,
                    },
                    "toleration_seconds" => match self.string(value, &field).map(|s| s.trim().parse::<i64>())
                    {
                        Some(Ok(n)) if n >= 0 => t.toleration_seconds = Some(n),
                        Some(_) => {
                            self.error(value.pos, format!("{field} must be a whole number of seconds"));
                            ok = false;
                        }
                        None => ok = false,
                    },
                    _ => {}
                }
            }
            if !matches!(item.value, Value::Map(_)) {
                continue;
            }
            if t.operator.as_deref() == Some("Exists") && t.value.is_some() {
                self.error(
                    item.pos,
                    format!("{item_what} has `operator: Exists` and a `value`; remove the value"),
                );
                ok = false;
            }
            if t.key.is_none() && t.operator.as_deref() != Some("Exists") {
                self.error(
                    item.pos,
                    format!(
                        "{item_what} has no `key`; give one, or `operator: Exists` to tolerate every taint"
                    ),
                );
                ok = false;
            }
            if t.toleration_seconds.is_some() && t.effect.as_deref() != Some("NoExecute") {
                self.error(
                    item.pos,
                    format!("{item_what} sets `toleration_seconds`, which needs `effect: NoExecute`"),
                );
                ok = false;
            }
            if ok {
                out.push(t);
            }
        }
        out
    }

    fn retry(&mut self, node: &Node, what: &str) -> u32 {
        let Some(text) = self.string(node, what) else {
            return 0;
        };
        match text.trim().parse::<u32>() {
            Ok(n) if n <= MAX_RETRY => n,
            Ok(n) => {
                self.error(
                    node.pos,
                    format!("{what} is {n}; at most {MAX_RETRY} retries are allowed"),
                );
                0
            }
            Err(_) => {
                self.error(
                    node.pos,
                    format!("{what} must be a whole number of retries (0 to {MAX_RETRY}), found `{text}`"),
                );
                0
            }
        }
    }

    fn relative_path(&mut self, node: &Node, what: &str) -> Option<String> {
        let text = self.non_empty_string(node, what)?;
        if let Err(reason) = check_relative(&text) {
            self.error(node.pos, format!("{what} `{text}` {reason}"));
            return None;
        }
        Some(text)
    }

    fn globs(&mut self, node: &Node, what: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (pattern, pos) in self.string_list(node, what) {
            if pattern.trim().is_empty() {
                self.error(pos, format!("empty pattern in {what}"));
                continue;
            }
            if let Err(reason) = check_relative(&pattern) {
                self.error(pos, format!("pattern `{pattern}` in {what} {reason}"));
                continue;
            }
            if let Err(e) = globset::Glob::new(&pattern) {
                self.error(
                    pos,
                    format!("pattern `{pattern}` in {what} is not a valid glob: {}", e.kind()),
                );
                continue;
            }
            out.push(pattern);
        }
        out
    }

    fn matrix(&mut self, node: &Node, job_what: &str) -> IndexMap<String, Vec<String>> {
        let what = format!("`matrix` of {job_what}");
        let mut matrix = IndexMap::new();
        let Value::Map(entries) = &node.value else {
            self.error(
                node.pos,
                format!("{what} must map names to lists of values, found {}", node.kind()),
            );
            return matrix;
        };
        if entries.is_empty() {
            self.error(node.pos, format!("{what} is empty; remove it or add a variable"));
        }
        let mut combos: usize = 1;
        for (key, value) in entries {
            if !is_env_name(&key.text) {
                self.error(
                    key.pos,
                    format!("matrix variable `{}` must use letters, digits and `_`", key.text),
                );
                continue;
            }
            if matrix.contains_key(&key.text) {
                self.error(key.pos, format!("duplicate matrix variable `{}`", key.text));
                continue;
            }
            let Value::Seq(items) = &value.value else {
                self.error(
                    value.pos,
                    format!("matrix variable `{}` must be a list of values", key.text),
                );
                continue;
            };
            if items.is_empty() {
                self.error(value.pos, format!("matrix variable `{}` has no values", key.text));
                continue;
            }
            let mut values: Vec<String> = Vec::new();
            for item in items {
                match &item.value {
                    Value::Scalar { text, .. } => {
                        if values.contains(text) {
                            self.error(
                                item.pos,
                                format!("value `{text}` appears twice in matrix variable `{}`", key.text),
                            );
                        } else {
                            values.push(text.clone());
                        }
                    }
                    _ => self.error(
                        item.pos,
                        format!("matrix values must be text, found {}", item.kind()),
                    ),
                }
            }
            combos = combos.saturating_mul(values.len());
            matrix.insert(key.text.clone(), values);
        }
        if combos > MAX_MATRIX_JOBS {
            self.error(
                node.pos,
                format!("{what} fans out to {combos} jobs; at most {MAX_MATRIX_JOBS} are allowed"),
            );
        }
        matrix
    }

    fn steps(&mut self, node: &Node, job_what: &str) -> Vec<Step> {
        let Value::Seq(items) = &node.value else {
            if matches!(node.value, Value::Null) {
                self.error(
                    node.pos,
                    format!("`steps` of {job_what} is empty; add at least one step with `run:`"),
                );
            } else {
                self.error(
                    node.pos,
                    format!(
                        "`steps` of {job_what} must be a list of steps, found {}",
                        node.kind()
                    ),
                );
            }
            return Vec::new();
        };
        if items.is_empty() {
            self.error(
                node.pos,
                format!("`steps` of {job_what} is empty; add at least one step with `run:`"),
            );
        }
        let mut steps = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let what = format!("step {} of {job_what}", i + 1);
            // A bare string is shorthand for `- run: ...`.
            if let Value::Scalar { text, .. } = &item.value {
                if text.trim().is_empty() {
                    self.error(item.pos, format!("{what} is empty"));
                    continue;
                }
                steps.push(Step {
                    name: default_step_name(text),
                    run: text.clone(),
                    env: IndexMap::new(),
                    working_dir: None,
                    timeout: None,
                });
                continue;
            }
            if matches!(item.value, Value::Null) {
                self.error(item.pos, format!("{what} is empty; give it `run:`"));
                continue;
            }
            let mut step = Step {
                name: String::new(),
                run: String::new(),
                env: IndexMap::new(),
                working_dir: None,
                timeout: None,
            };
            let mut has_run = false;
            for (k, value) in self.entries(item, STEP_KEYS, &what) {
                let field = format!("`{}` of {what}", k.text);
                match k.text.as_str() {
                    "name" => step.name = self.non_empty_string(value, &field).unwrap_or_default(),
                    "run" => {
                        has_run = true;
                        if let Some(run) = self.non_empty_string(value, &field) {
                            step.run = run;
                        }
                    }
                    "env" => step.env = self.env(value, &field),
                    "working_dir" => step.working_dir = self.relative_path(value, &field),
                    "timeout" => step.timeout = self.duration(value, &field),
                    _ => {}
                }
            }
            if !has_run {
                self.error(item.pos, format!("{what} has no `run:`; give it a shell command"));
                continue;
            }
            if step.name.is_empty() {
                step.name = default_step_name(&step.run);
            }
            steps.push(step);
        }
        steps
    }

    fn check_needs(&mut self, jobs: &[Job]) {
        let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
        for job in jobs {
            let mut seen = BTreeSet::new();
            for need in &job.needs {
                if need.job == job.name {
                    self.error(
                        need.pos,
                        format!("job `{}` needs itself; remove it from `needs`", job.name),
                    );
                } else if !names.contains(&need.job.as_str()) {
                    let hint = did_you_mean(&need.job, names.iter().copied())
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    self.error(
                        need.pos,
                        format!(
                            "job `{}` needs `{}`, but no job has that name{hint}",
                            job.name, need.job
                        ),
                    );
                } else if !seen.insert(need.job.as_str()) {
                    self.error(
                        need.pos,
                        format!("job `{}` lists `{}` twice in `needs`", job.name, need.job),
                    );
                }
            }
        }
        for cycle in find_cycles(jobs) {
            let first = &jobs[cycle[0]];
            let next = &jobs[cycle[1 % cycle.len()]].name;
            let pos = first
                .needs
                .iter()
                .find(|n| &n.job == next)
                .map_or(first.pos, |n| n.pos);
            let mut path: Vec<&str> = cycle.iter().map(|&i| jobs[i].name.as_str()).collect();
            path.push(&first.name);
            // `needs` point backwards in time: show the order in which jobs would wait.
            path.reverse();
            self.error(
                pos,
                format!(
                    "jobs form a cycle: {}; remove one of these `needs`",
                    path.join(" -> ")
                ),
            );
        }
    }

    fn check_matrix_names(&mut self, jobs: &[Job]) {
        let mut names: HashMap<String, &Job> = HashMap::new();
        for job in jobs {
            for (name, _) in super::plan::matrix_instances(job) {
                if let Some(other) = names.get(&name) {
                    if !std::ptr::eq(*other, job) {
                        self.error(
                            job.pos,
                            format!(
                                "job `{}` expands to `{name}`, which job `{}` also uses; rename one",
                                job.name, other.name
                            ),
                        );
                    }
                } else {
                    names.insert(name, job);
                }
            }
        }
    }
}

/// Every elementary cycle found by a depth-first search, each once, as job
/// indices in `needs` order (job, a job it needs, ...).
fn find_cycles(jobs: &[Job]) -> Vec<Vec<usize>> {
    let index: HashMap<&str, usize> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.name.as_str(), i))
        .collect();
    let edges: Vec<Vec<usize>> = jobs
        .iter()
        .map(|j| {
            j.needs
                .iter()
                .filter(|n| n.job != j.name)
                .filter_map(|n| index.get(n.job.as_str()).copied())
                .collect()
        })
        .collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnStack,
        Done,
    }
    let mut marks = vec![Mark::New; jobs.len()];
    let mut cycles: Vec<Vec<usize>> = Vec::new();
    let mut seen_sets: BTreeSet<Vec<usize>> = BTreeSet::new();
    for start in 0..jobs.len() {
        if marks[start] != Mark::New {
            continue;
        }
        // Iterative DFS: (node, next edge index).
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        marks[start] = Mark::OnStack;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if *next < edges[node].len() {
                let to = edges[node][*next];
                *next += 1;
                match marks[to] {
                    Mark::New => {
                        marks[to] = Mark::OnStack;
                        stack.push((to, 0));
                    }
                    Mark::OnStack => {
                        let from = stack.iter().position(|&(n, _)| n == to).unwrap_or(0);
                        let cycle: Vec<usize> = stack[from..].iter().map(|&(n, _)| n).collect();
                        let mut key = cycle.clone();
                        key.sort_unstable();
                        if seen_sets.insert(key) {
                            cycles.push(cycle);
                        }
                    }
                    Mark::Done => {}
                }
            } else {
                marks[node] = Mark::Done;
                stack.pop();
            }
        }
    }
    cycles
}

fn parse_runner(text: &str) -> Result<RunnerRef, String> {
    text.parse().map_err(|e: super::UnknownRunner| e.0)
}

fn check_relative(path: &str) -> Result<(), &'static str> {
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
fn default_step_name(run: &str) -> String {
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
