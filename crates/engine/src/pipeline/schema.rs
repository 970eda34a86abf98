//! The JSON Schema of `switchyard.yaml`, generated from the types below.
//!
//! These types describe the file as written (strings for durations, "text or
//! list" where the loader accepts both); the loader in `load.rs` is what reads
//! files, and a test keeps the two in step: the schema's property names must
//! equal the loader's allowed keys, and every example in `docs/` must validate.

use indexmap::IndexMap;
use schemars::JsonSchema;

/// A Switchyard pipeline (`switchyard.yaml` at a project's root).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, title = "Switchyard pipeline")]
#[allow(dead_code)]
pub struct PipelineFile {
    /// The project's name (letters, digits, `-`, `_`, `.`). Defaults to the folder name.
    #[schemars(regex(pattern = r"^[A-Za-z0-9._-]{1,100}$"))]
    name: Option<String>,
    /// Environment variables for every job and step.
    env: Option<Env>,
    /// The jobs, by name. Jobs without `needs` start at once, in parallel.
    #[schemars(length(min = 1))]
    jobs: IndexMap<JobName, JobFile>,
}

/// A job name: letters, digits, `-`, `_` and `.`.
#[derive(JsonSchema, PartialEq, Eq, Hash)]
#[allow(dead_code)]
struct JobName(#[schemars(regex(pattern = r"^[A-Za-z0-9._-]{1,100}$"))] String);

/// Environment variables: `NAME: value`.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Env(IndexMap<EnvName, Scalar>);

/// An environment variable name.
#[derive(JsonSchema, PartialEq, Eq, Hash)]
#[allow(dead_code)]
struct EnvName(#[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))] String);

/// Text, a number or a boolean (all passed on as text).
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum Scalar {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
}

/// One value or a list of them.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum OneOrMany<T> {
    /// A single value.
    One(T),
    /// A list.
    Many(Vec<T>),
}

/// A duration such as `90s`, `20m`, `1h30m`.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct DurationText(#[schemars(regex(pattern = r"^\s*([0-9]+\s*[a-zA-Zµ]+\s*)+$"))] String);

/// Where the job runs: `local` (default) or `kubernetes:<target>`.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct RunnerText(#[schemars(regex(pattern = r"^(local|kubernetes:.+)$"))] String);

/// When the job runs, given how the jobs it needs ended.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum ConditionText {
    /// Only when every job it needs succeeded (default).
    Success,
    /// Only when a job it needs (directly or not) failed.
    Failure,
    /// Whatever happened: for cleanup.
    Always,
}

/// A job: steps that run in order in one workspace.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct JobFile {
    /// Jobs that must finish first (a name or a list of names).
    needs: Option<OneOrMany<String>>,
    /// Where the job runs: `local` (default) or `kubernetes:<target>`.
    runner: Option<RunnerText>,
    /// Container image for the Kubernetes runner.
    image: Option<String>,
    /// Environment variables for this job's steps.
    env: Option<Env>,
    /// Directory the steps start in, relative to the workspace.
    working_dir: Option<String>,
    /// Limit on each attempt of the job, e.g. `20m`. The whole process tree is killed when it passes.
    timeout: Option<DurationText>,
    /// How many times to try again after a failure or timeout (0 to 20).
    #[schemars(range(min = 0, max = 20))]
    retry: Option<u32>,
    /// `success` (default), `failure` or `always`.
    #[serde(rename = "if")]
    condition: Option<ConditionText>,
    /// Names of secrets exposed to the steps as environment variables. Values come from the secret store, never from this file.
    secrets: Option<OneOrMany<EnvName>>,
    /// Globs (relative to the workspace) of files kept after the job.
    artifacts: Option<OneOrMany<String>>,
    /// Test reports read after the job.
    reports: Option<ReportsFile>,
    /// Variables whose value combinations fan the job out, e.g. `{os: [linux, mac]}`. Use `${{ matrix.os }}` or `$MATRIX_OS` in steps.
    matrix: Option<IndexMap<EnvName, Vec<Scalar>>>,
    /// The steps, run in order; a failing step ends the job. Every job has
    /// `steps` or `approval`, not both.
    #[schemars(length(min = 1))]
    steps: Option<Vec<StepFile>>,
    /// Makes the job a gate that waits for a person: approved, it succeeds;
    /// rejected, it fails. Jobs that `need` it wait with it.
    approval: Option<ApprovalFile>,
    /// Makes the job a deployment of an app's manifests to cluster targets
    /// (see docs/deployments.md). A deploy job has no `steps`.
    deploy: Option<DeployFile>,
    /// Kubernetes jobs: resource requests and limits of the pod.
    resources: Option<ResourcesFile>,
    /// Kubernetes jobs: node labels the pod must be scheduled on.
    node_selector: Option<IndexMap<String, Scalar>>,
    /// Kubernetes jobs: taints the pod tolerates.
    tolerations: Option<Vec<TolerationFile>>,
    /// Kubernetes jobs: the ServiceAccount the pod runs as.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"))]
    service_account: Option<String>,
    /// Kubernetes jobs: Secrets with registry credentials for the image.
    image_pull_secrets: Option<OneOrMany<String>>,
}

