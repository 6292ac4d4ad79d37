//! The Task API operations, and the task statuses they report.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The Task API operation a call made (containerd's shim v2 `Task` ttrpc service): the
/// one operation type shared by generated cases, the recorded [`History`](crate::History)
/// and the shim client.
///
/// Serialized in snake_case, externally tagged: `Op::Create` is `"create"`,
/// `Op::Kill { signal: 9, all: false }` is `{"kill":{"signal":9,"all":false}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Create the task (the container's init process, not started).
    Create,
    /// Start the created task.
    Start,
    /// Ask for the task's status, pid and exit.
    State,
    /// Send `signal` to the task's init process, or to all its processes if `all`.
    Kill { signal: u32, all: bool },
    /// Block until the task exits; answers its exit.
    Wait,
    /// Delete the task, answering its exit.
    Delete,
    /// Ask the shim to exit if it holds no task.
    Shutdown,
    /// Pause the task.
    Pause,
    /// Resume the paused task.
    Resume,
    /// Ask the shim for its pid and the task's (containerd's `shimTask.PID`, which its
    /// Create answers with and its Wait sends first).
    Connect,
}

impl Op {
    /// The ttrpc method of the `containerd.task.v2.Task` service this operation calls:
    /// `"Create"`, `"Start"`, `"State"`, `"Kill"`, `"Wait"`, `"Delete"`, `"Shutdown"`,
    /// `"Pause"`, `"Resume"` or `"Connect"`.
    ///
    /// ```
    /// use properties::Op;
    /// assert_eq!(Op::Kill { signal: 9, all: true }.method(), "Kill");
    /// ```
    pub fn method(&self) -> &'static str {
        match self {
            Op::Create => "Create",
            Op::Start => "Start",
            Op::State => "State",
            Op::Kill { .. } => "Kill",
            Op::Wait => "Wait",
            Op::Delete => "Delete",
            Op::Shutdown => "Shutdown",
            Op::Pause => "Pause",
            Op::Resume => "Resume",
            Op::Connect => "Connect",
        }
    }
}

/// The method name, with a Kill's signal and `all` flag: `State`, `Kill(9)`,
/// `Kill(9, all)`.
impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Kill { signal, all: false } => write!(f, "Kill({signal})"),
            Op::Kill { signal, all: true } => write!(f, "Kill({signal}, all)"),
            other => f.write_str(other.method()),
        }
    }
}

/// containerd's task status, with containerd's numbering (`api/types/task/task.proto`;
/// runtime-rs's `ProcessStatus` uses the same discriminants). Serialized in snake_case
/// (`"stopped"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Op; 11] = [
        Op::Create,
        Op::Start,
        Op::State,
        Op::Kill {
            signal: 9,
            all: false,
        },
        Op::Kill {
            signal: 15,
            all: true,
        },
        Op::Wait,
        Op::Delete,
        Op::Shutdown,
        Op::Pause,
        Op::Resume,
        Op::Connect,
    ];

    #[test]
    fn serializes_in_snake_case_externally_tagged() {
        assert_eq!(serde_json::to_string(&Op::Create).unwrap(), r#""create""#);
        assert_eq!(
            serde_json::to_string(&ALL[3]).unwrap(),
            r#"{"kill":{"signal":9,"all":false}}"#
        );
        assert_eq!(
            serde_json::to_string(&TaskStatus::Stopped).unwrap(),
            r#""stopped""#
        );
        for op in ALL {
            let text = serde_json::to_string(&op).unwrap();
            assert_eq!(serde_json::from_str::<Op>(&text).unwrap(), op, "{text}");
        }
    }

    #[test]
    fn method_is_the_ttrpc_method_and_display_adds_the_kill_arguments() {
        let methods: Vec<&str> = ALL.iter().map(Op::method).collect();
        assert_eq!(
            methods,
            [
                "Create", "Start", "State", "Kill", "Kill", "Wait", "Delete", "Shutdown", "Pause",
                "Resume", "Connect"
            ]
        );
        let shown: Vec<String> = ALL.iter().map(Op::to_string).collect();
        assert_eq!(shown[2], "State");
        assert_eq!(shown[3], "Kill(9)");
        assert_eq!(shown[4], "Kill(15, all)");
        assert_eq!(shown[9], "Resume");
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
