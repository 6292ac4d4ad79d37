//! The main job: a built-in scenario over many madsim seeds on each profile, every run
//! in this process on a fresh thread, judged by the properties; per profile, the
//! article's own tally (its `grep -c` of `get state for` errors and
//! `Container not found in state query` warnings) and the violations per property.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, Result};
use properties::Catalog;
use runtime_model::Profile;
use serde::Serialize;

use crate::log::LogOutput;
use crate::pool::in_parallel;
use crate::reproduce::article_command;
use crate::run::{run_and_judge, Tally};
use crate::scenario::Builtin;

/// What one run of the batch did (its history is judged and dropped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioRun {
    pub profile: Profile,
    pub seed: u64,
    pub tally: Tally,
    /// The properties the run violated.
    pub violations: Vec<&'static str>,
    pub calls: u64,
    /// The TaskExit events containerd received.
    pub task_exits: u64,
    pub trace_hash: u64,
    pub sim_time: Duration,
}

/// Runs `scenario` with every madsim seed in `seeds` on every profile in `profiles`,
/// `workers` at a time, judged by `catalog`; results in (profile, seed) order.
/// `progress(done, total)` is called after each run.
pub fn run_batch(
    scenario: Builtin,
    profiles: &[Profile],
    seeds: Range<u64>,
    workers: usize,
    catalog: &Arc<Catalog>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<ScenarioRun>> {
    let jobs: Vec<(Profile, u64)> = profiles
        .iter()
        .flat_map(|&p| seeds.clone().map(move |s| (p, s)))
        .collect();
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<ScenarioRun>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    in_parallel(jobs.len() as u64, workers, &|i| {
        let (profile, seed) = jobs[i as usize];
        let scenario = Arc::new(scenario.scenario());
        let r = run_and_judge(scenario, profile, seed, LogOutput::Quiet, catalog.clone())
            .map(|j| ScenarioRun {
                profile,
                seed,
                tally: j.run.tally,
                violations: j.judgement.violations.iter().map(|v| v.property).collect(),
                calls: j.run.history.calls.len() as u64,
                task_exits: j.run.history.task_exits().count() as u64,
                trace_hash: j.run.trace_hash,
                sim_time: j.run.sim_time,
            })
            .map_err(|e| anyhow!("profile {profile} seed {seed}: {e}"));
        results.lock().unwrap()[i as usize] = Some(r);
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, jobs.len());
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every job ran"))
        .collect()
}

/// One profile's line of the summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProfileSummary {
    pub profile: Profile,
    pub seeds: u64,
    pub seeds_with_errors: u64,
    pub errors: u64,
    pub warnings: u64,
    pub first_failing_seed: Option<u64>,
    /// The one command that replays the first failing seed.
    pub replay: Option<String>,
    /// Per property, the runs that violated it (every property of the catalog).
    pub violations: BTreeMap<&'static str, u64>,
    /// Per violated property, the first seed that violated it.
    #[serde(skip)]
    pub first_violation: BTreeMap<&'static str, u64>,
}

/// Summarises the runs of `profile` (in seed order).
pub fn summarize(
    scenario: Builtin,
    profile: Profile,
    runs: &[ScenarioRun],
    catalog: &Catalog,
) -> ProfileSummary {
    let mine: Vec<&ScenarioRun> = runs.iter().filter(|r| r.profile == profile).collect();
    let failing: Vec<&&ScenarioRun> = mine
        .iter()
        .filter(|r| r.tally.get_state_errors > 0)
        .collect();
    let first = failing.iter().map(|r| r.seed).min();
    let mut violations: BTreeMap<&'static str, u64> =
        catalog.properties().map(|p| (p.name(), 0)).collect();
    let mut first_violation = BTreeMap::new();
    for r in &mine {
        for &p in &r.violations {
            *violations.entry(p).or_default() += 1;
            first_violation.entry(p).or_insert(r.seed);
        }
    }
    ProfileSummary {
        profile,
        seeds: mine.len() as u64,
        seeds_with_errors: failing.len() as u64,
        errors: mine.iter().map(|r| r.tally.get_state_errors).sum(),
        warnings: mine.iter().map(|r| r.tally.not_found_warnings).sum(),
        first_failing_seed: first,
        replay: first.map(|s| article_command(scenario, profile, s)),
        violations,
        first_violation,
    }
}

/// The batch's summary: its `Display` is the main job's tables, and it serializes as
/// the `--json` document (an array of profile rows).
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct Summary {
    pub rows: Vec<ProfileSummary>,
    #[serde(skip)]
    pub scenario: Builtin,
    /// The order properties are listed in.
    #[serde(skip)]
    pub order: Vec<&'static str>,
}

impl Summary {
    pub fn new(
        scenario: Builtin,
        profiles: &[Profile],
        runs: &[ScenarioRun],
        catalog: &Catalog,
    ) -> Summary {
        Summary {
            rows: profiles
                .iter()
                .map(|&p| summarize(scenario, p, runs, catalog))
                .collect(),
            scenario,
            order: catalog.properties().map(|p| p.name()).collect(),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<17} {:>6} {:>16} {:>7} {:>9} {:>19}  replay",
            "profile", "seeds", "seeds w/ errors", "errors", "warnings", "first failing seed"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:<17} {:>6} {:>16} {:>7} {:>9} {:>19}  {}",
                r.profile,
                r.seeds,
                r.seeds_with_errors,
                r.errors,
                r.warnings,
                r.first_failing_seed
                    .map_or("-".to_string(), |s| s.to_string()),
                r.replay.as_deref().unwrap_or("-"),
            )?;
        }
        writeln!(
            f,
            "\nproperties violated (runs that violated each, of the seeds above):"
        )?;
        writeln!(
            f,
            "{:<17} {:<38} {:>5}  first violating run (replay command)",
            "profile", "property", "runs"
        )?;
        for r in &self.rows {
            let violated: Vec<&&str> = self
                .order
                .iter()
                .filter(|p| r.violations[**p] > 0)
                .collect();
            if violated.is_empty() {
                writeln!(
                    f,
                    "{:<17} {:<38} {:>5}  -",
                    r.profile, "(none: every property holds)", 0
                )?;
            }
            for p in violated {
                let seed = r.first_violation[*p];
                writeln!(
                    f,
                    "{:<17} {:<38} {:>5}  {}",
                    r.profile,
                    p,
                    r.violations[*p],
                    article_command(self.scenario, r.profile, seed)
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seed: u64, errors: u64, warnings: u64, violations: Vec<&'static str>) -> ScenarioRun {
        ScenarioRun {
            profile: Profile::RS_3_24,
            seed,
            tally: Tally {
                get_state_errors: errors,
                not_found_warnings: warnings,
                first_error: None,
            },
            violations,
            calls: 1,
            task_exits: 0,
            trace_hash: seed,
            sim_time: Duration::from_secs(1),
        }
    }

    const MISSION: &str = "state_never_errors_for_known_id";

    #[test]
    fn summary_counts_failing_seeds_and_violations_and_names_the_first() {
        let runs = [
            run(4, 0, 1, vec![]),
            run(5, 2, 0, vec![MISSION]),
            run(6, 3, 0, vec![MISSION]),
        ];
        let s = summarize(
            Builtin::Article,
            Profile::RS_3_24,
            &runs,
            &Catalog::builtin(),
        );
        assert_eq!(
            (s.seeds, s.seeds_with_errors, s.errors, s.warnings),
            (3, 2, 5, 1)
        );
        assert_eq!(s.first_failing_seed, Some(5));
        assert_eq!(
            s.replay.as_deref(),
            Some("cargo run --release -- replay --profile rs-3.24 --seed 5")
        );
        assert_eq!(s.violations[MISSION], 2);
        assert_eq!(s.violations["no_call_hangs"], 0);
        assert_eq!(s.first_violation[MISSION], 5);
    }

    #[test]
    fn json_rows_have_the_documented_keys_and_a_violation_count_per_property() {
        let catalog = Catalog::builtin();
        let summary = Summary::new(Builtin::Article, &[Profile::GO_3_24], &[], &catalog);
        let v: serde_json::Value = serde_json::to_value(&summary).unwrap();
        let row = &v.as_array().unwrap()[0];
        for key in [
            "profile",
            "seeds",
            "seeds_with_errors",
            "errors",
            "warnings",
            "first_failing_seed",
            "replay",
            "violations",
        ] {
            assert!(row.get(key).is_some(), "missing {key}");
        }
        assert_eq!(row["profile"], "go-3.24");
        assert_eq!(
            row["violations"].as_object().unwrap().len(),
            catalog.properties().count()
        );
    }
}
