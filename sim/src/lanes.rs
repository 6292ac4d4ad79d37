//! The lanes view of a history: one column per client lane, one row per call invocation
//! or return (and per event), in simulated time since the run started. Calls that show
//! a violation are marked `*`, calls a client sent straight to a shim `!`.
//!
//! A run of the article makes ~70,000 calls, so the view shows what matters: with a
//! violation, its evidence and, on the containers it concerns, every lifecycle call and
//! the calls that overlap the evidence; without one, every call but States. Columns and
//! rows are bounded; what is left out is counted.

use std::collections::BTreeSet;
use std::fmt::{self, Write};

use properties::{fmt_ns, Event, Failure, History, Op, Outcome, TaskStatus};

use crate::recorder::FIXTURE_LANE;

const WIDTH: usize = 46;
/// The most lanes the view shows as columns.
const MAX_LANES: usize = 6;
/// The most calls the view shows.
const MAX_CALLS: usize = 60;

/// What the view is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Focus {
    /// The whole run.
    Everything,
    /// A violation's evidence: indices into the history's calls and events.
    Evidence {
        calls: Vec<usize>,
        events: Vec<usize>,
    },
}

/// A rendered view, and the containers it shows.
pub struct View {
    pub text: String,
    pub containers: BTreeSet<String>,
}

impl fmt::Display for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The calls to show, in index order, and how many were left out.
fn select(h: &History, focus: &Focus, hidden: &BTreeSet<String>) -> (Vec<usize>, BTreeSet<String>) {
    let visible = |i: &usize| !hidden.contains(&h.calls[*i].container);
    match focus {
        Focus::Everything => {
            let all: Vec<usize> = (0..h.calls.len()).filter(visible).collect();
            let chosen = if all.len() > MAX_CALLS {
                all.into_iter()
                    .filter(|&i| h.calls[i].op != Op::State)
                    .collect()
            } else {
                all
            };
            let containers = chosen
                .iter()
                .map(|&i| h.calls[i].container.clone())
                .collect();
            (chosen, containers)
        }
        Focus::Evidence { calls, events } => {
            let exits: Vec<_> = events
                .iter()
                .filter_map(|&e| h.events.get(e)?.as_task_exit())
                .collect();
            let containers: BTreeSet<String> = calls
                .iter()
                .map(|&i| h.calls[i].container.clone())
                .chain(exits.iter().map(|e| e.container.clone()))
                .collect();
            let from = calls
                .iter()
                .map(|&i| h.calls[i].invoked_ns)
                .chain(
                    exits
                        .iter()
                        .map(|e| e.exited_at_ns.unwrap_or(e.at_ns).min(e.at_ns)),
                )
                .min()
                .unwrap_or(0);
            let to = calls
                .iter()
                .map(|&i| h.calls[i].end_ns())
                .chain(exits.iter().map(|e| e.at_ns))
                .max()
                .unwrap_or(0);
            let chosen = (0..h.calls.len())
                .filter(|i| {
                    let c = &h.calls[*i];
                    calls.contains(i)
                        || (containers.contains(&c.container)
                            && (c.op != Op::State || (c.invoked_ns <= to && from <= c.end_ns())))
                })
                .collect();
            (chosen, containers)
        }
    }
}

