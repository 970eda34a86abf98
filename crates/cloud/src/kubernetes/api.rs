//! Talking to one cluster: a `kube::Client` per kubeconfig context, with
//! every HTTP request counted, and API calls retried with backoff.
//!
//! Transient failures (408, 429 Too Many Requests, 5xx, connections refused
//! or dropped) are retried with jittered exponential backoff until
//! [`RetryPolicy::give_up_after`]; then, or for any other error (a 401 or
//! 403, an invalid object), the error is returned at once, so a cluster that
//! stays unreachable, or refuses the credentials, fails the job with the
//! reason instead of hanging it.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use kube::Client;
use kube::client::ClientBuilder;
use kube::config::{KubeConfigOptions, Kubeconfig};

/// Why a cluster could not be reached or used.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The kubeconfig could not be read or has no such context.
    #[error("cannot use kubeconfig context `{context}`: {source}")]
    ConfigFailed {
        /// The context.
        context: String,
        /// What kube said.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// No client could be built from the context.
    #[error("cannot build a Kubernetes client for context `{context}`: {source}")]
    ClientFailed {
        /// The context.
        context: String,
        /// What kube said.
        #[source]
        source: kube::Error,
    },
}

/// How API calls are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// First delay.
    pub min_delay: Duration,
    /// Longest delay between two tries.
    pub max_delay: Duration,
    /// Total time spent retrying one call before its error is returned.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            give_up_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Runs `call` until it succeeds, fails with a non-transient error, or
    /// the policy gives up. `what` names the call in logs.
    pub async fn run<T, F, Fut>(&self, what: &str, call: F) -> Result<T, kube::Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        call.retry(self.backoff())
            .when(is_transient)
            .notify(|e, delay| {
                tracing::warn!(error = %e, ?delay, "Kubernetes API call failed ({what}); retrying");
            })
            .await
    }

    /// The backoff schedule (for loops that retry by hand).
    pub fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_jitter()
            .without_max_times()
            .with_total_delay(Some(self.give_up_after))
    }
}

/// Whether trying the same call again later may succeed: timeouts,
/// throttling, server errors and dropped connections. A 401 or 403 (the
/// credentials are not accepted or not allowed), a 400 or 422 (the object
/// is invalid), a 404 or a credential that cannot be obtained will not get
/// better by waiting: they fail at once with the reason.
pub fn is_transient(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(status) => matches!(status.code, 408 | 429 | 500 | 502 | 503 | 504),
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        kube::Error::Auth(_) => false,
        kube::Error::UpgradeConnection(u) => match u {
            kube::client::UpgradeConnectionError::ProtocolSwitch(code) => {
                matches!(code.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
            }
            kube::client::UpgradeConnectionError::GetPendingUpgrade(_) => true,
            _ => false,
        },
        _ => false,
    }
}

/// Whether the error is a 404 (the object is gone).
pub fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
        || matches!(e, kube::Error::UpgradeConnection(kube::client::UpgradeConnectionError::ProtocolSwitch(c)) if c.as_u16() == 404)
}

/// Whether the error is a 409 AlreadyExists.
pub fn is_conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 409)
}

/// One human line for an API error: the server's message when there is one.
pub fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) if !s.message.is_empty() => format!("{} ({} {})", s.message, s.code, s.reason),
        other => other.to_string(),
    }
}

/// A client for one kubeconfig context, and the namespace that context names.
#[derive(Clone)]
pub struct Cluster {
    /// The client (requests counted in [`Cluster::calls`]).
    pub client: Client,
    /// The context's namespace, else `default`.
    pub namespace: String,
    /// The context's name.
    pub context: String,
    calls: Arc<AtomicU64>,
}

