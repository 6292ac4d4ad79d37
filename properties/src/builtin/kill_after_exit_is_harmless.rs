//! Killing a container that has already exited does no harm.

use crate::history::{Code, History, Op};
use crate::index::{dominated, ContainerIndex, Earliest, Point, NEVER};
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

/// The code of call `k` if it is a Kill that failed with an error status other than
/// NotFound.
pub(crate) fn harmful_kill(h: &History, k: usize) -> Option<Code> {
    let kill = &h.calls[k];
    let code = kill.status_code()?;
    (matches!(kill.op, Op::Kill { .. }) && code != Code::NotFound).then_some(code)
}

/// The violation shown by the Wait `w` and the Kill `k` after it that failed with `code`.
pub(crate) fn kill_after_exit_failed(h: &History, w: usize, k: usize, code: Code) -> Verdict {
    Verdict::violation(
        format!(
            "{} after {}: a Kill of an exited container failed with {code:?}",
            h.describe(k),
            h.describe(w)
        ),
        vec![w, k],
    )
}

impl Property for KillAfterExitIsHarmless {
    fn name(&self) -> &'static str {
        "kill_after_exit_is_harmless"
    }

    fn contract(&self) -> &'static str {
        "containerd.md: CRI kills after the exit tolerating NotFound; reference shim: Kill of a finished process -> NotFound"
    }

    /// Reports the first failing Kill `k` (by index) with the first Wait `w` (by index)
    /// that shows the exit before it. Per container, in O(n log n): a successful Wait
    /// counts for a Kill when it returned before the Kill was invoked and the first
    /// Create in flight at or after the Wait's invocation began after the Kill's.
    fn check(&self, h: &History) -> Verdict {
        self.check_indexed(h, &ContainerIndex::new(h))
    }

    fn check_indexed<'h>(&self, h: &'h History, index: &ContainerIndex<'h>) -> Verdict {
        let first = index
            .containers()
            .filter_map(|(container, calls)| first_kill_after_exit(h, index, container, calls))
            .min_by_key(|&(_, k, _)| k);
        match first {
            Some((w, k, code)) => kill_after_exit_failed(h, w, k, code),
            None => Verdict::Pass,
        }
    }
}

/// In one container's calls, the first harmful Kill after a successful Wait, with the
/// first such Wait and the Kill's code.
fn first_kill_after_exit(
    h: &History,
    index: &ContainerIndex,
    container: &str,
    calls: &[usize],
) -> Option<(usize, usize, Code)> {
    let waits: Vec<Point<Earliest>> = calls
        .iter()
        .filter_map(|&w| {
            let wait = &h.calls[w];
            (wait.op == Op::Wait && wait.reply().is_some()).then_some(())?;
            let next_create = index.first_create_reaching(container, wait.invoked_ns);
            let returned = wait.returned_ns?.into();
            Some((
                next_create.map_or(NEVER, i128::from),
                returned,
                Earliest(Some(w)),
            ))
        })
        .collect();
    let kills: Vec<(usize, Code)> = calls
        .iter()
        .filter_map(|&k| Some((k, harmful_kill(h, k)?)))
        .collect();
    let invoked: Vec<(i128, i128)> = kills
        .iter()
        .map(|&(k, _)| {
            let at = h.calls[k].invoked_ns.into();
            (at, at)
        })
        .collect();
    kills
        .iter()
        .zip(dominated(&waits, &invoked))
        .find_map(|(&(k, code), wait)| Some((wait.0?, k, code)))
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
