//! runtime-rs's health monitor: once the VM is gone, its next check of the agent fails
//! and the shim process exits, which containerd sees as the connection closing; the Go
//! shim, whose own monitor is not modelled, lives on.

use std::sync::Arc;

use properties::{Call, Catalog, Failure, History, Op, Outcome};
use runtime_model::Profile;
use sim::explore::case::Case;
use sim::explore::engine::judge_case;
use sim::log::LogOutput;

/// One pod whose containerd link is held from 0.5 ms until the heal and whose VM
/// crashes at 1 ms; one State straight to the shim at 35 s keeps the world from healing
/// before about 37 s. The sandbox started about 1 s into the run, so its monitor's
/// first check, at about 31 s, finds the VM gone.
fn case() -> Case {
    serde_json::from_str(
        r#"{"madsim_seed": 1, "pods": 1, "containers_per_pod": 1,
            "latencies": {"ctr_exec": 60000, "grpc": 50, "ttrpc": 30, "vsock": 100,
                          "agent_create": 20000, "agent_start": 5000, "agent_remove": 5000,
                          "agent_other": 20, "vm_boot": 1000000, "hook": 0},
            "list_order": "by_id",
            "lanes": [[{"at_us": 35000000, "op": "state",
                        "target": {"container": {"pod": 1, "index": 1}}, "via": "shim"}]],
            "faults": [{"at_us": 500, "fault": "link-hold", "pod": 1, "link": "containerd_shim"},
                       {"at_us": 1000, "fault": "vm-crash", "pod": 1}]}"#,
    )
    .expect("the case parses")
}

const SECOND_NS: u64 = 1_000_000_000;

fn history(profile: Profile) -> History {
    let catalog = Arc::new(Catalog::builtin());
    judge_case(&case(), profile, LogOutput::Quiet, &catalog)
        .expect("the case runs")
        .run
        .history
}

/// CRI's Wait for the sandbox container, sent before the link was held.
fn sandbox_wait(h: &History) -> &Call {
    h.calls
        .iter()
        .find(|c| c.op == Op::Wait && c.container == "pod1")
        .expect("CRI waits for the sandbox")
}

#[test]
fn runtime_rs_ends_its_shim_at_the_first_failed_check_after_the_vm_died() {
    let h = history(Profile::RS_3_24);
    let wait = sandbox_wait(&h);
    // The monitor's first check, 30 s after the sandbox started (before the Wait was
    // sent), fails: the shim exits and containerd sees its connection close, though the
    // link still holds every message.
    assert_eq!(wait.result, Outcome::Err(Failure::Closed));
    let closed_ns = wait.returned_ns.expect("the Wait returned");
    assert!(
        (29 * SECOND_NS..=30 * SECOND_NS).contains(&(closed_ns - wait.invoked_ns)),
        "closed at {closed_ns} ns"
    );
    assert!(closed_ns < h.liveness_from_ns.expect("a liveness phase"));
    assert!(h.final_state.shims.is_empty());
}

#[test]
fn the_go_shim_lives_on_and_answers_after_the_heal() {
    let h = history(Profile::GO_3_24);
    let wait = sandbox_wait(&h);
    assert!(wait.reply().is_some(), "{wait}");
    assert!(wait.end_ns() > h.liveness_from_ns.expect("a liveness phase"));
}
