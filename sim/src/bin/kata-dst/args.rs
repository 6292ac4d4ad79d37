//! The command line: every command's arguments, parsed into typed values. A bad value
//! gets one line naming what is valid.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use properties::{Catalog, FaultKind};
use runtime_model::Profile;
use sim::explore::generation::Generation;
use sim::explore::plan::{Plan, Shard};
use sim::scenario::Builtin;

/// The madsim seeds of the default run: small enough that every profile finishes in
/// well under a minute on 2 cores.
pub const DEFAULT_SEEDS: u64 = 40;

#[derive(Parser, Debug)]
#[command(
    name = "kata-dst",
    version,
    about = "Deterministic simulation of Kata runtime-rs, containerd and ctr: finds lifecycle races like kata-containers #12336 in milliseconds",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a built-in scenario (the article's script by default) over many madsim seeds
    /// on each profile; per profile its error tally and the violations per property (the
    /// default command).
    Run(RunArgs),
    /// Replay one run: a case file (`replay seeds/<file>`), a generated case
    /// (`--profile P --campaign C --case I`) or a scenario run (`--profile P --seed N`).
    Replay(ReplayArgs),
    /// Generate cases until one violates a property, shrink it, save it under seeds/.
    Explore(ExploreArgs),
    /// Run one campaign of generated cases on each profile; per profile and property:
    /// cases, violations, the first failing case; and how often each sometimes
    /// situation was reached.
    Matrix(MatrixArgs),
    /// Check the corpus of case files, or re-record their verdicts.
    #[command(subcommand_required = true, arg_required_else_help = false)]
    Corpus(CorpusArgs),
    /// Measure exploration speed, time to the first #12336 violation, memory over a long
    /// campaign, and the real-time stress method's time to its first error, side by side.
    Bench(BenchArgs),
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// madsim seeds per profile.
    #[arg(long, default_value_t = DEFAULT_SEEDS, value_parser = count, allow_hyphen_values = true)]
    pub seeds: u64,
    /// The first madsim seed (seeds are FIRST..FIRST+N).
    #[arg(long, default_value_t = 0, value_parser = number, allow_hyphen_values = true)]
    pub first_seed: u64,
    /// Only this profile (default: the article's three; any built-in profile may be named).
    #[arg(long, value_parser = profile)]
    pub profile: Option<Profile>,
    /// The scenario.
    #[arg(long, value_enum, default_value_t = Builtin::Article)]
    pub scenario: Builtin,
    /// Worker threads (default: the machine's cores).
    #[arg(long, value_parser = jobs)]
    pub jobs: Option<u64>,
    /// Print the summary as one JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// A case file (from seeds/ or `kata-dst explore`).
    pub file: Option<PathBuf>,
    /// The profile (for a case file: default the one it was found on).
    #[arg(long, value_parser = profile)]
    pub profile: Option<Profile>,
    /// The madsim seed of a scenario run.
    #[arg(long, value_parser = number, allow_hyphen_values = true, conflicts_with_all = ["file", "campaign", "case"])]
    pub seed: Option<u64>,
    /// The scenario (with --seed).
    #[arg(long, value_enum, requires = "seed")]
    pub scenario: Option<Builtin>,
    /// The campaign of a generated case (with --case).
    #[arg(long, value_parser = number, allow_hyphen_values = true, requires = "case", conflicts_with = "file")]
    pub campaign: Option<u64>,
    /// The index of a generated case in its campaign (with --campaign).
    #[arg(long, value_parser = number, allow_hyphen_values = true, requires = "campaign")]
    pub case: Option<u64>,
    /// The campaign was generated with --tasks-only (with --campaign).
    #[arg(long, requires = "campaign", conflicts_with_all = ["seed", "file"])]
    pub tasks_only: bool,
    /// The campaign was generated with --faults (with --campaign).
    #[arg(long, requires = "campaign", conflicts_with_all = ["seed", "file"])]
    pub faults: bool,
    /// The campaign was generated with these --fault kinds (with --campaign; repeatable).
    #[arg(long = "fault", value_parser = fault_kind, requires = "campaign", conflicts_with_all = ["seed", "file"])]
    pub fault: Vec<FaultKind>,
    /// Print the verdicts as one JSON document instead of the report.
    #[arg(long)]
    pub json: bool,
    /// Also write the run's timeline to this file as Chrome trace-event JSON (open it in
    /// ui.perfetto.dev or chrome://tracing), in simulated time.
    #[arg(long, value_name = "FILE")]
    pub trace_out: Option<PathBuf>,
}

