//! The canary strategy: the new version runs as a second Deployment
//! (`<name>-canary`) beside the stable one and takes a growing share of the
//! traffic, step by step, then replaces the stable version (promotion) or
//! is removed with 100% of the traffic back on stable (abort).
//!
//! Where the shares go:
//! - `replicas` (no mesh): the canary gets `N × w%` (rounded, at least one)
//!   of the N replicas
//!   and the stable Deployment the rest;
//! - `istio`: a VirtualService's route weights between a DestinationRule's
//!   `stable` (pods of the stable version) and `canary` subsets, and an
//!   optional header match sending a test audience to the canary;
//! - `gateway-api`: an HTTPRoute's backend weights between the stable
//!   Service and `<service>-canary` (which selects the canary's pods).
//!
//! With a mesh or a gateway the stable Deployment keeps its N replicas and
//! the canary gets `N × w%` of them. A HorizontalPodAutoscaler on the stable
//! Deployment keeps scaling it: its replica count is never set, and the
//! canary's stays within the HPA's bounds.
//!
//! The step reached is written on the canary Deployment (annotation
//! `switchyard.dev/canary-step`), so a restarted Switchyard goes on from
//! there.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::{Value, json};
use switchyard_engine::deploy::{
    DeployRequest, FIELD_MANAGER, LABEL_APP, LABEL_VERSION, Progress, TargetOutcome, TargetStatus, Vars,
    Verdict,
};
use switchyard_engine::pipeline::{Canary as Settings, Traffic};
use tokio_util::sync::CancellationToken;

use super::{Planned, Watched, apply_all, failed, is_deployment, namespace_of, rolling, watch_rollout};
use crate::kubernetes::api::{Cluster, describe};

/// Label on the canary's pods (and in its selector).
pub const LABEL_TRACK: &str = "switchyard.dev/track";
/// Annotation on the canary Deployment: the step it reached (1-based).
pub const ANNOTATION_STEP: &str = "switchyard.dev/canary-step";

/// Everything one canary rollout works with.
pub(super) struct Canary<'a> {
    pub cluster: &'a Cluster,
    pub planned: &'a [Planned],
    pub params: &'a PatchParams,
    pub request: &'a DeployRequest,
    pub settings: &'a Settings,
    pub version: &'a str,
    pub progress: &'a Progress,
    pub cancel: &'a CancellationToken,
}

/// The objects a canary works on, found once.
struct Plan<'a> {
    workload: &'a Planned,
    others: Vec<&'a Planned>,
    ns: String,
    name: String,
    canary_name: String,
    /// The track label value of the new version's pods: `canary`, or
    /// `preview` for blue-green.
    track: &'static str,
    deployments: Api<Deployment>,
    pods: Api<Pod>,
    /// Replicas of the stable version (N).
    total: i32,
    /// An HPA scales the stable Deployment: never set its replicas.
    hpa: Option<(i32, i32)>,
    stable_version: String,
    /// The pod template the stable Deployment runs.
    stable_template: Value,
    service: Option<String>,
    route: String,
    /// Steps already done by an earlier (interrupted) run of this rollout.
    resume_from: usize,
}

fn label(d: &Deployment, key: &str) -> Option<String> {
    d.spec
        .as_ref()?
        .template
        .metadata
        .as_ref()?
        .labels
        .as_ref()?
        .get(key)
        .cloned()
}

fn api_of(
    cluster: &Cluster,
    ns: &str,
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    Api::namespaced_with(cluster.client.clone(), ns, &ar)
}

