//! Response rewrites: the upstream handled the request, the client saw something else.

use std::time::Duration;

use carrel_faults::{CannedResponse, ConnectionKind, FaultProxy, ResponseRewrite};
use http::StatusCode;
use http::header::RETRY_AFTER;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{HttpServer, eventually, http_client};

async fn submit(client: &reqwest::Client, url: &str) -> reqwest::Result<(StatusCode, String)> {
    let response = client
        .post(format!("{url}/sync/submissions"))
        .body("answer")
        .send()
        .await?;
    Ok((response.status(), response.text().await?))
}

#[tokio::test]
async fn replace_answers_after_the_upstream_committed() {
    let upstream = HttpServer::start().await;
    let proxy = FaultProxy::start(upstream.addr).await.unwrap();
    proxy.faults().add_rewrite(ResponseRewrite::replace(
        "/sync",
        1,
        CannedResponse::new(StatusCode::INTERNAL_SERVER_ERROR)
            .with_header(RETRY_AFTER, http::HeaderValue::from_static("1"))
            .with_body("canned"),
    ));
    let client = http_client(Duration::from_secs(10));

    let (status, body) = submit(&client, &proxy.url()).await.unwrap();
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, "canned")
    );
    assert_eq!(
        upstream.submissions(),
        1,
        "the upstream handled it exactly once"
    );

    let (status, body) = submit(&client, &proxy.url()).await.unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::CREATED, "stored 6"));
    assert_eq!(upstream.submissions(), 2);
    let records = proxy.faults().connections();
    assert_eq!(
        records.len(),
        1,
        "the second request reused the kept-alive connection"
    );
    assert_eq!(
        (records[0].kind, records[0].requests),
        (ConnectionKind::Http, 2)
    );
    assert_eq!(proxy.faults().rewrites_applied(), 1);
}

#[tokio::test]
async fn non_matching_requests_pass_through_and_do_not_count() {
    let upstream = HttpServer::start().await;
    let proxy = FaultProxy::start(upstream.addr).await.unwrap();
    proxy
        .faults()
        .add_rewrite(ResponseRewrite::drop_connection("/sync", 2));
    let client = http_client(Duration::from_secs(10));

    let big = client
        .get(format!("{}/big", proxy.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        big.bytes().await.unwrap().len(),
        100 * 1024,
        "streamed through whole"
    );
    assert_eq!(
        submit(&client, &proxy.url()).await.unwrap().0,
        StatusCode::CREATED
    );
    assert!(
        submit(&client, &proxy.url()).await.is_err(),
        "the 2nd /sync request is dropped"
    );
    assert_eq!(upstream.submissions(), 2);
}

#[tokio::test]
async fn drop_cuts_the_connection_after_the_upstream_committed() {
    let upstream = HttpServer::start().await;
    let proxy = FaultProxy::start(upstream.addr).await.unwrap();
    proxy
        .faults()
        .add_rewrite(ResponseRewrite::drop_connection("/sync/submissions", 1));
    let client = http_client(Duration::from_secs(10));

    let error = submit(&client, &proxy.url())
        .await
        .expect_err("no response arrives");
    assert!(!error.is_timeout(), "cut, not timed out: {error:?}");
    assert_eq!(
        upstream.submissions(),
        1,
        "the upstream handled it exactly once"
    );

    let (status, _) = submit(&client, &proxy.url()).await.unwrap();
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a retry on a new connection works"
    );
    assert_eq!(upstream.submissions(), 2);
}

#[tokio::test]
async fn withhold_leaves_the_client_to_time_out() {
    let upstream = HttpServer::start().await;
    let proxy = FaultProxy::start(upstream.addr).await.unwrap();
    proxy
        .faults()
        .add_rewrite(ResponseRewrite::withhold("/sync", 1));
    let client = http_client(Duration::from_millis(500));

    let error = submit(&client, &proxy.url()).await.expect_err("no answer");
    assert!(error.is_timeout(), "{error:?}");
    eventually(|| async { (upstream.submissions() == 1).then_some(()) }).await;
}

/// Chunked request bodies and keep-alive, checked on the wire.
#[tokio::test]
async fn chunked_requests_and_keep_alive_survive_the_http_layer() {
    let upstream = HttpServer::start().await;
    let proxy = FaultProxy::start(upstream.addr).await.unwrap();
    proxy.faults().add_rewrite(ResponseRewrite::replace(
        "/sync",
        1,
        CannedResponse::new(StatusCode::SERVICE_UNAVAILABLE),
    ));
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    let request = "POST /sync/submissions HTTP/1.1\r\nHost: test\r\n\
                   Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n";

    stream.write_all(request.as_bytes()).await.unwrap();
    let first = read_response(&mut stream).await;
    stream.write_all(request.as_bytes()).await.unwrap();
    let second = read_response(&mut stream).await;

    assert!(first.starts_with("HTTP/1.1 503"), "{first}");
    assert!(second.starts_with("HTTP/1.1 201"), "{second}");
    assert!(
        second.ends_with("stored 7"),
        "the chunked body arrived whole: {second}"
    );
    assert_eq!(upstream.submissions(), 2);
}

/// Reads one response with a `Content-Length` body.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut byte = [0; 1];
    while !bytes.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).await.unwrap();
        bytes.push(byte[0]);
    }
    let head = String::from_utf8(bytes.clone()).unwrap();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .expect("a Content-Length header");
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.unwrap();
    head + &String::from_utf8(body).unwrap()
}
