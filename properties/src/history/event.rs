//! Events containerd received from shims.

/// A `/tasks/exit` event (containerd's `events/task.proto` `TaskExit`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskExit {
    pub container: String,
    pub pid: u32,
    pub exit_status: u32,
    /// The exit time the event carries, in simulated ns; `None` if it carries none.
    pub exited_at_ns: Option<u64>,
    /// When containerd received the event, in simulated ns.
    pub at_ns: u64,
}

/// An event containerd received; more kinds may be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
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