impl<'a> Canary<'a> {
    fn say(&self, text: String) -> impl Future<Output = ()> + '_ {
        self.progress.say(text)
    }

    /// The Deployment the canary is of: the one named after the app, or the only one.
    fn workload(&self) -> Result<&'a Planned, String> {
        let deployments: Vec<&Planned> = self.planned.iter().filter(|p| is_deployment(p)).collect();
        match deployments.as_slice() {
            [one] => Ok(one),
            [] => Err("a canary needs a Deployment in the manifests; there is none".into()),
            several => several
                .iter()
                .find(|p| p.name() == self.request.app)
                .copied()
                .ok_or_else(|| {
                    format!(
                        "the manifests hold {} Deployments; a canary needs one, or one named after the app (`{}`)",
                        several.len(),
                        self.request.app
                    )
                }),
        }
    }

    async fn plan(&self, live: &Deployment) -> Result<Plan<'a>, String> {
        let workload = self.workload()?;
        let ns = namespace_of(self.cluster, workload).to_string();
        let name = workload.name().to_string();
        let deployments: Api<Deployment> = Api::namespaced(self.cluster.client.clone(), &ns);
        let pods: Api<Pod> = Api::namespaced(self.cluster.client.clone(), &ns);
        let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(self.cluster.client.clone(), &ns);
        let hpa = hpas
            .list(&ListParams::default())
            .await
            .map_err(|e| {
                format!(
                    "cannot list the HorizontalPodAutoscalers of {ns}: {}",
                    describe(&e)
                )
            })?
            .items
            .into_iter()
            .find(|h| {
                h.spec.as_ref().is_some_and(|s| {
                    s.scale_target_ref.kind == "Deployment" && s.scale_target_ref.name == name
                })
            })
            .and_then(|h| h.spec.map(|s| (s.min_replicas.unwrap_or(1), s.max_replicas)));
        let total = match hpa {
            Some(_) => live.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
            None => workload.object["spec"]["replicas"]
                .as_i64()
                .map(|r| r as i32)
                .or_else(|| live.spec.as_ref().and_then(|s| s.replicas))
                .unwrap_or(1),
        }
        .max(1);
        let stable_version = label(live, LABEL_VERSION).ok_or_else(|| {
            format!(
                "Deployment/{name} was not deployed by Switchyard (its pods have no `{LABEL_VERSION}` label), so its version cannot be told apart from the canary's; deploy it once with `strategy: rolling`"
            )
        })?;
        let services: Vec<&Planned> = self
            .planned
            .iter()
            .filter(|p| p.manifest.kind() == "Service")
            .collect();
        let service = self
            .settings
            .service
            .clone()
            .or_else(|| match services.as_slice() {
                [one] => Some(one.name().to_string()),
                several => several
                    .iter()
                    .find(|p| p.name() == self.request.app)
                    .map(|p| p.name().to_string()),
            });
        if self.settings.traffic != Traffic::Replicas && service.is_none() {
            return Err(format!(
                "`traffic: {}` needs the stable Service: name it with `canary.service`",
                self.settings.traffic.as_str()
            ));
        }
        let route = self
            .settings
            .route
            .clone()
            .unwrap_or_else(|| self.request.app.clone());
        if self.settings.traffic == Traffic::Istio
            && let Some(p) = self.planned.iter().find(|p| {
                matches!(p.manifest.kind(), "VirtualService" | "DestinationRule") && p.name() == route
            })
        {
            return Err(format!(
                "with `traffic: istio` Switchyard writes VirtualService/{route} and DestinationRule/{route} itself; leave {} out of the manifests ({}:{})",
                p.manifest.describe(),
                p.manifest.file.display(),
                p.manifest.pos.line
            ));
        }
        let mut stable_template =
            serde_json::to_value(live.spec.as_ref().map(|s| s.template.clone())).unwrap_or_default();
        if let Some(l) = stable_template
            .pointer_mut("/metadata/labels")
            .and_then(Value::as_object_mut)
        {
            l.remove("pod-template-hash");
        }
        let canary_name = format!("{name}-canary");
        let resume_from = match deployments.get_opt(&canary_name).await {
            Ok(Some(c)) if label(&c, LABEL_VERSION).as_deref() == Some(self.version) => c
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(ANNOTATION_STEP))
                .and_then(|s| s.parse::<usize>().ok())
                .unwrap_or(0),
            _ => 0,
        };
        let others = self
            .planned
            .iter()
            .filter(|p| !std::ptr::eq(*p, workload))
            .collect();
        Ok(Plan {
            workload,
            others,
            ns,
            name,
            canary_name,
            track: "canary",
            deployments,
            pods,
            total,
            hpa,
            stable_version,
            stable_template,
            service,
            route,
            resume_from,
        })
    }

    /// The canary Deployment: the new workload under another name, its pods
    /// (and selector) with the track label, at step `step` with `replicas`.
    fn canary_object(&self, plan: &Plan<'_>, replicas: i32, step: usize) -> Value {
        let mut o = plan.workload.object.clone();
        o["metadata"]["name"] = json!(plan.canary_name);
        o["metadata"]["labels"][LABEL_TRACK] = json!(plan.track);
        o["metadata"]["annotations"][ANNOTATION_STEP] = json!(step.to_string());
        o["spec"]["replicas"] = json!(replicas);
        o["spec"]["selector"]["matchLabels"][LABEL_TRACK] = json!(plan.track);
        o["spec"]["template"]["metadata"]["labels"][LABEL_TRACK] = json!(plan.track);
        o
    }

    /// Scales the stable Deployment (not with an HPA: it scales it).
    async fn scale_stable(&self, plan: &Plan<'_>, replicas: i32) -> Result<(), String> {
        if plan.hpa.is_some() {
            return Ok(());
        }
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..Default::default()
        };
        plan.deployments
            .patch_scale(
                &plan.name,
                &params,
                &Patch::Merge(json!({"spec": {"replicas": replicas}})),
            )
            .await
            .map(|_| ())
            .map_err(|e| {
                format!(
                    "cannot scale Deployment/{} to {replicas}: {}",
                    plan.name,
                    describe(&e)
                )
            })
    }

    /// The stable Deployment as the manifests have it, applied with force
    /// so that its replicas and fields are Switchyard's again after the
    /// canary scaled it: all replicas, or none when an HPA scales it. With
    /// `running`, the pod template and version label of what runs now
    /// (putting it back), else the manifests' (promoting the new version).
    async fn apply_stable(&self, plan: &Plan<'_>, running: bool) -> Result<(), kube::Error> {
        let mut o = plan.workload.object.clone();
        if running {
            o["spec"]["template"] = plan.stable_template.clone();
            o["metadata"]["labels"][LABEL_VERSION] = json!(plan.stable_version);
        }
        match (plan.hpa.is_some(), o["spec"].as_object_mut()) {
            (true, Some(spec)) => {
                spec.remove("replicas");
            }
            _ => o["spec"]["replicas"] = json!(plan.total),
        }
        plan.workload
            .api
            .patch(
                &plan.name,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(&o),
            )
            .await
            .map(|_| ())
    }

    /// Puts the stable Deployment back as it ran before the canary.
    async fn restore_stable(&self, plan: &Plan<'_>) -> Result<(), String> {
        self.apply_stable(plan, true)
            .await
            .map_err(|e| format!("cannot put Deployment/{} back: {}", plan.name, describe(&e)))
    }

    /// Sets where the traffic goes: `canary`% to the canary.
    async fn route(&self, plan: &Plan<'_>, canary: u8) -> Result<(), String> {
        let stable = 100 - i64::from(canary);
        let canary = i64::from(canary);
        let force = PatchParams::apply(FIELD_MANAGER).force();
        match self.settings.traffic {
            Traffic::Replicas => Ok(()),
            Traffic::Istio => {
                let host = plan.service.clone().unwrap_or_default();
                let dr = api_of(
                    self.cluster,
                    &plan.ns,
                    "networking.istio.io",
                    "v1",
                    "DestinationRule",
                    "destinationrules",
                );
                let rule = json!({
                    "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
                    "metadata": {"name": plan.route, "namespace": plan.ns, "labels": {LABEL_APP: self.request.app}},
                    "spec": {"host": host, "subsets": [
                        {"name": "stable", "labels": {LABEL_VERSION: plan.stable_version}},
                        {"name": "canary", "labels": {LABEL_TRACK: "canary"}},
                    ]}
                });
                dr.patch(&plan.route, &force, &Patch::Apply(&rule))
                    .await
                    .map_err(|e| format!("cannot write DestinationRule/{}: {}", plan.route, describe(&e)))?;
                let dest = |subset: &str, weight: i64| json!({"destination": {"host": host, "subset": subset}, "weight": weight});
                let mut http = Vec::new();
                if let Some((name, value)) = &self.settings.header
                    && canary > 0
                {
                    http.push(json!({"name": "canary-audience", "match": [{"headers": {name: {"exact": value}}}], "route": [dest("canary", 100)]}));
                }
                http.push(
                    json!({"name": "primary", "route": [dest("stable", stable), dest("canary", canary)]}),
                );
                let vs = api_of(
                    self.cluster,
                    &plan.ns,
                    "networking.istio.io",
                    "v1",
                    "VirtualService",
                    "virtualservices",
                );
                let service = json!({
                    "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                    "metadata": {"name": plan.route, "namespace": plan.ns, "labels": {LABEL_APP: self.request.app}},
                    "spec": {"hosts": [host], "http": http}
                });
                vs.patch(&plan.route, &force, &Patch::Apply(&service))
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("cannot write VirtualService/{}: {}", plan.route, describe(&e)))
            }
            Traffic::GatewayApi => {
                let svc = plan.service.clone().unwrap_or_default();
                let routes = api_of(
                    self.cluster,
                    &plan.ns,
                    "gateway.networking.k8s.io",
                    "v1",
                    "HTTPRoute",
                    "httproutes",
                );
                // The route as the manifests have it, else as it is in the cluster.
                let mut object = match plan
                    .others
                    .iter()
                    .find(|p| p.manifest.kind() == "HTTPRoute" && p.name() == plan.route)
                {
                    Some(p) => p.object.clone(),
                    None => {
                        let Some(live) = routes
                            .get_opt(&plan.route)
                            .await
                            .map_err(|e| format!("cannot read HTTPRoute/{}: {}", plan.route, describe(&e)))?
                        else {
                            return Err(format!(
                                "HTTPRoute/{} does not exist in {}; put it in the manifests (with its parentRefs) or name yours with `canary.route`",
                                plan.route, plan.ns
                            ));
                        };
                        json!({
                            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                            "metadata": {"name": plan.route, "namespace": plan.ns, "labels": live.metadata.labels},
                            "spec": live.data["spec"],
                        })
                    }
                };
                let mut found = false;
                for rule in object["spec"]["rules"].as_array_mut().into_iter().flatten() {
                    let Some(refs) = rule["backendRefs"].as_array() else {
                        continue;
                    };
                    let Some(stable_ref) = refs.iter().find(|r| r["name"] == json!(svc)).cloned() else {
                        continue;
                    };
                    found = true;
                    let mut s = stable_ref.clone();
                    rule["backendRefs"] = if canary == 0 {
                        s.as_object_mut().map(|o| o.remove("weight"));
                        json!([s])
                    } else {
                        s["weight"] = json!(stable);
                        let mut c = stable_ref;
                        c["name"] = json!(format!("{svc}-canary"));
                        c["weight"] = json!(canary);
                        json!([s, c])
                    };
                }
                if !found {
                    return Err(format!(
                        "no rule of HTTPRoute/{} sends traffic to Service/{svc}",
                        plan.route
                    ));
                }
                routes
                    .patch(&plan.route, &force, &Patch::Apply(&object))
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("cannot write HTTPRoute/{}: {}", plan.route, describe(&e)))
            }
        }
    }

    /// The canary's own Service (Gateway API backends name Services).
    async fn canary_service(&self, plan: &Plan<'_>, create: bool) -> Result<(), String> {
        if self.settings.traffic != Traffic::GatewayApi && plan.track == "canary" {
            return Ok(());
        }
        let svc = plan.service.clone().unwrap_or_default();
        let api: Api<Service> = Api::namespaced(self.cluster.client.clone(), &plan.ns);
        let name = format!("{svc}-{}", plan.track);
        if !create {
            return match api.delete(&name, &DeleteParams::background()).await {
                Ok(_) => Ok(()),
                Err(e) if crate::kubernetes::api::is_not_found(&e) => Ok(()),
                Err(e) => Err(format!("cannot delete Service/{name}: {}", describe(&e))),
            };
        }
        let stable = api
            .get(&svc)
            .await
            .map_err(|e| format!("cannot read Service/{svc}: {}", describe(&e)))?;
        let mut selector = stable
            .spec
            .as_ref()
            .and_then(|s| s.selector.clone())
            .unwrap_or_default();
        selector.insert(LABEL_TRACK.into(), plan.track.into());
        let ports: Vec<Value> = stable
            .spec
            .as_ref()
            .and_then(|s| s.ports.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|p| json!({"name": p.name, "port": p.port, "targetPort": p.target_port, "protocol": p.protocol}))
            .collect();
        let object = json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": plan.ns, "labels": {LABEL_APP: self.request.app, LABEL_TRACK: plan.track}},
            "spec": {"selector": selector, "ports": ports}
        });
        api.patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&object),
        )
        .await
        .map(|_| ())
        .map_err(|e| format!("cannot write Service/{name}: {}", describe(&e)))
    }

    /// Replicas of the canary at `weight`% (and what stable keeps).
    fn replicas(&self, plan: &Plan<'_>, weight: u8) -> (i32, i32) {
        let n = plan.total;
        // The nearest whole number of replicas, at least one.
        let mut canary = (((i64::from(n) * i64::from(weight) + 50) / 100) as i32).max(1);
        if let Some((min, max)) = plan.hpa {
            canary = canary.clamp(min.max(1), max);
        }
        let stable = match (self.settings.traffic, plan.hpa) {
            (Traffic::Replicas, None) => (n - canary).max(0),
            _ => n,
        };
        (canary, stable)
    }

    /// Puts everything back on the stable version: 100% of the traffic,
    /// its replicas, and no canary.
    async fn abort(&self, plan: &Plan<'_>, step: usize, why: String, status: TargetStatus) -> TargetOutcome {
        self.say(format!("aborting: {why}")).await;
        let mut problems = Vec::new();
        if let Err(e) = self.route(plan, 0).await {
            problems.push(e);
        }
        if let Err(e) = self.restore_stable(plan).await {
            problems.push(e);
        }
        self.progress
            .weight(step as u32, self.settings.steps.len() as u32, 0)
            .await;
        if let Err(e) = self.remove_canary(plan).await {
            problems.push(e);
        }
        let settle = CancellationToken::new();
        let back = match watch_rollout(
            &plan.deployments,
            &plan.pods,
            &plan.name,
            &plan.stable_version,
            self.progress,
            &settle,
        )
        .await
        {
            Watched::Done => format!(
                "; 100% of the traffic is back on {} and it is ready",
                plan.stable_version
            ),
            Watched::Failed(w) => format!(
                "; the traffic is back on {} but it is not ready: {w}",
                plan.stable_version
            ),
            Watched::Cancelled => String::new(),
        };
        if problems.is_empty() {
            TargetOutcome {
                status,
                reason: Some(format!("{why}{back}")),
            }
        } else {
            TargetOutcome {
                status: TargetStatus::Failed,
                reason: Some(format!(
                    "{why}; putting the stable version back failed: {}",
                    problems.join("; ")
                )),
            }
        }
    }

    async fn remove_canary(&self, plan: &Plan<'_>) -> Result<(), String> {
        match plan
            .deployments
            .delete(&plan.canary_name, &DeleteParams::background())
            .await
        {
            Ok(_) => {}
            Err(e) if crate::kubernetes::api::is_not_found(&e) => {}
            Err(e) => {
                return Err(format!(
                    "cannot delete Deployment/{}: {}",
                    plan.canary_name,
                    describe(&e)
                ));
            }
        }
        self.canary_service(plan, false).await
    }

    /// Waits for a step's pods; `Err` is why the canary must be aborted.
    async fn settle(&self, plan: &Plan<'_>, name: &str) -> Result<(), (String, TargetStatus)> {
        match watch_rollout(
            &plan.deployments,
            &plan.pods,
            name,
            self.version,
            self.progress,
            self.cancel,
        )
        .await
        {
            Watched::Done => Ok(()),
            Watched::Failed(why) => Err((why, TargetStatus::RolledBack)),
            Watched::Cancelled => Err(("the deployment was stopped".into(), TargetStatus::Cancelled)),
        }
    }

    async fn pause(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = self.cancel.cancelled() => false,
        }
    }
}

