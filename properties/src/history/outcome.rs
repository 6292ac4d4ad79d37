//! What a call came back with: an answer, an error status, or nothing.

use std::fmt;

use super::clock::fmt_ns;
use super::op::TaskStatus;

/// The essentials of a successful answer. Fields the operation's response does not
/// carry stay at their defaults: Create and Start fill `pid`; State fills every field;
/// Wait fills `exit_status` and `exited_at_ns`; Delete fills `pid`, `exit_status` and
/// `exited_at_ns`; Kill and Shutdown fill nothing.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Reply {
    /// The task's status (State only).
    pub status: TaskStatus,
    /// The task's pid.
    pub pid: u32,
    /// The exit code, 0 until the process exits.
    pub exit_status: u32,
    /// The process's exit time in simulated ns; `None` where the answer has no exit time.
    pub exited_at_ns: Option<u64>,
}

/// `Stopped pid 42 exit 0 at 1.500000s`: the status and pid, then the exit code with
/// its time when the answer has an exit time (or the code alone when it is not 0).
impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} pid {}", self.status, self.pid)?;
        match self.exited_at_ns {
            Some(at) => write!(f, " exit {} at {}", self.exit_status, fmt_ns(at)),
            None if self.exit_status != 0 => write!(f, " exit {}", self.exit_status),
            None => Ok(()),
        }
    }
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
    /// The shim answered with a ttrpc error status: its code and message as sent.
    Status { code: Code, message: String },
    /// The ttrpc connection closed before an answer came (containerd maps this to
    /// NotFound for State and Delete).
    Closed,
    /// The client's own deadline passed first (e.g. the 2 s `io.containerd.timeout.task.state`).
    Timeout,
}

/// `Unknown: <the shim's message as it is>`, `connection closed` or
/// `client deadline passed`.
impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Status { code, message } => write!(f, "{code:?}: {message}"),
            Failure::Closed => f.write_str("connection closed"),
            Failure::Timeout => f.write_str("client deadline passed"),
        }
    }
}

/// What a call came back with.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The shim answered successfully.
    Ok(Reply),
    /// It did not.
    Err(Failure),
    /// The call had not returned when the run ended (exactly when `returned_ns` is `None`).
    Pending,
}

impl Outcome {
    /// Whether the shim's answer never reached the caller: the call is pending, its
    /// connection closed, or the client gave up. What the shim did with it is unknown.
    pub fn is_unanswered(&self) -> bool {
        matches!(
            self,
            Outcome::Pending | Outcome::Err(Failure::Closed | Failure::Timeout)
        )
    }
}

/// `ok: <reply>` (just `ok` for an answer whose fields are all at their defaults, as
/// Kill's and Shutdown's), the [`Failure`], or `pending`.
impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok(reply) if *reply == Reply::default() => f.write_str("ok"),
            Outcome::Ok(reply) => write!(f, "ok: {reply}"),
            Outcome::Err(failure) => failure.fmt(f),
            Outcome::Pending => f.write_str("pending"),
        }
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
    fn outcomes_print_replies_and_messages_as_they_are() {
        let stopped = Reply {
            status: TaskStatus::Stopped,
            pid: 42,
            exit_status: 0,
            exited_at_ns: Some(1_500_000_000),
        };
        let shown = |o: Outcome| o.to_string();
        assert_eq!(
            shown(Outcome::Ok(stopped)),
            "ok: Stopped pid 42 exit 0 at 1.500000s"
        );
        let woke = Reply {
            exit_status: 255,
            ..Reply::default()
        };
        assert_eq!(shown(Outcome::Ok(woke)), "ok: Unknown pid 0 exit 255");
        assert_eq!(shown(Outcome::Ok(Reply::default())), "ok");
        let message = r#"failed to find container "c""#.to_string();
        assert_eq!(
            shown(Outcome::Err(Failure::Status {
                code: Code::Unknown,
                message
            })),
            r#"Unknown: failed to find container "c""#
        );
        assert_eq!(shown(Outcome::Err(Failure::Closed)), "connection closed");
        assert_eq!(
            shown(Outcome::Err(Failure::Timeout)),
            "client deadline passed"
        );
        assert_eq!(shown(Outcome::Pending), "pending");
    }
}
