//! The shim's side of the vsock to the kata-agent: [`AgentClient`] implements the model's
//! [`Agent`] port by sending encoded [`AgentRequest`]s to the agent in the VM.
//!
//! Its errors read as runtime-rs's agent client's do: the ttrpc-rust 0.8.4 client error
//! itself (`agent/src/kata/agent.rs` passes it on with `?`): `ttrpc err: remote stream
//! closed` when the connection closes, `ttrpc err: Receive packet timeout Elapsed(())`
//! when the deadline passes (`src/asynchronous/client.rs:88-100`), and `rpc status: <the
//! Status, Debug>` for an error the agent answered, with the code the agent gave it
//! ([`AgentError`]).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Result};
use async_trait::async_trait;
use containerd_shim_protos::protobuf;
use containerd_shim_protos::ttrpc::{self, Code};
use runtime_model::agent::{
    Agent, CheckRequest, ContainerID, CreateContainerRequest, CreateSandboxRequest,
    HealthCheckResponse, RemoveContainerRequest, SignalProcessRequest, WaitProcessRequest,
    WaitProcessResponse, DEFAULT_REQUEST_TIMEOUT_MS, HEALTH_CHECK_REQUEST_TIMEOUT_MS,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::rpc::{CallError, Frame, RpcClient};

/// One agent request on the wire.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum AgentRequest {
    CreateSandbox(CreateSandboxRequest),
    DestroySandbox,
    CreateContainer(CreateContainerRequest),
    StartContainer(ContainerID),
    RemoveContainer(RemoveContainerRequest),
    PauseContainer(ContainerID),
    ResumeContainer(ContainerID),
    SignalProcess(SignalProcessRequest),
    WaitProcess(WaitProcessRequest),
    Check(CheckRequest),
}

impl AgentRequest {
    /// The request's name, as the agent's ttrpc method.
    pub fn method(&self) -> &'static str {
        match self {
            AgentRequest::CreateSandbox(_) => "CreateSandbox",
            AgentRequest::DestroySandbox => "DestroySandbox",
            AgentRequest::CreateContainer(_) => "CreateContainer",
            AgentRequest::StartContainer(_) => "StartContainer",
            AgentRequest::RemoveContainer(_) => "RemoveContainer",
            AgentRequest::PauseContainer(_) => "PauseContainer",
            AgentRequest::ResumeContainer(_) => "ResumeContainer",
            AgentRequest::SignalProcess(_) => "SignalProcess",
            AgentRequest::WaitProcess(_) => "WaitProcess",
            AgentRequest::Check(_) => "Check",
        }
    }

    /// The container the request is about, if any.
    pub fn container(&self) -> &str {
        match self {
            AgentRequest::CreateContainer(r) => &r.process_id.container_id.container_id,
            AgentRequest::StartContainer(r)
            | AgentRequest::PauseContainer(r)
            | AgentRequest::ResumeContainer(r) => &r.container_id,
            AgentRequest::RemoveContainer(r) => &r.container_id,
            AgentRequest::SignalProcess(r) => &r.process_id.container_id.container_id,
            AgentRequest::WaitProcess(r) => &r.process_id.container_id.container_id,
            AgentRequest::CreateSandbox(_)
            | AgentRequest::DestroySandbox
            | AgentRequest::Check(_) => "",
        }
    }
}

/// One agent answer on the wire: the reply, or the agent's error text.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum AgentReply {
    Empty,
    Wait(WaitProcessResponse),
    Health(HealthCheckResponse),
}

/// An error the agent answered: the ttrpc status code and message the kata-agent puts on
/// it (3.24.0 `src/agent/src/rpc.rs` `ttrpc_error`: the `{:?}` of the error, INTERNAL
/// unless the handler names another code).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentError {
    /// A `ttrpc::Code`, as its number.
    pub code: i32,
    pub message: String,
}

impl AgentError {
    /// An INTERNAL error: what `map_ttrpc_err(same)` makes of a handler's anyhow error.
    pub fn internal(message: impl Into<String>) -> AgentError {
        AgentError::with_code(Code::INTERNAL, message)
    }

    pub fn with_code(code: Code, message: impl Into<String>) -> AgentError {
        AgentError {
            code: code as i32,
            message: message.into(),
        }
    }
}

pub type AgentAnswer = Result<AgentReply, AgentError>;

pub fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    bincode::serialize(v).expect("agent messages always encode")
}

/// `req` as a request frame (the same bytes as [`encode`], after the frame's header).
pub fn encode_request(req: &AgentRequest) -> Frame {
    let size = bincode::serialized_size(req).expect("agent messages always encode");
    let mut frame = Frame::with_capacity(size as usize);
    bincode::serialize_into(frame.buf(), req).expect("agent messages always encode");
    frame
}

pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T> {
    bincode::deserialize(bytes).map_err(|e| anyhow!("malformed agent message: {e}"))
}

/// Connects to the agent lazily: `start(address)` opens the connection the VMM named.
pub struct AgentClient {
    conn: Mutex<Option<Arc<RpcClient>>>,
    connect: Box<Connector>,
}

