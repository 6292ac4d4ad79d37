//! `virt_container/src/container_manager/process.rs`: one process of a container, its
//! status, its exit status and its exit watcher.

use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::{Mutex, RwLock};
use tracing::{error, info};

use super::ContainerMap;
use crate::agent::{Agent, ContainerID, ContainerProcessID, WaitProcessRequest};
use crate::common::types::{
    ContainerProcess, Pid, ProcessExitStatus, ProcessStateInfo, ProcessStatus,
};
use crate::sync::watch;

/// A container's init process or one of its exec processes.
///
/// Exit is signalled the way upstream does it: the exit watcher DROPS `exit_watcher_tx`;
/// nothing is ever sent on the channel, so every receiver's `changed()` returns an error.
pub struct Process {
    pub process: ContainerProcess,
    pub pid: Pid,
    pub bundle: String,
    pub terminal: bool,
    pub stdin: Option<String>,
    pub stdout: Option<String>,
    pub stderr: Option<String>,
    pub status: Arc<RwLock<ProcessStatus>>,
    pub exit_status: Arc<RwLock<ProcessExitStatus>>,
    pub exit_watcher_rx: Option<watch::Receiver<bool>>,
    exit_watcher_tx: Option<watch::Sender<bool>>,
}

impl Process {
    pub fn new(process: &ContainerProcess, pid: Pid, bundle: &str) -> Process {
        let (tx, rx) = watch::channel(false);
        Process {
            process: process.clone(),
            pid,
            bundle: bundle.to_string(),
            terminal: false,
            stdin: None,
            stdout: None,
            stderr: None,
            status: Arc::new(RwLock::new(ProcessStatus::Created)),
            exit_status: Arc::new(RwLock::new(ProcessExitStatus::default())),
            exit_watcher_rx: Some(rx),
            exit_watcher_tx: Some(tx),
        }
    }

    pub async fn get_status(&self) -> ProcessStatus {
        *self.status.read().await
    }

    pub async fn set_status(&self, status: ProcessStatus) {
        *self.status.write().await = status;
    }

    /// `Process::state`: exit status and status are read through two separate locks; the
    /// exit-status guard is held while the status is read.
    pub async fn state(&self) -> ProcessStateInfo {
        let exit_status = self.exit_status.read().await;
        ProcessStateInfo {
            container_id: self.process.container_id.clone(),
            exec_id: self.process.exec_id.clone(),
            pid: self.pid,
            bundle: self.bundle.clone(),
            stdin: self.stdin.clone(),
            stdout: self.stdout.clone(),
            stderr: self.stderr.clone(),
            terminal: self.terminal,
            status: self.get_status().await,
            exit_status: exit_status.exit_code,
            exited_at: exit_status.exit_time,
        }
    }

    /// What `wait_process` needs: a clone of the exit-watcher receiver (None once the
    /// process has none) and the exit-status handle.
    pub fn fetch_exit_watcher(
        &self,
    ) -> (
        Option<watch::Receiver<bool>>,
        Arc<RwLock<ProcessExitStatus>>,
    ) {
        (self.exit_watcher_rx.clone(), self.exit_status.clone())
    }

    /// `start_io_and_wait` / `run_io_wait`: spawns the exit watcher. The IO copy tasks are
    /// not modelled; the watcher goes straight to the agent's `wait_process`.
    pub fn start_io_and_wait(&mut self, ctx: ExitWatcherContext) {
        let watcher = ExitWatcher {
            process: self.process.clone(),
            exit_status: self.exit_status.clone(),
            status: self.status.clone(),
            exit_notifier: self.exit_watcher_tx.take(),
            ctx,
        };
        tokio::spawn(watcher.run());
    }
}

