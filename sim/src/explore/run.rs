//! Runs one [`Case`] in a fresh madsim world: the CRI fixture sets up every pod's
//! sandbox, then each client lane runs its steps at their times, then the world settles
//! and its final state is taken. The result is the run's [`History`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use properties::History;
use runtime_model::Profile;

use super::case::{Case, ClientOp, Step, Via};
use crate::cri::PodSpec;
use crate::latency::{pause, SampledTiming, Site, Timing};
use crate::recorder::{Recorder, LANE};
use crate::runner::{simulate, LogOutput};
use crate::world::World;

/// How long after its last step is due a case may run: past `no_call_hangs`'s 10 s
/// bound, so a hung call is seen as one.
pub const HORIZON: Duration = Duration::from_secs(11);
/// How long the world runs on after the last lane finished, so that exit watchers and
/// cleanups in flight complete before the final state is taken.
pub const SETTLE: Duration = Duration::from_secs(1);

/// What one run of a case did.
pub struct CaseRun {
    pub history: History,
    /// When each step of each lane actually started, in ns after the workload started
    /// (a step of a lane that never got to it is missing).
    pub step_starts: Vec<Vec<u64>>,
    pub trace_hash: u64,
    /// The run's log, with [`LogOutput::Capture`].
    pub log: Option<String>,
    /// Node time when the run ended.
    pub sim_time: Duration,
}

/// Runs `case` on `profile` on the calling thread (see [`crate::runner::on_fresh_thread`]).
pub fn run_case(case: &Case, profile: Profile, log: LogOutput) -> Result<CaseRun> {
    let case = Arc::new(case.clone());
    let timing: Arc<dyn Timing> = Arc::new(SampledTiming {
        latencies: case.latencies,
    });
    let run = simulate(case.seed, log, move |recorder| {
        workload(case, profile, timing, recorder)
    })?;
    let (history, step_starts) = run.value;
    Ok(CaseRun {
        history,
        step_starts,
        trace_hash: run.recorder.trace_hash(),
        log: run.log,
        sim_time: run.sim_time,
    })
}

async fn workload(
    case: Arc<Case>,
    profile: Profile,
    timing: Arc<dyn Timing>,
    recorder: Arc<Recorder>,
) -> Result<(History, Vec<Vec<u64>>)> {
    let pods = (1..=case.pods)
        .map(|p| PodSpec {
            sid: Case::sandbox(p),
            containers: Vec::new(),
        })
        .collect();
    let world =
        Arc::new(World::start(profile, timing, recorder.clone(), pods, case.list_order).await?);
    world.run_pods().await?;
    let t0 = crate::clock::now();
    let starts = Arc::new(Mutex::new(vec![Vec::new(); case.lanes.len()]));
    let lanes: Vec<_> = case
        .lanes
        .iter()
        .enumerate()
        .map(|(l, steps)| {
            let (world, case, steps) = (world.clone(), case.clone(), steps.clone());
            let starts = starts.clone();
            tokio::spawn(LANE.scope(l as u32, async move {
                for step in &steps {
                    let due = t0 + Duration::from_micros(step.at_us);
                    crate::clock::sleep(due.saturating_sub(crate::clock::now())).await;
                    let started = (crate::clock::now() - t0).as_nanos() as u64;
                    starts.lock().unwrap()[l].push(started);
                    perform(&world, &case, step).await;
                }
            }))
        })
        .collect();
    let last_start = case
        .lanes
        .iter()
        .flatten()
        .map(|s| s.at_us)
        .max()
        .unwrap_or(0);
    let deadline = t0 + Duration::from_micros(last_start) + HORIZON;
    let all_done = async {
        for lane in lanes {
            let _ = lane.await;
        }
    };
    let finished =
        crate::clock::timeout(deadline.saturating_sub(crate::clock::now()), all_done).await;
    if finished.is_some() {
        crate::clock::sleep(SETTLE).await;
    }
    let final_state = world.final_state().await;
    let starts = starts.lock().unwrap().clone();
    Ok((recorder.history(final_state), starts))
}

/// One client call, as a containerd client makes it: a gRPC hop to containerd's Tasks
/// service and back, or (via the shim) straight to the shim's ttrpc socket. Errors are
/// the history's business, not the client's.
async fn perform(world: &World, case: &Case, step: &Step) {
    let id = step.container.as_str();
    let timing = &*world.containerd.timing;
    match step.via {
        Via::Tasks => {
            let ctrd = &world.containerd;
            pause(timing, Site::Grpc).await;
            match step.op {
                ClientOp::Create => drop(ctrd.create(&case.sandbox_of(id), id).await),
                ClientOp::Start => drop(ctrd.start(id).await),
                ClientOp::State => drop(ctrd.get(id).await),
                ClientOp::Kill(signal) => drop(ctrd.kill(id, signal, false).await),
                ClientOp::Wait => drop(ctrd.wait(id).await),
                ClientOp::Delete => drop(ctrd.delete(id).await),
                ClientOp::Pause => drop(ctrd.pause(id).await),
                ClientOp::Resume => drop(ctrd.resume(id).await),
                ClientOp::List => drop(ctrd.list().await),
            }
            pause(timing, Site::Grpc).await;
        }
        Via::Shim => {
            let Some(shim) = world.containerd.shim(&case.sandbox_of(id)) else {
                return;
            };
            match step.op {
                ClientOp::Create => drop(shim.create(id).await),
                ClientOp::Start => drop(shim.start(id).await),
                ClientOp::State => drop(shim.state(id).await),
                ClientOp::Kill(signal) => drop(shim.kill(id, signal, false).await),
                ClientOp::Wait => drop(shim.wait(id).await),
                ClientOp::Delete => drop(shim.delete(id).await),
                ClientOp::Pause => drop(shim.pause(id).await),
                ClientOp::Resume => drop(shim.resume(id).await),
                // A shim has no List (`Case::validate` refuses it).
                ClientOp::List => {}
            }
        }
    }
}
