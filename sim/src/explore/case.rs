//! A generated test case as data: the world's shape, what each client lane calls and
//! when, and every latency. Nothing else decides the interleaving but madsim's seed,
//! which only breaks ties between events due at the same simulated instant.

use std::fmt;

use properties::Op;
use serde::{Deserialize, Serialize};

use crate::containerd::ListOrder;
use crate::fault::FaultStep;
use crate::latency::Latencies;

/// The latest a step may be due (60 s), so a run ends well inside the simulation's
/// time limit.
pub const MAX_AT_US: u64 = 60_000_000;
/// The longest latency a case may set (10 s).
pub const MAX_LATENCY_US: u64 = 10_000_000;
/// The most pods, and containers per pod, a case may have.
pub const MAX_PER_LEVEL: u8 = 9;

/// What a call is made on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Container `index` of pod `pod` (both 1-based): id `pod<pod>-c<index>`, run by the
    /// shim of sandbox `pod<pod>`.
    Container { pod: u8, index: u8 },
    /// An id no case ever creates (`never-created`), sent to the shim of pod 1.
    NeverCreated,
}

impl Target {
    /// The task id containerd and the shim know the target by.
    pub fn id(self) -> String {
        match self {
            Target::Container { pod, index } => format!("pod{pod}-c{index}"),
            Target::NeverCreated => "never-created".to_string(),
        }
    }

    /// The pod whose shim gets calls on the target.
    pub fn pod(self) -> u8 {
        match self {
            Target::Container { pod, .. } => pod,
            Target::NeverCreated => 1,
        }
    }
}

/// What a step does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// One Task API operation on a target.
    Call(Op, Target),
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
/// lane's previous call returns, if later), do `action` through `via`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "StepRepr", into = "StepRepr")]
pub struct Step {
    pub at_us: u64,
    pub action: Action,
    pub via: Via,
}

/// A step as a case file writes it: `{"at_us": 5, "op": "create", "target":
/// {"container": {"pod": 1, "index": 1}}, "via": "tasks"}`, `{"at_us": 9, "op": "list",
/// "via": "tasks"}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepRepr {
    at_us: u64,
    op: OpRepr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<Target>,
    via: Via,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum OpRepr {
    List(ListWord),
    Task(Op),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ListWord {
    List,
}

impl TryFrom<StepRepr> for Step {
    type Error = String;
    fn try_from(r: StepRepr) -> Result<Step, String> {
        let action = match (r.op, r.target) {
            (OpRepr::List(_), None) => Action::List,
            (OpRepr::List(_), Some(_)) => return Err("a list step has no target".into()),
            (OpRepr::Task(op), Some(target)) => Action::Call(op, target),
            (OpRepr::Task(op), None) => return Err(format!("a {op} step needs a target")),
        };
        Ok(Step {
            at_us: r.at_us,
            action,
            via: r.via,
        })
    }
}

impl From<Step> for StepRepr {
    fn from(s: Step) -> StepRepr {
        let (op, target) = match s.action {
            Action::List => (OpRepr::List(ListWord::List), None),
            Action::Call(op, target) => (OpRepr::Task(op), Some(target)),
        };
        StepRepr {
            at_us: s.at_us,
            op,
            target,
            via: s.via,
        }
    }
}

impl Step {
    /// The step's target, if it has one.
    pub fn target(&self) -> Option<Target> {
        match self.action {
            Action::Call(_, target) => Some(target),
            Action::List => None,
        }
    }
}

/// One generated test case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// madsim's seed: breaks ties between events due at the same instant (and orders a
    /// List when `list_order` is `shuffled`).
    pub madsim_seed: u64,
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
    /// The faults, each applied at its time by the world. A case with faults runs a
    /// liveness phase after them (see [`crate::explore::workload`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultStep>,
}

impl Case {
    /// The sandbox id of pod `p` (1-based).
    pub fn sandbox(p: u8) -> String {
        format!("pod{p}")
    }

    /// Every container the case may create, pod by pod.
    pub fn containers(&self) -> Vec<Target> {
        (1..=self.pods)
            .flat_map(|pod| {
                (1..=self.containers_per_pod).map(move |index| Target::Container { pod, index })
            })
            .collect()
    }

