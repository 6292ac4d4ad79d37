//! `kata-dst`: deterministic simulation testing for Kata Containers' runtime-rs.
#![forbid(unsafe_code)]

/// `println!` that ends the process quietly when stdout is closed (`kata-dst ... | head`)
/// instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// `print!` with the same care as [`say!`].
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if write!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod commands;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use runtime_model::Profile;
use sim::latency::Latencies;
use sim::report::{self, replay_command};
use sim::runner::{self, Job, LogOutput};
use sim::scenario::{article::Article, SCENARIOS};

/// The seed count of the default run: small enough that all profiles finish in under a
/// minute on 2 cores.
const DEFAULT_SEEDS: u64 = 40;

#[derive(Parser, Debug)]
#[command(
    name = "kata-dst",
    version,
    about = "Deterministic simulation of Kata runtime-rs, containerd and ctr: finds lifecycle races like kata-containers #12336 in milliseconds",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario over many seeds for each profile and print the table (the default).
    Run(RunArgs),
    /// Replay a seed file (`replay seeds/<file>`), a generated case (`--campaign S --case I
    /// --profile P`) or an article seed (`--profile P --seed N`).
    Replay(ReplayArgs),
    /// Generate cases until one violates a property, shrink it and save it under seeds/.
    Explore(ExploreArgs),
    /// Run generated cases on every profile; per profile and property: cases, violations,
    /// the first failing case; and how often each sometimes situation was reached.
    Matrix(MatrixArgs),
    /// Measure exploration speed, time to the first #12336 violation, memory over a long
    /// campaign, and the real-time stress method's time to its first error, side by side.
    Bench(BenchArgs),
    /// Run one article seed and print its result as one JSON line (what batch runs spawn).
    #[command(hide = true)]
    Seed(SeedArgs),
}

#[derive(Args, Debug, Clone)]
struct RunArgs {
    /// Seeds per profile.
    #[arg(long, default_value_t = DEFAULT_SEEDS, value_parser = parse_count, allow_hyphen_values = true)]
    seeds: u64,
    /// The first seed (seeds are FIRST..FIRST+N).
    #[arg(long, default_value_t = 0, value_parser = parse_number, allow_hyphen_values = true)]
    first_seed: u64,
    /// Only this profile (default: every profile).
    #[arg(long, value_parser = parse_profile)]
    profile: Option<Profile>,
    /// The scenario.
    #[arg(long, default_value = "article", value_parser = parse_scenario)]
    scenario: String,
    /// Worker threads (default: the machine's cores).
    #[arg(long, value_parser = parse_count)]
    jobs: Option<u64>,
    /// Print the summary as one JSON document.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct SeedArgs {
    #[arg(long, value_parser = parse_profile)]
    profile: Profile,
    #[arg(long, value_parser = parse_number, allow_hyphen_values = true)]
    seed: u64,
    #[arg(long, default_value = "article", value_parser = parse_scenario)]
    scenario: String,
}

#[derive(Args, Debug)]
struct ReplayArgs {
    /// A seed file (from seeds/ or `kata-dst explore`).
    file: Option<PathBuf>,
    /// The profile (for a seed file: default the one it was found on).
    #[arg(long, value_parser = parse_profile)]
    profile: Option<Profile>,
    /// An article-scenario seed.
    #[arg(long, value_parser = parse_number, allow_hyphen_values = true, conflicts_with_all = ["file", "campaign", "case"])]
    seed: Option<u64>,
    /// The article scenario (with --seed).
    #[arg(long, default_value = "article", value_parser = parse_scenario)]
    scenario: String,
    /// The campaign of a generated case (with --case).
    #[arg(long, value_parser = parse_number, allow_hyphen_values = true, requires = "case", conflicts_with = "file")]
    campaign: Option<u64>,
    /// The index of a generated case in its campaign (with --campaign).
    #[arg(long, value_parser = parse_number, allow_hyphen_values = true, requires = "campaign")]
    case: Option<u64>,
    /// The campaign was generated with --tasks-only (with --campaign).
    #[arg(long, requires = "campaign")]
    tasks_only: bool,
}

