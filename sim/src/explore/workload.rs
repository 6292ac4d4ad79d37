//! A case as a [`Scenario`]: its pods (no containers yet: the lanes create them), its
//! latencies and List order, and its lanes of client calls, each step due at its time.
//!
//! A case with faults runs in two phases. Safety: the lanes and the faults, each at its
//! time, until every lane is done or [`HORIZON`] after the last step or fault was due.
//! Liveness: the world heals every fault that can heal, then a teardown lane (the lane
//! after the case's own) kills, waits for and deletes every task containerd lists, as
//! kubelet's StopContainer and RemoveContainer would, app containers before each pod's
//! sandbox; the run ends [`SETTLE`] after the teardown finished, or at
//! [`LIVENESS_BOUND`], whichever comes first, so a hang is a pending call in the
//! history, never a hung run.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use containerd_shim_protos::api::Status;
use properties::{fmt_ns, Op};

use super::case::{Action, Case, Step, Via};
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
            let lanes: Vec<_> = self
                .lanes
                .iter()
                .enumerate()
                .map(|(l, steps)| {
                    let (world, steps, starts) = (world.clone(), steps.clone(), starts.clone());
                    tokio::spawn(LANE.scope(l as u32, async move {
                        for step in &steps {
                            let due = t0 + Duration::from_micros(step.at_us);
                            crate::clock::sleep(due.saturating_sub(crate::clock::now())).await;
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
                world.heal();
                world.containerd.recorder.liveness_begins();
                let lane = self.lanes.len() as u32;
                let teardown = LANE.scope(lane, teardown(world.clone()));
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

/// The liveness phase's clients: every task containerd lists is killed (SIGKILL, all),
/// waited for and deleted (a task that never started only deleted, as CRI's
/// StopContainer skips it), each task on its own, app containers before sandboxes;
/// errors are the history's business.
async fn teardown(world: Arc<World>) {
    let ids = world.containerd.task_ids();
    let (sandboxes, apps): (Vec<String>, Vec<String>) = ids
        .into_iter()
        .partition(|id| world.shims.iter().any(|s| s.sid == *id));
    for group in [apps, sandboxes] {
        let stops: Vec<_> = group
            .into_iter()
            .map(|id| {
                let world = world.clone();
                let lane = crate::recorder::lane();
                tokio::spawn(LANE.scope(lane, async move {
                    let ctrd = &world.containerd;
                    let timing = &*ctrd.timing;
                    pause(timing, Site::Grpc).await;
                    // CRI's StopContainer skips a task that never started.
                    let created =
                        matches!(ctrd.get(&id).await, Ok(t) if t.status == Status::CREATED);
                    if !created {
                        let _ = ctrd.kill(&id, crate::agent::SIGKILL, true).await;
                        let _ = ctrd.wait(&id).await;
                    }
                    let _ = ctrd.delete(&id).await;
                    pause(timing, Site::Grpc).await;
                }))
            })
            .collect();
        for stop in stops {
            let _ = stop.await;
        }
    }
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
                // containerd's Tasks service has no Shutdown (`Case::validate` refuses it).
                Op::Shutdown => {}
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
