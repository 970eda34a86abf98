//! Kustomizations rendered in-process, so a deploy job can point
//! `manifests` at a kustomize overlay without `kustomize` installed.
//!
//! The fields of `kustomization.yaml` that overlays use to vary an app per
//! environment are rendered as `kustomize build` (v5) renders them:
//! `resources` (files and folders with their own kustomization),
//! `namespace`, `namePrefix`/`nameSuffix` with the references to renamed
//! objects updated (ConfigMaps, Secrets, ServiceAccounts, claims, Services,
//! roles, scale targets...), `labels` and `commonLabels`,
//! `commonAnnotations`, `images`, `replicas`, and `patches` (strategic merge
//! or JSON 6902, with targets), `patchesStrategicMerge` and
//! `patchesJson6902`. The field lists follow kustomize's built-in
//! configuration (`api/internal/konfig/builtinpluginconsts`), and the
//! tests compare the output with `kubectl kustomize`.
//!
//! Fields that generate or rewrite content in ways that need kustomize
//! itself (generators, components, Helm charts, replacements, vars,
//! plugins) are refused with their file:line:column and what to do
//! instead; remote resources are refused (a deployment renders from the
//! project's own files), and so is any file outside the project.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::ImageRef;
use super::manifests::{Manifest, pod_spec_mut, problem, read_objects};
use crate::pipeline::Pos;
use crate::pipeline::yaml::{self, Node};

/// The names kustomize looks for, in its order.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Deepest chain of kustomizations that include each other.
const MAX_DEPTH: usize = 16;

/// The kustomization file of `dir`, when it has one.
pub fn find(dir: &Path) -> Option<PathBuf> {
    FILE_NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// Renders the kustomization in `dir`. Files must stay inside `root` (the
/// project); `budget` counts the bytes read against the manifests' limit.
pub fn render(root: &Path, dir: &Path, budget: &mut u64) -> Result<Vec<Manifest>, Vec<String>> {
    let root = root
        .canonicalize()
        .map_err(|e| vec![format!("cannot read the project folder {}: {e}", root.display())])?;
    let mut stack = Vec::new();
    build(&root, dir, budget, &mut stack).map(|objects| objects.into_iter().map(|(m, _)| m).collect())
}

/// One kustomization's fields, read with where each was written.
struct Kustomization {
    file: PathBuf,
    fields: Vec<(String, Pos, Node)>,
}

impl Kustomization {
    fn get(&self, key: &str) -> Option<(&Pos, &Node)> {
        self.fields
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, p, n)| (p, n))
    }
    fn json(&self, key: &str) -> Option<(Pos, Value)> {
        self.get(key).map(|(p, n)| (*p, n.to_json()))
    }
    fn err(&self, pos: Pos, message: impl std::fmt::Display) -> String {
        problem(&self.file, pos, message)
    }
}

/// Fields that are read and need nothing rendered.
const IGNORED: [&str; 4] = ["apiVersion", "kind", "sortOptions", "generatorOptions"];

/// Fields this renderer does not do, and why a user reaches for them.
const REFUSED: [(&str, &str); 13] = [
    ("configMapGenerator", "generates ConfigMaps"),
    ("secretGenerator", "generates Secrets"),
    ("generators", "runs generator plugins"),
    ("transformers", "runs transformer plugins"),
    ("validators", "runs validator plugins"),
    ("components", "includes components"),
    ("helmCharts", "inflates Helm charts"),
    ("helmGlobals", "inflates Helm charts"),
    ("helmChartInflationGenerator", "inflates Helm charts"),
    ("replacements", "copies fields between objects"),
    ("vars", "substitutes vars"),
    ("crds", "reads CRD schemas"),
    ("openapi", "reads OpenAPI schemas"),
];

const KNOWN: [&str; 14] = [
    "resources",
    "bases",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "labels",
    "commonLabels",
    "commonAnnotations",
    "images",
    "replicas",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "buildMetadata",
];

fn read_kustomization(file: &Path, budget: &mut u64) -> Result<Kustomization, Vec<String>> {
    let text = read_text(file, budget).map_err(|e| vec![e])?;
    let node = yaml::parse(&text).map_err(|e| vec![problem(file, e.pos, e.message)])?;
    let yaml::Value::Map(entries) = node.value else {
        return Err(vec![problem(
            file,
            node.pos,
            "a kustomization is a mapping (`resources:`, `images:`, ...)",
        )]);
    };
    let k = Kustomization {
        file: file.to_path_buf(),
        fields: entries
            .into_iter()
            .map(|(key, value)| (key.text, key.pos, value))
            .collect(),
    };
    let mut problems = Vec::new();
    for (key, pos, _) in &k.fields {
        if let Some((_, what)) = REFUSED.iter().find(|(name, _)| name == key) {
            problems.push(k.err(
                *pos,
                format!(
                    "`{key}` {what}, which Switchyard does not render; render the overlay with `kustomize build` into a folder and point `deploy.manifests` at it"
                ),
            ));
        } else if !KNOWN.contains(&key.as_str()) && !IGNORED.contains(&key.as_str()) {
            problems.push(k.err(
                *pos,
                format!("`{key}` is not a kustomization field Switchyard knows"),
            ));
        }
    }
    if let Some((pos, kind)) = k.json("kind")
        && kind.as_str().is_some_and(|s| s != "Kustomization")
    {
        problems.push(k.err(
            pos,
            format!("kind {kind} is not rendered; only `Kustomization` is"),
        ));
    }
    if problems.is_empty() { Ok(k) } else { Err(problems) }
}

