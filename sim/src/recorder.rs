//! The recorder: what one run observably did.
//!
//! Every Task API call containerd makes to a shim (which client lane caused it, the
//! operation and id, whether the id was in containerd's task list at invocation, the
//! simulated invoke and return times, and the answer's essentials or the error) and every
//! event containerd receives is kept as a [`properties::History`] and folded into a trace
//! hash, so two runs can be compared bit for bit. Log lines are tallied the way the
//! article greps them (see [`LogTally`]).

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use properties::{
    Call, Event, Fault, FinalState, GuestExit, History, Lifecycle, LifecycleEvent, Op, Outcome,
    TaskExit,
};
use tracing::field::{Field, Visit};
use tracing::{Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

tokio::task_local! {
    /// The client lane the current task acts for (see [`lane`]).
    pub static LANE: u32;
}

/// The lane of calls no client lane made: the CRI plugin's pod setup and exit monitors.
pub const FIXTURE_LANE: u32 = Call::FIXTURE_LANE;

/// The lane the current task acts for: the enclosing [`LANE`] scope, else the fixture.
pub fn lane() -> u32 {
    LANE.try_with(|l| *l).unwrap_or(FIXTURE_LANE)
}

/// Simulated time since the run started.
pub fn sim_now() -> Duration {
    crate::clock::now()
}

fn ns(d: Duration) -> u64 {
    d.as_nanos() as u64
}

/// Where a call's answer goes once it comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallSlot(usize);

#[derive(Default)]
pub struct Recorder {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    hasher: DefaultHasher,
    calls: Vec<Call>,
    /// How many calls moved into a history already (slots count on from there).
    taken: usize,
    events: Vec<Event>,
    created_ids: BTreeSet<String>,
    /// containerd's task list, mirrored.
    listed: BTreeSet<String>,
    /// When the liveness phase began (ns), if it did.
    liveness_from_ns: Option<u64>,
    /// The latest simulated time anything was recorded at (ns).
    last_ns: u64,
}

impl Recorder {
    /// A recorder of a new run.
    pub fn new() -> Arc<Recorder> {
        Arc::default()
    }

    /// containerd added `id` to its task list (`true`) or removed it.
    pub fn listed(&self, id: &str, listed: bool) {
        let mut inner = self.inner.lock().unwrap();
        if listed {
            inner.listed.insert(id.to_string());
        } else {
            inner.listed.remove(id);
        }
    }

    /// `op` is invoked on `id` at the shim of `sandbox`, for the current [`lane`]: by
    /// containerd, or by a client straight on the shim's socket (`direct`). `listed` is
    /// whether containerd listed `id` when it decided to call (None: look now).
    pub fn invoke(
        &self,
        op: Op,
        sandbox: &str,
        id: &str,
        listed: Option<bool>,
        direct: bool,
    ) -> CallSlot {
        let lane = lane();
        let mut inner = self.inner.lock().unwrap();
        let invoked_ns = ns(sim_now());
        inner.last_ns = invoked_ns;
        (lane, op, id, invoked_ns).hash(&mut inner.hasher);
        let slot = CallSlot(inner.taken + inner.calls.len());
        let listed_at_invoke = listed.unwrap_or_else(|| inner.listed.contains(id));
        if op == Op::Create {
            inner.created_ids.insert(id.to_string());
        }
        inner.calls.push(Call {
            lane,
            container: id.to_string(),
            sandbox: sandbox.to_string(),
            op,
            invoked_ns,
            returned_ns: None,
            result: Outcome::Pending,
            listed_at_invoke,
            direct,
        });
        slot
    }

    /// The call in `slot` came back with `result`.
    pub fn returned(&self, slot: CallSlot, result: Outcome) {
        let now = ns(sim_now());
        let mut inner = self.inner.lock().unwrap();
        inner.last_ns = now;
        (slot.0, now, &result).hash(&mut inner.hasher);
        let kept = slot.0.checked_sub(inner.taken);
        if let Some(call) = kept.and_then(|i| inner.calls.get_mut(i)) {
            call.returned_ns = Some(now);
            call.result = result;
        }
    }

    /// containerd received a TaskExit event.
    pub fn task_exit(
        &self,
        container: &str,
        pid: u32,
        exit_status: u32,
        exited_at_ns: Option<u64>,
        published_ns: Option<u64>,
    ) {
        let at_ns = ns(sim_now());
        let mut inner = self.inner.lock().unwrap();
        inner.last_ns = at_ns;
        (
            container,
            pid,
            exit_status,
            exited_at_ns,
            at_ns,
            published_ns,
        )
            .hash(&mut inner.hasher);
        inner.events.push(Event::TaskExit(TaskExit {
            container: container.to_string(),
            pid,
            exit_status,
            exited_at_ns,
            at_ns,
            published_ns,
        }));
    }

    /// containerd received a TaskCreate, TaskStart or TaskDelete event.
    pub fn lifecycle(
        &self,
        event: Lifecycle,
        container: &str,
        pid: u32,
        published_ns: Option<u64>,
    ) {
        let at_ns = ns(sim_now());
        let mut inner = self.inner.lock().unwrap();
        inner.last_ns = at_ns;
        (event, container, pid, at_ns, published_ns).hash(&mut inner.hasher);
        inner.events.push(Event::Lifecycle(LifecycleEvent {
            event,
            container: container.to_string(),
            pid,
            at_ns,
            published_ns,
        }));
    }

    /// The world applied `fault` (its `at_ns` is set to now).
    pub fn fault(&self, mut fault: Fault) {
        fault.at_ns = ns(sim_now());
        let mut inner = self.inner.lock().unwrap();
        inner.last_ns = fault.at_ns;
        (fault.to_string(), fault.at_ns).hash(&mut inner.hasher);
        inner.events.push(Event::Fault(fault));
    }

    /// Ground truth: `container`'s process ended in the guest with `code` (None: it died
    /// with its VM).
    pub fn guest_exit(&self, container: &str, code: Option<i32>) {
        let at_ns = ns(sim_now());
        let mut inner = self.inner.lock().unwrap();
        inner.last_ns = at_ns;
        ("guest exit", container, code, at_ns).hash(&mut inner.hasher);
        inner.events.push(Event::GuestExit(GuestExit {
            container: container.to_string(),
            code,
            at_ns,
        }));
    }

    /// The liveness phase begins now: every fault is healed.
    pub fn liveness_begins(&self) {
        let now = ns(sim_now());
        let mut inner = self.inner.lock().unwrap();
        inner.last_ns = now;
        ("liveness", now).hash(&mut inner.hasher);
        inner.liveness_from_ns = Some(now);
    }

    /// The hash of everything recorded so far.
    pub fn trace_hash(&self) -> u64 {
        self.inner.lock().unwrap().hasher.finish()
    }

    /// The history so far, ended now with `final_state`. The calls, events and created
    /// ids move into it (a run takes its history once, at its end); anything recorded
    /// later is only hashed.
    pub fn history(&self, final_state: FinalState) -> History {
        self.take(ns(sim_now()), final_state, None)
    }

    /// The history up to a panic with `message` that ended the run (outside the run: it
    /// ends at the last thing recorded, with an empty final state).
    pub fn history_after_panic(&self, message: String) -> History {
        let ended_ns = self.inner.lock().unwrap().last_ns;
        self.take(ended_ns, FinalState::default(), Some(message))
    }

    fn take(&self, ended_ns: u64, final_state: FinalState, panic: Option<String>) -> History {
        let mut inner = self.inner.lock().unwrap();
        inner.taken += inner.calls.len();
        History {
            calls: std::mem::take(&mut inner.calls),
            events: std::mem::take(&mut inner.events),
            created_ids: std::mem::take(&mut inner.created_ids),
            ended_ns,
            final_state,
            liveness_from_ns: inner.liveness_from_ns,
            panic,
            stuck: None,
        }
    }
}

/// containerd's error line of issue #12336 (`level=error msg="get state for <id>"`).
pub const GET_STATE_ERROR: &str = "get state for ";
/// The warning PR #12337's shim logs instead of failing.
pub const NOT_FOUND_WARNING: &str = "Container not found in state query";

/// Counts log lines like the article's `grep -c`: containerd's `get state for` errors and
/// the shim's `Container not found in state query` warnings.
#[derive(Default)]
pub struct LogTally {
    pub errors: AtomicU64,
    pub warnings: AtomicU64,
    /// The `error` field of the first `get state for` line: the shim's error as
    /// containerd received it.
    pub first_error: Mutex<Option<String>>,
    /// Told once, when the first `get state for` line is logged: the benchmark
    /// timestamps it on a thread of its own (inside a run madsim's clock stands in for
    /// the wall clock). Never used for a verdict or a trace.
    pub first_error_signal: Mutex<Option<std::sync::mpsc::Sender<()>>>,
}

impl LogTally {
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
    pub fn warnings(&self) -> u64 {
        self.warnings.load(Ordering::Relaxed)
    }
    pub fn first_error(&self) -> Option<String> {
        self.first_error.lock().unwrap().clone()
    }
}

/// The tracing layer that feeds a [`LogTally`].
pub struct TallyLayer(pub Arc<LogTally>);

#[derive(Default)]
struct MessagePrefix {
    errors: bool,
    warnings: bool,
    error_field: Option<String>,
}

impl Visit for MessagePrefix {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => {
                let text = format!("{value:?}");
                self.errors = text.starts_with(GET_STATE_ERROR);
                self.warnings = text.starts_with(NOT_FOUND_WARNING);
            }
            "error" => self.error_field = Some(format!("{value:?}")),
            _ => {}
        }
    }
}

impl<S: Subscriber> Layer<S> for TallyLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let level = *event.metadata().level();
        if level != Level::ERROR && level != Level::WARN {
            return;
        }
        let mut m = MessagePrefix::default();
        event.record(&mut m);
        if m.errors && level == Level::ERROR {
            self.0.errors.fetch_add(1, Ordering::Relaxed);
            let mut first = self.0.first_error.lock().unwrap();
            if first.is_none() {
                *first = m.error_field;
                if let Some(signal) = self.0.first_error_signal.lock().unwrap().take() {
                    let _ = signal.send(());
                }
            }
        }
        if m.warnings && level == Level::WARN {
            self.0.warnings.fetch_add(1, Ordering::Relaxed);
        }
    }
}
