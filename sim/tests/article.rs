//! The article's experiment (kata-containers #12336) on a fixed seed range: the results
//! table of the article, profile by profile.

use runtime_model::Profile;
use sim::report::{summarize, ProfileSummary};
use sim::runner::{run_jobs, Job, SeedRun};

const SEEDS: std::ops::Range<u64> = 100..108;

fn run(profile: Profile) -> (ProfileSummary, Vec<SeedRun>) {
    let jobs: Vec<Job> = SEEDS.map(|seed| Job { profile, seed }).collect();
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_kata-dst"));
    let runs = run_jobs(exe, "article", &jobs, 2, &|_, _| {}).expect("every seed runs");
    (summarize(profile.name, &runs), runs)
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
        .find_map(|r| r.first_error.clone())
        .expect("an error");
    let prefix = "Others(\"failed to handle message handler TaskRequest\\n\\nCaused by:\\n    0: state process\\n    1: failed to find container race-test-";
    assert!(first.starts_with(prefix), "unexpected error text: {first}");
    // Two waiters per container (Create and Start) each publish a TaskExit.
    assert!(
        runs.iter().all(|r| r.events == 12),
        "events: {:?}",
        runs.iter().map(|r| r.events).collect::<Vec<_>>()
    );
}

#[test]
fn pr12337_answers_stopped_with_a_warning_instead() {
    let (summary, runs) = run(Profile::RS_3_24_PR12337);
    assert_eq!(summary.errors, 0);
    assert!(summary.warnings > 0);
    assert!(runs.iter().all(|r| r.first_error.is_none()));
}

#[test]
fn the_go_shim_neither_fails_nor_warns() {
    let (summary, runs) = run(Profile::GO_3_24);
    assert_eq!((summary.errors, summary.warnings), (0, 0));
    // One exit watcher, one TaskExit per container.
    assert!(runs.iter().all(|r| r.events == 6));
}
