//! `service/src/task_service.rs`: the containerd shim v2 Task service over ttrpc.
//!
//! A request arrives as a ttrpc `Request` whose payload is the shim v2 protobuf message
//! (containerd-shim-protos); it is translated to a [`TaskRequest`], handled, and the
//! [`TaskResponse`] is translated back. Every handler error becomes
//! `ttrpc::Error::Others(format!("failed to handle message {:?}", err))`, which the ttrpc
//! server sends as status UNKNOWN with the error's `{:?}` as message (profile `rs-*`).
//!
//! The program behind the service is a [`TaskHandler`]: runtime-rs's
//! `RuntimeHandlerManager` (and the Go shim through its switches), or containerd's
//! reference shim (`reference_shim::Service`, profile `runc-v2`), so one world and one
//! set of clients drive either.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use containerd_shim_protos::api;
use containerd_shim_protos::protobuf::well_known_types::timestamp::Timestamp;
use containerd_shim_protos::protobuf::{Message, MessageField, MessageFull};
use containerd_shim_protos::ttrpc::{self, Code, Status};

use anyhow::Context;

use crate::common::types::{
    verify_id, ContainerConfig, ContainerProcess, KillRequest, ProcessStateInfo, ProcessStatus,
    ShimExit, ShutdownRequest, TaskRequest, TaskResponse,
};
use crate::common::Error;
use crate::profile::{ErrorMapping, UnsetExitTime};
use crate::sync::held::task_span;
use tracing::Instrument;

/// The ttrpc service name of the shim v2 Task API.
pub const TASK_SERVICE: &str = "containerd.task.v3.Task";

/// The answer to one request, and whether (and how) the shim process ends with it.
pub struct ServiceReply {
    pub response: ttrpc::Response,
    pub exit: ShimExit,
}

/// A program that serves the Task API's requests once they are translated.
#[async_trait::async_trait]
pub trait TaskHandler: Send + Sync {
    /// Serves one request (runtime-rs: `handler_task_message`).
    async fn handler_task_message(&self, req: TaskRequest) -> anyhow::Result<TaskResponse>;
    /// The ttrpc status a handler error is sent as.
    fn error_status(&self, err: &anyhow::Error) -> Status;
    /// The ids of the containers the program holds, sorted; for a harness's inspection.
    async fn container_ids(&self) -> Vec<String>;
}

pub struct TaskService {
    handler: Arc<dyn TaskHandler>,
    unset_exit_time: UnsetExitTime,
}

impl TaskService {
    /// Serves `handler`'s answers, writing an exit time the process does not have yet as
    /// `unset_exit_time` says.
    pub fn new(handler: Arc<dyn TaskHandler>, unset_exit_time: UnsetExitTime) -> TaskService {
        TaskService {
            handler,
            unset_exit_time,
        }
    }

    /// Serves one ttrpc request. When the client set `timeout_nano`, the handler runs
    /// inside that timeout and, like the ttrpc server, an expired one answers
    /// DEADLINE_EXCEEDED `timeout` (the handler future is dropped).
    pub async fn handle(&self, req: &ttrpc::Request) -> ServiceReply {
        let task_req = match translate_request(req) {
            Ok(r) => r,
            Err(status) => return reply_status(status),
        };
        let task = task_span("request", &req.method, task_req.container_id());
        let handling = self.handler.handler_task_message(task_req).instrument(task);
        let result = if req.timeout_nano > 0 {
            let deadline = Duration::from_nanos(req.timeout_nano as u64);
            match crate::sync::timeout(deadline, handling).await {
                Some(r) => r,
                None => return reply_status(ttrpc::get_status(Code::DEADLINE_EXCEEDED, "timeout")),
            }
        } else {
            handling.await
        };
        match result {
            Ok(resp) => {
                let exit = match resp {
                    TaskResponse::ShutdownContainer(exit) => exit,
                    _ => ShimExit::Stay,
                };
                ServiceReply {
                    response: ok_response(translate_response(resp, self.unset_exit_time)),
                    exit,
                }
            }
            Err(err) => reply_status(self.handler.error_status(&err)),
        }
    }
}

fn reply_status(status: Status) -> ServiceReply {
    let mut response = ttrpc::Response::new();
    response.set_status(status);
    ServiceReply {
        response,
        exit: ShimExit::Stay,
    }
}

fn ok_response(payload: Vec<u8>) -> ttrpc::Response {
    let mut response = ttrpc::Response::new();
    response.set_status(ttrpc::get_status(Code::OK, ""));
    response.payload = payload;
    response
}

