//! A call naming an id that was never created answers NotFound.

use crate::history::{Code, Failure, History, Op, Outcome};
use crate::property::{Property, Verdict};

/// State, Kill, Delete and Wait for an id that was never created during the run answer
/// NotFound: not a state, not success, not another error code.
///
/// Contract: the reference shim containerd-shim-runc-v2 (`task/service.go`, containerd.md
/// "The reference shim contract"): unknown container id -> NotFound `container not
/// created` for State, Delete, Kill and Wait; the Go Kata shim answers NotFound
/// `container does not exist` (runtime-rs.md, "The Go runtime"). Violated by runtime-rs
/// (UNKNOWN `failed to find container`), by PR #12337's proposed fix (a Stopped state for
/// ANY unknown id, runtime-rs.md "The proposed fix") and by runtime-rs main's Kill, which
/// answers success for SIGKILL/SIGTERM on a missing container.
///
/// A closed connection, a client-side Timeout or a call that never returned is not an
/// answer from the shim and is not judged here.
pub struct UnknownIdIsNotFound;

impl Property for UnknownIdIsNotFound {
    fn name(&self) -> &'static str {
        "unknown_id_is_not_found"
    }

    fn contract(&self) -> &'static str {
        "containerd.md: reference shim contract (runc-v2 task/service.go): unknown container id -> NotFound"
    }

    fn check(&self, h: &History) -> Verdict {
        for (i, c) in h.calls.iter().enumerate() {
            let judged = matches!(c.op, Op::State | Op::Kill { .. } | Op::Delete | Op::Wait);
            if !judged || h.created_ids.contains(&c.container) {
                continue;
            }
            let judged_answer = match &c.result {
                Outcome::Ok(_) => true,
                Outcome::Err(Failure::Status { code, .. }) => *code != Code::NotFound,
                _ => false,
            };
            if !judged_answer {
                continue;
            }
            return Verdict::violation(
                format!(
                    "{}: {} was never created, yet the shim answered `{}` instead of NotFound",
                    h.describe(i),
                    c.container,
                    c.result
                ),
                vec![i],
            );
        }
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::TaskStatus;
    use crate::testing::*;

    #[test]
    fn passes_when_never_created_ids_answer_not_found() {
        let h = history(vec![
            call(Op::State, "ghost", 0, 10).fails(Code::NotFound),
            call(KILL9, "ghost", 20, 30).fails(Code::NotFound),
            call(Op::Delete, "ghost", 40, 50).fails(Code::NotFound),
            call(Op::Wait, "ghost", 60, 70).closed(),
        ]);
        assert_eq!(UnknownIdIsNotFound.check(&h), Verdict::Pass);
    }

    #[test]
    fn created_ids_are_not_judged() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Delete, "c", 20, 30),
            call(Op::State, "c", 40, 50).fails(Code::Unknown),
        ]);
        assert_eq!(UnknownIdIsNotFound.check(&h), Verdict::Pass);
    }

    #[test]
    fn a_synthetic_stopped_state_for_an_unknown_id_violates() {
        let h = history(vec![
            call(Op::State, "ghost", 0, 10).replies(status(TaskStatus::Stopped))
        ]);
        assert_eq!(evidence(UnknownIdIsNotFound.check(&h)).0, vec![0]);
    }

    #[test]
    fn an_unknown_code_for_an_unknown_id_violates() {
        let h = history(vec![
            call(Op::State, "ghost", 0, 10).fails(Code::NotFound),
            call(Op::Delete, "ghost", 20, 30).fails(Code::Unknown),
        ]);
        assert_eq!(evidence(UnknownIdIsNotFound.check(&h)).0, vec![1]);
    }

    #[test]
    fn a_successful_kill_of_an_unknown_id_violates() {
        let h = history(vec![call(KILL9, "ghost", 0, 10)]);
        assert_eq!(evidence(UnknownIdIsNotFound.check(&h)).0, vec![0]);
    }
}
