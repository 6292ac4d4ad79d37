//! Faults a run injected, as the history records them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The kinds of fault a run can inject. Their names (`vm-crash`, ...) are how reports,
/// case files and the command line spell them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// A pod's VM dies at once (VMM crash, host OOM kill): the guest and its agent are
    /// gone and the agent's connections close.
    VmCrash,
    /// A pod's shim process dies: containerd sees its connection close.
    ShimCrash,
    /// A container's process exits by itself with a given code.
    ProcessExit,
    /// The agent answers the next call of one kind with an error.
    AgentError,
    /// The agent takes the next call of one kind and does not answer it until healed.
    AgentStall,
    /// The shim's connection to the agent closes (the VM lives on): every call in flight
    /// on it, and every later one, fails as closed.
    AgentClose,
    /// A link (containerd <-> a shim, or a shim <-> its agent) holds every message until
    /// healed.
    LinkHold,
    /// The next OCI hook the pod's runtime runs fails.
    HookError,
    /// The pod's VM boots slowly, or not at all.
    VmBoot,
    /// The next OCI hook the pod's runtime runs takes much longer.
    HookSlow,
    /// A link (containerd <-> a shim, or a shim <-> its agent) loses every message until
    /// healed.
    LinkPartition,
}

impl FaultKind {
    /// Every kind, in report order.
    pub const ALL: [FaultKind; 11] = [
        FaultKind::VmCrash,
        FaultKind::ShimCrash,
        FaultKind::ProcessExit,
        FaultKind::AgentError,
        FaultKind::AgentStall,
        FaultKind::AgentClose,
        FaultKind::LinkHold,
        FaultKind::HookError,
        FaultKind::VmBoot,
        FaultKind::HookSlow,
        FaultKind::LinkPartition,
    ];

    /// The kind's name, as `--fault` takes it.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::VmCrash => "vm-crash",
            FaultKind::ShimCrash => "shim-crash",
            FaultKind::ProcessExit => "process-exit",
            FaultKind::AgentError => "agent-error",
            FaultKind::AgentStall => "agent-stall",
            FaultKind::AgentClose => "agent-close",
            FaultKind::LinkHold => "link-hold",
            FaultKind::HookError => "hook-error",
            FaultKind::VmBoot => "vm-boot",
            FaultKind::HookSlow => "hook-slow",
            FaultKind::LinkPartition => "link-partition",
        }
    }

    /// The valid names, for error messages.
    pub fn names() -> String {
        FaultKind::ALL.map(FaultKind::name).join(", ")
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = String;
    fn from_str(s: &str) -> Result<FaultKind, String> {
        FaultKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown fault '{s}' (valid: {})", FaultKind::names()))
    }
}

/// One injected fault: what, where and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    /// The sandbox (pod) it hit.
    pub sandbox: String,
    /// The container it hit, for a fault aimed at one (`process-exit`).
    pub container: Option<String>,
    /// The exit code a `process-exit` gave the process.
    pub exit_code: Option<i32>,
    /// What else there is to say (which agent call, which link), for people.
    pub detail: String,
    /// When it was applied, in simulated ns.
    pub at_ns: u64,
}

impl fmt::Display for Fault {
    /// `vm-crash pod1`, `process-exit pod1-c1 (code 3)`, `agent-error pod1 (create_container)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.kind)?;
        match &self.container {
            Some(c) => write!(f, "{c}")?,
            None => write!(f, "{}", self.sandbox)?,
        }
        match (self.exit_code, self.detail.is_empty()) {
            (Some(code), _) => write!(f, " (code {code})"),
            (None, false) => write!(f, " ({})", self.detail),
            (None, true) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_unknown_ones_list_the_valid_ones() {
        for k in FaultKind::ALL {
            assert_eq!(k.name().parse::<FaultKind>(), Ok(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.name())
            );
        }
        let err = "vm-explode".parse::<FaultKind>().unwrap_err();
        assert!(
            err.contains("'vm-explode'") && err.contains("vm-crash, shim-crash"),
            "{err}"
        );
    }

    #[test]
    fn a_fault_names_its_target_and_detail() {
        let f = |container: Option<&str>, exit_code, detail: &str| Fault {
            kind: FaultKind::ProcessExit,
            sandbox: "pod1".into(),
            container: container.map(String::from),
            exit_code,
            detail: detail.into(),
            at_ns: 0,
        };
        assert_eq!(
            f(Some("pod1-c1"), Some(3), "").to_string(),
            "process-exit pod1-c1 (code 3)"
        );
        assert_eq!(
            f(None, None, "create_container").to_string(),
            "process-exit pod1 (create_container)"
        );
    }
}