impl ReplayArgs {
    /// How the generated case's campaign was generated.
    pub fn generation(&self) -> Generation {
        generation(self.tasks_only, self.faults, &self.fault)
    }
}

#[derive(Args, Debug)]
pub struct ExploreArgs {
    /// The profile to explore.
    #[arg(long, default_value = "rs-3.24", value_parser = profile)]
    pub profile: Profile,
    /// Stop at a violation of this property, or of any property with `any`.
    #[arg(long, default_value = "state_never_errors_for_known_id", value_parser = property_or_any)]
    pub property: PropertyChoice,
    /// Try case indices below this at most (default: 10000, or no bound with --budget).
    #[arg(long, value_parser = count, allow_hyphen_values = true)]
    pub cases: Option<u64>,
    #[command(flatten)]
    pub slice: SliceArgs,
    /// The campaign: case I of campaign C is always the same case.
    #[arg(long, default_value_t = 0, value_parser = number, allow_hyphen_values = true)]
    pub campaign: u64,
    #[command(flatten)]
    pub generation: GenerationArgs,
    /// The directory the shrunk case file is saved in.
    #[arg(long, default_value = "seeds")]
    pub out: PathBuf,
    /// Worker threads (default: the machine's cores).
    #[arg(long, value_parser = jobs)]
    pub jobs: Option<u64>,
    /// Print the outcome as one JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct MatrixArgs {
    /// Case indices below this (default: PROPTEST_CASES, else 500; no bound with
    /// --budget).
    #[arg(long, value_parser = count, allow_hyphen_values = true)]
    pub cases: Option<u64>,
    #[command(flatten)]
    pub slice: SliceArgs,
    /// The campaign.
    #[arg(long, default_value_t = 0, value_parser = number, allow_hyphen_values = true)]
    pub campaign: u64,
    /// Only these profiles (repeatable; default: every profile).
    #[arg(long, value_parser = profile)]
    pub profile: Vec<Profile>,
    /// Only these properties (repeatable; default: every property; sometimes situations
    /// are always counted).
    #[arg(long, value_parser = property)]
    pub property: Vec<&'static str>,
    #[command(flatten)]
    pub generation: GenerationArgs,
    /// Print the matrix as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Worker threads (default: the machine's cores).
    #[arg(long, value_parser = jobs)]
    pub jobs: Option<u64>,
}

/// How a campaign's cases are generated (explore and matrix).
#[derive(Args, Debug, Clone)]
pub struct GenerationArgs {
    /// Only calls through containerd's Tasks service (no direct shim calls).
    #[arg(long)]
    pub tasks_only: bool,
    /// Inject faults (VM and shim crashes, process exits, agent errors, stalls and closed
    /// connections, slow or failing hooks and VM boots, held or partitioned links), drawn per campaign by
    /// a swarm that is printed with it; every case with a fault ends with a liveness
    /// phase (docs/faults.md).
    #[arg(long)]
    pub faults: bool,
    /// Only this kind of fault (repeatable; implies --faults): vm-crash, shim-crash,
    /// process-exit, agent-error, agent-stall, agent-close, link-hold, hook-error, vm-boot,
    /// hook-slow, link-partition.
    #[arg(long = "fault", value_parser = fault_kind)]
    pub fault: Vec<FaultKind>,
}

impl GenerationArgs {
    /// The generation options these flags ask for.
    pub fn generation(&self) -> Generation {
        generation(self.tasks_only, self.faults, &self.fault)
    }
}

impl ExploreArgs {
    /// How the campaign's cases are generated.
    pub fn generation(&self) -> Generation {
        self.generation.generation()
    }
}

impl MatrixArgs {
    /// How the campaign's cases are generated.
    pub fn generation(&self) -> Generation {
        self.generation.generation()
    }
}

/// The generation options the flags ask for: `--fault` implies `--faults`.
fn generation(tasks_only: bool, faults: bool, kinds: &[FaultKind]) -> Generation {
    let mut kinds = kinds.to_vec();
    kinds.sort();
    kinds.dedup();
    Generation {
        tasks_only,
        faults: (faults || !kinds.is_empty()).then_some(kinds),
    }
}

