//! Faults as case data: what breaks, where and when. A fault is a step of a case like a
//! client call, applied by the world's controls ([`World::apply`](crate::world::World::apply))
//! at its time; proptest generates and shrinks it like any step.

mod apply;
mod controls;
mod swarm;

use std::fmt;

use properties::FaultKind;
use serde::{Deserialize, Serialize};

pub use controls::{Controls, Gate};
pub use swarm::Swarm;

/// The agent calls a fault can be aimed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentCall {
    CreateContainer,
    StartContainer,
    RemoveContainer,
    SignalProcess,
}

impl AgentCall {
    pub const ALL: [AgentCall; 4] = [
        AgentCall::CreateContainer,
        AgentCall::StartContainer,
        AgentCall::RemoveContainer,
        AgentCall::SignalProcess,
    ];

    /// The call's name in kata-agent's API (snake_case, as case files spell it).
    pub fn name(self) -> &'static str {
        match self {
            AgentCall::CreateContainer => "create_container",
            AgentCall::StartContainer => "start_container",
            AgentCall::RemoveContainer => "remove_container",
            AgentCall::SignalProcess => "signal_process",
        }
    }
}

/// The links a fault can hold or partition: each carries one pod's messages one way and the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// containerd and the pod's shim (the Task API, and events the other way).
    ContainerdShim,
    /// The pod's shim and the agent in its VM (the vsock).
    ShimAgent,
}

impl Link {
    pub const ALL: [Link; 2] = [Link::ContainerdShim, Link::ShimAgent];

    pub fn name(self) -> &'static str {
        match self {
            Link::ContainerdShim => "containerd-shim",
            Link::ShimAgent => "shim-agent",
        }
    }
}

/// One fault. Pods and containers are 1-based, as in [`Target`](crate::explore::case::Target).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "fault")]
pub enum Fault {
    /// The pod's VM dies at once (VMM crash, host OOM kill).
    VmCrash { pod: u8 },
    /// The pod's shim process dies; containerd sees its connection close.
    ShimCrash { pod: u8 },
    /// Container `index` of `pod`'s process exits by itself with `code`.
    ProcessExit { pod: u8, index: u8, code: i32 },
    /// The pod's agent answers its next `call` with an error.
    AgentError { pod: u8, call: AgentCall },
    /// The pod's agent takes its next `call` and answers it only once healed.
    AgentStall { pod: u8, call: AgentCall },
    /// The pod's shim loses its connection to the agent (the VM lives on).
    AgentClose { pod: u8 },
    /// The pod's `link` holds every message until healed.
    LinkHold { pod: u8, link: Link },
    /// The pod's `link` loses every message until healed.
    LinkPartition { pod: u8, link: Link },
    /// The next OCI hook the pod's runtime runs (createContainer, poststart, poststop)
    /// fails.
    HookError { pod: u8 },
    /// The pod's VM boot (at its sandbox's Create, before the workload) takes `delay_ms`
    /// longer, and with `fails` never comes up. Armed before the pods are set up.
    VmBoot { pod: u8, delay_ms: u32, fails: bool },
    /// The next OCI hook the pod's runtime runs takes `delay_ms` longer.
    HookSlow { pod: u8, delay_ms: u32 },
}

