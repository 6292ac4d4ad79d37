//! The Go shims' publisher: containerd 1.7's `RemoteEventsPublisher`
//! (`runtime/v2/shim/publisher.go`, vendored by the Go Kata shim at 1.7.29; the reference
//! shim's 1.7.34 has the same file), called by the shim's forwarding goroutine.
//!
//! `Publish` stamps the envelope and makes one inline Forward (5 s); the caller's loop
//! waits for it, so a slow containerd holds back the later events. A failed event is
//! requeued by a goroutine of its own after n s (n = its requeues so far); one goroutine
//! forwards the requeued events in turn and evicts one after its fifth requeue. A Forward
//! that fails with `ttrpc: closed` is retried once on a new connection; the simulated
//! containerd never closes its end, so that retry is not modelled.
//!
//! The requeued Forward runs on the context the caller passed to `Publish`. The Kata
//! shim's forwarder cancels that context as soon as `Publish` returns, so every requeued
//! Forward goes out on a cancelled context: ttrpc 1.2.7 writes the request to the socket
//! before it looks at the context (`client.go:532-545`, `createStream` then `select`), so
//! containerd receives each copy while the publisher sees `context canceled` at once and
//! requeues again. The reference shim passes a background context: each requeued Forward
//! gets a fresh 5 s.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use containerd_shim_protos::api::{Empty, ForwardRequest};
use runtime_model::common::types::TaskEvent;
use tokio::sync::mpsc;
use tracing::error;

use super::{forward_request, EnvelopeClock, GO_FORWARD_TIMEOUT, MAX_REQUEUE};
use crate::net::ttrpc::{TtrpcClient, TtrpcError};

/// `queueSize`, the requeue channel's capacity.
const QUEUE_SIZE: usize = 2048;

/// Who calls `Publish`, and so which context a requeued event keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Caller {
    /// The Go Kata shim's `containerdForwarder.forward` (`event_forwarder.go:56-65`): a
    /// 5 s context, cancelled when `Publish` returns.
    KataForwarder,
    /// containerd-shim-runc-v2's `forward` (`runc/task/service.go:782-792`): a background
    /// context.
    RuncForward,
}

/// A requeued event (`item`): its request, its requeues so far and the deadline of the
/// context it keeps (`None`: a background context).
struct Item {
    req: ForwardRequest,
    count: u32,
    context: Option<Context>,
}

/// The caller's context as the item keeps it: its deadline, and whether it was cancelled.
#[derive(Clone, Copy)]
struct Context {
    deadline: SystemTime,
    cancelled: bool,
}

/// The forwarding goroutine: `Publish` each event in turn.
pub(super) async fn run(
    mut events: mpsc::Receiver<TaskEvent>,
    client: Arc<TtrpcClient>,
    caller: Caller,
) {
    let (requeue, requeued) = mpsc::channel(QUEUE_SIZE);
    tokio::spawn(process_queue(client.clone(), requeue.clone(), requeued));
    let mut clock = EnvelopeClock::default();
    while let Some(event) = events.recv().await {
        let context = match caller {
            Caller::KataForwarder => Some(Context {
                deadline: SystemTime::now() + crate::clock::to_madsim(GO_FORWARD_TIMEOUT),
                cancelled: false,
            }),
            Caller::RuncForward => None,
        };
        let mut item = Item {
            req: forward_request(&event, clock.stamp()),
            count: 0,
            context,
        };
        if let Err(e) = forward(&client, &item).await {
            error!("post event: {}", e.message());
            // The forwarder cancels its context once Publish has returned.
            if let Some(context) = item.context.as_mut() {
                context.cancelled = true;
            }
            queue(&requeue, item);
        }
    }
}

/// `queue`: a goroutine that counts the requeue, sleeps that many seconds and pushes the
/// event back.
fn queue(requeue: &mpsc::Sender<Item>, mut item: Item) {
    let requeue = requeue.clone();
    tokio::spawn(async move {
        item.count += 1;
        crate::clock::sleep(Duration::from_secs(u64::from(item.count))).await;
        let _ = requeue.send(item).await;
    });
}

/// `processQueue`: forward the requeued events in turn.
async fn process_queue(
    client: Arc<TtrpcClient>,
    requeue: mpsc::Sender<Item>,
    mut requeued: mpsc::Receiver<Item>,
) {
    while let Some(item) = requeued.recv().await {
        if item.count > MAX_REQUEUE {
            let topic = &item.req.envelope.topic;
            error!("evicting {topic} from queue because of retry count");
            continue;
        }
        if let Err(e) = forward(&client, &item).await {
            error!("forward event: {}", e.message());
            queue(&requeue, item);
        }
    }
}

/// `forwardRequest` on the item's context: a Forward of at most 5 s, cut short by the
/// context's own deadline; on a cancelled context, the request is written and the call
/// fails at once.
async fn forward(client: &Arc<TtrpcClient>, item: &Item) -> Result<(), TtrpcError> {
    let Some(context) = item.context else {
        return client
            .call::<_, Empty>("Forward", &item.req, Some(GO_FORWARD_TIMEOUT))
            .await
            .map(drop);
    };
    // ttrpc sends `time.Until(deadline)`, which is negative once the deadline has passed.
    let until = context.deadline.duration_since(SystemTime::now());
    if context.cancelled {
        let timeout_nano = match until {
            Ok(left) => left.as_nanos() as i64,
            Err(past) => -(past.duration().as_nanos() as i64),
        };
        let (client, req) = (client.clone(), item.req.clone());
        tokio::spawn(async move {
            let _ = client
                .call_with_wire_timeout::<_, Empty>("Forward", &req, timeout_nano, None)
                .await;
        });
        return Err(TtrpcError::Canceled);
    }
    let left = until.map_or(Duration::ZERO, crate::clock::from_madsim);
    client
        .call::<_, Empty>("Forward", &item.req, Some(left.min(GO_FORWARD_TIMEOUT)))
        .await
        .map(drop)
}
