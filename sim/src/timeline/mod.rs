//! A run's timeline: what happened inside the nodes, in simulated node time, beside the
//! calls the [`crate::recorder`] keeps. A [`TimelineLayer`] in the run's subscriber
//! collects
//!
//! - every span of target [`TARGET`]: a shim -> agent RPC (`agent_rpc`, from
//!   [`crate::net::vsock`]), a lock held across an await in the model (`lock_hold`), the
//!   wait to take one (`lock_wait`) and any other wait the model names (`wait`, all from
//!   `runtime_model::sync::held`), each a slice from its creation to its close, with the
//!   shim task it happened in (the model's `task` spans: a Task API request, an exit
//!   watcher, a waiter) as its `task` field;
//! - every log event at warn or above, an instant;
//!
//! each on the madsim node it happened on. [`chrome`] writes them, with the history's
//! calls and events (TaskExits, faults and the guest's ground truth), as Chrome
//! trace-event JSON; [`stuck`] reads the slices still open when the run ended as the
//! history's stuck tasks. The layer only reads: a run's trace is the same with it or
//! without it.

pub mod chrome;
pub mod stuck;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::filter::{filter_fn, FilterFn};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The tracing target of the spans and events meant for the timeline.
pub const TARGET: &str = "kata_dst::timeline";

/// One thing on the timeline, at node time in ns since the run started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mark {
    /// A span: `kind` is its name (`agent_rpc`, `lock_hold`).
    Slice {
        node: String,
        kind: &'static str,
        start_ns: u64,
        end_ns: u64,
        fields: BTreeMap<String, String>,
    },
    /// A log event (`kind` is `log`); `fields` has its `message` and `level`.
    Instant {
        node: String,
        kind: &'static str,
        at_ns: u64,
        fields: BTreeMap<String, String>,
    },
}

/// The marks of one run, filled by its [`TimelineLayer`]: those that ended, and the
/// slices still open by span id.
#[derive(Clone, Default)]
pub struct Timeline(Arc<Mutex<Vec<Mark>>>, Arc<Mutex<BTreeMap<u64, Mark>>>);

impl Timeline {
    /// The marks so far, in the order they ended.
    pub fn marks(&self) -> Vec<Mark> {
        self.0.lock().unwrap().clone()
    }

    /// The slices open now, in the order they began, each ending now.
    pub fn open(&self) -> Vec<Mark> {
        let now = now_ns().unwrap_or_default();
        let mut open: Vec<Mark> = self.1.lock().unwrap().values().cloned().collect();
        for m in &mut open {
            if let Mark::Slice { end_ns, .. } = m {
                *end_ns = now;
            }
        }
        open.sort_by_key(|m| match m {
            Mark::Slice { start_ns, .. } => *start_ns,
            Mark::Instant { at_ns, .. } => *at_ns,
        });
        open
    }

    /// The layer that fills this timeline, with the filter that enables what it reads
    /// (and madsim's `node` and `task` spans, to know where each mark happened: madsim
    /// enters a task's span, whose parent is its node's).
    pub fn layer<S>(&self) -> impl Layer<S> + Send + Sync
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        TimelineLayer(self.clone()).with_filter(wanted())
    }
}

fn wanted() -> FilterFn<impl Fn(&Metadata<'_>) -> bool> {
    filter_fn(|m| {
        m.target() == TARGET
            || (m.is_span()
                && matches!(m.name(), "node" | "task")
                && m.target().starts_with("madsim"))
            || (m.is_event() && matches!(*m.level(), Level::WARN | Level::ERROR))
    })
}

/// The tracing layer that fills a [`Timeline`].
pub struct TimelineLayer(Timeline);

/// The name of the madsim node a `node` span stands for.
struct NodeName(String);

/// The shim task a model `task` span stands for: its name (`Delete pod1-c1`, `the exit
/// watcher of pod1-c1`), its span id, and for a request its method and container.
struct TaskName(String, u64, Option<(String, String)>);

