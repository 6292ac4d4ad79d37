//! Scenarios: what drives a run. The article's script and a generated case are both a
//! [`Scenario`]; [`crate::run::run`] runs any of them through the same world, records the
//! same [`properties::History`], and every property judges it.

pub mod article;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

use crate::containerd::ListOrder;
use crate::cri::PodSpec;
use crate::latency::Latencies;
use crate::world::World;

/// When each step of each lane of a workload started, in ns after the workload started.
pub type StepStarts = Vec<Vec<u64>>;

/// A boxed workload future.
pub type Workload = Pin<Box<dyn Future<Output = Result<StepStarts>> + Send>>;

/// What a run does in the world.
pub trait Scenario: Send + Sync + 'static {
    /// The pods (each with the containers CRI creates and starts in it) set up before
    /// the workload starts.
    fn pods(&self) -> Vec<PodSpec>;
    /// The order in which containerd's List visits its task list.
    fn list_order(&self) -> ListOrder;
    /// Every latency of the run.
    fn latencies(&self) -> Latencies;
    /// Drives the workload on containerd's node once every pod is ready, and returns
    /// once nothing it started is still in flight (or a bound of simulated time passed).
    /// Client calls run inside a [`crate::recorder::LANE`] scope, one lane per client.
    fn drive(self: Arc<Self>, world: Arc<World>) -> Workload;
    /// What the scenario is, in one line.
    fn summary(&self) -> String;
    /// Arms what must be armed in the world before the pods are set up (a case's
    /// `vm-boot` faults). Nothing by default.
    fn prepare(&self, _world: &World) {}
    /// Whether a pod that fails to come up is part of the run (a case with faults: the
    /// failure is the history's business) rather than an error of the run. No by default.
    fn setup_may_fail(&self) -> bool {
        false
    }
    /// What each lane does and when, for a person (in simulated time since the run
    /// started: the workload started at `workload_start`); one line per lane.
    fn schedule(&self, workload_start: Duration) -> String;
}

/// The built-in scripted scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Builtin {
    /// The script of kata-containers #12336: 3 pods x 2 containers, 150 `ctr task ls`
    /// loops, SIGKILL, `ctr task delete`, `ctr container delete`.
    Article,
    /// The same script, small: 1 pod x 1 container, 4 loops, short pauses.
    ArticleSmall,
}

impl Builtin {
    /// The scenario.
    pub fn scenario(self) -> article::Article {
        match self {
            Builtin::Article => article::Article::default(),
            Builtin::ArticleSmall => article::Article::small(),
        }
    }

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Article => "article",
            Builtin::ArticleSmall => "article-small",
        }
    }
}

impl std::fmt::Display for Builtin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}
