//! The pipeline file (`switchyard.yaml`): its model, its loader and its plan.
//!
//! [`load`] turns the file's text into a [`Pipeline`], reporting every problem
//! it finds as a [`Diagnostic`] with line and column. [`plan::Plan`] then fans
//! out matrices and orders the jobs into the DAG the scheduler runs. The JSON
//! Schema that editors use ([`schema::json_schema`]) is generated from
//! [`schema`]'s types, and a test keeps its keys equal to the loader's.

mod load;
pub mod plan;
pub mod schema;
pub mod yaml;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;

pub(crate) use load::did_you_mean;
pub use load::{LoadFileError, PIPELINE_FILE, load, load_file};
pub use yaml::Pos;

/// A parsed pipeline file.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// The project's name, if the file sets one.
    pub name: Option<String>,
    /// Environment for every job and step.
    pub env: IndexMap<String, String>,
    /// Jobs in file order (before matrix fan-out).
    pub jobs: Vec<Job>,
}

/// One job: steps that run in order in one place.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Unique name within the pipeline.
    pub name: String,
    /// Where the job's name was written, for messages about it.
    pub pos: Pos,
    /// Jobs that must finish first.
    pub needs: Vec<Need>,
    /// Where the job runs.
    pub runner: RunnerRef,
    /// Container image (used by the Kubernetes runner).
    pub image: Option<String>,
    /// Pod placement and sizing (Kubernetes jobs only).
    pub pod: PodOptions,
    /// Environment for this job's steps.
    pub env: IndexMap<String, String>,
    /// Directory (relative to the workspace) the steps start in.
    pub working_dir: Option<String>,
    /// Limit on the whole job (per attempt).
    pub timeout: Option<Duration>,
    /// How many times a failed or timed-out job is tried again.
    pub retry: u32,
    /// When the job runs, given how its dependencies ended.
    pub condition: Condition,
    /// Names of secrets exposed to the steps as environment variables.
    pub secrets: Vec<String>,
    /// Globs of files kept after the job.
    pub artifacts: Vec<String>,
    /// Globs of JUnit XML reports parsed after the job.
    pub junit: Vec<String>,
    /// Value combinations the job is fanned out over.
    pub matrix: IndexMap<String, Vec<String>>,
    /// The steps, in order (none for an approval job).
    pub steps: Vec<Step>,
    /// Set for an approval job: a gate that waits for a person.
    pub approval: Option<Approval>,
    /// Set for a deploy job: what it ships, where and how.
    pub deploy: Option<Deploy>,
}

/// A deploy job's `deploy:` mapping: ship an app's manifests to targets,
/// wave after wave, with a strategy. See `docs/deployments.md`.
#[derive(Debug, Clone, PartialEq)]
pub struct Deploy {
    /// The app's name (a label on everything applied).
    pub app: String,
    /// The environment, e.g. `production` (a label, and the key of the
    /// app's revisions: `deploy rollback APP --env ENV`).
    pub environment: String,
    /// The folder of manifests (YAML, `---` between objects), relative to
    /// the workspace; a folder with a `kustomization.yaml` is rendered.
    pub manifests: String,
    /// Container images to set: a reference with a tag or digest is the
    /// default; a bare repository names which images `--image` replaces.
    /// Matched by repository, as kustomize's `images` does.
    pub images: Vec<String>,
    /// Target names in waves: a wave starts when the one before succeeded.
    pub waves: Vec<Vec<String>>,
    /// How the new version replaces the old one.
    pub strategy: Strategy,
    /// Checks of Prometheus metrics at each canary step.
    pub analysis: Option<Analysis>,
    /// Whether a person approves before anything is applied; `None`: only
    /// for production (an environment named `production` or `prod`, or a
    /// target labelled `environment = "production"` in config.toml).
    pub approval: Option<bool>,
}

/// Measurements taken at each canary step, in the manner of Argo Rollouts'
/// AnalysisTemplates: every check is measured `count` times, `interval`
/// apart; more than `failure_limit` failed measurements abort the canary,
/// and no data (or an unreachable Prometheus) is inconclusive: the rollout
/// waits for a person, it never goes on by itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Time between two measurements.
    pub interval: Duration,
    /// Measurements per step.
    pub count: u32,
    /// Failed measurements tolerated per step.
    pub failure_limit: u32,
    /// The Prometheus source (default: the target's, else the default one).
    pub source: Option<String>,
    /// What is measured.
    pub checks: Vec<Check>,
}

/// One PromQL check of an analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Its name, in logs and the history.
    pub name: String,
    /// The query; `{{version}}`, `{{stable_version}}`, `{{app}}` and
    /// `{{namespace}}` are replaced before it is sent.
    pub query: String,
    /// When a measurement passes.
    pub success: Threshold,
}

/// A condition on a measured value: `< 0.01`, `>= 0.99`...
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// The comparison.
    pub op: Comparison,
    /// The bound.
    pub value: f64,
}

/// A comparison of a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
    /// `==`
    Equal,
}

