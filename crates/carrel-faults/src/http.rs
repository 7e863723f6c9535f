//! HTTP-level faults: the upstream handles a request in full, then the client gets something else.
//!
//! Used for "the server committed but the client never learnt it": a canned 500 after the write,
//! a connection dropped after the write, or no answer at all (the client times out). The proxy
//! serves HTTP/1.1 on the client connection with hyper and forwards each request over one
//! keep-alive HTTP/1.1 connection to the upstream, so keep-alive, `Content-Length` and chunked
//! bodies work as they would directly; responses that are not rewritten are streamed through.

use std::error::Error;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Either, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::Mutex;

use crate::abort;
use crate::faults::{ConnectionCounters, Faults};

/// Replaces the upstream's answer to one request, after the upstream has fully answered it.
///
/// The rule counts requests whose path starts with `path_prefix`, across all connections, from the
/// moment it is installed ([`Faults::add_rewrite`]); the `nth` of them (from 1) is rewritten, the
/// others pass through. Only connections accepted while a rule is installed are seen.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseRewrite {
    /// Requests whose path (without the query) starts with this are counted.
    pub path_prefix: String,
    /// Which matching request is rewritten, counting from 1.
    pub nth: u64,
    /// What the client gets instead of the upstream's answer.
    pub action: RewriteAction,
}

/// What the client gets instead of the upstream's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum RewriteAction {
    /// This response; the connection stays usable for later requests.
    Replace(CannedResponse),
    /// The connection is reset without a response ("commit, then the line broke").
    Drop,
    /// Nothing: the connection stays open and silent until the client gives up ("commit, then
    /// timeout").
    Withhold,
}

/// A fixed HTTP response. `Content-Length` is set from the body.
#[derive(Debug, Clone, PartialEq)]
pub struct CannedResponse {
    /// Status code.
    pub status: StatusCode,
    /// Headers, sent as given.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl CannedResponse {
    /// A response with `status`, no headers and an empty body.
    pub fn new(status: StatusCode) -> Self {
        CannedResponse {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    fn to_response(&self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(self.body.clone()));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.clone();
        response
    }
}

impl ResponseRewrite {
    /// Answers the `nth` request under `path_prefix` with `response` instead of the upstream's.
    pub fn replace(path_prefix: impl Into<String>, nth: u64, response: CannedResponse) -> Self {
        ResponseRewrite {
            path_prefix: path_prefix.into(),
            nth,
            action: RewriteAction::Replace(response),
        }
    }

    /// Resets the connection instead of forwarding the upstream's answer to the `nth` request
    /// under `path_prefix`.
    pub fn drop_connection(path_prefix: impl Into<String>, nth: u64) -> Self {
        ResponseRewrite {
            path_prefix: path_prefix.into(),
            nth,
            action: RewriteAction::Drop,
        }
    }

    /// Never answers the `nth` request under `path_prefix` (the upstream still handles it).
    pub fn withhold(path_prefix: impl Into<String>, nth: u64) -> Self {
        ResponseRewrite {
            path_prefix: path_prefix.into(),
            nth,
            action: RewriteAction::Withhold,
        }
    }
}

/// Why a client connection is cut without an answer.
#[derive(Debug)]
enum ProxyError {
    Connect(std::io::Error),
    Upstream(hyper::Error),
    Dropped,
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyError::Connect(error) => write!(f, "connecting to the upstream: {error}"),
            ProxyError::Upstream(error) => write!(f, "forwarding to the upstream: {error}"),
            ProxyError::Dropped => f.write_str("response dropped by a rewrite rule"),
        }
    }
}

impl Error for ProxyError {}

type ProxyBody = Either<Incoming, Full<Bytes>>;

struct Connection {
    upstream: SocketAddr,
    faults: Faults,
    /// The keep-alive connection to the upstream, opened on the first request and again if the
    /// upstream closed it.
    sender: Mutex<Option<SendRequest<Incoming>>>,
}

/// Serves HTTP/1.1 on `client`, forwarding each request to `upstream` and applying rewrites.
pub(crate) async fn serve(
    mut client: TcpStream,
    upstream: SocketAddr,
    faults: Faults,
    counters: &ConnectionCounters,
) {
    let _ = client.set_nodelay(true);
    let connection = Arc::new(Connection {
        upstream,
        faults,
        sender: Mutex::new(None),
    });
    let service = service_fn(|request: Request<Incoming>| {
        counters.requests.fetch_add(1, Ordering::SeqCst);
        let connection = Arc::clone(&connection);
        async move { connection.handle(request).await }
    });
    let served = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(&mut client), service)
        .await;
    if served.is_err() {
        abort(&client);
    }
}

impl Connection {
    async fn handle(&self, request: Request<Incoming>) -> Result<Response<ProxyBody>, ProxyError> {
        let action = self.faults.match_rewrite(request.uri().path());
        let response = {
            let mut sender = self.sender.lock().await;
            let sender = match sender.as_mut() {
                Some(open) if !open.is_closed() => open,
                _ => sender.insert(self.connect().await?),
            };
            sender.ready().await.map_err(ProxyError::Upstream)?;
            sender
                .send_request(request)
                .await
                .map_err(ProxyError::Upstream)?
        };
        let Some(action) = action else {
            return Ok(response.map(Either::Left));
        };
        // Read the whole answer first: then the upstream is done with the request.
        response
            .into_body()
            .collect()
            .await
            .map_err(ProxyError::Upstream)?;
        match action {
            RewriteAction::Replace(canned) => Ok(canned.to_response().map(Either::Right)),
            RewriteAction::Drop => Err(ProxyError::Dropped),
            RewriteAction::Withhold => std::future::pending().await,
        }
    }

    async fn connect(&self) -> Result<SendRequest<Incoming>, ProxyError> {
        let stream = TcpStream::connect(self.upstream)
            .await
            .map_err(ProxyError::Connect)?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(ProxyError::Upstream)?;
        // Ends when the sender is dropped, i.e. with the client connection.
        tokio::spawn(connection);
        Ok(sender)
    }
}
