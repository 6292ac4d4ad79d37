//! The recorded history of one simulated run: what containerd asked the shims, what it
//! heard back, and what was left at the end.

mod call;
mod clock;
mod event;
mod final_state;
mod op;
mod outcome;

use std::collections::BTreeSet;

pub use call::Call;
pub use clock::fmt_ns;
pub use event::{Event, TaskExit};
pub use final_state::FinalState;
pub use op::{Op, TaskStatus};
pub use outcome::{Code, Failure, Outcome, Reply};

/// One run's history. Call and event indices (positions in `calls` and `events`) are
/// how verdicts point at evidence.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct History {
    /// Every Task API call containerd made to a shim, in invocation order.
    pub calls: Vec<Call>,
    /// Every event containerd received, in order of receipt.
    pub events: Vec<Event>,
    /// Every id a Create was issued for during the run, by anyone (including creates a
    /// recorder did not keep as calls).
    pub created_ids: BTreeSet<String>,
    /// Simulated time at which the run ended and `final_state` was taken, in ns.
    pub ended_ns: u64,
    pub final_state: FinalState,
}

impl History {
    /// The calls on `container`, with their indices.
    pub fn calls_for<'a>(&'a self, container: &'a str) -> impl Iterator<Item = (usize, &'a Call)> {
        self.calls
            .iter()
            .enumerate()
            .filter(move |(_, c)| c.container == container)
    }

    /// Whether calls `a` and `b` overlap in time: neither returned before the other was
    /// invoked.
    pub fn overlapping(&self, a: usize, b: usize) -> bool {
        let (a, b) = (&self.calls[a], &self.calls[b]);
        !a.precedes(b) && !b.precedes(a)
    }

    /// The TaskExit events, with their indices.
    pub fn task_exits(&self) -> impl Iterator<Item = (usize, &TaskExit)> {
        self.events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_task_exit().map(|exit| (i, exit)))
    }

    /// Whether a Create of `container` was in flight at some instant of
    /// `[from_ns, to_ns]`. Observations on either side of such a window may belong to
    /// different incarnations of the id, so properties do not compare them.
    pub fn create_in_flight(&self, container: &str, from_ns: u64, to_ns: u64) -> bool {
        self.calls_for(container)
            .any(|(_, c)| c.op == Op::Create && c.invoked_ns <= to_ns && from_ns <= c.end_ns())
    }

    /// `call #i <call>`, for explanations.
    pub fn describe(&self, i: usize) -> String {
        format!("call #{i} ({})", self.calls[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn calls_for_selects_one_container_with_indices() {
        let h = history(vec![
            call(Op::Create, "c", 0, 10),
            call(Op::Create, "d", 0, 10),
            call(Op::State, "c", 20, 30),
        ]);
        let got: Vec<usize> = h.calls_for("c").map(|(i, _)| i).collect();
        assert_eq!(got, vec![0, 2]);
    }

    #[test]
    fn overlapping_means_neither_returned_before_the_other_began() {
        let h = history(vec![
            call(Op::Delete, "c", 20, 40),
            call(Op::State, "c", 40, 50),
            call(Op::State, "c", 41, 50),
            call(Op::State, "c", 0, 0).pending(),
        ]);
        assert!(h.overlapping(0, 1));
        assert!(h.overlapping(1, 0));
        assert!(!h.overlapping(0, 2));
        assert!(h.overlapping(2, 3));
    }

    #[test]
    fn create_in_flight_covers_the_create_interval_inclusive() {
        let h = history(vec![
            call(Op::Create, "c", 100, 110),
            call(Op::Create, "d", 100, 0).pending(),
        ]);
        assert!(h.create_in_flight("c", 0, 100));
        assert!(h.create_in_flight("c", 110, 200));
        assert!(!h.create_in_flight("c", 111, 200));
        assert!(!h.create_in_flight("c", 0, 99));
        assert!(h.create_in_flight("d", 5_000, 6_000));
    }

    #[test]
    fn task_exits_keep_event_indices() {
        let h = history(vec![])
            .exit("c", 1, None, 5)
            .exit("d", 2, Some(3), 6);
        let got: Vec<(usize, &str)> = h
            .task_exits()
            .map(|(i, e)| (i, e.container.as_str()))
            .collect();
        assert_eq!(got, vec![(0, "c"), (1, "d")]);
    }

    #[test]
    fn describe_names_the_call_and_its_outcome() {
        let h = history(vec![call(Op::State, "c", 1_000, 2_000)
            .lane(3)
            .fails(Code::Unknown)]);
        assert_eq!(
            h.describe(0),
            "call #0 (lane 3 State c [0.000001s .. 0.000002s] -> Unknown: Unknown)"
        );
    }

    #[test]
    fn final_state_finds_the_owners_still_holding_a_container() {
        let fin = FinalState {
            shims: [("s".to_string(), ["c".to_string()].into())].into(),
            guests: [
                ("s".to_string(), ["c".to_string()].into()),
                ("t".to_string(), ["d".to_string()].into()),
            ]
            .into(),
            ..FinalState::default()
        };
        assert_eq!(fin.shims_holding("c").collect::<Vec<_>>(), vec!["s"]);
        assert_eq!(fin.guests_holding("d").collect::<Vec<_>>(), vec!["t"]);
        assert_eq!(fin.guests_holding("e").count(), 0);
    }
}
