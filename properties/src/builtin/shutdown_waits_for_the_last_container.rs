//! A shim's Shutdown ends it only once it holds no container.

use std::collections::BTreeSet;

use crate::history::{Failure, History, Op, Outcome};
use crate::property::{Property, Verdict};

/// A Shutdown answered while the shim still held a container (created on it, not yet
/// deleted) leaves the shim serving: no later call to that shim, before its next
/// Shutdown, comes back "connection closed". And a Shutdown answered when the shim held
/// nothing ends it: unless a container was created on it afterwards, the shim is gone
/// when the run ends.
///
/// A Shutdown answered while a Create or a Delete on the same shim was in flight is not
/// judged: what the shim held at that moment is not known from the outside.
///
/// Contract: containerd.md, "The reference shim contract": Shutdown is a successful
/// no-op while any container remains; otherwise the shim exits. containerd calls
/// Shutdown after every task Delete (containerd.md, "shimTask.delete", step 4) and
/// relies on this rule to keep a pod's shim alive for the pod's other containers.
pub struct ShutdownWaitsForTheLastContainer;

/// The containers held by `sandbox`'s shim at `t_ns`: created (successfully, returned by
/// `t_ns`) on it and not deleted (successfully, returned by `t_ns`) since.
fn held_at(h: &History, sandbox: &str, t_ns: u64) -> BTreeSet<String> {
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

impl Property for ShutdownWaitsForTheLastContainer {
    fn name(&self) -> &'static str {
        "shutdown_waits_for_the_last_container"
    }

    fn contract(&self) -> &'static str {
        "containerd.md: reference shim contract: Shutdown is a no-op while any container remains, otherwise the shim exits"
    }

    fn check(&self, h: &History) -> Verdict {
        for (i, s) in h.calls.iter().enumerate() {
            let (Op::Shutdown, Some(_), Some(t)) = (s.op, s.reply(), s.returned_ns) else {
                continue;
            };
            let in_flight = h.calls.iter().any(|c| {
                c.sandbox == s.sandbox
                    && matches!(c.op, Op::Create | Op::Delete)
                    && c.invoked_ns <= t
                    && c.end_ns() > t
            });
            if in_flight {
                continue;
            }
            let held = held_at(h, &s.sandbox, t);
            let next_shutdown = h
                .calls
                .iter()
                .filter(|c| c.op == Op::Shutdown && c.sandbox == s.sandbox && c.invoked_ns > t)
                .map(|c| c.invoked_ns)
                .min()
                .unwrap_or(u64::MAX);
            if !held.is_empty() {
                let closed = h.calls.iter().enumerate().find(|(_, c)| {
                    c.sandbox == s.sandbox
                        && c.invoked_ns > t
                        && c.invoked_ns < next_shutdown
                        && c.result == Outcome::Err(Failure::Closed)
                });
                if let Some((j, _)) = closed {
                    return Verdict::violation(
                        format!(
                            "{} was answered while shim {} held {}, yet {} found the shim gone",
                            h.describe(i),
                            s.sandbox,
                            held.iter()
                                .map(String::as_str)
                                .collect::<Vec<_>>()
                                .join(", "),
                            h.describe(j)
                        ),
                        vec![i, j],
                    );
                }
                continue;
            }
            let recreated = h.calls.iter().any(|c| {
                c.op == Op::Create
                    && c.sandbox == s.sandbox
                    && c.invoked_ns > t
                    && c.reply().is_some()
            });
            if !recreated && h.final_state.shims.contains_key(&s.sandbox) {
                return Verdict::violation(
                    format!(
                        "{} was answered when shim {} held no container, yet the shim still ran when the run ended",
                        h.describe(i),
                        s.sandbox
                    ),
                    vec![i],
                );
            }
        }
        Verdict::Pass
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
