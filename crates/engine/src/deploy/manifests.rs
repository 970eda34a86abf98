//! A deploy job's manifests: every `*.yaml`/`*.yml` file of a folder (and
//! its subfolders, in name order), each holding one or more objects
//! separated by `---`. Every object is checked before anything is applied
//! (an `apiVersion`, a `kind`, a `metadata.name`; no object twice), each
//! problem with its file, line and column. Then images are set (matched by
//! repository, as kustomize's `images` does) and Switchyard's labels are
//! stamped on every object and on the pod templates of workloads.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{ImageRef, LABEL_APP, LABEL_DEPLOYMENT, LABEL_ENVIRONMENT, LABEL_VERSION};
use crate::pipeline::Pos;
use crate::pipeline::yaml;

/// Most bytes of manifests read for one deploy job.
const MAX_BYTES: u64 = 16 << 20;
/// Most objects in one deploy job.
pub const MAX_OBJECTS: usize = 2_000;
/// Deepest folder nesting walked.
const MAX_DEPTH: usize = 8;

/// One object of the manifests.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The file it is in.
    pub file: PathBuf,
    /// Where it starts in the file.
    pub pos: Pos,
    /// The object.
    pub object: Value,
}

impl Manifest {
    /// `apiVersion`.
    pub fn api_version(&self) -> &str {
        self.object["apiVersion"].as_str().unwrap_or_default()
    }
    /// `kind`.
    pub fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or_default()
    }
    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or_default()
    }
    /// `metadata.namespace`, when set.
    pub fn namespace(&self) -> Option<&str> {
        self.object["metadata"]["namespace"].as_str()
    }
    /// `Kind/name`, for messages.
    pub fn describe(&self) -> String {
        format!("{}/{}", self.kind(), self.name())
    }
}

/// Why the manifests cannot be used: every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ManifestError {
    /// `file:line:column: message` lines.
    pub problems: Vec<String>,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problems.join("\n"))
    }
}

pub(super) fn problem(file: &Path, pos: Pos, message: impl fmt::Display) -> String {
    format!("{}:{}:{}: {message}", file.display(), pos.line, pos.column)
}