/// What an exit watcher shares with the manager.
pub struct ExitWatcherContext {
    pub containers: ContainerMap,
    pub agent: Arc<dyn Agent>,
    /// Go profile: the service mutex the watcher takes to publish the exit.
    pub service_mutex: Option<Arc<Mutex<()>>>,
    /// Go profile: publish exit code, exit time and Stopped together.
    pub exit_state_atomic: bool,
    /// Go profile: stop the container whatever its status (`StopContainer(.., true)`).
    pub stop_any_status: bool,
    /// main: a failed wait records 255 and a missing container is skipped; the exit is
    /// always written.
    pub recovers: bool,
}

/// The exit code main records when agent wait_process fails (`UNKNOWN_EXIT_STATUS`).
pub const UNKNOWN_EXIT_STATUS: i32 = 255;

struct ExitWatcher {
    process: ContainerProcess,
    exit_status: Arc<RwLock<ProcessExitStatus>>,
    status: Arc<RwLock<ProcessStatus>>,
    /// Dropped when the watcher ends, on every path: that is what wakes `wait_process`.
    exit_notifier: Option<watch::Sender<bool>>,
    ctx: ExitWatcherContext,
}

impl ExitWatcher {
    async fn run(self) {
        let container_id = self.process.container_id.clone();
        let req = WaitProcessRequest {
            process_id: ContainerProcessID {
                container_id: ContainerID {
                    container_id: container_id.clone(),
                },
                exec_id: self.process.exec_id.clone(),
            },
        };
        info!(container_id = %container_id, "begin wait process");
        let exit_code = match self.ctx.agent.wait_process(req).await {
            Ok(resp) => resp.status,
            Err(e) if self.ctx.recovers => {
                error!(container_id = %container_id, "failed to wait process {:?}", e);
                UNKNOWN_EXIT_STATUS
            }
            Err(e) => {
                // 3.24.0: log and return; dropping the notifier wakes the waiters with
                // exit code 0 and no exit time, and the status stays Running.
                error!(container_id = %container_id, "failed to wait process {:?}", e);
                return;
            }
        };
        info!(container_id = %container_id, "end wait process exit code {}", exit_code);
        // Go's `wait.go` stamps the exit time as soon as the wait returns, before it takes
        // `s.mu`; runtime-rs stamps it after stop_process.
        let stamped_before_lock = self.ctx.exit_state_atomic.then(SystemTime::now);

        let _service_guard = match &self.ctx.service_mutex {
            Some(m) => Some(m.lock().await),
            None => None,
        };
        let containers = self.ctx.containers.read().await;
        match containers.get(&container_id) {
            Some(c) => {
                if let Err(err) = c
                    .stop_process(&self.process, self.ctx.stop_any_status)
                    .await
                {
                    error!(container_id = %container_id, "failed to stop process {:?}", err);
                }
            }
            None => {
                error!(
                    "Failed to stop process, since container {} not found",
                    container_id
                );
                if !self.ctx.recovers {
                    return;
                }
            }
        }
        let exit_time = Some(stamped_before_lock.unwrap_or_else(SystemTime::now));
        if self.ctx.exit_state_atomic {
            // Same lock order as `Process::state`: exit status, then status.
            let mut exit_status = self.exit_status.write().await;
            let mut status = self.status.write().await;
            exit_status.exit_code = exit_code;
            exit_status.exit_time = exit_time;
            *status = ProcessStatus::Stopped;
        } else {
            // `cleanup_container` already set Stopped; upstream's other worker threads can
            // read (Stopped, exit code 0, no exit time) until the exit code is written.
            tokio::task::yield_now().await;
            let mut exit_status = self.exit_status.write().await;
            exit_status.exit_code = exit_code;
            exit_status.exit_time = exit_time;
            drop(exit_status);
            // Upstream runs on a multi-threaded runtime: between these two writes another
            // worker thread may read the state. Yield so the scheduler can do the same.
            tokio::task::yield_now().await;
            *self.status.write().await = ProcessStatus::Stopped;
        }
        drop(self.exit_notifier);
        drop(containers);
    }
}
