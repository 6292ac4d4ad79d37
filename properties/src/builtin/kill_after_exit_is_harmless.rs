//! Killing a container that has already exited does no harm.

use crate::history::{Code, History, Op};
use crate::property::{Property, Verdict};

/// A Kill invoked after a Wait on the same container returned successfully answers
/// success or NotFound, never another error status.
///
/// Contract: CRI deletes an exited container "with a kill", so the shim receives
/// Kill(SIGKILL, all=true) AFTER the exit and tolerates only NotFound (containerd.md,
/// "Events" and "CRI paths"); the reference shim answers NotFound `process already
/// finished` and the Go Kata shim succeeds for SIGKILL/SIGTERM on a STOPPED process
/// (runtime-rs.md, "The Go runtime"). runtime-rs 3.24 answers UNKNOWN `failed to find
/// container` once the container was deleted.
///
/// A closed connection, a client-side Timeout or a Kill that never returned is not
/// judged here. A Kill is not paired with a Wait across a Create of the same id.
pub struct KillAfterExitIsHarmless;

impl Property for KillAfterExitIsHarmless {
    fn name(&self) -> &'static str {
        "kill_after_exit_is_harmless"
    }

    fn contract(&self) -> &'static str {
        "containerd.md: CRI kills after the exit tolerating NotFound; reference shim: Kill of a finished process -> NotFound"
    }

    fn check(&self, h: &History) -> Verdict {
        for (k, kill) in h.calls.iter().enumerate() {
            let Some(code) = kill.status_code() else {
                continue;
            };
            if !matches!(kill.op, Op::Kill { .. }) || code == Code::NotFound {
                continue;
            }
            let exited = h.calls_for(&kill.container).find(|(_, w)| {
                w.op == Op::Wait
                    && w.reply().is_some()
                    && w.precedes(kill)
                    && !h.create_in_flight(&kill.container, w.invoked_ns, kill.invoked_ns)
            });
            if let Some((w, _)) = exited {
                return Verdict::violation(
                    format!(
                        "{} after {}: a Kill of an exited container failed with {code:?}",
                        h.describe(k),
                        h.describe(w)
                    ),
                    vec![w, k],
                );
            }
        }
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn passes_when_kills_after_the_exit_succeed_or_answer_not_found() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Wait, "c", 20, 100).replies(exited(0, 90)),
            call(KILL9, "c", 110, 120),
            call(Op::Delete, "c", 130, 140),
            call(KILL9, "c", 150, 160).fails(Code::NotFound),
        ]);
        assert_eq!(KillAfterExitIsHarmless.check(&h), Verdict::Pass);
    }

    #[test]
    fn unknown_after_the_exit_violates() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Wait, "c", 20, 100).replies(exited(0, 90)),
            call(Op::Delete, "c", 110, 120),
            call(KILL9, "c", 130, 140).fails(Code::Unknown),
        ]);
        assert_eq!(evidence(KillAfterExitIsHarmless.check(&h)).0, vec![1, 3]);
    }

    #[test]
    fn kills_before_the_wait_returned_or_without_one_are_not_judged() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(KILL9, "c", 20, 30).fails(Code::Unknown),
            call(Op::Wait, "c", 25, 100).replies(exited(0, 90)),
            call(KILL9, "c", 50, 110).fails(Code::Unknown),
            call(KILL9, "d", 120, 130).fails(Code::Unknown),
            call(KILL9, "c", 140, 150).closed(),
        ]);
        assert_eq!(KillAfterExitIsHarmless.check(&h), Verdict::Pass);
    }

    #[test]
    fn a_wait_of_an_earlier_incarnation_does_not_count() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Wait, "c", 20, 100).replies(exited(0, 90)),
            call(Op::Delete, "c", 110, 120),
            call(Op::Create, "c", 130, 140),
            call(KILL9, "c", 150, 160).fails(Code::Unknown),
        ]);
        assert_eq!(KillAfterExitIsHarmless.check(&h), Verdict::Pass);
    }
}
