//! What the shims' tasks were blocked on when a run ended, as plain data: a hang report
//! names, for each call still pending, what the task serving it waited for and who held
//! that. The world records it only for a run whose hang a property reports.

use std::collections::BTreeSet;

use super::clock::fmt_ns;
use super::{Call, History};

/// A lock of the model held across awaits: `containers` (the container map, one per
/// shim), `service` (the Go shim's `s.mu`, one per shim) or `inner` (one per container).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Lock {
    pub lock: String,
    /// `read`, `write` or `lock`.
    pub mode: String,
    /// The container the lock was taken for (`inner`: whose lock it is).
    pub container: String,
}

impl Lock {
    /// Whether `self` and `other` are the same lock of one shim.
    fn same_lock(&self, other: &Lock) -> bool {
        self.lock == other.lock && (self.lock != "inner" || self.container == other.container)
    }

    /// `the containers lock`, `the inner lock of pod1-c1`, `the service lock`.
    fn name(&self) -> String {
        match self.lock.as_str() {
            "inner" => format!("the inner lock of {}", self.container),
            lock => format!("the {lock} lock"),
        }
    }
}

/// What a task was waiting for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Waiting {
    /// To take `lock` in its mode.
    Lock(Lock),
    /// The agent's answer to RPC `method`.
    Agent { method: String },
    /// The end of another task of the shim, by its name (`the exit watcher of pod1-c1`).
    Task { task: String },
    /// Something else: `on` (`room in the exit channel of`, `the exit channel of`) about
    /// `container`.
    Other { on: String, container: String },
}

/// One task of a shim still blocked when the run ended.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StuckTask {
    /// The sandbox of the shim it runs in.
    pub sandbox: String,
    /// `Delete pod1-c1` for a Task API request, `the exit watcher of pod1-c1`, `the
    /// waiter of pod1-c1`.
    pub task: String,
    /// For a Task API request: its method and container, to match the pending call.
    pub request: Option<(String, String)>,
    /// What it waited for, and since when (ns); None when the model names no wait.
    pub waits_for: Option<(Waiting, u64)>,
    /// The locks it held.
    pub holds: Vec<Lock>,
}

impl History {
    /// What blocked pending call `i` when the run ended, as far as the model knows:
    /// `Delete pod1-c1 (pending 45.000000s) waits for the containers lock (write) held by
    /// Create pod1-c2, which waits for the agent's answer to create_container`. For a call
    /// that returned (its client gave up, or it was slow), the tasks of its shim that
    /// still held a lock when the run ended, with what they waited for. None when the run
    /// recorded no stuck tasks, or the call returned and its shim had none.
    ///
    /// ```
    /// # use properties::{Call, History, Lock, Op, Outcome, StuckTask, Waiting};
    /// let pending = Call { lane: 0, container: "c".into(), sandbox: "s".into(), op: Op::Delete,
    ///     invoked_ns: 0, returned_ns: None, result: Outcome::Pending,
    ///     listed_at_invoke: true, direct: false };
    /// let map = |mode: &str| Lock { lock: "containers".into(), mode: mode.into(), container: "c".into() };
    /// let h = History {
    ///     calls: vec![pending],
    ///     ended_ns: 2_000_000_000,
    ///     stuck: Some(vec![
    ///         StuckTask { sandbox: "s".into(), task: "Delete c".into(),
    ///             request: Some(("Delete".into(), "c".into())),
    ///             waits_for: Some((Waiting::Lock(map("write")), 5)), holds: vec![] },
    ///         StuckTask { sandbox: "s".into(), task: "Start c".into(),
    ///             request: Some(("Start".into(), "c".into())),
    ///             waits_for: Some((Waiting::Agent { method: "start_container".into() }, 3)),
    ///             holds: vec![map("read")] },
    ///     ]),
    ///     ..History::default()
    /// };
    /// assert_eq!(h.blocked(0).unwrap(), "Delete c (pending 2.000000s) waits for the containers lock (write) held by Start c, which waits for the agent's answer to start_container");
    /// ```
    pub fn blocked(&self, i: usize) -> Option<String> {
        let stuck = self.stuck.as_ref()?;
        let call = self.calls.get(i)?;
        if call.returned_ns.is_some() {
            let holding: Vec<String> = stuck
                .iter()
                .filter(|t| t.sandbox == call.sandbox && !t.holds.is_empty())
                .map(|t| {
                    let locks: Vec<String> = t
                        .holds
                        .iter()
                        .map(|l| format!("{} ({})", l.name(), l.mode))
                        .collect();
                    format!(
                        "{} holds {} and {}",
                        t.task,
                        locks.join(", "),
                        explain(stuck, t, &mut BTreeSet::new())
                    )
                })
                .collect();
            return (!holding.is_empty())
                .then(|| format!("when the run ended, in its shim {}", holding.join("; ")));
        }
        let pending = format!(
            "{} {} (pending {})",
            call.op.method(),
            call.container,
            fmt_ns(self.ended_ns.saturating_sub(call.invoked_ns))
        );
        let serving: Vec<&StuckTask> = stuck.iter().filter(|t| serves(t, call)).collect();
        if serving.is_empty() {
            return Some(format!(
                "{pending}: no task of its shim works on it (the request or its answer was lost, or the shim is gone)"
            ));
        }
        let why: Vec<String> = serving
            .iter()
            .map(|t| explain(stuck, t, &mut BTreeSet::new()))
            .collect();
        Some(format!("{pending} {}", why.join("; and ")))
    }

