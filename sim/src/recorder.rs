//! The recorder: what one run observably did.
//!
//! Every RPC containerd makes to a shim (method, id, simulated invoke and return times,
//! status code and the answer's essentials or the error text) and every event it receives
//! is folded into a trace hash, so two runs can be compared bit for bit. Log lines are
//! tallied the way the article greps them (see [`LogTally`]).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// The observable result of one RPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RpcResult<'a> {
    /// OK, with the task status and exit status of the answer (0 where it has none).
    Ok { status: i32, exit_status: u32 },
    /// A ttrpc status from the shim.
    Status { code: i32, message: &'a str },
    /// The connection closed.
    Closed,
    /// The caller's deadline passed.
    Timeout,
}

/// Simulated time since the run started.
pub fn sim_now() -> Duration {
    crate::clock::now()
}

#[derive(Default)]
pub struct Recorder {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    hasher: DefaultHasher,
    rpcs: u64,
    events: u64,
}

impl Recorder {
    pub fn new() -> Arc<Recorder> {
        Arc::new(Recorder::default())
    }

    /// Records one containerd -> shim RPC.
    pub fn rpc(&self, method: &str, id: &str, invoked: Duration, result: RpcResult<'_>) {
        let returned = sim_now();
        let mut inner = self.inner.lock().unwrap();
        inner.rpcs += 1;
        let h = &mut inner.hasher;
        (method, id, invoked.as_nanos(), returned.as_nanos()).hash(h);
        result.hash(h);
    }

    /// Records one event containerd received from a shim.
    pub fn event(&self, topic: &str, id: &str, exit_status: u32) {
        let now = sim_now();
        let mut inner = self.inner.lock().unwrap();
        inner.events += 1;
        (topic, id, exit_status, now.as_nanos()).hash(&mut inner.hasher);
    }

    /// The hash of everything recorded so far.
    pub fn trace_hash(&self) -> u64 {
        self.inner.lock().unwrap().hasher.finish()
    }

    pub fn rpc_count(&self) -> u64 {
        self.inner.lock().unwrap().rpcs
    }

    pub fn event_count(&self) -> u64 {
        self.inner.lock().unwrap().events
    }
}

impl Hash for RpcResult<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        match *self {
            RpcResult::Ok {
                status,
                exit_status,
            } => (0u8, status, exit_status).hash(h),
            RpcResult::Status { code, message } => (1u8, code, message).hash(h),
            RpcResult::Closed => 2u8.hash(h),
            RpcResult::Timeout => 3u8.hash(h),
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
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
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
            }
        }
        if m.warnings && level == Level::WARN {
            self.0.warnings.fetch_add(1, Ordering::Relaxed);
        }
    }
}
