//! The fake kata-agent: runs on a pod's VM node and keeps the guest's process table.
//!
//! Each container has one init process (`sleep 300` by default). SIGKILL and SIGTERM end a
//! running process with exit code 128 + signal; other signals are ignored. A process also
//! ends by itself, with code 0, when its `sleep` runs out. `wait_process` returns when the
//! process has ended; `remove_container` ends a still-running process with SIGKILL first.
//!
//! Every end of a process is ground truth the agent reports to the run's recorder
//! ([`properties::GuestExit`]). A fault can be armed for the agent's next call of a kind
//! ([`KataAgent::arm`]): an error answer, or a stall until the world heals its faults.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use runtime_model::agent::{HealthCheckResponse, WaitProcessResponse};
use runtime_model::sync::watch;
use tracing::debug;

use crate::fault::{AgentCall, Controls, Gate};
use crate::latency::{pause, AgentWork, Site, Timing};
use crate::net::rpc::{serve, Frame, Handler};
use crate::net::vsock::{decode, encode, AgentAnswer, AgentReply, AgentRequest};
use crate::recorder::Recorder;

pub const SIGKILL: u32 = 9;
pub const SIGTERM: u32 = 15;

/// A guest process's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestStatus {
    Created,
    Running,
    Paused,
    Exited(i32),
}

struct GuestProcess {
    status: GuestStatus,
    lifetime: Duration,
    exited: watch::Sender<Option<i32>>,
}

/// A fault armed for the agent's next call of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Armed {
    /// Answer it with an error.
    Error,
    /// Take it, and go on with it only once the world heals its faults.
    Stall,
}

/// The agent's state: the process table of one VM.
pub struct KataAgent {
    procs: Mutex<HashMap<String, GuestProcess>>,
    timing: Arc<dyn Timing>,
    recorder: Arc<Recorder>,
    controls: Arc<Controls>,
    armed: Mutex<Vec<(AgentCall, Armed)>>,
}

/// How long `sleep N` runs, from the container's args (300 s when absent).
fn lifetime(args: &[String]) -> Duration {
    let secs = match args {
        [cmd, n, ..] if cmd == "sleep" => n.parse().unwrap_or(300),
        _ => 300,
    };
    Duration::from_secs(secs)
}

impl KataAgent {
    pub fn new(
        timing: Arc<dyn Timing>,
        recorder: Arc<Recorder>,
        controls: Arc<Controls>,
    ) -> Arc<KataAgent> {
        Arc::new(KataAgent {
            procs: Mutex::new(HashMap::new()),
            timing,
            recorder,
            controls,
            armed: Mutex::new(Vec::new()),
        })
    }

    /// Arms `fault` for the agent's next `call`.
    pub fn arm(&self, call: AgentCall, fault: Armed) {
        self.armed.lock().unwrap().push((call, fault));
    }

    /// The fault armed for `req`'s kind of call, if any (disarmed by taking it).
    fn disarm(&self, req: &AgentRequest) -> Option<(AgentCall, Armed)> {
        let call = match req {
            AgentRequest::CreateContainer(_) => AgentCall::CreateContainer,
            AgentRequest::StartContainer(_) => AgentCall::StartContainer,
            AgentRequest::RemoveContainer(_) => AgentCall::RemoveContainer,
            AgentRequest::SignalProcess(_) => AgentCall::SignalProcess,
            _ => return None,
        };
        let mut armed = self.armed.lock().unwrap();
        if self.controls.is_healed() {
            // Healing disarms what was never triggered.
            armed.clear();
            return None;
        }
        let k = armed.iter().position(|&(c, _)| c == call)?;
        Some(armed.remove(k))
    }

    /// The VM died: every process not yet ended dies with it (no exit code exists).
    pub fn die_with_vm(&self) {
        let mut procs = self.procs.lock().unwrap();
        let mut ids: Vec<&String> = procs
            .iter()
            .filter(|(_, p)| !matches!(p.status, GuestStatus::Exited(_)))
            .map(|(id, _)| id)
            .collect();
        ids.sort();
        for id in ids {
            self.recorder.guest_exit(id, None);
        }
        procs.clear();
    }

    /// Every running process ends by `signal` (128 + signal), ids in order.
    pub fn kill_all(&self, signal: u32) {
        let ids = self.container_ids();
        for id in ids {
            self.end(&id, 128 + signal as i32);
        }
    }

    /// Ends `cid`'s process by itself with `code` (a fault), if it runs.
    pub fn exit_process(&self, cid: &str, code: i32) {
        self.end(cid, code);
    }

    /// Serves the agent's vsock on the VM node until the node dies; answers pass `gate`.
    pub async fn serve(self: Arc<Self>, ep: madsim::net::Endpoint, gate: Gate) {
        let agent = self.clone();
        let handler: Handler = Arc::new(move |request: Frame| {
            let agent = agent.clone();
            Box::pin(async move {
                let answer: AgentAnswer = match decode::<AgentRequest>(request.body()) {
                    Ok(req) => agent.handle(req).await,
                    Err(e) => Err(e.to_string()),
                };
                Some(encode(&answer))
            })
        });
        serve(ep, self.timing.clone(), Site::Vsock, gate, handler).await;
    }

    /// The ids of the containers in the guest, sorted.
    pub fn container_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.procs.lock().unwrap().keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The status of a container's init process, if the container exists.
    pub fn status(&self, cid: &str) -> Option<GuestStatus> {
        self.procs.lock().unwrap().get(cid).map(|p| p.status)
    }