#[derive(Args, Debug)]
struct ExploreArgs {
    /// The profile to explore.
    #[arg(long, default_value = "rs-3.24", value_parser = parse_profile)]
    profile: Profile,
    /// Stop at a violation of this property, or of any property with `any`.
    #[arg(long, default_value = "state_never_errors_for_known_id", value_parser = parse_property_or_any)]
    property: String,
    /// Cases to try at most.
    #[arg(long, default_value_t = 10_000, value_parser = parse_count, allow_hyphen_values = true)]
    cases: u64,
    /// The campaign seed: case I of campaign S is always the same case.
    #[arg(long, default_value_t = 0, value_parser = parse_number, allow_hyphen_values = true)]
    campaign: u64,
    /// Only calls through containerd's Tasks service (no direct shim calls).
    #[arg(long)]
    tasks_only: bool,
    /// Where the shrunk case is saved.
    #[arg(long, default_value = "seeds")]
    out: PathBuf,
    /// Worker threads (default: the machine's cores).
    #[arg(long, value_parser = parse_count)]
    jobs: Option<u64>,
}

#[derive(Args, Debug)]
struct BenchArgs {
    /// Generated cases per cases/s measurement.
    #[arg(long, default_value_t = 4_000, value_parser = parse_count, allow_hyphen_values = true)]
    cases: u64,
    /// Generated cases of the long campaign that watches memory.
    #[arg(long, default_value_t = 100_000, value_parser = parse_count, allow_hyphen_values = true)]
    long: u64,
    /// Starting seeds for the time-to-first-error medians.
    #[arg(long, default_value_t = 20, value_parser = parse_count, allow_hyphen_values = true)]
    starts: u64,
    /// Article seeds per seeds/s measurement.
    #[arg(long, default_value_t = 8, value_parser = parse_count, allow_hyphen_values = true)]
    article_seeds: u64,
    /// Runs of the real-time stress method (0 skips it, and the build it needs).
    #[arg(long, default_value_t = 5, value_parser = parse_number, allow_hyphen_values = true)]
    stress_runs: u64,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Worker threads for "all cores" (default: the machine's cores).
    #[arg(long, value_parser = parse_count)]
    jobs: Option<u64>,
}

#[derive(Args, Debug)]
struct MatrixArgs {
    /// Generated cases per profile (PROPTEST_CASES also sets it).
    #[arg(long, visible_alias = "cases", value_parser = parse_count, allow_hyphen_values = true)]
    seeds: Option<u64>,
    /// The campaign seed.
    #[arg(long, default_value_t = 0, value_parser = parse_number, allow_hyphen_values = true)]
    campaign: u64,
    /// Print the matrix as one JSON document.
    #[arg(long)]
    json: bool,
    /// Worker threads (default: the machine's cores).
    #[arg(long, value_parser = parse_count)]
    jobs: Option<u64>,
}

fn parse_profile(s: &str) -> Result<Profile, String> {
    Profile::by_name(s)
        .ok_or_else(|| format!("unknown profile '{s}' (valid: {})", Profile::names()))
}

fn parse_property_or_any(s: &str) -> Result<String, String> {
    if s == "any" {
        return Ok(s.to_string());
    }
    let names = sim::explore::judge::property_names();
    if names.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "unknown property '{s}' (valid: any, {})",
            names.join(", ")
        ))
    }
}

fn parse_scenario(s: &str) -> Result<String, String> {
    if SCENARIOS.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "unknown scenario '{s}' (valid: {})",
            SCENARIOS.join(", ")
        ))
    }
}

fn parse_number(s: &str) -> Result<u64, String> {
    s.parse().map_err(|_| {
        format!(
            "'{s}' is not a number (valid: a whole number from 0 to {})",
            u64::MAX
        )
    })
}

fn parse_count(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "'{s}' is not a count (valid: a whole number of at least 1)"
        )),
    }
}

/// Prints clap's error as one line and returns exit code 2 (help and version print as
/// usual and exit 0).
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let text = e.render().to_string();
    let first = text.lines().next().unwrap_or("error: invalid arguments");
    eprintln!("{first} (see kata-dst --help)");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    // Simulated errors carry no backtraces: capturing one per error would slow every run
    // and print build-dependent text into replays. RUST_LIB_BACKTRACE wins over
    // RUST_BACKTRACE for anyhow, so a panic still prints its backtrace.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let result = match cli.command {
        Some(Command::Replay(args)) => replay(args),
        Some(Command::Explore(args)) => commands::explore(args),
        Some(Command::Matrix(args)) => commands::matrix(args),
        Some(Command::Bench(args)) => commands::bench(args),
        Some(Command::Seed(args)) => seed(args),
        Some(Command::Run(args)) => run(args),
        None => run(cli.run),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
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

fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let article = Article::by_name(&args.scenario).expect("validated scenario name");
    let profiles: Vec<Profile> = match args.profile {
        Some(p) => vec![p],
        None => Profile::ALL.to_vec(),
    };
    let seeds = args.first_seed..args.first_seed.saturating_add(args.seeds);
    let jobs: Vec<Job> = profiles
        .iter()
        .flat_map(|&profile| seeds.clone().map(move |seed| Job { profile, seed }))
        .collect();
    let workers = args
        .jobs
        .map_or_else(runner::default_workers, |j| j as usize);
    if !args.json {
        say!(
            "kata-dst: scenario {} ({} pods x {} containers, {} ctr task ls loops), seeds {}..{} per profile, {} workers",
            args.scenario,
            article.pods,
            article.containers_per_pod,
            article.loops,
            seeds.start,
            seeds.end,
            workers
        );
    }
    let bar = progress_bar(!args.json && std::io::stderr().is_terminal());
    let exe = std::env::current_exe()?;
    let (runs, wall) =
        runner::timed(|| runner::run_jobs(&exe, &args.scenario, &jobs, workers, &bar));
    let runs = runs?;
    let rows: Vec<_> = profiles
        .iter()
        .map(|p| {
            let mine: Vec<_> = runs
                .iter()
                .filter(|r| r.profile == p.name)
                .cloned()
                .collect();
            report::summarize(p.name, &mine)
        })
        .collect();
    if args.json {
        say!("{}", report::json(&rows));
    } else {
        say_raw!("{}", report::table(&rows));
        let rpcs: u64 = runs.iter().map(|r| r.rpcs).sum();
        say!(
            "{} runs, {} shim RPCs in {:.1} s wall ({:.0} RPCs/s).",
            runs.len(),
            rpcs,
            wall.as_secs_f64(),
            rpcs as f64 / wall.as_secs_f64().max(1e-9)
        );
        if let Some(r) = rows.iter().find(|r| r.replay.is_some()) {
            say!(
                "Next: replay the first failing seed of {} with\n  {}",
                r.profile,
                r.replay.as_deref().unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the seed `args` names on a fresh thread of this process.
fn run_one(args: &SeedArgs, log: LogOutput) -> anyhow::Result<runner::SeedRun> {
    let article = Article::by_name(&args.scenario).expect("validated scenario name");
    let (profile, seed) = (args.profile, args.seed);
    runner::on_fresh_thread(move || {
        runner::run_article_seed(article, profile, seed, Latencies::default(), log)
    })
}

fn seed(args: SeedArgs) -> anyhow::Result<ExitCode> {
    let run = run_one(&args, LogOutput::Quiet)?;
    say!("{}", serde_json::to_string(&run)?);
    Ok(ExitCode::SUCCESS)
}

fn replay(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    if let Some(file) = &args.file {
        return commands::replay_file(file, args.profile);
    }
    match (args.profile, args.seed, args.campaign, args.case) {
        (Some(profile), None, Some(campaign), Some(case)) => {
            commands::replay_generated(profile, campaign, case, args.tasks_only)
        }
        (Some(profile), Some(seed), None, None) => replay_article(SeedArgs {
            profile,
            seed,
            scenario: args.scenario,
        }),
        _ => {
            eprintln!("error: replay needs a seed file, or --profile with --campaign and --case, or --profile with --seed (see kata-dst replay --help)");
            Ok(ExitCode::from(2))
        }
    }
}

fn replay_article(args: SeedArgs) -> anyhow::Result<ExitCode> {
    let (profile, seed) = (args.profile, args.seed);
    say!(
        "kata-dst replay: scenario {}, profile {profile}, seed {seed}",
        args.scenario
    );
    let run = run_one(&args, LogOutput::Stdout)?;
    say!(
        "summary: profile {} seed {}: {} `get state for` errors, {} `Container not found in state query` warnings, {} shim RPCs, {} events, {:.3} s simulated, trace {:016x}",
        run.profile,
        run.seed,
        run.errors,
        run.warnings,
        run.rpcs,
        run.events,
        run.sim_time.as_secs_f64(),
        run.trace_hash
    );
    if let Some(e) = &run.first_error {
        say!(
            "first `get state for <id>` error, as the shim sent it (ttrpc status message):\n  {e}"
        );
        if let Some(chain) = e
            .strip_prefix("Others(\"")
            .and_then(|s| s.strip_suffix("\")"))
        {
            say!("its error chain:\n{}", chain.replace("\\n", "\n"));
        }
    }
    say!("replay again: {}", replay_command(profile.name, seed));
    Ok(ExitCode::SUCCESS)
}