/// What a canary or a blue-green rollout starts from: the running stable
/// Deployment (`Ok`), or the outcome of rolling out directly when there is
/// nothing to go beside (a first deployment, or the version already runs).
async fn stable_or_rolled_out(c: &Canary<'_>, strategy: &str) -> Result<Deployment, TargetOutcome> {
    let workload = match c.workload() {
        Ok(w) => w,
        Err(e) => return Err(failed(c.progress, e).await),
    };
    let ns = namespace_of(c.cluster, workload).to_string();
    let deployments: Api<Deployment> = Api::namespaced(c.cluster.client.clone(), &ns);
    let live = match deployments.get_opt(workload.name()).await {
        Ok(l) => l,
        Err(e) => {
            let what = format!("cannot read Deployment/{}: {}", workload.name(), describe(&e));
            return Err(failed(c.progress, what).await);
        }
    };
    let why = match &live {
        None => format!(
            "Deployment/{} is new: nothing to run a {strategy} beside, rolling it out",
            workload.name()
        ),
        Some(l) if label(l, LABEL_VERSION).as_deref() == Some(c.version) => {
            format!(
                "{} already runs; no {strategy} needed, applying the manifests",
                c.version
            )
        }
        Some(_) => return Ok(live.expect("matched Some")),
    };
    c.say(why).await;
    Err(rolling(c.cluster, c.planned, c.params, c.version, c.progress, c.cancel).await)
}

