//! Terse builders for hand-written histories, for unit tests of properties: those of
//! this crate, and those of any crate that writes its own (enable the cargo feature
//! `testing`, e.g. as a dev-dependency: `properties = { workspace = true, features =
//! ["testing"] }`).
//!
//! A [`call`] is a successful, unlisted call by lane 0 to the shim of sandbox `s`; its
//! methods change one thing each. A [`history`] holds the calls, counts every id a
//! Create was issued for as created, and ends at 1 s; [`History::exit`] adds TaskExit
//! events. Times are ns since the run started.
//!
//! ```
//! use properties::testing::*;
//! use properties::{Code, Op, Property, StateNeverErrorsForKnownId, TaskStatus, Verdict};
//!
//! let h = history(vec![
//!     call(Op::Create, "c", 0, 10),
//!     call(Op::State, "c", 20, 30).listed().replies(status(TaskStatus::Created)),
//!     call(Op::Delete, "c", 40, 60),
//!     call(Op::State, "c", 50, 70).listed().fails(Code::Unknown).lane(1),
//! ])
//! .exit("c", 0, None, 45);
//! let verdict = StateNeverErrorsForKnownId.check(&h);
//! assert_eq!(evidence(verdict), (vec![3], vec![]));
//! assert_eq!(StateNeverErrorsForKnownId.check(&history(vec![])), Verdict::Pass);
//! ```

use crate::history::{
    Call, Code, Event, Failure, Fault, FaultKind, GuestExit, History, Lock, Op, Outcome, Reply,
    StuckTask, TaskExit, TaskStatus, Waiting,
};
use crate::property::Verdict;

/// A call of `op` on `container` by lane 0 to sandbox `s`'s shim, invoked and returned
/// at the given times, that succeeded with an empty reply and was not listed at
/// invocation.
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

/// An answer with `status`, pid 42 and no exit (as State answers before the exit).
pub fn status(status: TaskStatus) -> Reply {
    Reply {
        status,
        pid: 42,
        ..Reply::default()
    }
}

/// An answer reporting pid 42's exit with `code` at `at_ns` (status Stopped), as Wait,
/// State after the exit and Delete answer.
pub fn exited(code: u32, at_ns: u64) -> Reply {
    Reply {
        status: TaskStatus::Stopped,
        pid: 42,
        exit_status: code,
        exited_at_ns: Some(at_ns),
    }
}

impl Call {
    /// The call with its shim changed to sandbox `sandbox`'s (the builder's is `s`).
    pub fn on(mut self, sandbox: &str) -> Call {
        self.sandbox = sandbox.to_string();
        self
    }

    /// The call as made by client lane `lane` (the builder's is 0).
    pub fn lane(mut self, lane: u32) -> Call {
        self.lane = lane;
        self
    }

    /// The call with containerd holding the id in its task list at invocation.
    pub fn listed(mut self) -> Call {
        self.listed_at_invoke = true;
        self
    }

    /// The call sent by a client straight to the shim's socket, not by containerd.
    pub fn direct(mut self) -> Call {
        self.direct = true;
        self
    }

    /// The call answered successfully with `reply`.
    pub fn replies(mut self, reply: Reply) -> Call {
        self.result = Outcome::Ok(reply);
        self
    }

    /// The call answered with error status `code`, whose message is the code's name.
    pub fn fails(mut self, code: Code) -> Call {
        self.result = Outcome::Err(Failure::Status {
            code,
            message: format!("{code:?}"),
        });
        self
    }

    /// The call's connection closed before an answer came (at its return time).
    pub fn closed(mut self) -> Call {
        self.result = Outcome::Err(Failure::Closed);
        self
    }

    /// The client gave up on the call at its return time.
    pub fn timed_out(mut self) -> Call {
        self.result = Outcome::Err(Failure::Timeout);
        self
    }

    /// The call never returned before the run ended (its return time is dropped).
    pub fn pending(mut self) -> Call {
        self.returned_ns = None;
        self.result = Outcome::Pending;
        self
    }
}

/// A history of `calls`, without events, ending at 1 s with an empty final state;
/// every id a Create was issued for counts as created.
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
    /// The history with a TaskExit added after its events: pid 42 of `container`
    /// exited with `code` at `exited_at_ns` (or an event without an exit time), and
    /// containerd received it at `at_ns`.
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
            published_ns: None,
        }));
        self
    }
}

impl History {
    /// The history with a fault of `kind` on `sandbox` (and `container`, for a
    /// process exit, with `exit_code`) applied at `at_ns`, after its events.
    pub fn fault(
        mut self,
        kind: FaultKind,
        sandbox: &str,
        container: Option<&str>,
        exit_code: Option<i32>,
        at_ns: u64,
    ) -> History {
        self.events.push(Event::Fault(Fault {
            kind,
            sandbox: sandbox.to_string(),
            container: container.map(String::from),
            exit_code,
            detail: String::new(),
            at_ns,
        }));
        self
    }

    /// The history with the guest's ground truth that `container`'s process ended with
    /// `code` (None: died with its VM) at `at_ns`, after its events.
    pub fn guest_exit(mut self, container: &str, code: Option<i32>, at_ns: u64) -> History {
        self.events.push(Event::GuestExit(GuestExit {
            container: container.to_string(),
            code,
            at_ns,
        }));
        self
    }

    /// The history with its liveness phase beginning at `at_ns`.
    pub fn liveness_from(mut self, at_ns: u64) -> History {
        self.liveness_from_ns = Some(at_ns);
        self
    }

    /// The history with `tasks` recorded as the shims' tasks stuck at its end.
    pub fn stuck(mut self, tasks: Vec<StuckTask>) -> History {
        self.stuck = Some(tasks);
        self
    }
}

/// Lock `lock` taken in `mode` for `container`.
pub fn lock(lock: &str, mode: &str, container: &str) -> Lock {
    Lock {
        lock: lock.to_string(),
        mode: mode.to_string(),
        container: container.to_string(),
    }
}

/// A task of sandbox `s`'s shim named `task` (a request when it reads `<Method>
/// <container>`) waiting for `waits` since 0 and holding `holds`.
pub fn stuck_task(task: &str, waits: Option<Waiting>, holds: Vec<Lock>) -> StuckTask {
    let request = task
        .split_once(' ')
        .filter(|(method, _)| method.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|(m, c)| (m.to_string(), c.to_string()));
    StuckTask {
        sandbox: "s".to_string(),
        task: task.to_string(),
        request,
        waits_for: waits.map(|w| (w, 0)),
        holds,
    }
}

/// The calls and events a violation points at.
///
/// # Panics
///
/// If the verdict is a pass, so that a test expecting a violation fails there.
pub fn evidence(verdict: Verdict) -> (Vec<usize>, Vec<usize>) {
    match verdict {
        Verdict::Violation { calls, events, .. } => (calls, events),
        Verdict::Pass => panic!("expected a violation, got a pass"),
    }
}

/// A violation's explanation.
///
/// # Panics
///
/// If the verdict is a pass, so that a test expecting a violation fails there.
pub fn explanation(verdict: Verdict) -> String {
    match verdict {
        Verdict::Violation { explanation, .. } => explanation,
        Verdict::Pass => panic!("expected a violation, got a pass"),
    }
}