/// A manual gate.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ApprovalFile {
    /// What is asked, e.g. `Ship 1.4 to production?`.
    message: String,
}

/// A deployment: an app's manifests shipped to targets, wave after wave.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct DeployFile {
    /// The app's name (a Kubernetes label value).
    #[schemars(regex(pattern = r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"))]
    app: String,
    /// The environment, e.g. `production` (a Kubernetes label value).
    #[schemars(regex(pattern = r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"))]
    environment: String,
    /// The folder of manifests (YAML, `---` between objects), relative to the project; a folder with a `kustomization.yaml` is rendered as `kustomize build` would.
    manifests: String,
    /// Images to set, matched by repository: `repo:tag` is the default version;
    /// a bare `repo` is set from `switchyard deploy --image repo:tag`;
    /// `${{ needs.<job>.outputs.<name> }}` takes it from a needed job's output.
    images: Option<OneOrMany<String>>,
    /// Targets in waves: each entry is a wave (a target, or a list of targets
    /// deployed at once); a wave starts when the one before succeeded.
    targets: OneOrMany<OneOrMany<String>>,
    /// How the new version replaces the old: `rolling` (default), `canary`,
    /// or `{canary: {steps, pause, traffic, ...}}`.
    strategy: Option<StrategyFile>,
    /// Prometheus checks at each canary step.
    analysis: Option<AnalysisFile>,
    /// Whether a person approves before anything is applied (default: true
    /// for production environments).
    approval: Option<bool>,
}

/// Measurements at each canary step.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct AnalysisFile {
    /// Time between two measurements (default 30s).
    interval: Option<DurationText>,
    /// Measurements per step (default 3).
    #[schemars(range(min = 1, max = 100))]
    count: Option<u32>,
    /// Failed measurements tolerated per step (default 0).
    #[schemars(range(min = 0, max = 100))]
    failure_limit: Option<u32>,
    /// The Prometheus source (default: the target's, else the default one).
    source: Option<String>,
    /// The checks.
    #[schemars(length(min = 1))]
    queries: Vec<CheckFile>,
}

/// One PromQL check.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct CheckFile {
    /// Its name.
    name: Option<String>,
    /// The PromQL query; `{{version}}`, `{{stable_version}}`, `{{app}}` and `{{namespace}}` are replaced.
    query: String,
    /// When a measurement passes, e.g. `< 0.01`.
    #[schemars(regex(pattern = r"^\s*(<=|>=|==|<|>)\s*[-+]?[0-9.eE+-]+\s*$"))]
    success: String,
}

