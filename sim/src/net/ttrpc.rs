//! ttrpc between containerd and a shim: each call is a real ttrpc `Request` protobuf
//! carrying the shim v2 message, answered by a ttrpc `Response` with a `Status`.

use std::sync::Arc;
use std::time::Duration;

use containerd_shim_protos::protobuf::rt::WireType;
use containerd_shim_protos::protobuf::{CodedOutputStream, Message};
use containerd_shim_protos::ttrpc::{self, Code, Status};

use super::rpc::{CallError, Frame, Handler, RpcClient};

/// Why a ttrpc call failed, as containerd's ttrpc client sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum TtrpcError {
    /// The server answered with a non-OK status.
    Status(Status),
    /// The connection closed (`ttrpc: closed`).
    Closed,
    /// The caller's context deadline passed.
    DeadlineExceeded,
    /// The caller's context was cancelled before the answer came.
    Canceled,
}

impl TtrpcError {
    /// The text containerd logs for this error.
    pub fn message(&self) -> String {
        match self {
            TtrpcError::Status(s) => s.message.clone(),
            TtrpcError::Closed => "ttrpc: closed".to_string(),
            TtrpcError::DeadlineExceeded => "context deadline exceeded".to_string(),
            TtrpcError::Canceled => "context canceled".to_string(),
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
        // The server runs on the same dilated clock, so the deadline travels in its units.
        let timeout_nano = timeout.map_or(0, |t| crate::clock::to_madsim(t).as_nanos() as i64);
        self.call_with_wire_timeout(method, req, timeout_nano, timeout)
            .await
    }

    /// Calls `method` with `req`, sending `timeout_nano` (madsim ns; zero for none, and
    /// negative for a deadline already past, as Go's ttrpc sends `time.Until`) and
    /// waiting at most `wait` here.
    pub async fn call_with_wire_timeout<Req: Message, Resp: Message>(
        &self,
        method: &str,
        req: &Req,
        timeout_nano: i64,
        wait: Option<Duration>,
    ) -> Result<Resp, TtrpcError> {
        let frame = encode_request(self.service, method, req, timeout_nano);
        let answer = self.rpc.call(frame, wait).await.map_err(|e| match e {
            CallError::Closed => TtrpcError::Closed,
            CallError::Timeout => TtrpcError::DeadlineExceeded,
        })?;
        let mut response = ttrpc::Response::parse_from_bytes(&answer).map_err(|e| {
            TtrpcError::Status(ttrpc::get_status(
                Code::INTERNAL,
                format!("bad response: {e}"),
            ))
        })?;
        let status = response.status.take().unwrap_or_default();
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

/// A ttrpc `Request` frame for `req`, encoded in one pass: the bytes
/// `ttrpc::Request { service, method, payload: req encoded, timeout_nano }` encodes to,
/// without building the `Request` and its payload buffer first.
fn encode_request<Req: Message>(
    service: &str,
    method: &str,
    req: &Req,
    timeout_nano: i64,
) -> Frame {
    let size = req.compute_size();
    let mut frame = Frame::with_capacity(service.len() + method.len() + size as usize + 24);
    let mut os = CodedOutputStream::vec(frame.buf());
    // Field by field as the generated `Request::write_to_with_cached_sizes`: proto3 leaves
    // out empty and zero fields.
    let written = (|| {
        if !service.is_empty() {
            os.write_string(1, service)?;
        }
        if !method.is_empty() {
            os.write_string(2, method)?;
        }
        if size > 0 {
            os.write_tag(3, WireType::LengthDelimited)?;
            os.write_raw_varint32(size as u32)?;
            req.write_to_with_cached_sizes(&mut os)?;
        }
        if timeout_nano != 0 {
            os.write_int64(4, timeout_nano)?;
        }
        os.flush()
    })();
    written.expect("ttrpc requests always encode");
    drop(os);
    frame
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
    Arc::new(move |request: Frame| {
        let handler = handler.clone();
        Box::pin(async move {
            let response = match ttrpc::Request::parse_from_bytes(request.body()) {
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

#[cfg(test)]
mod tests {
    use containerd_shim_protos::api;
    use containerd_shim_protos::protobuf::Message;
    use containerd_shim_protos::ttrpc;

    /// The frame's body is exactly what encoding a `ttrpc::Request` gives.
    fn same_as_request<M: Message>(service: &str, method: &str, req: &M, timeout_nano: i64) {
        let mut expected = ttrpc::Request::new();
        expected.service = service.to_string();
        expected.method = method.to_string();
        expected.payload = req.write_to_bytes().unwrap();
        expected.timeout_nano = timeout_nano;
        let frame = super::encode_request(service, method, req, timeout_nano);
        assert_eq!(frame.body(), expected.write_to_bytes().unwrap().as_slice());
        let decoded = ttrpc::Request::parse_from_bytes(frame.body()).unwrap();
        assert_eq!(decoded, expected);
    }

    #[test]
    fn requests_encode_as_ttrpc_requests() {
        let mut state = api::StateRequest::new();
        state.id = "race-test-1-c1".into();
        same_as_request(
            "containerd.task.v3.Task",
            "State",
            &state,
            2_000_000_000_000,
        );
        let mut kill = api::KillRequest::new();
        kill.id = "c".repeat(300);
        kill.signal = 9;
        kill.all = true;
        same_as_request("containerd.task.v3.Task", "Kill", &kill, 0);
        // An all-default message has an empty payload, which proto3 leaves out.
        same_as_request(
            "containerd.task.v3.Task",
            "Shutdown",
            &api::ShutdownRequest::new(),
            0,
        );
        same_as_request("", "", &api::Empty::new(), -1);
    }
}