impl Threshold {
    /// Parses `< 0.01` (an operator, then a number).
    pub fn parse(text: &str) -> Result<Threshold, String> {
        let t = text.trim();
        let (op, rest) = [
            ("<=", Comparison::LessOrEqual),
            (">=", Comparison::GreaterOrEqual),
            ("==", Comparison::Equal),
            ("<", Comparison::Less),
            (">", Comparison::Greater),
        ]
        .into_iter()
        .find_map(|(sym, op)| t.strip_prefix(sym).map(|r| (op, r)))
        .ok_or_else(|| format!("`{t}` is not a condition; write it like `< 0.01` or `>= 0.99`"))?;
        let value: f64 = rest
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| format!("`{t}` does not end with a number; write it like `< 0.01`"))?;
        Ok(Threshold { op, value })
    }

    /// Whether `value` meets the condition.
    pub fn holds(&self, value: f64) -> bool {
        match self.op {
            Comparison::Less => value < self.value,
            Comparison::LessOrEqual => value <= self.value,
            Comparison::Greater => value > self.value,
            Comparison::GreaterOrEqual => value >= self.value,
            Comparison::Equal => value == self.value,
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Equal => "==",
        };
        write!(f, "{op} {}", self.value)
    }
}

/// How a deployment replaces the old version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Strategy {
    /// The Deployment's own rolling update, watched to its
    /// `progressDeadlineSeconds`; rolled back when it fails.
    #[default]
    Rolling,
    /// The new version beside the stable one, taking a growing share of the
    /// traffic step by step, then promoted (or aborted: 100% back on stable).
    Canary(Canary),
    /// The new version as a second Deployment behind a preview Service; the
    /// stable Service switched to it at once once it is ready (and checked),
    /// the old version kept for a while for an instant switch back.
    BlueGreen(BlueGreen),
}

/// A blue-green deployment's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlueGreen {
    /// The Service switched (default: the manifests' only Service, or the
    /// one named after the app).
    pub service: Option<String>,
    /// How long the old version keeps running after the switch, for an
    /// instant switch back (a cancel); then the stable Deployment takes
    /// the new version and the preview is removed.
    pub keep_old: Duration,
}

impl Strategy {
    /// The name used in the pipeline file and stored.
    pub fn as_str(&self) -> &'static str {
        match self {
            Strategy::Rolling => "rolling",
            Strategy::Canary(_) => "canary",
            Strategy::BlueGreen(_) => "blue-green",
        }
    }
}

/// A canary's steps and how its traffic is split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canary {
    /// The canary's share of the traffic at each step, in percent, rising;
    /// the last is 100 (promotion).
    pub steps: Vec<u8>,
    /// How long each step (but the last) holds before the next.
    pub pause: Option<Duration>,
    /// How the traffic is split.
    pub traffic: Traffic,
    /// The stable Service (default: the manifests' only Service, or the
    /// one named after the app).
    pub service: Option<String>,
    /// The VirtualService or HTTPRoute holding the weights (default: the
    /// app's name).
    pub route: Option<String>,
    /// Istio only: requests with this header (name, exact value) always go
    /// to the canary, for a test audience.
    pub header: Option<(String, String)>,
}

/// Where a canary's traffic weights go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Traffic {
    /// No mesh: the share of replicas (stable shrinks as the canary grows).
    #[default]
    Replicas,
    /// An Istio VirtualService's route weights, with a DestinationRule's
    /// stable and canary subsets.
    Istio,
    /// A Gateway API HTTPRoute's backend weights (stable and canary Services).
    GatewayApi,
}

impl Traffic {
    /// The name used in the pipeline file.
    pub fn as_str(self) -> &'static str {
        match self {
            Traffic::Replicas => "replicas",
            Traffic::Istio => "istio",
            Traffic::GatewayApi => "gateway-api",
        }
    }
}

/// A manual gate: the job waits (`waiting`) until someone approves it (it
/// succeeds) or rejects it (it fails), in the app or with `switchyard
/// approve|reject`; its `timeout` (if any) fails it when nobody decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// What is asked, e.g. "Ship 1.4 to production?".
    pub message: String,
}

/// How a Kubernetes job's pod is sized and placed: the job's `resources`,
/// `node_selector`, `tolerations`, `service_account` and
/// `image_pull_secrets`. Plain data here; the Kubernetes runner turns it into
/// the pod spec, on top of its target's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PodOptions {
    /// Resource requests, e.g. `cpu: 500m`, `memory: 1Gi`.
    pub requests: IndexMap<String, String>,
    /// Resource limits.
    pub limits: IndexMap<String, String>,
    /// Node labels the pod must be scheduled on.
    pub node_selector: IndexMap<String, String>,
    /// Taints the pod tolerates.
    pub tolerations: Vec<Toleration>,
    /// The ServiceAccount the pod runs as.
    pub service_account: Option<String>,
    /// Secrets holding registry credentials for the image.
    pub image_pull_secrets: Vec<String>,
}

impl PodOptions {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == PodOptions::default()
    }
}

