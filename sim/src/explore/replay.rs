//! Replaying a case for a person: the schedule, the lanes view of what happened, the log
//! lines of the containers involved, and each property's verdict with its explanation.

use std::collections::BTreeSet;
use std::fmt::Write;

use anyhow::Result;
use runtime_model::Profile;

use super::case::Case;
use super::engine::run_and_judge;
use super::judge::Judgement;
use super::lanes;
use crate::runner::LogOutput;

/// What a replay found.
pub struct Replayed {
    /// The whole report, ready to print.
    pub report: String,
    pub judgement: Judgement,
}

/// The schedule of `case`, one line per lane.
pub fn schedule(case: &Case) -> String {
    let mut out = String::new();
    for (l, steps) in case.lanes.iter().enumerate() {
        let calls: Vec<String> = steps
            .iter()
            .map(|s| format!("@{}us {s}", s.at_us))
            .collect();
        let _ = writeln!(
            out,
            "  {}: {}",
            lanes::lane_name(l as u32),
            calls.join("; ")
        );
    }
    out
}

/// Runs `case` on `profile` with the log captured and reports it; `focus` is the
/// property whose verdict leads the report (the others follow).
pub fn replay_case(case: &Case, profile: Profile, focus: Option<&str>) -> Result<Replayed> {
    let (run, judgement) = run_and_judge(case, profile, LogOutput::Capture)?;
    let h = &run.history;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "profile {profile}, madsim seed {}, {} pod(s), {} client call(s) in {} lane(s)",
        case.seed,
        case.pods,
        case.op_count(),
        case.lanes.len()
    );
    let _ = write!(
        out,
        "schedule (each step at its time or when its lane's previous call returns):\n{}",
        schedule(case)
    );
    let lead = focus
        .and_then(|p| judgement.violation(p))
        .or_else(|| judgement.violations.first());
    let evidence = lead.map(|v| v.calls.clone()).unwrap_or_default();
    let sandboxes: BTreeSet<String> = (1..=case.pods).map(Case::sandbox).collect();
    let _ = write!(
        out,
        "\nwhat containerd sent the shims, by client lane (> call, < answer, * evidence):\n{}",
        lanes::render(h, &evidence, &sandboxes)
    );
    let involved: BTreeSet<&str> = if evidence.is_empty() {
        case.lanes
            .iter()
            .flatten()
            .map(|s| s.container.as_str())
            .filter(|c| !c.is_empty())
            .collect()
    } else {
        evidence
            .iter()
            .map(|&i| h.calls[i].container.as_str())
            .collect()
    };
    let log = run.log.unwrap_or_default();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| involved.iter().any(|c| l.contains(c)))
        .collect();
    let names: Vec<&str> = involved.iter().copied().collect();
    let _ = writeln!(
        out,
        "\nlog lines naming {} (RUST_LOG, default info):",
        names.join(", ")
    );
    for l in &lines {
        let _ = writeln!(out, "  {l}");
    }
    if lines.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    let _ = writeln!(out, "\nverdicts:");
    if let Some(v) = lead {
        let _ = writeln!(out, "  {} VIOLATED: {}", v.property, v.explanation);
        let _ = writeln!(out, "    contract: {}", v.contract);
    }
    for v in &judgement.violations {
        if Some(v.property) != lead.map(|l| l.property) {
            let _ = writeln!(out, "  {} VIOLATED: {}", v.property, v.explanation);
        }
    }
    if judgement.violations.is_empty() {
        let _ = writeln!(out, "  every property holds");
    }
    if !judgement.hits.is_empty() {
        let _ = writeln!(out, "  situations reached: {}", judgement.hits.join(", "));
    }
    let _ = writeln!(
        out,
        "{} shim calls, {} events, {:.3} s simulated, trace {:016x}",
        h.calls.len(),
        h.events.len(),
        run.sim_time.as_secs_f64(),
        run.trace_hash
    );
    Ok(Replayed {
        report: out,
        judgement,
    })
}
