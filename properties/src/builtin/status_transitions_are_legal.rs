//! The statuses State reports for one container never go backwards.

use crate::history::{History, Op, TaskStatus};
use crate::property::{Property, Verdict};

/// For one container, a State that was invoked after another State returned never
/// reports an earlier phase of the lifecycle Created -> Running -> Stopped; Paused and
/// Pausing count as Running (Running <-> Paused is allowed both ways). In particular
/// never Running after Stopped, never Created after Running.
///
/// Contract: containerd's task lifecycle (containerd.md, "The reference shim contract":
/// Wait returns once the exit is recorded, Delete is allowed when created or stopped);
/// the Go Kata shim records STOPPED once, under its service mutex, together with the
/// exit code (runtime-rs.md, "The Go runtime").
///
/// Only real-time-ordered pairs are compared (overlapping calls may linearize either
/// way), status Unknown is not a phase and is skipped, and a pair is skipped when a
/// Create of the id was in flight between them (a re-created id starts over).
pub struct StatusTransitionsAreLegal;

/// The lifecycle phase of a status; `None` for Unknown.
fn phase(status: TaskStatus) -> Option<u8> {
    match status {
        TaskStatus::Unknown => None,
        TaskStatus::Created => Some(0),
        TaskStatus::Running | TaskStatus::Paused | TaskStatus::Pausing => Some(1),
        TaskStatus::Stopped => Some(2),
    }
}

impl Property for StatusTransitionsAreLegal {
    fn name(&self) -> &'static str {
        "status_transitions_are_legal"
    }

    fn contract(&self) -> &'static str {
        "containerd.md: task lifecycle Created -> Running -> Stopped (reference shim contract); runtime-rs.md: Go shim sets STOPPED once"
    }

    fn check(&self, h: &History) -> Verdict {
        let states: Vec<(usize, u8)> = h
            .calls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.op == Op::State)
            .filter_map(|(i, c)| Some((i, phase(c.reply()?.status)?)))
            .collect();
        for &(i, earlier) in &states {
            for &(j, later) in &states {
                let (a, b) = (&h.calls[i], &h.calls[j]);
                if a.container != b.container || !a.precedes(b) || later >= earlier {
                    continue;
                }
                if h.create_in_flight(&a.container, a.invoked_ns, b.end_ns()) {
                    continue;
                }
                return Verdict::violation(
                    format!(
                        "{} then {}: the status of {} went backwards",
                        h.describe(i),
                        h.describe(j),
                        a.container
                    ),
                    vec![i, j],
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
    use TaskStatus::*;

    fn state(container: &str, at: u64, s: TaskStatus) -> crate::history::Call {
        call(Op::State, container, at, at + 5)
            .listed()
            .replies(status(s))
    }

    #[test]
    fn passes_for_a_forward_lifecycle_with_pause_and_resume() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            state("c", 20, Created),
            state("c", 30, Running),
            state("c", 40, Paused),
            state("c", 50, Running),
            state("c", 60, Stopped),
            state("c", 70, Stopped),
        ]);
        assert_eq!(StatusTransitionsAreLegal.check(&h), Verdict::Pass);
    }

    #[test]
    fn running_after_stopped_violates() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            state("c", 20, Stopped),
            state("c", 30, Running),
        ]);
        assert_eq!(evidence(StatusTransitionsAreLegal.check(&h)).0, vec![1, 2]);
    }

    #[test]
    fn created_after_running_violates() {
        let h = history(vec![state("c", 20, Running), state("c", 30, Created)]);
        assert_eq!(evidence(StatusTransitionsAreLegal.check(&h)).0, vec![0, 1]);
    }

    #[test]
    fn overlapping_states_other_containers_and_unknown_are_not_compared() {
        let h = history(vec![
            call(Op::State, "c", 20, 40).replies(status(Stopped)),
            call(Op::State, "c", 30, 50).replies(status(Running)),
            state("d", 60, Created),
            state("c", 70, Unknown),
        ]);
        assert_eq!(StatusTransitionsAreLegal.check(&h), Verdict::Pass);
    }

    #[test]
    fn a_recreated_id_starts_over() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            state("c", 20, Stopped),
            call(Op::Delete, "c", 30, 40),
            call(Op::Create, "c", 50, 60),
            state("c", 70, Created),
        ]);
        assert_eq!(StatusTransitionsAreLegal.check(&h), Verdict::Pass);
    }
}
