//! Request/response over a madsim [`Endpoint`].
//!
//! A request is one message with tag [`REQUEST_TAG`], a [`Frame`]: the caller's stream
//! id, then the body; the answer comes back to the caller with the stream id as tag. Each
//! direction first waits the one-way delay the run's [`Timing`] decides for the wire.
//! A caller learns that its peer died (node killed, process exited) from the peer's
//! liveness watch, the way a unix-socket client sees its connection close.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use madsim::net::Endpoint;
use runtime_model::sync::watch;

use crate::fault::Gate;
use crate::latency::{pause, Site, Timing};

/// The tag servers receive requests on.
pub const REQUEST_TAG: u64 = u64::MAX;

/// Why a call got no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    /// The peer is gone: its node was killed or its process exited.
    Closed,
    /// The caller's deadline passed first.
    Timeout,
}

/// Liveness of a simulated process; its clients watch it.
#[derive(Clone)]
pub struct Liveness(Arc<watch::Sender<bool>>);

impl Liveness {
    pub fn new(up: bool) -> Liveness {
        Liveness(Arc::new(watch::channel(up).0))
    }

    pub fn set(&self, up: bool) {
        self.0.send_replace(up);
    }

    pub fn is_up(&self) -> bool {
        *self.0.borrow()
    }

    pub fn watch(&self) -> watch::Receiver<bool> {
        self.0.subscribe()
    }
}

/// The client side of one connection to a server.
pub struct RpcClient {
    ep: Endpoint,
    server: SocketAddr,
    peer: Liveness,
    timing: Arc<dyn Timing>,
    wire: Site,
    /// The gate of the link this connection runs over (a held link holds requests).
    gate: Gate,
    /// Up until the connection itself is closed ([`RpcClient::close`]), the peer alive.
    open: Liveness,
    next_stream: AtomicU32,
}

impl RpcClient {
    pub async fn connect(
        server: SocketAddr,
        peer: Liveness,
        timing: Arc<dyn Timing>,
        wire: Site,
        gate: Gate,
    ) -> io::Result<RpcClient> {
        Ok(RpcClient {
            ep: Endpoint::bind("0.0.0.0:0").await?,
            server,
            peer,
            timing,
            wire,
            gate,
            open: Liveness::new(true),
            next_stream: AtomicU32::new(1),
        })
    }

    /// Sends `request` and waits for the answer body, at most `deadline` when given.
    pub async fn call(
        &self,
        request: Frame,
        deadline: Option<Duration>,
    ) -> Result<Vec<u8>, CallError> {
        let exchange = self.exchange(request);
        match deadline {
            Some(d) => crate::clock::timeout(d, exchange)
                .await
                .unwrap_or(Err(CallError::Timeout)),
            None => exchange.await,
        }
    }

    async fn exchange(&self, mut request: Frame) -> Result<Vec<u8>, CallError> {
        // Odd stream ids, as a ttrpc client numbers its streams.
        let stream = self.next_stream.fetch_add(2, Ordering::Relaxed);
        request.set_stream(stream);
        pause(&*self.timing, self.wire).await;
        self.gate.pass().await;
        if !self.peer.is_up() || !self.open.is_up() {
            return Err(CallError::Closed);
        }
        self.ep
            .send_to_raw(self.server, REQUEST_TAG, Box::new(request.0))
            .await
            .map_err(|_| CallError::Closed)?;
        let mut peer = self.peer.watch();
        let mut open = self.open.watch();
        tokio::select! {
            biased;
            answer = self.ep.recv_from_raw(u64::from(stream)) => {
                let (payload, _) = answer.map_err(|_| CallError::Closed)?;
                Ok(*payload.downcast::<Vec<u8>>().expect("rpc answers are byte frames"))
            }
            _ = peer.wait_for(|up| !up) => Err(CallError::Closed),
            _ = open.wait_for(|open| !open) => Err(CallError::Closed),
        }
    }

    /// Closes the connection (the peer lives on): every call in flight on it, and every
    /// later one, fails as closed.
    pub fn close(&self) {
        self.open.set(false);
    }
}

/// A request on the wire: the caller's stream id (4 bytes, big-endian) then the body.
/// The body is encoded straight after the header, so a request is built in one buffer.
pub struct Frame(Vec<u8>);

const HEADER: usize = 4;

impl Frame {
    /// An empty request with room for a body of about `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Frame {
        let mut buf = Vec::with_capacity(HEADER + capacity);
        buf.extend_from_slice(&[0; HEADER]);
        Frame(buf)
    }

    /// The buffer the body is appended to (it starts with the header).
    pub fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.0[HEADER..]
    }

    fn set_stream(&mut self, stream: u32) {
        self.0[..HEADER].copy_from_slice(&stream.to_be_bytes());
    }

    /// A received request frame, if it has a header.
    fn received(buf: Vec<u8>) -> Option<(u32, Frame)> {
        let header: [u8; HEADER] = buf.get(..HEADER)?.try_into().ok()?;
        Some((u32::from_be_bytes(header), Frame(buf)))
    }
}

/// What a server does with one request (its [`Frame::body`]): the answer body, or None for
/// no answer.
pub type Handler =
    Arc<dyn Fn(Frame) -> Pin<Box<dyn Future<Output = Option<Vec<u8>>> + Send>> + Send + Sync>;

/// Serves requests on `ep` until the endpoint fails, each in its own task (a ttrpc server
/// handles a connection's requests concurrently). Answers wait at `gate` (a held link
/// holds them).
pub async fn serve(
    ep: Endpoint,
    timing: Arc<dyn Timing>,
    wire: Site,
    gate: Gate,
    handler: Handler,
) {
    let ep = Arc::new(ep);
    loop {
        let Ok((payload, from)) = ep.recv_from_raw(REQUEST_TAG).await else {
            return;
        };
        let buf = *payload
            .downcast::<Vec<u8>>()
            .expect("rpc requests are byte frames");
        let Some((stream, request)) = Frame::received(buf) else {
            continue;
        };
        let (ep, timing, gate, handler) =
            (ep.clone(), timing.clone(), gate.clone(), handler.clone());
        tokio::spawn(async move {
            if let Some(answer) = handler(request).await {
                pause(&*timing, wire).await;
                gate.pass().await;
                let _ = ep
                    .send_to_raw(from, u64::from(stream), Box::new(answer))
                    .await;
            }
        });
    }
}