/// The name of a `task` span from its fields: `role`, and `method` and `container`.
fn task_name(fields: &Fields) -> String {
    let field = |k: &str| fields.0.get(k).map_or("", String::as_str);
    match field("role") {
        "request" => format!("{} {}", field("method"), field("container")),
        role => format!("the {role} of {}", field("container")),
    }
}

/// A timeline span not closed yet.
struct Open {
    node: String,
    start_ns: u64,
    fields: Fields,
}

/// Every field of a span or event, as text.
#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
}

impl Open {
    /// The slice so far, as a mark of kind `kind` ending where it began.
    fn mark(&self, kind: &'static str) -> Mark {
        Mark::Slice {
            node: self.node.clone(),
            kind,
            start_ns: self.start_ns,
            end_ns: self.start_ns,
            fields: self.fields.0.clone(),
        }
    }
}

fn now_ns() -> Option<u64> {
    crate::clock::try_now().map(|t| t.as_nanos() as u64)
}

/// The node of the innermost `node` span among `spans`.
fn node_of<'a, S, I>(spans: I) -> String
where
    S: for<'l> LookupSpan<'l> + 'a,
    I: Iterator<Item = tracing_subscriber::registry::SpanRef<'a, S>>,
{
    spans
        .filter_map(|s| s.extensions().get::<NodeName>().map(|n| n.0.clone()))
        .next()
        .unwrap_or_else(|| "(no node)".to_string())
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for TimelineLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let meta = attrs.metadata();
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if meta.target() != TARGET {
            if meta.name() == "node" {
                let name = fields.0.remove("name").unwrap_or_default();
                span.extensions_mut().insert(NodeName(name));
            }
            return;
        }
        if meta.name() == "task" {
            let request =
                (fields.0.get("role").map(String::as_str) == Some("request")).then(|| {
                    let field = |k: &str| fields.0.get(k).cloned().unwrap_or_default();
                    (field("method"), field("container"))
                });
            let name = TaskName(task_name(&fields), id.into_u64(), request);
            span.extensions_mut().insert(name);
            return;
        }
        let Some(start_ns) = now_ns() else { return };
        let node = node_of(span.scope().skip(1));
        let task = span.scope().skip(1).find_map(|s| {
            s.extensions()
                .get::<TaskName>()
                .map(|t| (t.0.clone(), t.1, t.2.clone()))
        });
        if let Some((name, task_id, request)) = task {
            fields.0.insert("task".to_string(), name);
            fields.0.insert("task_id".to_string(), task_id.to_string());
            if let Some((method, container)) = request {
                fields.0.insert("task_method".to_string(), method);
                fields.0.insert("task_container".to_string(), container);
            }
        }
        let open = Open {
            node,
            start_ns,
            fields,
        };
        self.0
             .1
            .lock()
            .unwrap()
            .insert(id.into_u64(), open.mark(meta.name()));
        span.extensions_mut().insert(open);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(open) = span.extensions_mut().get_mut::<Open>() {
                values.record(&mut open.fields);
                let mark = open.mark(span.metadata().name());
                self.0 .1.lock().unwrap().insert(id.into_u64(), mark);
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(open) = span.extensions_mut().remove::<Open>() else {
            return;
        };
        self.0 .1.lock().unwrap().remove(&id.into_u64());
        let end_ns = now_ns().unwrap_or(open.start_ns).max(open.start_ns);
        self.0 .0.lock().unwrap().push(Mark::Slice {
            node: open.node,
            kind: span.metadata().name(),
            start_ns: open.start_ns,
            end_ns,
            fields: open.fields.0,
        });
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let Some(at_ns) = now_ns() else { return };
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        fields
            .0
            .insert("level".to_string(), meta.level().to_string());
        let kind = "log";
        let node = ctx
            .lookup_current()
            .map_or_else(|| "(no node)".to_string(), |s| node_of(s.scope()));
        self.0 .0.lock().unwrap().push(Mark::Instant {
            node,
            kind,
            at_ns,
            fields: fields.0,
        });
    }
}