/// anyhow's `{:?}` layout (message, then `Caused by:` with the chain) without the
/// backtrace section, which would make the text depend on RUST_BACKTRACE.
pub fn error_chain_debug(err: &anyhow::Error) -> String {
    let mut out = err.to_string();
    let causes: Vec<String> = err.chain().skip(1).map(|c| c.to_string()).collect();
    match causes.len() {
        0 => {}
        1 => out.push_str(&format!("\n\nCaused by:\n    {}", causes[0])),
        _ => {
            out.push_str("\n\nCaused by:");
            for (i, c) in causes.iter().enumerate() {
                out.push_str(&format!("\n    {i}: {c}"));
            }
        }
    }
    out
}

/// The ttrpc status a handler error is sent as.
pub fn error_status(mapping: ErrorMapping, err: &anyhow::Error) -> Status {
    match mapping {
        ErrorMapping::OthersUnknown => {
            let e = ttrpc::Error::Others(format!(
                "failed to handle message {}",
                error_chain_debug(err)
            ));
            ttrpc::get_status(Code::UNKNOWN, format!("{e:?}"))
        }
        // Go `service.go` getContainer: `errdefs.ToGRPCf(errdefs.ErrNotFound, "container
        // does not exist %s")`; `errors.go` toGRPC: the root cause, when its text says "not
        // found" or "not exist", is NotFound with that text; any other error is UNKNOWN with
        // the whole chain.
        ErrorMapping::GoErrdefs => match err.root_cause().downcast_ref::<Error>() {
            Some(Error::ContainerNotFound(id)) => ttrpc::get_status(
                Code::NOT_FOUND,
                format!("container does not exist {id}: not found"),
            ),
            _ => {
                let cause = err.root_cause().to_string();
                if cause.contains("not found") || cause.contains("not exist") {
                    ttrpc::get_status(Code::NOT_FOUND, cause)
                } else {
                    ttrpc::get_status(Code::UNKNOWN, format!("{err:#}"))
                }
            }
        },
    }
}

fn decode<M: MessageFull>(req: &ttrpc::Request) -> Result<M, Status> {
    M::parse_from_bytes(&req.payload).map_err(|e| {
        ttrpc::get_status(
            Code::INVALID_ARGUMENT,
            format!("failed to decode {}: {e}", M::descriptor().name()),
        )
    })
}

/// `handler_message`'s refusal of a request it cannot translate
/// (`service/src/task_service.rs:39-41`): UNKNOWN, `Others("failed to translate from shim
/// {err:?}")`.
fn untranslatable(err: &anyhow::Error) -> Status {
    let e = ttrpc::Error::Others(format!(
        "failed to translate from shim {}",
        error_chain_debug(err)
    ));
    ttrpc::get_status(Code::UNKNOWN, format!("{e:?}"))
}

/// `ContainerProcess::new(..).context("new process id")` as `trans_from_shim.rs` does.
fn process_id(id: &str, exec_id: &str) -> Result<ContainerProcess, Status> {
    ContainerProcess::new(id, exec_id)
        .context("new process id")
        .map_err(|e| untranslatable(&e))
}

/// Pause, Resume and Connect carry a `ContainerID::new(id)` (`trans_from_shim.rs:272-283, 310-314`).
fn container_id(id: &str) -> Result<ContainerProcess, Status> {
    verify_id(id)
        .context("verify container id")
        .map_err(|e| untranslatable(&e))?;
    Ok(ContainerProcess::init(id))
}

