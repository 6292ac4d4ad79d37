//! Judges a run's history with every built-in property and sometimes situation.

use properties::{builtin, builtin_sometimes, History, Verdict};

/// One property that did not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub property: &'static str,
    pub contract: &'static str,
    pub explanation: String,
    /// Indices into the history's calls that show it.
    pub calls: Vec<usize>,
}

/// What the properties said about one history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Judgement {
    pub violations: Vec<Violation>,
    /// The sometimes situations this history reached.
    pub hits: Vec<&'static str>,
}

impl Judgement {
    /// The violation of `property`, if it was violated.
    pub fn violation(&self, property: &str) -> Option<&Violation> {
        self.violations.iter().find(|v| v.property == property)
    }
}

/// Checks every built-in property and sometimes situation against `h`.
pub fn judge(h: &History) -> Judgement {
    let violations = builtin()
        .iter()
        .filter_map(|p| match p.check(h) {
            Verdict::Pass => None,
            Verdict::Violation {
                explanation, calls, ..
            } => Some(Violation {
                property: p.name(),
                contract: p.contract(),
                explanation,
                calls,
            }),
        })
        .collect();
    let hits = builtin_sometimes()
        .iter()
        .filter(|s| s.hit(h))
        .map(|s| s.name())
        .collect();
    Judgement { violations, hits }
}

/// The names of every built-in property, in registration order.
pub fn property_names() -> Vec<&'static str> {
    builtin().iter().map(|p| p.name()).collect()
}

/// The names of every built-in sometimes situation.
pub fn sometimes_names() -> Vec<&'static str> {
    builtin_sometimes().iter().map(|s| s.name()).collect()
}
