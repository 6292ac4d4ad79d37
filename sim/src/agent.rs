//! The fake kata-agent: runs on a pod's VM node and keeps the guest's process table.
//!
//! Each container has one init process (`sleep 300` by default). A process ends by
//! itself, with code 0, when its `sleep` runs out, but not while its cgroup is frozen:
//! then it ends when the cgroup thaws. `wait_process` returns when the process has ended;
//! `remove_container` ends a still-running process with SIGKILL first.
//!
//! Signals follow the kata-agent's `do_signal_process` (3.24.0 `src/agent/src/rpc.rs`
//! 448-533): SIGKILL ends the process with 137; SIGTERM to an init process that has no
//! handler for it (`sleep` has none) is sent as SIGKILL, so it also ends with 137; other
//! signals are ignored by the init process. A process that is gone answers ESRCH, which
//! the agent logs and swallows: the signal succeeds. With an empty exec id the agent
//! then freezes the container's cgroup, signals every process in it and thaws it: a
//! paused container's processes run again (its status stays Paused, as the agent's own
//! record does). The agent's errors carry its texts and codes ([`AgentError`]).
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
use crate::net::vsock::{decode, encode, AgentAnswer, AgentError, AgentReply, AgentRequest};
use crate::recorder::Recorder;
use containerd_shim_protos::ttrpc::Code;

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
    /// The container's cgroup is frozen (paused): its process cannot end by itself.
    frozen: bool,
    /// The process's `sleep` ran out while frozen: it ends when the cgroup thaws.
    overdue: bool,
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
                    Err(e) => Err(AgentError::internal(e.to_string())),
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

    /// `cid`'s `sleep` ran out: it ends with 0, or once thawed if its cgroup is frozen.
    fn lifetime_over(&self, cid: &str) {
        let frozen = {
            let mut procs = self.procs.lock().unwrap();
            match procs.get_mut(cid) {
                Some(p) if p.frozen => {
                    p.overdue = true;
                    true
                }
                _ => false,
            }
        };
        if !frozen {
            self.end(cid, 0);
        }
    }

    /// Freezes or thaws `cid`'s cgroup; a process whose `sleep` ran out while frozen
    /// ends at the thaw.
    fn set_frozen(&self, cid: &str, frozen: bool) {
        let overdue = {
            let mut procs = self.procs.lock().unwrap();
            let Some(p) = procs.get_mut(cid) else { return };
            p.frozen = frozen;
            !frozen && std::mem::take(&mut p.overdue)
        };
        if overdue {
            self.end(cid, 0);
        }
    }

    /// `do_signal_process`: find the process (else `Invalid container id`, or `Invalid
    /// exec id` for an exec id the container does not have: it has only its init
    /// process); SIGTERM without a handler becomes SIGKILL; ESRCH is swallowed; with an
    /// empty exec id, freeze, signal the cgroup's processes, thaw.
    fn signal(&self, cid: &str, exec_id: &str, signal: u32) -> AgentAnswer {
        let status = self
            .status(cid)
            .ok_or_else(|| AgentError::internal(INVALID_CONTAINER_ID))?;
        if !exec_id.is_empty() && exec_id != cid {
            return Err(AgentError::internal("Invalid exec id"));
        }
        let signal = if signal == SIGTERM { SIGKILL } else { signal };
        match status {
            GuestStatus::Running | GuestStatus::Paused if signal == SIGKILL => {
                self.end(cid, 128 + SIGKILL as i32);
            }
            GuestStatus::Exited(_) | GuestStatus::Created => {
                debug!(container_id = %cid, "signal encounter ESRCH, continue");
            }
            _ => {}
        }
        if exec_id.is_empty() {
            self.set_frozen(cid, true);
            self.set_frozen(cid, false);
        }
        Ok(AgentReply::Empty)
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
            Some((call, Armed::Error)) => return Err(injected_error(call)),
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
                    return Err(AgentError::internal(format!(
                        "container {cid} already exists"
                    )));
                }
                procs.insert(
                    cid,
                    GuestProcess {
                        status: GuestStatus::Created,
                        lifetime: lifetime(&r.args),
                        exited: watch::channel(None).0,
                        frozen: false,
                        overdue: false,
                    },
                );
                Ok(AgentReply::Empty)
            }
            AgentRequest::StartContainer(r) => {
                let cid = r.container_id;
                let lifetime = {
                    let mut procs = self.procs.lock().unwrap();
                    let p = procs
                        .get_mut(&cid)
                        .ok_or_else(|| AgentError::internal(INVALID_CONTAINER_ID))?;
                    if p.status != GuestStatus::Created {
                        return Err(AgentError::internal(format!(
                            "container {cid} is not created: {:?}",
                            p.status
                        )));
                    }
                    p.status = GuestStatus::Running;
                    p.lifetime
                };
                let agent = self.clone();
                tokio::spawn(async move {
                    crate::clock::sleep(lifetime).await;
                    agent.lifetime_over(&cid);
                });
                Ok(AgentReply::Empty)
            }
            AgentRequest::SignalProcess(r) => self.signal(
                &r.process_id.container_id.container_id,
                &r.process_id.exec_id,
                r.signal,
            ),
            AgentRequest::WaitProcess(r) => {
                let cid = r.process_id.container_id.container_id;
                let mut exited = {
                    let procs = self.procs.lock().unwrap();
                    let p = procs
                        .get(&cid)
                        .ok_or_else(|| AgentError::internal(INVALID_CONTAINER_ID))?;
                    p.exited.subscribe()
                };
                let code = match exited.wait_for(|c| c.is_some()).await {
                    Ok(code) => code.expect("waited for Some"),
                    Err(_) => return Err(AgentError::internal("Failed to receive exit code")),
                };
                Ok(AgentReply::Wait(WaitProcessResponse { status: code }))
            }
            AgentRequest::RemoveContainer(r) => {
                let cid = r.container_id;
                self.end(&cid, 128 + SIGKILL as i32);
                match self.procs.lock().unwrap().remove(&cid) {
                    Some(_) => Ok(AgentReply::Empty),
                    None => Err(AgentError::internal(INVALID_CONTAINER_ID)),
                }
            }
            AgentRequest::PauseContainer(r) => self.set_paused(&r.container_id, true),
            AgentRequest::ResumeContainer(r) => self.set_paused(&r.container_id, false),
        }
    }

    /// `pause_container` / `resume_container` (3.24.0 `rpc.rs` 844-874, rustjail
    /// `container.rs` 311-337): an unknown id is INVALID_ARGUMENT, with the `{:?}` of the
    /// handler's text (quoted); pause from Running only (rustjail also pauses a Created
    /// container, which no shim asks for), resume from Paused only; the cgroup freezes or
    /// thaws with the status.
    fn set_paused(&self, cid: &str, pause: bool) -> AgentAnswer {
        {
            let mut procs = self.procs.lock().unwrap();
            let p = procs.get_mut(cid).ok_or_else(|| {
                AgentError::with_code(Code::INVALID_ARGUMENT, "\"invalid container id\"")
            })?;
            p.status = match (p.status, pause) {
                (GuestStatus::Running, true) => GuestStatus::Paused,
                (GuestStatus::Paused, false) => GuestStatus::Running,
                (s, true) => {
                    return Err(AgentError::internal(format!(
                        "failed to pause container: current status is: {}",
                        container_state(s)
                    )))
                }
                (s, false) => {
                    return Err(AgentError::internal(format!(
                        "container status is: {}, not paused",
                        container_state(s)
                    )))
                }
            };
        }
        self.set_frozen(cid, pause);
        Ok(AgentReply::Empty)
    }
}

