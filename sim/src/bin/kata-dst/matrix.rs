//! `kata-dst matrix`: one campaign on each profile, judged by every property.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use runtime_model::Profile;
use sim::explore::engine::CaseVerdict;
use sim::explore::plan::Shard;
use sim::matrix::run_matrix;

use crate::args::{workers, MatrixArgs};
use crate::output::usage;
use crate::progress::Progress;

/// Cases per profile when neither --cases nor PROPTEST_CASES says.
const DEFAULT_CASES: u64 = 500;

/// The bound on case indices: --cases, else none with --budget, else PROPTEST_CASES,
/// else the default.
fn cases(flag: Option<u64>, budget: bool) -> Result<Option<u64>> {
    if flag.is_some() || budget {
        return Ok(flag);
    }
    match std::env::var("PROPTEST_CASES") {
        Ok(v) => match v.parse::<u64>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => usage(format!(
                "PROPTEST_CASES={v:?} is not a count (valid: a whole number of at least 1)"
            )),
        },
        Err(_) => Ok(Some(DEFAULT_CASES)),
    }
}

pub fn matrix(args: MatrixArgs) -> Result<ExitCode> {
    let plan = args
        .slice
        .plan(cases(args.cases, args.slice.budget.is_some())?);
    let workers = workers(args.jobs);
    let profiles = if args.profile.is_empty() {
        Profile::EVERY.to_vec()
    } else {
        args.profile.clone()
    };
    let generation = args.generation();
    let mut catalog = generation.catalog(args.campaign);
    if !args.property.is_empty() {
        catalog = catalog.only(&args.property);
    }
    let catalog = Arc::new(catalog);
    if !args.json {
        let shard = match plan.shard {
            Shard::WHOLE => String::new(),
            s => format!(", shard {s}"),
        };
        let cases = plan.cases.map_or("generated cases".to_string(), |c| {
            format!("case indices below {c}")
        });
        let budget = plan.budget.map_or(String::new(), |b| {
            format!(" for {}", humantime::format_duration(b))
        });
        say!(
            "kata-dst matrix: campaign {}{}{shard}, {cases} on each profile{budget}, {workers} workers",
            args.campaign,
            generation.describe(args.campaign)
        );
    }
    let m = {
        let progress = Progress::start(plan.most().map(|n| n * profiles.len() as u64), plan.budget);
        let observe = |v: &CaseVerdict| progress.case(!v.judgement.violations.is_empty());
        run_matrix(
            &profiles,
            &generation,
            args.campaign,
            &plan,
            workers,
            &catalog,
            &observe,
        )?
    };
    if args.json {
        say!("{}", serde_json::to_string_pretty(&m)?);
    } else {
        say_raw!("{m}");
        let total = m.cases_per_profile * profiles.len() as u64;
        say!(
            "{total} cases in {:.2} s ({:.0} cases/s): on each profile {}; the same cases again: --campaign {} --shard {} --cases {}",
            m.wall.as_secs_f64(),
            total as f64 / m.wall.as_secs_f64().max(1e-9),
            m.ran(),
            args.campaign,
            m.shard,
            m.index_bound,
        );
        if let Some(c) = m.matrix.iter().find(|c| c.first_failure.is_some()) {
            say!(
                "Next: replay the first violation of {} on {} with\n  {}\nor shrink and save one with\n  cargo run --release -- explore --profile {} --property {}{}",
                c.property,
                c.profile,
                c.first_failure.as_deref().unwrap_or_default(),
                c.profile,
                c.property,
                generation.flags()
            );
        }
    }
    let never = m.never_reached();
    if !never.is_empty() {
        let names: Vec<String> = never
            .iter()
            .map(|c| format!("{} on {}", c.situation, c.profile))
            .collect();
        eprintln!(
            "error: never reached: {}; the campaign did not explore these races, so its passes prove nothing about them (raise --cases)",
            names.join(", ")
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