fn read_text(file: &Path, budget: &mut u64) -> Result<String, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    *budget = budget.saturating_sub(bytes.len() as u64);
    if *budget == 0 {
        return Err(format!(
            "the manifests read through {} are too large to be an app's manifests",
            file.display()
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        problem(
            file,
            Pos { line: 1, column: 1 },
            "not valid UTF-8; save it as UTF-8",
        )
    })
}

/// A path a kustomization names, resolved and kept inside the project.
fn resolve(root: &Path, k: &Kustomization, pos: Pos, rel: &str) -> Result<PathBuf, String> {
    if rel.contains("://") || rel.starts_with("github.com/") || rel.starts_with("git@") {
        return Err(k.err(
            pos,
            format!(
                "`{rel}` is a remote resource; a deployment renders from the project's own files: vendor it into the project"
            ),
        ));
    }
    let dir = k.file.parent().unwrap_or(Path::new("."));
    let path = dir.join(rel);
    let real = path
        .canonicalize()
        .map_err(|e| k.err(pos, format!("cannot read `{rel}` ({}): {e}", path.display())))?;
    if !real.starts_with(root) {
        return Err(k.err(
            pos,
            format!("`{rel}` is outside the project; a kustomization may only use the project's files"),
        ));
    }
    Ok(real)
}

fn strings(k: &Kustomization, key: &str) -> Result<Vec<(Pos, String)>, String> {
    let Some((pos, node)) = k.get(key) else {
        return Ok(Vec::new());
    };
    match &node.value {
        yaml::Value::Null => Ok(Vec::new()),
        yaml::Value::Seq(items) => items
            .iter()
            .map(|n| match &n.value {
                yaml::Value::Scalar { text, .. } => Ok((n.pos, text.clone())),
                _ => Err(k.err(n.pos, format!("each of `{key}` is a path"))),
            })
            .collect(),
        _ => Err(k.err(*pos, format!("`{key}` is a list of paths"))),
    }
}

/// Objects with the names they had in the files that define them (what
/// `replicas` names).
type Named = Vec<(Manifest, String)>;

fn build(root: &Path, dir: &Path, budget: &mut u64, stack: &mut Vec<PathBuf>) -> Result<Named, Vec<String>> {
    let Some(file) = find(dir) else {
        return Err(vec![format!(
            "{} has no kustomization.yaml; a folder named in `resources` must hold one",
            dir.display()
        )]);
    };
    let real_dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if stack.contains(&real_dir) {
        return Err(vec![format!(
            "{} includes itself through `resources`; break the cycle",
            file.display()
        )]);
    }
    if stack.len() >= MAX_DEPTH {
        return Err(vec![format!(
            "{} nests kustomizations deeper than {MAX_DEPTH}",
            file.display()
        )]);
    }
    let k = read_kustomization(&file, budget)?;
    stack.push(real_dir);
    let result = build_objects(root, &k, budget, stack);
    stack.pop();
    let (mut objects, original): (Vec<Manifest>, Vec<String>) = result?.into_iter().unzip();
    transform(&k, &mut objects, &original).map_err(|e| vec![e])?;
    Ok(objects.into_iter().zip(original).collect())
}

fn build_objects(
    root: &Path,
    k: &Kustomization,
    budget: &mut u64,
    stack: &mut Vec<PathBuf>,
) -> Result<Named, Vec<String>> {
    let mut problems = Vec::new();
    let mut objects = Vec::new();
    let mut paths = strings(k, "resources").map_err(|e| vec![e])?;
    paths.extend(strings(k, "bases").map_err(|e| vec![e])?);
    for (pos, rel) in paths {
        let path = match resolve(root, k, pos, &rel) {
            Ok(p) => p,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        if path.is_dir() {
            match build(root, &path, budget, stack) {
                Ok(o) => objects.extend(o),
                Err(p) => problems.extend(p),
            }
        } else {
            match read_text(&path, budget) {
                Ok(text) => {
                    let (o, p) = read_objects(&path, &text);
                    objects.extend(o.into_iter().map(|m| {
                        let name = m.name().to_string();
                        (m, name)
                    }));
                    problems.extend(p);
                }
                Err(e) => problems.push(e),
            }
        }
    }
    if problems.is_empty() {
        Ok(objects)
    } else {
        Err(problems)
    }
}

/// Applies one kustomization's transformers, in kustomize's order.
fn transform(k: &Kustomization, objects: &mut [Manifest], original: &[String]) -> Result<(), String> {
    // kustomize finds the object of a patch by its name in its file or
    // now, and that of `replicas` also by its name as it came into this
    // kustomization.
    let entering: Vec<String> = objects.iter().map(|m| m.name().to_string()).collect();
    patches(k, objects, original)?;
    if let Some((pos, ns)) = k.json("namespace") {
        let ns = ns
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| k.err(pos, "`namespace` is a namespace name"))?;
        set_namespace(objects, ns);
    }
    rename(k, objects)?;
    if let Some((pos, v)) = k.json("commonLabels") {
        let pairs = string_map(k, pos, "commonLabels", &v)?;
        add_labels(objects, &pairs, true, true);
    }
    if let Some((pos, v)) = k.json("labels") {
        let list = v.as_array().ok_or_else(|| {
            k.err(
                pos,
                "`labels` is a list of `{pairs, includeSelectors, includeTemplates}`",
            )
        })?;
        for entry in list {
            let pairs = string_map(k, pos, "labels[].pairs", &entry["pairs"])?;
            let selectors = entry["includeSelectors"].as_bool().unwrap_or(false);
            let templates = selectors || entry["includeTemplates"].as_bool().unwrap_or(false);
            add_labels(objects, &pairs, selectors, templates);
        }
    }
    if let Some((pos, v)) = k.json("commonAnnotations") {
        let pairs = string_map(k, pos, "commonAnnotations", &v)?;
        add_annotations(objects, &pairs);
    }
    patches_json6902(k, objects, original)?;
    if let Some((pos, v)) = k.json("replicas") {
        let known: Vec<[&str; 2]> = original
            .iter()
            .zip(&entering)
            .map(|(a, b)| [a.as_str(), b.as_str()])
            .collect();
        replicas(k, pos, &v, objects, &known)?;
    }
    if let Some((pos, v)) = k.json("images") {
        images(k, pos, &v, objects)?;
    }
    Ok(())
}

