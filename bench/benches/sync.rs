//! Outbox drain benchmark: queued submissions of 1 KB each drained to a local carrel-server by
//! `carrel_core::sync::drain` (a durable receipt recorded per entry on the client, a durable
//! insert per submission on the server), beside a raw keep-alive loop of `PUT`s of the same
//! payloads (fresh ids) to the same server in the same run, timed the same way. Reports both
//! rates and their ratio, and checks that the server holds every submission exactly once.
//! Nothing here asserts on time.
//!
//! ```text
//! cargo bench -p carrel-bench --bench sync
//! CARREL_BENCH_SUBMISSIONS=2000 …   submissions per side (default 10000)
//! ```

use std::time::Instant;

use carrel_bench::{Table, env_or, repo_root};
use carrel_core::assess::Answer;
use carrel_core::assess::attempts::{self, QuizItem};
use carrel_core::http::HttpClient;
use carrel_core::progress::ProgressDb;
use carrel_core::settings::ServerUrl;
use carrel_protocol::submissions::submission_path;
use carrel_server::testing::LoopbackServer;

fn quiz() -> anyhow::Result<QuizItem> {
    Ok(QuizItem {
        course_id: "course".into(),
        course_version: "1.0.0".into(),
        item_id: "quiz".into(),
        title: "Quiz".into(),
        quiz: serde_json::from_value(serde_json::json!({
            "id": "quiz", "title": "Quiz", "mode": "graded", "passing_score": 0.5,
            "questions": [{"id": "q1", "prompt": "Say", "type": "essay"}]
        }))?,
        sha256: "0".repeat(64),
    })
}

// The results table is this benchmark's output.
#[allow(clippy::print_stdout)]
fn main() -> anyhow::Result<()> {
    let n = env_or("CARREL_BENCH_SUBMISSIONS", 10_000_usize).max(10);
    let data = repo_root().join("target/bench-data");
    std::fs::create_dir_all(&data)?;
    let work = tempfile::Builder::new()
        .prefix("sync-run-")
        .tempdir_in(&data)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let server = runtime.block_on(LoopbackServer::start(&work.path().join("server")))?;
    let token = runtime
        .block_on(server.learner_in("ana", "course"))?
        .access_token;
    let url = ServerUrl::parse(&server.url())?;

    // The outbox: n submitted attempts whose payload is about 1 KB.
    let db = ProgressDb::open(&work.path().join("progress.sqlite3"))?;
    let item = quiz()?;
    let essay = "x".repeat(620);
    let mut payloads = Vec::with_capacity(n);
    for _ in 0..n {
        let now = carrel_protocol::unix_time_ms() as i64;
        let attempt = attempts::start(&db, &item, now, None)?;
        attempts::save_answer(
            &db,
            &item,
            &attempt.id,
            "q1",
            &Answer::Essay {
                text: essay.clone(),
            },
            now,
        )?;
        let entry = attempts::submit(&db, &item, &attempt.id, now)?;
        payloads.push(carrel_core::assess::outbox::get(&db, &entry.id)?.1);
    }
    let size = payloads.iter().map(Vec::len).sum::<usize>() / n;

    let http = HttpClient::new()?;
    // Baseline: the same payloads under fresh ids, one keep-alive PUT after another.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let raw = reqwest::Client::new();
    let raw_bodies: Vec<(String, String)> = payloads
        .iter()
        .enumerate()
        .map(|(k, payload)| {
            let text = String::from_utf8_lossy(payload);
            let old: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            let old_id = old["submissionId"].as_str().unwrap_or_default().to_owned();
            let id = format!("raw-{k:08}");
            let body = format!(
                r#"{{"kind":"quiz","payload":{}}}"#,
                text.replace(&old_id, &id)
            );
            (id, body)
        })
        .collect();
    let (raw_s, drain_s, report) = runtime.block_on(async {
        let start = Instant::now();
        for (id, body) in &raw_bodies {
            let response = raw
                .put(format!("{}{}", server.url(), submission_path(id)))
                .bearer_auth(&token)
                .header("Content-Type", "application/json")
                .body(body.clone())
                .send()
                .await?;
            anyhow::ensure!(
                response.status().is_success(),
                "raw PUT {}",
                response.status()
            );
        }
        let raw_s = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let report = carrel_core::sync::drain(&db, &http, &url, &token, || 0.5).await?;
        Ok::<_, anyhow::Error>((raw_s, start.elapsed().as_secs_f64(), report))
    })?;

    let stored: i64 = rusqlite::Connection::open(server.db())?.query_row(
        "SELECT count(DISTINCT client_id) FROM submissions WHERE client_id NOT LIKE 'raw-%'",
        [],
        |row| row.get(0),
    )?;
    let received = carrel_core::assess::outbox::list(&db)?
        .iter()
        .filter(|e| e.state == carrel_core::assess::outbox::OutboxState::Received)
        .count();
    let mut table = Table::new(&["side", "submissions", "seconds", "per second"]);
    table.row([
        "raw keep-alive PUT loop".to_owned(),
        n.to_string(),
        format!("{raw_s:.2}"),
        format!("{:.0}", n as f64 / raw_s),
    ]);
    table.row([
        "outbox drain".to_owned(),
        n.to_string(),
        format!("{drain_s:.2}"),
        format!("{:.0}", n as f64 / drain_s),
    ]);
    println!("payload ~{size} bytes; drain report: {report:?}");
    println!("{}", table.render());
    println!(
        "drain rate / raw rate: {:.2}x (target >= 0.5x); on the server {stored} of {n} once, {received} received in the outbox; lost {}, duplicated 0 (unique key)",
        raw_s / drain_s,
        n - stored as usize,
    );
    runtime.block_on(server.stop())?;
    Ok(())
}
