//! Generated workloads: the profile x property matrix has the pattern the runtime-rs
//! facts predict and the committed expectation records, every sometimes situation is
//! reached, the #12336 violation shrinks to at most five calls, a fault case shrinks to
//! the fault and the call that matter, and a campaign's verdicts do not depend on its
//! workers.
//!
//! The campaign size is PROPTEST_CASES (default 300 cases per profile); the committed
//! verdict pattern is checked at its own size.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use properties::{Catalog, FaultKind, Judgement};
use runtime_model::Profile;
use serde::{Deserialize, Serialize};
use sim::explore::engine::{Campaign, CaseVerdict};
use sim::explore::generation::Generation;
use sim::explore::plan::{Plan, Shard};
use sim::explore::strategy::Shape;
use sim::fault::Swarm;
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
    let catalog = Arc::new(Catalog::builtin());
    let m = run_matrix(
        &Profile::EVERY,
        &Generation::default(),
        0,
        &Plan::first(cases()),
        2,
        &catalog,
        &|_| {},
    )
    .expect("the matrix runs");
    let violations = |profile: Profile, property: &str| {
        m.cell(profile, property)
            .unwrap_or_else(|| panic!("no cell {profile} {property}"))
            .violations
    };
    assert!(violations(Profile::RS_3_24, MISSION) > 0);
    assert_eq!(violations(Profile::RS_3_24_PR12337, MISSION), 0);
    assert!(violations(Profile::RS_3_24_PR12337, "unknown_id_is_not_found") > 0);
    assert_eq!(violations(Profile::GO_3_24, MISSION), 0);
    assert_eq!(violations(Profile::GO_3_24, "unknown_id_is_not_found"), 0);
    // runtime-rs main still fails the mission property (Delete is still remove-first).
    assert!(violations(Profile::RS_MAIN, MISSION) > 0);
    // The reference shim is the judge of the properties: it violates none.
    for property in catalog.properties() {
        assert_eq!(
            violations(Profile::RUNC_V2, property.name()),
            0,
            "{}",
            property.name()
        );
    }
    let failing = m.cell(Profile::RS_3_24, MISSION).unwrap();
    assert!(failing
        .first_failure
        .as_deref()
        .is_some_and(|c| c.contains("replay --profile rs-3.24 --campaign 0 --case ")));
    assert!(m
        .cell(Profile::GO_3_24, MISSION)
        .unwrap()
        .first_failure
        .is_none());
    assert!(m.never_reached().is_empty(), "{:?}", m.never_reached());
}

/// What a campaign shows on one profile: the properties it violates and the situations
/// it reaches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Pattern {
    violates: BTreeSet<String>,
    reaches: BTreeSet<String>,
}

/// The committed expectation: campaign, size, and each profile's pattern.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Expected {
    campaign: u64,
    cases: u64,
    profiles: BTreeMap<Profile, Pattern>,
}

fn pattern_of(verdicts: &[CaseVerdict]) -> Pattern {
    Pattern {
        violates: verdicts
            .iter()
            .flat_map(|v| {
                v.judgement
                    .violations
                    .iter()
                    .map(|x| x.property.to_string())
            })
            .collect(),
        reaches: verdicts
            .iter()
            .flat_map(|v| v.judgement.hits.iter().map(|h| h.to_string()))
            .collect(),
    }
}

/// A model change that makes any property newly fail or newly pass on any profile, or a
/// situation newly reached or lost, fails here, not only a change to a committed case.
/// After an intended change: `KATA_DST_BLESS=1 cargo test --release --test explore`
/// rewrites `tests/expected/verdict-pattern.json`; review and commit the diff.
#[test]
fn a_fixed_campaign_keeps_its_committed_verdict_pattern_on_every_profile() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expected/verdict-pattern.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let expected: Expected = serde_json::from_str(&text).expect("the expectation parses");
    let got = Expected {
        campaign: expected.campaign,
        cases: expected.cases,
        profiles: Profile::EVERY
            .into_iter()
            .map(|p| {
                let verdicts = Campaign::new(p, Shape::default(), expected.campaign, 2)
                    .run(expected.cases, None)
                    .expect("the campaign runs");
                (p, pattern_of(&verdicts))
            })
            .collect(),
    };
    if std::env::var_os("KATA_DST_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n").expect("written");
        return;
    }
    assert_eq!(
        got,
        expected,
        "the verdict pattern changed; if intended, rerun with KATA_DST_BLESS=1 and commit {}",
        path.display()
    );
}

