//! The simulated wires: every cross-boundary call is an encoded message on madsim's
//! network, so latency, loss, partitions and node kills apply to it.
//!
//! - [`rpc`]: request/response over a madsim `Endpoint` (tags carry stream ids).
//! - [`ttrpc`]: containerd <-> shim, real ttrpc `Request`/`Response` protobuf frames.
//! - [`vsock`]: shim <-> kata-agent, the `Agent` port as encoded agent requests.

pub mod rpc;
pub mod ttrpc;
pub mod vsock;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The port every simulated server listens on.
pub const SERVER_PORT: u16 = 1024;

/// The address of simulated host `n` on the 10.0.0.0/16 test network.
pub fn host_addr(n: u16) -> SocketAddr {
    let [hi, lo] = n.to_be_bytes();
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, hi, lo)), SERVER_PORT)
}
