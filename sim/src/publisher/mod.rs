//! The shim's event publisher: drains the program's event channel into containerd's
//! Events.Forward the way the profile's upstream publisher does (profile switch
//! `event_publisher`), retries, reordering and repeated deliveries included.
//!
//! Every delivery carries its envelope's timestamp, stamped once per event by the
//! publisher: a retry repeats the event's stamp, a second event gets a new one. containerd
//! (and so the history) can tell a retransmitted event from a second event by it.

mod go;
mod shim_crate;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use containerd_shim_protos::api::ForwardRequest;
use containerd_shim_protos::events::task::{
    TaskCreate, TaskDelete, TaskExit as TaskExitEvent, TaskStart,
};
use containerd_shim_protos::protobuf::well_known_types::any::Any;
use containerd_shim_protos::protobuf::MessageFull;
use containerd_shim_protos::shim::event::Envelope;
use containerd_shim_protos::topics::{
    TASK_CREATE_EVENT_TOPIC, TASK_DELETE_EVENT_TOPIC, TASK_EXIT_EVENT_TOPIC, TASK_START_EVENT_TOPIC,
};
use runtime_model::common::types::{TaskEvent, TaskExit};
use runtime_model::profile::EventPublisher;
use tokio::sync::mpsc;

use crate::net::ttrpc::TtrpcClient;

/// The ttrpc service name of containerd's event service.
pub const EVENTS_SERVICE: &str = "containerd.services.events.ttrpc.v1.Events";

/// A Forward's deadline in the Go publisher (`publisher.go:139,155`) and the Go shims'
/// per-event context (`event_forwarder.go`, `timeOut`).
const GO_FORWARD_TIMEOUT: Duration = Duration::from_secs(5);

/// Requeues before an event is dropped: `maxRequeue` (Go) and `MAX_REQUEUE` (Rust crate).
const MAX_REQUEUE: u32 = 5;

/// Drains `events` into Events.Forward on `client` as `publisher` does, until the program
/// drops its sender.
pub async fn publish(
    publisher: EventPublisher,
    events: mpsc::Receiver<TaskEvent>,
    client: TtrpcClient,
) {
    let client = Arc::new(client);
    match publisher {
        EventPublisher::ShimCrate => shim_crate::run(events, client).await,
        EventPublisher::GoKata => go::run(events, client, go::Caller::KataForwarder).await,
        EventPublisher::GoRunc => go::run(events, client, go::Caller::RuncForward).await,
    }
}

/// The publisher's envelope stamps: the node's wall clock, strictly increasing. A real
/// clock's nanoseconds never repeat between two stamps; the simulated clock can stand
/// still between two events, so a repeat moves on by one nanosecond of node time.
#[derive(Default)]
struct EnvelopeClock {
    last: Option<SystemTime>,
}

impl EnvelopeClock {
    fn stamp(&mut self) -> SystemTime {
        self.stamp_at(SystemTime::now())
    }

    fn stamp_at(&mut self, now: SystemTime) -> SystemTime {
        let stamp = match self.last {
            Some(last) => now.max(last + crate::clock::to_madsim(Duration::from_nanos(1))),
            None => now,
        };
        self.last = Some(stamp);
        stamp
    }
}

/// An event's topic and its message packed as containerd's `events/task.proto` has it.
fn packed(event: &TaskEvent) -> (&'static str, Option<Any>) {
    fn pack<M: MessageFull>(topic: &'static str, m: &M) -> (&'static str, Option<Any>) {
        (topic, Any::pack(m).ok())
    }
    match event {
        TaskEvent::Create {
            container_id,
            bundle,
            pid,
        } => {
            let mut e = TaskCreate::new();
            e.container_id = container_id.clone();
            e.bundle = bundle.clone();
            e.pid = *pid;
            pack(TASK_CREATE_EVENT_TOPIC, &e)
        }
        TaskEvent::Start { container_id, pid } => {
            let mut e = TaskStart::new();
            e.container_id = container_id.clone();
            e.pid = *pid;
            pack(TASK_START_EVENT_TOPIC, &e)
        }
        TaskEvent::Delete {
            container_id,
            pid,
            exit_status,
            exited_at,
        } => {
            let mut e = TaskDelete::new();
            e.container_id = container_id.clone();
            e.pid = *pid;
            e.exit_status = *exit_status as u32;
            e.exited_at = exited_at.map(Into::into).into();
            pack(TASK_DELETE_EVENT_TOPIC, &e)
        }
        TaskEvent::Exit(exit) => pack(TASK_EXIT_EVENT_TOPIC, &exit_message(exit)),
    }
}

fn exit_message(exit: &TaskExit) -> TaskExitEvent {
    let mut event = TaskExitEvent::new();
    event.container_id = exit.container_id.clone();
    event.id = exit.id.clone();
    event.pid = exit.pid;
    event.exit_status = exit.exit_status as u32;
    event.exited_at = exit.exited_at.map(Into::into).into();
    event
}

/// The Forward request of `event`, its envelope stamped `at` (namespace `k8s.io`).
fn forward_request(event: &TaskEvent, at: SystemTime) -> ForwardRequest {
    let (topic, any) = packed(event);
    let mut envelope = Envelope::new();
    envelope.timestamp = Some(at.into()).into();
    envelope.namespace = "k8s.io".into();
    envelope.topic = topic.into();
    envelope.event = any.into();
    let mut req = ForwardRequest::new();
    req.envelope = Some(envelope).into();
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_is_kept_by_the_request_and_never_repeats() {
        let exit = TaskEvent::Exit(TaskExit {
            container_id: "c".into(),
            id: "c".into(),
            pid: 7,
            exit_status: 137,
            exited_at: None,
        });
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(3);
        let req = forward_request(&exit, at);
        assert_eq!(req.envelope.topic, "/tasks/exit");
        let stamp = req.envelope.timestamp.as_ref().unwrap();
        assert_eq!((stamp.seconds, stamp.nanos), (3, 0));
        let mut clock = EnvelopeClock::default();
        let first = clock.stamp_at(at);
        let (second, later) = (
            clock.stamp_at(at),
            clock.stamp_at(at + Duration::from_secs(1)),
        );
        assert_eq!(first, at);
        assert_eq!(
            second,
            at + crate::clock::to_madsim(Duration::from_nanos(1))
        );
        assert_eq!(later, at + Duration::from_secs(1));
    }
}
