//! A shim's Shutdown ends it only once it holds no container.

use std::collections::{BTreeMap, BTreeSet};

use crate::history::{Call, Failure, FaultKind, History, Op, Outcome};
use crate::index::{dominated, Earliest, Intervals, Point};
use crate::property::{Property, Verdict};

/// A Shutdown answered while the shim still held a container (created on it, not yet
/// deleted) leaves the shim serving: no later call to that shim, before its next
/// Shutdown, comes back "connection closed". And a Shutdown answered when the shim held
/// nothing ends it: unless a container was created on it afterwards, the shim is gone
/// when the run ends.
///
/// A Shutdown answered while a Create or a Delete on the same shim was in flight is not
/// judged: what the shim held at that moment is not known from the outside. Nor is one
/// answered after a successful Create and a successful Delete of one container
/// overlapped, until that container's next change: either may have taken effect last
/// (the reference shim's Delete removes the map entry by id after its process is gone,
/// which may be the entry a Create made in between). Nor is a closed connection once a
/// fault crashed the shim.
///
/// Contract: containerd.md, "The reference shim contract": Shutdown is a successful
/// no-op while any container remains; otherwise the shim exits. containerd calls
/// Shutdown after every task Delete (containerd.md, "shimTask.delete", step 4) and
/// relies on this rule to keep a pod's shim alive for the pod's other containers.
pub struct ShutdownWaitsForTheLastContainer;

/// The containers held by `sandbox`'s shim at `t_ns`: created (successfully, returned by
/// `t_ns`) on it and not deleted (successfully, returned by `t_ns`) since.
pub(crate) fn held_at(h: &History, sandbox: &str, t_ns: u64) -> BTreeSet<String> {
    let mut held = BTreeSet::new();
    let mut done: Vec<_> = h
        .calls
        .iter()
        .filter(|c| c.sandbox == sandbox && c.reply().is_some())
        .filter(|c| matches!(c.op, Op::Create | Op::Delete))
        .filter(|c| c.returned_ns.is_some_and(|r| r <= t_ns))
        .collect();
    done.sort_by_key(|c| c.returned_ns);
    for c in done {
        if c.op == Op::Create {
            held.insert(c.container.clone());
        } else {
            held.remove(&c.container);
        }
    }
    held
}

/// The windows `[start, end]` in which what a shim holds is unknown: for each container,
/// from the later return of a successful Create and a successful Delete of it that
/// overlapped to just before its next successful Create or Delete returned. `calls` are
/// the shim's calls.
pub(crate) fn unknown_windows(h: &History, calls: &[usize]) -> Vec<(u64, u64)> {
    let mut by_container: BTreeMap<&str, Vec<&Call>> = BTreeMap::new();
    for &i in calls {
        let c = &h.calls[i];
        if matches!(c.op, Op::Create | Op::Delete) && c.reply().is_some() {
            by_container.entry(&c.container).or_default().push(c);
        }
    }
    let mut windows = Vec::new();
    for changes in by_container.values() {
        for a in changes.iter().filter(|c| c.op == Op::Create) {
            for b in changes.iter().filter(|c| c.op == Op::Delete) {
                if a.invoked_ns > b.end_ns() || b.invoked_ns > a.end_ns() {
                    continue;
                }
                let start = a.end_ns().max(b.end_ns());
                let end = changes
                    .iter()
                    .map(|c| c.end_ns())
                    .filter(|&r| r > start)
                    .min()
                    .map_or(u64::MAX, |r| r - 1);
                windows.push((start, end));
            }
        }
    }
    windows
}

/// The violation shown by Shutdown `i`, answered while its shim held a container, and
/// call `j` to the same shim after it that found the connection closed.
pub(crate) fn gone_while_holding(h: &History, i: usize, j: usize) -> Verdict {
    let s = &h.calls[i];
    let held = held_at(h, &s.sandbox, s.end_ns());
    let held: Vec<&str> = held.iter().map(String::as_str).collect();
    Verdict::violation(
        format!(
            "{} was answered while shim {} held {}, yet {} found the shim gone",
            h.describe(i),
            s.sandbox,
            held.join(", "),
            h.describe(j)
        ),
        vec![i, j],
    )
}

