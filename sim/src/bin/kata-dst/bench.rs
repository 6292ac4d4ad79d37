//! `kata-dst bench`: the benchmark's figures, as a table or one JSON object.

use std::process::ExitCode;

use anyhow::Result;

use crate::args::{workers, BenchArgs};

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
    r.article_seeds_per_sec_1core = bench::article_speed((args.article_seeds / 2).max(1), 1)?.0;
    (r.article_seeds_per_sec_all, r.article_sim_speedup) =
        bench::article_speed(args.article_seeds, all)?;
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
        say_raw!("{r}");
    }
    Ok(ExitCode::SUCCESS)
}
