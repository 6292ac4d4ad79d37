//! The same profile, scenario and madsim seed give the same trace, bit for bit, whatever
//! ran before in the process: in a batch in either order, on one worker or two, and
//! replayed alone. Every run is in this process, each on a fresh thread.

use std::sync::Arc;

use properties::Catalog;
use runtime_model::Profile;
use sim::batch::{run_batch, ScenarioRun};
use sim::log::LogOutput;
use sim::run::run_and_judge;
use sim::scenario::Builtin;

fn batch(
    scenario: Builtin,
    seeds: std::ops::Range<u64>,
    profiles: &[Profile],
    workers: usize,
) -> Vec<ScenarioRun> {
    run_batch(
        scenario,
        profiles,
        seeds,
        workers,
        &Arc::new(Catalog::builtin()),
        &|_, _| {},
    )
    .expect("the batch runs")
}

fn key(r: &ScenarioRun) -> (Profile, u64, u64, u64, Vec<&'static str>) {
    (
        r.profile,
        r.seed,
        r.trace_hash,
        r.calls,
        r.violations.clone(),
    )
}

/// One run alone, as `kata-dst replay --profile P --seed N` makes it.
fn alone(scenario: Builtin, profile: Profile, seed: u64) -> u64 {
    run_and_judge(
        Arc::new(scenario.scenario()),
        profile,
        seed,
        LogOutput::Quiet,
        Arc::new(Catalog::builtin()),
    )
    .expect("the run runs")
    .run
    .trace_hash
}

#[test]
fn article_runs_agree_in_either_order_on_one_or_two_workers_and_alone() {
    let profiles = Profile::ALL;
    let forward = batch(Builtin::Article, 10..12, &profiles, 2);
    let backward_profiles: Vec<Profile> = profiles.iter().rev().copied().collect();
    let mut backward = batch(Builtin::Article, 10..12, &backward_profiles, 1);
    backward.sort_by_key(|r| (profiles.iter().position(|p| *p == r.profile), r.seed));
    assert_eq!(
        forward.iter().map(key).collect::<Vec<_>>(),
        backward.iter().map(key).collect::<Vec<_>>()
    );
    for r in &forward {
        assert_eq!(
            alone(Builtin::Article, r.profile, r.seed),
            r.trace_hash,
            "{} seed {}",
            r.profile,
            r.seed
        );
    }
    let distinct: std::collections::BTreeSet<u64> = forward.iter().map(|r| r.trace_hash).collect();
    assert_eq!(
        distinct.len(),
        forward.len(),
        "every profile and seed gives its own trace"
    );
}

#[test]
fn a_few_hundred_small_runs_repeat_in_reverse_order_on_two_workers() {
    let forward = batch(Builtin::ArticleSmall, 0..70, &Profile::ALL, 2);
    let backward_profiles: Vec<Profile> = Profile::ALL.iter().rev().copied().collect();
    let mut backward = batch(Builtin::ArticleSmall, 0..70, &backward_profiles, 2);
    backward.sort_by_key(|r| (Profile::ALL.iter().position(|p| *p == r.profile), r.seed));
    assert_eq!(
        forward.iter().map(key).collect::<Vec<_>>(),
        backward.iter().map(key).collect::<Vec<_>>()
    );
    let distinct: std::collections::BTreeSet<u64> = forward.iter().map(|r| r.trace_hash).collect();
    assert!(
        distinct.len() > forward.len() / 2,
        "seeds should give different traces"
    );
}

/// Runs in one process do not leak into each other: a run made again after others in the
/// same process gives the same trace. (tokio's own `watch` channel wakes its waiters in
/// an order drawn from a process-global counter; the model and the world use
/// `runtime_model::sync::watch` instead.)
#[test]
fn a_run_repeated_in_one_process_gives_one_trace() {
    for profile in Profile::ALL {
        for seed in 0..20 {
            let first = alone(Builtin::ArticleSmall, profile, seed);
            for _ in 0..3 {
                assert_eq!(
                    alone(Builtin::ArticleSmall, profile, seed),
                    first,
                    "{profile} seed {seed}"
                );
            }
        }
    }
}

#[test]
fn different_seeds_give_different_traces() {
    assert_ne!(
        alone(Builtin::ArticleSmall, Profile::GO_3_24, 1),
        alone(Builtin::ArticleSmall, Profile::GO_3_24, 2)
    );
}
