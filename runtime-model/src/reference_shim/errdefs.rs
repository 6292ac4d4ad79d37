//! containerd's `errdefs` as the reference shim uses them: an error of a class, and
//! `ToGRPC`, which sends a typed error with its class's code and an untyped one as
//! UNKNOWN, its text unchanged (containerd 1.7.34 `errdefs/grpc.go`, lines 36-70).

use containerd_shim_protos::ttrpc::{self, Code, Status};

/// The errdefs classes the task service answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// `errdefs.ErrNotFound`, sent as NOT_FOUND.
    NotFound,
    /// `errdefs.ErrFailedPrecondition`, sent as FAILED_PRECONDITION.
    FailedPrecondition,
}

/// An error wrapping an errdefs class: `fmt.Errorf("<what>: %w", errdefs.ErrX)`, whose
/// text ends with the class's own (`: not found`, `: failed precondition`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {}", class_text(*class))]
pub struct Typed {
    pub class: Class,
    pub what: String,
}

fn class_text(class: Class) -> &'static str {
    match class {
        Class::NotFound => "not found",
        Class::FailedPrecondition => "failed precondition",
    }
}

/// `fmt.Errorf("<what>: %w", errdefs.ErrNotFound)`.
pub fn not_found(what: impl Into<String>) -> anyhow::Error {
    Typed {
        class: Class::NotFound,
        what: what.into(),
    }
    .into()
}

/// `errdefs.ToGRPC`: a typed error keeps its class as the code; anything else is UNKNOWN.
/// The message is the error's text (`err.Error()`, a Go chain joined by ": ").
pub fn to_grpc(err: &anyhow::Error) -> Status {
    let code = match err.downcast_ref::<Typed>().map(|t| t.class) {
        Some(Class::NotFound) => Code::NOT_FOUND,
        Some(Class::FailedPrecondition) => Code::FAILED_PRECONDITION,
        None => Code::UNKNOWN,
    };
    ttrpc::get_status(code, format!("{err:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_container_is_not_found_with_errdefs_text() {
        let s = to_grpc(&not_found("container not created"));
        assert_eq!(s.code(), Code::NOT_FOUND);
        assert_eq!(s.message, "container not created: not found");
    }

    #[test]
    fn an_untyped_error_is_unknown_with_its_text() {
        let s = to_grpc(&anyhow::anyhow!("cannot delete a running process"));
        assert_eq!(s.code(), Code::UNKNOWN);
        assert_eq!(s.message, "cannot delete a running process");
    }
}
