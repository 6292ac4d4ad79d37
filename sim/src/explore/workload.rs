//! A case as a [`Scenario`]: its pods (no containers yet: the lanes create them), its
//! latencies and List order, and its lanes of client calls, each step due at its time.
//!
//! A case with faults runs in two phases. Safety: the lanes and the faults, each at its
//! time, until every lane is done or [`HORIZON`] after the last step or fault was due.
//! Liveness: the clients start no further step, the world heals every fault that can
//! heal, then a teardown lane (the lane after the case's own) kills, waits for and
//! deletes every task, as kubelet's StopContainer and RemoveContainer would (see
//! `teardown`); the run ends [`SETTLE`] after the teardown finished, or at
//! [`LIVENESS_BOUND`], whichever comes first, so a hang is a pending call in the
//! history, never a hung run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use containerd_shim_protos::api::Status;
use properties::{fmt_ns, Op};

use super::case::{Action, Case, Step, Target, Via};
use crate::containerd::ListOrder;
use crate::cri::PodSpec;
use crate::latency::{pause, Latencies, Site};
use crate::recorder::LANE;
use crate::scenario::{Scenario, Workload};
use crate::world::World;

/// How long after its last step is due a case may run: past `no_call_hangs`'s 10 s
/// bound, so a hung call is seen as one.
pub const HORIZON: Duration = Duration::from_secs(11);
/// How long the world runs on after the last lane finished, so that exit watchers and
/// cleanups in flight complete before the final state is taken.
pub const SETTLE: Duration = Duration::from_secs(1);
/// How long the liveness phase may take: past the agent's 30 s request deadline, so a
/// call the runtime bounds comes back within it.
pub const LIVENESS_BOUND: Duration = Duration::from_secs(45);

impl Scenario for Case {
    fn prepare(&self, world: &World) {
        for f in &self.faults {
            world.arm_boot(&f.fault);
        }
    }

    fn setup_may_fail(&self) -> bool {
        !self.faults.is_empty()
    }

    fn pods(&self) -> Vec<PodSpec> {
        (1..=self.pods)
            .map(|p| PodSpec {
                sid: Case::sandbox(p),
                containers: Vec::new(),
            })
            .collect()
    }

    fn list_order(&self) -> ListOrder {
        self.list_order
    }

    fn latencies(&self) -> Latencies {
        self.latencies
    }

    fn summary(&self) -> String {
        format!(
            "a generated case, {} pod(s), {} client call(s) in {} lane(s)",
            self.pods,
            self.op_count(),
            self.lanes.len()
        )
    }

    fn schedule(&self, workload_start: Duration) -> String {
        let mut out = String::new();
        for (l, steps) in self.lanes.iter().enumerate() {
            let calls: Vec<String> = steps
                .iter()
                .map(|s| {
                    let at = workload_start + Duration::from_micros(s.at_us);
                    format!("{} (+{}us) {s}", fmt_ns(at.as_nanos() as u64), s.at_us)
                })
                .collect();
            out.push_str(&format!("  lane {l}: {}\n", calls.join("; ")));
        }
        out
    }

    fn drive(self: Arc<Self>, world: Arc<World>) -> Workload {
        Box::pin(async move {
            let t0 = crate::clock::now();
            let starts = Arc::new(Mutex::new(vec![Vec::new(); self.lanes.len()]));
            // Set when the safety phase ends: a lane starts no further step.
            let over = Arc::new(AtomicBool::new(false));
            let lanes: Vec<_> = self
                .lanes
                .iter()
                .enumerate()
                .map(|(l, steps)| {
                    let (world, steps, starts, over) =
                        (world.clone(), steps.clone(), starts.clone(), over.clone());
                    tokio::spawn(LANE.scope(l as u32, async move {
                        for step in &steps {
                            let due = t0 + Duration::from_micros(step.at_us);
                            crate::clock::sleep(due.saturating_sub(crate::clock::now())).await;
                            if over.load(Ordering::Relaxed) {
                                break;
                            }
                            let started = (crate::clock::now() - t0).as_nanos() as u64;
                            starts.lock().unwrap()[l].push(started);
                            perform(&world, step).await;
                        }
                    }))
                })
                .collect();
            let faults = {
                let (world, faults) = (world.clone(), self.faults.clone());
                tokio::spawn(async move {
                    for f in &faults {
                        let due = t0 + Duration::from_micros(f.at_us);
                        crate::clock::sleep(due.saturating_sub(crate::clock::now())).await;
                        world.apply(&f.fault).await;
                    }
                })
            };
            let last_due = self
                .lanes
                .iter()
                .flatten()
                .map(|s| s.at_us)
                .chain(self.faults.iter().map(|f| f.at_us))
                .max()
                .unwrap_or(0);
            let deadline = t0 + Duration::from_micros(last_due) + HORIZON;
            let all_done = async {
                for lane in lanes {
                    let _ = lane.await;
                }
            };
            let finished =
                crate::clock::timeout(deadline.saturating_sub(crate::clock::now()), all_done).await;
            if self.faults.is_empty() {
                if finished.is_some() {
                    crate::clock::sleep(SETTLE).await;
                }
            } else {
                let _ = faults.await;
                // The safety phase is over: no client starts another step (a call in
                // flight goes on, and its answer is recorded), so none acts on what the
                // teardown tears down.
                over.store(true, Ordering::Relaxed);
                world.heal();
                world.containerd.recorder.liveness_begins();
                // Calls a fault held up go on once healed: let them land before the
                // teardown decides what there is to tear down.
                crate::clock::sleep(SETTLE).await;
                let lane = self.lanes.len() as u32;
                let teardown = LANE.scope(lane, teardown(world.clone(), self.containers()));
                if crate::clock::timeout(LIVENESS_BOUND, teardown)
                    .await
                    .is_some()
                {
                    crate::clock::sleep(SETTLE).await;
                }
            }
            let starts = starts.lock().unwrap().clone();
            Ok(starts)
        })
    }
}

