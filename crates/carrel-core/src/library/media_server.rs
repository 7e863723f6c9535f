//! A loopback HTTP server for course audio and video, where custom schemes cannot carry media.
//!
//! WebKitGTK hands a `<video>`'s URL straight to GStreamer, which has no source for custom URI
//! schemes, so media from `carrel-content://` fails with a format error on Linux (WebKit bug
//! 146351; measured here: `MediaPlayerPrivateGStreamer … loadingFailed: FormatError`). Media is
//! therefore served from `http://127.0.0.1:<port>/<token>/<course>/<path>`, answered exactly like
//! the scheme ([`super::content::serve`]: Range, ETag, media type, CSP), and only:
//! - on the loopback interface, to requests whose `Host` is that address (no DNS rebinding);
//! - under a random 128-bit token that only this process knows and hands to the content window;
//! - for the course the content window shows ([`OpenCourse`]).
//!
//! Other local processes cannot guess the token; a web page in a browser cannot name the host.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::Library;
use super::content::{decode_path, encode_path, serve, status};

/// The course the content window shows: the only one its media may come from.
#[derive(Debug, Clone, Default)]
pub struct OpenCourse(Arc<RwLock<Option<String>>>);

impl OpenCourse {
    /// The open course's id.
    pub fn get(&self) -> Option<String> {
        self.0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Records which course is open (or none).
    pub fn set(&self, course_id: Option<String>) {
        *self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = course_id;
    }
}

/// The running media server.
#[derive(Debug, Clone)]
pub struct MediaServer {
    addr: SocketAddr,
    token: String,
}

impl MediaServer {
    /// Starts the server on a free loopback port; it runs until the runtime stops.
    pub async fn start(library: Arc<Library>, open: OpenCourse) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut secret = [0u8; 16];
        getrandom::fill(&mut secret).map_err(|e| std::io::Error::other(e.to_string()))?;
        let token = carrel_package::archive::hex(&secret);
        let shared = Arc::new((library, open, token.clone(), format!("{addr}")));
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let shared = shared.clone();
                        async move {
                            let (library, open, token, host) = &*shared;
                            let response = tokio::task::spawn_blocking({
                                let library = library.clone();
                                let open = open.clone();
                                let token = token.clone();
                                let host = host.clone();
                                move || answer(&library, &open, &token, &host, &request)
                            })
                            .await
                            .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR));
                            Ok::<_, Infallible>(response.map(|body| Full::new(Bytes::from(body))))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self { addr, token })
    }

    /// The URL of `path` in `course_id`.
    pub fn url_of(&self, course_id: &str, path: &str) -> String {
        format!(
            "{}{}/{}",
            self.base(),
            encode_path(course_id),
            encode_path(path)
        )
    }

    /// The server's origin (`http://127.0.0.1:<port>`), for content policies.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The prefix of every URL this server answers.
    pub fn base(&self) -> String {
        format!("{}/{}/", self.origin(), self.token)
    }
}

fn answer<B>(
    library: &Library,
    open: &OpenCourse,
    token: &str,
    host: &str,
    request: &Request<B>,
) -> Response<Vec<u8>> {
    let host_ok = request
        .headers()
        .get(http::header::HOST)
        .and_then(|value| value.to_str().ok())
        == Some(host);
    if !host_ok {
        return status(StatusCode::MISDIRECTED_REQUEST);
    }
    let path = request.uri().path();
    let Some(rest) = path
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(token))
        .and_then(|p| p.strip_prefix('/'))
    else {
        return status(StatusCode::NOT_FOUND);
    };
    let Some((course, file)) = rest.split_once('/') else {
        return status(StatusCode::NOT_FOUND);
    };
    if open.get().as_deref() != Some(course) {
        return status(StatusCode::FORBIDDEN);
    }
    let Some(file) = decode_path(file) else {
        return status(StatusCode::NOT_FOUND);
    };
    serve(library, course, &file, request.method(), request.headers())
}
