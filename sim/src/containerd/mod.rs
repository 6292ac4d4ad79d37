//! The containerd node: its task list, its Tasks service as `ctr` and CRI call it, its
//! ttrpc connections to the shims, and its event service.
//!
//! Follows containerd 1.7 (`services/tasks/local.go`, `runtime/v2/shim.go`):
//! - List snapshots the task list and calls State on each task in turn, each under a 2 s
//!   timeout; NotFound/Unavailable skip the task; any other error is logged
//!   `get state for <id>` and the task is listed with the zero state (UNKNOWN, pid 0).
//! - A task joins the list when its shim has started, before the Create RPC
//!   (`runtime/v2/manager.go` ShimManager.Start, then TaskManager.Create), so a List
//!   during a Create sends State to a shim that may not hold the container yet. A failed
//!   Create removes it again and runs `shimTask.delete`.
//! - A task leaves the list early only when the shim's Delete succeeded; otherwise at
//!   the end of `shimTask.delete`, or when the shim's connection closes.
//! - A closed connection reads as NotFound in State, Delete and Shutdown, and as
//!   Unknown `ttrpc: closed` in every other call ([`errdefs`]).

pub mod errdefs;
pub mod rules;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use containerd_shim_protos::api::{self, Empty};
use containerd_shim_protos::events::task::{
    TaskCreate, TaskDelete, TaskExit as TaskExitEvent, TaskStart,
};
use containerd_shim_protos::protobuf::{self, well_known_types::timestamp::Timestamp, Message};
use containerd_shim_protos::shim::event::Envelope;
use containerd_shim_protos::ttrpc;
use rand::seq::SliceRandom;
use tracing::{error, warn};

use crate::latency::{pause, Site, Timing};
use crate::net::rpc::{Handler, Liveness};
use crate::net::ttrpc::{ttrpc_handler, TtrpcClient, TtrpcError, TtrpcHandler};
use crate::recorder::Recorder;
pub use errdefs::CtrdError;
use properties::{Code, Failure, Lifecycle, Op, Outcome, Reply, TaskStatus};
pub use rules::ErrClass;

/// `io.containerd.timeout.task.state`.
pub const STATE_TIMEOUT: Duration = Duration::from_secs(2);
/// The Shutdown call's timeout in `shimTask.delete`.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(3);

/// A task as List and Get report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskInfo {
    pub id: String,
    pub pid: u32,
    pub status: api::Status,
    pub exit_status: u32,
}

/// A ttrpc connection to one shim; every call is recorded. containerd holds one; a
/// client that talks to the shim's socket itself (`ctr shim`) uses [`ShimConn::direct`].
pub struct ShimConn {
    pub sid: String,
    client: Arc<TtrpcClient>,
    recorder: Arc<Recorder>,
    /// Calls are made by a client straight on the shim's socket, not by containerd.
    direct: bool,
}

fn no_reply<T>(_: &T) -> Reply {
    Reply::default()
}

/// An exit time as the node's simulated ns, or `None` when there is none: the field unset,
/// or a time before the Unix epoch such as Go's zero time (containerd reads
/// `AsTime().IsZero()` as "no exit time").
fn exited_at_ns(ts: &protobuf::MessageField<Timestamp>) -> Option<u64> {
    let t = ts.as_ref()?;
    let since_epoch = Duration::new(u64::try_from(t.seconds).ok()?, u32::try_from(t.nanos).ok()?);
    crate::clock::node_ns_of(std::time::UNIX_EPOCH + since_epoch)
}

fn status_of(s: api::Status) -> TaskStatus {
    TaskStatus::from_i32(s as i32).unwrap_or_default()
}

impl ShimConn {
    pub fn new(sid: &str, client: TtrpcClient, recorder: Arc<Recorder>) -> ShimConn {
        ShimConn {
            sid: sid.to_string(),
            client: Arc::new(client),
            recorder,
            direct: false,
        }
    }

    /// The same connection, for a client calling the shim's socket itself.
    pub fn direct(&self) -> ShimConn {
        ShimConn {
            sid: self.sid.clone(),
            client: self.client.clone(),
            recorder: self.recorder.clone(),
            direct: true,
        }
    }

