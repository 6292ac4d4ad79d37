//! Terse builders for hand-written histories in unit tests.

use crate::history::{
    Call, Code, Event, Failure, History, Op, Outcome, Reply, TaskExit, TaskStatus,
};
use crate::property::Verdict;

/// A call on `container` by lane 0, invoked and returned at the given times, that
/// succeeded with an empty reply and was not listed at invocation.
pub fn call(op: Op, container: &str, invoked_ns: u64, returned_ns: u64) -> Call {
    Call {
        lane: 0,
        container: container.to_string(),
        sandbox: "s".to_string(),
        op,
        invoked_ns,
        returned_ns: Some(returned_ns),
        result: Outcome::Ok(Reply::default()),
        listed_at_invoke: false,
        direct: false,
    }
}

/// `Kill(SIGKILL, all)`, as CRI sends it after an exit.
pub const KILL9: Op = Op::Kill {
    signal: 9,
    all: true,
};

/// A State answer with `status` and no exit.
pub fn status(status: TaskStatus) -> Reply {
    Reply {
        status,
        pid: 42,
        ..Reply::default()
    }
}

/// An answer reporting an exit with `code` at `at_ns` (status Stopped).
pub fn exited(code: u32, at_ns: u64) -> Reply {
    Reply {
        status: TaskStatus::Stopped,
        pid: 42,
        exit_status: code,
        exited_at_ns: Some(at_ns),
    }
}

impl Call {
    /// Sent to the shim of sandbox `sandbox` (default `s`).
    pub fn on(mut self, sandbox: &str) -> Call {
        self.sandbox = sandbox.to_string();
        self
    }

    pub fn lane(mut self, lane: u32) -> Call {
        self.lane = lane;
        self
    }

    /// containerd held the id in its task list at invocation.
    pub fn listed(mut self) -> Call {
        self.listed_at_invoke = true;
        self
    }

    pub fn replies(mut self, reply: Reply) -> Call {
        self.result = Outcome::Ok(reply);
        self
    }

    /// The shim answered with error status `code`.
    pub fn fails(mut self, code: Code) -> Call {
        self.result = Outcome::Err(Failure::Status {
            code,
            message: format!("{code:?}"),
        });
        self
    }

    pub fn closed(mut self) -> Call {
        self.result = Outcome::Err(Failure::Closed);
        self
    }

    pub fn timed_out(mut self) -> Call {
        self.result = Outcome::Err(Failure::Timeout);
        self
    }

    /// Never returned before the run ended.
    pub fn pending(mut self) -> Call {
        self.returned_ns = None;
        self.result = Outcome::Pending;
        self
    }
}

/// A history of `calls` ending at 1 s; every id a Create was issued for counts as created.
pub fn history(calls: Vec<Call>) -> History {
    let created_ids = calls
        .iter()
        .filter(|c| c.op == Op::Create)
        .map(|c| c.container.clone())
        .collect();
    History {
        calls,
        created_ids,
        ended_ns: 1_000_000_000,
        ..History::default()
    }
}

impl History {
    /// Adds a TaskExit for `container` with `code`, exit time `exited_at_ns`, received at `at_ns`.
    pub fn exit(
        mut self,
        container: &str,
        code: u32,
        exited_at_ns: Option<u64>,
        at_ns: u64,
    ) -> History {
        self.events.push(Event::TaskExit(TaskExit {
            container: container.to_string(),
            pid: 42,
            exit_status: code,
            exited_at_ns,
            at_ns,
        }));
        self
    }
}

/// The calls and events a verdict points at; panics on a pass.
pub fn evidence(verdict: Verdict) -> (Vec<usize>, Vec<usize>) {
    match verdict {
        Verdict::Violation { calls, events, .. } => (calls, events),
        Verdict::Pass => panic!("expected a violation, got a pass"),
    }
}