fn string_map(k: &Kustomization, pos: Pos, key: &str, v: &Value) -> Result<Vec<(String, String)>, String> {
    let Some(m) = v.as_object() else {
        return Err(k.err(pos, format!("`{key}` is a mapping of names to values")));
    };
    Ok(m.iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (name.clone(), text)
        })
        .collect())
}

// ---- patches ----

/// Which objects a patch applies to.
#[derive(Default)]
struct Target {
    group: Option<String>,
    version: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    label_selector: Option<String>,
}

impl Target {
    fn from_json(k: &Kustomization, pos: Pos, v: &Value) -> Result<Target, String> {
        let Some(m) = v.as_object() else {
            return Err(k.err(pos, "a patch's `target` is a mapping (`kind`, `name`, ...)"));
        };
        let text = |key: &str| m.get(key).and_then(Value::as_str).map(str::to_string);
        if m.contains_key("annotationSelector") {
            return Err(k.err(
                pos,
                "`target.annotationSelector` is not supported; select by kind, name or labelSelector",
            ));
        }
        Ok(Target {
            group: text("group"),
            version: text("version"),
            kind: text("kind"),
            name: text("name"),
            namespace: text("namespace"),
            label_selector: text("labelSelector"),
        })
    }

    fn matches(&self, m: &Manifest, first: &str) -> bool {
        let (group, version) = match m.api_version().rsplit_once('/') {
            Some((g, v)) => (g, v),
            None => ("", m.api_version()),
        };
        let exact = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        exact(&self.group, group)
            && exact(&self.version, version)
            && exact(&self.kind, m.kind())
            && self
                .name
                .as_deref()
                .is_none_or(|n| name_matches(n, m.name()) || name_matches(n, first))
            && exact(&self.namespace, m.namespace().unwrap_or_default())
            && self
                .label_selector
                .as_deref()
                .is_none_or(|s| selector_matches(s, &m.object["metadata"]["labels"]))
    }
}

/// kustomize's target names are regular expressions anchored at both
/// ends (`web-.*`); a pattern that is not one is taken literally.
fn name_matches(pattern: &str, name: &str) -> bool {
    match regex::Regex::new(&format!("^(?:{pattern})$")) {
        Ok(re) => re.is_match(name),
        Err(_) => pattern == name,
    }
}

/// `a=b,c!=d,e` (equality-based selectors).
fn selector_matches(selector: &str, labels: &Value) -> bool {
    selector
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .all(|req| {
            if let Some((k, v)) = req.split_once("!=") {
                labels[k.trim()].as_str() != Some(v.trim())
            } else if let Some((k, v)) = req.split_once("==").or_else(|| req.split_once('=')) {
                labels[k.trim()].as_str() == Some(v.trim())
            } else if let Some(k) = req.strip_prefix('!') {
                labels.get(k.trim()).is_none()
            } else {
                labels.get(req).is_some()
            }
        })
}

/// A patch's content: a strategic-merge object, or JSON 6902 operations.
enum PatchBody {
    Merge(Value),
    Json6902(json_patch::Patch),
}

fn parse_patch(k: &Kustomization, pos: Pos, text: &str, what: &str) -> Result<Vec<PatchBody>, String> {
    let docs = yaml::parse_stream(text).map_err(|e| {
        k.err(
            pos,
            format!("{what} is not YAML: {} (its line {})", e.message, e.pos.line),
        )
    })?;
    let mut out = Vec::new();
    for doc in docs {
        let v = doc.to_json();
        match v {
            Value::Array(_) => {
                let ops: json_patch::Patch = serde_json::from_value(v)
                    .map_err(|e| k.err(pos, format!("{what} is not a JSON 6902 patch: {e}")))?;
                out.push(PatchBody::Json6902(ops));
            }
            Value::Object(_) => out.push(PatchBody::Merge(v)),
            Value::Null => {}
            _ => return Err(k.err(
                pos,
                format!(
                    "{what} is neither a strategic-merge patch (a mapping) nor JSON 6902 operations (a list)"
                ),
            )),
        }
    }
    Ok(out)
}

/// The text of a patch given inline (`patch:`) or as a file (`path:`).
fn patch_text(k: &Kustomization, pos: Pos, entry: &Value) -> Result<(String, String), String> {
    match (
        entry.get("patch").and_then(Value::as_str),
        entry.get("path").and_then(Value::as_str),
    ) {
        (Some(text), None) => Ok((text.to_string(), "the inline patch".into())),
        (None, Some(rel)) => {
            let dir = k.file.parent().unwrap_or(Path::new("."));
            let path = dir.join(rel);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| k.err(pos, format!("cannot read the patch `{rel}`: {e}")))?;
            Ok((text, format!("the patch `{rel}`")))
        }
        _ => Err(k.err(pos, "a patch has either `patch:` (inline) or `path:` (a file)")),
    }
}

