//! The exploration engine: generates cases from a campaign number, runs them on every
//! core (each in a fresh madsim world on a fresh thread), judges them with the caller's
//! [`Catalog`] of properties, and shrinks a failing case to a minimal one with proptest's
//! value trees, then by removing steps.
//!
//! Case `i` of campaign `c` is generated from its own proptest RNG seeded with `(c, i)`,
//! so any case can be regenerated alone (`kata-dst replay --campaign c --case i`) and a
//! campaign's verdicts do not depend on how many workers ran it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use properties::{Catalog, Judgement};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use runtime_model::Profile;

use super::case::Case;
use super::plan::{Plan, Ran};
use super::strategy::{self, Shape};
use crate::fault::Swarm;
use crate::log::LogOutput;
use crate::pool::in_parallel_while;
use crate::run::{run_and_judge, Judged};

/// How many other madsim seeds a shrunk candidate must also fail with.
pub const ROBUSTNESS_SEEDS: u64 = 2;

/// Runs `case` (with its own madsim seed) on a fresh thread and judges it with `catalog`.
pub fn judge_case(
    case: &Case,
    profile: Profile,
    log: LogOutput,
    catalog: &Arc<Catalog>,
) -> Result<Judged> {
    run_and_judge(
        Arc::new(case.clone()),
        profile,
        case.madsim_seed,
        log,
        catalog.clone(),
    )
}

/// The verdicts of one case of a campaign.
#[derive(Clone, Debug)]
pub struct CaseVerdict {
    pub index: u64,
    pub judgement: Judgement,
    pub trace_hash: u64,
    /// Simulated node time the run took.
    pub sim_time: Duration,
}

/// A campaign: the generated cases of one campaign number and shape, run on one profile
/// and judged by one catalog of properties.
#[derive(Clone)]
pub struct Campaign {
    pub profile: Profile,
    pub shape: Shape,
    /// The campaign number: case `i` of campaign `c` is always the same case.
    pub number: u64,
    pub catalog: Arc<Catalog>,
    /// Worker threads.
    pub workers: usize,
    /// The campaign's fault mix, if its cases have faults.
    pub swarm: Option<Swarm>,
}

/// What decides that a campaign stops early.
pub type StopWhen<'a> = &'a (dyn Fn(&Judgement) -> bool + Sync);

impl Campaign {
    /// The built-in properties on `profile`, case shape `shape`, campaign `number`.
    pub fn new(profile: Profile, shape: Shape, number: u64, workers: usize) -> Campaign {
        Campaign {
            profile,
            shape,
            number,
            catalog: Arc::new(Catalog::builtin()),
            workers,
            swarm: None,
        }
    }

    /// The same campaign with faults in its cases, drawn by `swarm` (and the built-in
    /// catalog gains the failure paths' sometimes situations, if it is the built-in one).
    pub fn with_faults(self, swarm: Swarm) -> Campaign {
        Campaign {
            swarm: Some(swarm),
            ..self
        }
    }

    /// The same campaign judged by `catalog`.
    pub fn judged_by(self, catalog: Arc<Catalog>) -> Campaign {
        Campaign { catalog, ..self }
    }