/// Reads every object of the manifests folder (or file) `manifests` of the
/// project folder `root`; files are named relative to `root` in what it
/// returns and says.
pub fn load(root: &Path, manifests: &str) -> Result<Vec<Manifest>, ManifestError> {
    let dir = &root.join(manifests);
    let mut result = load_dir(root, dir);
    // A kustomization's files are named by their real paths.
    let real_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let rel = |p: &Path| {
        p.strip_prefix(root)
            .or_else(|_| p.strip_prefix(&real_root))
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let root_texts = [
        format!("{}/", root.display()),
        format!("{}/", real_root.display()),
    ];
    match &mut result {
        Ok(objects) => objects.iter_mut().for_each(|m| m.file = rel(&m.file)),
        Err(e) => e.problems.iter_mut().for_each(|p| {
            for t in &root_texts {
                *p = p.replace(t, "");
            }
        }),
    }
    result
}

fn load_dir(root: &Path, dir: &Path) -> Result<Vec<Manifest>, ManifestError> {
    let fail = |m: String| ManifestError { problems: vec![m] };
    let meta = std::fs::metadata(dir).map_err(|e| {
        fail(format!(
            "cannot read the manifests at {}: {e}; `deploy.manifests` names a folder of YAML files in the project",
            dir.display()
        ))
    })?;
    if meta.is_dir() && super::kustomize::find(dir).is_some() {
        let mut budget = MAX_BYTES;
        let out = super::kustomize::render(root, dir, &mut budget)
            .map_err(|problems| ManifestError { problems })?;
        return finish(dir, out, Vec::new());
    }
    let mut files = Vec::new();
    if meta.is_dir() {
        walk(dir, 0, &mut files).map_err(fail)?;
    } else {
        files.push(dir.to_path_buf());
    }
    if files.is_empty() {
        return Err(fail(format!(
            "{} holds no `.yaml` or `.yml` files; put the app's manifests there",
            dir.display()
        )));
    }
    let mut problems = Vec::new();
    let mut out = Vec::new();
    let mut total = 0u64;
    for file in files {
        let text = match std::fs::read(&file) {
            Ok(b) => b,
            Err(e) => {
                problems.push(format!("cannot read {}: {e}", file.display()));
                continue;
            }
        };
        total += text.len() as u64;
        if total > MAX_BYTES {
            return Err(fail(format!(
                "the manifests in {} are over {} MiB; that is not an app's manifests",
                dir.display(),
                MAX_BYTES >> 20
            )));
        }
        let Ok(text) = String::from_utf8(text) else {
            problems.push(problem(
                &file,
                Pos { line: 1, column: 1 },
                "not valid UTF-8; save it as UTF-8",
            ));
            continue;
        };
        if file
            .file_name()
            .is_some_and(|n| super::kustomize::FILE_NAMES.contains(&n.to_string_lossy().as_ref()))
        {
            problems.push(problem(
                &file,
                Pos { line: 1, column: 1 },
                format!(
                    "a kustomization in a subfolder of {} is not rendered; point `deploy.manifests` at the folder holding the kustomization to render",
                    dir.display()
                ),
            ));
            continue;
        }
        let (objects, p) = read_objects(&file, &text);
        out.extend(objects);
        problems.extend(p);
    }
    finish(dir, out, problems)
}

/// The objects of one YAML file's text, and its problems.
pub(super) fn read_objects(file: &Path, text: &str) -> (Vec<Manifest>, Vec<String>) {
    let mut out = Vec::new();
    let docs = match yaml::parse_stream(text) {
        Ok(d) => d,
        Err(e) => return (out, vec![problem(file, e.pos, e.message)]),
    };
    for doc in docs {
        let object = doc.to_json();
        // A `List` (as `kubectl get -o yaml` writes) holds its objects in `items`.
        if object["kind"] == "List" && object["items"].is_array() {
            for item in object["items"].as_array().into_iter().flatten() {
                out.push(Manifest {
                    file: file.to_path_buf(),
                    pos: doc.pos,
                    object: item.clone(),
                });
            }
        } else if !object.is_null() {
            out.push(Manifest {
                file: file.to_path_buf(),
                pos: doc.pos,
                object,
            });
        }
    }
    (out, Vec::new())
}

/// Checks everything read from `dir`.
fn finish(dir: &Path, out: Vec<Manifest>, mut problems: Vec<String>) -> Result<Vec<Manifest>, ManifestError> {
    if out.len() > MAX_OBJECTS {
        problems.push(format!(
            "the manifests in {} hold {} objects; one deploy job applies at most {MAX_OBJECTS}",
            dir.display(),
            out.len()
        ));
    }
    check(&out, &mut problems);
    if problems.is_empty() {
        if out.is_empty() {
            return Err(ManifestError {
                problems: vec![format!("the manifests in {} hold no objects", dir.display())],
            });
        }
        Ok(out)
    } else {
        Err(ManifestError { problems })
    }
}

fn walk(dir: &Path, depth: usize, files: &mut Vec<PathBuf>) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("{} nests folders deeper than {MAX_DEPTH}", dir.display()));
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        // Symlinks are not followed: a manifest folder is the project's own files.
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            walk(&path, depth + 1, files)?;
        } else if kind.is_file() && (name.ends_with(".yaml") || name.ends_with(".yml")) {
            files.push(path);
        }
    }
    Ok(())
}

fn check(objects: &[Manifest], problems: &mut Vec<String>) {
    let mut seen: HashMap<(String, String, Option<String>), (PathBuf, Pos)> = HashMap::new();
    for m in objects {
        let Some(obj) = m.object.as_object() else {
            problems.push(problem(
                &m.file,
                m.pos,
                "a manifest must be a mapping (an object with `apiVersion`, `kind` and `metadata`)",
            ));
            continue;
        };
        let mut missing = Vec::new();
        let text_of = |key: &str| {
            obj.get(key)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        };
        if !text_of("apiVersion") {
            missing.push("`apiVersion`");
        }
        if !text_of("kind") {
            missing.push("`kind`");
        }
        if m.name().is_empty() {
            missing.push("`metadata.name`");
        }
        if !missing.is_empty() {
            problems.push(problem(
                &m.file,
                m.pos,
                format!("this object has no {}", missing.join(", ")),
            ));
            continue;
        }
        if obj
            .get("metadata")
            .and_then(|md| md.get("generateName"))
            .is_some()
        {
            problems.push(problem(
                &m.file,
                m.pos,
                format!(
                    "{} uses `generateName`; applied objects need a fixed `metadata.name`",
                    m.describe()
                ),
            ));
        }
        let group = m
            .api_version()
            .rsplit_once('/')
            .map_or("", |(g, _)| g)
            .to_string();
        let key = (
            format!("{group}/{}", m.kind()),
            m.name().to_string(),
            m.namespace().map(str::to_string),
        );
        if let Some((file, pos)) = seen.get(&key) {
            problems.push(problem(
                &m.file,
                m.pos,
                format!(
                    "{} is defined twice (first at {}:{}); keep one",
                    m.describe(),
                    file.display(),
                    pos.line
                ),
            ));
        } else {
            seen.insert(key, (m.file.clone(), m.pos));
        }
    }
}

