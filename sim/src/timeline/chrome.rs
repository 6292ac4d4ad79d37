//! A run as Chrome trace-event JSON (the format chrome://tracing and ui.perfetto.dev
//! open), in simulated node time (trace-event `ts` and `dur` are microseconds).
//!
//! One process per madsim node (containerd first, then the others by name), and in it
//! one thread per track: containerd has one per client lane (`lane N`, and `cri` for
//! the CRI plugin's own calls) with a complete (`X`) slice per call containerd made to a
//! shim, and `TaskExit events`; a shim node has `agent rpc` (its RPCs to the kata-agent)
//! and one track per lock the model holds across an await; every node has `faults` and
//! `log` (warn and above) as instant (`i`) events. Slices that overlap on a track are
//! spread over numbered tracks (`lane 0`, `lane 0 #2`), so every track nests. The
//! evidence of the violation shown is flagged: `args.evidence` is true and `cname` is
//! `terrible` (red in chrome://tracing).

use std::collections::{BTreeMap, BTreeSet};

use properties::{Event, Fault, FaultKind, History};
use serde_json::{json, Value};

use super::Mark;
use crate::lanes::{lane_name, outcome};

/// The node containerd runs on (its process comes first).
const CONTAINERD: &str = "containerd";

/// The node a fault hit: the VM for what happens in the guest, else the shim.
fn fault_node(f: &Fault) -> String {
    match f.kind {
        FaultKind::ShimCrash | FaultKind::LinkHold | FaultKind::LinkPartition => {
            format!("shim-{}", f.sandbox)
        }
        _ => format!("vm-{}", f.sandbox),
    }
}

/// The evidence to flag: indices into the history's calls and events.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    pub calls: BTreeSet<usize>,
    pub events: BTreeSet<usize>,
}

/// One event before its track gets a thread id.
struct Item {
    node: String,
    track: String,
    ph: &'static str,
    cat: &'static str,
    name: String,
    start_ns: u64,
    /// For a slice.
    end_ns: Option<u64>,
    evidence: bool,
    args: Value,
}

/// The trace-event document of a run: `history`'s calls and TaskExit events, and the
/// timeline's `marks`, with `evidence` flagged and `about` under `otherData`.
pub fn trace_events(history: &History, marks: &[Mark], evidence: &Evidence, about: Value) -> Value {
    let mut items = Vec::new();
    for (i, c) in history.calls.iter().enumerate() {
        let end_ns = c.returned_ns.unwrap_or(history.ended_ns).max(c.invoked_ns);
        items.push(Item {
            node: CONTAINERD.to_string(),
            track: lane_name(c.lane),
            ph: "X",
            cat: "call",
            name: format!("{} {}", c.op, c.container),
            start_ns: c.invoked_ns,
            end_ns: Some(end_ns),
            evidence: evidence.calls.contains(&i),
            args: json!({
                "call": i,
                "lane": lane_name(c.lane),
                "sandbox": c.sandbox,
                "direct": c.direct,
                "listed_at_invoke": c.listed_at_invoke,
                "answer": outcome(&c.result),
                "returned": c.returned_ns.is_some(),
            }),
        });
    }
    for (i, e) in history.events.iter().enumerate() {
        let (node, track, cat, name, args) = match e {
            Event::TaskExit(x) => (
                CONTAINERD.to_string(),
                "TaskExit events",
                "event",
                format!("TaskExit {} exit {}", x.container, x.exit_status),
                json!({"event": i, "pid": x.pid, "exited_at_ns": x.exited_at_ns}),
            ),
            Event::Fault(f) => (
                fault_node(f),
                "faults",
                "fault",
                format!("fault: {f}"),
                json!({"event": i, "kind": f.kind, "sandbox": f.sandbox}),
            ),
            Event::Lifecycle(l) => (
                CONTAINERD.to_string(),
                "lifecycle events",
                "event",
                format!("{} {}", l.event.name(), l.container),
                json!({"event": i, "pid": l.pid}),
            ),
            Event::GuestExit(g) => (
                CONTAINERD.to_string(),
                "guest exits (ground truth)",
                "event",
                match g.code {
                    Some(code) => format!("guest exit {} (code {code})", g.container),
                    None => format!("guest exit {} (died with its VM)", g.container),
                },
                json!({"event": i, "code": g.code}),
            ),
        };
        items.push(Item {
            node,
            track: track.to_string(),
            ph: "i",
            cat,
            name,
            start_ns: e.at_ns(),
            end_ns: None,
            evidence: evidence.events.contains(&i),
            args,
        });
    }
    for m in marks {
        items.push(match m {
            Mark::Slice {
                node,
                kind,
                start_ns,
                end_ns,
                fields,
            } => {
                let field = |k: &str| fields.get(k).map_or("", String::as_str);
                // The map and the service mutex are one per shim, `inner` one per
                // container.
                let of = match field("lock") {
                    "inner" => format!(" of {}", field("container")),
                    _ => String::new(),
                };
                let (track, name) = match *kind {
                    "lock_hold" => (
                        format!("lock {}{of}", field("lock")),
                        format!("{} {} {}", field("mode"), field("lock"), field("container")),
                    ),
                    "lock_wait" => (
                        format!("waits for lock {}{of}", field("lock")),
                        format!("{} {} {}", field("mode"), field("lock"), field("container")),
                    ),
                    "wait" => (
                        "waits".to_string(),
                        format!("{} {}", field("on"), field("container")),
                    ),
                    _ => (
                        "agent rpc".to_string(),
                        format!("{} {}", field("method"), field("container")),
                    ),
                };
                Item {
                    node: node.clone(),
                    track,
                    ph: "X",
                    cat: kind,
                    name: name.trim_end().to_string(),
                    start_ns: *start_ns,
                    end_ns: Some(*end_ns),
                    evidence: false,
                    args: json!(fields),
                }
            }
            Mark::Instant {
                node,
                kind,
                at_ns,
                fields,
            } => Item {
                node: node.clone(),
                track: "log".to_string(),
                ph: "i",
                cat: kind,
                name: fields.get("message").cloned().unwrap_or_default(),
                start_ns: *at_ns,
                end_ns: None,
                evidence: false,
                args: json!(fields),
            },
        });
    }
    json!({
        "traceEvents": events(items),
        "displayTimeUnit": "ns",
        "otherData": about,
    })
}