/// Renders the view of `h` for `focus`, leaving out calls on the `hidden` containers
/// (the sandboxes the fixture sets up) unless they are evidence.
pub fn render(h: &History, focus: &Focus, hidden: &BTreeSet<String>) -> View {
    let (evidence_calls, evidence_events) = match focus {
        Focus::Everything => (&[][..], &[][..]),
        Focus::Evidence { calls, events } => (&calls[..], &events[..]),
    };
    let (mut shown, containers) = select(h, focus, hidden);
    // Columns: the evidence's lanes first, then the others in order of first appearance.
    let mut lanes: Vec<u32> = evidence_calls.iter().map(|&i| h.calls[i].lane).collect();
    for &i in &shown {
        lanes.push(h.calls[i].lane);
    }
    let mut seen = BTreeSet::new();
    lanes.retain(|l| seen.insert(*l));
    let total = shown.len();
    lanes.truncate(MAX_LANES);
    shown.retain(|&i| lanes.contains(&h.calls[i].lane));
    shown.truncate(MAX_CALLS);
    // The events column: TaskExits, lifecycle events and the guest's ground truth on the
    // containers shown, and every fault.
    let events: Vec<(usize, u64, String)> = h
        .events
        .iter()
        .enumerate()
        .filter_map(|(e, event)| {
            let text = match event {
                Event::TaskExit(x) if containers.contains(&x.container) => {
                    format!("TaskExit {} exit {}", x.container, x.exit_status)
                }
                Event::GuestExit(g) if containers.contains(&g.container) => match g.code {
                    Some(code) => format!("guest: {} exited {code}", g.container),
                    None => format!("guest: {} died with its VM", g.container),
                },
                Event::Lifecycle(l) if containers.contains(&l.container) => {
                    format!("{} {}", l.event.name(), l.container)
                }
                Event::Fault(f) => format!("fault: {f}"),
                _ => return None,
            };
            Some((e, event.at_ns(), text))
        })
        .collect();
    // (time, column, text), in time order; ties keep recording order.
    let mut rows: Vec<(u64, usize, String)> = Vec::new();
    for &i in &shown {
        let c = &h.calls[i];
        let col = lanes
            .iter()
            .position(|&l| l == c.lane)
            .expect("lane listed");
        let mark = if evidence_calls.contains(&i) {
            '*'
        } else {
            ' '
        };
        let direct = if c.direct { '!' } else { ' ' };
        let call = format!("{} {}", c.op, c.container);
        rows.push((c.invoked_ns, col, format!("{mark}{direct}> {call}")));
        let back = match c.returned_ns {
            Some(t) => (t, format!("{mark}{direct}< {}", outcome(&c.result))),
            None => (h.ended_ns, format!("{mark}{direct}. {call} never returned")),
        };
        rows.push((back.0, col, back.1));
    }
    for (e, at_ns, text) in &events {
        let mark = if evidence_events.contains(e) {
            '*'
        } else {
            ' '
        };
        rows.push((*at_ns, lanes.len(), format!("{mark} {text}")));
    }
    rows.sort_by_key(|r| r.0);
    let mut header: Vec<String> = lanes.iter().map(|&l| lane_name(l)).collect();
    if !events.is_empty() {
        header.push("events".to_string());
    }
    let mut out = String::new();
    let _ = write!(out, "{:>12} ", "time");
    for name in &header {
        let _ = write!(out, "| {:<WIDTH$} ", name);
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    let _ = writeln!(out, "{}", "-".repeat(13 + header.len() * (WIDTH + 3)));
    for (t, col, text) in rows {
        let _ = write!(out, "{:>12} ", fmt_ns(t));
        for c in 0..header.len() {
            let cell = if c == col { clip(&text) } else { String::new() };
            let _ = write!(out, "| {:<WIDTH$} ", cell);
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
    }
    let left_out = total - shown.len();
    if left_out > 0 || h.calls.len() > total {
        let _ = writeln!(
            out,
            "({} of the run's {} calls shown; the others are on other containers or lanes{})",
            shown.len(),
            h.calls.len(),
            if matches!(focus, Focus::Everything) {
                ", or States"
            } else {
                ", or States outside the evidence's time span"
            }
        );
    }
    View {
        text: out,
        containers,
    }
}

/// `lane N`, or `cri` for the fixture's lane.
pub fn lane_name(lane: u32) -> String {
    if lane == FIXTURE_LANE {
        "cri".to_string()
    } else {
        format!("lane {lane}")
    }
}

/// A call's outcome in a few words: the status for a State, the exit for a Wait or a
/// Delete, the code and the last line of the message for an error.
pub fn outcome(o: &Outcome) -> String {
    match o {
        Outcome::Ok(r) if r.status != TaskStatus::Unknown => {
            format!("{:?} pid {} exit {}", r.status, r.pid, r.exit_status)
        }
        Outcome::Ok(r) if r.exit_status != 0 => format!("ok, exit {}", r.exit_status),
        Outcome::Ok(_) => "ok".to_string(),
        Outcome::Err(Failure::Status { code, message }) => {
            format!("{code:?}: {}", last_cause(message))
        }
        Outcome::Err(f) => format!("{f:?}"),
        Outcome::Pending => "pending".to_string(),
    }
}

/// The innermost cause of an error chain (`... Caused by: 0: a 1: b` gives `b`).
fn last_cause(message: &str) -> &str {
    let tail = message.rsplit("\\n").next().unwrap_or(message);
    let tail = tail.rsplit('\n').next().unwrap_or(tail);
    let tail = tail.trim().trim_end_matches(['"', ')']);
    match tail.split_once(": ") {
        Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => tail,
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() <= WIDTH {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(WIDTH - 1).collect();
        t.push('~');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use properties::{Call, Code, Reply};

    fn call(lane: u32, op: Op, id: &str, at: u64, back: u64, result: Outcome) -> Call {
        Call {
            lane,
            container: id.into(),
            sandbox: "pod1".into(),
            op,
            invoked_ns: at,
            returned_ns: Some(back),
            result,
            listed_at_invoke: true,
            direct: false,
        }
    }

    fn err() -> Outcome {
        Outcome::Err(Failure::Status {
            code: Code::Unknown,
            message: "Others(\"failed to handle message handler TaskRequest\\n\\nCaused by:\\n    0: state process\\n    1: failed to find container c\")".into(),
        })
    }

    #[test]
    fn rows_are_in_time_order_with_one_column_per_lane() {
        let h = History {
            calls: vec![
                call(
                    0,
                    Op::Delete,
                    "c",
                    1_000,
                    9_000,
                    Outcome::Ok(Reply::default()),
                ),
                call(1, Op::State, "c", 5_000, 6_000, err()),
                call(
                    FIXTURE_LANE,
                    Op::Create,
                    "pod1",
                    0,
                    500,
                    Outcome::Ok(Reply::default()),
                ),
            ],
            ..History::default()
        };
        let focus = Focus::Evidence {
            calls: vec![1],
            events: vec![],
        };
        let view = render(&h, &focus, &["pod1".to_string()].into()).text;
        let lines: Vec<&str> = view.lines().collect();
        assert!(
            lines[0].contains("| lane 1") && lines[0].contains("| lane 0"),
            "{view}"
        );
        assert!(
            lines[0].find("lane 1") < lines[0].find("lane 0"),
            "evidence lane first: {view}"
        );
        assert!(!view.contains("cri") && !view.contains("pod1"), "{view}");
        assert!(lines[2].starts_with("   0.000001s |"), "{view}");
        assert!(lines[2].contains("> Delete c"), "{view}");
        assert!(lines[3].contains("* > State c"), "{view}");
        assert!(
            lines[4].contains("* < Unknown: failed to find container c"),
            "{view}"
        );
        assert!(lines[5].starts_with("   0.000009s |"), "{view}");
    }

    #[test]
    fn a_direct_call_is_marked_and_a_large_run_keeps_its_lifecycle_calls() {
        let mut calls = vec![call(
            0,
            Op::Kill {
                signal: 9,
                all: false,
            },
            "c",
            10,
            20,
            Outcome::Ok(Reply::default()),
        )];
        calls[0].direct = true;
        for i in 0..100 {
            calls.push(call(
                1,
                Op::State,
                "c",
                100 + i,
                101 + i,
                Outcome::Ok(Reply::default()),
            ));
        }
        let h = History {
            calls,
            ..History::default()
        };
        let view = render(&h, &Focus::Everything, &BTreeSet::new()).text;
        assert!(view.contains(" !> Kill(9) c"), "{view}");
        assert!(!view.contains("> State"), "{view}");
        assert!(view.contains("(1 of the run's 101 calls shown"), "{view}");
    }

    #[test]
    fn last_cause_takes_the_innermost_error() {
        assert_eq!(last_cause("a\n\nCaused by:\n    0: b\n    1: c d"), "c d");
        assert_eq!(last_cause("container not created"), "container not created");
    }
}
