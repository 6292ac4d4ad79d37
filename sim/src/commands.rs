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

use crate::{BenchArgs, ExploreArgs, MatrixArgs};

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
    let target = (args.property != "any").then_some(args.property.as_str());
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

pub fn bench(args: BenchArgs) -> Result<ExitCode> {
    use sim::bench::{self, BenchReport, Spread};
    let all = workers(args.jobs);
    let note = |what: &str| {
        if !args.json {
            eprintln!("bench: {what}...");
        }
    };
    let mut r = BenchReport {
        workers: all,
        ..BenchReport::default()
    };
    // The long campaign first: the peak resident set it reports is then its own.
    note(&format!("long campaign of {} cases", args.long));
    r.long_campaign_cases = args.long;
    (
        r.long_campaign_cases_per_sec,
        r.peak_rss_mb,
        r.rss_growth_pct,
    ) = bench::long_campaign(args.long, all)?;
    note("generated cases on 1 core");
    r.generated_cases_per_sec_1core = bench::exploration_speed((args.cases / 2).max(1), 1)?.0;
    note("generated cases on all cores");
    (r.generated_cases_per_sec_all, r.sim_speedup) = bench::exploration_speed(args.cases, all)?;
    note("time to the first #12336 violation from a cold exploration");
    let found = bench::first_violations(args.starts, all)?;
    r.ms_to_first_violation = Spread::of(found.iter().map(|f| f.ms).collect());
    r.ms_to_first_violation_median = r.ms_to_first_violation.median;
    r.cases_to_first_violation = Spread::of(found.iter().map(|f| (f.index + 1) as f64).collect());
    note("shrinking those violations");
    let (shrink_ms, shrunk_calls) = bench::shrinks(&found[..found.len().min(5)])?;
    r.shrink = Spread::of(shrink_ms);
    r.shrink_ms = r.shrink.median;
    r.shrunk_calls = Spread::of(shrunk_calls);
    note("article seeds");
    let exe = std::env::current_exe()?;
    r.article_seeds_per_sec_1core =
        bench::article_speed(&exe, (args.article_seeds / 2).max(1), 1)?.0;
    (r.article_seeds_per_sec_all, r.article_sim_speedup) =
        bench::article_speed(&exe, args.article_seeds, all)?;
    note("article time to the first error");
    r.article_ms_to_first_error = Spread::of(bench::article_first_errors(args.starts, all)?);
    r.article_ms_to_first_error_median = r.article_ms_to_first_error.median;
    if args.stress_runs > 0 {
        note("real-time stress method (building it without --cfg madsim first)");
        let runs = u32::try_from(args.stress_runs).unwrap_or(u32::MAX);
        let stress = Spread::of(bench::stress(runs)?);
        r.stress_ms_to_first_error_median = Some(stress.median);
        r.detection_ratio = Some(stress.median / r.ms_to_first_violation_median.max(1e-9));
        r.stress_ms_to_first_error = Some(stress);
    }
    if args.json {
        say!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        say_raw!("{}", bench_table(&r));
    }
    Ok(ExitCode::SUCCESS)
}

fn bench_table(r: &sim::bench::BenchReport) -> String {
    use std::fmt::Write;
    let spread = |s: &sim::bench::Spread| {
        format!(
            "median {:.1}, min {:.1}, max {:.1} (n={})",
            s.median, s.min, s.max, s.n
        )
    };
    let opt = |v: Option<f64>, unit: &str| v.map_or("n/a".to_string(), |v| format!("{v:.1}{unit}"));
    let mut o = String::new();
    let _ = writeln!(
        o,
        "kata-dst bench ({} workers for \"all cores\")",
        r.workers
    );
    let _ = writeln!(o, "\nexploration (generated cases, rs-3.24)");
    let _ = writeln!(
        o,
        "  cases/s, 1 core            {:>10.0}",
        r.generated_cases_per_sec_1core
    );
    let _ = writeln!(
        o,
        "  cases/s, all cores         {:>10.0}",
        r.generated_cases_per_sec_all
    );
    let _ = writeln!(o, "  simulated s per wall s     {:>10.0}", r.sim_speedup);
    let _ = writeln!(o, "  long campaign              {:>10} cases at {:.0} cases/s, peak RSS {}, growth after warm-up {}", r.long_campaign_cases, r.long_campaign_cases_per_sec, opt(r.peak_rss_mb, " MB"), opt(r.rss_growth_pct, "%"));
    let _ = writeln!(
        o,
        "\nthe article scenario (3 pods x 2 containers, 150 loops, a process per seed)"
    );
    let _ = writeln!(
        o,
        "  seeds/s, 1 core            {:>10.2}",
        r.article_seeds_per_sec_1core
    );
    let _ = writeln!(
        o,
        "  seeds/s, all cores         {:>10.2}",
        r.article_seeds_per_sec_all
    );
    let _ = writeln!(
        o,
        "  simulated s per wall s     {:>10.1}",
        r.article_sim_speedup
    );
    let _ = writeln!(
        o,
        "\ntime to the first #12336 error on rs-3.24, side by side (ms)"
    );
    let _ = writeln!(
        o,
        "  kata-dst explore (cold)    {}; {} cases",
        spread(&r.ms_to_first_violation),
        spread(&r.cases_to_first_violation).replace(".0", "")
    );
    let _ = writeln!(
        o,
        "  kata-dst article seed      {}",
        spread(&r.article_ms_to_first_error)
    );
    match &r.stress_ms_to_first_error {
        Some(s) => {
            let _ = writeln!(o, "  real-time stress method    {}", spread(s));
            let _ = writeln!(
                o,
                "  detection ratio            {:>10.0}x (stress median / explore median)",
                r.detection_ratio.unwrap_or_default()
            );
        }
        None => {
            let _ = writeln!(o, "  real-time stress method    skipped (--stress-runs 0)");
        }
    }
    let _ = writeln!(
        o,
        "\nshrinking that violation: {} ms; to {} calls",
        spread(&r.shrink),
        spread(&r.shrunk_calls).replace(".0", "")
    );
    o
}