    /// [`History::blocked`] for each of `calls`, joined (empty when nothing is known).
    pub fn blocked_calls(&self, calls: &[usize]) -> String {
        calls
            .iter()
            .filter_map(|&i| self.blocked(i))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Whether task `t` serves `call` (same shim, method and container).
fn serves(t: &StuckTask, call: &Call) -> bool {
    t.sandbox == call.sandbox
        && t.request
            .as_ref()
            .is_some_and(|(m, c)| m == call.op.method() && *c == call.container)
}

/// What `t` waits for and, for a lock, who holds it and what they wait for in turn
/// (each task explained once).
fn explain<'a>(all: &'a [StuckTask], t: &'a StuckTask, seen: &mut BTreeSet<&'a str>) -> String {
    seen.insert(&t.task);
    let Some((waiting, _)) = &t.waits_for else {
        return "waits for something the model does not name".to_string();
    };
    let next = |who: &'a StuckTask, seen: &mut BTreeSet<&'a str>| -> String {
        if seen.contains(who.task.as_str()) {
            who.task.clone()
        } else {
            format!("{}, which {}", who.task, explain(all, who, seen))
        }
    };
    match waiting {
        Waiting::Lock(lock) => {
            let holders: Vec<&StuckTask> = all
                .iter()
                .filter(|h| !std::ptr::eq(*h, t) && h.sandbox == t.sandbox)
                .filter(|h| h.holds.iter().any(|l| l.same_lock(lock)))
                .collect();
            let by: Vec<String> = holders.iter().map(|h| next(h, seen)).collect();
            if by.is_empty() {
                format!("waits for {} ({})", lock.name(), lock.mode)
            } else {
                format!(
                    "waits for {} ({}) held by {}",
                    lock.name(),
                    lock.mode,
                    by.join(" and ")
                )
            }
        }
        Waiting::Agent { method } => format!("waits for the agent's answer to {method}"),
        Waiting::Task { task } => match all
            .iter()
            .find(|w| w.sandbox == t.sandbox && w.task == *task && !std::ptr::eq(*w, t))
        {
            Some(w) => format!("waits for {}", next(w, seen)),
            None => format!("waits for {task}, which is not running"),
        },
        Waiting::Other { on, container } => format!("waits for {on} {container}"),
    }
}
