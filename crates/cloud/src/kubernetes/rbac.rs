//! The permissions the runner needs in a target namespace: the minimal Role
//! documented in `docs/kubernetes-runner.md` (a test checks the two agree,
//! and another runs a job as a ServiceAccount bound to nothing more).

/// One rule: API group, resources, verbs.
pub struct Rule {
    /// API group (`""` for the core group).
    pub group: &'static str,
    /// Resources (and subresources).
    pub resources: &'static [&'static str],
    /// Verbs.
    pub verbs: &'static [&'static str],
}

/// Every rule the runner needs, and why.
pub const RULES: &[Rule] = &[
    // The job's pod: create it, watch it start, find it again after a
    // restart (get, list), delete it (and every pod of a job at once).
    Rule {
        group: "",
        resources: &["pods"],
        verbs: &["create", "get", "list", "watch", "delete", "deletecollection"],
    },
    // Steps, uploads and downloads run through exec (websocket upgrades are
    // authorized as `get` on older servers and `create` on newer ones).
    Rule {
        group: "",
        resources: &["pods/exec"],
        verbs: &["create", "get"],
    },
    // The job's ephemeral Secret: create it, hand it to its pod (patch),
    // delete it.
    Rule {
        group: "",
        resources: &["secrets"],
        verbs: &["create", "patch", "delete", "deletecollection"],
    },
    // Why a pod is Pending, when its conditions do not say.
    Rule {
        group: "",
        resources: &["events"],
        verbs: &["list"],
    },
];

/// What deployments need beside (docs/deployments.md, "The RBAC a target
/// needs", without the rules only a canary with Istio or Gateway API
/// traffic needs): apply and read what manifests usually hold, follow and
/// roll back a rollout, and let a canary come and go.
pub const DEPLOY_RULES: &[Rule] = &[
    Rule {
        group: "",
        resources: &["services", "configmaps", "secrets", "serviceaccounts"],
        verbs: &["get", "list", "create", "patch"],
    },
    Rule {
        group: "apps",
        resources: &["deployments"],
        verbs: &["get", "list", "watch", "create", "patch", "delete"],
    },
    Rule {
        group: "apps",
        resources: &["replicasets"],
        verbs: &["get", "list"],
    },
    Rule {
        group: "",
        resources: &["pods"],
        verbs: &["get", "list"],
    },
    Rule {
        group: "apps",
        resources: &["deployments/scale"],
        verbs: &["patch"],
    },
    Rule {
        group: "",
        resources: &["services"],
        verbs: &["delete"],
    },
    Rule {
        group: "autoscaling",
        resources: &["horizontalpodautoscalers"],
        verbs: &["list"],
    },
];

/// The Role as YAML, as the docs show it.
pub fn role_yaml(name: &str, namespace: &str) -> String {
    let list = |items: &[&str]| {
        items
            .iter()
            .map(|i| format!("\"{i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {name}\n  namespace: {namespace}\nrules:\n"
    );
    for r in RULES {
        out.push_str(&format!(
            "  - apiGroups: [\"{}\"]\n    resources: [{}]\n    verbs: [{}]\n",
            r.group,
            list(r.resources),
            list(r.verbs)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    /// The Role in the docs is the one the code needs (and a test runs jobs with).
    #[test]
    fn the_documented_role_is_the_minimal_one() {
        let doc = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/kubernetes-runner.md"
        ))
        .expect("docs/kubernetes-runner.md");
        let want = super::role_yaml("switchyard-runner", "ci");
        assert!(
            doc.contains(&want),
            "docs/kubernetes-runner.md must show this Role exactly:\n{want}"
        );
    }
}
