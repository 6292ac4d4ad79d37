//! The profile x property matrix: one campaign of generated cases on each profile,
//! judged by a catalog of properties, with the first failing case of each cell and how
//! often each sometimes situation was reached.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use properties::Catalog;
use runtime_model::Profile;
use serde::Serialize;

use crate::explore::engine::CaseVerdict;
use crate::explore::generation::Generation;
use crate::explore::plan::{Plan, Ran, Shard};
use crate::fault::Swarm;
use crate::reproduce::case_command as case_replay_command;

/// One cell: a property on a profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub profile: Profile,
    pub property: &'static str,
    pub cases: u64,
    pub violations: u64,
    /// The command replaying the first (lowest-index) violating case, if any.
    pub first_failure: Option<String>,
}

/// How often a sometimes situation was reached on a profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub profile: Profile,
    pub situation: &'static str,
    pub cases: u64,
    pub hits: u64,
}

/// The whole matrix. Its `Display` is the table; it serializes as the `--json` document.
#[derive(Clone, Debug, Serialize)]
pub struct Matrix {
    pub campaign: u64,
    /// The shard of the campaign's case indices that ran (`1/1`: all of them).
    pub shard: Shard,
    /// The cases that ran on each profile: the shard's case indices below `index_bound`.
    pub cases_per_profile: u64,
    /// With `--shard`, the `--cases` that runs exactly these cases again.
    pub index_bound: u64,
    pub tasks_only: bool,
    /// The campaign's fault mix, if its cases have faults.
    pub swarm: Option<Swarm>,
    pub matrix: Vec<Cell>,
    pub sometimes: Vec<Coverage>,
    #[serde(skip)]
    pub wall: Duration,
}

impl Matrix {
    /// The cases that ran on each profile.
    pub fn ran(&self) -> Ran {
        Ran {
            shard: self.shard,
            count: self.cases_per_profile,
        }
    }

    /// The cell of `property` on `profile`.
    pub fn cell(&self, profile: Profile, property: &str) -> Option<&Cell> {
        self.matrix
            .iter()
            .find(|c| c.profile == profile && c.property == property)
    }

    /// The situations some profile's campaign never reached.
    pub fn never_reached(&self) -> Vec<&Coverage> {
        self.sometimes.iter().filter(|c| c.hits == 0).collect()
    }
}

/// Runs the cases of `plan` of campaign `campaign` (generated with `generation`'s
/// options) on every profile in `profiles`, judged by `catalog`, showing each verdict to
/// `observe` as it comes.
///
/// Every profile runs the same cases. With a budget, the first profile runs for its
/// share of it (the budget over the number of profiles) and the others then run exactly
/// the cases the first one ran.
pub fn run_matrix(
    profiles: &[Profile],
    generation: &Generation,
    campaign: u64,
    plan: &Plan,
    workers: usize,
    catalog: &Arc<Catalog>,
    observe: &(dyn Fn(&CaseVerdict) + Sync),
) -> Result<Matrix> {
    let started = std::time::Instant::now();
    let mut matrix = Vec::new();
    let mut sometimes = Vec::new();
    let mut plan = Plan {
        budget: plan.budget.map(|b| b / profiles.len().max(1) as u32),
        ..*plan
    };
    let mut ran = Ran {
        shard: plan.shard,
        count: 0,
    };
    for &profile in profiles {
        let planned = generation
            .campaign(profile, campaign, workers)
            .judged_by(catalog.clone())
            .run_plan(&plan, None, observe)?;
        let verdicts = planned.verdicts;
        ran = planned.ran;
        plan = Plan {
            cases: Some(ran.bound()),
            budget: None,
            ..plan
        };
        let cases = ran.count;
        for p in catalog.properties() {
            let property = p.name();
            let failing: Vec<u64> = verdicts
                .iter()
                .filter(|v| v.judgement.violation(property).is_some())
                .map(|v| v.index)
                .collect();
            matrix.push(Cell {
                profile,
                property,
                cases,
                violations: failing.len() as u64,
                first_failure: failing
                    .first()
                    .map(|&i| case_replay_command(profile, campaign, i, generation)),
            });
        }
        for s in catalog.sometimes() {
            let situation = s.name();
            sometimes.push(Coverage {
                profile,
                situation,
                cases,
                hits: verdicts
                    .iter()
                    .filter(|v| v.judgement.hits.contains(&situation))
                    .count() as u64,
            });
        }
    }
    Ok(Matrix {
        campaign,
        shard: ran.shard,
        cases_per_profile: ran.count,
        index_bound: ran.bound(),
        tasks_only: generation.tasks_only,
        swarm: generation.swarm(campaign),
        matrix,
        sometimes,
        wall: started.elapsed(),
    })
}

impl fmt::Display for Matrix {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            out,
            "{:<17} {:<38} {:>7} {:>10}  first failure (replay command)",
            "profile", "property", "cases", "violations"
        )?;
        for c in &self.matrix {
            writeln!(
                out,
                "{:<17} {:<38} {:>7} {:>10}  {}",
                c.profile,
                c.property,
                c.cases,
                c.violations,
                c.first_failure.as_deref().unwrap_or("-")
            )?;
        }
        if self.sometimes.is_empty() {
            return Ok(());
        }
        writeln!(out, "\nsometimes situations (cases that reached them):")?;
        writeln!(
            out,
            "{:<17} {:<38} {:>7} {:>10}",
            "profile", "situation", "cases", "hit rate"
        )?;
        for s in &self.sometimes {
            let rate = format!("{:.1}%", 100.0 * s.hits as f64 / s.cases.max(1) as f64);
            let never = if s.hits == 0 { "  NEVER REACHED" } else { "" };
            writeln!(
                out,
                "{:<17} {:<38} {:>7} {:>10}{never}",
                s.profile, s.situation, s.cases, rate
            )?;
        }
        Ok(())
    }
}
