//! ttrpc between containerd and a shim: each call is a real ttrpc `Request` protobuf
//! carrying the shim v2 message, answered by a ttrpc `Response` with a `Status`.

use std::sync::Arc;
use std::time::Duration;

use containerd_shim_protos::protobuf::Message;
use containerd_shim_protos::ttrpc::{self, Code, Status};

use super::rpc::{CallError, Handler, RpcClient};

/// Why a ttrpc call failed, as containerd's ttrpc client sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum TtrpcError {
    /// The server answered with a non-OK status.
    Status(Status),
    /// The connection closed (`ttrpc: closed`).
    Closed,
    /// The caller's context deadline passed.
    DeadlineExceeded,
}

impl TtrpcError {
    /// The text containerd logs for this error.
    pub fn message(&self) -> String {
        match self {
            TtrpcError::Status(s) => s.message.clone(),
            TtrpcError::Closed => "ttrpc: closed".to_string(),
            TtrpcError::DeadlineExceeded => "context deadline exceeded".to_string(),
        }
    }
}

/// A ttrpc client on a simulated connection.
pub struct TtrpcClient {
    rpc: RpcClient,
    service: &'static str,
}

impl TtrpcClient {
    pub fn new(rpc: RpcClient, service: &'static str) -> TtrpcClient {
        TtrpcClient { rpc, service }
    }

    /// Calls `method` with `req`; `timeout` is both sent to the server and enforced here.
    pub async fn call<Req: Message, Resp: Message>(
        &self,
        method: &str,
        req: &Req,
        timeout: Option<Duration>,
    ) -> Result<Resp, TtrpcError> {
        let mut request = ttrpc::Request::new();
        request.service = self.service.to_string();
        request.method = method.to_string();
        // The server runs on the same dilated clock, so the deadline travels in its units.
        request.timeout_nano = timeout.map_or(0, |t| crate::clock::to_madsim(t).as_nanos() as i64);
        request.payload = req
            .write_to_bytes()
            .expect("shim v2 messages always encode");
        let body = request
            .write_to_bytes()
            .expect("ttrpc requests always encode");
        let answer = self.rpc.call(body, timeout).await.map_err(|e| match e {
            CallError::Closed => TtrpcError::Closed,
            CallError::Timeout => TtrpcError::DeadlineExceeded,
        })?;
        let response = ttrpc::Response::parse_from_bytes(&answer).map_err(|e| {
            TtrpcError::Status(ttrpc::get_status(
                Code::INTERNAL,
                format!("bad response: {e}"),
            ))
        })?;
        let status = response.status.clone().unwrap_or_default();
        if status.code() != Code::OK {
            return Err(TtrpcError::Status(status));
        }
        Resp::parse_from_bytes(&response.payload).map_err(|e| {
            TtrpcError::Status(ttrpc::get_status(
                Code::INTERNAL,
                format!("bad payload: {e}"),
            ))
        })
    }
}

/// A server-side ttrpc handler: the decoded request in, the response out.
pub type TtrpcHandler = Arc<
    dyn Fn(
            ttrpc::Request,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ttrpc::Response> + Send>>
        + Send
        + Sync,
>;

/// Wraps a ttrpc handler as a raw rpc handler: decode the request frame, encode the answer.
pub fn ttrpc_handler(handler: TtrpcHandler) -> Handler {
    Arc::new(move |body: Vec<u8>| {
        let handler = handler.clone();
        Box::pin(async move {
            let response = match ttrpc::Request::parse_from_bytes(&body) {
                Ok(req) => handler(req).await,
                Err(e) => {
                    let mut r = ttrpc::Response::new();
                    r.set_status(ttrpc::get_status(Code::INVALID_ARGUMENT, e.to_string()));
                    r
                }
            };
            Some(
                response
                    .write_to_bytes()
                    .expect("ttrpc responses always encode"),
            )
        })
    })
}
