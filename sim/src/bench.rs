//! The benchmark: how fast kata-dst explores, how soon it finds #12336, and how that
//! compares with the real-time stress method a runtime-rs developer has today.
//!
//! Every figure is measured on the wall clock of this machine, in this run; nothing here
//! feeds a verdict. Memory is read from `/proc/self/status` (Linux).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use runtime_model::Profile;
use serde::Serialize;

use properties::{Catalog, Judgement};

use crate::batch::run_batch;
use crate::explore::engine::Campaign;
use crate::explore::strategy::Shape;
use crate::log::LogOutput;
use crate::pool::{in_parallel, on_fresh_thread};
use crate::recorder::LogTally;
use crate::run::run_tallied;
use crate::scenario::Builtin;

/// The mission property, whose first violation the benchmark times.
pub const MISSION: &str = "state_never_errors_for_known_id";

/// Median, spread and count of a sample, in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

impl Spread {
    pub fn of(mut ms: Vec<f64>) -> Spread {
        if ms.is_empty() {
            return Spread::default();
        }
        ms.sort_by(f64::total_cmp);
        let n = ms.len();
        let median = if n % 2 == 1 {
            ms[n / 2]
        } else {
            (ms[n / 2 - 1] + ms[n / 2]) / 2.0
        };
        Spread {
            median,
            min: ms[0],
            max: ms[n - 1],
            n,
        }
    }
}

/// Everything `kata-dst bench --json` prints.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BenchReport {
    pub workers: usize,
    pub generated_cases_per_sec_1core: f64,
    pub generated_cases_per_sec_all: f64,
    pub article_seeds_per_sec_1core: f64,
    pub article_seeds_per_sec_all: f64,
    /// Simulated node time per wall second, generated cases on all cores.
    pub sim_speedup: f64,
    /// Simulated node time per wall second, article seeds on all cores.
    pub article_sim_speedup: f64,
    pub long_campaign_cases: u64,
    pub long_campaign_cases_per_sec: f64,
    /// The process's peak resident set at the end of the long campaign (which the
    /// benchmark runs first, so nothing before it raised the peak).
    pub peak_rss_mb: Option<f64>,
    /// Growth of the resident set from 10% of the long campaign to its end.
    pub rss_growth_pct: Option<f64>,
    pub ms_to_first_violation_median: f64,
    pub ms_to_first_violation: Spread,
    pub cases_to_first_violation: Spread,
    pub article_ms_to_first_error_median: f64,
    pub article_ms_to_first_error: Spread,
    pub stress_ms_to_first_error_median: Option<f64>,
    pub stress_ms_to_first_error: Option<Spread>,
    /// The stress method's median time to the first error over kata-dst's median time
    /// to the first violation.
    pub detection_ratio: Option<f64>,
    pub shrink_ms: f64,
    pub shrink: Spread,
    pub shrunk_calls: Spread,
}

/// The report as a table for a terminal.
impl std::fmt::Display for BenchReport {
    fn fmt(&self, o: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self;
        let spread = |s: &Spread| {
            format!(
                "median {:.1}, min {:.1}, max {:.1} (n={})",
                s.median, s.min, s.max, s.n
            )
        };
        let opt =
            |v: Option<f64>, unit: &str| v.map_or("n/a".to_string(), |v| format!("{v:.1}{unit}"));
        writeln!(
            o,
            "kata-dst bench ({} workers for \"all cores\")",
            r.workers
        )?;
        writeln!(o, "\nexploration (generated cases, rs-3.24)")?;
        writeln!(
            o,
            "  cases/s, 1 core            {:>10.0}",
            r.generated_cases_per_sec_1core
        )?;
        writeln!(
            o,
            "  cases/s, all cores         {:>10.0}",
            r.generated_cases_per_sec_all
        )?;
        writeln!(o, "  simulated s per wall s     {:>10.0}", r.sim_speedup)?;
        writeln!(o, "  long campaign              {:>10} cases at {:.0} cases/s, peak RSS {}, growth after warm-up {}", r.long_campaign_cases, r.long_campaign_cases_per_sec, opt(r.peak_rss_mb, " MB"), opt(r.rss_growth_pct, "%"))?;
        writeln!(
            o,
            "\nthe article scenario (3 pods x 2 containers, 150 loops, judged by every property)"
        )?;
        writeln!(
            o,
            "  seeds/s, 1 core            {:>10.2}",
            r.article_seeds_per_sec_1core
        )?;
        writeln!(
            o,
            "  seeds/s, all cores         {:>10.2}",
            r.article_seeds_per_sec_all
        )?;
        writeln!(
            o,
            "  simulated s per wall s     {:>10.1}",
            r.article_sim_speedup
        )?;
        writeln!(
            o,
            "\ntime to the first #12336 error on rs-3.24, side by side (ms)"
        )?;
        writeln!(
            o,
            "  kata-dst explore (cold)    {}; {} cases",
            spread(&r.ms_to_first_violation),
            spread(&r.cases_to_first_violation).replace(".0", "")
        )?;
        writeln!(
            o,
            "  kata-dst article seed      {}",
            spread(&r.article_ms_to_first_error)
        )?;
        match &r.stress_ms_to_first_error {
            Some(s) => {
                writeln!(o, "  real-time stress method    {}", spread(s))?;
                writeln!(
                    o,
                    "  detection ratio            {:>10.0}x (stress median / explore median)",
                    r.detection_ratio.unwrap_or_default()
                )?;
            }
            None => {
                writeln!(o, "  real-time stress method    skipped (--stress-runs 0)")?;
            }
        }
        writeln!(
            o,
            "\nshrinking that violation: {} ms; to {} calls",
            spread(&r.shrink),
            spread(&r.shrunk_calls).replace(".0", "")
        )?;
        Ok(())
    }
}

