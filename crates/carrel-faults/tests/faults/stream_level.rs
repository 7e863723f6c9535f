//! Byte-level faults, seen from a plain TCP client through the proxy to an echo server.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use carrel_faults::{ConnectionKind, Direction, Fault, FaultProxy, Latency, ResetRule, Trigger};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{EchoServer, HttpServer, echo, eventually, http_client, payload};

#[tokio::test]
async fn latency_delays_each_direction() {
    let upstream = EchoServer::start().await;
    let proxy = FaultProxy::start(upstream.addr).await.unwrap();
    let delay = Duration::from_millis(150);
    proxy.faults().set_latency(Some(Latency {
        delay,
        jitter: Duration::ZERO,
    }));

    let started = Instant::now();
    let echoed = echo(proxy.addr(), b"ping").await.unwrap();
    let elapsed = started.elapsed();

    assert_eq!(echoed, b"ping");
    assert!(
        elapsed >= 2 * delay,
        "a round trip crosses the delay once each way, took {elapsed:?}"
    );
}

#[tokio::test]
async fn jitter_never_reorders_the_stream() {
    let upstream = EchoServer::start().await;
    let proxy = FaultProxy::start(upstream.addr).await.unwrap();
    proxy.faults().set_latency(Some(Latency {
        delay: Duration::from_millis(5),
        jitter: Duration::from_millis(20),
    }));

    let sent = payload(256 * 1024);
    let echoed = echo(proxy.addr(), &sent).await.unwrap();

    assert!(echoed == sent, "chunks must arrive whole and in order");
}

#[tokio::test]
async fn bandwidth_cap_slows_a_transfer() {
    let upstream = EchoServer::start().await;
    let proxy = FaultProxy::start(upstream.addr).await.unwrap();
    let rate = 200_000;
    proxy.faults().set_bandwidth(Some(rate));

    let sent = payload(200_000);
    let started = Instant::now();
    let echoed = echo(proxy.addr(), &sent).await.unwrap();
    let elapsed = started.elapsed();

    assert!(echoed == sent, "the cap delays bytes, it never loses them");
    let expected = Duration::from_secs_f64(sent.len() as f64 / rate as f64);
    assert!(
        elapsed >= expected / 2,
        "200 KB at 200 KB/s should take about {expected:?}, took {elapsed:?}"
    );
}

