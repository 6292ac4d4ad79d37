//! `kata-dst explore`: generate cases until one violates a property, shrink it, save it.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use properties::Judgement;
use serde_json::json;
use sim::corpus::{self, CaseFile};
use sim::explore::plan::{Plan, Shard};
use sim::replay::replay;
use sim::reproduce::{case_command, file_command};

use crate::args::{workers, ExploreArgs, PropertyChoice};
use crate::output::usage;
use crate::progress::Progress;

/// The wall-time budget of shrinking one failure.
const SHRINK_BUDGET: Duration = Duration::from_secs(10);
/// The most runs one shrink may make.
const SHRINK_RUNS: u64 = 5_000;
/// The bound on case indices when neither --cases nor --budget says.
const DEFAULT_CASES: u64 = 10_000;

/// Checks that `dir` can take a case file before any search: a case found and shrunk
/// must never be lost for want of a place to write it.
fn writable(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let probe = dir.join(".kata-dst-write-probe");
    std::fs::write(&probe, b"").map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

pub fn explore(args: ExploreArgs) -> Result<ExitCode> {
    if let Err(e) = writable(&args.out) {
        return usage(format!(
            "--out {}: {e} (valid: a directory kata-dst can create and write in)",
            args.out.display()
        ));
    }
    let generation = args.generation();
    let catalog = Arc::new(generation.catalog(args.campaign));
    let campaign = generation
        .campaign(args.profile, args.campaign, workers(args.jobs))
        .judged_by(catalog.clone());
    let target = match args.property {
        PropertyChoice::One(p) => Some(p),
        PropertyChoice::Any => None,
    };
    let cases = args
        .cases
        .or((args.slice.budget.is_none()).then_some(DEFAULT_CASES));
    let plan = args.slice.plan(cases);
    if !args.json {
        say!(
            "kata-dst explore: profile {}, stop at a violation of {}, campaign {}{}, {}, {} workers",
            args.profile,
            target.unwrap_or("any property"),
            args.campaign,
            generation.describe(args.campaign),
            describe(&plan),
            campaign.workers
        );
    }
    let stop = |j: &Judgement| match target {
        Some(p) => j.violation(p).is_some(),
        None => !j.violations.is_empty(),
    };
    let started = Instant::now();
    let planned = {
        let progress = Progress::start(plan.most(), plan.budget);
        campaign.run_plan(&plan, Some(&stop), &|v| progress.case(stop(&v.judgement)))?
    };
    let took = started.elapsed();
    let ran = planned.ran;
    let Some(found) = planned.verdicts.iter().find(|v| stop(&v.judgement)) else {
        if args.json {
            say!(
                "{}",
                json!({
                    "profile": args.profile,
                    "campaign": args.campaign,
                    "cases": ran.count,
                    "shard": ran.shard,
                    "index_bound": ran.bound(),
                    "found": null,
                })
            );
        } else {
            say!(
                "no violation in {ran}, {:.2} s ({:.0} cases/s); the same cases again: --campaign {} --shard {} --cases {}",
                took.as_secs_f64(),
                ran.count as f64 / took.as_secs_f64().max(1e-9),
                args.campaign,
                ran.shard,
                ran.bound(),
            );
        }
        return Ok(ExitCode::SUCCESS);
    };
    let property = target.unwrap_or(found.judgement.violations[0].property);
    let unshrunk = case_command(args.profile, args.campaign, found.index, &generation);
    let original = campaign.case(found.index);
    if !args.json {
        say!(
            "case {} violates {property} ({}, {:.0} ms); unshrunk: {unshrunk}",
            found.index,
            ran,
            took.as_secs_f64() * 1000.0,
        );
    }
    let shrunk = campaign.shrink(found.index, property, SHRINK_RUNS, SHRINK_BUDGET)?;
    if !args.json {
        say!(
            "shrunk from {} to {} client calls in {} runs ({:.0} ms)",
            original.op_count(),
            shrunk.case.op_count(),
            shrunk.runs,
            shrunk.took.as_secs_f64() * 1000.0
        );
    }
    let title = format!(
        "{property} violated on {} (kata-dst explore, campaign {} case {}, shrunk)",
        args.profile, args.campaign, found.index
    );
    let file = corpus::record(shrunk.case.clone(), property, args.profile, title, &catalog)?;
    let path = match file.save(&args.out) {
        Ok(path) => path,
        Err(e) => return Ok(lost(&file, &e.to_string())),
    };
    let again = file_command(&path, None);
    if args.json {
        say!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "profile": args.profile,
                "campaign": args.campaign,
                "cases": ran.count,
                "shard": ran.shard,
                "index_bound": ran.bound(),
                "found": {
                    "index": found.index,
                    "property": property,
                    "unshrunk": unshrunk,
                    "calls": original.op_count(),
                    "shrunk_calls": shrunk.case.op_count(),
                    "verdicts": file.expect,
                    "file": path,
                    "replay": again,
                }
            }))?
        );
        return Ok(ExitCode::FAILURE);
    }
    let seed = file.case.madsim_seed;
    let replayed = replay(
        Arc::new(file.case.clone()),
        args.profile,
        seed,
        catalog,
        Some(property),
        false,
    )?;
    say_raw!("\n{replayed}");
    let verdicts: Vec<String> = file
        .expect
        .iter()
        .map(|(p, e)| format!("{p} {e}"))
        .collect();
    say!(
        "\nverdict of {property} on each profile: {}",
        verdicts.join(", ")
    );
    say!("saved: {}", path.display());
    say!("replay: {again}");
    Ok(ExitCode::FAILURE)
}

/// The cases a plan takes, for the header: `up to 10000 cases`, `shard 2/4 of case
/// indices below 10000`, `... for 5m`.
fn describe(plan: &Plan) -> String {
    let mut text = match (plan.shard == Shard::WHOLE, plan.cases) {
        (true, Some(c)) => format!("up to {c} cases"),
        (true, None) => "cases".to_string(),
        (false, Some(c)) => format!("shard {} of case indices below {c}", plan.shard),
        (false, None) => format!("shard {} of the cases", plan.shard),
    };
    if let Some(b) = plan.budget {
        text += &format!(" for {}", humantime::format_duration(b));
    }
    text
}

/// The case file could not be written after all: print it whole, so it is not lost.
fn lost(file: &CaseFile, why: &str) -> ExitCode {
    eprintln!("error: {why}; the case file follows on stdout: save it as {} and replay it with `cargo run --release -- replay <file>`", file.file_name());
    say!(
        "{}",
        serde_json::to_string_pretty(file).expect("case files serialize")
    );
    ExitCode::FAILURE
}