/// The pod template of a workload, when the object has one.
pub(super) fn pod_spec_mut(object: &mut Value) -> Option<&mut Value> {
    let kind = object["kind"].as_str()?.to_string();
    match kind.as_str() {
        "Pod" => object.get_mut("spec"),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            object.get_mut("spec")?.get_mut("template")?.get_mut("spec")
        }
        "CronJob" => object
            .get_mut("spec")?
            .get_mut("jobTemplate")?
            .get_mut("spec")?
            .get_mut("template")?
            .get_mut("spec"),
        _ => None,
    }
}

fn template_metadata_mut(object: &mut Value) -> Option<&mut Map<String, Value>> {
    let kind = object["kind"].as_str()?.to_string();
    let template = match kind.as_str() {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            object.get_mut("spec")?.get_mut("template")?
        }
        _ => return None,
    };
    let t = template.as_object_mut()?;
    let md = t.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    if !md.is_object() {
        *md = Value::Object(Map::new());
    }
    md.as_object_mut()
}

/// Sets every container image whose repository is one of `images`' to that
/// image. Returns the images set, once each; an image that matched no
/// container is an error, since a typo would ship the old version.
pub fn set_images(objects: &mut [Manifest], images: &[ImageRef]) -> Result<Vec<String>, String> {
    let mut used = vec![false; images.len()];
    for m in objects.iter_mut() {
        let Some(spec) = pod_spec_mut(&mut m.object) else {
            continue;
        };
        for list in ["initContainers", "containers"] {
            let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
                continue;
            };
            for c in containers {
                let Some(current) = c.get("image").and_then(Value::as_str) else {
                    continue;
                };
                let Ok(current) = ImageRef::parse(current) else {
                    continue;
                };
                if let Some(i) = images.iter().position(|img| img.repository == current.repository) {
                    c["image"] = Value::String(images[i].to_string());
                    used[i] = true;
                }
            }
        }
    }
    if let Some(i) = used.iter().position(|u| !u) {
        return Err(format!(
            "no container in the manifests uses the image repository `{}`; check the name (images are matched by repository, without the tag)",
            images[i].repository
        ));
    }
    Ok(images.iter().map(ToString::to_string).collect())
}

/// Stamps Switchyard's labels on every object (app, environment, version,
/// deployment id) and on workloads' pod templates (app, environment,
/// version: a new deployment of the same version does not restart pods),
/// and the revision annotation on every object.
pub fn stamp(
    objects: &mut [Manifest],
    app: &str,
    environment: &str,
    version: &str,
    deployment_id: i64,
    revision: i64,
) {
    for m in objects.iter_mut() {
        let Some(obj) = m.object.as_object_mut() else {
            continue;
        };
        let md = obj.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
        if let Some(md) = md.as_object_mut() {
            let labels = md.entry("labels").or_insert_with(|| Value::Object(Map::new()));
            if let Some(l) = labels.as_object_mut() {
                l.insert(LABEL_APP.into(), app.into());
                l.insert(LABEL_ENVIRONMENT.into(), environment.into());
                l.insert(LABEL_VERSION.into(), version.into());
                if deployment_id > 0 {
                    l.insert(LABEL_DEPLOYMENT.into(), deployment_id.to_string().into());
                }
            }
            if revision > 0 {
                let ann = md
                    .entry("annotations")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Some(a) = ann.as_object_mut() {
                    a.insert(super::ANNOTATION_REVISION.into(), revision.to_string().into());
                }
            }
        }
        if let Some(md) = template_metadata_mut(&mut m.object) {
            let labels = md.entry("labels").or_insert_with(|| Value::Object(Map::new()));
            if let Some(l) = labels.as_object_mut() {
                l.insert(LABEL_APP.into(), app.into());
                l.insert(LABEL_ENVIRONMENT.into(), environment.into());
                l.insert(LABEL_VERSION.into(), version.into());
            }
        }
    }
}

