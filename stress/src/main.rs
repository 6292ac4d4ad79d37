//! `kata-dst-stress`: the real-time baseline of `kata-dst bench`.
//!
//! The method of kata-containers issue #12336, as a runtime-rs developer runs it today:
//! the runtime-rs 3.24 model (built without `--cfg madsim`, on multi-threaded tokio),
//! 3 pods x 2 containers, 150 concurrent `ctr task ls` loops, then SIGKILL every
//! container, `ctr task delete` each a second later, with CRI's exit monitors deleting
//! too, every latency a real sleep. A run ends at the first `get state for` error; an
//! attempt that ends without one is followed by another, and the run's time adds up.
//!
//! `kata-dst-stress [--runs N]` prints one JSON object:
//! `{"runs_ms": [...], "attempts": [...]}`.
#![forbid(unsafe_code)]

#[cfg(not(madsim))]
mod containerd;
#[cfg(not(madsim))]
mod latency;
#[cfg(not(madsim))]
mod node;

#[cfg(madsim)]
fn main() -> std::process::ExitCode {
    eprintln!("error: kata-dst-stress is the real-time baseline: build it without --cfg madsim (kata-dst bench does)");
    std::process::ExitCode::from(2)
}

#[cfg(not(madsim))]
fn main() -> std::process::ExitCode {
    use std::process::ExitCode;
    let runs = match parse_runs(std::env::args().skip(1).collect()) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let mut runs_ms = Vec::new();
    let mut attempts = Vec::new();
    for _ in 0..runs {
        let Some((took, tries)) = rt.block_on(method::until_first_error()) else {
            eprintln!(
                "error: no `get state for` error in {} attempts of the stress method",
                method::MAX_ATTEMPTS
            );
            return ExitCode::FAILURE;
        };
        runs_ms.push(took.as_secs_f64() * 1000.0);
        attempts.push(tries);
    }
    println!(
        "{}",
        serde_json::json!({ "runs_ms": runs_ms, "attempts": attempts })
    );
    ExitCode::SUCCESS
}

/// `--runs N` (default 5).
#[cfg(not(madsim))]
fn parse_runs(args: Vec<String>) -> Result<u32, String> {
    match args.as_slice() {
        [] => Ok(5),
        [flag, n] if flag == "--runs" => {
            n.parse::<u32>().ok().filter(|&n| n >= 1).ok_or_else(|| {
                format!("'{n}' is not a count (valid: a whole number of at least 1)")
            })
        }
        _ => Err(format!("unexpected arguments {args:?} (valid: --runs N)")),
    }
}

#[cfg(not(madsim))]
mod method {
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use runtime_model::Profile;

    use crate::containerd::Containerd;
    use crate::latency::{self, pause};

    const PODS: usize = 3;
    const CONTAINERS_PER_POD: usize = 2;
    const LOOPS: usize = 150;

    /// Attempts before a run gives up (each takes ~13 s without an error).
    pub const MAX_ATTEMPTS: u32 = 20;

    /// Attempts the method until a `get state for` error; the wall time to it (all
    /// attempts included) and the number of attempts. None after [`MAX_ATTEMPTS`].
    pub async fn until_first_error() -> Option<(Duration, u32)> {
        let started = Instant::now();
        for attempt in 1..=MAX_ATTEMPTS {
            let ctrd = Containerd::new();
            let mut seen = std::pin::pin!(ctrd.error_seen.notified());
            seen.as_mut().enable();
            tokio::select! {
                _ = attempt_once(ctrd.clone()) => {}
                _ = seen => {}
            }
            ctrd.stop.store(true, Ordering::Relaxed);
            let first = *ctrd.first_error.lock().unwrap();
            if let Some(at) = first {
                return Some((at - started, attempt));
            }
        }
        None
    }

    async fn attempt_once(ctrd: Arc<Containerd>) {
        let mut containers = Vec::new();
        let mut pods = Vec::new();
        for p in 1..=PODS {
            let sid = format!("race-test-{p}");
            ctrd.add_shim(&sid, crate::node::shim(&sid, Profile::RS_3_24));
            let ids: Vec<String> = (1..=CONTAINERS_PER_POD)
                .map(|c| format!("race-test-{p}-c{c}"))
                .collect();
            containers.extend(ids.iter().cloned());
            pods.push((sid, ids));
        }
        // kubelet runs the pods at once; CRI creates and starts each task and monitors it.
        let setups: Vec<_> = pods
            .into_iter()
            .map(|(sid, ids)| {
                let ctrd = ctrd.clone();
                tokio::spawn(async move {
                    for id in std::iter::once(&sid).chain(&ids) {
                        if ctrd.run_task(&sid, id).await.is_ok() {
                            tokio::spawn(ctrd.clone().monitor_exit(id.clone()));
                        }
                    }
                })
            })
            .collect();
        for s in setups {
            let _ = s.await;
        }
        for _ in 0..LOOPS {
            let ctrd = ctrd.clone();
            tokio::spawn(async move {
                while !ctrd.stop.load(Ordering::Relaxed) {
                    pause(latency::CTR_EXEC).await;
                    pause(latency::GRPC).await;
                    ctrd.list().await;
                    pause(latency::GRPC).await;
                }
            });
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        for id in &containers {
            pause(latency::CTR_EXEC).await;
            ctrd.kill(id, 9, false).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        for id in &containers {
            pause(latency::CTR_EXEC).await;
            ctrd.ctr_task_delete(id).await;
        }
        tokio::time::sleep(Duration::from_secs(6)).await;
    }
}