#[tokio::test]
async fn reset_cuts_the_request_stream_after_n_bytes_once() {
    let upstream = EchoServer::start().await;
    let proxy = FaultProxy::start(upstream.addr).await.unwrap();
    proxy.faults().set_reset(Some(ResetRule {
        direction: Direction::ClientToUpstream,
        after_bytes: 1000,
        when: Trigger::Once,
    }));

    let cut = echo(proxy.addr(), &payload(5000)).await;
    let error = cut.expect_err("the client sees the cut as an error, not a clean end");
    assert!(
        matches!(
            error.kind(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
        ),
        "a reset, not a timeout or EOF: {error:?}"
    );
    assert_eq!(
        upstream.finished(1).await,
        [1000],
        "the upstream got exactly the bytes before the cut"
    );
    let record = proxy.faults().connections()[0];
    assert!(record.reset, "the proxy records that it cut: {record:?}");
    assert_eq!(record.to_upstream, 1000);

    let sent = payload(5000);
    assert_eq!(
        echo(proxy.addr(), &sent).await.unwrap(),
        sent,
        "`Once` leaves the next connection alone"
    );
}

#[tokio::test]
async fn reset_cuts_a_response_after_the_upstream_handled_the_request() {
    let upstream = HttpServer::start().await;
    let proxy = FaultProxy::start(upstream.addr).await.unwrap();
    proxy.faults().set_reset(Some(ResetRule {
        direction: Direction::UpstreamToClient,
        after_bytes: 50,
        when: Trigger::Once,
    }));
    let client = http_client(Duration::from_secs(10));

    let result = async {
        client
            .post(format!("{}/sync/submissions", proxy.url()))
            .body("answer")
            .send()
            .await?
            .text()
            .await
    }
    .await;

    assert!(result.is_err(), "a cut response is an error: {result:?}");
    assert_eq!(
        upstream.submissions(),
        1,
        "the upstream stored it before the cut"
    );
    let record = proxy.faults().connections()[0];
    assert!(record.reset && record.to_client == 50, "{record:?}");
}

#[tokio::test]
async fn every_nth_and_seeded_probability_pick_connections() {
    let upstream = EchoServer::start().await;
    let outcomes = |trigger| {
        let addr = upstream.addr;
        async move {
            let proxy = FaultProxy::start(addr).await.unwrap();
            proxy.faults().set_reset(Some(ResetRule {
                direction: Direction::UpstreamToClient,
                after_bytes: 3,
                when: trigger,
            }));
            let mut ok = Vec::new();
            for _ in 0..16 {
                ok.push(echo(proxy.addr(), b"hello").await.is_ok());
            }
            let reset: Vec<bool> = proxy
                .faults()
                .connections()
                .iter()
                .map(|c| c.reset)
                .collect();
            (ok, reset)
        }
    };

    let (ok, reset) = outcomes(Trigger::EveryNth(2)).await;
    let expected: Vec<bool> = (1..=16).map(|n| n % 2 != 0).collect();
    assert_eq!(ok, expected, "every 2nd connection fails");
    assert!(
        ok.iter().zip(&reset).all(|(ok, reset)| ok != reset),
        "{reset:?}"
    );

    let seeded = Trigger::Probability { p: 0.5, seed: 7 };
    let (first, _) = outcomes(seeded).await;
    let (second, reset) = outcomes(seeded).await;
    assert_eq!(first, second, "the same seed gives the same failures");
    assert!(first.iter().zip(&reset).all(|(ok, reset)| ok != reset));
    assert!(first.contains(&true) && first.contains(&false), "{first:?}");
}

#[tokio::test]
async fn blackhole_makes_the_client_time_out() {
    let upstream = HttpServer::start().await;
    let proxy = FaultProxy::start(upstream.addr).await.unwrap();
    proxy.faults().set_blackhole(true);
    let client = http_client(Duration::from_millis(500));

    let error = client
        .post(format!("{}/sync/submissions", proxy.url()))
        .body("answer")
        .send()
        .await
        .expect_err("nothing ever answers");

    assert!(
        error.is_timeout(),
        "the client gives up by itself: {error:?}"
    );
    assert_eq!(upstream.submissions(), 0, "nothing reached the upstream");
    let record = proxy.faults().connections()[0];
    assert_eq!(record.kind, ConnectionKind::Blackholed);
    assert!(record.discarded > 0, "the request was read: {record:?}");
}

#[tokio::test]
async fn refuse_gives_a_connection_error() {
    let upstream = EchoServer::start().await;
    let proxy = FaultProxy::start(upstream.addr).await.unwrap();
    proxy.faults().set_refuse(true);

    let raw = echo(proxy.addr(), b"hello").await;
    let http = http_client(Duration::from_secs(10))
        .get(format!("{}/health", proxy.url()))
        .send()
        .await;

    assert!(
        raw.is_err(),
        "a refused connection is an I/O error: {raw:?}"
    );
    assert!(http.is_err(), "and an HTTP request error: {http:?}");
    assert_eq!(upstream.accepted.load(Ordering::SeqCst), 0);
    assert!(
        proxy
            .faults()
            .connections()
            .iter()
            .all(|c| c.kind == ConnectionKind::Refused)
    );
}

#[tokio::test]
async fn scripted_connections_apply_in_order_then_fall_back() {
    let upstream = EchoServer::start().await;
    let proxy = FaultProxy::start(upstream.addr).await.unwrap();
    proxy.faults().next_connections(vec![
        Fault::ResetAfter {
            direction: Direction::UpstreamToClient,
            bytes: 3,
        },
        Fault::Blackhole,
        Fault::None,
    ]);

    let first = echo(proxy.addr(), b"hello").await;
    let second =
        tokio::time::timeout(Duration::from_millis(300), echo(proxy.addr(), b"hello")).await;
    let third = echo(proxy.addr(), b"hello").await;
    let fourth = echo(proxy.addr(), b"hello").await;

    assert!(first.is_err(), "1st: reset after 3 response bytes");
    assert!(second.is_err(), "2nd: blackholed, never answered");
    assert_eq!(third.unwrap(), b"hello", "3rd: untouched");
    assert_eq!(
        fourth.unwrap(),
        b"hello",
        "then the standing settings: none"
    );
    let records = proxy.faults().connections();
    let kinds: Vec<_> = records.iter().map(|c| (c.kind, c.reset)).collect();
    assert_eq!(
        kinds,
        [
            (ConnectionKind::Forwarded, true),
            (ConnectionKind::Blackholed, false),
            (ConnectionKind::Forwarded, false),
            (ConnectionKind::Forwarded, false),
        ]
    );
    assert_eq!(records[0].to_client, 3);
}

#[tokio::test]
async fn settings_change_new_connections_only() {
    let upstream = EchoServer::start().await;
    let proxy = FaultProxy::start(upstream.addr).await.unwrap();
    let mut open = TcpStream::connect(proxy.addr()).await.unwrap();
    open.write_all(b"a").await.unwrap();
    let mut byte = [0; 1];
    open.read_exact(&mut byte).await.unwrap();

    proxy.faults().set_blackhole(true);
    open.write_all(b"b").await.unwrap();
    open.read_exact(&mut byte).await.unwrap();
    assert_eq!(&byte, b"b", "an open connection keeps what it had");

    let fresh = tokio::time::timeout(Duration::from_millis(300), echo(proxy.addr(), b"c")).await;
    assert!(fresh.is_err(), "a new one is blackholed");
    let kinds = eventually(|| {
        let records = proxy.faults().connections();
        async move { (records.len() == 2).then_some(records) }
    })
    .await;
    assert_eq!(kinds[1].kind, ConnectionKind::Blackholed);

    proxy.faults().reset_all();
    assert_eq!(
        echo(proxy.addr(), b"d").await.unwrap(),
        b"d",
        "reset_all clears faults"
    );
}

#[tokio::test]
async fn stop_closes_the_listener_and_open_connections() {
    let upstream = EchoServer::start().await;
    let proxy = FaultProxy::start(upstream.addr).await.unwrap();
    let mut open = TcpStream::connect(proxy.addr()).await.unwrap();
    open.write_all(b"a").await.unwrap();
    let mut byte = [0; 1];
    open.read_exact(&mut byte).await.unwrap();

    proxy.stop();

    let mut rest = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(5), open.read_to_end(&mut rest)).await;
    assert!(ended.is_ok(), "the open connection is closed by the stop");
    let addr = proxy.addr();
    eventually(|| async move { TcpStream::connect(addr).await.is_err().then_some(()) }).await;
}
