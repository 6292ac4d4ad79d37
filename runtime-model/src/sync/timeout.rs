//! `tokio::time::timeout`, with one timer registration per deadline on madsim.
//!
//! madsim's `Sleep` adds a fresh entry to the simulated timer each time it is polled while
//! pending, and never removes one: a timeout around a future that is woken a hundred
//! times leaves a hundred entries, each of which later wakes its task for nothing and
//! costs a heap operation. tokio keeps one registration per `Sleep`. Under `--cfg madsim`
//! this timeout polls its deadline once (registering the task's waker) and afterwards only
//! reads whether it has passed, which is exact as long as the timeout is awaited by one
//! task, as every caller here does. On real tokio it is tokio's own.

use std::future::Future;
use std::time::Duration;

/// Runs `f` for at most `d`: `Some` of its output, or `None` once `d` has passed first
/// (and `f` is dropped). `f` is polled before the deadline is looked at, as tokio does.
#[cfg(madsim)]
pub async fn timeout<F: Future>(d: Duration, f: F) -> Option<F::Output> {
    use std::future::poll_fn;
    use std::pin::pin;
    use std::task::Poll;

    let mut deadline = pin!(tokio::time::sleep(d));
    let mut f = pin!(f);
    let mut registered = false;
    poll_fn(|cx| {
        if let Poll::Ready(out) = f.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        let passed = if registered {
            deadline.is_elapsed()
        } else {
            registered = true;
            deadline.as_mut().poll(cx).is_ready()
        };
        if passed {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    })
    .await
}

/// Runs `f` for at most `d`: `Some` of its output, or `None` once `d` has passed first.
#[cfg(not(madsim))]
pub async fn timeout<F: Future>(d: Duration, f: F) -> Option<F::Output> {
    tokio::time::timeout(d, f).await.ok()
}
