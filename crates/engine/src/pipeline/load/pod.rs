//! The Kubernetes pod keys of a job: `resources`, `node_selector`,
//! `tolerations`, checked as the API server would.

use indexmap::IndexMap;

use super::super::yaml::{Node, Value};
use super::super::*;
use super::*;

impl Cx {
    pub(super) fn resources(&mut self, node: &Node, what: &str, pod: &mut PodOptions) {
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

    pub(super) fn node_selector(&mut self, node: &Node, what: &str) -> IndexMap<String, String> {
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

    pub(super) fn tolerations(&mut self, node: &Node, what: &str) -> Vec<Toleration> {
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
}
