//! The article's experiment (kata-containers #12336) on a fixed seed range: the results
//! table of the article, profile by profile, and the properties' verdicts on the same runs.

use std::sync::Arc;

use properties::Catalog;
use runtime_model::Profile;
use sim::batch::{run_batch, summarize, ProfileSummary, ScenarioRun};
use sim::scenario::Builtin;

const SEEDS: std::ops::Range<u64> = 100..108;
const MISSION: &str = "state_never_errors_for_known_id";

fn run(profile: Profile) -> (ProfileSummary, Vec<ScenarioRun>) {
    let catalog = Arc::new(Catalog::builtin());
    let runs = run_batch(Builtin::Article, &[profile], SEEDS, 2, &catalog, &|_, _| {})
        .expect("every seed runs");
    (summarize(Builtin::Article, profile, &runs, &catalog), runs)
}

#[test]
fn rs_3_24_fails_state_in_most_seeds_with_the_articles_error_chain() {
    let (summary, runs) = run(Profile::RS_3_24);
    assert!(
        summary.seeds_with_errors * 2 > summary.seeds,
        "errors in only {} of {} seeds",
        summary.seeds_with_errors,
        summary.seeds
    );
    assert_eq!(summary.warnings, 0);
    let first = runs
        .iter()
        .find_map(|r| r.tally.first_error.clone())
        .expect("an error");
    let prefix = "Others(\"failed to handle message handler TaskRequest\\n\\nCaused by:\\n    0: state process\\n    1: failed to find container race-test-";
    assert!(first.starts_with(prefix), "unexpected error text: {first}");
    // Two waiters per container (Create and Start) each publish a TaskExit.
    assert!(
        runs.iter().all(|r| r.task_exits == 12),
        "events: {:?}",
        runs.iter().map(|r| r.task_exits).collect::<Vec<_>>()
    );
    // The property judges what the grep counts: a run with a `get state for` error
    // violates the mission property, and so do only such runs.
    for r in &runs {
        assert_eq!(
            r.tally.get_state_errors > 0,
            r.violations.contains(&MISSION),
            "seed {}",
            r.seed
        );
    }
    assert!(summary.violations["one_exit_event_per_process"] == summary.seeds);
}

#[test]
fn pr12337_answers_stopped_with_a_warning_instead() {
    let (summary, runs) = run(Profile::RS_3_24_PR12337);
    assert_eq!(summary.errors, 0);
    assert!(summary.warnings > 0);
    assert!(runs.iter().all(|r| r.tally.first_error.is_none()));
    assert_eq!(summary.violations[MISSION], 0);
}

#[test]
fn the_go_shim_neither_fails_nor_warns_nor_violates() {
    let (summary, runs) = run(Profile::GO_3_24);
    assert_eq!((summary.errors, summary.warnings), (0, 0));
    // One exit watcher, one TaskExit per container.
    assert!(runs.iter().all(|r| r.task_exits == 6));
    let violated: Vec<_> = summary.violations.iter().filter(|(_, n)| **n > 0).collect();
    assert!(violated.is_empty(), "{violated:?}");
}
