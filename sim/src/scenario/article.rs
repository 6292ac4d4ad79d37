//! The experiment of kata-containers issue #12336, as its reproduction script runs it:
//! 3 pods x 2 containers, 150 concurrent `ctr -n k8s.io task ls` loops, then after 2 s
//! SIGKILL every container, after 1 s `ctr task delete` each, after 1 s `ctr container
//! delete` each, 5 s more, and stop the loops. Errors and warnings are counted from the
//! log like the script's `grep -c`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use runtime_model::Profile;
use tracing::info;

use crate::agent::SIGKILL;
use crate::containerd::ListOrder;
use crate::cri::PodSpec;
use crate::latency::Timing;
use crate::recorder::Recorder;
use crate::world::World;

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
    /// A built-in scenario by name: `article` (the article's script) or `article-small`
    /// (one pod, one container, four loops, short pauses: a fast run of the same shape).
    pub fn by_name(name: &str) -> Option<Article> {
        match name {
            "article" => Some(Article::default()),
            "article-small" => Some(Article {
                pods: 1,
                containers_per_pod: 1,
                loops: 4,
                before_kill: Duration::from_millis(100),
                between_rounds: Duration::from_millis(50),
                tail: Duration::from_millis(100),
            }),
            _ => None,
        }
    }

    /// `race-test-1` .. `race-test-N`, each with containers `c1`, `c2`, ...
    pub fn pods(&self) -> Vec<PodSpec> {
        (1..=self.pods)
            .map(|p| PodSpec {
                sid: format!("race-test-{p}"),
                containers: (1..=self.containers_per_pod)
                    .map(|c| format!("race-test-{p}-c{c}"))
                    .collect(),
            })
            .collect()
    }

    /// Runs the script once. Must run on containerd's node.
    pub async fn run(
        &self,
        profile: Profile,
        timing: Arc<dyn Timing>,
        recorder: Arc<Recorder>,
    ) -> Result<()> {
        let world =
            World::start(profile, timing, recorder, self.pods(), ListOrder::Shuffled).await?;
        world.run_pods().await?;
        let container_ids: Vec<String> = world
            .pods
            .iter()
            .flat_map(|p| p.containers.iter().cloned())
            .collect();
        info!("Starting {} background State RPC hammers...", self.loops);
        let stop = Arc::new(AtomicBool::new(false));
        for _ in 0..self.loops {
            let (ctr, stop) = (world.ctr.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    ctr.task_ls().await;
                }
            });
        }
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
        stop.store(true, Ordering::Relaxed);
        Ok(())
    }
}
