//! What a catalog's properties and sometimes situations said about one history.

/// One property that did not hold on a history: which, why, and the evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The property's name ([`Property::name`](crate::Property::name)).
    pub property: &'static str,
    /// Where its contract comes from ([`Property::contract`](crate::Property::contract)).
    pub contract: &'static str,
    /// What went wrong, naming the evidence.
    pub explanation: String,
    /// Indices into the history's `calls` that show it.
    pub calls: Vec<usize>,
    /// Indices into the history's `events` that show it.
    pub events: Vec<usize>,
}

/// What a catalog said about one history: every violated property, in catalog order,
/// and every sometimes situation the history reached, in catalog order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Judgement {
    /// The violated properties, in catalog order.
    pub violations: Vec<Violation>,
    /// The names of the sometimes situations this history reached.
    pub hits: Vec<&'static str>,
}

impl Judgement {
    /// The violation of `property`, if it was violated.
    pub fn violation(&self, property: &str) -> Option<&Violation> {
        self.violations.iter().find(|v| v.property == property)
    }
}