/// A deployment strategy.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum StrategyFile {
    /// By name, with the defaults.
    Name(StrategyName),
    /// A canary with its settings.
    Canary(CanaryStrategy),
    /// A blue-green deployment with its settings.
    BlueGreen(BlueGreenStrategy),
}

/// `blue-green: {...}`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct BlueGreenStrategy {
    /// The settings.
    #[serde(rename = "blue-green")]
    blue_green: BlueGreenFile,
}

/// A blue-green deployment's settings.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct BlueGreenFile {
    /// The Service switched to the new version (default: the manifests' only Service).
    service: Option<String>,
    /// How long the old version keeps running after the switch (default 0s), e.g. `10m`.
    keep_old: Option<DurationText>,
}

/// A strategy's name.
#[derive(JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum StrategyName {
    /// The Deployment's own rolling update, rolled back when it fails.
    Rolling,
    /// Steps of 25, 50 and 100% of the traffic by replica ratio.
    Canary,
    /// A preview beside the stable version, then the Service switched.
    BlueGreen,
}

/// `canary: {...}`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct CanaryStrategy {
    /// The canary's settings.
    canary: CanaryFile,
}

/// A canary's steps and traffic.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct CanaryFile {
    /// The canary's share of the traffic at each step, rising, in percent
    /// (100 is added when missing: promotion).
    steps: Option<Vec<u8>>,
    /// How long each step holds before the next, e.g. `5m`.
    pause: Option<DurationText>,
    /// `replicas` (default: by replica ratio), `istio` (a VirtualService's
    /// weights) or `gateway-api` (an HTTPRoute's backend weights).
    traffic: Option<TrafficText>,
    /// The stable Service.
    service: Option<String>,
    /// The VirtualService or HTTPRoute holding the weights (default: the app's name).
    route: Option<String>,
    /// Istio: requests with this header always go to the canary.
    header: Option<HeaderFile>,
}

/// How a canary's traffic is split.
#[derive(JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum TrafficText {
    /// By replica ratio.
    Replicas,
    /// Istio VirtualService weights.
    Istio,
    /// Gateway API HTTPRoute weights.
    GatewayApi,
}

/// A request header and its exact value.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct HeaderFile {
    /// The header's name.
    name: String,
    /// Its value.
    value: String,
}

/// Resource requests and limits, e.g. `{requests: {cpu: 500m, memory: 1Gi}}`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ResourcesFile {
    /// What the pod is guaranteed: resource name to quantity.
    requests: Option<IndexMap<String, Quantity>>,
    /// What the pod may use at most.
    limits: Option<IndexMap<String, Quantity>>,
}

/// A Kubernetes quantity such as `500m`, `2`, `512Mi`, `1Gi`.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum Quantity {
    /// Text with an optional suffix.
    Text(
        #[schemars(regex(
            pattern = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([munkMGTPE]|[KMGTPE]i|[eE][+-]?[0-9]+)?$"
        ))]
        String,
    ),
    /// A plain number.
    Number(f64),
}

/// A toleration, as in a pod spec.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct TolerationFile {
    /// The taint key; leave out with `operator: Exists` to tolerate every taint.
    key: Option<String>,
    /// `Equal` (default) or `Exists`.
    operator: Option<TolerationOperator>,
    /// The taint value, for `Equal`.
    value: Option<String>,
    /// The taint effect; leave out to tolerate all effects.
    effect: Option<TaintEffect>,
    /// For `NoExecute`: seconds the pod stays after the taint appears.
    #[schemars(range(min = 0))]
    toleration_seconds: Option<i64>,
}

/// How a toleration matches a taint.
#[derive(JsonSchema)]
#[allow(dead_code)]
enum TolerationOperator {
    /// Key and value must match.
    Equal,
    /// The key must exist (any value).
    Exists,
}

/// A taint effect.
#[derive(JsonSchema)]
#[allow(dead_code)]
enum TaintEffect {
    /// Not scheduled there.
    NoSchedule,
    /// Avoided when possible.
    PreferNoSchedule,
    /// Evicted when running there.
    NoExecute,
}

