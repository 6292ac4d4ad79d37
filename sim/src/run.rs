//! The one pipeline every run goes through, whatever drives it: a fresh madsim world
//! seeded with the run's madsim seed, containerd's node, the scenario's pods set up by
//! CRI, the scenario's workload, the final state, and the recorded
//! [`properties::History`] that every property judges.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Result};
use madsim::runtime::{Handle, Runtime};
use properties::{Catalog, History, Judgement};
use runtime_model::Profile;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Registry;

use crate::latency::{SampledTiming, Timing};
use crate::log::{Captured, LogOutput};
use crate::net::host_addr;
use crate::recorder::{LogTally, Recorder};
use crate::scenario::Scenario;
use crate::timeline::stuck::stuck_tasks;
use crate::timeline::Timeline;
use crate::world::{World, CONTAINERD_HOST};

/// Simulated time after which a run is abandoned as hung.
pub const TIME_LIMIT: Duration = Duration::from_secs(600);

/// What one run did.
pub struct Run {
    pub history: History,
    /// When each step of each lane started, in ns after the workload started (a step its
    /// lane never got to is missing); empty for scripted scenarios.
    pub step_starts: Vec<Vec<u64>>,
    /// Node time when the pods were ready and the workload started.
    pub workload_start: Duration,
    /// The article's metric: the log lines its script greps for.
    pub tally: Tally,
    /// A hash of every call, answer and event with its simulated time.
    pub trace_hash: u64,
    /// Node time when the run ended.
    pub sim_time: Duration,
    /// The log, with [`LogOutput::Capture`].
    pub log: Option<String>,
}

/// The log lines the article's script counts with `grep -c`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    /// containerd's `get state for <id>` error lines.
    pub get_state_errors: u64,
    /// The shim's `Container not found in state query` warning lines (PR #12337).
    pub not_found_warnings: u64,
    /// The shim's error on containerd's first `get state for` line, as sent.
    pub first_error: Option<String>,
}

/// Runs `scenario` on `profile` with madsim seed `seed`, on the calling thread (which
/// must not have made a std `HashMap` before: see [`crate::pool::on_fresh_thread`]).
pub fn run(
    scenario: Arc<dyn Scenario>,
    profile: Profile,
    seed: u64,
    log: LogOutput,
) -> Result<Run> {
    run_tallied(scenario, profile, seed, log, Arc::default(), None)
}

/// [`run`], tallying the log into `tally` (the benchmark watches it for the first error)
/// and, if given, filling `timeline` (which changes nothing in the run).
pub fn run_tallied(
    scenario: Arc<dyn Scenario>,
    profile: Profile,
    seed: u64,
    log: LogOutput,
    tally: Arc<LogTally>,
    timeline: Option<&Timeline>,
) -> Result<Run> {
    let mut config = madsim::Config::default();
    // Wire latency is decided by the scenario's latencies, not madsim's random send latency.
    config.net.send_latency = Duration::ZERO..Duration::from_nanos(1);
    // The runtime comes first: madsim seeds this thread's std HashMap keys when it is
    // built, which only works before any HashMap exists on the thread (the log filter
    // makes some). Its own spans are created disabled.
    let mut rt =
        tracing::subscriber::with_default(Registry::default().with(LevelFilter::OFF), || {
            Runtime::with_seed_and_config(seed, config)
        });
    rt.set_time_limit(crate::clock::to_madsim(TIME_LIMIT));
    let captured = Captured::default();
    let subscriber = crate::log::subscriber(log, tally.clone(), &captured, timeline);
    let recorder = Recorder::new();
    let rec = recorder.clone();
    let collecting = timeline.cloned();
    let outcome = tracing::subscriber::with_default(subscriber, || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async move {
                let node = Handle::current()
                    .create_node()
                    .name(crate::world::CONTAINERD_NODE)
                    .ip(host_addr(CONTAINERD_HOST).ip())
                    .build();
                crate::nodes::track(node.id());
                let result = node.spawn(drive(scenario, profile, rec)).await;
                let sim_time = crate::clock::now();
                // What the shims' tasks were still blocked on, before the nodes go.
                let stuck = collecting.map(|t| stuck_tasks(&t.open()));
                crate::nodes::end_all().await;
                result
                    .map_err(|e| anyhow!("scenario task failed: {e}"))?
                    .map(|(mut history, starts, start)| {
                        history.stuck = stuck;
                        ((history, starts, start), sim_time)
                    })
            })
        }))
    });
    // A panic anywhere in the run is a finding, not an error: the history up to it,
    // marked with the panic (`run_does_not_panic` judges it).
    let ((history, step_starts, workload_start), sim_time) = match outcome {
        Ok(outcome) => outcome?,
        Err(panic) => {
            let history = recorder.history_after_panic(panic_message(&*panic));
            let ended = Duration::from_nanos(history.ended_ns);
            ((history, Vec::new(), Duration::ZERO), ended)
        }
    };
    Ok(Run {
        history,
        step_starts,
        workload_start,
        tally: Tally {
            get_state_errors: tally.errors(),
            not_found_warnings: tally.warnings(),
            first_error: tally.first_error(),
        },
        trace_hash: recorder.trace_hash(),
        sim_time,
        log: (log == LogOutput::Capture).then(|| captured.text()),
    })
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Starts the world, sets up the scenario's pods, drives its workload and records the
/// history with the final state. Runs on containerd's node.
async fn drive(
    scenario: Arc<dyn Scenario>,
    profile: Profile,
    recorder: Arc<Recorder>,
) -> Result<(History, Vec<Vec<u64>>, Duration)> {
    let timing: Arc<dyn Timing> = Arc::new(SampledTiming {
        latencies: scenario.latencies(),
    });
    let world = Arc::new(
        World::start(
            profile,
            timing,
            recorder.clone(),
            scenario.pods(),
            scenario.list_order(),
        )
        .await?,
    );
    scenario.prepare(&world);
    if let Err(e) = world.run_pods().await {
        if !scenario.setup_may_fail() {
            return Err(e);
        }
        tracing::warn!(error = %e, "a pod did not come up");
    }
    let workload_start = crate::clock::now();
    let step_starts = scenario.drive(world.clone()).await?;
    let final_state = world.final_state().await;
    Ok((recorder.history(final_state), step_starts, workload_start))
}

