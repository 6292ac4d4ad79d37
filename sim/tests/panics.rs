//! A panic anywhere in a run is a finding, not a crash of the campaign: the run ends
//! there, its history up to the panic is judged, and `run_does_not_panic` names the
//! panic's message.

use std::sync::Arc;
use std::time::Duration;

use properties::Catalog;
use runtime_model::Profile;
use sim::containerd::ListOrder;
use sim::cri::PodSpec;
use sim::latency::Latencies;
use sim::log::LogOutput;
use sim::run::run_and_judge;
use sim::scenario::{Scenario, Workload};
use sim::world::World;

/// One pod with one container; once the pod is ready, a client task panics.
struct PanicsAfterSetup;

impl Scenario for PanicsAfterSetup {
    fn pods(&self) -> Vec<PodSpec> {
        vec![PodSpec {
            sid: "pod1".into(),
            containers: vec!["pod1-c1".into()],
        }]
    }
    fn list_order(&self) -> ListOrder {
        ListOrder::ById
    }
    fn latencies(&self) -> Latencies {
        Latencies::default()
    }
    fn drive(self: Arc<Self>, world: Arc<World>) -> Workload {
        Box::pin(async move {
            drop(world.containerd.list().await);
            let client = tokio::spawn(async { panic!("a client bug: index 3 of 2") });
            let _ = client.await;
            Ok(Vec::new())
        })
    }
    fn summary(&self) -> String {
        "a scenario whose client panics".into()
    }
    fn schedule(&self, _: Duration) -> String {
        String::new()
    }
}

#[test]
fn a_panic_is_a_violation_with_its_message_and_the_history_before_it() {
    let catalog = Arc::new(Catalog::builtin());
    let judged = run_and_judge(
        Arc::new(PanicsAfterSetup),
        Profile::RS_3_24,
        1,
        LogOutput::Quiet,
        catalog,
    )
    .expect("a panic is a finding, not an error");
    let violation = judged
        .judgement
        .violation("run_does_not_panic")
        .expect("run_does_not_panic is violated");
    assert!(
        violation.explanation.contains("a client bug: index 3 of 2"),
        "{}",
        violation.explanation
    );
    // The pod's setup and the List happened before the panic and are in the history.
    let history = &judged.run.history;
    assert!(history.calls.iter().any(|c| c.container == "pod1-c1"));
    assert_eq!(history.panic.as_deref(), Some("a client bug: index 3 of 2"));
}