impl Fault {
    /// What kind of fault this is.
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::VmCrash { .. } => FaultKind::VmCrash,
            Fault::ShimCrash { .. } => FaultKind::ShimCrash,
            Fault::ProcessExit { .. } => FaultKind::ProcessExit,
            Fault::AgentError { .. } => FaultKind::AgentError,
            Fault::AgentStall { .. } => FaultKind::AgentStall,
            Fault::AgentClose { .. } => FaultKind::AgentClose,
            Fault::LinkHold { .. } => FaultKind::LinkHold,
            Fault::LinkPartition { .. } => FaultKind::LinkPartition,
            Fault::HookError { .. } => FaultKind::HookError,
            Fault::VmBoot { .. } => FaultKind::VmBoot,
            Fault::HookSlow { .. } => FaultKind::HookSlow,
        }
    }

    /// The pod it hits.
    pub fn pod(&self) -> u8 {
        match *self {
            Fault::VmCrash { pod }
            | Fault::ShimCrash { pod }
            | Fault::ProcessExit { pod, .. }
            | Fault::AgentError { pod, .. }
            | Fault::AgentStall { pod, .. }
            | Fault::AgentClose { pod }
            | Fault::HookError { pod }
            | Fault::VmBoot { pod, .. }
            | Fault::HookSlow { pod, .. }
            | Fault::LinkHold { pod, .. }
            | Fault::LinkPartition { pod, .. } => pod,
        }
    }

    /// The container it hits, if it is aimed at one: (pod, index).
    pub fn container(&self) -> Option<(u8, u8)> {
        match *self {
            Fault::ProcessExit { pod, index, .. } => Some((pod, index)),
            _ => None,
        }
    }

    /// The history's record of it (its time is set when it is applied).
    pub fn record(&self) -> properties::Fault {
        let (exit_code, detail) = match *self {
            Fault::ProcessExit { code, .. } => (Some(code), String::new()),
            Fault::AgentError { call, .. } | Fault::AgentStall { call, .. } => {
                (None, call.name().to_string())
            }
            Fault::LinkHold { link, .. } | Fault::LinkPartition { link, .. } => {
                (None, link.name().to_string())
            }
            Fault::HookSlow { delay_ms, .. } => (None, format!("{delay_ms} ms late")),
            Fault::VmBoot {
                delay_ms, fails, ..
            } => (
                None,
                format!("{delay_ms} ms late{}", if fails { ", fails" } else { "" }),
            ),
            Fault::VmCrash { .. }
            | Fault::ShimCrash { .. }
            | Fault::AgentClose { .. }
            | Fault::HookError { .. } => (None, String::new()),
        };
        properties::Fault {
            kind: self.kind(),
            sandbox: crate::explore::case::Case::sandbox(self.pod()),
            container: self
                .container()
                .map(|(pod, index)| crate::explore::case::Target::Container { pod, index }.id()),
            exit_code,
            detail,
            at_ns: 0,
        }
    }
}

/// `vm-crash pod1`, `process-exit pod1-c2 (code 3)`, `agent-stall pod2 (signal_process)`.
impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut record = self.record();
        record.at_ns = 0;
        write!(f, "{record}")
    }
}

/// A fault due `at_us` of node time after the workload starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FaultStep {
    pub at_us: u64,
    #[serde(flatten)]
    pub fault: Fault,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_step_is_written_flat_and_reads_back() {
        let step = FaultStep {
            at_us: 7,
            fault: Fault::AgentError {
                pod: 1,
                call: AgentCall::CreateContainer,
            },
        };
        let json = serde_json::to_string(&step).unwrap();
        assert_eq!(
            json,
            r#"{"at_us":7,"fault":"agent-error","pod":1,"call":"create_container"}"#
        );
        assert_eq!(serde_json::from_str::<FaultStep>(&json).unwrap(), step);
        assert_eq!(
            step.fault.to_string(),
            "agent-error pod1 (create_container)"
        );
    }

    #[test]
    fn every_kind_names_its_target() {
        let exit = Fault::ProcessExit {
            pod: 2,
            index: 1,
            code: 3,
        };
        assert_eq!(exit.to_string(), "process-exit pod2-c1 (code 3)");
        assert_eq!(exit.kind(), FaultKind::ProcessExit);
        assert_eq!(Fault::VmCrash { pod: 1 }.to_string(), "vm-crash pod1");
        let hold = Fault::LinkHold {
            pod: 1,
            link: Link::ShimAgent,
        };
        assert_eq!(hold.to_string(), "link-hold pod1 (shim-agent)");
        let partition = Fault::LinkPartition {
            pod: 2,
            link: Link::ContainerdShim,
        };
        assert_eq!(
            partition.to_string(),
            "link-partition pod2 (containerd-shim)"
        );
    }
}