/// A run and what `catalog` says of its history.
pub struct Judged {
    pub run: Run,
    pub judgement: Judgement,
}

/// Runs `scenario` on a fresh thread and judges its history with `catalog` (naming
/// what a hang's calls were blocked on: [`name_the_stuck`]).
pub fn run_and_judge(
    scenario: Arc<dyn Scenario>,
    profile: Profile,
    seed: u64,
    log: LogOutput,
    catalog: Arc<Catalog>,
) -> Result<Judged> {
    let (s, c) = (scenario.clone(), catalog.clone());
    let judged = crate::pool::on_fresh_thread(move || {
        let run = run(s, profile, seed, log)?;
        let judgement = c.judge(&run.history);
        Ok(Judged { run, judgement })
    })?;
    name_the_stuck(judged, scenario, profile, seed, &catalog)
}

/// The properties whose reports name the calls a run left pending.
const HANG_PROPERTIES: [&str; 2] = ["no_call_hangs", "teardown_leaves_nothing"];

/// When `judged` reports a hang (a property of [`HANG_PROPERTIES`] violated) and its
/// history does not say what the shims' tasks were blocked on, runs
/// the same again with a timeline, which records that and changes nothing in the run
/// (the trace must be the same), and judges the history with it. A run that does not
/// hang costs nothing more.
pub fn name_the_stuck(
    judged: Judged,
    scenario: Arc<dyn Scenario>,
    profile: Profile,
    seed: u64,
    catalog: &Catalog,
) -> Result<Judged> {
    let h = &judged.run.history;
    let hangs = HANG_PROPERTIES
        .iter()
        .any(|p| judged.judgement.violation(p).is_some());
    if h.stuck.is_some() || !hangs {
        return Ok(judged);
    }
    let again = crate::pool::on_fresh_thread(move || {
        let timeline = Timeline::default();
        run_tallied(
            scenario,
            profile,
            seed,
            LogOutput::Quiet,
            Arc::default(),
            Some(&timeline),
        )
    })?;
    if again.trace_hash != judged.run.trace_hash {
        return Err(anyhow!(
            "the run with a timeline took another course (trace {:016x}, not {:016x})",
            again.trace_hash,
            judged.run.trace_hash
        ));
    }
    let mut run = judged.run;
    run.history.stuck = again.history.stuck;
    let judgement = catalog.judge(&run.history);
    Ok(Judged { run, judgement })
}
