//! Calls grouped by container, and each container's Create windows.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::history::{History, Op};

/// A history's calls grouped by container, built once in O(n log n), so that a check
/// can look at one container's calls, and ask whether a Create of it was in flight, in
/// O(log n) rather than by scanning every call each time.
///
/// ```
/// use properties::{Call, ContainerIndex, History, Op, Outcome};
/// # fn call(op: Op, container: &str, invoked_ns: u64, returned_ns: u64) -> Call {
/// #     Call { lane: 0, container: container.into(), sandbox: "s".into(), op, invoked_ns,
/// #            returned_ns: Some(returned_ns), result: Outcome::Pending, listed_at_invoke: false, direct: false }
/// # }
/// let h = History {
///     calls: vec![
///         call(Op::Create, "c", 100, 110),
///         call(Op::Create, "d", 0, 10),
///         call(Op::State, "c", 200, 210),
///     ],
///     ..History::default()
/// };
/// let index = ContainerIndex::new(&h);
/// assert_eq!(index.calls_for("c"), &[0, 2]);
/// assert!(index.create_in_flight("c", 105, 300));
/// assert!(!index.create_in_flight("c", 111, 300));
/// assert_eq!(index.first_create_reaching("c", 111), None);
/// ```
pub struct ContainerIndex<'h> {
    calls: BTreeMap<&'h str, Vec<usize>>,
    creates: BTreeMap<&'h str, CreateWindows>,
}

/// The Create calls of one container: their ends ascending, and for each position the
/// earliest invocation among the Creates from there on.
struct CreateWindows {
    ends: Vec<u64>,
    first_invoked_from: Vec<u64>,
}

impl<'h> ContainerIndex<'h> {
    /// Indexes `h`'s calls.
    pub fn new(h: &'h History) -> ContainerIndex<'h> {
        // Grouped in a hash map (a few containers, tens of thousands of calls), then
        // ordered by name.
        let mut calls: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        let mut creates: FxHashMap<&str, Vec<(u64, u64)>> = FxHashMap::default();
        for (i, c) in h.calls.iter().enumerate() {
            calls.entry(&c.container).or_default().push(i);
            if c.op == Op::Create {
                let windows = creates.entry(&c.container).or_default();
                windows.push((c.end_ns(), c.invoked_ns));
            }
        }
        let creates = creates
            .into_iter()
            .map(|(container, mut windows)| {
                windows.sort_unstable();
                let ends = windows.iter().map(|&(end, _)| end).collect();
                let mut first_invoked_from: Vec<u64> = windows
                    .iter()
                    .rev()
                    .scan(u64::MAX, |first, &(_, invoked)| {
                        *first = invoked.min(*first);
                        Some(*first)
                    })
                    .collect();
                first_invoked_from.reverse();
                let windows = CreateWindows {
                    ends,
                    first_invoked_from,
                };
                (container, windows)
            })
            .collect();
        ContainerIndex {
            calls: calls.into_iter().collect(),
            creates,
        }
    }

    /// The indices of the calls on `container`, ascending (as [`History::calls_for`]).
    pub fn calls_for(&self, container: &str) -> &[usize] {
        self.calls.get(container).map_or(&[], Vec::as_slice)
    }

    /// Every container that some call names, in ascending order, with its calls'
    /// indices (ascending).
    pub fn containers(&self) -> impl Iterator<Item = (&'h str, &[usize])> + '_ {
        self.calls.iter().map(|(c, calls)| (*c, calls.as_slice()))
    }

    /// The earliest invocation time among the Creates of `container` that had not
    /// ended before `from_ns` (whose `end_ns()` is at or after it), if there is one.
    /// A window `[from_ns, to_ns]` has a Create in flight exactly when this is some
    /// time at or before `to_ns`: a single answer settles the question for every `to_ns`.
    pub fn first_create_reaching(&self, container: &str, from_ns: u64) -> Option<u64> {
        let windows = self.creates.get(container)?;
        let reaching = windows.ends.partition_point(|&end| end < from_ns);
        windows.first_invoked_from.get(reaching).copied()
    }

    /// Whether a Create of `container` was in flight at some instant of
    /// `[from_ns, to_ns]`: the same answer as [`History::create_in_flight`], in
    /// O(log n).
    pub fn create_in_flight(&self, container: &str, from_ns: u64, to_ns: u64) -> bool {
        self.first_create_reaching(container, from_ns)
            .is_some_and(|invoked| invoked <= to_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn answers_create_in_flight_as_the_history_does() {
        let h = history(vec![
            call(Op::Create, "c", 100, 110),
            call(Op::Create, "c", 300, 0).pending(),
            call(Op::Create, "c", 50, 400),
            call(Op::Create, "d", 20, 10),
            call(Op::State, "e", 0, 10),
        ]);
        let index = ContainerIndex::new(&h);
        for container in ["c", "d", "e", "f"] {
            for from in (0..500).step_by(5) {
                for to in (0..500).step_by(5).chain([u64::MAX]) {
                    assert_eq!(
                        index.create_in_flight(container, from, to),
                        h.create_in_flight(container, from, to),
                        "{container} [{from}, {to}]"
                    );
                }
            }
        }
    }

    #[test]
    fn first_create_reaching_is_the_earliest_create_not_over_by_then() {
        let h = history(vec![
            call(Op::Create, "c", 100, 110),
            call(Op::Create, "c", 50, 400),
            call(Op::Create, "c", 300, 0).pending(),
        ]);
        let index = ContainerIndex::new(&h);
        assert_eq!(index.first_create_reaching("c", 0), Some(50));
        assert_eq!(index.first_create_reaching("c", 401), Some(300));
        assert_eq!(index.first_create_reaching("d", 0), None);
        let got: Vec<(&str, &[usize])> = index.containers().collect();
        assert_eq!(got, vec![("c", &[0, 1, 2][..])]);
    }
}