/// Apply order: namespaces and CRDs first, then configuration and
/// accounts, then services, then workloads, as `kubectl apply` users order
/// them by hand; the file order is kept within each group.
pub fn sort_for_apply(objects: &mut [Manifest]) {
    fn rank(kind: &str) -> u8 {
        match kind {
            "Namespace" | "CustomResourceDefinition" => 0,
            "ServiceAccount" | "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => 1,
            "ConfigMap" | "Secret" | "PersistentVolumeClaim" | "PriorityClass" => 2,
            "Service" => 3,
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob" | "Pod" => 5,
            "HorizontalPodAutoscaler"
            | "PodDisruptionBudget"
            | "Ingress"
            | "HTTPRoute"
            | "VirtualService"
            | "DestinationRule" => 6,
            _ => 4,
        }
    }
    objects.sort_by_key(|m| rank(m.kind()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: registry.local/acme/web:1.0\n      - name: proxy\n        image: envoy:1.30\n";

    #[test]
    fn every_object_of_every_file_is_read_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "b/web.yaml", WEB);
        write(
            dir.path(),
            "a.yml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {port: '8080', debug: 'true'}\n",
        );
        write(dir.path(), "notes.txt", "not yaml");
        let objs = load(dir.path(), ".").unwrap();
        let names: Vec<String> = objs.iter().map(Manifest::describe).collect();
        assert_eq!(names, ["Service/web", "ConfigMap/cfg", "Deployment/web"]);
        assert_eq!(objs[0].object["metadata"]["name"], "web");
        assert_eq!(objs[1].pos.line, 5, "the second document starts after `---`");
        assert_eq!(objs[2].object["spec"]["replicas"], 2);
    }

    #[test]
    fn problems_name_their_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "a.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\nkind: ConfigMap\nmetadata: {}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
        );
        write(dir.path(), "b.yaml", "a: [1, 2\n");
        let err = load(dir.path(), "").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("\na.yaml:5:1: this object has no `apiVersion`, `metadata.name`"),
            "{text}"
        );
        assert!(
            text.contains("a.yaml:8:1: Service/web is defined twice"),
            "{text}"
        );
        assert!(
            text.contains("b.yaml:") && text.contains("YAML syntax error"),
            "{text}"
        );
    }

    #[test]
    fn an_empty_or_missing_folder_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            load(dir.path(), "")
                .unwrap_err()
                .to_string()
                .contains("holds no `.yaml`")
        );
        assert!(
            load(dir.path(), "nope")
                .unwrap_err()
                .to_string()
                .contains("deploy.manifests")
        );
    }

    #[test]
    fn images_are_matched_by_repository_and_a_typo_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "web.yaml", WEB);
        let mut objs = load(dir.path(), "").unwrap();
        let set = set_images(
            &mut objs,
            &[ImageRef::parse("registry.local/acme/web:2.0").unwrap()],
        )
        .unwrap();
        assert_eq!(set, ["registry.local/acme/web:2.0"]);
        let c = &objs[0].object["spec"]["template"]["spec"]["containers"];
        assert_eq!(c[0]["image"], "registry.local/acme/web:2.0");
        assert_eq!(c[1]["image"], "envoy:1.30", "other images are left alone");
        let err = set_images(
            &mut objs,
            &[ImageRef::parse("registry.local/acme/wbe:2.0").unwrap()],
        )
        .unwrap_err();
        assert!(err.contains("acme/wbe"), "{err}");
    }

    #[test]
    fn labels_go_on_objects_and_pod_templates_but_not_selectors() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "web.yaml", WEB);
        let mut objs = load(dir.path(), "").unwrap();
        stamp(&mut objs, "web", "prod", "2.0", 7, 3);
        let o = &objs[0].object;
        assert_eq!(o["metadata"]["labels"][LABEL_DEPLOYMENT], "7");
        assert_eq!(o["metadata"]["annotations"]["switchyard.dev/revision"], "3");
        assert_eq!(o["spec"]["template"]["metadata"]["labels"][LABEL_VERSION], "2.0");
        assert_eq!(o["spec"]["template"]["metadata"]["labels"]["app"], "web");
        assert!(
            o["spec"]["template"]["metadata"]["labels"]
                .get(LABEL_DEPLOYMENT)
                .is_none()
        );
        assert_eq!(
            o["spec"]["selector"],
            serde_json::json!({"matchLabels": {"app": "web"}})
        );
    }
}