/// The kata-agent's text for an unknown container (3.24.0 `src/agent/src/sandbox.rs:50`).
const INVALID_CONTAINER_ID: &str = "Invalid container id";

/// rustjail's `ContainerState` name for a guest status, as its `{:?}` prints it.
fn container_state(s: GuestStatus) -> &'static str {
    match s {
        GuestStatus::Created => "Created",
        GuestStatus::Running => "Running",
        GuestStatus::Paused => "Paused",
        GuestStatus::Exited(_) => "Stopped",
    }
}

/// The error an armed fault answers: a failure of the call naming itself.
fn injected_error(call: AgentCall) -> AgentError {
    AgentError::internal(format!("{} failed (injected fault)", call.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoDelay;
    impl Timing for NoDelay {
        fn delay(&self, _: Site) -> Duration {
            Duration::ZERO
        }
    }

    /// An agent holding container "c" in `status`, and its recorder.
    fn agent_with(status: GuestStatus) -> (Arc<KataAgent>, Arc<Recorder>) {
        let recorder = Recorder::new();
        let agent = KataAgent::new(Arc::new(NoDelay), recorder.clone(), Arc::default());
        agent.procs.lock().unwrap().insert(
            "c".into(),
            GuestProcess {
                status,
                lifetime: Duration::from_secs(300),
                exited: watch::channel(None).0,
                frozen: status == GuestStatus::Paused,
                overdue: false,
            },
        );
        (agent, recorder)
    }

    fn in_sim(f: impl FnOnce() + Send + 'static) {
        madsim::runtime::Runtime::new().block_on(async move { f() });
    }

    #[test]
    fn sigterm_to_an_init_without_a_handler_ends_it_with_137() {
        in_sim(|| {
            let (agent, _) = agent_with(GuestStatus::Running);
            assert!(agent.signal("c", "", SIGTERM).is_ok());
            assert_eq!(agent.status("c"), Some(GuestStatus::Exited(137)));
        });
    }

    #[test]
    fn a_signal_to_a_process_that_is_gone_succeeds() {
        in_sim(|| {
            let (agent, _) = agent_with(GuestStatus::Exited(0));
            assert!(agent.signal("c", "", SIGKILL).is_ok());
            assert_eq!(agent.status("c"), Some(GuestStatus::Exited(0)));
            let missing = agent.signal("d", "", SIGKILL).unwrap_err();
            assert_eq!(missing, AgentError::internal("Invalid container id"));
        });
    }

    #[test]
    fn a_signal_with_no_exec_id_thaws_a_paused_container() {
        in_sim(|| {
            let (agent, _) = agent_with(GuestStatus::Paused);
            agent.lifetime_over("c");
            assert_eq!(
                agent.status("c"),
                Some(GuestStatus::Paused),
                "frozen: no end"
            );
            assert!(agent.signal("c", "c", 10).is_ok());
            assert_eq!(
                agent.status("c"),
                Some(GuestStatus::Paused),
                "exec id: no thaw"
            );
            assert!(agent.signal("c", "", 10).is_ok());
            assert_eq!(agent.status("c"), Some(GuestStatus::Exited(0)), "thawed");
        });
    }

    #[test]
    fn pause_and_resume_errors_carry_the_agents_texts_and_codes() {
        in_sim(|| {
            let (agent, _) = agent_with(GuestStatus::Exited(0));
            let pause = agent.set_paused("c", true).unwrap_err();
            assert_eq!(
                pause.message,
                "failed to pause container: current status is: Stopped"
            );
            let resume = agent.set_paused("c", false).unwrap_err();
            assert_eq!(resume.message, "container status is: Stopped, not paused");
            let missing = agent.set_paused("d", true).unwrap_err();
            assert_eq!(
                missing,
                AgentError::with_code(Code::INVALID_ARGUMENT, "\"invalid container id\"")
            );
        });
    }

    #[test]
    fn sleep_args_give_the_lifetime() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(super::lifetime(&args(&["sleep", "5"])).as_secs(), 5);
        assert_eq!(super::lifetime(&args(&["sh"])).as_secs(), 300);
    }
}
