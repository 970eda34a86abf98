//! What the runner creates in a cluster for one job attempt, and how a pod
//! that does not start is explained.
//!
//! One bare Pod (not a Job: the runner, not a controller, decides when it
//! ends) named `sy-<instance>-r<run>-j<job>-a<attempt>`, labelled with the
//! Switchyard instance, run, job, attempt and project, whose container stays
//! idle while steps run in it through `exec`; and, when the job has secrets,
//! one Secret named like the pod plus `-secrets`, owned by the pod so the
//! garbage collector deletes it with the pod even if Switchyard is gone.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{
    Container, EmptyDirVolumeSource, EnvVar, EnvVarSource, Event, LocalObjectReference, Pod, PodSpec,
    ResourceRequirements, Secret, SecretKeySelector, Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use secrecy::ExposeSecret;
use switchyard_engine::pipeline::PodOptions;
use switchyard_engine::runner::{JobContext, JobKey};

use super::exec::CONTAINER;

/// `app.kubernetes.io/managed-by` value on everything the runner creates.
pub const MANAGED_BY: &str = "switchyard";
/// Label: the Switchyard installation (data dir) that created it.
pub const LABEL_INSTANCE: &str = "switchyard.dev/instance";
/// Label: the run id.
pub const LABEL_RUN: &str = "switchyard.dev/run";
/// Label: the job id.
pub const LABEL_JOB: &str = "switchyard.dev/job";
/// Label: the attempt.
pub const LABEL_ATTEMPT: &str = "switchyard.dev/attempt";
/// Label: the project id.
pub const LABEL_PROJECT: &str = "switchyard.dev/project";
/// Where the workspace is mounted (the container's working directory).
pub const WORKSPACE: &str = "/workspace";

/// The pod of one job attempt.
pub fn pod_name(instance: &str, key: JobKey, attempt: u32) -> String {
    format!("sy-{instance}-r{}-j{}-a{attempt}", key.run_id, key.job_id)
}

/// The Secret that carries the job's secret values.
pub fn secret_name(pod: &str) -> String {
    format!("{pod}-secrets")
}

/// Label selector for everything of one job (every attempt).
pub fn job_selector(instance: &str, key: JobKey) -> String {
    format!(
        "app.kubernetes.io/managed-by={MANAGED_BY},{LABEL_INSTANCE}={instance},{LABEL_RUN}={},{LABEL_JOB}={}",
        key.run_id, key.job_id
    )
}

/// Label selector for everything of this Switchyard installation.
pub fn instance_selector(instance: &str) -> String {
    format!("app.kubernetes.io/managed-by={MANAGED_BY},{LABEL_INSTANCE}={instance}")
}

/// The job a labelled object belongs to.
pub fn job_of(labels: &BTreeMap<String, String>) -> Option<(JobKey, u32)> {
    let get = |k: &str| labels.get(k).and_then(|v| v.parse::<i64>().ok());
    Some((
        JobKey {
            run_id: get(LABEL_RUN)?,
            job_id: get(LABEL_JOB)?,
        },
        get(LABEL_ATTEMPT).unwrap_or(1) as u32,
    ))
}

fn labels(instance: &str, job: &JobContext) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/managed-by".to_string(), MANAGED_BY.to_string()),
        (LABEL_INSTANCE.to_string(), instance.to_string()),
        (LABEL_RUN.to_string(), job.key.run_id.to_string()),
        (LABEL_JOB.to_string(), job.key.job_id.to_string()),
        (LABEL_ATTEMPT.to_string(), job.attempt.to_string()),
        (LABEL_PROJECT.to_string(), job.project_id.to_string()),
    ])
}

fn meta(name: &str, namespace: &str, instance: &str, job: &JobContext) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(namespace.to_string()),
        labels: Some(labels(instance, job)),
        annotations: Some(BTreeMap::from([
            ("switchyard.dev/project-name".to_string(), job.project.clone()),
            ("switchyard.dev/job-name".to_string(), job.job.clone()),
        ])),
        ..Default::default()
    }
}

