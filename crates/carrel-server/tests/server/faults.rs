//! The server's fault knobs do what they say: the committing ones store the submission (a retry
//! gets its receipt), the others store nothing and answer what a real server under trouble would;
//! `CARREL_SERVER_FAULTS` gives a separately started binary the same plan.

use std::time::Duration;

use carrel_protocol::submissions::{Receipt, submission_path};
use carrel_server::faults::Fault;
use reqwest::{Method, StatusCode};

use crate::support::Class;

fn body(id: &str) -> String {
    let payload = Class::essay("essay", "x");
    let payload = format!(r#"{{"submissionId":"{id}",{}"#, &payload[1..]);
    format!(r#"{{"kind":"assignment","payload":{payload}}}"#)
}

async fn put(class: &Class, id: &str) -> Result<reqwest::Response, reqwest::Error> {
    class
        .fx
        .client
        .put(class.fx.url(&submission_path(id)))
        .bearer_auth(&class.ana)
        .header("Content-Type", "application/json")
        .body(body(id))
        .timeout(Duration::from_secs(5))
        .send()
        .await
}

#[tokio::test]
async fn committing_faults_store_the_submission_and_a_retry_gets_its_receipt() {
    let class = Class::start().await;
    let faults = class.fx.server.faults();

    faults.script([Fault::CommitThen500]);
    let failed = put(&class, "s-500").await.unwrap();
    assert_eq!(
        Class::error(failed).await,
        (StatusCode::INTERNAL_SERVER_ERROR, "internal".into())
    );
    assert_eq!(class.count("submissions").await, 1, "stored before the 500");
    let retry = put(&class, "s-500").await.unwrap();
    assert_eq!(retry.status(), StatusCode::OK);
    assert!(retry.json::<Receipt>().await.unwrap().replayed);

    faults.script([Fault::CommitThenTimeout {
        hold: Duration::from_millis(300),
    }]);
    let started = std::time::Instant::now();
    let outcome = put(&class, "s-timeout").await;
    assert!(
        outcome.is_err(),
        "no answer arrives, not even a status line: {outcome:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the request was held"
    );
    assert_eq!(
        class.count("submissions").await,
        2,
        "stored before the connection dropped"
    );
    let retry = put(&class, "s-timeout").await.unwrap();
    assert_eq!(retry.status(), StatusCode::OK);

    // Duplicate ack: a retry is answered as if it were new, with the first receipt.
    let first: Receipt = put(&class, "s-dup").await.unwrap().json().await.unwrap();
    faults.script([Fault::DuplicateAck]);
    let again = put(&class, "s-dup").await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    let again: Receipt = again.json().await.unwrap();
    assert_eq!(again, first, "the same receipt, replayed: false");
    assert_eq!(class.count("submissions").await, 3);
    assert_eq!(faults.remaining(), 0);
}

#[tokio::test]
async fn refusing_faults_store_nothing() {
    let class = Class::start().await;
    let faults = class.fx.server.faults();
    faults.script([
        Fault::InFlight,
        Fault::Unprocessable,
        Fault::TooManyRequests {
            retry_after_secs: 7,
        },
    ]);
    let in_flight = put(&class, "r-1").await.unwrap();
    assert_eq!(in_flight.headers()["retry-after"], "1");
    assert_eq!(
        Class::error(in_flight).await,
        (StatusCode::CONFLICT, "in_flight".into())
    );
    let conflict = put(&class, "r-1").await.unwrap();
    assert_eq!(
        Class::error(conflict).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_conflict".into()
        )
    );
    let busy = put(&class, "r-1").await.unwrap();
    assert_eq!(busy.headers()["retry-after"], "7");
    assert_eq!(
        Class::error(busy).await,
        (StatusCode::TOO_MANY_REQUESTS, "too_many_requests".into())
    );
    assert_eq!(class.count("submissions").await, 0, "nothing stored");
    assert_eq!(
        put(&class, "r-1").await.unwrap().status(),
        StatusCode::CREATED,
        "then normal"
    );

    // 401 mid-queue: one passes, the next two are refused, then they pass again.
    faults.script([Fault::Pass, Fault::Unauthorized, Fault::Unauthorized]);
    let mut statuses = Vec::new();
    for id in ["q-1", "q-2", "q-3", "q-4"] {
        let response = put(&class, id).await.unwrap();
        if response.status() == StatusCode::UNAUTHORIZED {
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
        }
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, vec![201, 401, 401, 201]);
    assert_eq!(class.count("submissions").await, 3);
    // Only submissions are affected.
    faults.script([Fault::Unauthorized]);
    let me = class
        .send(
            Method::GET,
            carrel_protocol::auth::ME_PATH,
            Some(&class.ana),
            None,
        )
        .await;
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(faults.remaining(), 1);
}
