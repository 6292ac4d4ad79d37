//! Synchronisation primitives whose behaviour does not depend on process-global state,
//! so a simulated run is the same whatever ran before it in the process.

pub mod held;
pub mod timeout;
pub mod watch;

pub use timeout::timeout;
