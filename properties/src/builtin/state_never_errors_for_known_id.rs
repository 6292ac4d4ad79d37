//! The mission property: State on a task containerd lists answers a state or NotFound.

use crate::history::{Code, Failure, History, Op, Outcome};
use crate::property::{Property, Verdict};

/// A State for an id that containerd held in its task list when it invoked the call
/// answers a state or NotFound, never another error.
///
/// Contract: containerd's `Tasks.List` -> `getProcessState` (containerd.md, "Tasks.List
/// and getProcessState") tolerates only NotFound (and, from 1.7.7, Unavailable) by
/// skipping the task; any other error is logged at error level as `get state for <id>`
/// and the task is listed as UNKNOWN with pid 0 — exactly issue #12336. The reference
/// shim (containerd-shim-runc-v2 `task/service.go`) and the Go Kata shim answer NotFound
/// for an id they no longer hold; runtime-rs 3.24 answers UNKNOWN `failed to find
/// container` in the window between its Delete and containerd's list removal
/// (runtime-rs.md, "The resulting error text").
///
/// A closed connection counts as NotFound (containerd maps it so). A client-side
/// Timeout, or a call that never returned, is a liveness matter judged by
/// `no_call_hangs`, not here. Every other status code, Unavailable included, violates.
pub struct StateNeverErrorsForKnownId;

impl Property for StateNeverErrorsForKnownId {
    fn name(&self) -> &'static str {
        "state_never_errors_for_known_id"
    }

    fn contract(&self) -> &'static str {
        "containerd.md: Tasks.List/getProcessState logs `get state for` on any State error but NotFound; shim v2 reference: unknown id -> NotFound"
    }

    fn check(&self, h: &History) -> Verdict {
        for (i, c) in h.calls.iter().enumerate() {
            if c.op != Op::State || !c.listed_at_invoke {
                continue;
            }
            if let Outcome::Err(failure @ Failure::Status { code, .. }) = &c.result {
                if *code != Code::NotFound {
                    return Verdict::violation(
                        format!(
                            "{}: containerd listed {} but the shim answered `{failure}`; \
                             containerd logs `get state for {}` and lists the task UNKNOWN",
                            h.describe(i),
                            c.container,
                            c.container
                        ),
                        vec![i],
                    );
                }
            }
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
    fn passes_when_listed_states_answer_a_state_or_not_found() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::State, "c", 20, 30)
                .listed()
                .replies(status(TaskStatus::Running)),
            call(Op::Delete, "c", 40, 60),
            call(Op::State, "c", 50, 70).listed().fails(Code::NotFound),
            call(Op::State, "c", 55, 75).listed().closed(),
        ]);
        assert_eq!(StateNeverErrorsForKnownId.check(&h), Verdict::Pass);
    }

    #[test]
    fn unknown_code_for_a_listed_id_is_the_issue_12336_violation() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Delete, "c", 40, 60),
            call(Op::State, "c", 50, 70).listed().fails(Code::Unknown),
        ]);
        assert_eq!(evidence(StateNeverErrorsForKnownId.check(&h)).0, vec![2]);
    }

    #[test]
    fn unavailable_for_a_listed_id_also_violates() {
        let h = history(vec![call(Op::State, "c", 50, 70)
            .listed()
            .fails(Code::Unavailable)]);
        assert_eq!(evidence(StateNeverErrorsForKnownId.check(&h)).0, vec![0]);
    }

    #[test]
    fn errors_for_unlisted_ids_and_timeouts_are_not_judged_here() {
        let h = history(vec![
            call(Op::State, "c", 50, 70).fails(Code::Unknown),
            call(Op::State, "d", 50, 2_000_050).listed().timed_out(),
            call(Op::State, "e", 50, 0).listed().pending(),
        ]);
        assert_eq!(StateNeverErrorsForKnownId.check(&h), Verdict::Pass);
    }
}
