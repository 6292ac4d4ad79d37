//! The recorded history of one simulated run: what containerd asked the shims, what it
//! heard back, and what was left at the end.

mod call;
mod clock;
mod event;
mod fault;
mod final_state;
mod op;
mod outcome;
mod stuck;

use std::collections::BTreeSet;

pub use call::Call;
pub use clock::fmt_ns;
pub use event::{Event, GuestExit, Lifecycle, LifecycleEvent, TaskExit};
pub use fault::{Fault, FaultKind};
pub use final_state::FinalState;
pub use op::{Op, TaskStatus};
pub use outcome::{Code, Failure, Outcome, Reply};
pub use stuck::{Lock, StuckTask, Waiting};

/// One run's history. Call and event indices (positions in `calls` and `events`) are
/// how verdicts point at evidence. Built by a recorder, or by struct literal
/// (`History { calls, ..History::default() }`; see also the `testing` builders).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct History {
    /// Every Task API call containerd made to a shim, in invocation order.
    pub calls: Vec<Call>,
    /// Every event containerd received and every fault the run applied, in order.
    pub events: Vec<Event>,
    /// Every id a Create was issued for during the run, by anyone (including creates a
    /// recorder did not keep as calls).
    pub created_ids: BTreeSet<String>,
    /// Simulated time at which the run ended and `final_state` was taken, in ns.
    pub ended_ns: u64,
    /// What was left in the world when the run ended.
    pub final_state: FinalState,
    /// When the run's liveness phase began, in simulated ns: every fault healed, the
    /// clients tear everything down, and every call must return and every resource be
    /// released before the run ends. None for a run without one.
    pub liveness_from_ns: Option<u64>,
    /// The message of a panic that ended the run early (the history then holds what
    /// happened before it).
    pub panic: Option<String>,
    /// The shims' tasks still blocked when the run ended, and on what; None when the run
    /// did not record them (the world records them for a run whose hang a property
    /// reports). [`History::blocked`] reads them.
    pub stuck: Option<Vec<StuckTask>>,
}