    /// The same case with only the pods and containers its steps name (at least one).
    pub fn fitted(mut self) -> Case {
        let named = self
            .lanes
            .iter()
            .flatten()
            .filter_map(|s| match s.target()? {
                Target::Container { pod, index } => Some((pod, index)),
                Target::NeverCreated => None,
            });
        let faulted = self.faults.iter().map(|f| {
            let (pod, index) = f.fault.container().unwrap_or((f.fault.pod(), 1));
            (pod, index)
        });
        let (pods, per_pod) = named
            .chain(faulted)
            .fold((1, 1), |(p, c), (sp, sc)| (p.max(sp), c.max(sc)));
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
        let levels = 1..=MAX_PER_LEVEL;
        if !levels.contains(&self.pods) || !levels.contains(&self.containers_per_pod) {
            return Err(format!(
                "pods and containers_per_pod must be 1..={MAX_PER_LEVEL}, got {} and {}",
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
        let containers = self.containers();
        for (l, lane) in self.lanes.iter().enumerate() {
            for step in lane {
                if step.at_us > MAX_AT_US {
                    return Err(format!(
                        "lane {l} has a step at {} us; valid: at most {MAX_AT_US} us",
                        step.at_us
                    ));
                }
                match (step.action, step.via) {
                    (Action::List, Via::Shim) => {
                        return Err(format!(
                            "lane {l} lists via the shim; List is a call of containerd's Tasks service (via \"tasks\")"
                        ))
                    }
                    (Action::Call(op @ (Op::Shutdown | Op::Connect), _), Via::Tasks) => {
                        return Err(format!(
                            "lane {l} sends {op} via containerd's Tasks service, which has none; valid: via \"shim\""
                        ))
                    }
                    (Action::Call(Op::Create, Target::NeverCreated), _) => {
                        return Err(format!("lane {l} creates never-created, the id no case creates"))
                    }
                    (Action::Call(_, t @ Target::Container { .. }), _) if !containers.contains(&t) => {
                        let valid: Vec<String> = containers.iter().map(|c| c.id()).collect();
                        return Err(format!(
                            "lane {l} names container {}; valid: {} or never-created",
                            t.id(),
                            valid.join(", ")
                        ));
                    }
                    _ => {}
                }
            }
        }
        for f in &self.faults {
            if f.at_us > MAX_AT_US {
                return Err(format!(
                    "fault {} is at {} us; valid: at most {MAX_AT_US} us",
                    f.fault, f.at_us
                ));
            }
            let in_world = match f.fault.container() {
                Some((pod, index)) => containers.contains(&Target::Container { pod, index }),
                None => (1..=self.pods).contains(&f.fault.pod()),
            };
            if !in_world {
                return Err(format!(
                    "fault {} names a pod or container the case does not have; valid: pods 1..={}, containers 1..={} per pod",
                    f.fault, self.pods, self.containers_per_pod
                ));
            }
        }
        Ok(())
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.via == Via::Shim {
            f.write_str("shim ")?;
        }
        match self.action {
            Action::List => f.write_str("List"),
            Action::Call(op, target) => write!(f, "{op} {}", target.id()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(lanes: Vec<Vec<Step>>) -> Case {
        Case {
            madsim_seed: 1,
            pods: 2,
            containers_per_pod: 1,
            latencies: Latencies::default(),
            list_order: ListOrder::ById,
            lanes,
            faults: Vec::new(),
        }
    }

    fn container(pod: u8, index: u8) -> Target {
        Target::Container { pod, index }
    }

    fn step(op: Op, target: Target) -> Step {
        Step {
            at_us: 0,
            action: Action::Call(op, target),
            via: Via::Tasks,
        }
    }

    fn list() -> Step {
        Step {
            at_us: 0,
            action: Action::List,
            via: Via::Tasks,
        }
    }

    #[test]
    fn targets_name_their_pod() {
        assert_eq!(container(2, 1).id(), "pod2-c1");
        assert_eq!(container(2, 1).pod(), 2);
        assert_eq!(Target::NeverCreated.id(), "never-created");
        assert_eq!(Target::NeverCreated.pod(), 1);
        assert_eq!(
            case(vec![]).containers(),
            vec![container(1, 1), container(2, 1)]
        );
    }

    #[test]
    fn fitted_keeps_the_pods_and_containers_the_steps_name() {
        let mut c = case(vec![vec![step(Op::State, container(1, 2))]]);
        c.pods = 3;
        c.containers_per_pod = 4;
        let c = c.fitted();
        assert_eq!((c.pods, c.containers_per_pod), (1, 2));
        let none = case(vec![vec![list()]]).fitted();
        assert_eq!((none.pods, none.containers_per_pod), (1, 1));
    }

    #[test]
    fn validate_names_the_bad_container_and_the_valid_ones() {
        let c = case(vec![vec![step(Op::State, container(3, 1))]]);
        let err = c.validate().unwrap_err();
        assert!(err.contains("container pod3-c1;"), "{err}");
        assert!(err.contains("pod1-c1, pod2-c1 or never-created"), "{err}");
        assert!(case(vec![vec![list()]]).validate().is_ok());
        let create = case(vec![vec![step(Op::Create, Target::NeverCreated)]]);
        assert!(create
            .validate()
            .unwrap_err()
            .contains("creates never-created"));
        let shutdown = case(vec![vec![step(Op::Shutdown, container(1, 1))]]);
        assert!(shutdown
            .validate()
            .unwrap_err()
            .contains("valid: via \"shim\""));
    }

    #[test]
    fn validate_bounds_times_and_latencies_and_wants_steps() {
        let mut c = case(vec![vec![step(Op::State, container(1, 1))]]);
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
    fn faults_widen_the_fitted_world_and_must_name_what_it_has() {
        use crate::fault::{Fault, FaultStep};
        let mut c = case(vec![vec![step(Op::State, container(1, 1))]]);
        c.faults.push(FaultStep {
            at_us: 5,
            fault: Fault::ProcessExit {
                pod: 2,
                index: 3,
                code: 1,
            },
        });
        let fitted = c.clone().fitted();
        assert_eq!((fitted.pods, fitted.containers_per_pod), (2, 3));
        assert!(fitted.validate().is_ok());
        let err = c.validate().unwrap_err();
        assert!(
            err.starts_with("fault process-exit pod2-c3 (code 1) names a pod"),
            "{err}"
        );
    }

    #[test]
    fn steps_print_as_calls() {
        let mut s = step(
            Op::Kill {
                signal: 9,
                all: false,
            },
            container(1, 1),
        );
        assert_eq!(s.to_string(), "Kill(9) pod1-c1");
        s.via = Via::Shim;
        s.action = Action::Call(Op::State, container(1, 1));
        assert_eq!(s.to_string(), "shim State pod1-c1");
    }

    #[test]
    fn steps_read_back_as_written_and_refuse_a_missing_or_stray_target() {
        let s = step(
            Op::Kill {
                signal: 15,
                all: false,
            },
            container(1, 2),
        );
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(
            json,
            r#"{"at_us":0,"op":{"kill":{"signal":15,"all":false}},"target":{"container":{"pod":1,"index":2}},"via":"tasks"}"#
        );
        assert_eq!(serde_json::from_str::<Step>(&json).unwrap(), s);
        let l = serde_json::to_string(&list()).unwrap();
        assert_eq!(l, r#"{"at_us":0,"op":"list","via":"tasks"}"#);
        assert_eq!(serde_json::from_str::<Step>(&l).unwrap(), list());
        let bad = r#"{"at_us":0,"op":"state","via":"tasks"}"#;
        let err = serde_json::from_str::<Step>(bad).unwrap_err().to_string();
        assert!(err.contains("a State step needs a target"), "{err}");
        let never = r#"{"at_us":0,"op":"wait","target":"never_created","via":"shim"}"#;
        let s: Step = serde_json::from_str(never).unwrap();
        assert_eq!(s.target(), Some(Target::NeverCreated));
    }
}
