//! The one error type that crosses IPC: `{ code, message, diagnostics }`.
//!
//! The UI decides what to do from `code` (never from the message text); the
//! message is for people. Tests pin the JSON shape.

use serde::Serialize;
use switchyard_engine::EngineError;
use switchyard_engine::pipeline::LoadFileError;
use ts_rs::TS;

use switchyard_engine::views::DiagnosticView;

/// What kind of failure it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The project, run or job does not exist.
    NotFound,
    /// An argument is not acceptable (the message says which and why).
    InvalidInput,
    /// The pipeline file has problems (see `diagnostics`).
    InvalidPipeline,
    /// It clashes with something that exists (a project name in use).
    Conflict,
    /// The run has already ended.
    AlreadyFinished,
    /// A pipeline names a secret no source has (the message says where it
    /// looked and how to set it).
    MissingSecret,
    /// The OS keyring cannot be reached, is locked or refused; the message
    /// says how to get or unlock one.
    SecretStore,
    /// A Prometheus source cannot be read (down, slow, refused the
    /// credential); the message says which and what to do.
    SourceUnavailable,
    /// Switchyard itself failed (disk, database); the message says what.
    Internal,
}

impl ErrorCode {
    /// Every code (the UI gets this list generated, see [`crate::ipc`]).
    pub const ALL: &[ErrorCode] = &[
        ErrorCode::NotFound,
        ErrorCode::InvalidInput,
        ErrorCode::InvalidPipeline,
        ErrorCode::Conflict,
        ErrorCode::AlreadyFinished,
        ErrorCode::MissingSecret,
        ErrorCode::SecretStore,
        ErrorCode::SourceUnavailable,
        ErrorCode::Internal,
    ];
}

/// An error for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ErrorDto {
    /// What kind of failure.
    pub code: ErrorCode,
    /// One sentence: what failed, on what, and what to do.
    pub message: String,
    /// Pipeline problems, for `invalid_pipeline`.
    pub diagnostics: Vec<DiagnosticView>,
}

impl ErrorDto {
    /// An error without diagnostics.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ErrorDto {
        ErrorDto {
            code,
            message: message.into(),
            diagnostics: Vec::new(),
        }
    }

    /// A bad argument.
    pub fn invalid(message: impl Into<String>) -> ErrorDto {
        ErrorDto::new(ErrorCode::InvalidInput, message)
    }
}

impl From<EngineError> for ErrorDto {
    fn from(e: EngineError) -> Self {
        let code = match &e {
            EngineError::NotADirectory { .. } => ErrorCode::InvalidInput,
            EngineError::NoPipeline { .. } => ErrorCode::InvalidPipeline,
            EngineError::Pipeline(_) => ErrorCode::InvalidPipeline,
            EngineError::UnknownJob(_) => ErrorCode::NotFound,
            EngineError::UnknownProject { .. } | EngineError::RunNotFound(_) => ErrorCode::NotFound,
            EngineError::ProjectNameTaken { .. } => ErrorCode::Conflict,
            EngineError::RunFinished { .. } => ErrorCode::AlreadyFinished,
            EngineError::NotWaiting { .. } => ErrorCode::Conflict,
            EngineError::PipelineExists { .. } | EngineError::PipelineChanged { .. } => ErrorCode::Conflict,
            EngineError::PipelineTooLarge { .. } => ErrorCode::InvalidInput,
            EngineError::SecretMissing { .. } => ErrorCode::MissingSecret,
            EngineError::InvalidSecret(_) => ErrorCode::InvalidInput,
            EngineError::NothingToRerun { .. } => ErrorCode::InvalidInput,
            EngineError::InvalidArgument(_) => ErrorCode::InvalidInput,
            EngineError::Secrets(_) => ErrorCode::SecretStore,
            EngineError::Config(switchyard_engine::config::ConfigError::Invalid { .. }) => {
                ErrorCode::InvalidInput
            }
            _ => ErrorCode::Internal,
        };
        let diagnostics = match &e {
            EngineError::Pipeline(LoadFileError::Invalid(invalid)) => {
                invalid.diagnostics.iter().map(DiagnosticView::from).collect()
            }
            _ => Vec::new(),
        };
        let message = match &e {
            EngineError::Pipeline(LoadFileError::Invalid(invalid)) => format!(
                "the pipeline file has {} problem{}",
                invalid.diagnostics.len(),
                if invalid.diagnostics.len() == 1 { "" } else { "s" }
            ),
            other => other.to_string(),
        };
        ErrorDto {
            code,
            message,
            diagnostics,
        }
    }
}

impl From<switchyard_monitoring::MonitoringError> for ErrorDto {
    fn from(e: switchyard_monitoring::MonitoringError) -> Self {
        use switchyard_monitoring::MonitoringError;
        match e {
            MonitoringError::Engine(e) => e.into(),
            e if e.is_input_error() => ErrorDto::invalid(e.to_string()),
            e @ MonitoringError::Prometheus(_) => ErrorDto::new(ErrorCode::SourceUnavailable, e.to_string()),
            e => ErrorDto::new(ErrorCode::Internal, e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The UI matches on these exact field names and codes.
    #[test]
    fn json_shape_is_pinned() {
        let e = ErrorDto::from(EngineError::RunNotFound(7));
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({
                "code": "not_found",
                "message": "no run with id 7; `switchyard runs` lists them",
                "diagnostics": []
            })
        );
        let invalid =
            switchyard_engine::pipeline::load(std::path::Path::new("f.yaml"), "jobs:\n  a: {steps: []}\n")
                .unwrap_err();
        let e = ErrorDto::from(EngineError::Pipeline(LoadFileError::Invalid(invalid)));
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({
                "code": "invalid_pipeline",
                "message": "the pipeline file has 1 problem",
                "diagnostics": [{"line": 2, "column": 14, "message": "`steps` of job `a` is empty; add at least one step with `run:`"}]
            })
        );
    }
}
