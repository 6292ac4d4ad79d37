//! A property of your own, checked without editing kata-dst's built-in list: define it,
//! add it to a catalog, and hand the catalog to a campaign.
//!
//! `cargo run --release --example custom_property` runs it; `cargo test --release` builds
//! and runs it too.

use std::sync::Arc;

use properties::{Catalog, History, Op, Property, Verdict};
use runtime_model::Profile;
use sim::explore::engine::Campaign;
use sim::explore::strategy::Shape;

/// A successful Create answers the task's pid, never 0.
///
/// Contract: containerd shim v2 API, `CreateTaskResponse.pid` is the task's pid.
struct CreateAnswersPid;

impl Property for CreateAnswersPid {
    fn name(&self) -> &'static str {
        "create_answers_pid"
    }

    fn contract(&self) -> &'static str {
        "containerd shim v2: CreateTaskResponse.pid is the task's pid"
    }

    fn check(&self, h: &History) -> Verdict {
        for (i, c) in h.calls.iter().enumerate() {
            if c.op == Op::Create && c.reply().is_some_and(|r| r.pid == 0) {
                return Verdict::violation(format!("{} answered pid 0", h.describe(i)), vec![i]);
            }
        }
        Verdict::Pass
    }
}

/// Runs 200 generated cases on every profile, judged by the built-in properties and
/// this one, and prints how many cases violated it.
fn main() -> anyhow::Result<()> {
    let catalog = Arc::new(Catalog::builtin().with_property(Box::new(CreateAnswersPid)));
    for profile in Profile::ALL {
        let verdicts = Campaign::new(profile, Shape::default(), 0, 2)
            .judged_by(catalog.clone())
            .run(200, None)?;
        let violated = verdicts
            .iter()
            .filter(|v| v.judgement.violation("create_answers_pid").is_some())
            .count();
        println!(
            "{profile}: create_answers_pid violated in {violated} of {} cases",
            verdicts.len()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use properties::{Outcome, Reply};

    #[test]
    fn the_example_runs_a_campaign_with_the_property() {
        main().expect("the example runs");
    }

    #[test]
    fn the_property_tells_a_pid_from_none() {
        let create = |pid| properties::Call {
            lane: 0,
            container: "c".into(),
            sandbox: "s".into(),
            op: Op::Create,
            invoked_ns: 0,
            returned_ns: Some(1),
            result: Outcome::Ok(Reply {
                pid,
                ..Reply::default()
            }),
            listed_at_invoke: false,
            direct: false,
        };
        let h = |pid| History {
            calls: vec![create(pid)],
            ..History::default()
        };
        assert!(CreateAnswersPid.check(&h(1010)).is_pass());
        assert!(!CreateAnswersPid.check(&h(0)).is_pass());
    }
}