/// The [`TaskRequest`] a ttrpc request carries, or the status that refuses it.
pub fn translate_request(req: &ttrpc::Request) -> Result<TaskRequest, Status> {
    if req.service != TASK_SERVICE {
        return Err(ttrpc::get_status(
            Code::NOT_FOUND,
            format!("/{}/{} is not supported", req.service, req.method),
        ));
    }
    Ok(match req.method.as_str() {
        "Create" => {
            let r: api::CreateTaskRequest = decode(req)?;
            let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
            TaskRequest::CreateContainer(ContainerConfig {
                container_id: r.id.clone(),
                bundle: r.bundle.clone(),
                terminal: r.terminal,
                stdin: opt(&r.stdin),
                stdout: opt(&r.stdout),
                stderr: opt(&r.stderr),
            })
        }
        "Start" => {
            let r: api::StartRequest = decode(req)?;
            TaskRequest::StartProcess(process_id(&r.id, &r.exec_id)?)
        }
        "State" => {
            let r: api::StateRequest = decode(req)?;
            TaskRequest::StateProcess(process_id(&r.id, &r.exec_id)?)
        }
        "Kill" => {
            let r: api::KillRequest = decode(req)?;
            TaskRequest::KillProcess(KillRequest {
                process: process_id(&r.id, &r.exec_id)?,
                signal: r.signal,
                all: r.all,
            })
        }
        "Wait" => {
            let r: api::WaitRequest = decode(req)?;
            TaskRequest::WaitProcess(process_id(&r.id, &r.exec_id)?)
        }
        "Delete" => {
            let r: api::DeleteRequest = decode(req)?;
            TaskRequest::DeleteProcess(process_id(&r.id, &r.exec_id)?)
        }
        "Shutdown" => {
            let r: api::ShutdownRequest = decode(req)?;
            TaskRequest::ShutdownContainer(ShutdownRequest {
                container_id: r.id.clone(),
                is_now: r.now,
            })
        }
        "Pause" => {
            let r: api::PauseRequest = decode(req)?;
            TaskRequest::PauseContainer(container_id(&r.id)?)
        }
        "Resume" => {
            let r: api::ResumeRequest = decode(req)?;
            TaskRequest::ResumeContainer(container_id(&r.id)?)
        }
        "Connect" => {
            let r: api::ConnectRequest = decode(req)?;
            TaskRequest::ConnectContainer(container_id(&r.id)?)
        }
        other => {
            return Err(ttrpc::get_status(
                Code::NOT_FOUND,
                format!("/{TASK_SERVICE}/{other} is not supported"),
            ))
        }
    })
}

/// containerd's task `Status` for a runtime `ProcessStatus`.
pub fn shim_status(status: ProcessStatus) -> api::Status {
    match status {
        ProcessStatus::Unknown => api::Status::UNKNOWN,
        ProcessStatus::Created => api::Status::CREATED,
        ProcessStatus::Running => api::Status::RUNNING,
        ProcessStatus::Stopped => api::Status::STOPPED,
        ProcessStatus::Paused => api::Status::PAUSED,
        ProcessStatus::Pausing => api::Status::PAUSING,
    }
}

/// The wire form of an exit time; `None` (no exit yet) as `unset` says.
fn exit_time(at: Option<SystemTime>, unset: UnsetExitTime) -> MessageField<Timestamp> {
    match (at, unset) {
        (Some(at), _) => MessageField::some(at.into()),
        (None, UnsetExitTime::Omitted) => MessageField::none(),
        (None, UnsetExitTime::GoZeroTime) => MessageField::some(Timestamp {
            seconds: GO_ZERO_TIME_UNIX_SECONDS,
            ..Timestamp::default()
        }),
    }
}

/// Go's zero `time.Time`, 0001-01-01T00:00:00Z, in Unix seconds (what `timestamppb.New`
/// writes for it).
const GO_ZERO_TIME_UNIX_SECONDS: i64 = -62_135_596_800;

fn state_response(s: ProcessStateInfo, unset: UnsetExitTime) -> api::StateResponse {
    let mut r = api::StateResponse::new();
    r.id = s.container_id;
    r.exec_id = s.exec_id;
    r.bundle = s.bundle;
    r.pid = s.pid;
    r.status = shim_status(s.status).into();
    r.stdin = s.stdin.unwrap_or_default();
    r.stdout = s.stdout.unwrap_or_default();
    r.stderr = s.stderr.unwrap_or_default();
    r.terminal = s.terminal;
    r.exit_status = s.exit_status as u32;
    r.exited_at = exit_time(s.exited_at, unset);
    r
}

fn encode<M: Message>(m: &M) -> Vec<u8> {
    m.write_to_bytes().expect("shim v2 messages always encode")
}

