//! Events reach containerd through each profile's publisher (`sim/src/publisher/`): with
//! the containerd <-> shim link held while a container exits, the Go Kata shim's
//! publisher times out its inline Forward and requeues the event on a cancelled context,
//! so containerd receives one event several times, all with its one envelope stamp;
//! runtime-rs's publisher waits (no deadline) and delivers each event once, after the heal.

use std::sync::Arc;

use properties::{Catalog, TaskExit};
use runtime_model::Profile;
use sim::explore::case::Case;
use sim::explore::engine::judge_case;
use sim::log::LogOutput;

/// pod1-c1 is created and started, and a Wait on it is in flight; the containerd <-> shim
/// link is held from 3 s, and the container's process exits with code 3 at 3.5 s. The
/// Wait's answer is held too, so the safety phase (and the hold) lasts until its horizon.
fn exit_while_the_events_link_is_held() -> Case {
    serde_json::from_str(
        r#"{
            "madsim_seed": 7,
            "pods": 1,
            "containers_per_pod": 1,
            "latencies": {
                "ctr_exec": 60000, "grpc": 124, "ttrpc": 77, "vsock": 133,
                "agent_create": 23336, "agent_start": 7828, "agent_remove": 9506,
                "agent_other": 20, "vm_boot": 1411295, "hook": 0
            },
            "list_order": "by_id",
            "lanes": [[
                {"at_us": 0, "op": "create", "target": {"container": {"pod": 1, "index": 1}}, "via": "tasks"},
                {"at_us": 0, "op": "start", "target": {"container": {"pod": 1, "index": 1}}, "via": "tasks"},
                {"at_us": 0, "op": "wait", "target": {"container": {"pod": 1, "index": 1}}, "via": "tasks"}
            ]],
            "faults": [
                {"at_us": 3000000, "fault": "link-hold", "pod": 1, "link": "containerd_shim"},
                {"at_us": 3500000, "fault": "process-exit", "pod": 1, "index": 1, "code": 3}
            ]
        }"#,
    )
    .expect("the case parses")
}

/// The TaskExits containerd received for pod1-c1.
fn exits_of(profile: Profile) -> Vec<TaskExit> {
    let catalog = Arc::new(Catalog::builtin());
    let judged = judge_case(
        &exit_while_the_events_link_is_held(),
        profile,
        LogOutput::Quiet,
        &catalog,
    )
    .expect("the case runs");
    let exits: Vec<TaskExit> = judged
        .run
        .history
        .task_exits()
        .map(|(_, e)| e.clone())
        .filter(|e| e.container == "pod1-c1")
        .collect();
    assert!(
        judged
            .judgement
            .violation("one_exit_event_per_process")
            .is_none()
            || profile == Profile::RS_3_24,
        "{exits:?}"
    );
    exits
}

#[test]
fn the_go_publisher_delivers_one_event_several_times_with_one_stamp() {
    let exits = exits_of(Profile::GO_3_24);
    assert!(exits.len() > 1, "{exits:?}");
    assert!(exits.iter().all(|e| e.exit_status == 3), "{exits:?}");
    let stamp = exits[0].published_ns;
    assert!(stamp.is_some(), "{exits:?}");
    assert!(exits.iter().all(|e| e.published_ns == stamp), "{exits:?}");
}

#[test]
fn the_rust_publisher_waits_and_delivers_each_event_once() {
    // runtime-rs 3.24 publishes two events for one exit (its two waiters), each once.
    let exits = exits_of(Profile::RS_3_24);
    assert_eq!(exits.len(), 2, "{exits:?}");
    assert_ne!(exits[0].published_ns, exits[1].published_ns, "{exits:?}");
    // Both waited for the heal: received long after the exit.
    assert!(
        exits
            .iter()
            .all(|e| e.at_ns > e.exited_at_ns.unwrap() + 1_000_000_000),
        "{exits:?}"
    );
}