    async fn call<Req: Message, Resp: Message>(
        &self,
        op: Op,
        id: &str,
        listed: Option<bool>,
        req: &Req,
        timeout: Option<Duration>,
        reply: fn(&Resp) -> Reply,
    ) -> Result<Resp, TtrpcError> {
        let slot = self.recorder.invoke(op, &self.sid, id, listed, self.direct);
        let result = self
            .client
            .call::<Req, Resp>(op.method(), req, timeout)
            .await;
        let outcome = match &result {
            Ok(resp) => Outcome::Ok(reply(resp)),
            Err(TtrpcError::Status(s)) => Outcome::Err(Failure::Status {
                code: Code::from_i32(s.code() as i32),
                message: s.message.clone(),
            }),
            Err(TtrpcError::Closed) => Outcome::Err(Failure::Closed),
            Err(TtrpcError::DeadlineExceeded | TtrpcError::Canceled) => {
                Outcome::Err(Failure::Timeout)
            }
        };
        self.recorder.returned(slot, outcome);
        result
    }

    /// Any Task API operation on `id`; the answer is only recorded.
    pub async fn send(&self, op: Op, id: &str) -> Result<(), TtrpcError> {
        match op {
            Op::Create => self.create(id).await.map(drop),
            Op::Start => self.start(id).await.map(drop),
            Op::State => self.state(id).await.map(drop),
            Op::Kill { signal, all } => self.kill(id, signal, all).await.map(drop),
            Op::Wait => self.wait(id).await.map(drop),
            Op::Delete => self.delete(id).await.map(drop),
            Op::Pause => self.pause(id).await.map(drop),
            Op::Resume => self.resume(id).await.map(drop),
            Op::Shutdown => self.shutdown(id).await.map(drop),
            Op::Connect => self.connect(id).await.map(drop),
        }
    }

    pub async fn create(&self, id: &str) -> Result<api::CreateTaskResponse, TtrpcError> {
        let mut req = api::CreateTaskRequest::new();
        req.id = id.into();
        req.bundle = format!("/run/containerd/io.containerd.runtime.v2.task/k8s.io/{id}");
        self.call(
            Op::Create,
            id,
            None,
            &req,
            None,
            |r: &api::CreateTaskResponse| Reply {
                pid: r.pid,
                ..Reply::default()
            },
        )
        .await
    }

    pub async fn start(&self, id: &str) -> Result<api::StartResponse, TtrpcError> {
        let mut req = api::StartRequest::new();
        req.id = id.into();
        self.call(Op::Start, id, None, &req, None, |r: &api::StartResponse| {
            Reply {
                pid: r.pid,
                ..Reply::default()
            }
        })
        .await
    }

    pub async fn state(&self, id: &str) -> Result<api::StateResponse, TtrpcError> {
        self.state_listed(id, None, Some(STATE_TIMEOUT)).await
    }

    /// State under `timeout`, for a caller that knows whether containerd listed `id`
    /// when it decided to call (List's snapshot).
    pub async fn state_listed(
        &self,
        id: &str,
        listed: Option<bool>,
        timeout: Option<Duration>,
    ) -> Result<api::StateResponse, TtrpcError> {
        let mut req = api::StateRequest::new();
        req.id = id.into();
        self.call(
            Op::State,
            id,
            listed,
            &req,
            timeout,
            |r: &api::StateResponse| Reply {
                status: status_of(r.status.enum_value_or_default()),
                pid: r.pid,
                exit_status: r.exit_status,
                exited_at_ns: exited_at_ns(&r.exited_at),
            },
        )
        .await
    }

    pub async fn kill(&self, id: &str, signal: u32, all: bool) -> Result<Empty, TtrpcError> {
        let mut req = api::KillRequest::new();
        req.id = id.into();
        req.signal = signal;
        req.all = all;
        self.call(Op::Kill { signal, all }, id, None, &req, None, no_reply)
            .await
    }

    pub async fn wait(&self, id: &str) -> Result<api::WaitResponse, TtrpcError> {
        let mut req = api::WaitRequest::new();
        req.id = id.into();
        self.call(Op::Wait, id, None, &req, None, |r: &api::WaitResponse| {
            Reply {
                exit_status: r.exit_status,
                exited_at_ns: exited_at_ns(&r.exited_at),
                ..Reply::default()
            }
        })
        .await
    }