/// The Secret with the job's secret values (one key per secret name).
pub fn secret(name: &str, namespace: &str, instance: &str, job: &JobContext) -> Secret {
    Secret {
        metadata: meta(name, namespace, instance, job),
        type_: Some("Opaque".into()),
        immutable: Some(true),
        data: Some(
            job.secrets
                .iter()
                .map(|(k, v)| (k.clone(), ByteString(v.expose_secret().as_bytes().to_vec())))
                .collect(),
        ),
        ..Default::default()
    }
}

fn quantities(map: &indexmap::IndexMap<String, String>) -> Option<BTreeMap<String, Quantity>> {
    (!map.is_empty()).then(|| {
        map.iter()
            .map(|(k, v)| (k.clone(), Quantity(v.clone())))
            .collect()
    })
}

/// Everything about where and how the pod runs.
pub struct PodParams<'a> {
    /// The pod's name.
    pub name: &'a str,
    /// Its namespace.
    pub namespace: &'a str,
    /// This Switchyard installation's id.
    pub instance: &'a str,
    /// The job.
    pub job: &'a JobContext,
    /// The job's options over the target's defaults.
    pub options: &'a PodOptions,
    /// The image (the job's, else the target's default).
    pub image: &'a str,
    /// The Secret holding the job's secrets, when it has any.
    pub secret: Option<&'a str>,
    /// Upper bound on the pod's life, so a pod nobody comes back for ends.
    pub active_deadline_seconds: i64,
}

