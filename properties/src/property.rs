//! The two kinds of judgement over a [`History`]: safety properties that must always
//! hold, and "sometimes" situations a campaign of runs should reach at least once.

use crate::history::History;
use crate::index::ContainerIndex;

/// A property every run's history must satisfy.
///
/// `Send + Sync`, so that one catalog can judge histories on several threads at once;
/// `check` is a pure function of the history (no interior state, same verdict every
/// time), and the verdict's evidence is deterministic.
pub trait Property: Send + Sync {
    /// A stable snake_case name, used in reports.
    fn name(&self) -> &'static str;
    /// Where the contract comes from (document and section), in one line.
    fn contract(&self) -> &'static str;
    /// Judges one history.
    fn check(&self, h: &History) -> Verdict;
    /// Judges one history given `index`, the [`ContainerIndex`] of `h` (a catalog builds
    /// it once for all its properties): the same verdict as [`Property::check`]. The
    /// default ignores the index; a property that groups calls by container overrides it.
    fn check_indexed<'h>(&self, h: &'h History, _index: &ContainerIndex<'h>) -> Verdict {
        self.check(h)
    }
}

/// The outcome of checking one [`Property`] against one [`History`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The property holds on this history.
    Pass,
    /// The property does not hold; `calls` and `events` index into the history's
    /// `calls` and `events` and show the evidence.
    Violation {
        /// What went wrong, naming the evidence (see [`History::describe`]).
        explanation: String,
        /// Indices into the history's `calls`.
        calls: Vec<usize>,
        /// Indices into the history's `events`.
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

    /// Whether the property held.
    pub fn is_pass(&self) -> bool {
        *self == Verdict::Pass
    }
}

/// A named interesting situation (an Antithesis-style "sometimes" assertion): across a
/// campaign, each should be hit by some run, or the campaign did not explore it.
///
/// `Send + Sync` like [`Property`]; `hit` is a pure function of the history.
pub trait Sometimes: Send + Sync {
    /// A stable snake_case name, used in reports.
    fn name(&self) -> &'static str;
    /// Whether this history reaches the situation.
    fn hit(&self, h: &History) -> bool;
    /// Whether this history reaches the situation, given `index`, the
    /// [`ContainerIndex`] of `h`: the same answer as [`Sometimes::hit`] (see
    /// [`Property::check_indexed`]).
    fn hit_indexed<'h>(&self, h: &'h History, _index: &ContainerIndex<'h>) -> bool {
        self.hit(h)
    }
}
