//! The generated-case commands: `explore`, `matrix` and `replay` of a seed file or of a
//! generated case.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use runtime_model::Profile;
use sim::corpus::{self, Expect, Seed};
use sim::explore::engine::{case_at, run_campaign, shrink};
use sim::explore::replay::replay_case;
use sim::explore::strategy::Shape;
use sim::matrix;
use sim::report::{case_replay_command, file_replay_command};
use sim::runner::default_workers;

use crate::{ExploreArgs, MatrixArgs};

/// Cases per profile of `kata-dst matrix` when neither --seeds nor PROPTEST_CASES says.
const DEFAULT_MATRIX_CASES: u64 = 500;
/// The wall-time budget of shrinking one failure.
const SHRINK_BUDGET: Duration = Duration::from_secs(10);
/// The most cases one shrink may run.
const SHRINK_RUNS: u64 = 5_000;

fn workers(jobs: Option<u64>) -> usize {
    jobs.map_or_else(default_workers, |j| j as usize)
}

pub fn explore(args: ExploreArgs) -> Result<ExitCode> {
    let shape = Shape {
        shim_calls: !args.tasks_only,
        ..Shape::default()
    };
    let workers = workers(args.jobs);
    let target = args.property.as_deref();
    say!(
        "kata-dst explore: profile {}, stop at a violation of {}, campaign {}, up to {} cases, {} workers",
        args.profile,
        target.unwrap_or("any property"),
        args.campaign,
        args.cases,
        workers
    );
    let stop = |j: &sim::explore::judge::Judgement| match target {
        Some(p) => j.violation(p).is_some(),
        None => !j.violations.is_empty(),
    };
    let started = std::time::Instant::now();
    let verdicts = run_campaign(
        args.profile,
        shape,
        args.campaign,
        args.cases,
        workers,
        Some(&stop),
    )?;
    let took = started.elapsed();
    let Some(found) = verdicts.iter().find(|v| stop(&v.judgement)) else {
        say!(
            "no violation in {} cases ({:.2} s, {:.0} cases/s)",
            verdicts.len(),
            took.as_secs_f64(),
            verdicts.len() as f64 / took.as_secs_f64().max(1e-9)
        );
        return Ok(ExitCode::SUCCESS);
    };
    let property = target.unwrap_or(found.judgement.violations[0].property);
    let original = case_at(shape, args.campaign, found.index);
    say!(
        "case {} violates {property} ({} cases, {:.0} ms); unshrunk: {}",
        found.index,
        found.index + 1,
        took.as_secs_f64() * 1000.0,
        case_replay_command(
            args.profile.name,
            args.campaign,
            found.index,
            args.tasks_only
        )
    );
    let shrunk = shrink(
        args.profile,
        shape,
        args.campaign,
        found.index,
        property,
        SHRINK_RUNS,
        SHRINK_BUDGET,
    )?;
    say!(
        "shrunk from {} to {} client calls in {} runs ({:.0} ms)",
        original.op_count(),
        shrunk.case.op_count(),
        shrunk.runs,
        shrunk.took.as_secs_f64() * 1000.0
    );
    let title = format!(
        "{property} violated on {} (kata-dst explore, campaign {} case {}, shrunk)",
        args.profile, args.campaign, found.index
    );
    let seed = corpus::record(shrunk.case.clone(), property, args.profile, title)?;
    let path = seed.save(&args.out)?;
    let replayed = replay_case(&shrunk.case, args.profile, Some(property))?;
    say_raw!("\n{}", replayed.report);
    say!(
        "\nverdict of {property} on each profile: {}",
        expectations(&seed)
    );
    say!("saved: {}", path.display());
    say!("replay: {}", file_replay_command(&path));
    Ok(ExitCode::FAILURE)
}

fn expectations(seed: &Seed) -> String {
    seed.expect
        .iter()
        .map(|(p, e)| format!("{p} {e}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn replay_file(path: &Path, profile: Option<Profile>) -> Result<ExitCode> {
    let seed = match Seed::load(path) {
        Ok(seed) => seed,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let profile = profile.unwrap_or_else(|| seed.profile());
    say!("kata-dst replay {}: {}", path.display(), seed.title);
    let replayed = replay_case(&seed.case, profile, Some(&seed.property))?;
    say_raw!("{}", replayed.report);
    let got = if replayed.judgement.violation(&seed.property).is_some() {
        Expect::Violates
    } else {
        Expect::Passes
    };
    let code = match seed.expect.get(profile.name) {
        Some(&want) if want == got => {
            say!("\nas recorded: {} {got} on {profile}", seed.property);
            ExitCode::SUCCESS
        }
        Some(&want) => {
            say!(
                "\nDIFFERS from the record: {} {got} on {profile}, recorded {want}",
                seed.property
            );
            ExitCode::FAILURE
        }
        None => {
            say!(
                "\n{} {got} on {profile} (no verdict recorded for it)",
                seed.property
            );
            ExitCode::SUCCESS
        }
    };
    say!("recorded: {}", expectations(&seed));
    say!("replay again: {}", file_replay_command(path));
    Ok(code)
}

pub fn replay_generated(
    profile: Profile,
    campaign: u64,
    index: u64,
    tasks_only: bool,
) -> Result<ExitCode> {
    let shape = Shape {
        shim_calls: !tasks_only,
        ..Shape::default()
    };
    let case = case_at(shape, campaign, index);
    say!("kata-dst replay: campaign {campaign} case {index}");
    let replayed = replay_case(&case, profile, None)?;
    say_raw!("{}", replayed.report);
    say!(
        "replay again: {}",
        case_replay_command(profile.name, campaign, index, tasks_only)
    );
    Ok(ExitCode::SUCCESS)
}

/// Cases per profile: --seeds, else PROPTEST_CASES, else the default.
fn matrix_cases(seeds: Option<u64>) -> Result<u64> {
    if let Some(n) = seeds {
        return Ok(n);
    }
    match std::env::var("PROPTEST_CASES") {
        Ok(v) => v.parse::<u64>().ok().filter(|&n| n >= 1).ok_or_else(|| {
            anyhow::anyhow!(
                "PROPTEST_CASES={v:?} is not a count (valid: a whole number of at least 1)"
            )
        }),
        Err(_) => Ok(DEFAULT_MATRIX_CASES),
    }
}

pub fn matrix(args: MatrixArgs) -> Result<ExitCode> {
    let cases = matrix_cases(args.seeds)?;
    let workers = workers(args.jobs);
    if !args.json {
        say!(
            "kata-dst matrix: campaign {}, {cases} generated cases per profile, {workers} workers",
            args.campaign
        );
    }
    let m = matrix::run_matrix(
        &Profile::ALL,
        Shape::default(),
        args.campaign,
        cases,
        workers,
    )?;
    if args.json {
        say!("{}", matrix::json(&m));
    } else {
        say_raw!("{}", matrix::table(&m));
        let total = cases * Profile::ALL.len() as u64;
        say!(
            "{total} cases in {:.2} s ({:.0} cases/s).",
            m.wall.as_secs_f64(),
            total as f64 / m.wall.as_secs_f64().max(1e-9)
        );
        if let Some(c) = m.matrix.iter().find(|c| c.first_failure.is_some()) {
            say!(
                "Next: replay the first violation of {} on {} with\n  {}\nor shrink and save one with\n  cargo run --release -- explore --profile {} --property {}",
                c.property,
                c.profile,
                c.first_failure.as_deref().unwrap_or_default(),
                c.profile,
                c.property
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
            "error: never reached: {}; the campaign did not explore these races, so its passes prove nothing about them (raise --seeds)",
            names.join(", ")
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
