//! Every node a run creates, so that the run can end them all before its runtime goes.
//!
//! madsim does not drop the tasks still pending when a runtime is dropped: their futures,
//! and everything the futures hold (the world, the recorder, the model), would leak, about
//! 100 KB a run. Killing a node wakes its tasks, and madsim drops the woken tasks of a
//! killed node the next time it runs them, so [`end_all`] kills every tracked node and
//! then yields once to the scheduler.

use std::cell::RefCell;
use std::time::Duration;

use madsim::runtime::Handle;
use madsim::task::NodeId;

thread_local! {
    /// The nodes of the run on this thread (a run owns its thread: see
    /// `runner::on_fresh_thread`).
    static NODES: RefCell<Vec<NodeId>> = const { RefCell::new(Vec::new()) };
}

/// Remembers a node the current run created.
pub fn track(id: NodeId) {
    NODES.with(|n| n.borrow_mut().push(id));
}

/// Kills every node the current run created and lets madsim drop their tasks.
pub async fn end_all() {
    let nodes = NODES.with(|n| std::mem::take(&mut *n.borrow_mut()));
    let handle = Handle::current();
    for id in nodes {
        handle.kill(id);
    }
    madsim::time::sleep(Duration::from_nanos(1)).await;
}