impl Cluster {
    /// Connects to `context` of the kubeconfig at `kubeconfig` (else the one
    /// `KUBECONFIG` or `~/.kube/config` names). Nothing is sent yet.
    pub async fn connect(
        kubeconfig: Option<&Path>,
        context: &str,
        calls: Arc<AtomicU64>,
    ) -> Result<Cluster, ApiError> {
        let config_failed = |source| ApiError::ConfigFailed {
            context: context.to_string(),
            source,
        };
        let kc = match kubeconfig {
            Some(path) => Kubeconfig::read_from(path).map_err(config_failed)?,
            None => Kubeconfig::read().map_err(config_failed)?,
        };
        let options = KubeConfigOptions {
            context: Some(context.to_string()),
            ..Default::default()
        };
        let mut config = kube::Config::from_custom_kubeconfig(kc, &options)
            .await
            .map_err(config_failed)?;
        // An unreachable cluster should fail fast and be retried, not hang.
        config.connect_timeout = Some(Duration::from_secs(10));
        let namespace = config.default_namespace.clone();
        let counter = calls.clone();
        let count = tower::util::MapRequestLayer::new(move |req| {
            counter.fetch_add(1, Ordering::Relaxed);
            req
        });
        let client = ClientBuilder::try_from(config)
            .map_err(|source| ApiError::ClientFailed {
                context: context.to_string(),
                source,
            })?
            .with_layer(&count)
            .build();
        Ok(Cluster {
            client,
            namespace,
            context: context.to_string(),
            calls,
        })
    }

    /// HTTP requests sent to the cluster so far (by every client sharing the counter).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use super::*;

    fn api_error(code: u16, reason: &str) -> kube::Error {
        kube::Error::Api(Box::new(
            kube::core::Status::failure(&format!("{reason} from the server"), reason).with_code(code),
        ))
    }

    fn fast() -> RetryPolicy {
        RetryPolicy {
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            give_up_after: Duration::from_secs(5),
        }
    }

    /// 429 (throttled), 408 and 5xx are retried until the call succeeds.
    #[tokio::test]
    async fn throttling_and_server_errors_are_retried() {
        let tries = AtomicU32::new(0);
        let result = fast()
            .run("test", || async {
                match tries.fetch_add(1, Ordering::SeqCst) {
                    0 => Err(api_error(429, "TooManyRequests")),
                    1 => Err(api_error(503, "ServiceUnavailable")),
                    2 => Err(api_error(408, "Timeout")),
                    3 => Err(api_error(500, "InternalError")),
                    _ => Ok("done"),
                }
            })
            .await;
        assert_eq!(result.unwrap(), "done");
        assert_eq!(tries.load(Ordering::SeqCst), 5);
    }

    /// A refusal (401, 403, 400, 404, 409, 422) is not retried: trying again
    /// cannot help. (A 401 used to be retried for a minute, as if the token
    /// had expired; the client refreshes expiring tokens before using them,
    /// so a 401 means the credential is refused.)
    #[tokio::test]
    async fn refusals_are_not_retried() {
        for code in [400, 401, 403, 404, 409, 422] {
            let tries = AtomicU32::new(0);
            let result: Result<(), _> = fast()
                .run("test", || async {
                    tries.fetch_add(1, Ordering::SeqCst);
                    Err(api_error(code, "Refused"))
                })
                .await;
            assert!(result.is_err());
            assert_eq!(tries.load(Ordering::SeqCst), 1, "code {code} was retried");
        }
    }

    /// A server that keeps failing is given up on after the policy's budget,
    /// with its last error.
    #[tokio::test]
    async fn a_failing_server_is_given_up_on() {
        let policy = RetryPolicy {
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            give_up_after: Duration::from_millis(300),
        };
        let started = std::time::Instant::now();
        let result: Result<(), _> = policy
            .run("test", || async { Err(api_error(503, "ServiceUnavailable")) })
            .await;
        let took = started.elapsed();
        assert!(describe(&result.unwrap_err()).contains("ServiceUnavailable"));
        assert!(took < Duration::from_secs(2), "took {took:?}");
    }
}