/// Which part of a campaign a command runs: a shard, a wall-time budget.
#[derive(Args, Debug, Clone, Copy)]
pub struct SliceArgs {
    /// Only shard I of N (1-based): the case indices i with i % N == I-1; the N shards
    /// together are the whole campaign, case for case.
    #[arg(long, value_parser = shard, allow_hyphen_values = true)]
    pub shard: Option<Shard>,
    /// Start cases until this much wall time is spent (90s, 5m, 1h30m); the output names
    /// the cases that ran.
    #[arg(long, value_parser = budget, allow_hyphen_values = true)]
    pub budget: Option<Duration>,
}

impl SliceArgs {
    /// The plan: the shard's cases below `cases` (None: no bound), within the budget.
    pub fn plan(&self, cases: Option<u64>) -> Plan {
        Plan {
            shard: self.shard.unwrap_or(Shard::WHOLE),
            cases,
            budget: self.budget,
        }
    }
}

#[derive(Args, Debug)]
pub struct CorpusArgs {
    #[command(subcommand)]
    pub action: CorpusAction,
}

#[derive(Subcommand, Debug)]
pub enum CorpusAction {
    /// Replay every case file on every profile it records; exit 1 if a verdict changed
    /// or a profile has none.
    Check {
        /// The corpus directory.
        #[arg(default_value = "seeds")]
        dir: PathBuf,
    },
    /// Replay every case file on every profile and write the verdicts it gives now.
    Rerecord {
        /// The corpus directory.
        #[arg(default_value = "seeds")]
        dir: PathBuf,
    },
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Generated cases per cases/s measurement.
    #[arg(long, default_value_t = 4_000, value_parser = count, allow_hyphen_values = true)]
    pub cases: u64,
    /// Generated cases of the long campaign that watches memory.
    #[arg(long, default_value_t = 100_000, value_parser = count, allow_hyphen_values = true)]
    pub long: u64,
    /// Campaigns started cold for the time-to-first-violation medians.
    #[arg(long, default_value_t = 20, value_parser = count, allow_hyphen_values = true)]
    pub starts: u64,
    /// Article runs (madsim seeds) per runs/s measurement.
    #[arg(long, default_value_t = 8, value_parser = count, allow_hyphen_values = true)]
    pub article_seeds: u64,
    /// Runs of the real-time stress method (0 skips it, and the build it needs).
    #[arg(long, default_value_t = 5, value_parser = number, allow_hyphen_values = true)]
    pub stress_runs: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Worker threads for "all cores" (default: the machine's cores).
    #[arg(long, value_parser = jobs)]
    pub jobs: Option<u64>,
}

/// `--property` of explore: one property, or any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropertyChoice {
    Any,
    One(&'static str),
}

fn profile(s: &str) -> Result<Profile, String> {
    s.parse()
}

/// A built-in property by name (its `&'static str` name).
fn property(s: &str) -> Result<&'static str, String> {
    Catalog::builtin()
        .property(s)
        .map(|p| p.name())
        .map_err(|e| e.to_string())
}

fn fault_kind(s: &str) -> Result<FaultKind, String> {
    s.parse()
}

fn property_or_any(s: &str) -> Result<PropertyChoice, String> {
    if s == "any" {
        return Ok(PropertyChoice::Any);
    }
    property(s)
        .map(PropertyChoice::One)
        .map_err(|e| e.replace("(valid: ", "(valid: any, "))
}

fn shard(s: &str) -> Result<Shard, String> {
    s.parse()
}

/// A positive human duration: `90s`, `5m`, `1h30m`.
fn budget(s: &str) -> Result<Duration, String> {
    match humantime::parse_duration(s) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(format!(
            "'{s}' is not a duration (valid: a positive time such as 90s, 5m or 1h30m)"
        )),
    }
}

fn number(s: &str) -> Result<u64, String> {
    s.parse().map_err(|_| {
        format!(
            "'{s}' is not a number (valid: a whole number from 0 to {})",
            u64::MAX
        )
    })
}

fn count(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "'{s}' is not a count (valid: a whole number of at least 1)"
        )),
    }
}

/// The most worker threads `--jobs` may ask for.
const MAX_JOBS: u64 = 256;

fn jobs(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(n) if (1..=MAX_JOBS).contains(&n) => Ok(n),
        _ => Err(format!(
            "'{s}' is not a number of workers (valid: a whole number from 1 to {MAX_JOBS})"
        )),
    }
}

/// Worker threads: `jobs`, else the machine's cores.
pub fn workers(jobs: Option<u64>) -> usize {
    jobs.map_or_else(sim::pool::default_workers, |j| j as usize)
}
