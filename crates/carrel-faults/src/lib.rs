//! Network faults for Carrel's sync tests, injected by a proxy between the client and the server.
//!
//! The sync code must survive slow links, connections cut in the middle of a body, servers that
//! never answer and answers lost after the server committed. `tc netem` does not work on the
//! machines these tests run on and no Toxiproxy server is installable, so a test starts the real
//! `carrel-server` on port 0, puts a [`FaultProxy`] in front of it, points the client at
//! [`FaultProxy::url`] and switches faults on and off through the proxy's [`Faults`] handle.
//!
//! Two layers:
//! - **Bytes** (plain TCP copying): latency with jitter, a bandwidth cap, a TCP reset after so many
//!   bytes in one direction, a blackhole, refused connections, and a per-connection script.
//! - **HTTP** ([`ResponseRewrite`]): the upstream handles a request in full, then the client gets a
//!   canned response, a dropped connection or no answer at all instead of the real one — "the
//!   server committed but the client does not know".
//!
//! Server-side behaviours that need the server's own knowledge (409, 422, 429 with `Retry-After`,
//! 401 in the middle of a queue, duplicate acknowledgements) belong in the server's test hooks,
//! not here.
//!
//! Faults are decided when a connection is accepted: a setting changes what *new* connections
//! get, never a connection already open. An HTTP client that keeps connections alive keeps the
//! old behaviour on them, so set faults before the first request or use a fresh client.

mod faults;
mod forward;
mod http;
mod rng;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

pub use faults::{
    ConnectionKind, ConnectionRecord, Direction, Fault, Faults, Latency, ResetRule, Trigger,
};
pub use http::{CannedResponse, ResponseRewrite, RewriteAction};

use faults::Plan;

/// A TCP proxy on `127.0.0.1` (a free port) in front of one upstream address, injecting the faults
/// set on its [`Faults`] handle. Dropping it stops it.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    faults: Faults,
    accept_task: JoinHandle<()>,
}

impl FaultProxy {
    /// Binds `127.0.0.1:0` and starts forwarding every accepted connection to `upstream`, with no
    /// faults until some are set. Must be called inside a Tokio runtime.
    pub async fn start(upstream: SocketAddr) -> io::Result<FaultProxy> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let faults = Faults::default();
        let accept_task = tokio::spawn(accept_connections(listener, upstream, faults.clone()));
        Ok(FaultProxy {
            addr,
            faults,
            accept_task,
        })
    }

    /// The address clients should connect to instead of the upstream.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The proxy's base URL, `http://127.0.0.1:<port>`, with no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The handle that sets faults and reads per-connection counters; clone it freely.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Stops accepting and aborts every open connection. Idempotent; also done on drop. The
    /// listening socket closes once the runtime has dropped the aborted task, shortly after.
    pub fn stop(&self) {
        self.accept_task.abort();
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Accepts until aborted. The connection tasks live in a `JoinSet` owned by this task, so aborting
/// it aborts them all.
async fn accept_connections(listener: TcpListener, upstream: SocketAddr, faults: Faults) {
    let mut connections = JoinSet::new();
    loop {
        let client = match listener.accept().await {
            Ok((client, _)) => client,
            // Out of file descriptors and the like: wait rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        let (plan, counters) = faults.plan_connection();
        let faults = faults.clone();
        connections.spawn(async move {
            match plan {
                Plan::Refuse => abort(&client),
                Plan::Blackhole => forward::blackhole(client, &counters).await,
                Plan::Forward(shaping) => {
                    forward::forward(client, upstream, &shaping, &counters).await
                }
                Plan::Http => http::serve(client, upstream, faults, &counters).await,
            }
            counters.finish();
        });
    }
}

/// Makes the next close of `stream` send a TCP RST instead of a FIN (`SO_LINGER` 0), so the peer
/// sees "connection reset" rather than a clean end of stream.
fn abort(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
}
