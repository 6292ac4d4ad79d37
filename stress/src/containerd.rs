//! containerd's side of the stress method, in real time: the task list, the Task API calls
//! it makes to the shims (real ttrpc request and response encoding, a real sleep each
//! way), List -> State per task with the `get state for` rule, `shimTask.delete`, and CRI's
//! exit monitor. The first State error other than NotFound or Unavailable is the #12336
//! error the method waits for.
//!
//! Every decision containerd makes about a shim's answer is the simulation's own code
//! (`sim/src/containerd/rules.rs`, included below). What differs from the simulated
//! containerd (`sim/src/containerd/mod.rs`), on purpose, to keep the baseline a plain
//! real-time program:
//! - The shim is called in-process (its `TaskService::handle` on the encoded request), not
//!   over a socket; a shim that exited answers NOT_FOUND "ttrpc: closed", which is how
//!   containerd maps a closed connection in State and Delete (the only calls whose
//!   closed answer matters to the method).
//! - No recorder, no history and no events service: the method only waits for its first
//!   `get state for` error.
//! - `ctr task delete` reads the task with the same State as List, not a separate
//!   Tasks.Get; a task not in the list is skipped (ctr prints `no running task found`).
//! - No container metadata, no `ctr container delete` round and no Create refusal for a
//!   listed id: the method never re-creates an id.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use containerd_shim_protos::api;
use containerd_shim_protos::protobuf::Message;
use containerd_shim_protos::ttrpc::{self, Code, Status};
use rand::seq::SliceRandom;
use runtime_model::service::{TaskService, TASK_SERVICE};
use tokio::sync::Notify;

use crate::latency::{self, pause};

// Every rule is the simulated containerd's; the baseline never builds `AlreadyExists`.
#[allow(dead_code)]
#[path = "../../sim/src/containerd/rules.rs"]
mod rules;

/// `io.containerd.timeout.task.state`.
const STATE_TIMEOUT: Duration = Duration::from_secs(2);

/// containerd with its shims and task list.
pub struct Containerd {
    shims: Mutex<BTreeMap<String, Arc<TaskService>>>,
    /// Task id -> sandbox id.
    tasks: Mutex<BTreeMap<String, String>>,
    /// When the first `get state for` error happened, and who waits for it.
    pub first_error: Mutex<Option<Instant>>,
    pub error_seen: Notify,
    /// Set when the attempt is over: the `ctr task ls` loops end.
    pub stop: AtomicBool,
}

impl Containerd {
    pub fn new() -> Arc<Containerd> {
        Arc::new(Containerd {
            shims: Mutex::new(BTreeMap::new()),
            tasks: Mutex::new(BTreeMap::new()),
            first_error: Mutex::new(None),
            error_seen: Notify::new(),
            stop: AtomicBool::new(false),
        })
    }

    pub fn add_shim(&self, sid: &str, shim: Arc<TaskService>) {
        self.shims.lock().unwrap().insert(sid.to_string(), shim);
    }

    /// One Task API call to `sid`'s shim; a shim that exited answers "closed"
    /// (NOT_FOUND, as containerd maps it).
    async fn call<Req: Message, Resp: Message>(
        &self,
        sid: &str,
        method: &str,
        req: &Req,
        timeout: Option<Duration>,
    ) -> Result<Resp, Status> {
        let closed = || ttrpc::get_status(Code::NOT_FOUND, "ttrpc: closed");
        let shim = self
            .shims
            .lock()
            .unwrap()
            .get(sid)
            .cloned()
            .ok_or_else(closed)?;
        let mut request = ttrpc::Request::new();
        request.service = TASK_SERVICE.to_string();
        request.method = method.to_string();
        request.timeout_nano = timeout.map_or(0, |t| t.as_nanos() as i64);
        request.payload = req.write_to_bytes().expect("shim v2 messages encode");
        pause(latency::TTRPC).await;
        let reply = shim.handle(&request).await;
        if reply.exit != runtime_model::common::types::ShimExit::Stay {
            self.shims.lock().unwrap().remove(sid);
        }
        pause(latency::TTRPC).await;
        let status = reply.response.status.clone().unwrap_or_default();
        if status.code() != Code::OK {
            return Err(status);
        }
        Resp::parse_from_bytes(&reply.response.payload)
            .map_err(|e| ttrpc::get_status(Code::INTERNAL, format!("bad payload: {e}")))
    }