    pub async fn delete(&self, id: &str) -> Result<api::DeleteResponse, TtrpcError> {
        let mut req = api::DeleteRequest::new();
        req.id = id.into();
        self.call(
            Op::Delete,
            id,
            None,
            &req,
            None,
            |r: &api::DeleteResponse| Reply {
                pid: r.pid,
                exit_status: r.exit_status,
                exited_at_ns: exited_at_ns(&r.exited_at),
                ..Reply::default()
            },
        )
        .await
    }

    pub async fn pause(&self, id: &str) -> Result<Empty, TtrpcError> {
        let mut req = api::PauseRequest::new();
        req.id = id.into();
        self.call(Op::Pause, id, None, &req, None, no_reply).await
    }

    pub async fn resume(&self, id: &str) -> Result<Empty, TtrpcError> {
        let mut req = api::ResumeRequest::new();
        req.id = id.into();
        self.call(Op::Resume, id, None, &req, None, no_reply).await
    }

    /// Connect (containerd's `shimTask.PID`): the answer's task pid is recorded.
    pub async fn connect(&self, id: &str) -> Result<api::ConnectResponse, TtrpcError> {
        let mut req = api::ConnectRequest::new();
        req.id = id.into();
        self.call(
            Op::Connect,
            id,
            None,
            &req,
            None,
            |r: &api::ConnectResponse| Reply {
                pid: r.task_pid,
                ..Reply::default()
            },
        )
        .await
    }

    pub async fn shutdown(&self, id: &str) -> Result<Empty, TtrpcError> {
        let mut req = api::ShutdownRequest::new();
        req.id = id.into();
        self.call(
            Op::Shutdown,
            id,
            None,
            &req,
            Some(SHUTDOWN_TIMEOUT),
            no_reply,
        )
        .await
    }
}

/// The order in which List visits the task list.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ListOrder {
    /// Go map order: a fresh random order each time (drawn from the run's seed).
    #[default]
    Shuffled,
    /// By id, ascending: an order decided by the data, not the seed.
    ById,
    /// By id, descending.
    ByIdReversed,
}

/// containerd's state: the task list (id -> the shim that runs it), the container
/// metadata, and the shims by sandbox id.
pub struct Containerd {
    tasks: Mutex<BTreeMap<String, Arc<ShimConn>>>,
    containers: Mutex<BTreeSet<String>>,
    shims: Mutex<BTreeMap<String, Arc<ShimConn>>>,
    pub recorder: Arc<Recorder>,
    pub timing: Arc<dyn Timing>,
    /// Up while containerd serves (its event service).
    pub up: Liveness,
    pub list_order: ListOrder,
    /// What running the shim binary's `delete` for a dead shim's sandbox does.
    shim_binary_delete: Mutex<Option<ShimBinaryDelete>>,
}

type ShimBinaryDelete = Box<dyn Fn(&str) + Send + Sync>;

impl Containerd {
    pub fn new(
        recorder: Arc<Recorder>,
        timing: Arc<dyn Timing>,
        list_order: ListOrder,
    ) -> Arc<Containerd> {
        Arc::new(Containerd {
            tasks: Mutex::new(BTreeMap::new()),
            containers: Mutex::new(BTreeSet::new()),
            shims: Mutex::new(BTreeMap::new()),
            recorder,
            timing,
            up: Liveness::new(true),
            list_order,
            shim_binary_delete: Mutex::new(None),
        })
    }

    /// Registers the connection to a started shim.
    pub fn add_shim(&self, conn: Arc<ShimConn>) {
        self.shims.lock().unwrap().insert(conn.sid.clone(), conn);
    }

    /// The connection to the shim of sandbox `sid`.
    pub fn shim(&self, sid: &str) -> Option<Arc<ShimConn>> {
        self.shims.lock().unwrap().get(sid).cloned()
    }

    fn task(&self, id: &str) -> Result<Arc<ShimConn>, CtrdError> {
        self.tasks
            .lock()
            .unwrap()
            .get(id)
            .cloned()
            .ok_or_else(|| CtrdError::new(ErrClass::NotFound, format!("task {id} not found")))
    }

