//! Upstreams for the tests and small client helpers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

/// A TCP server that echoes every byte back and half-closes when the client does. It records
/// how many bytes each connection delivered, once that connection is over.
pub struct EchoServer {
    pub addr: SocketAddr,
    /// Bytes received per finished connection, in finishing order.
    pub received: Arc<Mutex<Vec<u64>>>,
    pub accepted: Arc<AtomicU64>,
}

impl EchoServer {
    pub async fn start() -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind echo");
        let addr = listener.local_addr().expect("echo address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::new(AtomicU64::new(0));
        let (record, count) = (Arc::clone(&received), Arc::clone(&accepted));
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let record = Arc::clone(&record);
                tokio::spawn(async move {
                    let mut total = 0u64;
                    let mut buf = vec![0; 16 * 1024];
                    loop {
                        match stream.read(&mut buf).await {
                            Ok(0) => {
                                let _ = stream.shutdown().await;
                                break;
                            }
                            Ok(n) => {
                                total += n as u64;
                                if stream.write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                            Err(_) => break,
                        }
                    }
                    record.lock().await.push(total);
                });
            }
        });
        EchoServer {
            addr,
            received,
            accepted,
        }
    }

    /// Waits (up to 5 s) for `n` connections to be over, and returns their byte counts.
    pub async fn finished(&self, n: usize) -> Vec<u64> {
        let received = Arc::clone(&self.received);
        eventually(move || {
            let received = Arc::clone(&received);
            async move {
                let received = received.lock().await;
                (received.len() >= n).then(|| received.clone())
            }
        })
        .await
    }
}

/// Polls `check` every 10 ms until it yields, panicking after 5 s.
pub async fn eventually<T, F, Fut>(mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the condition should hold within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Sends `payload` through an echo connection at `addr`, half-closes, and reads everything back.
/// Writing and reading run together, so large payloads do not deadlock on full buffers.
pub async fn echo(addr: SocketAddr, payload: &[u8]) -> std::io::Result<Vec<u8>> {
    let stream = TcpStream::connect(addr).await?;
    let (mut read, mut write) = stream.into_split();
    let payload = payload.to_vec();
    let writer = tokio::spawn(async move {
        write.write_all(&payload).await?;
        write.shutdown().await?;
        // Keep the half alive until the reader is done: dropping it is harmless after shutdown.
        Ok::<_, std::io::Error>(write)
    });
    let mut echoed = Vec::new();
    let read_result = read.read_to_end(&mut echoed).await;
    let write_result = writer.await.expect("the writer task does not panic");
    read_result?;
    write_result?;
    Ok(echoed)
}

/// A payload whose bytes are not all the same, so truncation or reordering would show.
pub fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// An HTTP upstream: `POST /sync/submissions` counts and answers 201 with `stored`;
/// `GET /big` answers 100 KB; `GET /health` answers `ok`.
pub struct HttpServer {
    pub addr: SocketAddr,
    pub submissions: Arc<AtomicU64>,
}

impl HttpServer {
    pub async fn start() -> HttpServer {
        let submissions = Arc::new(AtomicU64::new(0));
        let router = Router::new()
            .route(
                "/sync/submissions",
                post(
                    |State(count): State<Arc<AtomicU64>>, body: axum::body::Bytes| async move {
                        count.fetch_add(1, Ordering::SeqCst);
                        (
                            axum::http::StatusCode::CREATED,
                            format!("stored {}", body.len()),
                        )
                    },
                ),
            )
            .route("/big", get(|| async { payload(100 * 1024) }))
            .route("/health", get(|| async { "ok" }))
            .with_state(Arc::clone(&submissions));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind http");
        let addr = listener.local_addr().expect("http address");
        tokio::spawn(async move { axum::serve(listener, router).await });
        HttpServer { addr, submissions }
    }

    pub fn submissions(&self) -> u64 {
        self.submissions.load(Ordering::SeqCst)
    }
}

/// A reqwest client with the given overall timeout.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .expect("an HTTP client builds")
}
