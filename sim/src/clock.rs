//! The world's clock: madsim's clock, dilated.
//!
//! madsim rounds every sleep up to at least 1 ms (as tokio does), and its `Endpoint` sleeps
//! at least once on every send and every receive. A unix-socket ttrpc hop takes tens of
//! microseconds, so on madsim's clock as is, every RPC would last milliseconds and the
//! race windows of the node would be widened twenty-fold. The world therefore runs
//! dilated: one microsecond of the modelled node lasts [`TIME_DILATION`] microseconds of
//! madsim time. madsim's own floors then amount to nanoseconds of node time. Every delay
//! and deadline the world sets goes through this module; every time it reports is
//! converted back, so logs, traces and reports are in node time.

use std::future::Future;
use std::time::Duration;

/// How many madsim microseconds one microsecond of the modelled node lasts.
pub const TIME_DILATION: u32 = 1000;

/// A node duration on madsim's clock.
pub fn to_madsim(d: Duration) -> Duration {
    d * TIME_DILATION
}

/// A madsim duration in node time.
pub fn from_madsim(d: Duration) -> Duration {
    d / TIME_DILATION
}

/// Node time since the run started.
pub fn now() -> Duration {
    from_madsim(madsim::time::TimeHandle::current().elapsed())
}

/// Node time since the run started, outside a run: None.
pub fn try_now() -> Option<Duration> {
    madsim::time::TimeHandle::try_current().map(|t| from_madsim(t.elapsed()))
}

/// Sleeps for `d` of node time (not at all for zero).
pub async fn sleep(d: Duration) {
    if !d.is_zero() {
        madsim::time::sleep(to_madsim(d)).await;
    }
}

/// Runs `f` for at most `d` of node time (one timer registration per deadline; see
/// [`runtime_model::sync::timeout`]).
pub async fn timeout<F: Future>(d: Duration, f: F) -> Option<F::Output> {
    runtime_model::sync::timeout(to_madsim(d), f).await
}

/// The node time (ns since the run started) of a wall-clock instant of the run (an
/// `exited_at` from the model). None outside a run or before it started.
pub fn node_ns_of(t: std::time::SystemTime) -> Option<u64> {
    let handle = madsim::time::TimeHandle::try_current()?;
    let start = handle.now_time() - handle.elapsed();
    let since = t.duration_since(start).ok()?;
    Some((from_madsim(since).as_nanos()) as u64)
}