/// Runs a step's analysis, if the deployment has one: `Err` is the outcome
/// of the abort it led to.
async fn analyze(c: &Canary<'_>, plan: &Plan<'_>, step: usize) -> Result<(), TargetOutcome> {
    let Some(checks) = &c.request.checks else {
        return Ok(());
    };
    let vars = Vars {
        version: c.version.to_string(),
        stable_version: plan.stable_version.clone(),
        app: c.request.app.clone(),
        namespace: plan.ns.clone(),
    };
    let stopped = || "the deployment was stopped".to_string();
    match checks.check(step as u32, &vars, c.progress, c.cancel).await {
        Verdict::Passed => {
            c.say(format!("analysis of step {step} passed")).await;
            Ok(())
        }
        Verdict::Failed(_) if c.cancel.is_cancelled() => {
            Err(c.abort(plan, step, stopped(), TargetStatus::Cancelled).await)
        }
        Verdict::Failed(why) => Err(c.abort(plan, step, why, TargetStatus::RolledBack).await),
        Verdict::Inconclusive(why) => {
            c.say(format!("{why}; waiting for a person to promote or abort"))
                .await;
            match checks.ask(&why, c.cancel).await {
                Some(true) => {
                    c.say("promoted by a person: going on".into()).await;
                    Ok(())
                }
                Some(false) => {
                    let why = format!("{why}; aborted by a person");
                    Err(c.abort(plan, step, why, TargetStatus::RolledBack).await)
                }
                None => Err(c.abort(plan, step, stopped(), TargetStatus::Cancelled).await),
            }
        }
    }
}