/// Microseconds, as trace-event JSON counts time.
fn us(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

/// The items as trace events, with a process per node, a thread per track, and the
/// metadata events that name them.
fn events(mut items: Vec<Item>) -> Vec<Value> {
    items.sort_by(|a, b| (a.start_ns, b.end_ns).cmp(&(b.start_ns, a.end_ns)));
    let mut nodes: Vec<&str> = items.iter().map(|i| i.node.as_str()).collect();
    nodes.sort_by_key(|n| (*n != CONTAINERD, *n));
    nodes.dedup();
    let pids: BTreeMap<String, u64> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.to_string(), i as u64 + 1))
        .collect();
    // Per (node, track): the end of each numbered track's last slice.
    let mut lanes: BTreeMap<(u64, String), Vec<u64>> = BTreeMap::new();
    let mut tids: BTreeMap<(u64, String), u64> = BTreeMap::new();
    let mut out = Vec::new();
    for item in items {
        let pid = pids[&item.node];
        let ends = lanes.entry((pid, item.track.clone())).or_default();
        let k = match item.end_ns {
            Some(end) => {
                let k = ends
                    .iter()
                    .position(|&e| e <= item.start_ns)
                    .unwrap_or(ends.len());
                if k == ends.len() {
                    ends.push(end);
                } else {
                    ends[k] = end;
                }
                k
            }
            None => 0,
        };
        let track = if k == 0 {
            item.track.clone()
        } else {
            format!("{} #{}", item.track, k + 1)
        };
        let next = tids.len() as u64 + 1;
        let tid = *tids.entry((pid, track)).or_insert(next);
        let mut args = item.args;
        args["evidence"] = Value::Bool(item.evidence);
        let mut e = json!({
            "ph": item.ph,
            "cat": item.cat,
            "name": item.name,
            "pid": pid,
            "tid": tid,
            "ts": us(item.start_ns),
            "args": args,
        });
        match item.end_ns {
            Some(end) => e["dur"] = json!(us(end - item.start_ns)),
            None => e["s"] = json!("t"),
        }
        if item.evidence {
            e["cname"] = json!("terrible");
        }
        out.push(e);
    }
    let mut meta: Vec<Value> = pids
        .iter()
        .map(|(node, pid)| {
            json!({"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": node}})
        })
        .collect();
    meta.extend(tids.iter().map(|((pid, track), tid)| {
        json!({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": track}})
    }));
    meta.extend(out);
    meta
}