#[test]
fn the_12336_violation_shrinks_to_at_most_five_calls() {
    let shape = Shape {
        shim_calls: false,
        ..Shape::default()
    };
    let campaign = Campaign::new(Profile::RS_3_24, shape, 0, 2);
    let is_mission = |j: &Judgement| j.violation(MISSION).is_some();
    let verdicts = campaign.run(2_000, Some(&is_mission)).expect("runs");
    let found = verdicts.last().expect("a violation within 2,000 cases");
    assert!(is_mission(&found.judgement));
    let shrunk = campaign
        .shrink(found.index, MISSION, 5_000, Duration::from_secs(10))
        .expect("shrinks");
    assert!(shrunk.judgement.violation(MISSION).is_some());
    assert!(
        shrunk.case.op_count() <= 5,
        "shrunk to {} calls: {:?}",
        shrunk.case.op_count(),
        shrunk.case.lanes
    );
    assert!(shrunk.case.op_count() < campaign.case(found.index).op_count());
}

#[test]
fn a_campaign_gives_the_same_verdicts_on_one_or_two_workers() {
    let run = |workers| {
        Campaign::new(Profile::RS_3_24, Shape::default(), 7, workers)
            .run(60, None)
            .expect("runs")
    };
    let (one, two) = (run(1), run(2));
    let key = |v: &CaseVerdict| (v.index, v.trace_hash, v.judgement.clone());
    assert_eq!(
        one.iter().map(key).collect::<Vec<_>>(),
        two.iter().map(key).collect::<Vec<_>>()
    );
    let distinct: BTreeSet<u64> = one.iter().map(|v| v.trace_hash).collect();
    assert!(distinct.len() > 50, "cases should differ");
}

#[test]
fn the_shards_of_a_campaign_are_the_campaign_case_for_case() {
    let campaign = Campaign::new(Profile::RS_3_24, Shape::default(), 7, 2);
    let key = |v: &CaseVerdict| (v.index, v.trace_hash, v.judgement.clone());
    let whole: Vec<_> = campaign
        .run(40, None)
        .expect("runs")
        .iter()
        .map(key)
        .collect();
    let mut union = Vec::new();
    for i in 1..=3 {
        let plan = Plan {
            shard: Shard::new(i, 3).unwrap(),
            ..Plan::first(40)
        };
        let planned = campaign.run_plan(&plan, None, &|_| {}).expect("runs");
        assert_eq!(planned.ran.count, planned.verdicts.len() as u64);
        assert!(planned.ran.bound() <= 40);
        union.extend(planned.verdicts.iter().map(key));
    }
    union.sort_by_key(|k| k.0);
    assert_eq!(union, whole);
}

#[test]
fn a_budget_runs_the_first_cases_of_its_shard_and_names_them() {
    let campaign = Campaign::new(Profile::GO_3_24, Shape::default(), 3, 2);
    let plan = Plan {
        shard: Shard::new(2, 2).unwrap(),
        cases: None,
        budget: Some(Duration::from_millis(150)),
    };
    let seen = std::sync::atomic::AtomicU64::new(0);
    let planned = campaign
        .run_plan(&plan, None, &|_| {
            seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .expect("runs");
    let ran = planned.ran;
    assert!(ran.count >= 1, "the first case always runs");
    assert_eq!(seen.into_inner(), ran.count, "every verdict was observed");
    let indices: Vec<u64> = planned.verdicts.iter().map(|v| v.index).collect();
    assert_eq!(
        indices,
        (0..ran.count).map(|k| 2 * k + 1).collect::<Vec<_>>()
    );
    // The named cases, run again without a budget, give the same verdicts.
    let again = campaign
        .run_plan(
            &Plan {
                cases: Some(ran.bound()),
                budget: None,
                ..plan
            },
            None,
            &|_| {},
        )
        .expect("runs");
    let key = |v: &CaseVerdict| (v.index, v.trace_hash);
    assert_eq!(
        again.verdicts.iter().map(key).collect::<Vec<_>>(),
        planned.verdicts.iter().map(key).collect::<Vec<_>>()
    );
}

/// Shrinking deletes what a failure does not need, faults included: the case and its
/// faults shrink as two independent parts, and the last pass tries each fault's removal.
#[test]
fn a_fault_case_shrinks_to_the_fault_and_the_call_that_matter() {
    let property = "exit_status_matches_the_guest";
    let swarm = Swarm::draw(0, &[FaultKind::VmCrash]);
    let campaign = Campaign::new(Profile::RS_3_24, Shape::default(), 0, 2).with_faults(swarm);
    let violates = |j: &Judgement| j.violation(property).is_some();
    let verdicts = campaign.run(2_000, Some(&violates)).expect("runs");
    let found = verdicts.last().expect("a violation within 2,000 cases");
    assert!(violates(&found.judgement));
    let shrunk = campaign
        .shrink(found.index, property, 5_000, Duration::from_secs(20))
        .expect("shrinks");
    assert!(shrunk.judgement.violation(property).is_some());
    let kinds: Vec<FaultKind> = shrunk.case.faults.iter().map(|f| f.fault.kind()).collect();
    assert_eq!(kinds, [FaultKind::VmCrash], "{:?}", shrunk.case.faults);
    assert_eq!(shrunk.case.op_count(), 1, "{:?}", shrunk.case.lanes);
}
