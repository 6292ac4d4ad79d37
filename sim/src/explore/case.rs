//! A generated test case as data: the world's shape, what each client lane calls and
//! when, and every latency. Nothing else decides the interleaving but madsim's seed,
//! which only breaks ties between events due at the same simulated instant.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::containerd::ListOrder;
use crate::latency::Latencies;

/// The id a case uses for a container that is never created.
pub const NEVER_CREATED: &str = "never-created";

/// The latest a step may be due (60 s), so a run ends well inside the simulation's
/// time limit.
pub const MAX_AT_US: u64 = 60_000_000;
/// The longest latency a case may set (10 s).
pub const MAX_LATENCY_US: u64 = 10_000_000;

/// One client call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientOp {
    Create,
    Start,
    State,
    /// Kill with a signal (9 SIGKILL, 15 SIGTERM).
    Kill(u32),
    Wait,
    Delete,
    Pause,
    Resume,
    /// `ctr task ls`: containerd's List, a State for every listed task.
    List,
}

/// Which API a call goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// containerd's Tasks service (as `ctr task ...`, CRI or any containerd client).
    Tasks,
    /// The shim's own Task API on its ttrpc socket, by-passing containerd's task list
    /// (as `ctr shim --id <sandbox> ...` does).
    Shim,
}

/// One step of a lane: at `at_us` of node time after the workload starts (or when the
/// lane's previous call returns, if later), call `op` on `container` through `via`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub at_us: u64,
    pub op: ClientOp,
    /// A container id of the case (`pod<p>-c<c>`), or [`NEVER_CREATED`]; empty for List.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub container: String,
    pub via: Via,
}

/// One generated test case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// madsim's seed: breaks ties between events due at the same instant (and orders a
    /// List when `list_order` is `shuffled`).
    pub seed: u64,
    /// Pods (one shim and one VM each), set up by the CRI fixture before the lanes start.
    pub pods: u8,
    /// Containers each pod may hold; the lanes create them.
    pub containers_per_pod: u8,
    /// Every delay of the run, each a fixed point (`lo == hi`) so no draw decides it.
    pub latencies: Latencies,
    /// The order in which containerd's List visits its tasks (Go's map order is random;
    /// here the case decides it).
    pub list_order: ListOrder,
    /// The client lanes, each a sequence of steps run one after another.
    pub lanes: Vec<Vec<Step>>,
}

impl Case {
    /// The sandbox id of pod `p` (1-based).
    pub fn sandbox(p: u8) -> String {
        format!("pod{p}")
    }

    /// The id of container `c` of pod `p` (both 1-based).
    pub fn container(p: u8, c: u8) -> String {
        format!("pod{p}-c{c}")
    }

    /// The sandbox a container id belongs to (pod 1 for an id of no pod).
    pub fn sandbox_of(&self, container: &str) -> String {
        (1..=self.pods)
            .find(|&p| container.starts_with(&format!("pod{p}-")))
            .map_or_else(|| Case::sandbox(1), Case::sandbox)
    }

    /// Every container id the case may create, pod by pod.
    pub fn container_ids(&self) -> Vec<String> {
        (1..=self.pods)
            .flat_map(|p| (1..=self.containers_per_pod).map(move |c| Case::container(p, c)))
            .collect()
    }

    /// The same case with only the pods and containers its steps name (at least one).
    pub fn fitted(mut self) -> Case {
        let named = self.lanes.iter().flatten().filter_map(|s| {
            let (p, c) = s.container.strip_prefix("pod")?.split_once("-c")?;
            Some((p.parse::<u8>().ok()?, c.parse::<u8>().ok()?))
        });
        let (pods, per_pod) = named.fold((1, 1), |(p, c), (sp, sc)| (p.max(sp), c.max(sc)));
        self.pods = pods;
        self.containers_per_pod = per_pod;
        self
    }

    /// The same case with every step due when it actually started in a run (`starts`,
    /// ns after the workload started, per lane), so that removing one step no longer
    /// moves the steps after it. Steps the run never started keep their time.
    pub fn pinned(mut self, starts: &[Vec<u64>]) -> Case {
        for (lane, lane_starts) in self.lanes.iter_mut().zip(starts) {
            for (step, &ns) in lane.iter_mut().zip(lane_starts) {
                step.at_us = ns / 1_000;
            }
        }
        self
    }

    /// How many client calls the case makes.
    pub fn op_count(&self) -> usize {
        self.lanes.iter().map(Vec::len).sum()
    }

