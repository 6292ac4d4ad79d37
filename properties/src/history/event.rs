//! Events containerd received from shims, and the faults a run injected.

use super::fault::Fault;

/// A `/tasks/exit` event (containerd's `events/task.proto` `TaskExit`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskExit {
    /// The task (container) id.
    pub container: String,
    /// The process that exited.
    pub pid: u32,
    /// Its exit code.
    pub exit_status: u32,
    /// The exit time the event carries, in simulated ns; `None` if it carries none.
    pub exited_at_ns: Option<u64>,
    /// When containerd received the event, in simulated ns.
    pub at_ns: u64,
    /// When the shim's publisher stamped the event (its envelope's timestamp), in
    /// simulated ns; `None` if it carries none. A publisher's retry repeats its event's
    /// stamp, so two deliveries with one stamp are one event delivered twice.
    pub published_ns: Option<u64>,
}

impl TaskExit {
    /// The earliest instant the exit may have happened: its exit time, or its receipt
    /// if it carries no exit time or one after its receipt.
    pub fn exited_from_ns(&self) -> u64 {
        self.exited_at_ns.unwrap_or(self.at_ns).min(self.at_ns)
    }
}

/// An event of the run: one containerd received, or a fault the run injected (in the
/// order they happened); more kinds may be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `/tasks/exit`.
    TaskExit(TaskExit),
    /// A fault the world applied.
    Fault(Fault),
    /// Ground truth from the guest: a container's process really ended (the fake agent
    /// saw it), which no shim reported yet.
    GuestExit(GuestExit),
}

/// A container's process ended in the guest: what really happened, for properties that
/// compare the shim's answers with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestExit {
    /// The container whose init process ended.
    pub container: String,
    /// Its exit code, or None when it died with its VM (no code exists).
    pub code: Option<i32>,
    /// When, in simulated ns.
    pub at_ns: u64,
}

impl Event {
    /// The event as a [`TaskExit`], if it is one.
    pub fn as_task_exit(&self) -> Option<&TaskExit> {
        match self {
            Event::TaskExit(exit) => Some(exit),
            Event::Fault(_) | Event::GuestExit(_) => None,
        }
    }

    /// The event as a [`GuestExit`], if it is one.
    pub fn as_guest_exit(&self) -> Option<&GuestExit> {
        match self {
            Event::GuestExit(exit) => Some(exit),
            Event::TaskExit(_) | Event::Fault(_) => None,
        }
    }

    /// The event as a [`Fault`], if it is one.
    pub fn as_fault(&self) -> Option<&Fault> {
        match self {
            Event::Fault(fault) => Some(fault),
            Event::TaskExit(_) | Event::GuestExit(_) => None,
        }
    }

    /// When it happened (received or applied), in simulated ns.
    pub fn at_ns(&self) -> u64 {
        match self {
            Event::TaskExit(exit) => exit.at_ns,
            Event::Fault(fault) => fault.at_ns,
            Event::GuestExit(exit) => exit.at_ns,
        }
    }
}