/// Runs a canary rollout on one target.
pub(super) async fn run(c: Canary<'_>) -> TargetOutcome {
    let live = match stable_or_rolled_out(&c, "canary").await {
        Ok(live) => live,
        Err(outcome) => return outcome,
    };
    let plan = match c.plan(&live).await {
        Ok(p) => p,
        Err(e) => return failed(c.progress, e).await,
    };
    let n = c.settings.steps.len();
    c.say(format!(
        "canary of {} {} beside stable {} ({} replicas{}); traffic by {}; steps {}",
        plan.name,
        c.version,
        plan.stable_version,
        plan.total,
        if plan.hpa.is_some() {
            ", scaled by its HPA"
        } else {
            ""
        },
        c.settings.traffic.as_str(),
        c.settings
            .steps
            .iter()
            .map(|w| format!("{w}%"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .await;
    if plan.resume_from > 0 {
        c.say(format!(
            "going on from step {} of {n} (the canary was left there)",
            plan.resume_from
        ))
        .await;
    }
    // Everything but the workload: Services, ConfigMaps, the route...
    if let Err(e) = apply_all(&plan.others, c.params).await {
        return failed(c.progress, e).await;
    }
    if let Err(e) = c.canary_service(&plan, true).await {
        return failed(c.progress, e).await;
    }
    let canary_api = api_of(c.cluster, &plan.ns, "apps", "v1", "Deployment", "deployments");
    let mut done = plan.resume_from.saturating_sub(1);
    for (k, &weight) in c.settings.steps.iter().enumerate().skip(done) {
        if weight >= 100 {
            break;
        }
        let step = k + 1;
        let (canary, stable) = c.replicas(&plan, weight);
        let object = c.canary_object(&plan, canary, step);
        if let Err(e) = canary_api
            .patch(&plan.canary_name, c.params, &Patch::Apply(&object))
            .await
        {
            let why = format!(
                "applying Deployment/{} failed: {}",
                plan.canary_name,
                describe(&e)
            );
            return c.abort(&plan, step, why, TargetStatus::Failed).await;
        }
        if let Err((why, status)) = c.settle(&plan, &plan.canary_name).await {
            return c.abort(&plan, step, why, status).await;
        }
        if let Err(e) = c.scale_stable(&plan, stable).await {
            return c.abort(&plan, step, e, TargetStatus::Failed).await;
        }
        if let Err(e) = c.route(&plan, weight).await {
            return c.abort(&plan, step, e, TargetStatus::Failed).await;
        }
        c.progress.weight(step as u32, n as u32, weight).await;
        c.say(format!("canary {canary} replicas, stable {stable}")).await;
        done = step;
        if let Some(p) = c.settings.pause
            && !c.pause(p).await
        {
            return c
                .abort(
                    &plan,
                    step,
                    "the deployment was stopped".into(),
                    TargetStatus::Cancelled,
                )
                .await;
        }
        if let Err(outcome) = analyze(&c, &plan, step).await {
            return outcome;
        }
    }
    // Promotion: the stable Deployment takes the new version.
    c.say(format!("promoting {} to stable", c.version)).await;
    if let Err(e) = c.apply_stable(&plan, false).await {
        let why = format!("applying Deployment/{} failed: {}", plan.name, describe(&e));
        return c.abort(&plan, done, why, TargetStatus::Failed).await;
    }
    if let Err((why, status)) = c.settle(&plan, &plan.name).await {
        // The stable Deployment took the bad version: abort puts its old template back.
        return c.abort(&plan, done, why, status).await;
    }
    let promoted = Plan {
        stable_version: c.version.to_string(),
        ..plan
    };
    if let Err(e) = c.route(&promoted, 0).await {
        return failed(c.progress, e).await;
    }
    c.progress.weight(n as u32, n as u32, 100).await;
    if let Err(e) = c.remove_canary(&promoted).await {
        c.say(e).await;
    }
    c.say(format!("{} is stable on {} replicas", c.version, promoted.total))
        .await;
    TargetOutcome {
        status: TargetStatus::Succeeded,
        reason: None,
    }
}

/// The Service `svc` as the manifests have it (else as it runs), its
/// selector pinned to the pods of `version`.
async fn pinned_service(c: &Canary<'_>, plan: &Plan<'_>, svc: &str, version: &str) -> Result<Value, String> {
    let mut object = match plan
        .others
        .iter()
        .find(|p| p.manifest.kind() == "Service" && p.name() == svc)
    {
        Some(p) => p.object.clone(),
        None => {
            let api: Api<Service> = Api::namespaced(c.cluster.client.clone(), &plan.ns);
            let live = api
                .get(svc)
                .await
                .map_err(|e| format!("cannot read Service/{svc}: {}", describe(&e)))?;
            json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": svc, "namespace": plan.ns},
                "spec": {"selector": live.spec.as_ref().and_then(|s| s.selector.clone()), "ports": serde_json::to_value(live.spec.as_ref().and_then(|s| s.ports.clone())).unwrap_or_default()}
            })
        }
    };
    object["spec"]["selector"][LABEL_VERSION] = json!(version);
    Ok(object)
}

/// Points the Service at the pods of `version`.
async fn switch(c: &Canary<'_>, plan: &Plan<'_>, svc: &str, version: &str) -> Result<(), String> {
    let object = pinned_service(c, plan, svc, version).await?;
    let api: Api<Service> = Api::namespaced(c.cluster.client.clone(), &plan.ns);
    api.patch(
        svc,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&object),
    )
    .await
    .map(|_| ())
    .map_err(|e| format!("cannot switch Service/{svc}: {}", describe(&e)))
}

/// Runs a blue-green rollout on one target: the new version as
/// `<name>-preview` (all replicas) behind `<service>-preview`; once it is
/// ready (and its analysis passed), the Service is switched to it at once;
/// the old version keeps running for `keep_old` (a cancel then switches
/// back instantly); then the stable Deployment takes the new version and
/// the preview is removed.
pub(super) async fn run_blue_green(
    c: Canary<'_>,
    bg: &switchyard_engine::pipeline::BlueGreen,
) -> TargetOutcome {
    let live = match stable_or_rolled_out(&c, "blue-green switch").await {
        Ok(live) => live,
        Err(outcome) => return outcome,
    };
    let mut plan = match c.plan(&live).await {
        Ok(p) => p,
        Err(e) => return failed(c.progress, e).await,
    };
    plan.canary_name = format!("{}-preview", plan.name);
    plan.track = "preview";
    let Some(svc) = plan.service.clone() else {
        return failed(
            c.progress,
            "blue-green switches a Service: put it in the manifests, or name it with `blue-green.service`"
                .into(),
        )
        .await;
    };
    c.say(format!(
        "blue-green: {} {} as Deployment/{} beside {} ({} replicas); Service/{svc} switches once it is ready",
        plan.name, c.version, plan.canary_name, plan.stable_version, plan.total
    ))
    .await;
    // Everything but the workload; the Service stays on the stable pods.
    for p in &plan.others {
        let result = if p.manifest.kind() == "Service" && p.name() == svc {
            match pinned_service(&c, &plan, &svc, &plan.stable_version).await {
                Ok(o) => p
                    .api
                    .patch(p.name(), c.params, &Patch::Apply(&o))
                    .await
                    .map(|_| ())
                    .map_err(|e| describe(&e)),
                Err(e) => Err(e),
            }
        } else {
            p.api
                .patch(p.name(), c.params, &Patch::Apply(&p.object))
                .await
                .map(|_| ())
                .map_err(|e| describe(&e))
        };
        if let Err(e) = result {
            return failed(
                c.progress,
                format!("applying {} failed: {e}", p.manifest.describe()),
            )
            .await;
        }
    }
    let switch_back = async |c: &Canary<'_>, plan: &Plan<'_>, why: String, status: TargetStatus| {
        if let Err(e) = switch(c, plan, &svc, &plan.stable_version).await {
            c.say(e).await;
        }
        c.abort(plan, 1, why, status).await
    };
    let canary_api = api_of(c.cluster, &plan.ns, "apps", "v1", "Deployment", "deployments");
    let object = c.canary_object(&plan, plan.total, 1);
    if let Err(e) = canary_api
        .patch(&plan.canary_name, c.params, &Patch::Apply(&object))
        .await
    {
        let why = format!(
            "applying Deployment/{} failed: {}",
            plan.canary_name,
            describe(&e)
        );
        return c.abort(&plan, 1, why, TargetStatus::Failed).await;
    }
    if let Err((why, status)) = c.settle(&plan, &plan.canary_name).await {
        return c.abort(&plan, 1, why, status).await;
    }
    if let Err(e) = c.canary_service(&plan, true).await {
        return c.abort(&plan, 1, e, TargetStatus::Failed).await;
    }
    c.say(format!(
        "preview ready: Service/{svc}-preview → {} ({} pods)",
        c.version, plan.total
    ))
    .await;
    if let Err(outcome) = analyze(&c, &plan, 1).await {
        return outcome;
    }
    // The switch: every request goes to the new version at once.
    if let Err(e) = switch(&c, &plan, &svc, c.version).await {
        return switch_back(&c, &plan, e, TargetStatus::Failed).await;
    }
    c.progress.weight(1, 1, 100).await;
    c.say(format!("Service/{svc} switched to {}", c.version)).await;
    if !bg.keep_old.is_zero() {
        c.say(format!(
            "{} keeps running for {} for an instant switch back (stop the deployment to switch back)",
            plan.stable_version,
            switchyard_engine::pipeline::format_duration(bg.keep_old)
        ))
        .await;
        if !c.pause(bg.keep_old).await {
            let outcome = switch_back(
                &c,
                &plan,
                "the deployment was stopped: switched back".into(),
                TargetStatus::RolledBack,
            )
            .await;
            c.progress.weight(1, 1, 0).await;
            return outcome;
        }
    }
    // The stable Deployment takes the new version; then the preview goes.
    if let Err(e) = c.apply_stable(&plan, false).await {
        return switch_back(
            &c,
            &plan,
            format!("applying Deployment/{} failed: {}", plan.name, describe(&e)),
            TargetStatus::Failed,
        )
        .await;
    }
    if let Err((why, status)) = c.settle(&plan, &plan.name).await {
        return switch_back(&c, &plan, why, status).await;
    }
    if let Err(e) = c.remove_canary(&plan).await {
        c.say(e).await;
    }
    c.say(format!(
        "{} is stable on {} replicas; the preview is removed",
        c.version, plan.total
    ))
    .await;
    TargetOutcome {
        status: TargetStatus::Succeeded,
        reason: None,
    }
}
