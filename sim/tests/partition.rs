//! A partitioned link loses its messages: a call whose request or answer is lost sees
//! what the shim's real deadlines give it, and once the world heals the link carries
//! calls again.

use std::sync::Arc;

use properties::{Catalog, Failure, History, Op, Outcome};
use runtime_model::Profile;
use sim::explore::case::Case;
use sim::explore::engine::judge_case;
use sim::log::LogOutput;

/// One pod, one Create 1 ms into the workload, and `link` of the pod partitioned at the
/// start of the workload.
fn case(link: &str) -> Case {
    serde_json::from_str(&format!(
        r#"{{"madsim_seed": 1, "pods": 1, "containers_per_pod": 1,
            "latencies": {{"ctr_exec": 60000, "grpc": 50, "ttrpc": 30, "vsock": 100,
                           "agent_create": 20000, "agent_start": 5000, "agent_remove": 5000,
                           "agent_other": 20, "vm_boot": 1000000, "hook": 0}},
            "list_order": "by_id",
            "lanes": [[{{"at_us": 1000, "op": "create",
                         "target": {{"container": {{"pod": 1, "index": 1}}}}, "via": "tasks"}}]],
            "faults": [{{"at_us": 0, "fault": "link-partition", "pod": 1, "link": "{link}"}}]}}"#
    ))
    .expect("the case parses")
}

fn history(case: &Case, profile: Profile) -> History {
    let catalog = Arc::new(Catalog::builtin());
    judge_case(case, profile, LogOutput::Quiet, &catalog)
        .expect("the case runs")
        .run
        .history
}

/// The message of the status a call failed with.
fn message(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Err(Failure::Status { message, .. }) => message,
        other => panic!("expected an error status, got {other}"),
    }
}

const SECOND_NS: u64 = 1_000_000_000;

#[test]
fn a_create_whose_agent_request_is_lost_fails_at_the_agent_deadline_and_later_calls_succeed() {
    let h = history(&case("shim_agent"), Profile::RS_3_24);
    let create = h
        .calls
        .iter()
        .find(|c| c.op == Op::Create && c.container == "pod1-c1")
        .expect("the lane's Create");
    // Lost, not delayed: the heal (11 s in) does not deliver the request; the agent
    // client's 30 s request deadline ends the call, with ttrpc-rust's words.
    let took_ns = create.returned_ns.expect("the Create returns") - create.invoked_ns;
    assert!(
        (30 * SECOND_NS..31 * SECOND_NS).contains(&took_ns),
        "took {took_ns} ns"
    );
    let text = message(&create.result);
    assert!(
        text.contains("agent create container")
            && text.contains("ttrpc err: Receive packet timeout Elapsed(())"),
        "{text}"
    );
    // Every call sent once the Create failed is answered, and the shim's Shutdown
    // succeeds: the healed link carries messages again.
    let after: Vec<_> = h
        .calls
        .iter()
        .filter(|c| c.invoked_ns >= create.end_ns())
        .collect();
    assert!(after
        .iter()
        .any(|c| c.op == Op::Shutdown && c.reply().is_some()));
    assert!(
        after.iter().all(|c| c.result != Outcome::Pending),
        "{after:?}"
    );
}

#[test]
fn a_call_on_a_partitioned_containerd_link_is_never_answered_and_later_calls_are() {
    let h = history(&case("containerd_shim"), Profile::RUNC_V2);
    let create = h
        .calls
        .iter()
        .find(|c| c.op == Op::Create && c.container == "pod1-c1")
        .expect("the lane's Create");
    // containerd's Create has no deadline and its request was lost: the heal does not
    // answer it; only the shim's exit, after the teardown's Shutdown, ends it.
    let healed_ns = h
        .liveness_from_ns
        .expect("a case with faults has a liveness phase");
    assert_eq!(create.result, Outcome::Err(Failure::Closed));
    assert!(create.end_ns() > healed_ns);
    // After the heal the teardown's calls reach the shim and are answered.
    let after: Vec<_> = h
        .calls
        .iter()
        .filter(|c| c.invoked_ns >= healed_ns)
        .collect();
    assert!(!after.is_empty());
    assert!(
        after.iter().all(|c| c.result != Outcome::Pending),
        "{after:?}"
    );
}
