//! proptest over generated workloads: the properties that must hold on a profile do
//! hold on every case proptest generates for it. PROPTEST_CASES scales the number of
//! cases (default 256) and PROPTEST_RNG_SEED picks other cases (default: a fixed seed,
//! so CI is deterministic). A failure is shrunk by proptest and its seed persisted in
//! `sim/tests/properties.proptest-regressions`, which is kept under version control so
//! that every later run tries it first.

use std::sync::Arc;

use properties::Catalog;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use runtime_model::Profile;
use sim::explore::engine::judge_case;
use sim::explore::strategy::{case, Shape};
use sim::log::LogOutput;

fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(12336);
    }
    config
}

fn violations(c: &sim::explore::case::Case, profile: Profile) -> Vec<String> {
    let catalog = Arc::new(Catalog::builtin());
    let judged = judge_case(c, profile, LogOutput::Quiet, &catalog).expect("the case runs");
    judged
        .judgement
        .violations
        .into_iter()
        .map(|v| format!("{}: {}", v.property, v.explanation))
        .collect()
}

proptest! {
    #![proptest_config(config())]

    /// The reference shim is the judge of the properties: it keeps every one.
    #[test]
    fn runc_v2_keeps_every_property(c in case(Shape::default())) {
        let found = violations(&c, Profile::RUNC_V2);
        prop_assert!(found.is_empty(), "{found:#?}");
    }

    /// The Go shim keeps every lifecycle property but the two its one-slot exit channel
    /// breaks: a refused Start puts 255 there, so a Wait answers 255 for a process that
    /// exits with another code (`exit_status_matches_the_guest`), and when the container
    /// exits the exit watcher waits forever to put the code there, holding `s.mu`, so
    /// later calls hang (`no_call_hangs`;
    /// seeds/go-failed-start-fills-the-exit-slot-and-the-shim-hangs.json).
    #[test]
    fn go_3_24_keeps_every_property_but_the_exit_channel_ones(c in case(Shape::default())) {
        let found: Vec<String> = violations(&c, Profile::GO_3_24)
            .into_iter()
            .filter(|v| {
                !v.starts_with("no_call_hangs") && !v.starts_with("exit_status_matches_the_guest")
            })
            .collect();
        prop_assert!(found.is_empty(), "{found:#?}");
    }

    /// PR #12337 answers a state for every id, so a listed id never gets an error.
    #[test]
    fn pr12337_never_errors_on_a_listed_state(c in case(Shape::default())) {
        let found: Vec<String> = violations(&c, Profile::RS_3_24_PR12337)
            .into_iter()
            .filter(|v| v.starts_with("state_never_errors_for_known_id"))
            .collect();
        prop_assert!(found.is_empty(), "{found:#?}");
    }
}
