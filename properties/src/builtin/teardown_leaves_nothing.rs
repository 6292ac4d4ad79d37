//! Liveness: once every fault is healed and the clients tear everything down, every
//! call returns and nothing is left.

use crate::history::{History, Op, Outcome};
use crate::property::{Property, Verdict};

/// For a run with a liveness phase ([`History::liveness_from_ns`]): every fault was
/// healed when it began and the clients then killed and deleted every task containerd
/// listed, so by the end of the run
/// - every call has returned (a Wait too: every process was killed), and
/// - nothing is left: no task in containerd's list, no shim still running (a shim exits
///   after the Delete of its last container and Shutdown), no VM running, no guest
///   container, no rootfs or volume mounted.
///
/// A hang is named by the calls still pending and, when the run recorded it, by what
/// blocked each ([`History::blocked`]); a leak by what was left, per owner.
///
/// Contract: shim v2 Delete removes the container and Shutdown ends a shim with no
/// container left (containerd.md, "The reference shim contract"); containerd removes a
/// task from its list after the shim's Delete, or on the shim's connection closing
/// (containerd.md, "shimTask.delete"); runtime-rs's Shutdown stops the VM
/// (runtime-rs.md, `need_shutdown_sandbox`, `sandbox.shutdown()`).
pub struct TeardownLeavesNothing;

impl Property for TeardownLeavesNothing {
    fn name(&self) -> &'static str {
        "teardown_leaves_nothing"
    }

    fn contract(&self) -> &'static str {
        "containerd.md: Delete removes the container, Shutdown ends a shim with none left, a closed shim's tasks leave the list; runtime-rs.md: Shutdown stops the VM"
    }

    fn check(&self, h: &History) -> Verdict {
        let Some(from_ns) = h.liveness_from_ns else {
            return Verdict::Pass;
        };
        let pending: Vec<usize> = h
            .calls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.result == Outcome::Pending)
            .filter(|(_, c)| c.op == Op::Wait || c.invoked_ns >= from_ns)
            .map(|(i, _)| i)
            .collect();
        if !pending.is_empty() {
            let named: Vec<String> = pending.iter().take(5).map(|&i| h.describe(i)).collect();
            let blocked = h.blocked_calls(&pending[..pending.len().min(5)]);
            return Verdict::violation(
                format!(
                    "{} call(s) still pending when the run ended, {} after the faults were healed: {}{}{}",
                    pending.len(),
                    crate::fmt_ns(h.ended_ns.saturating_sub(from_ns)),
                    named.join("; "),
                    if pending.len() > 5 { "; ..." } else { "" },
                    if blocked.is_empty() { String::new() } else { format!(". Blocked: {blocked}") }
                ),
                pending.into_iter().take(20).collect(),
            );
        }
        let left = leftovers(h);
        if left.is_empty() {
            Verdict::Pass
        } else {
            Verdict::violation(
                format!("after the teardown, the run ended with {}", left.join(", ")),
                vec![],
            )
        }
    }
}

