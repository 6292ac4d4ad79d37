//! containerd's decisions about a shim's answers, as pure functions: the simulated
//! containerd and the real-time baseline (`stress/`, which includes this file) decide
//! the same way. Read from containerd 1.7 (`errdefs.FromGRPC`,
//! `services/tasks/local.go` getProcessState, `runtime/v2/shim.go` shimTask.delete,
//! `cmd/ctr/commands/tasks/delete.go`).

use containerd_shim_protos::api::Status;
use containerd_shim_protos::ttrpc::Code;

/// The errdefs class of an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrClass {
    NotFound,
    AlreadyExists,
    Unavailable,
    FailedPrecondition,
    DeadlineExceeded,
    Unknown,
}

/// The class of a shim's ttrpc status code (Internal and Unknown are Unknown in 1.7).
pub fn class_of_code(code: Code) -> ErrClass {
    match code {
        Code::NOT_FOUND => ErrClass::NotFound,
        Code::UNAVAILABLE => ErrClass::Unavailable,
        Code::FAILED_PRECONDITION => ErrClass::FailedPrecondition,
        Code::DEADLINE_EXCEEDED => ErrClass::DeadlineExceeded,
        _ => ErrClass::Unknown,
    }
}

/// getProcessState: whether a State error makes List skip the task quietly (NotFound,
/// Unavailable) rather than log `get state for <id>` and list it UNKNOWN.
pub fn state_error_skips_task(class: ErrClass) -> bool {
    matches!(class, ErrClass::NotFound | ErrClass::Unavailable)
}

/// shimTask.delete: whether a Delete error ends the delete at once with the task still
/// listed: any error but a closed connection or NotFound.
pub fn delete_error_keeps_task(class: ErrClass, closed: bool) -> bool {
    !closed && class != ErrClass::NotFound
}

/// `ctr task delete`: whether a task in `status` with `pid` may be deleted without
/// `--force` (stopped, unknown, or created with no pid).
pub fn ctr_may_delete(status: Status, pid: u32) -> bool {
    matches!(status, Status::STOPPED | Status::UNKNOWN) || (status == Status::CREATED && pid == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_like_containerd_1_7() {
        assert_eq!(class_of_code(Code::NOT_FOUND), ErrClass::NotFound);
        assert_eq!(class_of_code(Code::UNKNOWN), ErrClass::Unknown);
        assert_eq!(class_of_code(Code::INTERNAL), ErrClass::Unknown);
        assert_eq!(class_of_code(Code::UNAVAILABLE), ErrClass::Unavailable);
        assert_eq!(
            class_of_code(Code::DEADLINE_EXCEEDED),
            ErrClass::DeadlineExceeded
        );
    }

    #[test]
    fn list_skips_only_not_found_and_unavailable() {
        assert!(state_error_skips_task(ErrClass::NotFound));
        assert!(state_error_skips_task(ErrClass::Unavailable));
        assert!(!state_error_skips_task(ErrClass::Unknown));
        assert!(!state_error_skips_task(ErrClass::DeadlineExceeded));
    }

    #[test]
    fn delete_keeps_the_task_on_any_error_but_closed_or_not_found() {
        assert!(delete_error_keeps_task(ErrClass::Unknown, false));
        assert!(!delete_error_keeps_task(ErrClass::NotFound, false));
        assert!(!delete_error_keeps_task(ErrClass::Unknown, true));
    }

    #[test]
    fn ctr_deletes_stopped_unknown_and_pidless_created_tasks() {
        assert!(ctr_may_delete(Status::STOPPED, 7));
        assert!(ctr_may_delete(Status::UNKNOWN, 0));
        assert!(ctr_may_delete(Status::CREATED, 0));
        assert!(!ctr_may_delete(Status::CREATED, 7));
        assert!(!ctr_may_delete(Status::RUNNING, 7));
    }
}