/// The violation shown by Shutdown `i`, answered when its shim held nothing, whose shim
/// still ran at the end.
pub(crate) fn outlived(h: &History, i: usize) -> Verdict {
    Verdict::violation(
        format!(
            "{} was answered when shim {} held no container, yet the shim still ran when the run ended",
            h.describe(i),
            h.calls[i].sandbox
        ),
        vec![i],
    )
}

impl Property for ShutdownWaitsForTheLastContainer {
    fn name(&self) -> &'static str {
        "shutdown_waits_for_the_last_container"
    }

    fn contract(&self) -> &'static str {
        "containerd.md: reference shim contract: Shutdown is a no-op while any container remains, otherwise the shim exits"
    }

    /// Reports the first violating Shutdown (by index), with the first call (by index)
    /// that found its shim gone. Per shim, in O(n log n).
    fn check(&self, h: &History) -> Verdict {
        let mut by_sandbox: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, c) in h.calls.iter().enumerate() {
            by_sandbox.entry(&c.sandbox).or_default().push(i);
        }
        let first = by_sandbox
            .iter()
            .filter_map(|(sandbox, calls)| Shim::new(h, calls).first_violation(h, sandbox))
            .min();
        match first {
            Some((i, Some(j))) => gone_while_holding(h, i, j),
            Some((i, None)) => outlived(h, i),
            None => Verdict::Pass,
        }
    }
}

/// One shim's calls, indexed.
struct Shim<'h> {
    calls: &'h [usize],
    /// The return times of the successful Creates and Deletes, ascending.
    changed: Vec<u64>,
    /// `holds[k]`: whether the shim held a container after the first `k` changes.
    holds: Vec<bool>,
    /// Every Create and Delete, as intervals.
    creates_and_deletes: Intervals,
    /// When what the shim holds is unknown ([`unknown_windows`]).
    unknown: Intervals,
    /// The invocation times of every Shutdown, ascending.
    shutdowns: Vec<u64>,
    /// The latest invocation of a successful Create.
    last_create: Option<u64>,
}