/// What the final state still holds, one phrase per kind of leftover.
fn leftovers(h: &History) -> Vec<String> {
    let fin = &h.final_state;
    let list = |what: &str, ids: Vec<&str>| -> Option<String> {
        (!ids.is_empty()).then(|| format!("{what} {}", ids.join(" ")))
    };
    let guests: Vec<String> = fin
        .guests
        .iter()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(sid, ids)| {
            format!(
                "{sid}: {}",
                ids.iter().cloned().collect::<Vec<_>>().join(" ")
            )
        })
        .collect();
    [
        list(
            "tasks still listed:",
            fin.task_list.iter().map(String::as_str).collect(),
        ),
        list(
            "shims still running:",
            fin.shims.keys().map(String::as_str).collect(),
        ),
        list(
            "VMs still running:",
            fin.running_vms.iter().map(String::as_str).collect(),
        ),
        list(
            "guest containers left:",
            guests.iter().map(String::as_str).collect(),
        ),
        list(
            "rootfs still mounted:",
            fin.rootfs_mounted.iter().map(String::as_str).collect(),
        ),
        list(
            "volumes still mounted:",
            fin.volumes_mounted.iter().map(String::as_str).collect(),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use crate::{FinalState, Waiting};

    #[test]
    fn a_run_without_a_liveness_phase_is_not_judged() {
        let mut h = history(vec![call(Op::Wait, "c", 0, 0).pending()]);
        h.final_state.task_list.insert("c".into());
        assert!(TeardownLeavesNothing.check(&h).is_pass());
    }

    #[test]
    fn a_clean_teardown_passes() {
        let h = history(vec![call(Op::Delete, "c", 600, 700)]).liveness_from(500);
        assert!(TeardownLeavesNothing.check(&h).is_pass());
    }

    #[test]
    fn a_pending_wait_or_teardown_call_is_a_hang_named_by_its_calls() {
        let h = history(vec![
            call(Op::State, "c", 0, 0).pending(),
            call(Op::Wait, "c", 10, 0).pending(),
            call(Op::Delete, "c", 600, 0).pending(),
        ])
        .liveness_from(500);
        match TeardownLeavesNothing.check(&h) {
            Verdict::Violation {
                explanation, calls, ..
            } => {
                assert_eq!(calls, [1, 2]);
                assert!(
                    explanation.starts_with("2 call(s) still pending"),
                    "{explanation}"
                );
            }
            Verdict::Pass => panic!("expected a violation"),
        }
    }

    #[test]
    fn each_pending_call_is_reported_with_the_chain_that_blocks_it() {
        let h = history(vec![
            call(Op::Wait, "c", 10, 0).pending(),
            call(Op::Delete, "d", 600, 0).pending(),
        ])
        .liveness_from(500)
        .stuck(vec![
            stuck_task(
                "Wait c",
                Some(Waiting::Task {
                    task: "the exit watcher of c".into(),
                }),
                vec![],
            ),
            stuck_task(
                "the exit watcher of c",
                Some(Waiting::Agent {
                    method: "wait_process".into(),
                }),
                vec![],
            ),
            stuck_task(
                "Delete d",
                Some(Waiting::Lock(lock("containers", "write", "d"))),
                vec![],
            ),
            stuck_task(
                "Create e",
                Some(Waiting::Agent {
                    method: "create_container".into(),
                }),
                vec![
                    lock("containers", "write", "e"),
                    lock("inner", "write", "e"),
                ],
            ),
        ]);
        let text = explanation(TeardownLeavesNothing.check(&h));
        assert!(text.ends_with(". Blocked: Wait c (pending 0.999999s) waits for the exit watcher of c, which waits for the agent's answer to wait_process; Delete d (pending 0.999999s) waits for the containers lock (write) held by Create e, which waits for the agent's answer to create_container"), "{text}");
    }

    #[test]
    fn a_pending_call_no_task_serves_is_named_as_such() {
        let h = history(vec![call(Op::Create, "c", 600, 0).pending()])
            .liveness_from(500)
            .stuck(vec![]);
        let text = explanation(TeardownLeavesNothing.check(&h));
        assert!(text.ends_with("Blocked: Create c (pending 0.999999s): no task of its shim works on it (the request or its answer was lost, or the shim is gone)"), "{text}");
    }

    #[test]
    fn leftovers_are_named_per_owner() {
        let mut h = history(vec![]).liveness_from(500);
        h.final_state = FinalState {
            task_list: ["c".to_string()].into(),
            shims: [("s".to_string(), Default::default())].into(),
            guests: [("s".to_string(), ["c".to_string()].into())].into(),
            ..FinalState::default()
        };
        assert_eq!(explanation(TeardownLeavesNothing.check(&h)), "after the teardown, the run ended with tasks still listed: c, shims still running: s, guest containers left: s: c");
    }
}