/// Opens a connection to the agent at a vsock address (None: no such VM).
pub type Connector = dyn Fn(&str) -> Option<ConnectFuture> + Send + Sync;

pub type ConnectFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<RpcClient>> + Send>>;

impl AgentClient {
    /// `connect` opens a connection to the agent at a vsock address (None: no such VM).
    pub fn new(
        connect: impl Fn(&str) -> Option<ConnectFuture> + Send + Sync + 'static,
    ) -> AgentClient {
        AgentClient {
            conn: Mutex::new(None),
            connect: Box::new(connect),
        }
    }

    /// One shim -> agent RPC; its span (target `kata_dst::timeline`, TRACE level, never
    /// entered) lasts from the call to its answer, for the timeline.
    async fn call(&self, req: AgentRequest) -> Result<AgentReply> {
        let span = tracing::trace_span!(
            target: "kata_dst::timeline",
            "agent_rpc",
            method = req.method(),
            container = req.container(),
            error = tracing::field::Empty,
        );
        let answer = self.exchange(req).await;
        if let Err(e) = &answer {
            span.record("error", tracing::field::display(e));
        }
        answer
    }

    async fn exchange(&self, req: AgentRequest) -> Result<AgentReply> {
        let deadline = match req {
            AgentRequest::WaitProcess(_) => None,
            AgentRequest::Check(_) => Some(Duration::from_millis(HEALTH_CHECK_REQUEST_TIMEOUT_MS)),
            _ => Some(Duration::from_millis(DEFAULT_REQUEST_TIMEOUT_MS)),
        };
        let conn = self
            .conn
            .lock()
            .await
            .clone()
            .ok_or_else(|| anyhow!("agent not connected"))?;
        let answer = conn
            .call(encode_request(&req), deadline)
            .await
            .map_err(|e| match e {
                CallError::Closed => anyhow!("ttrpc err: remote stream closed"),
                CallError::Timeout => anyhow!("ttrpc err: Receive packet timeout Elapsed(())"),
            })?;
        decode::<AgentAnswer>(&answer)?.map_err(|e| {
            let code = <Code as protobuf::Enum>::from_i32(e.code).unwrap_or(Code::UNKNOWN);
            anyhow!("rpc status: {:?}", ttrpc::get_status(code, e.message))
        })
    }

    async fn call_empty(&self, req: AgentRequest) -> Result<()> {
        self.call(req).await.map(|_| ())
    }
}

impl AgentClient {
    /// Closes the connection to the agent, if one is open (the VM lives on): calls in
    /// flight on it and every later one fail with `ttrpc err: remote stream closed`.
    pub async fn close(&self) {
        if let Some(conn) = self.conn.lock().await.as_ref() {
            conn.close();
        }
    }
}

#[async_trait]
impl Agent for AgentClient {
    async fn start(&self, address: &str) -> Result<()> {
        let connect = (self.connect)(address).ok_or_else(|| anyhow!("no agent at {address}"))?;
        let client = connect.await?;
        *self.conn.lock().await = Some(Arc::new(client));
        Ok(())
    }
    async fn create_sandbox(&self, req: CreateSandboxRequest) -> Result<()> {
        self.call_empty(AgentRequest::CreateSandbox(req)).await
    }
    async fn destroy_sandbox(&self) -> Result<()> {
        self.call_empty(AgentRequest::DestroySandbox).await
    }
    async fn create_container(&self, req: CreateContainerRequest) -> Result<()> {
        self.call_empty(AgentRequest::CreateContainer(req)).await
    }
    async fn start_container(&self, req: ContainerID) -> Result<()> {
        self.call_empty(AgentRequest::StartContainer(req)).await
    }
    async fn remove_container(&self, req: RemoveContainerRequest) -> Result<()> {
        self.call_empty(AgentRequest::RemoveContainer(req)).await
    }
    async fn pause_container(&self, req: ContainerID) -> Result<()> {
        self.call_empty(AgentRequest::PauseContainer(req)).await
    }
    async fn resume_container(&self, req: ContainerID) -> Result<()> {
        self.call_empty(AgentRequest::ResumeContainer(req)).await
    }
    async fn signal_process(&self, req: SignalProcessRequest) -> Result<()> {
        self.call_empty(AgentRequest::SignalProcess(req)).await
    }
    async fn wait_process(&self, req: WaitProcessRequest) -> Result<WaitProcessResponse> {
        match self.call(AgentRequest::WaitProcess(req)).await? {
            AgentReply::Wait(w) => Ok(w),
            other => Err(anyhow!("unexpected agent reply {other:?}")),
        }
    }
    async fn check(&self, req: CheckRequest) -> Result<HealthCheckResponse> {
        match self.call(AgentRequest::Check(req)).await? {
            AgentReply::Health(h) => Ok(h),
            other => Err(anyhow!("unexpected agent reply {other:?}")),
        }
    }
    async fn stop(&self) {
        *self.conn.lock().await = None;
    }
}
