//! Byte-level forwarding: copy both directions, delaying, capping and cutting as planned.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until};

use crate::abort;
use crate::faults::{ConnectionCounters, Direction, Shaping};
use crate::rng::SplitMix64;

const CHUNK: usize = 16 * 1024;

/// Why forwarding stopped before both sides closed.
enum Stop {
    /// A reset rule fired.
    Reset,
    /// A peer failed (reset, broken pipe); passed on as a reset to the other side.
    Io,
}

/// Forwards `client` to a new connection to `upstream` until both directions reach end of
/// stream, or a side fails, or the planned reset fires — then both sides get a TCP RST.
pub(crate) async fn forward(
    mut client: TcpStream,
    upstream: SocketAddr,
    shaping: &Shaping,
    counters: &ConnectionCounters,
) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        abort(&client);
        return;
    };
    // Without Nagle, the last bytes before a planned reset are sent at once rather than held
    // back (and then thrown away by the reset).
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let outcome = {
        let (client_read, client_write) = client.split();
        let (server_read, server_write) = server.split();
        let up = pump(
            client_read,
            server_write,
            Direction::ClientToUpstream,
            shaping,
            &counters.to_upstream,
        );
        let down = pump(
            server_read,
            client_write,
            Direction::UpstreamToClient,
            shaping,
            &counters.to_client,
        );
        tokio::try_join!(up, down)
    };
    match outcome {
        Ok(_) => {}
        Err(stop) => {
            if matches!(stop, Stop::Reset) {
                counters.reset.store(true, Ordering::SeqCst);
            }
            abort(&client);
            abort(&server);
        }
    }
}

/// Reads everything the client sends and throws it away, never answering — not even with a FIN
/// when the client half-closes: the socket stays open until the client resets it or the proxy
/// stops, as if the packets went nowhere.
pub(crate) async fn blackhole(mut client: TcpStream, counters: &ConnectionCounters) {
    let mut buf = vec![0; CHUNK];
    loop {
        match client.read(&mut buf).await {
            Ok(0) => std::future::pending::<()>().await,
            Ok(read) => {
                counters.discarded.fetch_add(read as u64, Ordering::SeqCst);
            }
            Err(_) => return,
        }
    }
}

/// Copies one direction. A reader stamps each chunk with the time it may leave and queues it; a
/// writer waits for that time and the token bucket, so latency delays the stream without
/// throttling it.
async fn pump(
    mut from: ReadHalf<'_>,
    mut to: WriteHalf<'_>,
    direction: Direction,
    shaping: &Shaping,
    written: &AtomicU64,
) -> Result<(), Stop> {
    let (queue, mut queued) = mpsc::channel::<(Instant, Bytes)>(64);
    let seed = match direction {
        Direction::ClientToUpstream => shaping.seed,
        Direction::UpstreamToClient => !shaping.seed,
    };
    let latency = shaping.latency;
    let read = async move {
        let mut rng = SplitMix64::new(seed);
        let mut last_due = Instant::now();
        loop {
            let mut buf = BytesMut::with_capacity(CHUNK);
            if from.read_buf(&mut buf).await.map_err(|_| Stop::Io)? == 0 {
                // Dropping the queue tells the writer to pass the end of stream on.
                return Ok(());
            }
            let now = Instant::now();
            let due = match latency {
                Some(latency) => {
                    let spread = latency.jitter.as_nanos() as u64;
                    let jitter = match spread {
                        0 => Duration::ZERO,
                        _ => Duration::from_nanos(rng.next_u64() % (spread + 1)),
                    };
                    // Never before an earlier chunk: jitter must not reorder the stream.
                    (now + latency.delay + jitter).max(last_due)
                }
                None => now,
            };
            last_due = due;
            if queue.send((due, buf.freeze())).await.is_err() {
                return Ok(());
            }
        }
    };
    let cut_after = shaping
        .reset
        .filter(|(cut, _)| *cut == direction)
        .map(|(_, bytes)| bytes);
    let write = async {
        let mut bucket = shaping.bandwidth.map(TokenBucket::new);
        let mut sent = 0u64;
        while let Some((due, mut chunk)) = queued.recv().await {
            if latency.is_some() {
                sleep_until(due).await;
            }
            let cut_here = cut_after.is_some_and(|limit| sent + chunk.len() as u64 >= limit);
            if let Some(limit) = cut_after.filter(|_| cut_here) {
                chunk.truncate((limit - sent) as usize);
            }
            write_shaped(&mut to, &chunk, bucket.as_mut(), written).await?;
            sent += chunk.len() as u64;
            if cut_here {
                return Err(Stop::Reset);
            }
        }
        to.shutdown().await.map_err(|_| Stop::Io)
    };
    tokio::try_join!(read, write).map(|_| ())
}

async fn write_shaped(
    to: &mut WriteHalf<'_>,
    mut bytes: &[u8],
    mut bucket: Option<&mut TokenBucket>,
    written: &AtomicU64,
) -> Result<(), Stop> {
    while !bytes.is_empty() {
        let n = match bucket.as_deref_mut() {
            Some(bucket) => {
                let n = bytes.len().min(bucket.burst);
                bucket.take(n).await;
                n
            }
            None => bytes.len(),
        };
        to.write_all(&bytes[..n]).await.map_err(|_| Stop::Io)?;
        written.fetch_add(n as u64, Ordering::SeqCst);
        bytes = &bytes[n..];
    }
    Ok(())
}

/// Bytes per second with a burst of 50 ms worth (at least one byte).
struct TokenBucket {
    rate: f64,
    burst: usize,
    tokens: f64,
    refilled: Instant,
}

impl TokenBucket {
    fn new(bytes_per_sec: u64) -> Self {
        let rate = bytes_per_sec.max(1) as f64;
        let burst = ((rate / 20.0) as usize).clamp(1, CHUNK);
        TokenBucket {
            rate,
            burst,
            tokens: burst as f64,
            refilled: Instant::now(),
        }
    }

    /// Waits until `n` (at most `burst`) bytes may be sent, and spends them.
    async fn take(&mut self, n: usize) {
        self.refill();
        let missing = n as f64 - self.tokens;
        if missing > 0.0 {
            sleep(Duration::from_secs_f64(missing / self.rate)).await;
            self.refill();
        }
        self.tokens -= n as f64;
    }

    fn refill(&mut self) {
        let now = Instant::now();
        let earned = now.duration_since(self.refilled).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + earned).min(self.burst as f64);
        self.refilled = now;
    }
}
