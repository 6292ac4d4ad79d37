//! Runs seeds. Each seed runs in a process of its own (`kata-dst seed ...`), on a fresh
//! OS thread: nothing that ran before can leak into it (madsim issue #240: two runtimes
//! on one thread iterate a std HashMap differently; process-global counters and caches
//! leak between runs of one process). A batch and a replay of a seed therefore start from
//! the same state and give the same trace, bit for bit.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use madsim::runtime::{Handle, Runtime};
use runtime_model::Profile;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::latency::{Latencies, SampledTiming, Timing};
use crate::net::host_addr;
use crate::recorder::{LogTally, Recorder, TallyLayer};
use crate::scenario::article::Article;
use crate::world::CONTAINERD_HOST;

/// Simulated time after which a run is abandoned as hung.
pub const TIME_LIMIT: Duration = Duration::from_secs(600);

/// What one seed of the article scenario did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SeedRun {
    pub profile: String,
    pub seed: u64,
    /// containerd's `get state for` error lines.
    pub errors: u64,
    /// The shim's `Container not found in state query` warning lines.
    pub warnings: u64,
    pub rpcs: u64,
    pub events: u64,
    pub trace_hash: u64,
    pub sim_time: Duration,
    /// The shim's error text on containerd's first `get state for` line, if any.
    pub first_error: Option<String>,
}

/// Where a run's log goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogOutput {
    /// Tallied only (bulk runs).
    Quiet,
    /// Printed to stdout, filtered by RUST_LOG (default `info`), with simulated time.
    Stdout,
    /// Kept, filtered like `Stdout`, and handed back with the result.
    Capture,
}

struct SimTime;

impl tracing_subscriber::fmt::time::FormatTime for SimTime {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        match crate::clock::try_now() {
            Some(t) => write!(w, "{:>12.6}s", t.as_secs_f64()),
            None => write!(w, "{:>13}", "-"),
        }
    }
}

/// A log sink for [`LogOutput::Capture`].
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What [`simulate`] hands back besides the scenario's own result.
pub struct Simulated<T> {
    pub value: T,
    pub tally: Arc<LogTally>,
    pub recorder: Arc<Recorder>,
    /// The log, with [`LogOutput::Capture`].
    pub log: Option<String>,
    /// Node time when the scenario ended.
    pub sim_time: Duration,
}

/// Runs `scenario` on containerd's node of a fresh madsim world seeded with `seed`, on
/// the calling thread (which must not have made a std HashMap before: see
/// [`on_fresh_thread`]). Wire latency is left to the scenario's [`Timing`].
pub fn simulate<T, F>(
    seed: u64,
    log: LogOutput,
    scenario: impl FnOnce(Arc<Recorder>) -> F,
) -> Result<Simulated<T>>
where
    F: std::future::Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    simulate_with(seed, log, Arc::default(), Recorder::new(), scenario)
}

/// [`simulate`], tallying the log into `tally` and recording into `recorder`.
pub fn simulate_with<T, F>(
    seed: u64,
    log: LogOutput,
    tally: Arc<LogTally>,
    recorder: Arc<Recorder>,
    scenario: impl FnOnce(Arc<Recorder>) -> F,
) -> Result<Simulated<T>>
where
    F: std::future::Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let mut config = madsim::Config::default();
    // Wire latency is decided by the run's Timing, not by madsim's random send latency.
    config.net.send_latency = Duration::ZERO..Duration::from_nanos(1);
    // The runtime comes first: madsim seeds this thread's std HashMap keys when it is
    // built, which only works before any HashMap exists on the thread (the log filter
    // below makes some). Its own spans are created disabled.
    let mut rt =
        tracing::subscriber::with_default(Registry::default().with(LevelFilter::OFF), || {
            Runtime::with_seed_and_config(seed, config)
        });
    rt.set_time_limit(crate::clock::to_madsim(TIME_LIMIT));
    let captured = Captured::default();
    let writer = match log {
        LogOutput::Quiet => None,
        LogOutput::Stdout => Some(BoxMakeWriter::new(std::io::stdout)),
        LogOutput::Capture => {
            let sink = captured.clone();
            Some(BoxMakeWriter::new(move || sink.clone()))
        }
    };
    let fmt_layer = writer.map(|writer| {
        tracing_subscriber::fmt::layer()
            .with_timer(SimTime)
            .with_target(false)
            .with_ansi(false)
            .with_writer(writer)
            .with_filter(
                EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
            )
    });
    let subscriber = Registry::default()
        .with(TallyLayer(tally.clone()).with_filter(LevelFilter::WARN))
        .with(fmt_layer);
    let task = scenario(recorder.clone());
    let outcome = tracing::subscriber::with_default(subscriber, || {
        rt.block_on(async move {
            let node = Handle::current()
                .create_node()
                .name("containerd")
                .ip(host_addr(CONTAINERD_HOST).ip())
                .build();
            crate::nodes::track(node.id());
            let result = node.spawn(task).await;
            let sim_time = crate::clock::now();
            crate::nodes::end_all().await;
            result
                .map_err(|e| anyhow!("scenario task failed: {e}"))?
                .map(|value| (value, sim_time))
        })
    });
    let (value, sim_time) = outcome?;
    let log = (log == LogOutput::Capture)
        .then(|| String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned());
    Ok(Simulated {
        value,
        tally,
        recorder,
        log,
        sim_time,
    })
}

