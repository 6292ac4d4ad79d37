//! Sometimes situations: a fault of each kind landing while an operation of each
//! lifecycle kind is in flight on the sandbox it hits.

use crate::history::{FaultKind, History, Op};
use crate::property::Sometimes;

/// The operations whose in-flight window a fault is aimed at.
const OPS: [Op; 6] = [
    Op::Create,
    Op::Start,
    Op::Kill {
        signal: 9,
        all: false,
    },
    Op::Wait,
    Op::Delete,
    Op::State,
];

/// The situation names, by fault kind (in [`FaultKind::ALL`] order) and operation (in
/// [`OPS`] order).
const NAMES: [[&str; 6]; 11] = [
    [
        "vm_crash_during_create",
        "vm_crash_during_start",
        "vm_crash_during_kill",
        "vm_crash_during_wait",
        "vm_crash_during_delete",
        "vm_crash_during_state",
    ],
    [
        "shim_crash_during_create",
        "shim_crash_during_start",
        "shim_crash_during_kill",
        "shim_crash_during_wait",
        "shim_crash_during_delete",
        "shim_crash_during_state",
    ],
    [
        "process_exit_during_create",
        "process_exit_during_start",
        "process_exit_during_kill",
        "process_exit_during_wait",
        "process_exit_during_delete",
        "process_exit_during_state",
    ],
    [
        "agent_error_during_create",
        "agent_error_during_start",
        "agent_error_during_kill",
        "agent_error_during_wait",
        "agent_error_during_delete",
        "agent_error_during_state",
    ],
    [
        "agent_stall_during_create",
        "agent_stall_during_start",
        "agent_stall_during_kill",
        "agent_stall_during_wait",
        "agent_stall_during_delete",
        "agent_stall_during_state",
    ],
    [
        "agent_close_during_create",
        "agent_close_during_start",
        "agent_close_during_kill",
        "agent_close_during_wait",
        "agent_close_during_delete",
        "agent_close_during_state",
    ],
    [
        "link_hold_during_create",
        "link_hold_during_start",
        "link_hold_during_kill",
        "link_hold_during_wait",
        "link_hold_during_delete",
        "link_hold_during_state",
    ],
    [
        "hook_error_during_create",
        "hook_error_during_start",
        "hook_error_during_kill",
        "hook_error_during_wait",
        "hook_error_during_delete",
        "hook_error_during_state",
    ],
    [
        "vm_boot_during_create",
        "vm_boot_during_start",
        "vm_boot_during_kill",
        "vm_boot_during_wait",
        "vm_boot_during_delete",
        "vm_boot_during_state",
    ],
    [
        "hook_slow_during_create",
        "hook_slow_during_start",
        "hook_slow_during_kill",
        "hook_slow_during_wait",
        "hook_slow_during_delete",
        "hook_slow_during_state",
    ],
    [
        "link_partition_during_create",
        "link_partition_during_start",
        "link_partition_during_kill",
        "link_partition_during_wait",
        "link_partition_during_delete",
        "link_partition_during_state",
    ],
];

/// A fault of `kind` applied while a call of the operation `op` (any signal for Kill)
/// was in flight on the sandbox it hit (invoked before it, not yet returned): the
/// failure path a campaign with faults must reach.
pub struct FaultDuringOp {
    pub kind: FaultKind,
    pub op: Op,
    name: &'static str,
}

impl FaultDuringOp {
    /// Every such situation: each fault kind with each lifecycle operation it can land
    /// in (a VM boots only inside the Create of its pod's first container).
    pub fn all() -> Vec<FaultDuringOp> {
        FaultKind::ALL
            .iter()
            .zip(NAMES)
            .flat_map(|(&kind, names)| {
                OPS.iter()
                    .zip(names)
                    .map(move |(&op, name)| FaultDuringOp { kind, op, name })
            })
            .filter(|s| s.kind != FaultKind::VmBoot || s.op == Op::Create)
            .collect()
    }
}

fn same_method(a: Op, b: Op) -> bool {
    a.method() == b.method()
}

impl Sometimes for FaultDuringOp {
    fn name(&self) -> &'static str {
        self.name
    }

    fn hit(&self, h: &History) -> bool {
        h.faults()
            .filter(|(_, f)| f.kind == self.kind)
            .any(|(_, f)| {
                h.calls.iter().any(|c| {
                    same_method(c.op, self.op)
                        && c.sandbox == f.sandbox
                        && c.invoked_ns < f.at_ns
                        && f.at_ns < c.end_ns()
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn names_follow_kind_and_operation() {
        let all = FaultDuringOp::all();
        assert_eq!(all.len(), 61);
        for s in &all {
            let expected = format!(
                "{}_during_{}",
                s.kind.name().replace('-', "_"),
                s.op.method().to_lowercase()
            );
            assert_eq!(s.name(), expected);
        }
    }

    #[test]
    fn hit_when_the_fault_lands_inside_a_call_on_its_sandbox() {
        let crash_during_kill = FaultDuringOp::all()
            .into_iter()
            .find(|s| s.name() == "vm_crash_during_kill")
            .unwrap();
        let kill = |sandbox: &str| {
            history(vec![call(KILL9, "c", 100, 200).on(sandbox)]).fault(
                FaultKind::VmCrash,
                "s",
                None,
                None,
                150,
            )
        };
        assert!(crash_during_kill.hit(&kill("s")));
        assert!(!crash_during_kill.hit(&kill("t")));
        let after = history(vec![call(KILL9, "c", 100, 200)]).fault(
            FaultKind::VmCrash,
            "s",
            None,
            None,
            200,
        );
        assert!(!crash_during_kill.hit(&after));
    }
}
