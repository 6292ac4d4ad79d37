//! The experiment of kata-containers issue #12336, as its reproduction script runs it:
//! 3 pods x 2 containers, 150 concurrent `ctr -n k8s.io task ls` loops, then after 2 s
//! SIGKILL every container, after 1 s `ctr task delete` each, after 1 s `ctr container
//! delete` each, 5 s more, and stop the loops. Its metric is the script's: the log lines
//! `grep -c` counts ([`crate::run::Tally`]); like every run, it is also judged by the
//! properties.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use properties::fmt_ns;
use tracing::info;

use super::{Scenario, Workload};
use crate::agent::SIGKILL;
use crate::containerd::ListOrder;
use crate::cri::PodSpec;
use crate::latency::Latencies;
use crate::recorder::LANE;
use crate::world::World;

/// The client lane of the script's kill and delete rounds; the `ctr task ls` loops are
/// lanes 1, 2, ...
pub const SCRIPT_LANE: u32 = 0;

/// The script's shape. The defaults are the article's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Article {
    pub pods: usize,
    pub containers_per_pod: usize,
    pub loops: usize,
    /// `sleep 2` after starting the loops.
    pub before_kill: Duration,
    /// `sleep 1` between the kill, task delete and container delete rounds.
    pub between_rounds: Duration,
    /// `sleep 5` before stopping the loops.
    pub tail: Duration,
}

impl Default for Article {
    fn default() -> Article {
        Article {
            pods: 3,
            containers_per_pod: 2,
            loops: 150,
            before_kill: Duration::from_secs(2),
            between_rounds: Duration::from_secs(1),
            tail: Duration::from_secs(5),
        }
    }
}

impl Article {
    /// One pod, one container, four loops, short pauses: a fast run of the same shape.
    pub fn small() -> Article {
        Article {
            pods: 1,
            containers_per_pod: 1,
            loops: 4,
            before_kill: Duration::from_millis(100),
            between_rounds: Duration::from_millis(50),
            tail: Duration::from_millis(100),
        }
    }

    /// The sandbox ids: `race-test-1` .. `race-test-N`.
    pub fn sandboxes(&self) -> Vec<String> {
        (1..=self.pods).map(|p| format!("race-test-{p}")).collect()
    }
}

impl Scenario for Article {
    /// `race-test-1` .. `race-test-N`, each with containers `c1`, `c2`, ...
    fn pods(&self) -> Vec<PodSpec> {
        self.sandboxes()
            .into_iter()
            .map(|sid| PodSpec {
                containers: (1..=self.containers_per_pod)
                    .map(|c| format!("{sid}-c{c}"))
                    .collect(),
                sid,
            })
            .collect()
    }

    /// Go's map order: a fresh random order each List.
    fn list_order(&self) -> ListOrder {
        ListOrder::Shuffled
    }

    fn latencies(&self) -> Latencies {
        Latencies::default()
    }

    fn summary(&self) -> String {
        format!(
            "the article's script, {} pods x {} containers, {} ctr task ls loops",
            self.pods, self.containers_per_pod, self.loops
        )
    }

    fn schedule(&self, workload_start: Duration) -> String {
        let at = |d: Duration| fmt_ns((workload_start + d).as_nanos() as u64);
        let kill = self.before_kill;
        let delete = kill + self.between_rounds;
        let remove = delete + self.between_rounds;
        format!(
            "  lane {SCRIPT_LANE}: ctr task kill -s SIGKILL each container at {}; ctr task delete each at {}; ctr container delete each at {}; stop the loops {} later\n  lanes 1..{}: ctr task ls in a loop from {}\n",
            at(kill),
            at(delete),
            at(remove),
            fmt_ns(self.tail.as_nanos() as u64),
            self.loops,
            at(Duration::ZERO)
        )
    }

    fn drive(self: Arc<Self>, world: Arc<World>) -> Workload {
        Box::pin(async move {
            let container_ids: Vec<String> = world
                .pods
                .iter()
                .flat_map(|p| p.containers.iter().cloned())
                .collect();
            info!("Starting {} background State RPC hammers...", self.loops);
            let stop = Arc::new(AtomicBool::new(false));
            let loops: Vec<_> = (1..=self.loops as u32)
                .map(|lane| {
                    let (ctr, stop) = (world.ctr.clone(), stop.clone());
                    tokio::spawn(LANE.scope(lane, async move {
                        while !stop.load(Ordering::Relaxed) {
                            ctr.task_ls().await;
                        }
                    }))
                })
                .collect();
            LANE.scope(SCRIPT_LANE, async {
                crate::clock::sleep(self.before_kill).await;
                info!("Force-deleting containers while State calls are in flight...");
                for id in &container_ids {
                    let _ = world.ctr.task_kill(id, SIGKILL).await;
                }
                crate::clock::sleep(self.between_rounds).await;
                for id in &container_ids {
                    let _ = world.ctr.task_delete(id).await;
                }
                crate::clock::sleep(self.between_rounds).await;
                for id in &container_ids {
                    let _ = world.ctr.container_delete(id).await;
                }
                crate::clock::sleep(self.tail).await;
            })
            .await;
            stop.store(true, Ordering::Relaxed);
            // The script's `kill` of the loops lets each finish the `ctr` it is running.
            for l in loops {
                let _ = l.await;
            }
            Ok(Vec::new())
        })
    }
}