    /// Checks the case is one kata-dst can run; the problem in one line if not.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=9).contains(&self.pods) || !(1..=9).contains(&self.containers_per_pod) {
            return Err(format!(
                "pods and containers_per_pod must be 1..=9, got {} and {}",
                self.pods, self.containers_per_pod
            ));
        }
        for (name, m) in self.latencies.named() {
            if m.lo > m.hi || m.hi > MAX_LATENCY_US {
                return Err(format!(
                    "latency {name} is [{}, {}]; valid: lo <= hi <= {MAX_LATENCY_US} us",
                    m.lo, m.hi
                ));
            }
        }
        if self.lanes.is_empty() || self.lanes.iter().any(Vec::is_empty) {
            return Err(
                "every case needs at least one lane, and every lane at least one step".into(),
            );
        }
        let ids = self.container_ids();
        for (l, lane) in self.lanes.iter().enumerate() {
            for step in lane {
                if step.at_us > MAX_AT_US {
                    return Err(format!(
                        "lane {l} has a step at {} us; valid: at most {MAX_AT_US} us",
                        step.at_us
                    ));
                }
                let known = ids.contains(&step.container) || step.container == NEVER_CREATED;
                if step.op == ClientOp::List && step.via == Via::Shim {
                    return Err(format!(
                        "lane {l} lists via the shim; List is a call of containerd's Tasks service (via \"tasks\")"
                    ));
                }
                if step.op == ClientOp::Create && step.container == NEVER_CREATED {
                    return Err(format!(
                        "lane {l} creates {NEVER_CREATED}, the id no case creates"
                    ));
                }
                if step.op != ClientOp::List && !known {
                    return Err(format!(
                        "lane {l} names container {:?}; valid: {} or {NEVER_CREATED}",
                        step.container,
                        ids.join(", ")
                    ));
                }
            }
        }
        Ok(())
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let via = match self.via {
            Via::Tasks => "",
            Via::Shim => "shim ",
        };
        match self.op {
            ClientOp::List => write!(f, "{via}List"),
            ClientOp::Kill(sig) => write!(f, "{via}Kill({sig}) {}", self.container),
            op => write!(f, "{via}{op:?} {}", self.container),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(lanes: Vec<Vec<Step>>) -> Case {
        Case {
            seed: 1,
            pods: 2,
            containers_per_pod: 1,
            latencies: Latencies::default(),
            list_order: ListOrder::ById,
            lanes,
        }
    }

    fn step(op: ClientOp, container: &str) -> Step {
        Step {
            at_us: 0,
            op,
            container: container.into(),
            via: Via::Tasks,
        }
    }

    #[test]
    fn ids_name_their_pod() {
        let c = case(vec![]);
        assert_eq!(c.container_ids(), vec!["pod1-c1", "pod2-c1"]);
        assert_eq!(c.sandbox_of("pod2-c1"), "pod2");
        assert_eq!(c.sandbox_of(NEVER_CREATED), "pod1");
    }

    #[test]
    fn fitted_keeps_the_pods_and_containers_the_steps_name() {
        let mut c = case(vec![vec![step(ClientOp::State, "pod1-c2")]]);
        c.pods = 3;
        c.containers_per_pod = 4;
        let c = c.fitted();
        assert_eq!((c.pods, c.containers_per_pod), (1, 2));
        let none = case(vec![vec![step(ClientOp::List, "")]]).fitted();
        assert_eq!((none.pods, none.containers_per_pod), (1, 1));
    }

    #[test]
    fn validate_names_the_bad_container_and_the_valid_ones() {
        let c = case(vec![vec![step(ClientOp::State, "pod3-c1")]]);
        let err = c.validate().unwrap_err();
        assert!(err.contains("\"pod3-c1\""), "{err}");
        assert!(err.contains("pod1-c1, pod2-c1 or never-created"), "{err}");
        assert!(case(vec![vec![step(ClientOp::List, "")]])
            .validate()
            .is_ok());
    }

    #[test]
    fn validate_bounds_times_and_latencies_and_wants_steps() {
        let mut c = case(vec![vec![step(ClientOp::State, "pod1-c1")]]);
        assert!(c.validate().is_ok());
        c.lanes[0][0].at_us = MAX_AT_US + 1;
        assert!(c.validate().unwrap_err().contains("at most 60000000 us"));
        c.lanes[0][0].at_us = 0;
        c.latencies.ttrpc = crate::latency::Micros::new(5, 4);
        assert!(c
            .validate()
            .unwrap_err()
            .contains("latency ttrpc is [5, 4]"));
        c.latencies = Latencies::default();
        c.lanes.push(Vec::new());
        assert!(c.validate().unwrap_err().contains("at least one step"));
    }

    #[test]
    fn steps_print_as_calls() {
        let mut s = step(ClientOp::Kill(9), "pod1-c1");
        assert_eq!(s.to_string(), "Kill(9) pod1-c1");
        s.via = Via::Shim;
        s.op = ClientOp::State;
        assert_eq!(s.to_string(), "shim State pod1-c1");
    }
}