/// Runs one seed of the article scenario on the calling thread.
pub fn run_article_seed(
    article: Article,
    profile: Profile,
    seed: u64,
    latencies: Latencies,
    log: LogOutput,
) -> Result<SeedRun> {
    run_article_seed_tallied(article, profile, seed, latencies, log, Arc::default())
}

/// [`run_article_seed`], tallying the log into `tally`.
pub fn run_article_seed_tallied(
    article: Article,
    profile: Profile,
    seed: u64,
    latencies: Latencies,
    log: LogOutput,
    tally: Arc<LogTally>,
) -> Result<SeedRun> {
    let timing: Arc<dyn Timing> = Arc::new(SampledTiming { latencies });
    // The article is judged by its log; its calls are hashed, not kept.
    let run = simulate_with(
        seed,
        log,
        tally,
        Recorder::hashing(),
        move |rec| async move { article.run(profile, timing, rec).await },
    )?;
    Ok(SeedRun {
        profile: profile.name.to_string(),
        seed,
        errors: run.tally.errors(),
        warnings: run.tally.warnings(),
        rpcs: run.recorder.rpc_count(),
        events: run.recorder.event_count(),
        trace_hash: run.recorder.trace_hash(),
        sim_time: run.sim_time,
        first_error: run.tally.first_error(),
    })
}

/// Runs `f` on a fresh OS thread and returns its result (a panic becomes an error).
pub fn on_fresh_thread<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    std::thread::Builder::new()
        .name("kata-dst-seed".into())
        .spawn(f)
        .map_err(|e| anyhow!("cannot start a seed thread: {e}"))?
        .join()
        .map_err(|p| {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            anyhow!("the simulation panicked: {msg}")
        })?
}

/// One unit of work: a profile and a seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub profile: Profile,
    pub seed: u64,
}

/// Runs one seed in a child process of `exe` (the kata-dst binary), which prints the
/// [`SeedRun`] as one JSON line.
pub fn run_in_process(exe: &Path, scenario: &str, job: Job) -> Result<SeedRun> {
    let out = Command::new(exe)
        .args([
            "seed",
            "--scenario",
            scenario,
            "--profile",
            job.profile.name,
        ])
        .args(["--seed", &job.seed.to_string()])
        .env("RUST_LOG", "off")
        .output()
        .map_err(|e| anyhow!("cannot start {}: {e}", exe.display()))?;
    if !out.status.success() {
        return Err(anyhow!(
            "the seed process failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).map_err(|e| anyhow!("unreadable seed result {line:?}: {e}"))
}

/// Calls `work(i)` for every `i` in `0..count`, on `workers` threads that each take the
/// next index as they finish one (so indices start in increasing order).
pub fn in_parallel(count: u64, workers: usize, work: &(dyn Fn(u64) + Sync)) {
    let next = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..workers.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                work(i);
            });
        }
    });
}

/// Runs every job, each in a process of its own, `workers` at a time; results in job
/// order. `progress(done, total)` is called after each job.
pub fn run_jobs(
    exe: &Path,
    scenario: &str,
    jobs: &[Job],
    workers: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<SeedRun>> {
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<SeedRun>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    in_parallel(jobs.len() as u64, workers, &|i| {
        let i = i as usize;
        let r = run_in_process(exe, scenario, jobs[i]);
        results.lock().unwrap()[i] = Some(r);
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, jobs.len());
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .zip(jobs)
        .map(|(r, job)| {
            r.expect("every job ran")
                .map_err(|e| anyhow!("profile {} seed {}: {e}", job.profile, job.seed))
        })
        .collect()
}

/// The number of worker threads: the machine's cores.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Measures how long `f` takes on the wall clock (for reports, never for verdicts).
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}