fn translate_response(resp: TaskResponse, unset: UnsetExitTime) -> Vec<u8> {
    match resp {
        TaskResponse::CreateContainer(pid) => {
            let mut r = api::CreateTaskResponse::new();
            r.pid = pid;
            encode(&r)
        }
        TaskResponse::StartProcess(pid) => {
            let mut r = api::StartResponse::new();
            r.pid = pid;
            encode(&r)
        }
        TaskResponse::StateProcess(s) => encode(&state_response(s, unset)),
        TaskResponse::DeleteProcess(s) => {
            let mut r = api::DeleteResponse::new();
            r.pid = s.pid;
            r.exit_status = s.exit_status as u32;
            r.exited_at = exit_time(s.exited_at, unset);
            encode(&r)
        }
        TaskResponse::WaitProcess(e) => {
            let mut r = api::WaitResponse::new();
            r.exit_status = e.exit_code as u32;
            r.exited_at = exit_time(e.exit_time, unset);
            encode(&r)
        }
        TaskResponse::ConnectContainer(pids) => {
            let mut r = api::ConnectResponse::new();
            r.shim_pid = pids.shim_pid;
            r.task_pid = pids.task_pid;
            encode(&r)
        }
        TaskResponse::KillProcess
        | TaskResponse::ShutdownContainer(_)
        | TaskResponse::PauseContainer
        | TaskResponse::ResumeContainer => encode(&api::Empty::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_of_missing() -> anyhow::Error {
        let r: anyhow::Result<()> = Err(Error::ContainerNotFound("c1".into()).into());
        r.context("state process")
            .context("handler TaskRequest")
            .unwrap_err()
    }

    #[test]
    fn rs_error_text_is_the_one_containerd_logged_in_issue_12336() {
        let status = error_status(ErrorMapping::OthersUnknown, &state_of_missing());
        assert_eq!(status.code(), Code::UNKNOWN);
        assert_eq!(
            status.message,
            "Others(\"failed to handle message handler TaskRequest\\n\\nCaused by:\\n    \
             0: state process\\n    1: failed to find container c1\")"
        );
    }

    #[test]
    fn go_maps_a_missing_container_to_not_found() {
        let status = error_status(ErrorMapping::GoErrdefs, &state_of_missing());
        assert_eq!(status.code(), Code::NOT_FOUND);
        assert_eq!(status.message, "container does not exist c1: not found");
        let r: anyhow::Result<()> = Err(anyhow::anyhow!("process c1 not found: ESRCH"));
        let status = error_status(ErrorMapping::GoErrdefs, &r.context("kill").unwrap_err());
        assert_eq!(
            (status.code(), status.message.as_str()),
            (Code::NOT_FOUND, "process c1 not found: ESRCH")
        );
    }

    #[test]
    fn chain_with_one_cause_is_not_numbered() {
        let r: anyhow::Result<()> = Err(anyhow::anyhow!("root"));
        let e = r.context("outer").unwrap_err();
        assert_eq!(error_chain_debug(&e), "outer\n\nCaused by:\n    root");
    }

    #[test]
    fn an_invalid_id_is_refused_as_untranslatable() {
        let mut state = api::StateRequest::new();
        state.id = "c".into();
        let mut req = ttrpc::Request::new();
        req.service = TASK_SERVICE.into();
        req.method = "State".into();
        req.payload = encode(&state);
        let status = translate_request(&req).unwrap_err();
        assert_eq!(status.code(), Code::UNKNOWN);
        assert_eq!(
            status.message,
            "Others(\"failed to translate from shim new process id\\n\\nCaused by:\\n    \
             0: verify container id\\n    1: invalid container ID c\")"
        );
    }

    #[test]
    fn an_exit_time_not_yet_known_is_omitted_by_rust_and_go_zero_by_go() {
        let delete = |unset| {
            let reply = translate_response(
                TaskResponse::DeleteProcess(ProcessStateInfo::default()),
                unset,
            );
            api::DeleteResponse::parse_from_bytes(&reply)
                .unwrap()
                .exited_at
        };
        assert!(delete(UnsetExitTime::Omitted).is_none());
        let zero = delete(UnsetExitTime::GoZeroTime).unwrap();
        // 0001-01-01T00:00:00Z is 719,162 days before the Unix epoch.
        assert_eq!((zero.seconds, zero.nanos), (-719_162 * 86_400, 0));
        let exited = SystemTime::UNIX_EPOCH + Duration::from_secs(7);
        let known = exit_time(Some(exited), UnsetExitTime::GoZeroTime).unwrap();
        assert_eq!(known.seconds, 7);
    }

    #[test]
    fn unknown_method_is_not_supported() {
        let mut req = ttrpc::Request::new();
        req.service = TASK_SERVICE.into();
        req.method = "Checkpoint".into();
        let status = translate_request(&req).unwrap_err();
        assert_eq!(status.code(), Code::NOT_FOUND);
        assert_eq!(
            status.message,
            "/containerd.task.v3.Task/Checkpoint is not supported"
        );
    }
}
