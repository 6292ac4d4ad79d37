//! Named latencies of the simulated node, and the [`Timing`] that decides each delay.
//!
//! Every delay in the world is asked of a `Timing` by [`Site`], so what decides an
//! interleaving is in one place: the article scenario samples each delay uniformly from
//! the named range with madsim's seeded generator ([`SampledTiming`]). Nothing reads the
//! wall clock.

use std::ops::Range;
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// A latency range in microseconds, `[lo, hi)` (a point when equal). Written as a
/// number for a point and as `[lo, hi]` for a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "MicrosRepr", into = "MicrosRepr")]
pub struct Micros {
    pub lo: u64,
    pub hi: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum MicrosRepr {
    Point(u64),
    Range([u64; 2]),
}

impl From<MicrosRepr> for Micros {
    fn from(r: MicrosRepr) -> Micros {
        match r {
            MicrosRepr::Point(us) => Micros::new(us, us),
            MicrosRepr::Range([lo, hi]) => Micros::new(lo, hi),
        }
    }
}

impl From<Micros> for MicrosRepr {
    fn from(m: Micros) -> MicrosRepr {
        if m.lo == m.hi {
            MicrosRepr::Point(m.lo)
        } else {
            MicrosRepr::Range([m.lo, m.hi])
        }
    }
}

impl Micros {
    pub const fn new(lo: u64, hi: u64) -> Micros {
        Micros { lo, hi }
    }

    fn range(self) -> Range<u64> {
        self.lo..self.hi.max(self.lo + 1)
    }
}

/// Where a delay is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    /// Starting one `ctr` process: exec, Go runtime start, dialing containerd.
    CtrExec,
    /// One direction of a gRPC call between `ctr` (or CRI) and containerd's Tasks service.
    Grpc,
    /// One direction of a ttrpc message between containerd and a shim.
    Ttrpc,
    /// One direction of an agent RPC over vsock between the shim and the VM.
    Vsock,
    /// The agent's own work for one request.
    AgentWork(AgentWork),
    /// Booting the VM until the agent listens.
    VmBoot,
    /// Running the OCI hooks of one stage.
    Hook,
}

/// The agent requests whose work takes a noticeable time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentWork {
    CreateContainer,
    StartContainer,
    RemoveContainer,
    Other,
}

/// The latencies of the simulated node. Each default states where it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Latencies {
    /// One `ctr` invocation on a node running 150 `ctr task ls` loops: a Go binary's exec,
    /// runtime start and gRPC dial take 10-20 ms of CPU; with 150 loops contending for a
    /// node's cores each invocation waits for CPU, so a loop turns over every ~100 ms.
    /// This rate (~1,500 List calls/s) is what makes the article's ~1e5 State RPCs a run.
    pub ctr_exec: Micros,
    /// gRPC over containerd's unix socket, one direction, on a busy node.
    pub grpc: Micros,
    /// ttrpc over the shim's unix socket, one direction: a syscall pair, a protobuf
    /// decode and a wake-up of a tokio worker on a busy node (tens of microseconds).
    pub ttrpc: Micros,
    /// vsock between the shim and the guest, one direction (hybrid vsock / vhost-vsock:
    /// a virtqueue notification and a guest wake-up, ~100-300 us).
    pub vsock: Micros,
    /// kata-agent create_container: OCI spec handling, rootfs mount, cgroup setup in the
    /// guest (tens of milliseconds).
    pub agent_create: Micros,
    /// kata-agent start_container: exec of the container's init in the guest.
    pub agent_start: Micros,
    /// kata-agent remove_container: umount of rootfs and volumes, cgroup removal.
    pub agent_remove: Micros,
    /// Every other agent request (signal, wait bookkeeping, check): in-memory work.
    pub agent_other: Micros,
    /// VM boot until the agent answers (QEMU with a kata guest kernel, ~1-1.5 s).
    pub vm_boot: Micros,
    /// OCI hooks: Kubernetes pods carry none by default, so a stage takes no time.
    pub hook: Micros,
}

impl Default for Latencies {
    fn default() -> Latencies {
        Latencies {
            ctr_exec: Micros::new(60_000, 140_000),
            grpc: Micros::new(50, 150),
            ttrpc: Micros::new(30, 90),
            vsock: Micros::new(100, 300),
            agent_create: Micros::new(20_000, 60_000),
            agent_start: Micros::new(5_000, 10_000),
            agent_remove: Micros::new(5_000, 15_000),
            agent_other: Micros::new(20, 100),
            vm_boot: Micros::new(1_000_000, 1_500_000),
            hook: Micros::new(0, 0),
        }
    }
}

impl Latencies {
    /// Every latency with its field name.
    pub fn named(&self) -> [(&'static str, Micros); 10] {
        [
            ("ctr_exec", self.ctr_exec),
            ("grpc", self.grpc),
            ("ttrpc", self.ttrpc),
            ("vsock", self.vsock),
            ("agent_create", self.agent_create),
            ("agent_start", self.agent_start),
            ("agent_remove", self.agent_remove),
            ("agent_other", self.agent_other),
            ("vm_boot", self.vm_boot),
            ("hook", self.hook),
        ]
    }

    pub fn range(&self, site: Site) -> Micros {
        match site {
            Site::CtrExec => self.ctr_exec,
            Site::Grpc => self.grpc,
            Site::Ttrpc => self.ttrpc,
            Site::Vsock => self.vsock,
            Site::AgentWork(AgentWork::CreateContainer) => self.agent_create,
            Site::AgentWork(AgentWork::StartContainer) => self.agent_start,
            Site::AgentWork(AgentWork::RemoveContainer) => self.agent_remove,
            Site::AgentWork(AgentWork::Other) => self.agent_other,
            Site::VmBoot => self.vm_boot,
            Site::Hook => self.hook,
        }
    }
}

/// Decides every delay of a run.
pub trait Timing: Send + Sync {
    fn delay(&self, site: Site) -> Duration;
}

/// Each delay drawn uniformly from its named range with madsim's seeded generator.
pub struct SampledTiming {
    pub latencies: Latencies,
}

impl Timing for SampledTiming {
    fn delay(&self, site: Site) -> Duration {
        let r = self.latencies.range(site).range();
        if r.end - r.start <= 1 {
            return Duration::from_micros(r.start);
        }
        Duration::from_micros(madsim::rand::thread_rng().gen_range(r))
    }
}

/// Sleeps for the delay `timing` decides at `site` (no sleep for a zero delay).
pub async fn pause(timing: &dyn Timing, site: Site) {
    crate::clock::sleep(timing.delay(site)).await;
}
