//! The world's fault methods, in the style of turmoil's `crash` / `hold` / `release`:
//! each applies one [`Fault`] through madsim's node and network controls or the world's
//! gates, and records it in the history.

use std::sync::Arc;

use madsim::runtime::Handle;
use runtime_model::profile::Program;
use tracing::warn;

use super::{Fault, Link};
use crate::agent::Armed;
use crate::explore::case::Target;
use crate::shim::Shim;
use crate::world::{World, CONTAINERD_NODE};

impl World {
    /// Applies `fault` now. A fault on a pod the world does not have, or on a VM or shim
    /// already gone, is recorded and does nothing else.
    pub async fn apply(&self, fault: &Fault) {
        if let Fault::VmBoot { .. } = fault {
            // Armed before the pods were set up (`World::arm_boot`), recorded at the boot.
            return;
        }
        self.containerd.recorder.fault(fault.record());
        let Some(shim) = self.shim(fault.pod()) else {
            return;
        };
        match *fault {
            Fault::VmCrash { .. } => self.crash_vm(fault.pod()),
            Fault::ShimCrash { .. } => {
                if shim.up.is_up() {
                    Handle::current().kill(shim.node);
                    shim.up.set(false);
                    warn!(sid = %shim.sid, "shim process died");
                    self.containerd.shim_closed(&shim.sid).await;
                }
            }
            Fault::ProcessExit { pod, index, code } => {
                if let Some(agent) = shim.vmm.agent() {
                    agent.exit_process(&Target::Container { pod, index }.id(), code);
                }
            }
            Fault::AgentError { call, .. } => {
                if let Some(agent) = shim.vmm.agent() {
                    agent.arm(call, Armed::Error);
                }
            }
            Fault::AgentStall { call, .. } => {
                if let Some(agent) = shim.vmm.agent() {
                    agent.arm(call, Armed::Stall);
                }
            }
            // The reference shim has no agent connection to lose: runc runs per command.
            Fault::AgentClose { .. } if self.profile.program == Program::RuncV2 => {}
            Fault::AgentClose { .. } => shim.agent.close().await,
            Fault::LinkHold { pod, link } => self.hold(link, pod),
            Fault::LinkPartition { pod, link } => self.partition(link, pod),
            Fault::HookError { .. } => shim.hooks.fail_next(),
            Fault::HookSlow { delay_ms, .. } => shim
                .hooks
                .delay_next(std::time::Duration::from_millis(u64::from(delay_ms))),
            Fault::VmBoot { .. } => {}
        }
    }

    /// The VM of pod `pod` (1-based) dies at once: its guest processes die with it and
    /// the agent's connections close. A profile without a VM (the reference shim, whose
    /// "agent" stands for runc and the host kernel) has no VM to lose: there every
    /// container process of the pod is killed with SIGKILL, as a host OOM kill would.
    pub fn crash_vm(&self, pod: u8) {
        if self.profile.program == Program::RuncV2 {
            if let Some(agent) = self.shim(pod).and_then(|s| s.vmm.agent()) {
                agent.kill_all(crate::agent::SIGKILL);
            }
            return;
        }
        if let Some(shim) = self.shim(pod) {
            if shim.vmm.up.is_up() {
                warn!(sid = %shim.sid, "VM crashed");
            }
            shim.vmm.crash();
        }
    }

    /// Arms a `vm-boot` fault on its pod's VMM, before the pods are set up: the VM's
    /// boot takes longer, or fails, and the fault is recorded when the boot begins.
    pub fn arm_boot(&self, fault: &Fault) {
        if let Fault::VmBoot {
            pod,
            delay_ms,
            fails,
        } = *fault
        {
            if let Some(shim) = self.shim(pod) {
                shim.vmm.arm_boot(
                    std::time::Duration::from_millis(u64::from(delay_ms)),
                    fails,
                    fault.record(),
                );
            }
        }
    }

    /// The shim of pod `pod` (1-based), if the world has that pod.
    fn shim(&self, pod: u8) -> Option<&Arc<Shim>> {
        self.shims.get(usize::from(pod).wrapping_sub(1))
    }

    /// Holds every message on pod `pod`'s `link` until [`World::heal`].
    pub fn hold(&self, link: Link, pod: u8) {
        self.controls.hold(link, pod);
    }

    /// Loses every message on pod `pod`'s `link` until [`World::heal`], through madsim's
    /// link clogging between the two nodes: containerd's and the shim's, or the shim's and
    /// its running VM's. The reference shim has no shim <-> agent link (runc runs per
    /// command and the kernel reports exits), so there that partition does nothing; so
    /// does one of a VM not running.
    pub fn partition(&self, link: Link, pod: u8) {
        let Some(shim) = self.shim(pod) else {
            return;
        };
        let peer = match link {
            Link::ContainerdShim => {
                Some(Handle::current().get_node(CONTAINERD_NODE).map(|n| n.id()))
            }
            Link::ShimAgent if self.profile.program == Program::RuncV2 => None,
            Link::ShimAgent => Some(shim.vmm.node()),
        };
        if let Some(Some(peer)) = peer {
            self.controls.partition(shim.node, peer);
        }
    }

    /// Heals every fault that can heal: held links deliver, partitioned links carry
    /// messages again, stalled agent calls go on.
    /// (A crashed VM or shim stays dead, as it would.)
    pub fn heal(&self) {
        self.controls.heal();
    }
}
