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
    Analysis, Approval, BlueGreen, Canary, Check, Condition, Deploy, Diagnostic, InvalidPipeline, Job, Need,
    Pipeline, PodOptions, RunnerRef, Step, Strategy, Threshold, Traffic, parse_duration,
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
    "deploy",
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
/// Keys allowed in a job's `deploy:`.
pub(crate) const DEPLOY_KEYS: &[&str] = &[
    "app",
    "environment",
    "manifests",
    "images",
    "targets",
    "strategy",
    "analysis",
    "approval",
];
/// Keys allowed in `deploy.analysis`.
pub(crate) const ANALYSIS_KEYS: &[&str] = &["interval", "count", "failure_limit", "source", "queries"];
/// Keys allowed in each of `deploy.analysis.queries`.
pub(crate) const CHECK_KEYS: &[&str] = &["name", "query", "success"];
/// The strategies `deploy.strategy` accepts.
const STRATEGIES: &[&str] = &["rolling", "canary", "blue-green"];
/// Keys allowed in `deploy.strategy.blue-green`.
pub(crate) const BLUE_GREEN_KEYS: &[&str] = &["service", "keep_old"];
/// Keys allowed in `deploy.strategy.canary`.
pub(crate) const CANARY_KEYS: &[&str] = &["steps", "pause", "traffic", "service", "route", "header"];
/// Keys allowed in `deploy.strategy.canary.header`.
pub(crate) const HEADER_KEYS: &[&str] = &["name", "value"];
/// Keys of a job that a deploy job may have besides `deploy` (it runs no steps).
const FOR_DEPLOY: &[&str] = &["needs", "timeout", "if", "deploy"];
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
            deploy: None,
        };
        if matches!(node.value, Value::Null) {
            self.error(key.pos, format!("{what} is empty; give it `steps:`"));
            return None;
        }
        let mut steps_node = None;
        let mut approval_node: Option<(&Key, &Node)> = None;
        let mut deploy_node: Option<(&Key, &Node)> = None;
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
                "deploy" => deploy_node = Some((k, value)),
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
        if let Some((deploy_key, value)) = deploy_node {
            for k in keys.iter().filter(|k| !FOR_DEPLOY.contains(&k.text.as_str())) {
                self.error(
                    k.pos,
                    format!(
                        "`{}` cannot be used in {what}, a deploy job (it applies manifests and runs no steps); move the work to a job it `needs`",
                        k.text
                    ),
                );
            }
            let needs: Vec<String> = job.needs.iter().map(|n| n.job.clone()).collect();
            job.deploy = self.deploy(deploy_key, value, &what, &needs);
            return Some(job);
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

    /// `deploy: {app, environment, manifests, images, targets, strategy}`.
    fn deploy(&mut self, key: &Key, node: &Node, job_what: &str, needs: &[String]) -> Option<Deploy> {
        let what = format!("`deploy` of {job_what}");
        if !matches!(node.value, Value::Map(_)) {
            self.error(
                node.pos,
                format!(
                    "{what} must be a mapping with `app`, `environment`, `manifests` and `targets`, found {}",
                    node.kind()
                ),
            );
            return None;
        }
        let (mut app, mut environment, mut manifests) = (None, None, None);
        let mut images = Vec::new();
        let mut waves: Option<Vec<Vec<String>>> = None;
        let mut strategy = Strategy::Rolling;
        let mut analysis = None;
        let mut analysis_pos = None;
        let mut approval = None;
        for (k, value) in self.entries(node, DEPLOY_KEYS, &what) {
            if k.text == "analysis" {
                analysis_pos = Some(k.pos);
            }
            let field = format!("`deploy.{}` of {job_what}", k.text);
            match k.text.as_str() {
                "app" | "environment" => {
                    let Some(text) = self.non_empty_string(value, &field) else {
                        continue;
                    };
                    if !is_label_value(&text) {
                        self.error(
                            value.pos,
                            format!("{field} `{text}` must be a Kubernetes label value: at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit"),
                        );
                    } else if k.text == "app" {
                        app = Some(text);
                    } else {
                        environment = Some(text);
                    }
                }
                "manifests" => manifests = self.relative_path(value, &field),
                "images" => {
                    for (image, pos) in self.string_list(value, &field) {
                        if image.contains("${{") {
                            if let Some(image) = self.image_from_outputs(image, pos, &field, needs) {
                                images.push(image);
                            }
                            continue;
                        }
                        match crate::deploy::ImageRef::parse(&image) {
                            Ok(_) => images.push(image),
                            Err(reason) => self.error(pos, format!("`{image}` in {field} {reason}")),
                        }
                    }
                }
                "targets" => waves = Some(self.waves(value, &field)),
                "analysis" => analysis = self.analysis(value, job_what),
                "approval" => {
                    if let Some(text) = self.string(value, &field) {
                        match text.as_str() {
                            "true" => approval = Some(true),
                            "false" => approval = Some(false),
                            other => self.error(
                                value.pos,
                                format!("{field} must be `true` or `false` (default: true for production), found `{other}`"),
                            ),
                        }
                    }
                }
                "strategy" => strategy = self.strategy(value, &field, job_what),
                _ => {}
            }
        }
        let mut missing = Vec::new();
        if app.is_none() && !self.has_key(node, "app") {
            missing.push("`app`");
        }
        if environment.is_none() && !self.has_key(node, "environment") {
            missing.push("`environment`");
        }
        if manifests.is_none() && !self.has_key(node, "manifests") {
            missing.push("`manifests` (a folder of YAML)");
        }
        if waves.is_none() {
            missing.push("`targets`");
        }
        if !missing.is_empty() {
            self.error(key.pos, format!("{what} needs {}", missing.join(", ")));
        }
        if let (Some(pos), Strategy::Rolling) = (analysis_pos, &strategy) {
            self.error(
                pos,
                format!("`analysis` of {job_what} runs at a canary's steps or before a blue-green switch; add `strategy: canary` or `blue-green`"),
            );
        }
        Some(Deploy {
            analysis,
            approval,
            app: app?,
            environment: environment?,
            manifests: manifests?,
            images,
            waves: waves.filter(|w| !w.is_empty())?,
            strategy,
        })
    }

    /// An image naming outputs of jobs this one needs
    /// (`${{ needs.build.outputs.image }}`): checked for what can be checked
    /// before the run, kept as written.
    fn image_from_outputs(
        &mut self,
        image: String,
        pos: Pos,
        field: &str,
        needs: &[String],
    ) -> Option<String> {
        let refs = match crate::outputs::references(&image) {
            Ok(r) => r,
            Err(e) => {
                self.error(pos, format!("{e} (in {field})"));
                return None;
            }
        };
        let mut ok = true;
        for r in &refs {
            if !needs.contains(&r.job) {
                self.error(
                    pos,
                    format!(
                        "`{image}` in {field} uses an output of `{}`, which this job does not need; add `needs: {}`",
                        r.job, r.job
                    ),
                );
                ok = false;
            }
        }
        let sample = crate::outputs::expand(&image, |_| Ok("0".into())).unwrap_or_default();
        if let Err(reason) = crate::deploy::ImageRef::parse(&sample) {
            self.error(pos, format!("`{image}` in {field} {reason}"));
            ok = false;
        }
        ok.then_some(image)
    }

    /// `strategy: rolling`, `strategy: canary` or `strategy: {canary: {...}}`.
    fn strategy(&mut self, node: &Node, field: &str, job_what: &str) -> Strategy {
        let (name, settings, name_pos) = match &node.value {
            Value::Scalar { text, .. } => (text.clone(), None, node.pos),
            Value::Map(entries) if entries.len() == 1 => {
                (entries[0].0.text.clone(), Some(&entries[0].1), entries[0].0.pos)
            }
            _ => {
                self.error(
                    node.pos,
                    format!("{field} must be `rolling`, `canary`, or a mapping like `canary: {{steps: [10, 50, 100]}}`"),
                );
                return Strategy::Rolling;
            }
        };
        match name.as_str() {
            "rolling" => {
                if settings.is_some_and(|s| !matches!(s.value, Value::Null)) {
                    self.error(
                        name_pos,
                        format!("{field} `rolling` has no settings; write `strategy: rolling`"),
                    );
                }
                Strategy::Rolling
            }
            "canary" => Strategy::Canary(self.canary(settings, name_pos, job_what)),
            "blue-green" => Strategy::BlueGreen(self.blue_green(settings, job_what)),
            other => {
                let hint = did_you_mean(other, STRATEGIES.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "use `rolling` or `canary`".into());
                self.error(name_pos, format!("unknown {field} `{other}`; {hint}"));
                Strategy::Rolling
            }
        }
    }

    fn blue_green(&mut self, node: Option<&Node>, job_what: &str) -> BlueGreen {
        let what = format!("`deploy.strategy.blue-green` of {job_what}");
        let mut bg = BlueGreen {
            service: None,
            keep_old: std::time::Duration::from_secs(0),
        };
        let Some(node) = node.filter(|n| !matches!(n.value, Value::Null)) else {
            return bg;
        };
        for (k, value) in self.entries(node, BLUE_GREEN_KEYS, &what) {
            let field = format!("`blue-green.{}` of {job_what}", k.text);
            match k.text.as_str() {
                "service" => {
                    if let Some(name) = self.non_empty_string(value, &field) {
                        if is_dns_subdomain(&name) {
                            bg.service = Some(name);
                        } else {
                            self.error(
                                value.pos,
                                format!("{field} `{name}` is not a Kubernetes object name"),
                            );
                        }
                    }
                }
                "keep_old" => {
                    if let Some(d) = self.duration(value, &field) {
                        bg.keep_old = d;
                    }
                }
                _ => {}
            }
        }
        bg
    }

    fn canary(&mut self, node: Option<&Node>, pos: Pos, job_what: &str) -> Canary {
        let what = format!("`deploy.strategy.canary` of {job_what}");
        let mut canary = Canary {
            steps: vec![25, 50, 100],
            pause: None,
            traffic: Traffic::Replicas,
            service: None,
            route: None,
            header: None,
        };
        let Some(node) = node.filter(|n| !matches!(n.value, Value::Null)) else {
            return canary;
        };
        let _ = pos;
        for (k, value) in self.entries(node, CANARY_KEYS, &what) {
            let field = format!("`canary.{}` of {job_what}", k.text);
            match k.text.as_str() {
                "steps" => {
                    let mut steps = Vec::new();
                    for (text, p) in self.string_list(value, &field) {
                        match text.trim().trim_end_matches('%').parse::<u8>() {
                            Ok(w) if (1..=100).contains(&w) && steps.last().is_none_or(|&l| w > l) => {
                                steps.push(w)
                            }
                            Ok(w) if (1..=100).contains(&w) => self.error(
                                p,
                                format!(
                                    "{field} must rise step by step; {w} follows {}",
                                    steps.last().copied().unwrap_or(0)
                                ),
                            ),
                            _ => self.error(
                                p,
                                format!("{field}: `{text}` is not a share of the traffic from 1 to 100"),
                            ),
                        }
                    }
                    if steps.last() != Some(&100) {
                        steps.push(100);
                    }
                    canary.steps = steps;
                }
                "pause" => canary.pause = self.duration(value, &field),
                "traffic" => {
                    if let Some(text) = self.string(value, &field) {
                        canary.traffic = match text.as_str() {
                            "replicas" => Traffic::Replicas,
                            "istio" => Traffic::Istio,
                            "gateway-api" => Traffic::GatewayApi,
                            other => {
                                let choices = ["replicas", "istio", "gateway-api"];
                                let hint = did_you_mean(other, choices)
                                    .map(|s| format!("did you mean `{s}`?"))
                                    .unwrap_or_else(|| "use replicas, istio or gateway-api".into());
                                self.error(value.pos, format!("unknown {field} `{other}`; {hint}"));
                                Traffic::Replicas
                            }
                        }
                    }
                }
                "service" | "route" => {
                    if let Some(name) = self.non_empty_string(value, &field) {
                        if !is_dns_subdomain(&name) {
                            self.error(
                                value.pos,
                                format!("{field} `{name}` is not a Kubernetes object name"),
                            );
                        } else if k.text == "service" {
                            canary.service = Some(name);
                        } else {
                            canary.route = Some(name);
                        }
                    }
                }
                "header" => {
                    let hwhat = format!("`canary.header` of {job_what}");
                    let (mut name, mut val) = (None, None);
                    for (hk, hv) in self.entries(value, HEADER_KEYS, &hwhat) {
                        let t =
                            self.non_empty_string(hv, &format!("`canary.header.{}` of {job_what}", hk.text));
                        if hk.text == "name" {
                            name = t;
                        } else {
                            val = t;
                        }
                    }
                    match (name, val) {
                        (Some(n), Some(v)) => canary.header = Some((n, v)),
                        _ => self.error(
                            value.pos,
                            format!(
                                "{hwhat} needs `name` and `value`, e.g. `{{name: x-canary, value: \"1\"}}`"
                            ),
                        ),
                    }
                }
                _ => {}
            }
        }
        if canary.header.is_some() && canary.traffic != Traffic::Istio {
            self.error(node.pos, format!("{what}: `header` routes a test audience with Istio only; add `traffic: istio` or remove it"));
        }
        canary
    }

    fn has_key(&self, node: &Node, name: &str) -> bool {
        matches!(&node.value, Value::Map(entries) if entries.iter().any(|(k, _)| k.text == name))
    }

    /// `analysis: {interval, count, failure_limit, source, queries: [{name, query, success}]}`.
    fn analysis(&mut self, node: &Node, job_what: &str) -> Option<Analysis> {
        let what = format!("`deploy.analysis` of {job_what}");
        let mut a = Analysis {
            interval: std::time::Duration::from_secs(30),
            count: 3,
            failure_limit: 0,
            source: None,
            checks: Vec::new(),
        };
        let mut queries = None;
        for (k, value) in self.entries(node, ANALYSIS_KEYS, &what) {
            let field = format!("`analysis.{}` of {job_what}", k.text);
            match k.text.as_str() {
                "interval" => a.interval = self.duration(value, &field).unwrap_or(a.interval),
                "count" | "failure_limit" => {
                    let Some(text) = self.string(value, &field) else {
                        continue;
                    };
                    match text.trim().parse::<u32>() {
                        Ok(n) if k.text == "count" && (1..=100).contains(&n) => a.count = n,
                        Ok(n) if k.text == "failure_limit" && n <= 100 => a.failure_limit = n,
                        _ => self.error(
                            value.pos,
                            format!(
                                "{field} must be a whole number ({}), found `{text}`",
                                if k.text == "count" { "1 to 100" } else { "0 to 100" }
                            ),
                        ),
                    }
                }
                "source" => a.source = self.non_empty_string(value, &field),
                "queries" => queries = Some(value),
                _ => {}
            }
        }
        let Some(list) = queries else {
            self.error(
                node.pos,
                format!(
                    "{what} needs `queries`: the PromQL checks, each `{{name, query, success: \"< 0.01\"}}`"
                ),
            );
            return None;
        };
        let Value::Seq(items) = &list.value else {
            self.error(
                list.pos,
                format!(
                    "`analysis.queries` of {job_what} must be a list of checks, found {}",
                    list.kind()
                ),
            );
            return None;
        };
        if items.is_empty() {
            self.error(
                list.pos,
                format!("`analysis.queries` of {job_what} is empty; give at least one check"),
            );
        }
        for (i, item) in items.iter().enumerate() {
            let cwhat = format!("check {} of `analysis.queries` of {job_what}", i + 1);
            let (mut name, mut query, mut success) = (None, None, None);
            for (k, value) in self.entries(item, CHECK_KEYS, &cwhat) {
                let field = format!("`{}` of {cwhat}", k.text);
                match k.text.as_str() {
                    "name" => name = self.non_empty_string(value, &field),
                    "query" => query = self.non_empty_string(value, &field),
                    "success" => {
                        if let Some(text) = self.string(value, &field) {
                            match Threshold::parse(&text) {
                                Ok(t) => success = Some(t),
                                Err(e) => self.error(value.pos, format!("{field}: {e}")),
                            }
                        }
                    }
                    _ => {}
                }
            }
            match (query, success) {
                (Some(query), Some(success)) => a.checks.push(Check {
                    name: name.unwrap_or_else(|| format!("check {}", i + 1)),
                    query,
                    success,
                }),
                (q, s) if matches!(item.value, Value::Map(_)) => {
                    let mut missing = Vec::new();
                    if q.is_none() && !self.has_key(item, "query") {
                        missing.push("`query`");
                    }
                    if s.is_none() && !self.has_key(item, "success") {
                        missing.push("`success` (a condition like `< 0.01`)");
                    }
                    if !missing.is_empty() {
                        self.error(item.pos, format!("{cwhat} needs {}", missing.join(" and ")));
                    }
                }
                _ => {}
            }
        }
        Some(a)
    }

    /// `targets`: a list whose entries are waves; an entry is a target's
    /// name (a wave of one) or a list of names (deployed at once).
    fn waves(&mut self, node: &Node, what: &str) -> Vec<Vec<String>> {
        let entries: Vec<&Node> = match &node.value {
            Value::Scalar { .. } => vec![node],
            Value::Seq(items) => items.iter().collect(),
            _ => {
                self.error(
                    node.pos,
                    format!("{what} must be a target's name or a list of waves, like `[[aws-prod], [azure-prod, gcp-prod]]`, found {}", node.kind()),
                );
                return Vec::new();
            }
        };
        if entries.is_empty() {
            self.error(node.pos, format!("{what} is empty; name at least one target"));
        }
        let mut seen: HashMap<String, Pos> = HashMap::new();
        let mut waves = Vec::new();
        for entry in entries {
            let names = match &entry.value {
                Value::Seq(_) => self.string_list(entry, what),
                Value::Scalar { text, .. } => vec![(text.clone(), entry.pos)],
                _ => {
                    self.error(
                        entry.pos,
                        format!(
                            "each wave of {what} must be a target's name or a list of them, found {}",
                            entry.kind()
                        ),
                    );
                    continue;
                }
            };
            if names.is_empty() {
                self.error(entry.pos, format!("a wave of {what} is empty; name its targets"));
                continue;
            }
            let mut wave = Vec::new();
            for (name, pos) in names {
                let name = name.trim().to_string();
                if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    self.error(pos, format!("`{name}` in {what} is not a target name"));
                } else if let Some(first) = seen.get(&name) {
                    self.error(
                        pos,
                        format!(
                            "target `{name}` is named twice in {what} (first on line {}); deploy to it once",
                            first.line
                        ),
                    );
                } else {
                    seen.insert(name.clone(), pos);
                    wave.push(name);
                }
            }
            if !wave.is_empty() {
                waves.push(wave);
            }
        }
        waves
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
