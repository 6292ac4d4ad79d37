//! A run never panics.

use crate::history::History;
use crate::property::{Property, Verdict};

/// No task of the run panicked: not the model, not the simulated containerd, agent or
/// VMM. A panic ends the run where it happened; the history holds what came before.
///
/// Contract: runtime-rs's shim is one process; a panic in a request handler or a
/// watcher task is a bug whatever the input (a real shim would lose the task, or the
/// whole process with `panic = "abort"`). In the world around the model, a panic is a
/// bug of kata-dst itself, which a run must not hide either.
pub struct RunDoesNotPanic;

impl Property for RunDoesNotPanic {
    fn name(&self) -> &'static str {
        "run_does_not_panic"
    }

    fn contract(&self) -> &'static str {
        "runtime-rs: a panic in the shim is a bug for any input; kata-dst: a panic in the world is one too"
    }

    fn check(&self, h: &History) -> Verdict {
        match &h.panic {
            Some(message) => Verdict::violation(format!("the run panicked: {message}"), vec![]),
            None => Verdict::Pass,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn a_panic_violates_with_its_message() {
        let mut h = history(vec![]);
        assert!(RunDoesNotPanic.check(&h).is_pass());
        h.panic = Some("index out of bounds".into());
        assert_eq!(
            explanation(RunDoesNotPanic.check(&h)),
            "the run panicked: index out of bounds"
        );
    }
}
