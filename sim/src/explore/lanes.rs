//! The lanes view of a history: one column per client lane, one row per call invocation
//! or return (and per event), in simulated time. Calls that show a violation are marked
//! with `*`.

use std::collections::BTreeSet;
use std::fmt::Write;

use properties::{Failure, History, Op, Outcome, TaskStatus};

use crate::recorder::FIXTURE_LANE;

const WIDTH: usize = 46;

/// Renders the calls of `h` on containers other than `hidden` (the sandboxes the
/// fixture sets up), marking the calls in `evidence`. Times are in microseconds since
/// the first call shown.
pub fn render(h: &History, evidence: &[usize], hidden: &BTreeSet<String>) -> String {
    let shown: Vec<usize> = (0..h.calls.len())
        .filter(|&i| !hidden.contains(&h.calls[i].container))
        .collect();
    let mut lanes: Vec<u32> = shown.iter().map(|&i| h.calls[i].lane).collect();
    lanes.sort_unstable();
    lanes.dedup();
    let exits: Vec<_> = h
        .task_exits()
        .filter(|(_, e)| !hidden.contains(&e.container))
        .collect();
    // (time, column, text), in time order; ties keep recording order.
    let mut rows: Vec<(u64, usize, String)> = Vec::new();
    for &i in &shown {
        let c = &h.calls[i];
        let col = lanes
            .iter()
            .position(|&l| l == c.lane)
            .expect("lane listed");
        let mark = if evidence.contains(&i) { "*" } else { " " };
        let call = format!("{} {}", op_name(c.op), c.container);
        rows.push((c.invoked_ns, col, format!("{mark}> {call}")));
        let back = match c.returned_ns {
            Some(t) => (t, format!("{mark}< {}", outcome(&c.result))),
            None => (h.ended_ns, format!("{mark}. {call} never returned")),
        };
        rows.push((back.0, col, back.1));
    }
    for (_, e) in &exits {
        let text = format!("TaskExit {} exit {}", e.container, e.exit_status);
        rows.push((e.at_ns, lanes.len(), text));
    }
    rows.sort_by_key(|r| r.0);
    let t0 = rows.first().map_or(0, |r| r.0);
    let mut header: Vec<String> = lanes.iter().map(|&l| lane_name(l)).collect();
    if !exits.is_empty() {
        header.push("events".to_string());
    }
    let mut out = String::new();
    let _ = write!(out, "{:>12} ", "time (us)");
    for name in &header {
        let _ = write!(out, "| {:<WIDTH$} ", name);
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    let _ = writeln!(out, "{}", "-".repeat(13 + header.len() * (WIDTH + 3)));
    for (t, col, text) in rows {
        let _ = write!(out, "{:>12.3} ", (t - t0) as f64 / 1000.0);
        for c in 0..header.len() {
            let cell = if c == col { clip(&text) } else { String::new() };
            let _ = write!(out, "| {:<WIDTH$} ", cell);
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
    }
    out
}

/// `lane N`, or `cri` for the fixture's lane.
pub fn lane_name(lane: u32) -> String {
    if lane == FIXTURE_LANE {
        "cri".to_string()
    } else {
        format!("lane {lane}")
    }
}

fn op_name(op: Op) -> String {
    match op {
        Op::Kill { signal, .. } => format!("Kill({signal})"),
        other => format!("{other:?}"),
    }
}

/// A call's outcome in a few words: the status for a State, the exit for a Wait or a
/// Delete, the code and the last line of the message for an error.
fn outcome(o: &Outcome) -> String {
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
        }
    }

    #[test]
    fn rows_are_in_time_order_with_one_column_per_lane() {
        let err = Outcome::Err(Failure::Status {
            code: Code::Unknown,
            message: "Others(\"failed to handle message handler TaskRequest\\n\\nCaused by:\\n    0: state process\\n    1: failed to find container c\")".into(),
        });
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
                call(1, Op::State, "c", 5_000, 6_000, err),
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
        let view = render(&h, &[1], &["pod1".to_string()].into());
        let lines: Vec<&str> = view.lines().collect();
        assert!(
            lines[0].contains("| lane 0") && lines[0].contains("| lane 1"),
            "{view}"
        );
        assert!(!view.contains("cri") && !view.contains("pod1"), "{view}");
        assert!(lines[2].starts_with("       0.000 |  > Delete c"), "{view}");
        assert!(lines[3].contains("*> State c"), "{view}");
        assert!(
            lines[4].contains("*< Unknown: failed to find container c"),
            "{view}"
        );
        assert!(lines[5].starts_with("       8.000 |  < ok"), "{view}");
    }

    #[test]
    fn last_cause_takes_the_innermost_error() {
        assert_eq!(last_cause("a\n\nCaused by:\n    0: b\n    1: c d"), "c d");
        assert_eq!(last_cause("container not created"), "container not created");
    }
}
