//! The statuses State reports for one container never go backwards.

use crate::history::{History, Op, TaskStatus};
use crate::index::{dominated, ContainerIndex, Earliest, Point, Summary, NEVER};
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

/// The phase State call `i` reports, if it is a State that answered a status with one.
pub(crate) fn reported_phase(h: &History, i: usize) -> Option<u8> {
    let c = &h.calls[i];
    (c.op == Op::State).then_some(())?;
    phase(c.reply()?.status)
}

/// The violation shown by State `i` and the later State `j` reporting an earlier phase.
pub(crate) fn went_backwards(h: &History, i: usize, j: usize) -> Verdict {
    Verdict::violation(
        format!(
            "{} then {}: the status of {} went backwards",
            h.describe(i),
            h.describe(j),
            h.calls[i].container
        ),
        vec![i, j],
    )
}

impl Property for StatusTransitionsAreLegal {
    fn name(&self) -> &'static str {
        "status_transitions_are_legal"
    }

    fn contract(&self) -> &'static str {
        "containerd.md: task lifecycle Created -> Running -> Stopped (reference shim contract); runtime-rs.md: Go shim sets STOPPED once"
    }

    /// Reports the pair `(i, j)` with the smallest `i`, then the smallest `j`. Per
    /// container, in O(n log n): State `j` goes back from State `i` when it was invoked
    /// after `i` returned, returned before the first Create still in flight at `i`'s
    /// invocation began (so no Create was in flight between them), and reports a phase
    /// below `i`'s; one sweep answers that for every `i`.
    fn check(&self, h: &History) -> Verdict {
        self.check_indexed(h, &ContainerIndex::new(h))
    }

    fn check_indexed<'h>(&self, h: &'h History, index: &ContainerIndex<'h>) -> Verdict {
        let first = index
            .containers()
            .filter_map(|(container, calls)| first_backwards(h, index, container, calls))
            .min();
        match first {
            Some((i, j)) => went_backwards(h, i, j),
            None => Verdict::Pass,
        }
    }
}

/// In one container's calls, the pair `(i, j)` of States going backwards with the
/// smallest `i`, then the smallest `j`.
fn first_backwards(
    h: &History,
    index: &ContainerIndex,
    container: &str,
    calls: &[usize],
) -> Option<(usize, usize)> {
    let states: Vec<(usize, u8)> = calls
        .iter()
        .filter_map(|&i| Some((i, reported_phase(h, i)?)))
        .collect();
    // The States a later phase can go back to, as points (invoked, end), summarized by
    // the earliest one reporting Created and the earliest one reporting Running.
    let points: Vec<Point<(Earliest, Earliest)>> = states
        .iter()
        .filter(|&&(_, phase)| phase < 2)
        .map(|&(j, phase)| {
            let b = &h.calls[j];
            let (created, running) = if phase == 0 {
                (Some(j), None)
            } else {
                (None, Some(j))
            };
            let earliest = (Earliest(created), Earliest(running));
            (b.invoked_ns.into(), b.end_ns().into(), earliest)
        })
        .collect();
    // The States past Created that returned, each asking for the States invoked after
    // it returned that returned before the first Create in flight at or after its
    // invocation began.
    let earlier: Vec<(usize, u8, (i128, i128))> = states
        .iter()
        .filter(|&&(_, phase)| phase > 0)
        .filter_map(|&(i, phase)| {
            let a = &h.calls[i];
            let next_create = index.first_create_reaching(container, a.invoked_ns);
            let window = (a.returned_ns?.into(), next_create.map_or(NEVER, i128::from));
            Some((i, phase, window))
        })
        .collect();
    let windows: Vec<(i128, i128)> = earlier.iter().map(|&(_, _, window)| window).collect();
    let later = dominated(&points, &windows);
    earlier
        .iter()
        .zip(later)
        .find_map(|(&(i, phase, _), (mut created, running))| {
            if phase == 2 {
                created.absorb(&running);
            }
            Some((i, created.0?))
        })
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
