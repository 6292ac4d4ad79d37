//! `virt_container/src/container_manager/process.rs`: one process of a container, its
//! status, its exit status and its exit watcher.

use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::{mpsc, Mutex, RwLock};
use tracing::{error, info};

use super::ContainerMap;
use crate::agent::{Agent, ContainerID, ContainerProcessID, WaitProcessRequest};
use crate::common::types::{
    ContainerProcess, Pid, ProcessExitStatus, ProcessStateInfo, ProcessStatus, TaskEvent, TaskExit,
};
use crate::hypervisor::Hypervisor;
use crate::sync::held::{acquire, task_span, waiting};
use crate::sync::watch;
use tracing::Instrument;

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
    /// The Go shim's `c.exitCh` (used with `Waiters::WatcherReaps` only).
    pub exit_ch: ExitChannel,
}

/// The Go shim's per-container exit channel, `make(chan uint32, 1)` (`container.go:65`):
/// one slot; a put waits while it is full.
#[derive(Clone)]
pub struct ExitChannel {
    tx: mpsc::Sender<i32>,
    rx: Arc<Mutex<mpsc::Receiver<i32>>>,
}

impl ExitChannel {
    fn new() -> ExitChannel {
        let (tx, rx) = mpsc::channel(1);
        ExitChannel {
            tx,
            rx: Arc::new(Mutex::new(rx)),
        }
    }

    /// `c.exitCh <- code`: waits while the slot is full.
    pub async fn put(&self, code: i32) {
        // The receiver lives as long as this handle: the send cannot fail.
        let _ = self.tx.send(code).await;
    }

    /// Wait's `ret := <-c.exitCh; c.exitCh <- ret`: waits for a code, then puts it back
    /// for the next waiter.
    pub async fn take_and_put_back(&self) -> i32 {
        let ret = self.rx.lock().await.recv().await.unwrap_or_default();
        self.put(ret).await;
        ret
    }
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
            exit_ch: ExitChannel::new(),
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
            pid: self.pid,
            exit_ch: self.exit_ch.clone(),
            exit_status: self.exit_status.clone(),
            status: self.status.clone(),
            exit_notifier: self.exit_watcher_tx.take(),
            ctx,
        };
        let task = task_span("exit watcher", "", &self.process.container_id);
        tokio::spawn(watcher.run().instrument(task));
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
    /// Go profile (`Waiters::WatcherReaps`): the watcher reaps the exit itself.
    pub reaper: Option<Reaper>,
}

/// What the Go exit watcher needs to reap an exit itself (`wait.go:24-112`).
pub struct Reaper {
    /// Where `cReap` sends the TaskExit (`s.ec`).
    pub events: mpsc::Sender<TaskEvent>,
    /// `s.eventSendMu`, taken to queue the TaskExit (`sendL`), when the profile models it.
    pub event_send_mu: Option<Arc<tokio::sync::Mutex<()>>>,
    /// The sandbox's VM, stopped when the sandbox container exits (`wait.go:70-83`).
    pub hypervisor: Arc<dyn Hypervisor>,
    pub sid: String,
}

/// The exit code main records when agent wait_process fails (`UNKNOWN_EXIT_STATUS`).
pub const UNKNOWN_EXIT_STATUS: i32 = 255;

struct ExitWatcher {
    process: ContainerProcess,
    pid: Pid,
    exit_ch: ExitChannel,
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
        // Go (`wait.go:50-60`) and main record 255 when the wait fails and go on.
        let carry_on = self.ctx.recovers || self.ctx.reaper.is_some();
        let exit_code = match self.ctx.agent.wait_process(req).await {
            Ok(resp) => resp.status,
            Err(e) if carry_on => {
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
            Some(m) => Some(acquire(m.lock(), "service", "lock", &container_id).await),
            None => None,
        };
        let containers = acquire(
            self.ctx.containers.read(),
            "containers",
            "read",
            &container_id,
        )
        .await;
        match containers.get(&container_id) {
            // Go: the sandbox container's exit stops the sandbox (`wait.go:70-83`).
            Some(_)
                if self
                    .ctx
                    .reaper
                    .as_ref()
                    .is_some_and(|r| r.sid == container_id) =>
            {
                let reaper = self.ctx.reaper.as_ref().expect("checked above");
                if let Err(err) = reaper.hypervisor.stop_vm().await {
                    error!(sid = %reaper.sid, "failed to stop sandbox {:?}", err);
                }
            }
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
                if !carry_on {
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
        let Some(reaper) = &self.ctx.reaper else {
            drop(self.exit_notifier);
            drop(containers);
            return;
        };
        drop(containers);
        // `c.exitCh <- ret` still under `s.mu`: waits, holding it, while the slot is full
        // (a failed Start's 255 that Wait put back).
        waiting(
            self.exit_ch.put(exit_code),
            "room in the exit channel of",
            &container_id,
        )
        .await;
        drop(_service_guard);
        drop(self.exit_notifier);
        let exit = TaskExit {
            container_id: container_id.clone(),
            id: container_id,
            pid: self.pid,
            exit_status: exit_code,
            exited_at: exit_time,
        };
        let _send = match &reaper.event_send_mu {
            Some(mu) => Some(mu.lock().await),
            None => None,
        };
        if reaper.events.send(TaskEvent::Exit(exit)).await.is_err() {
            error!("failed to send TaskExit: event channel closed");
        }
    }
}
