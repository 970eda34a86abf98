//! Turns the text of `switchyard.yaml` into a [`Pipeline`], collecting every
//! problem instead of stopping at the first, each with its line and column.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

mod checks;
mod names;
mod pod;

pub(crate) use names::*;

use super::yaml::{self, Key, Node, Pos, Value};
use super::{
    Approval, Condition, Diagnostic, InvalidPipeline, Job, Need, Pipeline, PodOptions, RunnerRef, Step,
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
    "approval",
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
/// Keys allowed in a job's `approval:`.
pub(crate) const APPROVAL_KEYS: &[&str] = &["message"];
/// Keys of a job that mean nothing for an approval job (it runs nothing).
const NOT_FOR_APPROVAL: &[&str] = &[
    "runner",
    "image",
    "env",
    "working_dir",
    "retry",
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
            approval: None,
        };
        if matches!(node.value, Value::Null) {
            self.error(key.pos, format!("{what} is empty; give it `steps:`"));
            return None;
        }
        let mut steps_node = None;
        let mut approval_node: Option<(&Key, &Node)> = None;
        let mut keys: Vec<&Key> = Vec::new();
        let mut first_pod_key: Option<&Key> = None;
        for (k, value) in self.entries(node, JOB_KEYS, &what) {
            let field = format!("`{}` of {what}", k.text);
            keys.push(k);
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
                "approval" => approval_node = Some((k, value)),
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
        if let Some((approval_key, value)) = approval_node {
            for k in keys
                .iter()
                .filter(|k| NOT_FOR_APPROVAL.contains(&k.text.as_str()))
            {
                self.error(
                    k.pos,
                    format!(
                        "`{}` cannot be used in {what}, an approval job (it waits for a person and runs nothing); move the work to a job that `needs: {}`",
                        k.text, job.name
                    ),
                );
            }
            job.approval = self.approval(approval_key, value, &what);
            return Some(job);
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

    /// `approval: {message: ...}`.
    fn approval(&mut self, key: &Key, node: &Node, job_what: &str) -> Option<Approval> {
        let what = format!("`approval` of {job_what}");
        let mut message = None;
        for (k, value) in self.entries(node, APPROVAL_KEYS, &what) {
            if k.text == "message" {
                message = self.non_empty_string(value, &format!("`approval.message` of {job_what}"));
            }
        }
        match message {
            Some(message) => Some(Approval { message }),
            None => {
                if !matches!(node.value, Value::Map(_)) {
                    return None;
                }
                self.error(
                    key.pos,
                    format!(
                        "{what} needs a `message:` saying what is asked, e.g. `message: Ship to production?`"
                    ),
                );
                None
            }
        }
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
}