    fn sandbox_of(&self, id: &str) -> Option<String> {
        self.tasks.lock().unwrap().get(id).cloned()
    }

    /// Create then Start, as CRI does; the task joins the list after Create.
    pub async fn run_task(&self, sid: &str, id: &str) -> Result<(), Status> {
        let mut create = api::CreateTaskRequest::new();
        create.id = id.into();
        create.bundle = format!("/run/containerd/io.containerd.runtime.v2.task/k8s.io/{id}");
        self.call::<_, api::CreateTaskResponse>(sid, "Create", &create, None)
            .await?;
        self.tasks.lock().unwrap().insert(id.into(), sid.into());
        let mut start = api::StartRequest::new();
        start.id = id.into();
        self.call::<_, api::StartResponse>(sid, "Start", &start, None)
            .await?;
        Ok(())
    }

    /// `getProcessState`: State under the 2 s timeout; any error but NotFound and
    /// Unavailable is the `get state for <id>` error.
    async fn state(&self, sid: &str, id: &str) -> Option<api::StateResponse> {
        let mut req = api::StateRequest::new();
        req.id = id.into();
        match self.call(sid, "State", &req, Some(STATE_TIMEOUT)).await {
            Ok(s) => Some(s),
            Err(s) if rules::state_error_skips_task(rules::class_of_code(s.code())) => None,
            Err(_) => {
                self.first_error
                    .lock()
                    .unwrap()
                    .get_or_insert_with(Instant::now);
                self.error_seen.notify_waiters();
                None
            }
        }
    }

    /// Tasks.List: snapshot the list in Go map order, State each.
    pub async fn list(&self) {
        let mut snapshot: Vec<(String, String)> = self
            .tasks
            .lock()
            .unwrap()
            .iter()
            .map(|(id, sid)| (id.clone(), sid.clone()))
            .collect();
        snapshot.shuffle(&mut rand::thread_rng());
        for (id, sid) in snapshot {
            self.state(&sid, &id).await;
        }
    }

    pub async fn kill(&self, id: &str, signal: u32, all: bool) {
        let Some(sid) = self.sandbox_of(id) else {
            return;
        };
        let mut req = api::KillRequest::new();
        req.id = id.into();
        req.signal = signal;
        req.all = all;
        let _ = self.call::<_, api::Empty>(&sid, "Kill", &req, None).await;
    }

    /// `shimTask.delete`: Delete; on success or NotFound drop the task from the list,
    /// then Shutdown.
    pub async fn delete(&self, id: &str) {
        let Some(sid) = self.sandbox_of(id) else {
            return;
        };
        let mut req = api::DeleteRequest::new();
        req.id = id.into();
        let deleted = self
            .call::<_, api::DeleteResponse>(&sid, "Delete", &req, None)
            .await;
        if let Err(s) = &deleted {
            // A closed connection arrives here as NOT_FOUND "ttrpc: closed" (see above).
            if rules::delete_error_keeps_task(rules::class_of_code(s.code()), false) {
                return;
            }
        }
        self.tasks.lock().unwrap().remove(id);
        let mut shutdown = api::ShutdownRequest::new();
        shutdown.id = id.into();
        let _ = self
            .call::<_, api::Empty>(&sid, "Shutdown", &shutdown, Some(Duration::from_secs(3)))
            .await;
    }

    /// `ctr task delete`: read the task, and Delete it if ctr may.
    pub async fn ctr_task_delete(&self, id: &str) {
        let Some(sid) = self.sandbox_of(id) else {
            return;
        };
        let deletable = self
            .state(&sid, id)
            .await
            .is_some_and(|s| rules::ctr_may_delete(s.status.enum_value_or_default(), s.pid));
        if deletable {
            self.delete(id).await;
        }
    }

    /// CRI's exit monitor: Wait, then Get, Kill(SIGKILL, all) and Delete.
    pub async fn monitor_exit(self: Arc<Self>, id: String) {
        let Some(sid) = self.sandbox_of(&id) else {
            return;
        };
        let mut req = api::WaitRequest::new();
        req.id = id.clone();
        if self
            .call::<_, api::WaitResponse>(&sid, "Wait", &req, None)
            .await
            .is_err()
        {
            return;
        }
        self.state(&sid, &id).await;
        self.kill(&id, 9, true).await;
        self.delete(&id).await;
    }
}