    fn end(&self, cid: &str, code: i32) {
        let mut procs = self.procs.lock().unwrap();
        if let Some(p) = procs.get_mut(cid) {
            if matches!(p.status, GuestStatus::Running | GuestStatus::Paused) {
                p.status = GuestStatus::Exited(code);
                p.exited.send_replace(Some(code));
                self.recorder.guest_exit(cid, Some(code));
            }
        }
    }

    async fn handle(self: Arc<Self>, req: AgentRequest) -> AgentAnswer {
        debug!(?req, "agent request");
        let work = match req {
            AgentRequest::CreateContainer(_) => AgentWork::CreateContainer,
            AgentRequest::StartContainer(_) => AgentWork::StartContainer,
            AgentRequest::RemoveContainer(_) => AgentWork::RemoveContainer,
            _ => AgentWork::Other,
        };
        pause(&*self.timing, Site::AgentWork(work)).await;
        match self.disarm(&req) {
            Some((call, Armed::Error)) => return Err(injected_error(call, &req)),
            Some((_, Armed::Stall)) => self.controls.healed().await,
            None => {}
        }
        match req {
            AgentRequest::CreateSandbox(_) | AgentRequest::DestroySandbox => Ok(AgentReply::Empty),
            AgentRequest::Check(_) => Ok(AgentReply::Health(HealthCheckResponse { status: 1 })),
            AgentRequest::CreateContainer(r) => {
                let cid = r.process_id.container_id.container_id;
                let mut procs = self.procs.lock().unwrap();
                if procs.contains_key(&cid) {
                    return Err(format!("container {cid} already exists"));
                }
                procs.insert(
                    cid,
                    GuestProcess {
                        status: GuestStatus::Created,
                        lifetime: lifetime(&r.args),
                        exited: watch::channel(None).0,
                    },
                );
                Ok(AgentReply::Empty)
            }
            AgentRequest::StartContainer(r) => {
                let cid = r.container_id;
                let lifetime = {
                    let mut procs = self.procs.lock().unwrap();
                    let p = procs.get_mut(&cid).ok_or_else(|| invalid_container(&cid))?;
                    if p.status != GuestStatus::Created {
                        return Err(format!("container {cid} is not created: {:?}", p.status));
                    }
                    p.status = GuestStatus::Running;
                    p.lifetime
                };
                let agent = self.clone();
                tokio::spawn(async move {
                    crate::clock::sleep(lifetime).await;
                    agent.end(&cid, 0);
                });
                Ok(AgentReply::Empty)
            }
            AgentRequest::SignalProcess(r) => {
                let cid = r.process_id.container_id.container_id;
                let status = self.status(&cid).ok_or_else(|| invalid_container(&cid))?;
                match status {
                    GuestStatus::Exited(_) | GuestStatus::Created => {
                        Err(format!("process {cid} not found: ESRCH"))
                    }
                    _ => {
                        if r.signal == SIGKILL || r.signal == SIGTERM {
                            self.end(&cid, 128 + r.signal as i32);
                        }
                        Ok(AgentReply::Empty)
                    }
                }
            }
            AgentRequest::WaitProcess(r) => {
                let cid = r.process_id.container_id.container_id;
                let mut exited = {
                    let procs = self.procs.lock().unwrap();
                    let p = procs.get(&cid).ok_or_else(|| invalid_container(&cid))?;
                    p.exited.subscribe()
                };
                let code = match exited.wait_for(|c| c.is_some()).await {
                    Ok(code) => code.expect("waited for Some"),
                    Err(_) => return Err(format!("container {cid} removed while waiting")),
                };
                Ok(AgentReply::Wait(WaitProcessResponse { status: code }))
            }
            AgentRequest::RemoveContainer(r) => {
                let cid = r.container_id;
                self.end(&cid, 128 + SIGKILL as i32);
                match self.procs.lock().unwrap().remove(&cid) {
                    Some(_) => Ok(AgentReply::Empty),
                    None => Err(invalid_container(&cid)),
                }
            }
            AgentRequest::PauseContainer(r) => self.set_paused(&r.container_id, true),
            AgentRequest::ResumeContainer(r) => self.set_paused(&r.container_id, false),
        }
    }

    fn set_paused(&self, cid: &str, pause: bool) -> AgentAnswer {
        let mut procs = self.procs.lock().unwrap();
        let p = procs.get_mut(cid).ok_or_else(|| invalid_container(cid))?;
        p.status = match (p.status, pause) {
            (GuestStatus::Running, true) => GuestStatus::Paused,
            (GuestStatus::Paused, false) => GuestStatus::Running,
            (s, _) => return Err(format!("container {cid} cannot change from {s:?}")),
        };
        Ok(AgentReply::Empty)
    }
}

/// The error an armed fault answers: for a signal, the agent's ESRCH text; otherwise a
/// failure of the call naming itself.
fn injected_error(call: AgentCall, req: &AgentRequest) -> String {
    match req {
        AgentRequest::SignalProcess(r) => format!(
            "process {} not found: ESRCH",
            r.process_id.container_id.container_id
        ),
        _ => format!("{} failed (injected fault)", call.name()),
    }
}

fn invalid_container(cid: &str) -> String {
    format!("invalid container id {cid}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn sleep_args_give_the_lifetime() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(super::lifetime(&args(&["sleep", "5"])).as_secs(), 5);
        assert_eq!(super::lifetime(&args(&["sh"])).as_secs(), 300);
    }
}
