//! `kata-dst matrix`: one campaign on each profile, judged by every property.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use properties::Catalog;
use runtime_model::Profile;
use sim::explore::strategy::Shape;
use sim::matrix::run_matrix;

use crate::args::{workers, MatrixArgs};
use crate::output::usage;

/// Cases per profile when neither --cases nor PROPTEST_CASES says.
const DEFAULT_CASES: u64 = 500;

/// Cases per profile: --cases, else PROPTEST_CASES, else the default.
fn cases(flag: Option<u64>) -> Result<u64> {
    if let Some(n) = flag {
        return Ok(n);
    }
    match std::env::var("PROPTEST_CASES") {
        Ok(v) => match v.parse::<u64>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => usage(format!(
                "PROPTEST_CASES={v:?} is not a count (valid: a whole number of at least 1)"
            )),
        },
        Err(_) => Ok(DEFAULT_CASES),
    }
}

pub fn matrix(args: MatrixArgs) -> Result<ExitCode> {
    let cases = cases(args.cases)?;
    let workers = workers(args.jobs);
    let profiles = if args.profile.is_empty() {
        Profile::EVERY.to_vec()
    } else {
        args.profile.clone()
    };
    let mut catalog = Catalog::builtin();
    if !args.property.is_empty() {
        catalog = catalog.only(&args.property);
    }
    let catalog = Arc::new(catalog);
    let shape = Shape {
        shim_calls: !args.tasks_only,
        ..Shape::default()
    };
    if !args.json {
        say!(
            "kata-dst matrix: campaign {}{}, {cases} generated cases per profile, {workers} workers",
            args.campaign,
            if args.tasks_only { " (tasks only)" } else { "" }
        );
    }
    let m = run_matrix(&profiles, shape, args.campaign, cases, workers, &catalog)?;
    if args.json {
        say!("{}", serde_json::to_string_pretty(&m)?);
    } else {
        say_raw!("{m}");
        let total = cases * profiles.len() as u64;
        say!(
            "{total} cases in {:.2} s ({:.0} cases/s).",
            m.wall.as_secs_f64(),
            total as f64 / m.wall.as_secs_f64().max(1e-9)
        );
        if let Some(c) = m.matrix.iter().find(|c| c.first_failure.is_some()) {
            say!(
                "Next: replay the first violation of {} on {} with\n  {}\nor shrink and save one with\n  cargo run --release -- explore --profile {} --property {}{}",
                c.property,
                c.profile,
                c.first_failure.as_deref().unwrap_or_default(),
                c.profile,
                c.property,
                if args.tasks_only { " --tasks-only" } else { "" }
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
