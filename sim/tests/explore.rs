//! Generated workloads: the profile x property matrix has the pattern the runtime-rs
//! facts predict, every sometimes situation is reached, the #12336 violation shrinks to
//! at most five calls, and a campaign's verdicts do not depend on its workers.
//!
//! The campaign size is PROPTEST_CASES (default 300 cases per profile).

use std::time::Duration;

use runtime_model::Profile;
use sim::explore::engine::{case_at, run_campaign, shrink};
use sim::explore::strategy::Shape;
use sim::matrix::run_matrix;

const MISSION: &str = "state_never_errors_for_known_id";

fn cases() -> u64 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

#[test]
fn the_matrix_has_the_expected_pattern_and_reaches_every_situation() {
    let m = run_matrix(&Profile::ALL, Shape::default(), 0, cases(), 2).expect("the matrix runs");
    let violations = |profile: &str, property: &str| {
        m.cell(profile, property)
            .unwrap_or_else(|| panic!("no cell {profile} {property}"))
            .violations
    };
    assert!(violations("rs-3.24", MISSION) > 0);
    assert_eq!(violations("rs-3.24+pr12337", MISSION), 0);
    assert!(violations("rs-3.24+pr12337", "unknown_id_is_not_found") > 0);
    assert_eq!(violations("go-3.24", MISSION), 0);
    assert_eq!(violations("go-3.24", "unknown_id_is_not_found"), 0);
    let failing = m.cell("rs-3.24", MISSION).unwrap();
    assert!(failing
        .first_failure
        .as_deref()
        .is_some_and(|c| c.contains("replay --profile rs-3.24 --campaign 0 --case ")));
    assert!(m.cell("go-3.24", MISSION).unwrap().first_failure.is_none());
    assert!(m.never_reached().is_empty(), "{:?}", m.never_reached());
}

#[test]
fn the_12336_violation_shrinks_to_at_most_five_calls() {
    let shape = Shape {
        shim_calls: false,
        ..Shape::default()
    };
    let is_mission = |j: &sim::explore::judge::Judgement| j.violation(MISSION).is_some();
    let verdicts =
        run_campaign(Profile::RS_3_24, shape, 0, 2_000, 2, Some(&is_mission)).expect("runs");
    let found = verdicts.last().expect("a violation within 2,000 cases");
    assert!(is_mission(&found.judgement));
    let shrunk = shrink(
        Profile::RS_3_24,
        shape,
        0,
        found.index,
        MISSION,
        5_000,
        Duration::from_secs(10),
    )
    .expect("shrinks");
    assert!(shrunk.judgement.violation(MISSION).is_some());
    assert!(
        shrunk.case.op_count() <= 5,
        "shrunk to {} calls: {:?}",
        shrunk.case.op_count(),
        shrunk.case.lanes
    );
    assert!(shrunk.case.op_count() < case_at(shape, 0, found.index).op_count());
}

#[test]
fn a_campaign_gives_the_same_verdicts_on_one_or_two_workers() {
    let one = run_campaign(Profile::RS_3_24, Shape::default(), 7, 60, 1, None).expect("runs");
    let two = run_campaign(Profile::RS_3_24, Shape::default(), 7, 60, 2, None).expect("runs");
    let key = |v: &sim::explore::engine::CaseVerdict| (v.index, v.trace_hash, v.judgement.clone());
    assert_eq!(
        one.iter().map(key).collect::<Vec<_>>(),
        two.iter().map(key).collect::<Vec<_>>()
    );
    let distinct: std::collections::BTreeSet<u64> = one.iter().map(|v| v.trace_hash).collect();
    assert!(distinct.len() > 50, "cases should differ");
}
