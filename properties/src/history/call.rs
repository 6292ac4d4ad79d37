//! One client call to the shim's Task API, as containerd made it, and what came back.

use std::fmt;

/// The Task API operation a call made (containerd's shim v2 `Task` ttrpc service).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Create,
    Start,
    State,
    Kill { signal: u32, all: bool },
    Wait,
    Delete,
    Shutdown,
    Pause,
    Resume,
}

/// containerd's task status, with containerd's numbering (`api/types/task/task.proto`;
/// runtime-rs's `ProcessStatus` uses the same discriminants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum TaskStatus {
    #[default]
    Unknown = 0,
    Created = 1,
    Running = 2,
    Stopped = 3,
    Paused = 4,
    Pausing = 5,
}

impl TaskStatus {
    /// The status with containerd's number `value`, if there is one.
    pub fn from_i32(value: i32) -> Option<TaskStatus> {
        Some(match value {
            0 => TaskStatus::Unknown,
            1 => TaskStatus::Created,
            2 => TaskStatus::Running,
            3 => TaskStatus::Stopped,
            4 => TaskStatus::Paused,
            5 => TaskStatus::Pausing,
            _ => return None,
        })
    }
}

/// The essentials of a successful answer. Fields the operation's response does not
/// carry stay at their defaults: Create and Start fill `pid`; State fills every field;
/// Wait fills `exit_status` and `exited_at_ns`; Delete fills `pid`, `exit_status` and
/// `exited_at_ns`; Kill and Shutdown fill nothing.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Reply {
    pub status: TaskStatus,
    pub pid: u32,
    pub exit_status: u32,
    /// The process's exit time in simulated ns; `None` where the answer has no exit time.
    pub exited_at_ns: Option<u64>,
}

/// A ttrpc status code as the shim sent it (gRPC numbering).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    NotFound,
    Unknown,
    Unavailable,
    FailedPrecondition,
    DeadlineExceeded,
    Internal,
    /// Any other code, by number.
    Other(i32),
}

impl Code {
    /// The code with gRPC number `value`.
    pub fn from_i32(value: i32) -> Code {
        match value {
            2 => Code::Unknown,
            4 => Code::DeadlineExceeded,
            5 => Code::NotFound,
            9 => Code::FailedPrecondition,
            13 => Code::Internal,
            14 => Code::Unavailable,
            other => Code::Other(other),
        }
    }
}

/// Why a call did not succeed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Failure {
    /// The shim answered with a ttrpc error status.
    Status { code: Code, message: String },
    /// The ttrpc connection closed before an answer came (containerd maps this to
    /// NotFound for State and Delete).
    Closed,
    /// The client's own deadline passed first (e.g. the 2 s `io.containerd.timeout.task.state`).
    Timeout,
}

/// What a call came back with.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Ok(Reply),
    Err(Failure),
    /// The call had not returned when the run ended (exactly when `returned_ns` is `None`).
    Pending,
}

/// One client call to the shim's Task API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// Which concurrent client issued it.
    pub lane: u32,
    /// The task (container) id.
    pub container: String,
    /// The sandbox whose shim got the call.
    pub sandbox: String,
    pub op: Op,
    /// Simulated time of invocation, in ns since the run started.
    pub invoked_ns: u64,
    /// Simulated time of return; `None` if it never returned before the run ended.
    pub returned_ns: Option<u64>,
    pub result: Outcome,
    /// Whether containerd held `container` in its task list when it decided to make the
    /// call: when the call was invoked, or, for a State made by a List, when the List
    /// took its snapshot of the task list.
    pub listed_at_invoke: bool,
}

impl Call {
    /// The end of the call's interval: its return time, or forever if it never returned.
    pub fn end_ns(&self) -> u64 {
        self.returned_ns.unwrap_or(u64::MAX)
    }

    /// Whether this call returned strictly before `later` was invoked (real-time order).
    pub fn precedes(&self, later: &Call) -> bool {
        self.returned_ns.is_some_and(|r| r < later.invoked_ns)
    }

    /// The answer, if the call succeeded.
    pub fn reply(&self) -> Option<&Reply> {
        match &self.result {
            Outcome::Ok(reply) => Some(reply),
            _ => None,
        }
    }

    /// The ttrpc status code, if the shim answered with an error status.
    pub fn status_code(&self) -> Option<Code> {
        match &self.result {
            Outcome::Err(Failure::Status { code, .. }) => Some(*code),
            _ => None,
        }
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "lane {} {:?} {} [{} ns .. ",
            self.lane, self.op, self.container, self.invoked_ns
        )?;
        match self.returned_ns {
            Some(r) => write!(f, "{r} ns]")?,
            None => write!(f, "never]")?,
        }
        write!(f, " -> {:?}", self.result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_grpc_numbering() {
        assert_eq!(Code::from_i32(5), Code::NotFound);
        assert_eq!(Code::from_i32(2), Code::Unknown);
        assert_eq!(Code::from_i32(14), Code::Unavailable);
        assert_eq!(Code::from_i32(9), Code::FailedPrecondition);
        assert_eq!(Code::from_i32(4), Code::DeadlineExceeded);
        assert_eq!(Code::from_i32(13), Code::Internal);
        assert_eq!(Code::from_i32(12), Code::Other(12));
    }

    #[test]
    fn statuses_use_containerd_numbering() {
        for s in [
            TaskStatus::Unknown,
            TaskStatus::Created,
            TaskStatus::Running,
            TaskStatus::Stopped,
            TaskStatus::Paused,
            TaskStatus::Pausing,
        ] {
            assert_eq!(TaskStatus::from_i32(s as i32), Some(s));
        }
        assert_eq!(TaskStatus::Stopped as i32, 3);
        assert_eq!(TaskStatus::from_i32(6), None);
    }
}
