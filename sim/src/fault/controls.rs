//! The world's fault controls that live in its plumbing: gates that hold a link's
//! messages, the partitions madsim's network loses a link's messages on, and the heal
//! signal a stalled agent call waits for.

use std::collections::BTreeMap;
use std::sync::Mutex;

use madsim::net::NetSim;
use madsim::task::NodeId;

use super::Link;
use crate::net::rpc::Liveness;

/// A gate on one direction of one link: while closed, a sender waits before it sends
/// (its message is held, as on a stalled socket, and goes once the gate opens).
#[derive(Clone)]
pub struct Gate(Liveness);

impl Gate {
    /// A gate that is open.
    pub fn open() -> Gate {
        Gate(Liveness::new(true))
    }

    /// Waits until the gate is open (at once, without yielding, when it is).
    pub async fn pass(&self) {
        if !self.0.is_up() {
            let _ = self.0.watch().wait_for(|open| *open).await;
        }
    }

    fn set(&self, open: bool) {
        self.0.set(open);
    }
}

/// Every gate of the world, the node pairs partitioned, and whether the faults were
/// healed.
pub struct Controls {
    gates: Mutex<BTreeMap<(Link, u8), Gate>>,
    partitions: Mutex<Vec<(NodeId, NodeId)>>,
    healed: Liveness,
}

impl Default for Controls {
    fn default() -> Controls {
        Controls {
            gates: Mutex::new(BTreeMap::new()),
            partitions: Mutex::new(Vec::new()),
            healed: Liveness::new(false),
        }
    }
}

impl Controls {
    /// The gate of `pod`'s `link` (both directions share it).
    pub fn gate(&self, link: Link, pod: u8) -> Gate {
        self.gates
            .lock()
            .unwrap()
            .entry((link, pod))
            .or_insert_with(Gate::open)
            .clone()
    }

    /// Holds every message on `pod`'s `link` until [`Controls::heal`].
    pub fn hold(&self, link: Link, pod: u8) {
        self.gate(link, pod).set(false);
    }

    /// Partitions nodes `a` and `b` until [`Controls::heal`]: madsim's network clogs the
    /// link both ways, and a message sent on a clogged link is dropped at the send (the
    /// sender is not told), so every message between them is lost, not delayed.
    pub fn partition(&self, a: NodeId, b: NodeId) {
        let net = NetSim::current();
        net.clog_link(a, b);
        net.clog_link(b, a);
        self.partitions.lock().unwrap().push((a, b));
    }

    /// Opens every gate, ends every partition (messages sent from then on arrive; those
    /// lost stay lost), lets every stalled call go on, and disarms every agent fault not
    /// yet triggered.
    pub fn heal(&self) {
        for gate in self.gates.lock().unwrap().values() {
            gate.set(true);
        }
        let partitions = std::mem::take(&mut *self.partitions.lock().unwrap());
        if !partitions.is_empty() {
            let net = NetSim::current();
            for (a, b) in partitions {
                net.unclog_link(a, b);
                net.unclog_link(b, a);
            }
        }
        self.healed.set(true);
    }

    /// Whether the faults were healed.
    pub fn is_healed(&self) -> bool {
        self.healed.is_up()
    }

    /// Waits until the faults are healed.
    pub async fn healed(&self) {
        let _ = self.healed.watch().wait_for(|healed| *healed).await;
    }
}
