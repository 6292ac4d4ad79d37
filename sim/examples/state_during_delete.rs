//! The property of `docs/writing-a-property.md`'s worked example, written after
//! replaying a failing run: a State that races a Delete of the same container answers a
//! state or NotFound. It lives outside the built-in list and is judged beside it.
//!
//! `cargo run --release --example state_during_delete` runs it; `cargo test --release`
//! builds it and runs its tests, which assert what the doc says of it.

use std::sync::Arc;

use properties::{Catalog, Code, History, Op, Property, Verdict};
use runtime_model::Profile;
use sim::explore::engine::Campaign;
use sim::explore::strategy::Shape;

/// A State of container X that overlaps in time a Delete of X answers a state, NotFound,
/// a closed connection or nothing at all (a hang is `no_call_hangs`'s business): never
/// another error status.
///
/// Contract: containerd's `getProcessState` skips a task whose State answers NotFound
/// and logs `get state for <id>` for any other error (containerd.md, "Tasks.List and
/// getProcessState"); a Delete in flight is exactly when a listed task's shim may have
/// forgotten it.
struct StateDuringDeleteIsAnswered;

impl Property for StateDuringDeleteIsAnswered {
    fn name(&self) -> &'static str {
        "state_during_delete_is_answered"
    }

    fn contract(&self) -> &'static str {
        "containerd.md: getProcessState tolerates only NotFound; a State racing a Delete of its task answers a state or NotFound"
    }

    fn check(&self, h: &History) -> Verdict {
        for (s, state) in h.calls.iter().enumerate() {
            if state.op != Op::State || state.status_code().is_none_or(|c| c == Code::NotFound) {
                continue;
            }
            let racing_delete = h
                .calls_for(&state.container)
                .find(|&(d, c)| c.op == Op::Delete && h.overlapping(s, d));
            if let Some((d, _)) = racing_delete {
                return Verdict::violation(
                    format!("{} during {}", h.describe(s), h.describe(d)),
                    vec![s, d],
                );
            }
        }
        Verdict::Pass
    }
}

/// How many of the first `cases` generated cases of campaign 0 violate the property on
/// `profile`, judged beside every built-in property.
fn violations(profile: Profile, cases: u64) -> anyhow::Result<usize> {
    let catalog = Catalog::builtin().with_property(Box::new(StateDuringDeleteIsAnswered));
    let verdicts = Campaign::new(profile, Shape::default(), 0, 2)
        .judged_by(Arc::new(catalog))
        .run(cases, None)?;
    Ok(verdicts
        .iter()
        .filter(|v| {
            v.judgement
                .violation("state_during_delete_is_answered")
                .is_some()
        })
        .count())
}

/// Judges runtime-rs 3.24 and the fix of PR #12337 on 200 generated cases each.
fn main() -> anyhow::Result<()> {
    for profile in [Profile::RS_3_24, Profile::RS_3_24_PR12337] {
        let n = violations(profile, 200)?;
        println!("{profile}: state_during_delete_is_answered violated in {n} of 200 cases");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use properties::{Call, Failure, Outcome, Reply};

    #[test]
    fn the_release_violates_and_the_fix_does_not() {
        assert!(violations(Profile::RS_3_24, 200).unwrap() > 0);
        assert_eq!(violations(Profile::RS_3_24_PR12337, 200).unwrap(), 0);
        main().expect("the example runs");
    }

    fn call(op: Op, invoked_ns: u64, returned_ns: u64, result: Outcome) -> Call {
        Call {
            lane: 0,
            container: "c".into(),
            sandbox: "s".into(),
            op,
            invoked_ns,
            returned_ns: Some(returned_ns),
            result,
            listed_at_invoke: true,
            direct: false,
        }
    }

    #[test]
    fn only_an_error_other_than_not_found_inside_a_delete_violates() {
        let error = |code| {
            Outcome::Err(Failure::Status {
                code,
                message: "failed to find container c".into(),
            })
        };
        let judge = |state: Call| {
            let delete = call(Op::Delete, 10, 20, Outcome::Ok(Reply::default()));
            let h = History {
                calls: vec![delete, state],
                ..History::default()
            };
            StateDuringDeleteIsAnswered.check(&h).is_pass()
        };
        assert!(!judge(call(Op::State, 15, 16, error(Code::Unknown))));
        assert!(judge(call(Op::State, 15, 16, error(Code::NotFound))));
        assert!(judge(call(Op::State, 21, 22, error(Code::Unknown))));
        assert!(judge(call(
            Op::State,
            15,
            16,
            Outcome::Ok(Reply::default())
        )));
    }
}