    /// The value tree of case `index`.
    pub fn case_tree(&self, index: u64) -> Box<dyn ValueTree<Value = Case>> {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&self.number.to_le_bytes());
        key[8..16].copy_from_slice(&index.to_le_bytes());
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &key);
        let mut runner = TestRunner::new_with_rng(Config::default(), rng);
        let cases = match &self.swarm {
            None => strategy::case(self.shape).boxed(),
            Some(swarm) => strategy::case_with_faults(self.shape, swarm.clone()).boxed(),
        };
        cases
            .new_tree(&mut runner)
            .expect("case strategies never reject")
    }

    /// Case `index`.
    pub fn case(&self, index: u64) -> Case {
        self.case_tree(index).current()
    }

    /// Runs cases `0..cases`, `workers` at a time, and hands each verdict to `sink` as it
    /// comes (in no particular order). With `stop_when`, stops early once a case
    /// satisfies it; every case below the first (lowest-index) such case still runs.
    /// Returns that index, if any, or the first error a case ran into. Keeps nothing
    /// itself, so a long campaign runs in constant memory.
    pub fn drive(
        &self,
        cases: u64,
        stop_when: Option<StopWhen<'_>>,
        sink: &(dyn Fn(CaseVerdict) + Sync),
    ) -> Result<Option<u64>> {
        Ok(self
            .drive_plan(&Plan::first(cases), stop_when, sink)?
            .stopped_at)
    }

    /// [`Campaign::drive`] over the cases of `plan`: its shard's cases in index order, up
    /// to its bound, starting none once its budget is spent. The cases that ran are the
    /// shard's first [`Driven::ran`] (with `stop_when`, up to the first case that
    /// satisfied it); which they are never depends on the workers or the timing, only how
    /// many.
    pub fn drive_plan(
        &self,
        plan: &Plan,
        stop_when: Option<StopWhen<'_>>,
        sink: &(dyn Fn(CaseVerdict) + Sync),
    ) -> Result<Driven> {
        let deadline = plan.budget.map(|b| Instant::now() + b);
        let stop_at = AtomicU64::new(u64::MAX);
        let failed = Mutex::new(None);
        let shard = plan.shard;
        // No case past a stop, none that overflows the indices, and once the budget is
        // spent none at all (but always the first).
        let go_on = |k: u64| {
            shard
                .case_index(k)
                .is_some_and(|i| i <= stop_at.load(Ordering::Relaxed))
                && (k == 0 || deadline.is_none_or(|d| Instant::now() < d))
        };
        let handed_out = in_parallel_while(
            plan.most().unwrap_or(u64::MAX),
            self.workers,
            &go_on,
            &|k| {
                let i = shard.case_index(k).expect("handed-out indices fit");
                if i > stop_at.load(Ordering::Relaxed) {
                    return;
                }
                let case = self.case(i);
                match judge_case(&case, self.profile, LogOutput::Quiet, &self.catalog) {
                    Ok(Judged { run, judgement }) => {
                        if stop_when.is_some_and(|stop| stop(&judgement)) {
                            stop_at.fetch_min(i, Ordering::Relaxed);
                        }
                        sink(CaseVerdict {
                            index: i,
                            trace_hash: run.trace_hash,
                            judgement,
                            sim_time: run.sim_time,
                        });
                    }
                    Err(e) => {
                        failed.lock().unwrap().get_or_insert(e);
                        stop_at.store(0, Ordering::Relaxed);
                    }
                }
            },
        );
        if let Some(e) = failed.into_inner().unwrap() {
            return Err(e);
        }
        let stopped_at = Some(stop_at.into_inner()).filter(|&i| i != u64::MAX);
        let count = stopped_at.map_or(handed_out, |i| shard.cases_below(i + 1));
        Ok(Driven {
            ran: Ran { shard, count },
            stopped_at,
        })
    }

    /// [`Campaign::drive`], keeping the verdicts: in index order, up to the first case
    /// that satisfies `stop_when` (all of them without it).
    pub fn run(&self, cases: u64, stop_when: Option<StopWhen<'_>>) -> Result<Vec<CaseVerdict>> {
        Ok(self
            .run_plan(&Plan::first(cases), stop_when, &|_| {})?
            .verdicts)
    }

    /// [`Campaign::drive_plan`], keeping the verdicts as [`Campaign::run`] does, and
    /// showing each to `observe` as it comes.
    pub fn run_plan(
        &self,
        plan: &Plan,
        stop_when: Option<StopWhen<'_>>,
        observe: &(dyn Fn(&CaseVerdict) + Sync),
    ) -> Result<Planned> {
        let results = Mutex::new(Vec::new());
        let driven = self.drive_plan(plan, stop_when, &|v| {
            observe(&v);
            results.lock().unwrap().push(v)
        })?;
        let mut verdicts = results.into_inner().unwrap();
        verdicts.sort_by_key(|v| v.index);
        if let Some(limit) = driven.stopped_at {
            verdicts.retain(|v| v.index <= limit);
        }
        Ok(Planned {
            verdicts,
            ran: driven.ran,
        })
    }

    /// Shrinks case `index` (which violates `property`) to a smaller case that still
    /// violates it, running at most `max_runs` cases or for at most `budget` of wall
    /// time, whichever ends first.
    pub fn shrink(
        &self,
        index: u64,
        property: &str,
        max_runs: u64,
        budget: Duration,
    ) -> Result<Shrunk> {
        let (profile, campaign) = (self.profile, self.number);
        let started = Instant::now();
        let mut tree = self.case_tree(index);
        let runs = std::cell::Cell::new(0u64);
        let fails_with_seed = |case: &Case| -> Result<Option<Judgement>> {
            runs.set(runs.get() + 1);
            let j = judge_case(case, profile, LogOutput::Quiet, &self.catalog)?.judgement;
            Ok(j.violation(property).is_some().then_some(j))
        };
        // Shrinking pushes every time to the edge of its failing window. To keep a shrunk
        // case from hanging on how madsim breaks ties, a candidate counts as failing only if
        // it also fails with the next madsim seeds (when the original case does).
        let fails_with_next_seeds = |case: &Case| -> Result<bool> {
            for k in 1..=ROBUSTNESS_SEEDS {
                let other = Case {
                    madsim_seed: case.madsim_seed.wrapping_add(k),
                    ..case.clone()
                };
                if fails_with_seed(&other)?.is_none() {
                    return Ok(false);
                }
            }
            Ok(true)
        };
        let mut best_case = tree.current();
        let Some(mut best) = fails_with_seed(&best_case)? else {
            anyhow::bail!(
                "case {index} of campaign {campaign} does not violate {property} on {profile}"
            );
        };
        let robust = fails_with_next_seeds(&best_case)?;
        let fails = |case: &Case| -> Result<Option<Judgement>> {
            let Some(j) = fails_with_seed(case)? else {
                return Ok(None);
            };
            if robust && !fails_with_next_seeds(case)? {
                return Ok(None);
            }
            Ok(Some(j))
        };
        let more = || runs.get() < max_runs && started.elapsed() < budget;
        // proptest's shrinking loop: simplify while the case still fails, complicate when a
        // simplification lost the failure, until neither can move.
        let mut moved = tree.simplify();
        while moved && more() {
            let candidate = tree.current();
            moved = match fails(&candidate)? {
                Some(j) => {
                    best_case = candidate;
                    best = j;
                    tree.simplify()
                }
                None => tree.complicate(),
            };
        }
        // proptest removes each step once, early; a step that could only go once others had
        // shrunk is still there. Remove steps and lanes one at a time until none can go; then
        // pin every step to the time it really started (so removing one no longer moves the
        // rest of its lane) and remove again.
        let remove_steps =
            |mut best_case: Case, mut best: Judgement| -> Result<(Case, Judgement)> {
                let mut removed = true;
                while removed && more() {
                    removed = false;
                    for candidate in without_one_step(&best_case) {
                        if !more() {
                            break;
                        }
                        if let Some(j) = fails(&candidate)? {
                            best_case = candidate;
                            best = j;
                            removed = true;
                            break;
                        }
                    }
                }
                Ok((best_case, best))
            };
        (best_case, best) = remove_steps(best_case, best)?;
        runs.set(runs.get() + 1);
        let run = judge_case(&best_case, profile, LogOutput::Quiet, &self.catalog)?.run;
        let pinned = best_case.clone().pinned(&run.step_starts);
        if let Some(j) = fails(&pinned)? {
            (best_case, best) = remove_steps(pinned, j)?;
        }
        Ok(Shrunk {
            case: best_case,
            judgement: best,
            runs: runs.get(),
            took: started.elapsed(),
        })
    }
}