fn patches(k: &Kustomization, objects: &mut [Manifest], original: &[String]) -> Result<(), String> {
    // Deprecated `patchesStrategicMerge`: paths or inline patches.
    if let Some((pos, v)) = k.json("patchesStrategicMerge") {
        for item in v.as_array().into_iter().flatten() {
            let Some(s) = item.as_str() else {
                return Err(k.err(
                    pos,
                    "each of `patchesStrategicMerge` is a path or an inline patch",
                ));
            };
            let entry = if s.trim_start().contains('\n') || s.contains(": ") {
                serde_json::json!({ "patch": s })
            } else {
                serde_json::json!({ "path": s })
            };
            apply_patch_entry(k, pos, &entry, objects, original)?;
        }
    }
    if let Some((pos, v)) = k.json("patches") {
        let Some(list) = v.as_array() else {
            return Err(k.err(pos, "`patches` is a list of `{patch | path, target}`"));
        };
        for entry in list {
            apply_patch_entry(k, pos, entry, objects, original)?;
        }
    }
    Ok(())
}

/// The deprecated `patchesJson6902`, which kustomize applies after names,
/// labels and annotations.
fn patches_json6902(k: &Kustomization, objects: &mut [Manifest], original: &[String]) -> Result<(), String> {
    if let Some((pos, v)) = k.json("patchesJson6902") {
        for entry in v.as_array().into_iter().flatten() {
            if entry.get("target").is_none() {
                return Err(k.err(pos, "each of `patchesJson6902` needs a `target`"));
            }
            apply_patch_entry(k, pos, entry, objects, original)?;
        }
    }
    Ok(())
}

fn apply_patch_entry(
    k: &Kustomization,
    pos: Pos,
    entry: &Value,
    objects: &mut [Manifest],
    original: &[String],
) -> Result<(), String> {
    let (text, what) = patch_text(k, pos, entry)?;
    let target = match entry.get("target") {
        Some(t) => Some(Target::from_json(k, pos, t)?),
        None => None,
    };
    for body in parse_patch(k, pos, &text, &what)? {
        let mut matched = 0;
        for (m, first) in objects.iter_mut().zip(original) {
            let hit = match (&target, &body) {
                (Some(t), _) => t.matches(m, first),
                // Without a target, a strategic-merge patch names its object.
                (None, PatchBody::Merge(p)) => {
                    p["kind"].as_str() == Some(m.kind())
                        && p["metadata"]["name"]
                            .as_str()
                            .is_some_and(|n| n == m.name() || n == first)
                        && p["metadata"]["namespace"]
                            .as_str()
                            .is_none_or(|ns| Some(ns) == m.namespace())
                }
                (None, PatchBody::Json6902(_)) => {
                    return Err(k.err(
                        pos,
                        format!("{what} is JSON 6902 operations, which need a `target`"),
                    ));
                }
            };
            if !hit {
                continue;
            }
            matched += 1;
            match &body {
                PatchBody::Merge(p) => {
                    let mut p = p.clone();
                    if target.is_some()
                        && let Some(o) = p.as_object_mut()
                    {
                        // With a target, the patch's own name is not used.
                        if let Some(md) = o.get_mut("metadata").and_then(Value::as_object_mut) {
                            md.remove("name");
                        }
                    }
                    strategic_merge(&mut m.object, &p, "");
                }
                PatchBody::Json6902(ops) => {
                    for op in ops.iter() {
                        // As kustomize does, `add` creates the mappings on its way.
                        if let json_patch::PatchOperation::Add(add) = op {
                            ensure_parents(&mut m.object, add.path.as_str());
                        }
                        json_patch::patch(&mut m.object, std::slice::from_ref(op)).map_err(|e| {
                            k.err(pos, format!("{what} cannot be applied to {}: {e}", m.describe()))
                        })?;
                    }
                }
            }
        }
        // As kustomize: a patch with a `target` that selects nothing does
        // nothing; one without names its object, which must exist.
        if matched == 0
            && target.is_none()
            && let PatchBody::Merge(p) = &body
        {
            return Err(k.err(
                pos,
                format!(
                    "{what} names {}/{}, which is not among the resources; check its kind and name",
                    p["kind"].as_str().unwrap_or("?"),
                    p["metadata"]["name"].as_str().unwrap_or("?")
                ),
            ));
        }
    }
    Ok(())
}

/// Creates the missing mappings above a JSON pointer's last token.
fn ensure_parents(object: &mut Value, pointer: &str) {
    let tokens: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some((_, parents)) = tokens.split_last() else {
        return;
    };
    let mut at = object;
    for t in parents {
        at = match at {
            Value::Object(o) => o.entry(t.clone()).or_insert_with(|| Value::Object(Map::new())),
            Value::Array(items) => match t.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(v) => v,
                None => return,
            },
            _ => return,
        };
    }
}

/// The key that identifies items of a list field in a strategic merge
/// (the `patchMergeKey` of the Kubernetes types), when it has one.
fn merge_key(field: &str, parent: &str, items: &[Value]) -> Option<&'static str> {
    let key = match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "resourceClaims" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        "ports" if parent == "spec" || items.iter().any(|i| i.get("port").is_some()) => "port",
        "ports" => "containerPort",
        _ => return None,
    };
    items.iter().all(|i| i.get(key).is_some()).then_some(key)
}

/// A strategic merge of `patch` into `target` (maps merge, `null`
/// deletes, lists of the Kubernetes types merge by their key with the
/// patch's items first, `$patch: replace|delete` directives).
fn strategic_merge(target: &mut Value, patch: &Value, parent: &str) {
    let Some(p) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if p.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut v = patch.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove("$patch");
        }
        *target = v;
        return;
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let t = target.as_object_mut().expect("an object");
    for (key, value) in p {
        if key.starts_with('$') {
            continue;
        }
        match value {
            Value::Null => {
                t.remove(key);
            }
            Value::Object(_) => {
                let slot = t.entry(key.clone()).or_insert(Value::Null);
                if value.get("$patch").and_then(Value::as_str) == Some("delete") {
                    t.remove(key);
                } else {
                    strategic_merge(slot, value, key);
                }
            }
            Value::Array(items) => {
                let current = t.get(key).and_then(Value::as_array).cloned();
                let merged = match (current, merge_key(key, parent, items)) {
                    (Some(old), Some(mk)) => merge_list(old, items, mk),
                    _ => items
                        .iter()
                        .filter(|i| i.get("$patch").is_none())
                        .cloned()
                        .collect(),
                };
                t.insert(key.clone(), Value::Array(merged));
            }
            other => {
                t.insert(key.clone(), other.clone());
            }
        }
    }
}