impl<'h> Shim<'h> {
    fn new(h: &'h History, calls: &'h [usize]) -> Shim<'h> {
        let of = |i: &usize| &h.calls[*i];
        let create_or_delete = |c: &&Call| matches!(c.op, Op::Create | Op::Delete);
        let mut changes: Vec<(u64, &Call)> = calls
            .iter()
            .map(of)
            .filter(create_or_delete)
            .filter(|c| c.reply().is_some())
            .filter_map(|c| Some((c.returned_ns?, c)))
            .collect();
        // Stable: ties in return time keep call order.
        changes.sort_by_key(|&(returned, _)| returned);
        let mut held = BTreeSet::new();
        let mut holds = vec![false];
        for (_, c) in &changes {
            if c.op == Op::Create {
                held.insert(c.container.as_str());
            } else {
                held.remove(c.container.as_str());
            }
            holds.push(!held.is_empty());
        }
        let mut shutdowns: Vec<u64> = calls
            .iter()
            .map(of)
            .filter(|c| c.op == Op::Shutdown)
            .map(|c| c.invoked_ns)
            .collect();
        shutdowns.sort_unstable();
        let creates_and_deletes = calls
            .iter()
            .map(of)
            .filter(create_or_delete)
            .map(|c| (c.invoked_ns, c.end_ns()));
        Shim {
            calls,
            changed: changes.iter().map(|&(returned, _)| returned).collect(),
            holds,
            creates_and_deletes: Intervals::new(creates_and_deletes),
            unknown: Intervals::new(unknown_windows(h, calls)),
            shutdowns,
            last_create: calls
                .iter()
                .map(of)
                .filter(|c| c.op == Op::Create && c.reply().is_some())
                .map(|c| c.invoked_ns)
                .max(),
        }
    }

    /// The first violating Shutdown, with the call that found the shim gone if it was
    /// answered while the shim held a container.
    fn first_violation(&self, h: &History, sandbox: &str) -> Option<(usize, Option<usize>)> {
        // The judged Shutdowns: answered, and not while a Create or Delete was in flight.
        let judged: Vec<(usize, u64)> = self
            .calls
            .iter()
            .filter_map(|&i| {
                let s = &h.calls[i];
                (s.op == Op::Shutdown && s.reply().is_some()).then_some(())?;
                Some((i, s.returned_ns?))
            })
            .filter(|&(_, t)| {
                self.creates_and_deletes
                    .reach_of_starts_by(t)
                    .is_none_or(|end| end <= t)
            })
            .filter(|&(_, t)| !self.unknown.meets(t, t))
            .collect();
        // A call that found the shim gone after a Shutdown at `t`, before the next one;
        // once a fault crashed the shim, a closed connection is the crash's doing.
        let crashed_ns = h
            .faults()
            .filter(|(_, f)| f.kind == FaultKind::ShimCrash && f.sandbox == sandbox)
            .map(|(_, f)| f.at_ns)
            .min();
        let closed: Vec<Point<Earliest>> = self
            .calls
            .iter()
            .filter(|&&j| h.calls[j].result == Outcome::Err(Failure::Closed))
            .filter(|&&j| crashed_ns.is_none_or(|crash| h.calls[j].end_ns() < crash))
            .map(|&j| {
                // It found the shim gone when its answer came (a Wait may have been
                // waiting since long before).
                let at = h.calls[j].end_ns().into();
                (at, at, Earliest(Some(j)))
            })
            .collect();
        let until_next_shutdown: Vec<(i128, i128)> = judged
            .iter()
            .map(|&(_, t)| {
                let next = self.shutdowns[self.shutdowns.partition_point(|&s| s <= t)..]
                    .first()
                    .copied()
                    .unwrap_or(u64::MAX);
                (t.into(), next.into())
            })
            .collect();
        let gone = dominated(&closed, &until_next_shutdown);
        let still_runs = h.final_state.shims.contains_key(sandbox);
        judged.iter().zip(gone).find_map(|(&(i, t), gone)| {
            if self.holds[self.changed.partition_point(|&r| r <= t)] {
                return Some((i, Some(gone.0?)));
            }
            let recreated = self.last_create.is_some_and(|c| c > t);
            (!recreated && still_runs).then_some((i, None))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::FinalState;
    use crate::testing::*;

    fn gone(h: History) -> History {
        History {
            final_state: FinalState::default(),
            ..h
        }
    }

    fn still_running(h: History) -> History {
        History {
            final_state: FinalState {
                shims: [("s".to_string(), BTreeSet::new())].into(),
                ..FinalState::default()
            },
            ..h
        }
    }

    #[test]
    fn a_shutdown_after_a_create_and_a_delete_of_one_id_overlapped_is_not_judged() {
        // The Delete was invoked first; the Create, blocked behind it, answered at the
        // same instant: either took effect last, so the shim may hold nothing.
        let h = |create_invoked| {
            gone(history(vec![
                call(Op::Create, "a", 0, 10),
                call(Op::Wait, "a", 15, 60).closed(),
                call(Op::Delete, "a", 20, 40),
                call(Op::Create, "a", create_invoked, 40),
                call(Op::Shutdown, "a", 50, 55),
            ]))
        };
        assert!(ShutdownWaitsForTheLastContainer.check(&h(21)).is_pass());
        // A Create invoked after the Delete returned made the shim hold it.
        let after = gone(history(vec![
            call(Op::Create, "a", 0, 10),
            call(Op::Wait, "a", 15, 60).closed(),
            call(Op::Delete, "a", 20, 40),
            call(Op::Create, "a", 41, 45),
            call(Op::Shutdown, "a", 50, 55),
        ]));
        assert_eq!(
            evidence(ShutdownWaitsForTheLastContainer.check(&after)).0,
            vec![4, 1]
        );
    }

    #[test]
    fn a_wait_closed_after_a_later_shutdown_is_that_shutdown_s_doing() {
        // The Wait was invoked between the two Shutdowns but came back closed only after
        // the second, which found the shim empty and ended it.
        let h = history(vec![
            call(Op::Create, "a", 0, 10).on("p"),
            call(Op::Create, "b", 0, 10).on("p"),
            call(Op::Delete, "a", 20, 30).on("p"),
            call(Op::Shutdown, "a", 30, 31).on("p"),
            call(Op::Wait, "b", 40, 90).on("p").closed(),
            call(Op::Delete, "b", 60, 70).on("p"),
            call(Op::Shutdown, "b", 70, 71).on("p"),
        ]);
        assert!(ShutdownWaitsForTheLastContainer.check(&h).is_pass());
    }

    #[test]
    fn a_shim_crashed_by_a_fault_is_not_a_shutdown_that_ended_it() {
        let h = history(vec![
            call(Op::Create, "a", 0, 10).on("p"),
            call(Op::Create, "b", 0, 10).on("p"),
            call(Op::Delete, "a", 20, 30).on("p"),
            call(Op::Shutdown, "a", 30, 31).on("p"),
            call(Op::State, "b", 70, 71).on("p").closed(),
        ]);
        assert!(!ShutdownWaitsForTheLastContainer.check(&h).is_pass());
        let crashed = h.fault(crate::FaultKind::ShimCrash, "p", None, None, 50);
        assert!(ShutdownWaitsForTheLastContainer.check(&crashed).is_pass());
    }

    #[test]
    fn passes_when_the_shim_stays_for_a_held_container_and_goes_after_the_last() {
        let h = gone(history(vec![
            call(Op::Create, "a", 0, 10),
            call(Op::Create, "b", 0, 10),
            call(Op::Delete, "a", 20, 30),
            call(Op::Shutdown, "a", 31, 32),
            call(Op::State, "b", 40, 45),
            call(Op::Delete, "b", 50, 60),
            call(Op::Shutdown, "b", 61, 62),
            call(Op::State, "b", 70, 71).closed(),
        ]));
        assert_eq!(ShutdownWaitsForTheLastContainer.check(&h), Verdict::Pass);
    }

    #[test]
    fn violated_when_the_shim_exits_while_it_holds_a_container() {
        let h = gone(history(vec![
            call(Op::Create, "a", 0, 10),
            call(Op::Create, "b", 0, 10),
            call(Op::Delete, "a", 20, 30),
            call(Op::Shutdown, "a", 31, 32),
            call(Op::State, "b", 40, 45).closed(),
        ]));
        assert_eq!(
            evidence(ShutdownWaitsForTheLastContainer.check(&h)).0,
            vec![3, 4]
        );
    }

    #[test]
    fn violated_when_the_shim_outlives_its_last_container() {
        let h = still_running(history(vec![
            call(Op::Create, "a", 0, 10),
            call(Op::Delete, "a", 20, 30),
            call(Op::Shutdown, "a", 31, 32),
        ]));
        assert_eq!(
            evidence(ShutdownWaitsForTheLastContainer.check(&h)).0,
            vec![2]
        );
    }

    #[test]
    fn a_later_create_keeps_the_shim_legitimately() {
        let h = still_running(history(vec![
            call(Op::Create, "a", 0, 10),
            call(Op::Delete, "a", 20, 30),
            call(Op::Shutdown, "a", 31, 32),
            call(Op::Create, "b", 40, 50),
        ]));
        assert_eq!(ShutdownWaitsForTheLastContainer.check(&h), Verdict::Pass);
    }

    #[test]
    fn a_shutdown_during_a_create_or_delete_is_not_judged() {
        let create_in_flight = still_running(history(vec![
            call(Op::Create, "a", 0, 10),
            call(Op::Delete, "a", 20, 30),
            call(Op::Create, "b", 25, 40),
            call(Op::Shutdown, "a", 31, 32),
        ]));
        assert_eq!(
            ShutdownWaitsForTheLastContainer.check(&create_in_flight),
            Verdict::Pass
        );
        let delete_in_flight = gone(history(vec![
            call(Op::Create, "a", 0, 10),
            call(Op::Create, "b", 0, 10),
            call(Op::Delete, "a", 20, 30),
            call(Op::Delete, "b", 25, 40),
            call(Op::Shutdown, "a", 31, 32),
            call(Op::State, "b", 50, 51).closed(),
        ]));
        assert_eq!(
            ShutdownWaitsForTheLastContainer.check(&delete_in_flight),
            Verdict::Pass
        );
    }

    #[test]
    fn other_sandboxes_do_not_count() {
        let h = gone(history(vec![
            call(Op::Create, "a", 0, 10),
            call(Op::Create, "x", 0, 10).on("t"),
            call(Op::Delete, "a", 20, 30),
            call(Op::Shutdown, "a", 31, 32),
        ]));
        assert_eq!(ShutdownWaitsForTheLastContainer.check(&h), Verdict::Pass);
    }
}
