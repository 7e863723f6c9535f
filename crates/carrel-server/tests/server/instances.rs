//! Several instances on one database, as behind a load balancer: two servers in this process,
//! each with its own connections, on the same database and data folder. On PostgreSQL when the
//! suite runs with `CARREL_TEST_POSTGRES` (`scripts/with-postgres`), on one SQLite file (WAL,
//! two connections) otherwise. Retries of one submission that land on both at once are stored
//! once; the changes feed read from either, while both write to it, misses nothing and repeats
//! nothing.

use carrel_protocol::changes::{CHANGES_PATH, ChangesPage};
use carrel_protocol::submissions::{Receipt, submission_path};
use carrel_server::testing::LoopbackServer;

use crate::support::{CLASS_COURSE, Class};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_submission_sent_to_two_instances_at_once_is_stored_once() {
    let class = Class::start().await;
    let first = &class.fx.server;
    let second = LoopbackServer::another_instance(first).await.unwrap();
    let http = &class.fx.client;
    let n = 40;
    for k in 0..n {
        let (token, id) = if k % 2 == 0 {
            (&class.ana, format!("ana-essay-{k}"))
        } else {
            (&class.ben, format!("ben-essay-{k}"))
        };
        let payload = Class::essay(&format!("essay-{k}"), "the same words");
        let body = format!(
            r#"{{"kind":"assignment","payload":{{"submissionId":"{id}",{}}}"#,
            &payload[1..]
        );
        let put = |base: String| {
            http.put(format!("{base}{}", submission_path(&id)))
                .bearer_auth(token)
                .header("Content-Type", "application/json")
                .body(body.clone())
                .send()
        };
        // The client's retry reaches the other instance while the first try is still in flight.
        let (a, b) = tokio::join!(put(first.url()), put(second.url()));
        let mut receipts = Vec::new();
        for response in [a.unwrap(), b.unwrap()] {
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert!(status == 200 || status == 201, "{id}: {status} {text}");
            receipts.push(serde_json::from_str::<Receipt>(&text).unwrap());
        }
        assert_eq!(
            receipts[0].server_id, receipts[1].server_id,
            "{id}: one record"
        );
        assert_eq!(receipts[0].sha256, receipts[1].sha256);
        assert_eq!(
            receipts.iter().filter(|r| !r.replayed).count(),
            1,
            "{id}: exactly one instance stored it, the other found it: {receipts:?}"
        );
        // A later retry on either instance is a replay of the same record.
        let again: Receipt = put(second.url()).await.unwrap().json().await.unwrap();
        assert!(again.replayed);
        assert_eq!(again.server_id, receipts[0].server_id);
    }
    assert_eq!(class.count("submissions").await, n);
    second.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_changes_feed_read_from_either_instance_misses_and_repeats_nothing() {
    let class = Class::start().await;
    let first = &class.fx.server;
    let second = LoopbackServer::another_instance(first).await.unwrap();
    let (writers, each) = (4, 40);
    // Each instance's own storage writes announcements, concurrently.
    let mut writing = tokio::task::JoinSet::new();
    for writer in 0..writers {
        let server = if writer % 2 == 0 { first } else { &second };
        let storage = carrel_server::Storage::open(server.db()).unwrap();
        writing.spawn(async move {
            for k in 0..each {
                carrel_server::changes::announce(
                    &storage,
                    CLASS_COURSE,
                    &format!("w{writer}-{k}"),
                    "body",
                )
                .await
                .unwrap();
            }
        });
    }
    // Meanwhile a learner's device follows the feed, each page from the other instance, until
    // the writers are done and a page brings nothing new.
    let mut cursor = 0;
    let mut seen: Vec<i64> = Vec::new();
    let mut turn = 0;
    loop {
        let finished = writing.is_empty();
        let base = if turn % 2 == 0 {
            first.url()
        } else {
            second.url()
        };
        turn += 1;
        let page: ChangesPage = class
            .fx
            .client
            .get(format!("{base}{CHANGES_PATH}?after={cursor}"))
            .bearer_auth(&class.ana)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for change in &page.changes {
            assert!(
                seen.last().is_none_or(|last| change.seq > *last),
                "seq {} after {:?}: the feed went back",
                change.seq,
                seen.last()
            );
            seen.push(change.seq);
        }
        cursor = page.cursor;
        if finished && page.changes.is_empty() {
            break;
        }
        while let Some(done) = writing.try_join_next() {
            done.unwrap();
        }
        tokio::task::yield_now().await;
    }
    // Everything written is what the device saw: none skipped while an earlier number was still
    // being committed on the other instance.
    let all: ChangesPage = class
        .get_json(&format!("{CHANGES_PATH}?after=0&limit=500"), &class.ana)
        .await;
    let every: Vec<i64> = all.changes.iter().map(|c| c.seq).collect();
    assert_eq!(every.len(), writers * each);
    assert_eq!(seen, every);
    second.stop().await.unwrap();
}
