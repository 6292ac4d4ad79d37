//! The properties and sometimes situations a run is judged by: the built-in ones, and
//! any a caller adds.

use std::fmt;

use crate::builtin::{builtin, builtin_sometimes};
use crate::history::History;
use crate::index::ContainerIndex;
use crate::judgement::{Judgement, Violation};
use crate::property::{Property, Sometimes, Verdict};

/// An ordered set of [`Property`]s and [`Sometimes`] situations with unique names
/// (unique across both kinds). Properties are checked, and situations tried, in the
/// order they were added.
///
/// ```
/// use properties::{Catalog, History, Property, Verdict};
///
/// /// Judges nothing: every history passes.
/// struct Lenient;
///
/// impl Property for Lenient {
///     fn name(&self) -> &'static str {
///         "lenient"
///     }
///     fn contract(&self) -> &'static str {
///         "none"
///     }
///     fn check(&self, _: &History) -> Verdict {
///         Verdict::Pass
///     }
/// }
///
/// let catalog = Catalog::builtin().with_property(Box::new(Lenient));
/// assert_eq!(catalog.properties().last().unwrap().name(), "lenient");
/// assert!(catalog.judge(&History::default()).violations.is_empty());
/// let unknown = catalog.property("strict").err().unwrap();
/// assert!(unknown.to_string().starts_with("unknown property 'strict' (valid: state_never_errors_for_known_id, "));
/// ```
pub struct Catalog {
    properties: Vec<Box<dyn Property>>,
    sometimes: Vec<Box<dyn Sometimes>>,
}

impl Catalog {
    /// A catalog with nothing in it.
    pub fn empty() -> Catalog {
        Catalog {
            properties: Vec::new(),
            sometimes: Vec::new(),
        }
    }

    /// Every built-in property ([`builtin()`], mission property first), then every
    /// built-in sometimes situation ([`builtin_sometimes()`]).
    pub fn builtin() -> Catalog {
        let catalog = builtin()
            .into_iter()
            .fold(Catalog::empty(), Catalog::with_property);
        builtin_sometimes()
            .into_iter()
            .fold(catalog, Catalog::with_sometimes)
    }

    /// The built-in catalog and the sometimes situations of the failure paths of the
    /// fault kinds `kinds` (each landing during each lifecycle operation), for campaigns
    /// that inject those kinds: a situation of a kind a campaign never injects could
    /// never be reached.
    pub fn builtin_with_faults(kinds: &[crate::FaultKind]) -> Catalog {
        crate::builtin::fault_sometimes(kinds)
            .into_iter()
            .fold(Catalog::builtin(), Catalog::with_sometimes)
    }

    /// This catalog with `property` added after the others.
    ///
    /// # Panics
    ///
    /// If the catalog already has a property or a sometimes situation of that name: a
    /// name must say which check it is in every report.
    pub fn with_property(mut self, property: Box<dyn Property>) -> Catalog {
        self.assert_new(property.name());
        self.properties.push(property);
        self
    }

    /// This catalog with `situation` added after the others.
    ///
    /// # Panics
    ///
    /// If the catalog already has a property or a sometimes situation of that name.
    pub fn with_sometimes(mut self, situation: Box<dyn Sometimes>) -> Catalog {
        self.assert_new(situation.name());
        self.sometimes.push(situation);
        self
    }

    fn assert_new(&self, name: &str) {
        let taken = self.properties().any(|p| p.name() == name)
            || self.sometimes().any(|s| s.name() == name);
        assert!(
            !taken,
            "the catalog already has a property or sometimes situation named '{name}'"
        );
    }

    /// The same catalog with only the properties named in `names` (every sometimes
    /// situation kept); names it does not hold are ignored.
    pub fn only(mut self, names: &[&str]) -> Catalog {
        self.properties.retain(|p| names.contains(&p.name()));
        self
    }