/// `VmRSS` and `VmHWM` of this process in MB, where `/proc` has them.
fn rss_mb() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Generated cases per second and simulated time per wall second, on `workers`.
pub fn exploration_speed(cases: u64, workers: usize) -> Result<(f64, f64)> {
    let sim_ns = AtomicU64::new(0);
    let started = Instant::now();
    Campaign::new(Profile::RS_3_24, Shape::default(), 1_000, workers).drive(cases, None, &|v| {
        sim_ns.fetch_add(v.sim_time.as_nanos() as u64, Ordering::Relaxed);
    })?;
    let wall = started.elapsed().as_secs_f64();
    let sim = sim_ns.into_inner() as f64 / 1e9;
    Ok((cases as f64 / wall, sim / wall))
}

/// The long campaign: cases per second, peak resident set and its growth after warm-up.
pub fn long_campaign(cases: u64, workers: usize) -> Result<(f64, Option<f64>, Option<f64>)> {
    let done = AtomicU64::new(0);
    let warm = Mutex::new(None::<f64>);
    let started = Instant::now();
    Campaign::new(Profile::RS_3_24, Shape::default(), 2_000, workers).drive(
        cases,
        None,
        &|_| {
            if done.fetch_add(1, Ordering::Relaxed) + 1 == cases / 10 {
                *warm.lock().unwrap() = rss_mb().map(|(rss, _)| rss);
            }
        },
    )?;
    let per_sec = cases as f64 / started.elapsed().as_secs_f64();
    let end = rss_mb();
    let growth = match (warm.into_inner().unwrap(), end) {
        (Some(w), Some((rss, _))) if w > 0.0 => Some((rss - w) / w * 100.0),
        _ => None,
    };
    Ok((per_sec, end.map(|(_, peak)| peak), growth))
}

/// The first violation of one starting campaign.
#[derive(Clone, Copy, Debug)]
pub struct FirstViolation {
    pub campaign: u64,
    pub index: u64,
    /// Wall time from the cold start to the violation.
    pub ms: f64,
}

/// For each starting campaign: the wall time from a cold start of the default
/// exploration to its first violation of the mission property on rs-3.24.
pub fn first_violations(starts: u64, workers: usize) -> Result<Vec<FirstViolation>> {
    let is_mission = |j: &Judgement| j.violation(MISSION).is_some();
    let mut out = Vec::new();
    for campaign in 0..starts {
        let started = Instant::now();
        let verdicts = Campaign::new(Profile::RS_3_24, Shape::default(), campaign, workers)
            .run(100_000, Some(&is_mission))?;
        let took = started.elapsed();
        let found = verdicts
            .last()
            .filter(|v| is_mission(&v.judgement))
            .ok_or_else(|| anyhow!("campaign {campaign} found no violation in 100,000 cases"))?;
        out.push(FirstViolation {
            campaign,
            index: found.index,
            ms: took.as_secs_f64() * 1000.0,
        });
    }
    Ok(out)
}