    /// `getProcessState`: State under the 2 s timeout. NotFound and Unavailable are
    /// returned; any other error is logged `get state for <id>` and answered with the
    /// zero state.
    async fn get_process_state(
        &self,
        id: &str,
        shim: &ShimConn,
        listed: Option<bool>,
    ) -> Result<TaskInfo, CtrdError> {
        match shim.state_listed(id, listed, Some(STATE_TIMEOUT)).await {
            Ok(s) => Ok(TaskInfo {
                id: id.to_string(),
                pid: s.pid,
                status: s.status.enum_value_or_default(),
                exit_status: s.exit_status,
            }),
            Err(e) => {
                let err = errdefs::from_ttrpc_closed_not_found(&e);
                if rules::state_error_skips_task(err.class) {
                    return Err(err);
                }
                error!(error = %err.message, "get state for {}", id);
                warn!(id = %id, "unknown status");
                Ok(TaskInfo {
                    id: id.to_string(),
                    pid: 0,
                    status: api::Status::UNKNOWN,
                    exit_status: 0,
                })
            }
        }
    }

    /// Tasks.List: snapshot the task list (in [`ListOrder`]), then State each.
    pub async fn list(&self) -> Vec<TaskInfo> {
        let mut snapshot: Vec<(String, Arc<ShimConn>)> = self
            .tasks
            .lock()
            .unwrap()
            .iter()
            .map(|(id, s)| (id.clone(), s.clone()))
            .collect();
        match self.list_order {
            ListOrder::Shuffled => snapshot.shuffle(&mut madsim::rand::thread_rng()),
            ListOrder::ById => {}
            ListOrder::ByIdReversed => snapshot.reverse(),
        }
        let mut out = Vec::with_capacity(snapshot.len());
        for (id, shim) in snapshot {
            match self.get_process_state(&id, &shim, Some(true)).await {
                Ok(t) => out.push(t),
                Err(e) if !e.is_not_found() => {
                    error!(id = %id, error = %e.message, "converting task to protobuf");
                }
                Err(_) => {}
            }
        }
        out
    }

    /// Tasks.Get.
    pub async fn get(&self, id: &str) -> Result<TaskInfo, CtrdError> {
        let shim = self.task(id)?;
        self.get_process_state(id, &shim, None).await
    }

    /// Tasks.Kill.
    pub async fn kill(&self, id: &str, signal: u32, all: bool) -> Result<(), CtrdError> {
        let shim = self.task(id)?;
        shim.kill(id, signal, all)
            .await
            .map(|_| ())
            .map_err(|e| errdefs::from_ttrpc(&e))
    }

    /// Tasks.Pause.
    pub async fn pause(&self, id: &str) -> Result<(), CtrdError> {
        let shim = self.task(id)?;
        shim.pause(id)
            .await
            .map(|_| ())
            .map_err(|e| errdefs::from_ttrpc(&e))
    }

    /// Tasks.Resume.
    pub async fn resume(&self, id: &str) -> Result<(), CtrdError> {
        let shim = self.task(id)?;
        shim.resume(id)
            .await
            .map(|_| ())
            .map_err(|e| errdefs::from_ttrpc(&e))
    }

    /// Tasks.Wait: blocks until the task's process exits; the exit status. `shimTask.Wait`
    /// first asks Connect for the pid (v1.7.34 `runtime/v2/shim.go:652-668`); its error
    /// ends the Wait.
    pub async fn wait(&self, id: &str) -> Result<u32, CtrdError> {
        let shim = self.task(id)?;
        shim.connect(id)
            .await
            .map_err(|e| errdefs::from_ttrpc(&e))?;
        shim.wait(id)
            .await
            .map(|r| r.exit_status)
            .map_err(|e| errdefs::from_ttrpc(&e))
    }