/// Test reports of a job.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ReportsFile {
    /// Globs of JUnit XML files (cargo-nextest, pytest, Surefire, jest-junit, ...).
    junit: Option<OneOrMany<String>>,
}

/// A step: a shell command, or a mapping with `run:`.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum StepFile {
    /// Shorthand for `run:`.
    Command(String),
    /// A step with options.
    Full(StepMap),
}

/// A step with options.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct StepMap {
    /// Display name; defaults to the first line of `run`.
    name: Option<String>,
    /// Shell script, run with `sh -c` in the workspace.
    run: String,
    /// Environment variables for this step only.
    env: Option<Env>,
    /// Directory the step starts in, relative to the workspace.
    working_dir: Option<String>,
    /// Limit on this step, e.g. `90s`.
    timeout: Option<DurationText>,
}

/// The JSON Schema document for `switchyard.yaml`.
pub fn json_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(PipelineFile).to_value();
    if let Some(obj) = schema.as_object_mut() {
        // Top-level `x-` keys hold YAML anchors for reuse; they are ignored.
        obj.insert(
            "patternProperties".into(),
            serde_json::json!({ "^x-": { "description": "Ignored: a place for YAML anchors (`x-defaults: &defaults`)." } }),
        );
        obj.insert(
            "$id".into(),
            serde_json::Value::String("https://switchyard.dev/schema/pipeline.json".into()),
        );
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::super::load::{
        ANALYSIS_KEYS, APPROVAL_KEYS, BLUE_GREEN_KEYS, CANARY_KEYS, CHECK_KEYS, DEPLOY_KEYS, HEADER_KEYS,
        JOB_KEYS, PIPELINE_KEYS, REPORT_KEYS, RESOURCES_KEYS, STEP_KEYS, TOLERATION_KEYS,
    };
    use super::*;
    use std::collections::BTreeSet;

    fn props(schema: &serde_json::Value, def: Option<&str>) -> BTreeSet<String> {
        let node = match def {
            None => schema,
            Some(d) => &schema["$defs"][d],
        };
        node["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("no properties for {def:?} in {schema:#}"))
            .keys()
            .cloned()
            .collect()
    }

    fn set(keys: &[&str]) -> BTreeSet<String> {
        keys.iter().map(|s| s.to_string()).collect()
    }

    /// The schema and the loader must accept the same keys, or editors would
    /// flag valid files (or miss typos the loader rejects).
    #[test]
    fn schema_keys_match_loader_keys() {
        let schema = json_schema();
        assert_eq!(props(&schema, None), set(PIPELINE_KEYS));
        assert_eq!(props(&schema, Some("JobFile")), set(JOB_KEYS));
        assert_eq!(props(&schema, Some("StepMap")), set(STEP_KEYS));
        assert_eq!(props(&schema, Some("ReportsFile")), set(REPORT_KEYS));
        assert_eq!(props(&schema, Some("ResourcesFile")), set(RESOURCES_KEYS));
        assert_eq!(props(&schema, Some("TolerationFile")), set(TOLERATION_KEYS));
        assert_eq!(props(&schema, Some("ApprovalFile")), set(APPROVAL_KEYS));
        assert_eq!(props(&schema, Some("DeployFile")), set(DEPLOY_KEYS));
        assert_eq!(props(&schema, Some("CanaryFile")), set(CANARY_KEYS));
        assert_eq!(props(&schema, Some("BlueGreenFile")), set(BLUE_GREEN_KEYS));
        assert_eq!(props(&schema, Some("HeaderFile")), set(HEADER_KEYS));
        assert_eq!(props(&schema, Some("AnalysisFile")), set(ANALYSIS_KEYS));
        assert_eq!(props(&schema, Some("CheckFile")), set(CHECK_KEYS));
    }
}
