//! Test-only proof that the indexed checks judge like the naive ones: the naive checks
//! (every pair compared, every question a scan of the whole history) are kept as
//! reference oracles, and random histories must get the same verdict, evidence and
//! explanation from both.

mod arbitrary;
mod naive;

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use super::*;
use crate::history::{History, Op};
use crate::property::{Property, Verdict};

/// A property with the naive check it must agree with.
type Judged = (Box<dyn Property>, fn(&History) -> Verdict);

/// A sometimes situation with the naive check it must agree with.
type Hit = (Box<dyn Sometimes>, fn(&History) -> bool);

/// Each indexed property with its naive oracle.
fn compared() -> Vec<Judged> {
    vec![
        (
            Box::new(StatusTransitionsAreLegal),
            naive::status_transitions_are_legal,
        ),
        (Box::new(ExitStatusAgrees), naive::exit_status_agrees),
        (
            Box::new(KillAfterExitIsHarmless),
            naive::kill_after_exit_is_harmless,
        ),
        (
            Box::new(ResourcesReleasedAfterDelete),
            naive::resources_released_after_delete,
        ),
        (
            Box::new(OneExitEventPerProcess),
            naive::one_exit_event_per_process,
        ),
        (
            Box::new(ExitEventFollowsAStart),
            naive::exit_event_follows_a_start,
        ),
        (
            Box::new(ShutdownWaitsForTheLastContainer),
            naive::shutdown_waits_for_the_last_container,
        ),
    ]
}

/// Each indexed sometimes situation with its naive oracle.
fn compared_sometimes() -> Vec<Hit> {
    vec![
        (Box::new(StateDuringDelete), |h| {
            naive::overlaps_a_delete(h, |op| op == Op::State)
        }),
        (Box::new(KillDuringDelete), |h| {
            naive::overlaps_a_delete(h, |op| matches!(op, Op::Kill { .. }))
        }),
        (Box::new(StateInDeleteWindow), naive::state_in_delete_window),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn indexed_checks_judge_random_histories_as_the_naive_ones(h in arbitrary::history()) {
        for (property, naive) in compared() {
            prop_assert_eq!(property.check(&h), naive(&h), "{}", property.name());
        }
        for (situation, naive) in compared_sometimes() {
            prop_assert_eq!(situation.hit(&h), naive(&h), "{}", situation.name());
        }
    }
}

/// The comparison above means something only if random histories reach both outcomes
/// of every compared check often enough: here at least 3% of the time each.
#[test]
fn random_histories_reach_both_outcomes_of_every_compared_check() {
    let mut runner = TestRunner::deterministic();
    let strategy = arbitrary::history();
    let mut outcomes: BTreeMap<&str, [u32; 2]> = BTreeMap::new();
    for _ in 0..2000 {
        let h = strategy.new_tree(&mut runner).unwrap().current();
        for (property, naive) in compared() {
            outcomes.entry(property.name()).or_default()[usize::from(naive(&h).is_pass())] += 1;
        }
        for (situation, naive) in compared_sometimes() {
            outcomes.entry(situation.name()).or_default()[usize::from(naive(&h))] += 1;
        }
    }
    for (name, [first, second]) in outcomes {
        assert!(first >= 60 && second >= 60, "{name}: {first} / {second}");
    }
}
