//! runtime-rs's publisher: the service manager's loop (runtime-rs 3.24.0
//! `service/src/manager.rs:96-104`, `event.rs:95-105`) hands each event to
//! containerd-shim 0.10's `RemotePublisher` (`src/asynchronous/publisher.rs`), whose one
//! task works a queue of 1024 in order.
//!
//! A Forward has no deadline (`Context::default()`): a held link holds the whole queue
//! until it heals. A failed Forward is requeued by a task of its own after n s (n = the
//! attempts so far), behind whatever was queued meanwhile, and dropped when it comes
//! round after its sixth attempt. The crate reconnects after a closed connection; the
//! simulated containerd never closes its end, so the reconnect is not modelled.

use std::sync::Arc;
use std::time::Duration;

use containerd_shim_protos::api::{Empty, ForwardRequest};
use runtime_model::common::types::TaskExit;
use tokio::sync::mpsc;
use tracing::{debug, error};

use super::{forward_request, EnvelopeClock, MAX_REQUEUE};
use crate::net::ttrpc::TtrpcClient;

/// `QUEUE_SIZE`.
const QUEUE_SIZE: usize = 1024;
/// How long a push into a full queue waits before the event is dropped (`send_timeout`).
const PUSH_TIMEOUT: Duration = Duration::from_secs(3);

/// An event in the queue: its request and the attempts made (`Item.count`).
struct Item {
    req: ForwardRequest,
    count: u32,
}

/// The manager's loop: stamp each event and push it into the publisher's queue.
pub(super) async fn run(mut events: mpsc::Receiver<TaskExit>, client: Arc<TtrpcClient>) {
    let (queue, items) = mpsc::channel(QUEUE_SIZE);
    tokio::spawn(process_queue(client, queue.clone(), items));
    let mut clock = EnvelopeClock::default();
    while let Some(exit) = events.recv().await {
        let item = Item {
            req: forward_request(&exit, clock.stamp()),
            count: 0,
        };
        push(&queue, item).await;
    }
}

/// `sender.send_timeout(item, 3 s)`: a full queue drops the event after 3 s.
async fn push(queue: &mpsc::Sender<Item>, item: Item) {
    if crate::clock::timeout(PUSH_TIMEOUT, queue.send(item))
        .await
        .is_none()
    {
        error!("publish queue full: event dropped");
    }
}

/// `process_queue`: one Forward at a time, in queue order.
async fn process_queue(
    client: Arc<TtrpcClient>,
    queue: mpsc::Sender<Item>,
    mut items: mpsc::Receiver<Item>,
) {
    while let Some(item) = items.recv().await {
        if item.count > MAX_REQUEUE {
            debug!("drop event after {} attempts", item.count);
            continue;
        }
        if let Err(e) = client.call::<_, Empty>("Forward", &item.req, None).await {
            error!("the client forward err is {}", e.message());
            let retry = Item {
                req: item.req,
                count: item.count + 1,
            };
            let queue = queue.clone();
            tokio::spawn(async move {
                crate::clock::sleep(Duration::from_secs(u64::from(retry.count))).await;
                push(&queue, retry).await;
            });
        }
    }
}