/// The job's pod.
pub fn pod(p: &PodParams<'_>) -> Pod {
    let job = p.job;
    let mut env: Vec<EnvVar> = vec![
        EnvVar {
            name: "CI".into(),
            value: Some("true".into()),
            ..Default::default()
        },
        EnvVar {
            name: "SWITCHYARD".into(),
            value: Some("1".into()),
            ..Default::default()
        },
        EnvVar {
            name: "SWITCHYARD_RUN_ID".into(),
            value: Some(job.key.run_id.to_string()),
            ..Default::default()
        },
        EnvVar {
            name: "SWITCHYARD_PROJECT".into(),
            value: Some(job.project.clone()),
            ..Default::default()
        },
        EnvVar {
            name: "SWITCHYARD_JOB".into(),
            value: Some(job.job.clone()),
            ..Default::default()
        },
        EnvVar {
            name: "SWITCHYARD_ATTEMPT".into(),
            value: Some(job.attempt.to_string()),
            ..Default::default()
        },
    ];
    env.extend(job.env.iter().map(|(k, v)| EnvVar {
        name: k.clone(),
        value: Some(v.clone()),
        ..Default::default()
    }));
    if let Some(secret) = p.secret {
        env.extend(job.secrets.iter().map(|(k, _)| EnvVar {
            name: k.clone(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: secret.to_string(),
                    key: k.clone(),
                    optional: Some(false),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }));
    }
    let o = p.options;
    let resources = (!o.requests.is_empty() || !o.limits.is_empty()).then(|| ResourceRequirements {
        requests: quantities(&o.requests),
        limits: quantities(&o.limits),
        ..Default::default()
    });
    Pod {
        metadata: meta(p.name, p.namespace, p.instance, job),
        spec: Some(PodSpec {
            restart_policy: Some("Never".into()),
            active_deadline_seconds: Some(p.active_deadline_seconds),
            termination_grace_period_seconds: Some(5),
            // No API credentials in the pod unless the job asks for an identity.
            automount_service_account_token: Some(o.service_account.is_some()),
            service_account_name: o.service_account.clone(),
            node_selector: (!o.node_selector.is_empty()).then(|| {
                o.node_selector
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }),
            tolerations: (!o.tolerations.is_empty()).then(|| {
                o.tolerations
                    .iter()
                    .map(|t| Toleration {
                        key: t.key.clone(),
                        operator: t.operator.clone(),
                        value: t.value.clone(),
                        effect: t.effect.clone(),
                        toleration_seconds: t.toleration_seconds,
                    })
                    .collect()
            }),
            image_pull_secrets: (!o.image_pull_secrets.is_empty()).then(|| {
                o.image_pull_secrets
                    .iter()
                    .map(|n| LocalObjectReference { name: n.clone() })
                    .collect()
            }),
            containers: vec![Container {
                name: CONTAINER.into(),
                image: Some(p.image.to_string()),
                // Idle until deleted; steps run through exec. Exits at once on SIGTERM.
                command: Some(vec![
                    "sh".into(),
                    "-c".into(),
                    "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done".into(),
                ]),
                working_dir: Some(WORKSPACE.into()),
                env: Some(env),
                resources,
                volume_mounts: Some(vec![VolumeMount {
                    name: "workspace".into(),
                    mount_path: WORKSPACE.into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }],
            volumes: Some(vec![Volume {
                name: "workspace".into(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        status: None,
    }
}

/// Where a pod is in its start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PodState {
    /// Not running yet, for this reason (when one is known).
    Pending(Option<String>),
    /// Running and ready: steps can start.
    Running,
    /// It will never run steps (failed, evicted, image that cannot be pulled...).
    Failed {
        /// Why.
        reason: String,
        /// Whether a new pod would fail the same way (an invalid image
        /// name), rather than by bad luck (an evicted pod).
        permanent: bool,
    },
}

/// Reads a pod's phase, conditions and container states into a [`PodState`].
pub fn state(pod: &Pod) -> PodState {
    let Some(status) = &pod.status else {
        return PodState::Pending(None);
    };
    let phase = status.phase.as_deref().unwrap_or("Pending");
    let ready = status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    match phase {
        "Running" if ready => return PodState::Running,
        "Succeeded" | "Failed" => {
            let why = status
                .message
                .clone()
                .or_else(|| status.reason.clone())
                .or_else(|| terminated_reason(pod))
                .unwrap_or_else(|| format!("the pod ended ({phase})"));
            return PodState::Failed {
                reason: format!("the pod ended ({phase}): {why}"),
                permanent: false,
            };
        }
        _ => {}
    }
    // Container problems that will not fix themselves.
    for cs in status.container_statuses.iter().flatten() {
        if let Some(w) = cs.state.as_ref().and_then(|s| s.waiting.as_ref()) {
            let reason = w.reason.clone().unwrap_or_default();
            let msg = w.message.clone().unwrap_or_default();
            let text = if msg.is_empty() {
                reason.clone()
            } else {
                format!("{reason}: {msg}")
            };
            match reason.as_str() {
                "InvalidImageName" | "ErrImageNeverPull" => {
                    return PodState::Failed {
                        reason: format!("container cannot start: {text}"),
                        permanent: true,
                    };
                }
                "CreateContainerError" => {
                    return PodState::Failed {
                        reason: format!("container cannot start: {text}"),
                        permanent: false,
                    };
                }
                "ErrImagePull" | "ImagePullBackOff" | "CreateContainerConfigError" | "CrashLoopBackOff" => {
                    return PodState::Pending(Some(format!("container cannot start: {text}")));
                }
                _ => {}
            }
        }
        if let Some(t) = cs.state.as_ref().and_then(|s| s.terminated.as_ref()) {
            return PodState::Failed {
                reason: format!(
                    "the container ended with exit code {}{}",
                    t.exit_code,
                    t.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default()
                ),
                permanent: false,
            };
        }
    }
    for c in status.conditions.iter().flatten() {
        if c.type_ == "PodScheduled" && c.status == "False" {
            let reason = c.reason.clone().unwrap_or_else(|| "Unschedulable".into());
            let msg = c.message.clone().unwrap_or_default();
            return PodState::Pending(Some(
                format!("{reason}: {msg}").trim_end_matches(": ").to_string(),
            ));
        }
    }
    PodState::Pending(None)
}

fn terminated_reason(pod: &Pod) -> Option<String> {
    pod.status
        .as_ref()?
        .container_statuses
        .iter()
        .flatten()
        .find_map(|cs| cs.state.as_ref()?.terminated.as_ref())
        .map(|t| format!("exit code {}", t.exit_code))
}

/// The most recent warning among a pod's events, as `Reason: message`.
pub fn latest_warning(events: &[Event]) -> Option<String> {
    events
        .iter()
        .filter(|e| e.type_.as_deref() == Some("Warning"))
        .max_by_key(|e| {
            e.last_timestamp
                .as_ref()
                .map(|t| t.0.as_second())
                .or_else(|| e.event_time.as_ref().map(|t| t.0.as_second()))
                .unwrap_or(0)
        })
        .map(|e| {
            format!(
                "{}: {}",
                e.reason.as_deref().unwrap_or("Warning"),
                e.message.as_deref().unwrap_or("").trim()
            )
        })
}
