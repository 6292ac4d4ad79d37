//! runtime-rs's health monitor (3.24.0 `runtimes/virt_container/src/health_check.rs`):
//! started by the sandbox's start, it checks the agent every 30 s and ends the shim
//! process when a check fails, unless it was told to stop first.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{mpsc, Mutex};
use tracing::{error, info, warn};

use crate::agent::{Agent, CheckRequest};
use crate::common::ProcessPort;

/// `HEALTH_CHECK_TIMER_INTERVAL`: the time between two checks.
pub const HEALTH_CHECK_TIMER_INTERVAL: Duration = Duration::from_secs(30);

/// The monitor of one sandbox: `HealthCheck::new(true, keep_abnormal)` with
/// `keep_abnormal` false (the configuration's default); its stop channel holds one
/// message. The version check every 10th successful check is not modelled (it only logs).
pub struct HealthCheck {
    stop_tx: mpsc::Sender<()>,
    stop_rx: Arc<Mutex<mpsc::Receiver<()>>>,
}

impl Default for HealthCheck {
    fn default() -> HealthCheck {
        let (stop_tx, stop_rx) = mpsc::channel(1);
        HealthCheck {
            stop_tx,
            stop_rx: Arc::new(Mutex::new(stop_rx)),
        }
    }
}

impl HealthCheck {
    /// `start`: spawns the loop. Every 30 s: a stop message ends it; otherwise agent
    /// `check`; on an error, with no stop message waiting, the process exits with 1.
    pub fn start(&self, id: &str, agent: Arc<dyn Agent>, process: Arc<dyn ProcessPort>) {
        let id = id.to_string();
        info!("start runtime keep alive");
        let stop_rx = self.stop_rx.clone();
        tokio::spawn(async move {
            loop {
                process.sleep(HEALTH_CHECK_TIMER_INTERVAL).await;
                let mut stop_rx = stop_rx.lock().await;
                match stop_rx.try_recv() {
                    Ok(()) => {
                        info!("revive stop {} monitor signal", id);
                        break;
                    }
                    Err(mpsc::error::TryRecvError::Empty) => {
                        let checked = agent
                            .check(CheckRequest {
                                service: String::new(),
                            })
                            .await
                            .context("check health");
                        let Err(e) = checked else { continue };
                        error!("failed to do {} agent health check: {}", id, e);
                        if let Err(mpsc::error::TryRecvError::Empty) = stop_rx.try_recv() {
                            error!("failed to receive stop monitor signal");
                            process.exit(1);
                        } else {
                            info!("wait to exit {}", id);
                        }
                        break;
                    }
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        warn!("{} monitor channel has broken", id);
                        break;
                    }
                }
            }
        });
    }

    /// `stop`: sends the stop message (a full channel waits).
    pub async fn stop(&self) {
        info!("stop runtime keep alive");
        if let Err(e) = self.stop_tx.send(()).await {
            warn!("failed send monitor channel. {:?}", e);
        }
    }
}
