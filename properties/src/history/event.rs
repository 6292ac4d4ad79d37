//! Events containerd received from shims.

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
}

impl TaskExit {
    /// The earliest instant the exit may have happened: its exit time, or its receipt
    /// if it carries no exit time or one after its receipt.
    pub fn exited_from_ns(&self) -> u64 {
        self.exited_at_ns.unwrap_or(self.at_ns).min(self.at_ns)
    }
}

/// An event containerd received; more kinds may be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `/tasks/exit`.
    TaskExit(TaskExit),
}

impl Event {
    /// The event as a [`TaskExit`], if it is one.
    pub fn as_task_exit(&self) -> Option<&TaskExit> {
        match self {
            Event::TaskExit(exit) => Some(exit),
        }
    }
}
