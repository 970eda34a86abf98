//! Integration tests of the Kubernetes runner against a real control plane.
//!
//! They need a cluster: `SWITCHYARD_TEST_KUBECONFIG` names its kubeconfig
//! (`tests/cluster/up` prints one for a local kwok-backed control plane; any
//! real cluster works too, see docs/kubernetes-runner.md), and
//! `SWITCHYARD_TEST_CONTEXT` optionally picks the context (default: the
//! kubeconfig's current one). The deployment tests across clusters need a
//! second one in the same kubeconfig (`tests/cluster/up dev dev-b`; or name
//! it with `SWITCHYARD_TEST_SECOND_CONTEXT`). Each test works in a namespace
//! of its own, deleted at the end.

mod cluster;
mod deploy;
mod failures;
mod jobs;
mod rbac;
mod support;
