//! The default command: a built-in scenario over many madsim seeds on each profile.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use properties::Catalog;
use runtime_model::Profile;
use sim::batch::{run_batch, Summary};
use sim::pool::timed;
use sim::scenario::Scenario;

use crate::args::{workers, RunArgs};
use crate::output::usage;

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let Some(end) = args.first_seed.checked_add(args.seeds) else {
        return usage(format!(
            "--first-seed {} with --seeds {} goes past the last madsim seed {} (valid: first seed + seeds <= {})",
            args.first_seed,
            args.seeds,
            u64::MAX,
            u64::MAX
        ));
    };
    let seeds = args.first_seed..end;
    let profiles: Vec<Profile> = args.profile.map_or(Profile::ALL.to_vec(), |p| vec![p]);
    let workers = workers(args.jobs);
    let catalog = Arc::new(Catalog::builtin());
    if !args.json {
        say!(
            "kata-dst: scenario {} ({}), madsim seeds {}..{} per profile, {} workers, judged by {} properties",
            args.scenario,
            args.scenario.scenario().summary(),
            seeds.start,
            seeds.end,
            workers,
            catalog.properties().count()
        );
    }
    let bar = progress_bar(!args.json && std::io::stderr().is_terminal());
    let (runs, wall) =
        timed(|| run_batch(args.scenario, &profiles, seeds, workers, &catalog, &bar));
    let runs = runs?;
    let summary = Summary::new(args.scenario, &profiles, &runs, &catalog);
    if args.json {
        say!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(ExitCode::SUCCESS);
    }
    say_raw!("{summary}");
    let calls: u64 = runs.iter().map(|r| r.calls).sum();
    say!(
        "{} runs, {} shim calls in {:.1} s wall ({:.0} calls/s).",
        runs.len(),
        calls,
        wall.as_secs_f64(),
        calls as f64 / wall.as_secs_f64().max(1e-9)
    );
    if let Some(r) = summary.rows.iter().find(|r| r.replay.is_some()) {
        say!(
            "Next: replay the first failing seed of {} with\n  {}",
            r.profile,
            r.replay.as_deref().unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn progress_bar(enabled: bool) -> impl Fn(usize, usize) + Sync {
    move |done, total| {
        if !enabled {
            return;
        }
        let width = 40;
        let filled = done * width / total.max(1);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {done}/{total} runs",
            "#".repeat(filled),
            ".".repeat(width - filled)
        );
        if done == total {
            let _ = writeln!(err);
        }
    }
}