/// The liveness phase's clients, as kubelet's StopContainer and RemoveContainer, then
/// StopPodSandbox, would tear everything down: every task containerd lists is killed
/// (SIGKILL, all), waited for and deleted (a task that never started only deleted, as
/// StopContainer skips it); then every container of `containers` that a shim still
/// holds without containerd listing it (a client created it on the shim's socket) is
/// torn down the same way on the shim's socket (`ctr shim`); then the sandboxes; then a
/// shim still up is told to shut down on its socket. Each container on its own; errors
/// are the history's business.
async fn teardown(world: Arc<World>, containers: Vec<Target>) {
    let listed = world.containerd.task_ids();
    let (sandboxes, apps): (Vec<String>, Vec<String>) = listed
        .iter()
        .cloned()
        .partition(|id| world.shims.iter().any(|s| s.sid == *id));
    let unlisted: Vec<Target> = containers
        .into_iter()
        .filter(|t| !listed.contains(&t.id()))
        .collect();
    let listed_stops = |ids: Vec<String>| -> Vec<_> {
        ids.into_iter()
            .map(|id| {
                let world = world.clone();
                tokio::spawn(LANE.scope(crate::recorder::lane(), async move {
                    stop_listed(&world, &id).await
                }))
            })
            .collect()
    };
    for stop in listed_stops(apps) {
        let _ = stop.await;
    }
    let direct: Vec<_> = unlisted
        .into_iter()
        .map(|target| {
            let world = world.clone();
            tokio::spawn(LANE.scope(crate::recorder::lane(), async move {
                stop_on_the_shim(&world, target).await
            }))
        })
        .collect();
    for stop in direct {
        let _ = stop.await;
    }
    for stop in listed_stops(sandboxes) {
        let _ = stop.await;
    }
    // A shim still up (a container it held was never containerd's, so containerd's
    // deletes never ended it) is told to shut down on its socket.
    for shim in world.shims.iter().filter(|s| s.up.is_up()) {
        if let Some(conn) = world.containerd.shim(&shim.sid) {
            let _ = conn.direct().shutdown(&shim.sid).await;
        }
    }
}

/// Tears down task `id` through containerd's Tasks service.
async fn stop_listed(world: &World, id: &str) {
    let ctrd = &world.containerd;
    let timing = &*ctrd.timing;
    pause(timing, Site::Grpc).await;
    // CRI's StopContainer skips a task that never started.
    let created = matches!(ctrd.get(id).await, Ok(t) if t.status == Status::CREATED);
    if !created {
        let _ = ctrd.kill(id, crate::agent::SIGKILL, true).await;
        let _ = ctrd.wait(id).await;
    }
    let _ = ctrd.delete(id).await;
    pause(timing, Site::Grpc).await;
}

/// Tears down `target` on its shim's socket, if the shim still has it.
async fn stop_on_the_shim(world: &World, target: Target) {
    let Some(shim) = world.containerd.shim(&Case::sandbox(target.pod())) else {
        return;
    };
    let (shim, id) = (shim.direct(), target.id());
    let Ok(state) = shim.state(&id).await else {
        return;
    };
    if state.status.enum_value_or_default() != Status::CREATED {
        let _ = shim.kill(&id, crate::agent::SIGKILL, true).await;
        let _ = shim.wait(&id).await;
    }
    let _ = shim.delete(&id).await;
}

/// One client call, as a containerd client makes it: a gRPC hop to containerd's Tasks
/// service and back, or (via the shim) straight to the shim's ttrpc socket. Errors are
/// the history's business, not the client's.
async fn perform(world: &World, step: &Step) {
    let timing = &*world.containerd.timing;
    match (step.action, step.via) {
        (Action::List, _) => {
            pause(timing, Site::Grpc).await;
            drop(world.containerd.list().await);
            pause(timing, Site::Grpc).await;
        }
        (Action::Call(op, target), Via::Tasks) => {
            let (ctrd, id) = (&world.containerd, &target.id());
            pause(timing, Site::Grpc).await;
            match op {
                Op::Create => drop(ctrd.create(&Case::sandbox(target.pod()), id).await),
                Op::Start => drop(ctrd.start(id).await),
                Op::State => drop(ctrd.get(id).await),
                Op::Kill { signal, all } => drop(ctrd.kill(id, signal, all).await),
                Op::Wait => drop(ctrd.wait(id).await),
                Op::Delete => drop(ctrd.delete(id).await),
                Op::Pause => drop(ctrd.pause(id).await),
                Op::Resume => drop(ctrd.resume(id).await),
                // containerd's Tasks service has no Shutdown or Connect (`Case::validate`
                // refuses them).
                Op::Shutdown | Op::Connect => {}
            }
            pause(timing, Site::Grpc).await;
        }
        (Action::Call(op, target), Via::Shim) => {
            if let Some(shim) = world.containerd.shim(&Case::sandbox(target.pod())) {
                drop(shim.direct().send(op, &target.id()).await);
            }
        }
    }
}