impl History {
    /// The calls on `container` (exactly that id), with their indices, in index order.
    /// O(n) per call; a check that asks for many containers builds a
    /// [`ContainerIndex`](crate::ContainerIndex) once instead.
    ///
    /// ```
    /// # use properties::{Call, History, Op, Outcome};
    /// # fn call(op: Op, container: &str, invoked_ns: u64) -> Call {
    /// #     Call { lane: 0, container: container.into(), sandbox: "s".into(), op, invoked_ns,
    /// #            returned_ns: None, result: Outcome::Pending, listed_at_invoke: false, direct: false }
    /// # }
    /// let h = History {
    ///     calls: vec![call(Op::Create, "c", 0), call(Op::Create, "d", 0), call(Op::State, "c", 5)],
    ///     ..History::default()
    /// };
    /// let on_c: Vec<usize> = h.calls_for("c").map(|(i, _)| i).collect();
    /// assert_eq!(on_c, [0, 2]);
    /// ```
    pub fn calls_for<'a>(&'a self, container: &'a str) -> impl Iterator<Item = (usize, &'a Call)> {
        self.calls
            .iter()
            .enumerate()
            .filter(move |(_, c)| c.container == container)
    }

    /// Whether calls `a` and `b` (indices) overlap in time: neither returned strictly
    /// before the other was invoked (see [`Call::precedes`]), so they may have taken
    /// effect in either order. Symmetric; a call that never returned overlaps every call
    /// invoked after it. Panics if an index is out of bounds.
    ///
    /// ```
    /// # use properties::{Call, History, Op, Outcome};
    /// # fn call(invoked_ns: u64, returned_ns: Option<u64>) -> Call {
    /// #     Call { lane: 0, container: "c".into(), sandbox: "s".into(), op: Op::State,
    /// #            invoked_ns, returned_ns, result: Outcome::Pending, listed_at_invoke: false, direct: false }
    /// # }
    /// let h = History {
    ///     calls: vec![call(20, Some(40)), call(40, Some(50)), call(41, Some(50)), call(0, None)],
    ///     ..History::default()
    /// };
    /// assert!(h.overlapping(0, 1)); // touching at 40 ns
    /// assert!(!h.overlapping(0, 2)); // returned at 40, the other invoked at 41
    /// assert!(h.overlapping(2, 3)); // never returned
    /// ```
    pub fn overlapping(&self, a: usize, b: usize) -> bool {
        let (a, b) = (&self.calls[a], &self.calls[b]);
        !a.precedes(b) && !b.precedes(a)
    }

    /// The TaskExit events, with their indices in `events`, in order of receipt.
    pub fn task_exits(&self) -> impl Iterator<Item = (usize, &TaskExit)> {
        self.events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_task_exit().map(|exit| (i, exit)))
    }

    /// The TaskExit events the shims published, each at its first delivery: a delivery
    /// with the container and envelope stamp of an earlier one is the publisher's retry
    /// of that event (containerd 1.7 `publisher.go` and containerd-shim's queue requeue
    /// a Forward that failed, and the failed one may still have arrived), not a second
    /// event. In order of receipt.
    pub fn published_exits(&self) -> impl Iterator<Item = (usize, &TaskExit)> {
        let mut seen = std::collections::HashSet::new();
        self.task_exits()
            .filter(move |(_, exit)| match exit.published_ns {
                Some(stamp) => seen.insert((exit.container.as_str(), stamp)),
                None => true,
            })
    }

    /// Whether a Create of `container` (whatever its outcome) was in flight at some
    /// instant of `[from_ns, to_ns]` (bounds included): invoked at or before `to_ns`
    /// and not returned before `from_ns` (a pending Create is in flight until the end of
    /// time). Observations on either side of such a window may belong to different
    /// incarnations of the id, so properties do not compare them. O(n) per call; see
    /// [`ContainerIndex::create_in_flight`](crate::ContainerIndex::create_in_flight)
    /// for the same answer in O(log n).
    ///
    /// ```
    /// # use properties::{Call, History, Op, Outcome};
    /// # fn create(invoked_ns: u64, returned_ns: Option<u64>) -> Call {
    /// #     Call { lane: 0, container: "c".into(), sandbox: "s".into(), op: Op::Create,
    /// #            invoked_ns, returned_ns, result: Outcome::Pending, listed_at_invoke: false, direct: false }
    /// # }
    /// let h = History { calls: vec![create(100, Some(110))], ..History::default() };
    /// assert!(h.create_in_flight("c", 0, 100));
    /// assert!(h.create_in_flight("c", 110, 200));
    /// assert!(!h.create_in_flight("c", 111, 200));
    /// assert!(!h.create_in_flight("d", 0, u64::MAX));
    /// ```
    pub fn create_in_flight(&self, container: &str, from_ns: u64, to_ns: u64) -> bool {
        self.calls_for(container)
            .any(|(_, c)| c.op == Op::Create && c.invoked_ns <= to_ns && from_ns <= c.end_ns())
    }

    /// The faults the run applied, with their indices in `events`, in order.
    pub fn faults(&self) -> impl Iterator<Item = (usize, &Fault)> {
        self.events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_fault().map(|f| (i, f)))
    }

    /// The guest's ground truth: each container process's real end, with its index in
    /// `events`, in order.
    pub fn guest_exits(&self) -> impl Iterator<Item = (usize, &GuestExit)> {
        self.events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_guest_exit().map(|x| (i, x)))
    }

    /// Whether a call on `sandbox` spanning `[from_ns, to_ns]` may have been held up by a
    /// fault that delays it until the heal, or loses its messages: an agent stall, a held
    /// link or a partitioned link of that sandbox applied by `to_ns` and not yet healed
    /// at `from_ns` (faults heal when the liveness phase begins). The index of the first
    /// such fault.
    ///
    /// ```
    /// # use properties::{Fault, FaultKind, History, Event};
    /// let stall = Fault { kind: FaultKind::AgentStall, sandbox: "s".into(), container: None,
    ///                     exit_code: None, detail: String::new(), at_ns: 100 };
    /// let h = History { events: vec![Event::Fault(stall)], liveness_from_ns: Some(500),
    ///                   ..History::default() };
    /// assert_eq!(h.delaying_fault("s", 50, 150), Some(0));
    /// assert_eq!(h.delaying_fault("s", 501, 900), None); // healed at 500
    /// assert_eq!(h.delaying_fault("t", 50, 150), None);
    /// ```
    pub fn delaying_fault(&self, sandbox: &str, from_ns: u64, to_ns: u64) -> Option<usize> {
        let healed_ns = self.liveness_from_ns.unwrap_or(u64::MAX);
        self.faults()
            .find(|(_, f)| {
                matches!(
                    f.kind,
                    FaultKind::AgentStall | FaultKind::LinkHold | FaultKind::LinkPartition
                ) && f.sandbox == sandbox
                    && f.at_ns <= to_ns
                    && from_ns <= healed_ns
            })
            .map(|(i, _)| i)
    }

    /// `call #i (<call>)`, how explanations name call `i` (see [`Call`]'s `Display`).
    /// Panics if `i` is out of bounds.
    ///
    /// ```
    /// # use properties::{Call, History, Op, Outcome};
    /// let state = Call {
    ///     lane: 3,
    ///     container: "c".into(),
    ///     sandbox: "s".into(),
    ///     op: Op::State,
    ///     invoked_ns: 1_000,
    ///     returned_ns: None,
    ///     result: Outcome::Pending,
    ///     listed_at_invoke: true,
    ///     direct: false,
    /// };
    /// let h = History { calls: vec![state], ..History::default() };
    /// assert_eq!(h.describe(0), "call #0 (lane 3 State c [0.000001s .. never] -> pending)");
    /// ```
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