    /// The properties, in catalog order.
    pub fn properties(&self) -> impl Iterator<Item = &dyn Property> + '_ {
        self.properties.iter().map(|p| p.as_ref())
    }

    /// The sometimes situations, in catalog order.
    pub fn sometimes(&self) -> impl Iterator<Item = &dyn Sometimes> + '_ {
        self.sometimes.iter().map(|s| s.as_ref())
    }

    /// The property named `name`.
    pub fn property(&self, name: &str) -> Result<&dyn Property, UnknownName> {
        self.properties()
            .find(|p| p.name() == name)
            .ok_or_else(|| UnknownName {
                kind: "property",
                name: name.to_string(),
                valid: self.properties().map(|p| p.name()).collect(),
            })
    }

    /// The sometimes situation named `name`.
    pub fn situation(&self, name: &str) -> Result<&dyn Sometimes, UnknownName> {
        self.sometimes()
            .find(|s| s.name() == name)
            .ok_or_else(|| UnknownName {
                kind: "sometimes situation",
                name: name.to_string(),
                valid: self.sometimes().map(|s| s.name()).collect(),
            })
    }

    /// Checks every property and tries every sometimes situation on `h`, in catalog
    /// order, with one [`ContainerIndex`] of `h` for all of them. Pure: the same history
    /// gets the same judgement.
    pub fn judge(&self, h: &History) -> Judgement {
        let index = ContainerIndex::new(h);
        let violations = self
            .properties()
            .filter_map(|p| match p.check_indexed(h, &index) {
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
            .sometimes()
            .filter(|s| s.hit_indexed(h, &index))
            .map(|s| s.name())
            .collect();
        Judgement { violations, hits }
    }
}

/// The names, in catalog order.
impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog")
            .field(
                "properties",
                &self.properties().map(|p| p.name()).collect::<Vec<_>>(),
            )
            .field(
                "sometimes",
                &self.sometimes().map(|s| s.name()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A name the catalog does not have, with the names it has of that kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    /// `"property"` or `"sometimes situation"`.
    pub kind: &'static str,
    /// The name asked for.
    pub name: String,
    /// The catalog's names of that kind, in catalog order.
    pub valid: Vec<&'static str>,
}

/// One line: `unknown property 'x' (valid: a, b, c)`.
impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let valid = if self.valid.is_empty() {
            "none".to_string()
        } else {
            self.valid.join(", ")
        };
        write!(f, "unknown {} '{}' (valid: {valid})", self.kind, self.name)
    }
}

impl std::error::Error for UnknownName {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::{NoCallHangs, StateDuringDelete};
    use crate::history::Op;
    use crate::testing::*;

    /// A property violated by every history with a call, showing call 0 and event 0.
    struct FirstCallIsWrong;

    impl Property for FirstCallIsWrong {
        fn name(&self) -> &'static str {
            "first_call_is_wrong"
        }

        fn contract(&self) -> &'static str {
            "a test's"
        }

        fn check(&self, h: &History) -> Verdict {
            if h.calls.is_empty() {
                return Verdict::Pass;
            }
            Verdict::Violation {
                explanation: "wrong".to_string(),
                calls: vec![0],
                events: vec![0],
            }
        }
    }

    #[test]
    fn builtin_holds_every_builtin_check_in_order() {
        let catalog = Catalog::builtin();
        let names: Vec<&str> = catalog.properties().map(|p| p.name()).collect();
        let expected: Vec<&str> = builtin().iter().map(|p| p.name()).collect();
        assert_eq!(names, expected);
        let names: Vec<&str> = catalog.sometimes().map(|s| s.name()).collect();
        let expected: Vec<&str> = builtin_sometimes().iter().map(|s| s.name()).collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn judge_checks_in_catalog_order_and_keeps_events() {
        let catalog = Catalog::empty()
            .with_property(Box::new(FirstCallIsWrong))
            .with_property(Box::new(NoCallHangs))
            .with_sometimes(Box::new(StateDuringDelete));
        let h = history(vec![
            call(Op::Delete, "c", 0, 20),
            call(Op::State, "c", 10, 30).timed_out(),
        ])
        .exit("c", 0, None, 5);
        let judgement = catalog.judge(&h);
        let violated: Vec<&str> = judgement.violations.iter().map(|v| v.property).collect();
        assert_eq!(violated, ["first_call_is_wrong", "no_call_hangs"]);
        assert_eq!(judgement.hits, ["state_during_delete"]);
        let wrong = judgement.violation("first_call_is_wrong").unwrap();
        assert_eq!(
            (wrong.calls.as_slice(), wrong.events.as_slice()),
            (&[0][..], &[0][..])
        );
        assert_eq!(wrong.contract, "a test's");
        assert_eq!(judgement.violation("no_call_hangs").unwrap().calls, [1]);
        assert!(judgement.violation("exit_status_agrees").is_none());
    }

    #[test]
    fn names_are_looked_up_and_unknown_ones_list_the_valid_ones() {
        let catalog = Catalog::empty()
            .with_property(Box::new(NoCallHangs))
            .with_property(Box::new(FirstCallIsWrong));
        assert_eq!(
            catalog.property("no_call_hangs").unwrap().name(),
            "no_call_hangs"
        );
        let unknown = catalog.property("x").err().unwrap();
        assert_eq!(
            unknown.to_string(),
            "unknown property 'x' (valid: no_call_hangs, first_call_is_wrong)"
        );
        let unknown = catalog.situation("no_call_hangs").err().unwrap();
        assert_eq!(
            unknown.to_string(),
            "unknown sometimes situation 'no_call_hangs' (valid: none)"
        );
        let catalog = catalog.with_sometimes(Box::new(StateDuringDelete));
        assert!(catalog.situation("state_during_delete").is_ok());
    }

    #[test]
    #[should_panic(
        expected = "the catalog already has a property or sometimes situation named 'no_call_hangs'"
    )]
    fn a_duplicate_name_panics() {
        let _ = Catalog::builtin().with_property(Box::new(NoCallHangs));
    }
}