    /// Tasks.Create: refused with AlreadyExists while the id is in the task list; else
    /// creates the container's metadata, lists the task (its shim has started:
    /// v1.7.34 `runtime/v2/manager.go:242` ShimManager.Start) and sends the shim's Create
    /// (`manager.go:434`), then Connect for the pid it answers. A failed Create takes the
    /// task off the list, runs
    /// `shimTask.delete` and, if that fails too, sends Shutdown once more
    /// (`manager.go:435-455`); the error reads `failed to create shim task: <err>`.
    pub async fn create(&self, sid: &str, id: &str) -> Result<u32, CtrdError> {
        if self.tasks.lock().unwrap().contains_key(id) {
            return Err(CtrdError::new(
                ErrClass::AlreadyExists,
                format!("task {id}: already exists"),
            ));
        }
        let shim = self
            .shims
            .lock()
            .unwrap()
            .get(sid)
            .cloned()
            .ok_or_else(|| {
                CtrdError::new(ErrClass::NotFound, format!("no shim for sandbox {sid}"))
            })?;
        self.containers.lock().unwrap().insert(id.to_string());
        self.tasks
            .lock()
            .unwrap()
            .insert(id.to_string(), shim.clone());
        self.recorder.listed(id, true);
        match shim.create(id).await {
            // The answer's pid is Connect's task pid, not the Create's
            // (`services/tasks/local.go:250-261`, `shimTask.PID`); the task stays listed
            // if Connect fails.
            Ok(_) => shim.connect(id).await.map(|r| r.task_pid).map_err(|e| {
                let err = errdefs::from_ttrpc(&e);
                CtrdError::new(
                    ErrClass::Unknown,
                    format!("failed to get task pid: {}", err.message),
                )
            }),
            Err(e) => {
                self.remove_task(id);
                if self.shim_task_delete(id, &shim).await.is_err() {
                    let _ = shim.shutdown(id).await;
                }
                let err = errdefs::from_ttrpc(&e);
                Err(CtrdError::new(
                    err.class,
                    format!("failed to create shim task: {}", err.message),
                ))
            }
        }
    }

    /// Tasks.Start: the shim's Start, then its State (no timeout) for the pid the
    /// answer carries (v1.7.34 `services/tasks/local.go:284-294`).
    pub async fn start(&self, id: &str) -> Result<u32, CtrdError> {
        let shim = self.task(id)?;
        shim.start(id).await.map_err(|e| errdefs::from_ttrpc(&e))?;
        // This State is Start's own, for the pid (`local.go:284-294`): an error fails
        // the Start, and is not the `get state for` of a List or Get's getProcessState,
        // so it is recorded as not asked for a listed task.
        shim.state_listed(id, Some(false), None)
            .await
            .map(|s| s.pid)
            .map_err(|e| errdefs::from_ttrpc_closed_not_found(&e))
    }

    /// Tasks.Delete (server): the container metadata and the task must exist; then
    /// `shimTask.delete`.
    pub async fn delete(&self, id: &str) -> Result<u32, CtrdError> {
        if !self.containers.lock().unwrap().contains(id) {
            return Err(CtrdError::new(
                ErrClass::NotFound,
                format!("container \"{id}\" in namespace \"k8s.io\": not found"),
            ));
        }
        let shim = self.task(id)?;
        self.shim_task_delete(id, &shim).await
    }

    /// `shimTask.delete` (v1.7.34 `runtime/v2/shim.go:454-517`): Delete RPC; on an error
    /// other than closed/NotFound return it with the task still listed; remove the task
    /// at once only if the Delete succeeded (PR #4784); Shutdown (closed ignored, other
    /// errors logged); remove the task (unconditionally); return the exit status.
    async fn shim_task_delete(&self, id: &str, shim: &ShimConn) -> Result<u32, CtrdError> {
        let deleted = shim.delete(id).await;
        if let Err(e) = &deleted {
            let err = errdefs::from_ttrpc_closed_not_found(e);
            if rules::delete_error_keeps_task(err.class, *e == TtrpcError::Closed) {
                return Err(err);
            }
        } else {
            self.remove_task(id);
        }
        match shim.shutdown(id).await {
            Ok(_) | Err(TtrpcError::Closed) => {}
            Err(e) => warn!(id = %id, error = %e.message(), "failed to shutdown shim task"),
        }
        self.remove_task(id);
        deleted
            .map(|r| r.exit_status)
            .map_err(|e| errdefs::from_ttrpc_closed_not_found(&e))
    }

    fn remove_task(&self, id: &str) {
        self.tasks.lock().unwrap().remove(id);
        self.recorder.listed(id, false);
    }