/// Shrink times (ms) and shrunk sizes (calls) of `found`.
pub fn shrinks(found: &[FirstViolation]) -> Result<(Vec<f64>, Vec<f64>)> {
    let mut ms = Vec::new();
    let mut calls = Vec::new();
    for f in found {
        let s = Campaign::new(Profile::RS_3_24, Shape::default(), f.campaign, 1).shrink(
            f.index,
            MISSION,
            5_000,
            Duration::from_secs(10),
        )?;
        ms.push(s.took.as_secs_f64() * 1000.0);
        calls.push(s.case.op_count() as f64);
    }
    Ok((ms, calls))
}

/// For each article seed: the wall time from the start of its run (in this process, on
/// a fresh thread) to containerd's first `get state for` line, on rs-3.24.
pub fn article_first_errors(seeds: u64, workers: usize) -> Result<Vec<f64>> {
    let out = Mutex::new(Vec::new());
    let failed = Mutex::new(None);
    in_parallel(seeds, workers, &|seed| {
        // Timestamped here, outside the run: inside it, madsim's clock stands in for the
        // wall clock.
        let (signal, first_error) = std::sync::mpsc::channel();
        let started = Instant::now();
        let watcher =
            std::thread::spawn(move || first_error.recv().ok().map(|()| started.elapsed()));
        let tally = Arc::new(LogTally {
            first_error_signal: Mutex::new(Some(signal)),
            ..LogTally::default()
        });
        let run = on_fresh_thread(move || {
            let article = Arc::new(Builtin::Article.scenario());
            run_tallied(
                article,
                Profile::RS_3_24,
                seed,
                LogOutput::Quiet,
                tally,
                None,
            )
        })
        .and_then(|_| {
            watcher
                .join()
                .map_err(|_| anyhow!("the first-error watcher panicked"))
        });
        match run {
            Ok(Some(d)) => out.lock().unwrap().push(d.as_secs_f64() * 1000.0),
            Ok(None) => {}
            Err(e) => *failed.lock().unwrap() = Some(e),
        }
    });
    if let Some(e) = failed.into_inner().unwrap() {
        return Err(e);
    }
    Ok(out.into_inner().unwrap())
}

/// Article seeds per second and simulated time per wall second, judged by every
/// built-in property as the main job runs them.
pub fn article_speed(seeds: u64, workers: usize) -> Result<(f64, f64)> {
    let started = Instant::now();
    let catalog = Arc::new(Catalog::builtin());
    let runs = run_batch(
        Builtin::Article,
        &[Profile::RS_3_24],
        0..seeds,
        workers,
        &catalog,
        &|_, _| {},
    )?;
    let wall = started.elapsed().as_secs_f64();
    let sim: f64 = runs.iter().map(|r| r.sim_time.as_secs_f64()).sum();
    Ok((seeds as f64 / wall, sim / wall))
}

/// The workspace this kata-dst was built from.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("sim/ sits in the workspace")
        .to_path_buf()
}

/// Builds the real-time baseline without `--cfg madsim` (in a target directory of its
/// own) and runs it; the wall time of each run to its first error, in ms.
pub fn stress(runs: u32) -> Result<Vec<f64>> {
    let root = workspace();
    let target = root.join("target").join("std");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&cargo)
        .args(["build", "--release", "--quiet", "-p", "kata-dst-stress"])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .env("CARGO_ENCODED_RUSTFLAGS", "")
        .status()
        .context("cannot run cargo to build the real-time baseline")?;
    if !status.success() {
        return Err(anyhow!("building the real-time baseline failed ({status})"));
    }
    let out = Command::new(target.join("release").join("kata-dst-stress"))
        .args(["--runs", &runs.to_string()])
        .output()
        .context("cannot run the real-time baseline")?;
    if !out.status.success() {
        return Err(anyhow!(
            "the real-time baseline failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("the real-time baseline printed no JSON")?;
    doc["runs_ms"]
        .as_array()
        .and_then(|a| a.iter().map(|v| v.as_f64()).collect::<Option<Vec<f64>>>())
        .ok_or_else(|| anyhow!("the real-time baseline printed no runs_ms"))
}

#[cfg(test)]
mod tests {
    use super::Spread;

    #[test]
    fn spread_takes_the_middle_of_the_sorted_sample() {
        let s = Spread::of(vec![30.0, 10.0, 20.0]);
        assert_eq!((s.median, s.min, s.max, s.n), (20.0, 10.0, 30.0, 3));
        assert_eq!(Spread::of(vec![4.0, 1.0, 3.0, 2.0]).median, 2.5);
        assert_eq!(Spread::of(Vec::new()).n, 0);
    }
}
