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
        "\nthe article scenario (3 pods x 2 containers, 150 loops, judged by every property)"
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