    /// The shim of sandbox `sid` closed its connection: its process exited or died.
    /// containerd's on-close handling (`runtime/v2/shim.go`, `cleanupAfterDeadShim`): for
    /// every task of that shim still in the list, run the shim binary's `delete` (it tears
    /// the sandbox down: the VM and the host mounts go), publish /tasks/exit with the exit
    /// status `delete` answers (128 + SIGKILL) itself, and remove the task.
    pub async fn shim_closed(&self, sid: &str) {
        let orphans: Vec<String> = self
            .tasks
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, shim)| shim.sid == sid)
            .map(|(id, _)| id.clone())
            .collect();
        if orphans.is_empty() {
            return;
        }
        pause(&*self.timing, Site::CtrExec).await;
        if let Some(teardown) = self.shim_binary_delete.lock().unwrap().as_ref() {
            teardown(sid);
        }
        for id in orphans {
            // containerd then publishes /tasks/exit (exit status 128 + SIGKILL, from the
            // delete's answer) and /tasks/delete itself. They are containerd's events, not
            // the shim's, so the history (what the shims said) does not hold them.
            warn!(id = %id, sid = %sid, exit_status = 128 + 9, "cleaning up after shim disconnected");
            self.remove_task(&id);
        }
    }

    /// Sets what the shim binary's `delete` does to a sandbox whose shim died (the world
    /// decides: it owns the VMs).
    pub fn on_shim_binary_delete(&self, teardown: ShimBinaryDelete) {
        *self.shim_binary_delete.lock().unwrap() = Some(teardown);
    }

    /// The ids in the task list.
    pub fn task_ids(&self) -> BTreeSet<String> {
        self.tasks.lock().unwrap().keys().cloned().collect()
    }

    /// Containers.Delete: removes the container metadata.
    pub fn delete_container(&self, id: &str) -> Result<(), CtrdError> {
        if self.containers.lock().unwrap().remove(id) {
            Ok(())
        } else {
            Err(CtrdError::new(
                ErrClass::NotFound,
                format!("container \"{id}\" in namespace \"k8s.io\": not found"),
            ))
        }
    }

    /// Records the event an envelope carries (TaskExit, TaskCreate, TaskStart, TaskDelete).
    fn record_event(&self, env: &Envelope) {
        let published_ns = exited_at_ns(&env.timestamp);
        let Some(any) = env.event.as_ref() else {
            return;
        };
        if let Ok(Some(exit)) = any.unpack::<TaskExitEvent>() {
            self.recorder.task_exit(
                &exit.id,
                exit.pid,
                exit.exit_status,
                exited_at_ns(&exit.exited_at),
                published_ns,
            );
        } else if let Ok(Some(e)) = any.unpack::<TaskCreate>() {
            self.recorder
                .lifecycle(Lifecycle::Create, &e.container_id, e.pid, published_ns);
        } else if let Ok(Some(e)) = any.unpack::<TaskStart>() {
            self.recorder
                .lifecycle(Lifecycle::Start, &e.container_id, e.pid, published_ns);
        } else if let Ok(Some(e)) = any.unpack::<TaskDelete>() {
            self.recorder
                .lifecycle(Lifecycle::Delete, &e.container_id, e.pid, published_ns);
        }
    }

    /// The handler of containerd's ttrpc event service (Events.Forward from the shims).
    pub fn events_handler(self: &Arc<Self>) -> Handler {
        let me = self.clone();
        let handler: TtrpcHandler = Arc::new(move |req: ttrpc::Request| {
            let me = me.clone();
            Box::pin(async move {
                if let Ok(fwd) = api::ForwardRequest::parse_from_bytes(&req.payload) {
                    me.record_event(fwd.envelope.get_or_default());
                }
                let mut r = ttrpc::Response::new();
                r.set_status(ttrpc::get_status(ttrpc::Code::OK, ""));
                r.payload = Empty::new().write_to_bytes().expect("empty encodes");
                r
            })
        });
        ttrpc_handler(handler)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unset_or_go_zero_exit_time_reads_as_none() {
        assert_eq!(exited_at_ns(&protobuf::MessageField::none()), None);
        let go_zero = Timestamp {
            seconds: -62_135_596_800,
            ..Timestamp::default()
        };
        assert_eq!(exited_at_ns(&protobuf::MessageField::some(go_zero)), None);
    }
}
