//! The two kinds of judgement over a [`History`]: safety properties that must always
//! hold, and "sometimes" situations a campaign of runs should reach at least once.

use crate::history::History;

/// A property every run's history must satisfy.
pub trait Property {
    /// A stable snake_case name, used in reports.
    fn name(&self) -> &'static str;
    /// Where the contract comes from (document and section), in one line.
    fn contract(&self) -> &'static str;
    /// Judges one history.
    fn check(&self, h: &History) -> Verdict;
}

/// The outcome of checking one [`Property`] against one [`History`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// The property does not hold; `calls` and `events` index into the history's
    /// `calls` and `events` and show the evidence.
    Violation {
        explanation: String,
        calls: Vec<usize>,
        events: Vec<usize>,
    },
}

impl Verdict {
    /// A violation shown by `calls` alone.
    pub fn violation(explanation: impl Into<String>, calls: Vec<usize>) -> Verdict {
        Verdict::Violation {
            explanation: explanation.into(),
            calls,
            events: Vec::new(),
        }
    }

    pub fn is_pass(&self) -> bool {
        *self == Verdict::Pass
    }
}

/// A named interesting situation (an Antithesis-style "sometimes" assertion): across a
/// campaign, each should be hit by some run, or the campaign did not explore it.
pub trait Sometimes {
    /// A stable snake_case name, used in reports.
    fn name(&self) -> &'static str;
    /// Whether this history reaches the situation.
    fn hit(&self, h: &History) -> bool;
}
