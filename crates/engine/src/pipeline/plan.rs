//! From a [`Pipeline`] to the DAG the scheduler runs.
//!
//! Matrix jobs fan out into one job per value combination (named
//! `test (linux, 1.80)`), with `${{ matrix.NAME }}` replaced in their text and
//! `MATRIX_NAME` set in their environment. A `needs` on a matrix job waits for
//! all of its instances. Jobs are kept in a topological order that follows the
//! file where it can, so plans and logs read like the file.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::Duration;

use indexmap::IndexMap;

use super::{Condition, Job, Pipeline, PodOptions, RunnerRef};

/// The jobs of one run, in dependency order.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Jobs, each after every job it needs.
    pub jobs: Vec<PlannedJob>,
}

/// One job of a plan (a matrix instance, or a plain job).
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedJob {
    /// Unique name in the run, e.g. `build` or `test (linux)`.
    pub name: String,
    /// The job's name in the file (equal to `name` without a matrix).
    pub base: String,
    /// Indices (in [`Plan::jobs`]) of the jobs this one waits for.
    pub needs: Vec<usize>,
    /// This instance's matrix values.
    pub matrix: IndexMap<String, String>,
    /// Where it runs.
    pub runner: RunnerRef,
    /// Container image, for runners that use one.
    pub image: Option<String>,
    /// Pod placement and sizing, for the Kubernetes runner.
    pub pod: PodOptions,
    /// Pipeline, job and matrix environment, merged in that order.
    pub env: IndexMap<String, String>,
    /// Start directory of the steps, relative to the workspace.
    pub working_dir: Option<String>,
    /// Limit per attempt.
    pub timeout: Option<Duration>,
    /// Extra attempts after a failure or timeout.
    pub retry: u32,
    /// When it runs.
    pub condition: Condition,
    /// Secrets it receives.
    pub secrets: Vec<String>,
    /// Artifact globs.
    pub artifacts: Vec<String>,
    /// JUnit report globs.
    pub junit: Vec<String>,
    /// The steps (none for an approval job).
    pub steps: Vec<PlannedStep>,
    /// What kind of job it is: the scheduler runs each kind its own way.
    pub kind: JobKind,
}

/// What kind of work a job is.
#[derive(Debug, Clone, PartialEq)]
pub enum JobKind {
    /// Steps on a runner.
    Steps,
    /// A gate that waits for a person to approve or reject it.
    Approval {
        /// What is asked (matrix values substituted).
        message: String,
    },
    /// A deployment of an app's manifests to targets.
    Deploy(Box<super::Deploy>),
}

impl JobKind {
    /// The kind's name, as stored and shown.
    pub fn as_str(&self) -> &'static str {
        match self {
            JobKind::Steps => "steps",
            JobKind::Approval { .. } => "approval",
            JobKind::Deploy(_) => "deploy",
        }
    }
}

/// One step of a planned job.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedStep {
    /// Display name.
    pub name: String,
    /// Shell script.
    pub run: String,
    /// Step-only environment (on top of the job's).
    pub env: IndexMap<String, String>,
    /// Start directory, relative to the workspace (overrides the job's).
    pub working_dir: Option<String>,
    /// Limit on this step.
    pub timeout: Option<Duration>,
}

/// A job name given to [`Plan::select`] that names nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no job named `{name}` in the pipeline{hint}")]
pub struct UnknownJob {
    /// The name as given.
    pub name: String,
    /// ", did you mean ..." or nothing.
    pub hint: String,
}

/// The instances a job fans out to: `(name, matrix values)`.
pub(crate) fn matrix_instances(job: &Job) -> Vec<(String, IndexMap<String, String>)> {
    if job.matrix.is_empty() {
        return vec![(job.name.clone(), IndexMap::new())];
    }
    let mut combos: Vec<IndexMap<String, String>> = vec![IndexMap::new()];
    for (key, values) in &job.matrix {
        let mut next = Vec::with_capacity(combos.len() * values.len());
        for combo in &combos {
            for value in values {
                let mut c = combo.clone();
                c.insert(key.clone(), value.clone());
                next.push(c);
            }
            if next.len() > super::load::MAX_MATRIX_JOBS {
                break;
            }
        }
        combos = next;
    }
    combos
        .into_iter()
        .map(|c| {
            let label: Vec<&str> = c.values().map(String::as_str).collect();
            (format!("{} ({})", job.name, label.join(", ")), c)
        })
        .collect()
}

