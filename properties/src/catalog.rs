//! A catalog: the properties and sometimes situations a run is judged by. The built-in
//! ones come with [`Catalog::builtin`]; a user adds their own with
//! [`Catalog::with_property`] and hands the catalog to a campaign, with no edit to the
//! built-in list.

use std::fmt;

use crate::builtin::{builtin, builtin_sometimes};
use crate::history::History;
use crate::property::{Property, Sometimes, Verdict};

/// The properties and situations a run is judged by, in the order they are checked and
/// reported. Names are unique within a catalog.
pub struct Catalog {
    properties: Vec<Box<dyn Property>>,
    situations: Vec<Box<dyn Sometimes>>,
}

/// A name a catalog does not hold; its `Display` is one line listing the valid names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    /// `property` or `situation`.
    pub kind: &'static str,
    pub name: String,
    pub valid: Vec<&'static str>,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} '{}' (valid: {})",
            self.kind,
            self.name,
            self.valid.join(", ")
        )
    }
}

impl std::error::Error for UnknownName {}

/// One property that did not hold on a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub property: &'static str,
    pub contract: &'static str,
    pub explanation: String,
    /// Indices into the history's calls that show it.
    pub calls: Vec<usize>,
    /// Indices into the history's events that show it.
    pub events: Vec<usize>,
}

/// What a catalog said about one history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Judgement {
    /// The properties that did not hold, in catalog order.
    pub violations: Vec<Violation>,
    /// The sometimes situations the history reached, in catalog order.
    pub hits: Vec<&'static str>,
}

impl Judgement {
    /// The violation of `property`, if it was violated.
    pub fn violation(&self, property: &str) -> Option<&Violation> {
        self.violations.iter().find(|v| v.property == property)
    }
}

impl Catalog {
    /// No property and no situation.
    pub fn empty() -> Catalog {
        Catalog {
            properties: Vec::new(),
            situations: Vec::new(),
        }
    }

    /// Every built-in property (the mission property first) and situation.
    pub fn builtin() -> Catalog {
        let mut c = Catalog::empty();
        for p in builtin() {
            c = c.with_property(p);
        }
        for s in builtin_sometimes() {
            c = c.with_sometimes(s);
        }
        c
    }

    fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.properties
            .iter()
            .map(|p| p.name())
            .chain(self.situations.iter().map(|s| s.name()))
    }

    /// The catalog with `property` added last.
    ///
    /// # Panics
    /// If the catalog already holds a property or situation of that name: reports and
    /// case files find properties by name, so two of one name would be ambiguous.
    pub fn with_property(mut self, property: Box<dyn Property>) -> Catalog {
        let name = property.name();
        assert!(
            self.names().all(|n| n != name),
            "the catalog already holds a property or situation named {name}"
        );
        self.properties.push(property);
        self
    }

    /// The catalog with `situation` added last.
    ///
    /// # Panics
    /// If the name is taken, as for [`Catalog::with_property`].
    pub fn with_sometimes(mut self, situation: Box<dyn Sometimes>) -> Catalog {
        let name = situation.name();
        assert!(
            self.names().all(|n| n != name),
            "the catalog already holds a property or situation named {name}"
        );
        self.situations.push(situation);
        self
    }

    /// The same catalog with only the properties named in `names` (every situation
    /// kept); names it does not hold are ignored.
    pub fn only(mut self, names: &[&str]) -> Catalog {
        self.properties.retain(|p| names.contains(&p.name()));
        self
    }

    /// The properties, in order.
    pub fn properties(&self) -> impl Iterator<Item = &dyn Property> + '_ {
        self.properties.iter().map(|p| p.as_ref())
    }

    /// The sometimes situations, in order.
    pub fn situations(&self) -> impl Iterator<Item = &dyn Sometimes> + '_ {
        self.situations.iter().map(|s| s.as_ref())
    }

    /// The property named `name`; the error lists the valid names.
    pub fn property(&self, name: &str) -> Result<&dyn Property, UnknownName> {
        self.properties()
            .find(|p| p.name() == name)
            .ok_or_else(|| UnknownName {
                kind: "property",
                name: name.to_string(),
                valid: self.properties().map(|p| p.name()).collect(),
            })
    }

    /// The situation named `name`; the error lists the valid names.
    pub fn situation(&self, name: &str) -> Result<&dyn Sometimes, UnknownName> {
        self.situations()
            .find(|s| s.name() == name)
            .ok_or_else(|| UnknownName {
                kind: "situation",
                name: name.to_string(),
                valid: self.situations().map(|s| s.name()).collect(),
            })
    }

    /// Checks every property and situation against `h`.
    pub fn judge(&self, h: &History) -> Judgement {
        let violations = self
            .properties()
            .filter_map(|p| match p.check(h) {
                Verdict::Pass => None,
                Verdict::Violation {
                    explanation,
                    calls,
                    events,
                } => Some(Violation {
                    property: p.name(),
                    contract: p.contract(),
                    explanation,
                    calls,
                    events,
                }),
            })
            .collect();
        let hits = self
            .situations()
            .filter(|s| s.hit(h))
            .map(|s| s.name())
            .collect();
        Judgement { violations, hits }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Op;
    use crate::testing::*;

    /// A property that fails on any call to container `bad`.
    struct NoBad;

    impl Property for NoBad {
        fn name(&self) -> &'static str {
            "no_bad"
        }
        fn contract(&self) -> &'static str {
            "test"
        }
        fn check(&self, h: &History) -> Verdict {
            match h.calls.iter().position(|c| c.container == "bad") {
                Some(i) => Verdict::Violation {
                    explanation: "bad".into(),
                    calls: vec![i],
                    events: vec![0],
                },
                None => Verdict::Pass,
            }
        }
    }

    #[test]
    fn a_user_property_joins_the_builtins_and_keeps_its_evidence() {
        let c = Catalog::builtin().with_property(Box::new(NoBad));
        assert_eq!(c.properties().last().map(|p| p.name()), Some("no_bad"));
        let h = history(vec![call(Op::State, "bad", 0, 1)]).exit("bad", 0, None, 2);
        let j = c.judge(&h);
        let v = j.violation("no_bad").expect("violated");
        assert_eq!((v.calls.clone(), v.events.clone()), (vec![0], vec![0]));
        assert!(c.judge(&history(vec![])).violations.is_empty());
    }

    #[test]
    fn an_unknown_name_lists_the_valid_ones() {
        let c = Catalog::empty().with_property(Box::new(NoBad));
        let e = c.property("nope").err().expect("unknown");
        assert_eq!(e.to_string(), "unknown property 'nope' (valid: no_bad)");
        assert!(c.situation("x").is_err());
        assert_eq!(
            Catalog::builtin()
                .only(&["no_call_hangs"])
                .properties()
                .count(),
            1
        );
    }

    #[test]
    #[should_panic(expected = "already holds a property or situation named no_bad")]
    fn a_duplicate_name_is_refused() {
        let _ = Catalog::empty()
            .with_property(Box::new(NoBad))
            .with_property(Box::new(NoBad));
    }
}