/// One Kubernetes toleration, as in a pod spec.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Toleration {
    /// The taint key (none with `Exists`: every taint).
    pub key: Option<String>,
    /// `Equal` (default) or `Exists`.
    pub operator: Option<String>,
    /// The taint value, for `Equal`.
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`; none: all effects.
    pub effect: Option<String>,
    /// For `NoExecute`: how long the pod stays bound after the taint appears.
    pub toleration_seconds: Option<i64>,
}

/// A dependency on another job, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The job it names.
    pub job: String,
    /// Where it was written.
    pub pos: Pos,
}

/// One shell line (or script) in a job.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Display name; defaults to the first line of `run`.
    pub name: String,
    /// Shell script, run with `sh -c`.
    pub run: String,
    /// Environment for this step only.
    pub env: IndexMap<String, String>,
    /// Directory (relative to the workspace) the step starts in.
    pub working_dir: Option<String>,
    /// Limit on this step.
    pub timeout: Option<Duration>,
}

/// When a job runs, given how the jobs it needs ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Condition {
    /// Only when every job it needs succeeded (the default).
    #[default]
    Success,
    /// Only when at least one job it needs (directly or not) failed: for
    /// notifications and diagnostics.
    Failure,
    /// Whatever happened before: for cleanup.
    Always,
}

impl Condition {
    /// The word used in the pipeline file.
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Success => "success",
            Condition::Failure => "failure",
            Condition::Always => "always",
        }
    }
}

/// Where a job runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum RunnerRef {
    /// A process on this machine (the default).
    #[default]
    Local,
    /// A pod in the cluster target of that name.
    Kubernetes {
        /// The target's name (a kubeconfig context for now).
        target: String,
    },
}

impl RunnerRef {
    /// The scheme of the local runner.
    pub const LOCAL: &'static str = "local";
    /// The scheme of Kubernetes runners.
    pub const KUBERNETES: &'static str = "kubernetes";

    /// Whether the work runs outside this process and goes on without it
    /// (so a restarted Switchyard can re-attach to it).
    pub fn is_remote(&self) -> bool {
        !matches!(self, RunnerRef::Local)
    }

    /// The runner's scheme: `local`, `kubernetes`.
    pub fn scheme(&self) -> &'static str {
        match self {
            RunnerRef::Local => Self::LOCAL,
            RunnerRef::Kubernetes { .. } => Self::KUBERNETES,
        }
    }

    /// The target, for schemes that have one.
    pub fn target(&self) -> Option<&str> {
        match self {
            RunnerRef::Local => None,
            RunnerRef::Kubernetes { target } => Some(target),
        }
    }
}

/// Why a `runner:` value is not one Switchyard knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnknownRunner(pub String);

impl std::str::FromStr for RunnerRef {
    type Err = UnknownRunner;

    /// The one parser of runner names, for `runner:` in pipelines and for
    /// the names stored with jobs: `local` or `kubernetes:<target>`.
    fn from_str(text: &str) -> Result<RunnerRef, UnknownRunner> {
        let t = text.trim();
        if t == Self::LOCAL {
            return Ok(RunnerRef::Local);
        }
        if let Some(target) = t.strip_prefix("kubernetes:") {
            let target = target.trim();
            if target.is_empty() {
                return Err(UnknownRunner(
                    "`runner: kubernetes:` needs a target name, like `kubernetes:staging`".into(),
                ));
            }
            return Ok(RunnerRef::Kubernetes {
                target: target.to_string(),
            });
        }
        if t == Self::KUBERNETES {
            return Err(UnknownRunner(
                "`runner: kubernetes` needs a target name, like `kubernetes:staging`".into(),
            ));
        }
        Err(UnknownRunner(format!(
            "unknown runner `{t}`; use `local` or `kubernetes:<target>`"
        )))
    }
}

impl fmt::Display for RunnerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunnerRef::Local => f.write_str("local"),
            RunnerRef::Kubernetes { target } => write!(f, "kubernetes:{target}"),
        }
    }
}

/// One problem found in a pipeline file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// The file it is in.
    pub file: PathBuf,
    /// Where in the file.
    pub pos: Pos,
    /// One line: what is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.pos.line,
            self.pos.column,
            self.message
        )
    }
}

/// Why a pipeline file could not be used: every problem found in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidPipeline {
    /// The problems, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for InvalidPipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// A project name made from a folder's name: characters a name may not hold
/// become `-` (the name a project gets when its pipeline sets none).
pub fn name_from_folder(dir: &std::path::Path) -> String {
    let cleaned: String = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "project".into()
    } else {
        cleaned
    }
}

/// Parses a duration such as `90s`, `20m`, `1h30m` or `500ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{t}` has no unit; write it like `{t}s`, `{t}m` or `{t}h`"
        ));
    }
    let d = humantime::parse_duration(t)
        .map_err(|e| format!("`{t}` is not a duration ({e}); write it like `90s`, `20m` or `1h30m`"))?;
    if d.is_zero() {
        return Err(format!("`{t}` is zero; a limit must be longer than that"));
    }
    Ok(d)
}

/// Formats a duration the way the pipeline file writes it.
pub fn format_duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}