fn substitute(text: &str, matrix: &IndexMap<String, String>) -> String {
    if matrix.is_empty() || !text.contains("${{") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let expr = after[..end].trim();
        match expr.strip_prefix("matrix.").and_then(|k| matrix.get(k.trim())) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[start..start + 3 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

impl Plan {
    /// Expands matrices and orders the jobs. The pipeline must have passed
    /// [`super::load`], which rejects unknown `needs` and cycles.
    pub fn new(pipeline: &Pipeline) -> Plan {
        // Fan out, remembering which instances belong to which base job.
        let mut jobs: Vec<PlannedJob> = Vec::new();
        let mut needs_by_name: Vec<Vec<String>> = Vec::new();
        for job in &pipeline.jobs {
            for (name, matrix) in matrix_instances(job) {
                let sub = |s: &str| substitute(s, &matrix);
                let mut env = pipeline.env.clone();
                for (k, v) in &job.env {
                    env.insert(k.clone(), sub(v));
                }
                for (k, v) in &matrix {
                    env.insert(format!("MATRIX_{}", k.to_ascii_uppercase()), v.clone());
                }
                jobs.push(PlannedJob {
                    name,
                    base: job.name.clone(),
                    needs: Vec::new(),
                    runner: job.runner.clone(),
                    image: job.image.as_deref().map(sub),
                    pod: job.pod.clone(),
                    env,
                    working_dir: job.working_dir.as_deref().map(sub),
                    timeout: job.timeout,
                    retry: job.retry,
                    condition: job.condition,
                    secrets: job.secrets.clone(),
                    artifacts: job.artifacts.iter().map(|a| sub(a)).collect(),
                    junit: job.junit.iter().map(|a| sub(a)).collect(),
                    steps: job
                        .steps
                        .iter()
                        .map(|s| PlannedStep {
                            name: sub(&s.name),
                            run: sub(&s.run),
                            env: s.env.iter().map(|(k, v)| (k.clone(), sub(v))).collect(),
                            working_dir: s.working_dir.as_deref().map(sub),
                            timeout: s.timeout,
                        })
                        .collect(),
                    matrix: matrix.clone(),
                    kind: match (&job.approval, &job.deploy) {
                        (Some(a), _) => JobKind::Approval {
                            message: sub(&a.message),
                        },
                        (None, Some(d)) => JobKind::Deploy(Box::new(d.clone())),
                        (None, None) => JobKind::Steps,
                    },
                });
                needs_by_name.push(job.needs.iter().map(|n| n.job.clone()).collect());
            }
        }
        let needs: Vec<Vec<usize>> = needs_by_name
            .iter()
            .map(|names| {
                jobs.iter()
                    .enumerate()
                    .filter(|(_, j)| names.contains(&j.base))
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        for (job, n) in jobs.iter_mut().zip(needs) {
            job.needs = n;
        }
        Plan {
            jobs: topological(jobs),
        }
    }

    /// Sends every Kubernetes job to `target` instead of the target its
    /// `runner:` names (a run started on another cluster). Local jobs,
    /// gates and deployments stay as they are. Returns how many moved.
    pub fn retarget(&mut self, target: &str) -> usize {
        let mut moved = 0;
        for job in &mut self.jobs {
            if let RunnerRef::Kubernetes { target: t } = &mut job.runner {
                *t = target.to_string();
                moved += 1;
            }
        }
        moved
    }

    /// Keeps only the named jobs (a base name selects all its matrix
    /// instances) and everything they need, directly or not.
    pub fn select(&self, names: &[String]) -> Result<Plan, UnknownJob> {
        if names.is_empty() {
            return Ok(self.clone());
        }
        let mut keep = vec![false; self.jobs.len()];
        for name in names {
            let mut found = false;
            for (i, job) in self.jobs.iter().enumerate() {
                if &job.name == name || &job.base == name {
                    keep[i] = true;
                    found = true;
                }
            }
            if !found {
                let candidates: BTreeSet<&str> = self
                    .jobs
                    .iter()
                    .flat_map(|j| [j.name.as_str(), j.base.as_str()])
                    .collect();
                let hint = super::load::did_you_mean(name, candidates.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_else(|| {
                        let all: Vec<&str> = candidates.into_iter().collect();
                        format!("; jobs are: {}", all.join(", "))
                    });
                return Err(UnknownJob {
                    name: name.clone(),
                    hint,
                });
            }
        }
        // Jobs are topologically ordered, so walking backwards closes over needs.
        for i in (0..self.jobs.len()).rev() {
            if keep[i] {
                for &n in &self.jobs[i].needs {
                    keep[n] = true;
                }
            }
        }
        let mut new_index = vec![usize::MAX; self.jobs.len()];
        let mut jobs = Vec::new();
        for (i, job) in self.jobs.iter().enumerate() {
            if keep[i] {
                new_index[i] = jobs.len();
                let mut j = job.clone();
                j.needs = job.needs.iter().map(|&n| new_index[n]).collect();
                jobs.push(j);
            }
        }
        Ok(Plan { jobs })
    }

    /// The stage (1-based) of each job: one more than the deepest job it needs.
    pub fn stages(&self) -> Vec<usize> {
        let mut stage = vec![1usize; self.jobs.len()];
        for (i, job) in self.jobs.iter().enumerate() {
            stage[i] = job.needs.iter().map(|&n| stage[n] + 1).max().unwrap_or(1);
        }
        stage
    }

    /// A human-readable rendering: one line per stage, jobs in order, with
    /// their conditions and runners when they are not the defaults.
    pub fn render(&self) -> String {
        let stages = self.stages();
        let max = stages.iter().copied().max().unwrap_or(0);
        let mut out = String::new();
        let steps: usize = self.jobs.iter().map(|j| j.steps.len()).sum();
        let _ = writeln!(
            out,
            "{} job{}, {} step{}, {} stage{}",
            self.jobs.len(),
            plural(self.jobs.len()),
            steps,
            plural(steps),
            max,
            plural(max)
        );
        for s in 1..=max {
            let names: Vec<String> = self
                .jobs
                .iter()
                .zip(&stages)
                .filter(|&(_, &st)| st == s)
                .map(|(j, _)| {
                    let mut label = j.name.clone();
                    let mut notes = Vec::new();
                    if j.condition != Condition::Success {
                        notes.push(format!("if {}", j.condition.as_str()));
                    }
                    if j.runner != RunnerRef::Local {
                        notes.push(j.runner.to_string());
                    }
                    if !notes.is_empty() {
                        label.push_str(&format!(" [{}]", notes.join(", ")));
                    }
                    label
                })
                .collect();
            let _ = writeln!(out, "  stage {s}: {}", names.join(", "));
        }
        out
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Kahn's algorithm, always taking the earliest ready job in file order.
fn topological(jobs: Vec<PlannedJob>) -> Vec<PlannedJob> {
    let n = jobs.len();
    let mut placed = vec![false; n];
    let mut order: Vec<usize> = Vec::with_capacity(n);
    while order.len() < n {
        let next = (0..n).find(|&i| !placed[i] && jobs[i].needs.iter().all(|&d| placed[d]));
        match next {
            Some(i) => {
                placed[i] = true;
                order.push(i);
            }
            // A cycle; the loader reports these, so keep the rest in file order.
            None => {
                order.extend((0..n).filter(|&i| !placed[i]));
                break;
            }
        }
    }
    let mut new_index = vec![0usize; n];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let mut placed: Vec<(usize, PlannedJob)> = jobs
        .into_iter()
        .enumerate()
        .map(|(old, mut job)| {
            job.needs = job.needs.iter().map(|&d| new_index[d]).collect();
            job.needs.sort_unstable();
            (new_index[old], job)
        })
        .collect();
    placed.sort_by_key(|(i, _)| *i);
    placed.into_iter().map(|(_, job)| job).collect()
}
