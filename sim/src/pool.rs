//! Threads for runs: every run gets a fresh OS thread (madsim seeds a thread's std
//! `HashMap` keys only before the thread's first `HashMap`, so a reused thread could
//! iterate maps in another order), and a pool of workers hands out run indices.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};

/// Runs `f` on a fresh OS thread and returns its result (a panic becomes an error).
pub fn on_fresh_thread<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    std::thread::Builder::new()
        .name("kata-dst-run".into())
        .spawn(f)
        .map_err(|e| anyhow!("cannot start a run thread: {e}"))?
        .join()
        .map_err(|p| {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            anyhow!("the simulation panicked: {msg}")
        })?
}

/// Calls `work(i)` for every `i` in `0..count`, on `workers` threads that each take the
/// next index as they finish one (so indices start in increasing order).
pub fn in_parallel(count: u64, workers: usize, work: &(dyn Fn(u64) + Sync)) {
    let next = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..workers.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                work(i);
            });
        }
    });
}

/// [`in_parallel`] that hands out no index once `go_on(i)` says no for the next index
/// `i`: the indices worked on are exactly `0..k` for the returned `k`, however the workers
/// raced (the check and the hand-out happen under one lock, and `go_on` must stay false
/// once it was false, as a deadline does).
pub fn in_parallel_while(
    count: u64,
    workers: usize,
    go_on: &(dyn Fn(u64) -> bool + Sync),
    work: &(dyn Fn(u64) + Sync),
) -> u64 {
    let next = Mutex::new(0u64);
    let take = || {
        let mut next = next.lock().unwrap();
        let i = *next;
        (i < count && go_on(i)).then(|| {
            *next += 1;
            i
        })
    };
    std::thread::scope(|s| {
        for _ in 0..workers.max(1) {
            s.spawn(|| {
                while let Some(i) = take() {
                    work(i);
                }
            });
        }
    });
    next.into_inner().unwrap()
}

/// The number of worker threads: the machine's cores.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Measures how long `f` takes on the wall clock (for reports, never for verdicts).
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}
