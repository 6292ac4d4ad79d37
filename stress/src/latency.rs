//! The node's latencies as real sleeps: the same named ranges as the simulation's
//! defaults (`sim/src/latency.rs`), each drawn anew from the OS-seeded generator.
//! tokio's timer has a 1 ms tick, so every sleep shorter than that lasts about 1 ms.

use std::ops::Range;
use std::time::Duration;

use rand::Rng;

/// `ctr` exec on a node running 150 loops.
pub const CTR_EXEC: Range<u64> = 60_000..140_000;
/// gRPC to containerd, one way.
pub const GRPC: Range<u64> = 50..150;
/// ttrpc between containerd and a shim, one way.
pub const TTRPC: Range<u64> = 30..90;
/// vsock between a shim and its VM, one way.
pub const VSOCK: Range<u64> = 100..300;
/// The agent's create_container.
pub const AGENT_CREATE: Range<u64> = 20_000..60_000;
/// The agent's start_container.
pub const AGENT_START: Range<u64> = 5_000..10_000;
/// The agent's remove_container.
pub const AGENT_REMOVE: Range<u64> = 5_000..15_000;
/// Every other agent request.
pub const AGENT_OTHER: Range<u64> = 20..100;
/// VM boot until the agent answers.
pub const VM_BOOT: Range<u64> = 1_000_000..1_500_000;

/// Sleeps for a duration drawn from `range` (microseconds).
pub async fn pause(range: Range<u64>) {
    let us = rand::thread_rng().gen_range(range);
    tokio::time::sleep(Duration::from_micros(us)).await;
}