/// What [`Campaign::drive_plan`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Driven {
    /// The cases that ran: the plan's shard's first `ran.count`.
    pub ran: Ran,
    /// The first (lowest) case index that satisfied the stop condition, if any.
    pub stopped_at: Option<u64>,
}

/// What [`Campaign::run_plan`] did: the verdicts in index order, and which cases ran.
#[derive(Clone, Debug)]
pub struct Planned {
    pub verdicts: Vec<CaseVerdict>,
    pub ran: Ran,
}

/// A shrunk failing case.
#[derive(Clone, Debug)]
pub struct Shrunk {
    pub case: Case,
    pub judgement: Judgement,
    /// Simulation runs made while shrinking (every madsim seed a candidate is tried
    /// with counts).
    pub runs: u64,
    pub took: Duration,
}

/// Every case that is `case` without one of its lanes, one of its steps or one of its
/// faults, lanes first.
fn without_one_step(case: &Case) -> Vec<Case> {
    let mut out = Vec::new();
    for l in 0..case.lanes.len() {
        if case.lanes.len() > 1 {
            let mut c = case.clone();
            c.lanes.remove(l);
            out.push(c.fitted());
        }
    }
    for l in 0..case.lanes.len() {
        for s in 0..case.lanes[l].len() {
            let mut c = case.clone();
            c.lanes[l].remove(s);
            if c.lanes[l].is_empty() {
                c.lanes.remove(l);
            }
            if !c.lanes.is_empty() {
                out.push(c.fitted());
            }
        }
    }
    for f in 0..case.faults.len() {
        let mut c = case.clone();
        c.faults.remove(f);
        out.push(c.fitted());
    }
    out
}
