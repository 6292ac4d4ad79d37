//! The profile x property matrix: generated cases on every profile, judged by every
//! property, with the first failing case of each cell and how often each sometimes
//! situation was reached.

use std::fmt::Write;
use std::time::Duration;

use anyhow::Result;
use runtime_model::Profile;
use serde::Serialize;

use crate::explore::engine::run_campaign;
use crate::explore::judge::{property_names, sometimes_names};
use crate::explore::strategy::Shape;
use crate::report::case_replay_command;

/// One cell: a property on a profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub profile: String,
    pub property: String,
    pub cases: u64,
    pub violations: u64,
    /// The command replaying the first (lowest-index) violating case, if any.
    pub first_failure: Option<String>,
}

/// How often a sometimes situation was reached on a profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub profile: String,
    pub situation: String,
    pub cases: u64,
    pub hits: u64,
}

/// The whole matrix.
#[derive(Clone, Debug, Serialize)]
pub struct Matrix {
    pub campaign: u64,
    pub cases_per_profile: u64,
    pub matrix: Vec<Cell>,
    pub sometimes: Vec<Coverage>,
    #[serde(skip)]
    pub wall: Duration,
}

impl Matrix {
    /// The cell of `property` on `profile`.
    pub fn cell(&self, profile: &str, property: &str) -> Option<&Cell> {
        self.matrix
            .iter()
            .find(|c| c.profile == profile && c.property == property)
    }

    /// The situations some profile's campaign never reached.
    pub fn never_reached(&self) -> Vec<&Coverage> {
        self.sometimes.iter().filter(|c| c.hits == 0).collect()
    }
}

/// Runs cases `0..cases` of `campaign` on every profile in `profiles`.
pub fn run_matrix(
    profiles: &[Profile],
    shape: Shape,
    campaign: u64,
    cases: u64,
    workers: usize,
) -> Result<Matrix> {
    let started = std::time::Instant::now();
    let mut matrix = Vec::new();
    let mut sometimes = Vec::new();
    for &profile in profiles {
        let verdicts = run_campaign(profile, shape, campaign, cases, workers, None)?;
        for property in property_names() {
            let failing: Vec<u64> = verdicts
                .iter()
                .filter(|v| v.judgement.violation(property).is_some())
                .map(|v| v.index)
                .collect();
            matrix.push(Cell {
                profile: profile.name.to_string(),
                property: property.to_string(),
                cases,
                violations: failing.len() as u64,
                first_failure: failing
                    .first()
                    .map(|&i| case_replay_command(profile.name, campaign, i, !shape.shim_calls)),
            });
        }
        for situation in sometimes_names() {
            sometimes.push(Coverage {
                profile: profile.name.to_string(),
                situation: situation.to_string(),
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
        cases_per_profile: cases,
        matrix,
        sometimes,
        wall: started.elapsed(),
    })
}

/// The matrix as a table for a terminal.
pub fn table(m: &Matrix) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<17} {:<38} {:>7} {:>10}  first failure (replay command)",
        "profile", "property", "cases", "violations"
    );
    for c in &m.matrix {
        let _ = writeln!(
            out,
            "{:<17} {:<38} {:>7} {:>10}  {}",
            c.profile,
            c.property,
            c.cases,
            c.violations,
            c.first_failure.as_deref().unwrap_or("-")
        );
    }
    let _ = writeln!(out, "\nsometimes situations (cases that reached them):");
    let _ = writeln!(
        out,
        "{:<17} {:<38} {:>7} {:>10}",
        "profile", "situation", "cases", "hit rate"
    );
    for s in &m.sometimes {
        let rate = format!("{:.1}%", 100.0 * s.hits as f64 / s.cases.max(1) as f64);
        let never = if s.hits == 0 { "  NEVER REACHED" } else { "" };
        let _ = writeln!(
            out,
            "{:<17} {:<38} {:>7} {:>10}{never}",
            s.profile, s.situation, s.cases, rate
        );
    }
    out
}

/// The matrix as one JSON document: `matrix` holds one object per cell with the keys
/// `profile`, `property`, `cases`, `violations`, `first_failure`.
pub fn json(m: &Matrix) -> String {
    serde_json::to_string_pretty(m).expect("the matrix serializes")
}
