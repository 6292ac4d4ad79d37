//! A replay for a person, whatever the scenario: what ran, the lanes view of what
//! containerd sent the shims, the log lines of the containers involved, the article's
//! metric, and every property's verdict with its explanation. One clock throughout:
//! simulated node time since the run started.

use std::collections::BTreeSet;
use std::fmt::{self, Write};
use std::sync::Arc;

use anyhow::Result;
use properties::{fmt_ns, Catalog};
use runtime_model::Profile;

use crate::lanes::{self, Focus};
use crate::log::LogOutput;
use crate::run::{name_the_stuck, run_tallied, Judged, Tally};
use crate::scenario::Scenario;
use crate::timeline::chrome::{trace_events, Evidence};
use crate::timeline::{Mark, Timeline};

/// The most log lines a replay prints (the rest are counted).
const MAX_LOG_LINES: usize = 40;

/// A judged run, ready to print (its [`fmt::Display`] is the whole report).
pub struct Replayed {
    pub judged: Judged,
    report: String,
    /// The evidence of the violation the report leads with (empty if none).
    pub evidence: Evidence,
    /// What the run's [`Timeline`] collected, if it had one.
    pub marks: Option<Vec<Mark>>,
}

impl Replayed {
    /// The run as Chrome trace-event JSON (see [`crate::timeline::chrome`]), if it was
    /// replayed with a timeline; `about` goes under `otherData`.
    pub fn trace_events(&self, about: serde_json::Value) -> Option<serde_json::Value> {
        let marks = self.marks.as_ref()?;
        Some(trace_events(
            &self.judged.run.history,
            marks,
            &self.evidence,
            about,
        ))
    }
}

impl fmt::Display for Replayed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.report)
    }
}

/// Runs `scenario` on `profile` with madsim seed `seed`, the log captured (and, with
/// `timeline`, its timeline collected), judges it with `catalog` and writes the report;
/// `focus` is the property whose verdict leads.
pub fn replay(
    scenario: Arc<dyn Scenario>,
    profile: Profile,
    seed: u64,
    catalog: Arc<Catalog>,
    focus: Option<&str>,
    timeline: bool,
) -> Result<Replayed> {
    let collect = timeline.then(Timeline::default);
    let collected = collect.clone();
    let s = scenario.clone();
    let c = catalog.clone();
    let judged = crate::pool::on_fresh_thread(move || {
        let run = run_tallied(
            s,
            profile,
            seed,
            LogOutput::Capture,
            Arc::default(),
            collected.as_ref(),
        )?;
        let judgement = c.judge(&run.history);
        Ok(Judged { run, judgement })
    })?;
    let judged = name_the_stuck(judged, scenario.clone(), profile, seed, &catalog)?;
    let run = &judged.run;
    let h = &run.history;
    let judgement = &judged.judgement;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "profile {profile}, madsim seed {seed}: {}; times are simulated time since the run started",
        scenario.summary()
    );
    let _ = writeln!(
        out,
        "pods ready, workload started at {}",
        fmt_ns(run.workload_start.as_nanos() as u64)
    );
    let schedule = scenario.schedule(run.workload_start);
    if !schedule.is_empty() {
        let _ = write!(
            out,
            "schedule (each step at its time, or when its lane's previous call returns):\n{schedule}"
        );
    }
    let lead = focus
        .and_then(|p| judgement.violation(p))
        .or_else(|| judgement.violations.first());
    // A violation that points at no call or event (a leak in the final state) is shown
    // with the whole run.
    let focus_on = match lead.filter(|v| !v.calls.is_empty() || !v.events.is_empty()) {
        Some(v) => Focus::Evidence {
            calls: v.calls.clone(),
            events: v.events.clone(),
        },
        None => Focus::Everything,
    };
    let hidden: BTreeSet<String> = scenario.pods().into_iter().map(|p| p.sid).collect();
    let view = lanes::render(h, &focus_on, &hidden);
    let _ = write!(
        out,
        "\nwhat the shims were sent, by client lane (> call, < answer, . never answered, ! straight to the shim, * evidence):\n{view}"
    );
    let involved = view.containers;
    let log = run.log.as_deref().unwrap_or_default();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| involved.iter().any(|c| names(l, c)))
        .collect();
    let shown: Vec<&str> = involved.iter().map(String::as_str).collect();
    let _ = writeln!(
        out,
        "\nlog lines naming {} (RUST_LOG, default info):",
        if shown.is_empty() {
            "no container".to_string()
        } else {
            shown.join(", ")
        }
    );
    for l in lines.iter().take(MAX_LOG_LINES) {
        let _ = writeln!(out, "  {l}");
    }
    if lines.len() > MAX_LOG_LINES {
        let _ = writeln!(out, "  ... {} more", lines.len() - MAX_LOG_LINES);
    }
    if lines.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    write_tally(&mut out, &run.tally);
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
        "{} shim calls, {} events, ended at {}, trace {:016x}",
        h.calls.len(),
        h.events.len(),
        fmt_ns(run.sim_time.as_nanos() as u64),
        run.trace_hash
    );
    let evidence = lead.map_or_else(Evidence::default, |v| Evidence {
        calls: v.calls.iter().copied().collect(),
        events: v.events.iter().copied().collect(),
    });
    Ok(Replayed {
        report: out,
        judged,
        evidence,
        marks: collect.map(|t| t.marks()),
    })
}

/// Whether log line `line` names container `id` (and not a longer id it prefixes).
fn names(line: &str, id: &str) -> bool {
    line.match_indices(id).any(|(at, _)| {
        !line[at + id.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

/// The article's metric: the counts of its script's `grep -c`, and the first error's
/// chain as the shim sent it.
fn write_tally(out: &mut String, t: &Tally) {
    if t.get_state_errors == 0 && t.not_found_warnings == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "\nthe article's grep -c over this run's log: {} `get state for` errors, {} `Container not found in state query` warnings",
        t.get_state_errors, t.not_found_warnings
    );
    if let Some(e) = &t.first_error {
        let _ = writeln!(
            out,
            "first `get state for <id>` error, as the shim sent it (ttrpc status message):\n  {e}"
        );
        if let Some(chain) = e
            .strip_prefix("Others(\"")
            .and_then(|s| s.strip_suffix("\")"))
        {
            let _ = writeln!(out, "its error chain:\n{}", chain.replace("\\n", "\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn a_log_line_names_an_id_only_as_a_whole() {
        assert!(names("get state for pod1-c1 error=x", "pod1-c1"));
        assert!(names("id=pod1-c1", "pod1-c1"));
        assert!(!names("get state for pod1-c12", "pod1-c1"));
        assert!(!names("sid=pod1", "pod1-c1"));
    }
}