fn merge_list(old: Vec<Value>, patch: &[Value], key: &str) -> Vec<Value> {
    let mut rest: Vec<Option<Value>> = old.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for item in patch {
        let at = rest
            .iter()
            .position(|o| o.as_ref().is_some_and(|o| o.get(key) == item.get(key)));
        if item.get("$patch").and_then(Value::as_str) == Some("delete") {
            if let Some(i) = at {
                rest[i] = None;
            }
            continue;
        }
        match at {
            Some(i) => {
                let mut merged = rest[i].take().expect("present");
                strategic_merge(&mut merged, item, "");
                out.push(merged);
            }
            None => {
                let mut fresh = Value::Object(Map::new());
                strategic_merge(&mut fresh, item, "");
                out.push(fresh);
            }
        }
    }
    out.extend(rest.into_iter().flatten());
    out
}

// ---- namespace, names and references ----

/// Kinds that live outside namespaces (unknown kinds are taken to live in
/// one, as kustomize does).
const CLUSTER_SCOPED: [&str; 22] = [
    "Namespace",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "CSIDriver",
    "CSINode",
    "Node",
    "VolumeAttachment",
    "CertificateSigningRequest",
    "FlowSchema",
    "PriorityLevelConfiguration",
    "GatewayClass",
];

fn set_namespace(objects: &mut [Manifest], ns: &str) {
    for m in objects.iter_mut() {
        let kind = m.kind().to_string();
        let md = metadata(&mut m.object);
        if kind == "Namespace" {
            md.insert("name".into(), ns.into());
            continue;
        }
        if !CLUSTER_SCOPED.contains(&kind.as_str()) {
            md.insert("namespace".into(), ns.into());
        }
        if kind == "RoleBinding" || kind == "ClusterRoleBinding" {
            for s in m.object["subjects"].as_array_mut().into_iter().flatten() {
                if s.is_object() && s["name"] == "default" {
                    s["namespace"] = ns.into();
                }
            }
        }
    }
}

fn metadata(object: &mut Value) -> &mut Map<String, Value> {
    if !object.is_object() {
        *object = Value::Object(Map::new());
    }
    let o = object.as_object_mut().expect("an object");
    let md = o.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    if !md.is_object() {
        *md = Value::Object(Map::new());
    }
    md.as_object_mut().expect("an object")
}

/// Where pod specs hold references, by the kind they name.
const POD_REFERENCES: [(&str, &str); 17] = [
    ("ConfigMap", "volumes/configMap/name"),
    ("ConfigMap", "volumes/projected/sources/configMap/name"),
    ("ConfigMap", "containers/env/valueFrom/configMapKeyRef/name"),
    ("ConfigMap", "initContainers/env/valueFrom/configMapKeyRef/name"),
    ("ConfigMap", "containers/envFrom/configMapRef/name"),
    ("ConfigMap", "initContainers/envFrom/configMapRef/name"),
    ("Secret", "volumes/secret/secretName"),
    ("Secret", "volumes/projected/sources/secret/name"),
    ("Secret", "containers/env/valueFrom/secretKeyRef/name"),
    ("Secret", "initContainers/env/valueFrom/secretKeyRef/name"),
    ("Secret", "containers/envFrom/secretRef/name"),
    ("Secret", "initContainers/envFrom/secretRef/name"),
    ("Secret", "imagePullSecrets/name"),
    ("ServiceAccount", "serviceAccountName"),
    ("PersistentVolumeClaim", "volumes/persistentVolumeClaim/claimName"),
    ("PriorityClass", "priorityClassName"),
    ("ServiceAccount", "serviceAccount"),
];

/// References outside pod specs: (referenced kind, referring kind, path).
const OBJECT_REFERENCES: [(&str, &str, &str); 10] = [
    ("Secret", "Ingress", "spec/tls/secretName"),
    ("Secret", "ServiceAccount", "imagePullSecrets/name"),
    ("Service", "StatefulSet", "spec/serviceName"),
    ("Service", "Ingress", "spec/rules/http/paths/backend/service/name"),
    ("Service", "Ingress", "spec/defaultBackend/service/name"),
    ("StorageClass", "PersistentVolumeClaim", "spec/storageClassName"),
    ("StorageClass", "PersistentVolume", "spec/storageClassName"),
    (
        "StorageClass",
        "StatefulSet",
        "spec/volumeClaimTemplates/spec/storageClassName",
    ),
    ("IngressClass", "Ingress", "spec/ingressClassName"),
    ("PersistentVolume", "PersistentVolumeClaim", "spec/volumeName"),
];

/// Calls `f` on every value at `path` (`a/b/c`; lists on the way are
/// walked item by item).
fn visit(value: &mut Value, path: &[&str], f: &mut dyn FnMut(&mut Value)) {
    if let Value::Array(items) = value {
        for item in items {
            visit(item, path, f);
        }
        return;
    }
    match path.split_first() {
        None => f(value),
        Some((head, rest)) => {
            if let Some(next) = value.get_mut(*head) {
                visit(next, rest, f);
            }
        }
    }
}

fn rename(k: &Kustomization, objects: &mut [Manifest]) -> Result<(), String> {
    let text = |key: &str| -> Result<String, String> {
        match k.json(key) {
            None => Ok(String::new()),
            Some((_, Value::String(s))) => Ok(s),
            Some((_, Value::Null)) => Ok(String::new()),
            Some((pos, _)) => Err(k.err(pos, format!("`{key}` is text"))),
        }
    };
    let (prefix, suffix) = (text("namePrefix")?, text("nameSuffix")?);
    if prefix.is_empty() && suffix.is_empty() {
        return Ok(());
    }
    // (kind, old name) -> new name
    let mut renamed: HashMap<(String, String), String> = HashMap::new();
    // ServiceAccount's old name -> its namespace
    let mut accounts: HashMap<String, Option<String>> = HashMap::new();
    for m in objects.iter_mut() {
        let kind = m.kind().to_string();
        if kind == "Namespace" || kind == "CustomResourceDefinition" {
            continue;
        }
        let old = m.name().to_string();
        let new = format!("{prefix}{old}{suffix}");
        if kind == "ServiceAccount" {
            accounts.insert(old.clone(), m.namespace().map(str::to_string));
        }
        metadata(&mut m.object).insert("name".into(), new.clone().into());
        renamed.insert((kind, old), new);
    }
    let lookup = |kind: &str, v: &mut Value| {
        if let Some(new) = v
            .as_str()
            .and_then(|old| renamed.get(&(kind.to_string(), old.to_string())))
        {
            *v = Value::String(new.clone());
        }
    };
    for m in objects.iter_mut() {
        let kind = m.kind().to_string();
        if let Some(spec) = pod_spec_mut(&mut m.object) {
            for (referenced, path) in POD_REFERENCES {
                let path: Vec<&str> = path.split('/').collect();
                visit(spec, &path, &mut |v| lookup(referenced, v));
            }
        }
        for (referenced, referring, path) in OBJECT_REFERENCES {
            if kind == referring {
                let path: Vec<&str> = path.split('/').collect();
                visit(&mut m.object, &path, &mut |v| lookup(referenced, v));
            }
        }
        match kind.as_str() {
            "HorizontalPodAutoscaler" => {
                let target_kind = m.object["spec"]["scaleTargetRef"]["kind"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if let Some(v) = m.object.pointer_mut("/spec/scaleTargetRef/name") {
                    lookup(&target_kind, v);
                }
            }
            "RoleBinding" | "ClusterRoleBinding" => {
                let role_kind = m.object["roleRef"]["kind"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if let Some(v) = m.object.pointer_mut("/roleRef/name") {
                    lookup(&role_kind, v);
                }
                for s in m.object["subjects"].as_array_mut().into_iter().flatten() {
                    if s["kind"] == "ServiceAccount" && s.get("namespace").is_none() {
                        let key = (
                            "ServiceAccount".to_string(),
                            s["name"].as_str().unwrap_or_default().to_string(),
                        );
                        // The subject then names the account's namespace too.
                        if let (Some(new), Some(ns)) = (renamed.get(&key), accounts.get(&key.1)) {
                            s["name"] = Value::String(new.clone());
                            if let Some(ns) = ns {
                                s["namespace"] = Value::String(ns.clone());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

// ---- labels, annotations, replicas, images ----

/// Label paths (kind, path, create) beside `metadata/labels`, from
/// kustomize's commonLabels configuration; `selector` says whether the
/// path is a selector (only with `includeSelectors`).
const LABEL_PATHS: [(&str, &str, bool, bool); 20] = [
    ("Service", "spec/selector", true, true),
    ("ReplicationController", "spec/selector", true, true),
    ("Deployment", "spec/selector/matchLabels", true, true),
    ("ReplicaSet", "spec/selector/matchLabels", true, true),
    ("DaemonSet", "spec/selector/matchLabels", true, true),
    ("StatefulSet", "spec/selector/matchLabels", true, true),
    ("Job", "spec/selector/matchLabels", false, true),
    (
        "CronJob",
        "spec/jobTemplate/spec/selector/matchLabels",
        false,
        true,
    ),
    ("PodDisruptionBudget", "spec/selector/matchLabels", false, true),
    ("NetworkPolicy", "spec/podSelector/matchLabels", false, true),
    (
        "NetworkPolicy",
        "spec/ingress/from/podSelector/matchLabels",
        false,
        true,
    ),
    (
        "NetworkPolicy",
        "spec/egress/to/podSelector/matchLabels",
        false,
        true,
    ),
    (
        "ReplicationController",
        "spec/template/metadata/labels",
        true,
        false,
    ),
    ("Deployment", "spec/template/metadata/labels", true, false),
    ("ReplicaSet", "spec/template/metadata/labels", true, false),
    ("DaemonSet", "spec/template/metadata/labels", true, false),
    ("StatefulSet", "spec/template/metadata/labels", true, false),
    ("Job", "spec/template/metadata/labels", true, false),
    ("CronJob", "spec/jobTemplate/metadata/labels", true, false),
    (
        "CronJob",
        "spec/jobTemplate/spec/template/metadata/labels",
        true,
        false,
    ),
];

/// Sets `pairs` into the map at `path`, creating the path when `create`.
fn set_pairs(object: &mut Value, path: &str, create: bool, pairs: &[(String, String)]) {
    let segments: Vec<&str> = path.split('/').collect();
    fn go(v: &mut Value, segs: &[&str], create: bool, pairs: &[(String, String)]) {
        if let Value::Array(items) = v {
            for i in items {
                go(i, segs, create, pairs);
            }
            return;
        }
        let Some(o) = v.as_object_mut() else { return };
        match segs.split_first() {
            None => {
                for (k, val) in pairs {
                    o.insert(k.clone(), Value::String(val.clone()));
                }
            }
            Some((head, rest)) => {
                if !o.contains_key(*head) {
                    if !create {
                        return;
                    }
                    o.insert((*head).to_string(), Value::Object(Map::new()));
                }
                let next = o.get_mut(*head).expect("present");
                if next.is_null() {
                    *next = Value::Object(Map::new());
                }
                go(next, rest, create, pairs);
            }
        }
    }
    go(object, &segments, create, pairs);
}

fn add_labels(objects: &mut [Manifest], pairs: &[(String, String)], selectors: bool, templates: bool) {
    for m in objects.iter_mut() {
        let kind = m.kind().to_string();
        set_pairs(&mut m.object, "metadata/labels", true, pairs);
        for (k, path, create, is_selector) in LABEL_PATHS {
            if k != kind {
                continue;
            }
            if (is_selector && selectors) || (!is_selector && templates) {
                set_pairs(&mut m.object, path, create, pairs);
            }
        }
        if kind == "StatefulSet" && templates {
            set_pairs(
                &mut m.object,
                "spec/volumeClaimTemplates/metadata/labels",
                true,
                pairs,
            );
        }
    }
}

fn add_annotations(objects: &mut [Manifest], pairs: &[(String, String)]) {
    for m in objects.iter_mut() {
        let kind = m.kind().to_string();
        set_pairs(&mut m.object, "metadata/annotations", true, pairs);
        match kind.as_str() {
            "ReplicationController" | "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet" | "Job" => {
                set_pairs(&mut m.object, "spec/template/metadata/annotations", true, pairs);
            }
            "CronJob" => {
                set_pairs(
                    &mut m.object,
                    "spec/jobTemplate/metadata/annotations",
                    true,
                    pairs,
                );
                set_pairs(
                    &mut m.object,
                    "spec/jobTemplate/spec/template/metadata/annotations",
                    true,
                    pairs,
                );
            }
            _ => {}
        }
    }
}

fn replicas(
    k: &Kustomization,
    pos: Pos,
    v: &Value,
    objects: &mut [Manifest],
    known: &[[&str; 2]],
) -> Result<(), String> {
    for entry in v.as_array().into_iter().flatten() {
        let (Some(name), Some(count)) = (entry["name"].as_str(), entry["count"].as_i64()) else {
            return Err(k.err(pos, "each of `replicas` has a `name` and a `count`"));
        };
        let mut hit = false;
        for (m, names) in objects.iter_mut().zip(known) {
            let scalable = matches!(
                m.kind(),
                "Deployment" | "ReplicationController" | "ReplicaSet" | "StatefulSet"
            );
            if scalable && (m.name() == name || names.contains(&name)) {
                let spec = &mut m.object["spec"];
                if spec.is_null() {
                    *spec = Value::Object(Map::new());
                }
                if let Some(spec) = spec.as_object_mut() {
                    spec.insert("replicas".into(), count.into());
                    hit = true;
                }
            }
        }
        if !hit {
            return Err(k.err(
                pos,
                format!("`replicas` names `{name}`, which is no Deployment, StatefulSet or ReplicaSet here"),
            ));
        }
    }
    Ok(())
}

fn images(k: &Kustomization, pos: Pos, v: &Value, objects: &mut [Manifest]) -> Result<(), String> {
    let Some(list) = v.as_array() else {
        return Err(k.err(pos, "`images` is a list of `{name, newName, newTag, digest}`"));
    };
    for entry in list {
        let Some(name) = entry["name"].as_str() else {
            return Err(k.err(pos, "each of `images` has a `name` (the image to change)"));
        };
        let new_name = entry["newName"].as_str();
        let new_tag = match &entry["newTag"] {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let digest = entry["digest"].as_str();
        for m in objects.iter_mut() {
            let Some(spec) = pod_spec_mut(&mut m.object) else {
                continue;
            };
            for list in ["initContainers", "containers"] {
                for c in spec
                    .get_mut(list)
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    let Some(Ok(mut image)) = c["image"].as_str().map(ImageRef::parse) else {
                        continue;
                    };
                    if image.repository != name {
                        continue;
                    }
                    if let Some(n) = new_name {
                        image.repository = n.to_string();
                    }
                    if let Some(d) = digest {
                        image.tag = new_tag.clone();
                        image.digest = Some(d.to_string());
                    } else if let Some(t) = &new_tag {
                        image.tag = Some(t.clone());
                        image.digest = None;
                    }
                    c["image"] = Value::String(image.to_string());
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn render_in(dir: &Path, sub: &str) -> Result<Vec<Manifest>, Vec<String>> {
        let mut budget = 1 << 20;
        render(dir, &dir.join(sub), &mut budget)
    }

    const APP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: registry.local/acme/web:0.1\n        envFrom: [{configMapRef: {name: cfg}}]\n";

    #[test]
    fn an_overlay_renames_relabels_and_keeps_references() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "base/app.yaml", APP);
        write(dir.path(), "base/kustomization.yaml", "resources: [app.yaml]\n");
        write(
            dir.path(),
            "prod/kustomization.yaml",
            "resources: [../base]\nnamespace: prod\nnamePrefix: p-\ncommonLabels: {team: a}\nimages: [{name: registry.local/acme/web, newTag: '2.0'}]\nreplicas: [{name: web, count: 3}]\n",
        );
        let objects = render_in(dir.path(), "prod").unwrap();
        let web = objects.iter().find(|m| m.kind() == "Deployment").unwrap();
        assert_eq!(web.name(), "p-web");
        assert_eq!(web.namespace(), Some("prod"));
        assert_eq!(web.object["spec"]["replicas"], 3);
        let c = &web.object["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["image"], "registry.local/acme/web:2.0");
        assert_eq!(
            c["envFrom"][0]["configMapRef"]["name"], "p-cfg",
            "the reference follows the rename"
        );
        assert_eq!(web.object["spec"]["selector"]["matchLabels"]["team"], "a");
        assert_eq!(web.file, dir.path().canonicalize().unwrap().join("base/app.yaml"));
    }

    #[test]
    fn what_is_not_rendered_is_refused_where_it_is_written() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "k/app.yaml", APP);
        write(
            dir.path(),
            "k/kustomization.yaml",
            "resources: [app.yaml]\nconfigMapGenerator:\n- name: x\nnamePrefx: p-\n",
        );
        let problems = render_in(dir.path(), "k").unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].ends_with("kustomization.yaml:2:1: `configMapGenerator` generates ConfigMaps, which Switchyard does not render; render the overlay with `kustomize build` into a folder and point `deploy.manifests` at it"), "{problems:#?}");
        assert!(
            problems[1].contains("kustomization.yaml:4:1: `namePrefx` is not a kustomization field"),
            "{problems:#?}"
        );
    }

    #[test]
    fn resources_outside_the_project_remote_or_in_a_cycle_are_refused() {
        let outer = tempfile::tempdir().unwrap();
        let dir = outer.path().join("project");
        write(outer.path(), "secret.yaml", APP);
        write(
            &dir,
            "k/kustomization.yaml",
            "resources:\n- ../../secret.yaml\n- https://example.invalid/app.yaml\n- ../loop\n",
        );
        write(&dir, "loop/kustomization.yaml", "resources: [../loop2]\n");
        write(&dir, "loop2/kustomization.yaml", "resources: [../loop]\n");
        let problems = render_in(&dir, "k").unwrap_err();
        assert!(
            problems[0].contains("k/kustomization.yaml:2:3: `../../secret.yaml` is outside the project"),
            "{problems:#?}"
        );
        assert!(problems[1].contains("is a remote resource"), "{problems:#?}");
        assert!(
            problems[2].contains("includes itself through `resources`"),
            "{problems:#?}"
        );
    }

    #[test]
    fn a_patch_that_matches_nothing_says_so() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "k/app.yaml", APP);
        write(
            dir.path(),
            "k/kustomization.yaml",
            "resources: [app.yaml]\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: api}\n    spec: {replicas: 2}\n",
        );
        let problems = render_in(dir.path(), "k").unwrap_err();
        assert!(
            problems[0].contains("kustomization.yaml:2:1: the inline patch names Deployment/api, which is not among the resources; check its kind and name"),
            "{problems:#?}"
        );
    }

    /// Malformed kustomizations and objects are errors with a place, never
    /// a panic.
    #[test]
    fn hostile_kustomizations_are_errors_not_panics() {
        let cases = [
            "resources: 5\n",
            "resources: [[a]]\n",
            "resources: [app.yaml]\nnamespace: [x]\n",
            "resources: [app.yaml]\nnamePrefix: {a: b}\n",
            "resources: [app.yaml]\ncommonLabels: [a]\n",
            "resources: [app.yaml]\nlabels: {a: b}\n",
            "resources: [app.yaml]\nimages: {a: b}\n",
            "resources: [app.yaml]\nimages: [{newTag: x}]\n",
            "resources: [app.yaml]\nreplicas: [{name: x}]\n",
            "resources: [app.yaml]\npatches: 7\n",
            "resources: [app.yaml]\npatches: [{patch: 7}]\n",
            "resources: [app.yaml]\npatches: [{target: {kind: ConfigMap}, patch: '- {op: remove, path: /nope/deeper}'}]\n",
            "resources: [app.yaml]\npatches: [{target: {kind: ConfigMap}, patch: '- {op: frobnicate}'}]\n",
            "resources: [app.yaml]\npatches: [{patch: 'not: [closed'}]\n",
            "resources: [app.yaml]\npatchesJson6902: [{patch: '[]'}]\n",
            "resources: [nope.yaml]\n",
            "- a\n- b\n",
            "kind: Component\n",
        ];
        for text in cases {
            let dir = tempfile::tempdir().unwrap();
            write(
                dir.path(),
                "k/app.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n5\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: 3\nsubjects: [1, {name: default}]\n",
            );
            write(dir.path(), "k/kustomization.yaml", text);
            let problems = render_in(dir.path(), "k").expect_err(text);
            assert!(
                problems
                    .iter()
                    .all(|p| p.contains("kustomization.yaml:") || p.contains("cannot read")),
                "{text}: {problems:#?}"
            );
        }
        // Odd objects with every transformer: no panic.
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "k/app.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: 3\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: r}\nsubjects: [1, {name: default}]\n",
        );
        write(
            dir.path(),
            "k/kustomization.yaml",
            "resources: [app.yaml]\nnamespace: n\nnamePrefix: p-\ncommonLabels: {a: b}\ncommonAnnotations: {c: d}\nreplicas: [{name: x, count: 2}]\nimages: [{name: x, newTag: y}]\n",
        );
        let _ = render_in(dir.path(), "k");
    }

    #[test]
    fn strategic_merge_merges_lists_by_key_with_the_patch_first() {
        let mut target = serde_json::json!({"containers": [
            {"name": "proxy", "env": [{"name": "X", "value": "0"}, {"name": "A", "value": "1"}]},
            {"name": "web", "image": "web"}
        ]});
        let patch = serde_json::json!({"containers": [
            {"name": "proxy", "env": [{"name": "A", "value": "2"}, {"name": "N", "value": "3"}]},
            {"name": "side", "image": "side"},
            {"name": "web", "$patch": "delete"}
        ]});
        strategic_merge(&mut target, &patch, "spec");
        assert_eq!(
            target,
            serde_json::json!({"containers": [
                {"name": "proxy", "env": [{"name": "A", "value": "2"}, {"name": "N", "value": "3"}, {"name": "X", "value": "0"}]},
                {"name": "side", "image": "side"}
            ]})
        );
    }
}
