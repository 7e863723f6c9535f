//! Server load: how many submissions per second one carrel-server instance accepts from many
//! learners at once, on its SQLite database, beside the same load of `GET /health` (a request
//! that reaches the database but writes nothing) in the same run. Reports both rates, their ratio
//! and the submissions' latency percentiles at each concurrency, and checks that the server holds
//! every submission exactly once. Nothing here asserts on time.
//!
//! The server runs in this process on its own tokio runtime (two worker threads, as the binary
//! has on this machine) and the load generator on another; both share the machine's cores, as a
//! server and a load balancer's health checks would not, so the figures are a floor.
//!
//! ```text
//! cargo bench -p carrel-bench --bench server_load
//! CARREL_BENCH_REQUESTS=2000 …        requests per side and concurrency (default 4000)
//! CARREL_BENCH_CONCURRENCY=1,8,64 …   clients at once (default 1,8,32)
//! CARREL_BENCH_WORK_DIR=/dev/shm …    where the server's database goes (default target/bench-data)
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use carrel_bench::{Table, env_or, repo_root};
use carrel_protocol::submissions::submission_path;
use carrel_server::testing::LoopbackServer;

/// Learners the load comes from (each request takes the next one's token).
const LEARNERS: usize = 50;

/// One side's result at one concurrency.
struct Run {
    seconds: f64,
    latencies: Vec<Duration>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.seconds
    }

    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[index]
    }
}

/// Sends `requests` requests from `concurrency` clients at once, each made by `make(k)`; every
/// answer must be a success.
async fn load(
    concurrency: usize,
    requests: usize,
    make: Arc<dyn Fn(usize) -> reqwest::RequestBuilder + Send + Sync>,
) -> anyhow::Result<Run> {
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let make = make.clone();
        workers.spawn(async move {
            let mut latencies = Vec::new();
            for k in (worker..requests).step_by(concurrency) {
                let sent = Instant::now();
                let response = make(k).send().await?;
                anyhow::ensure!(
                    response.status().is_success(),
                    "request {k}: {}",
                    response.status()
                );
                response.bytes().await?;
                latencies.push(sent.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        });
    }
    let mut latencies = Vec::with_capacity(requests);
    while let Some(done) = workers.join_next().await {
        latencies.extend(done??);
    }
    Ok(Run {
        seconds: start.elapsed().as_secs_f64(),
        latencies,
    })
}

fn ms(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

// The results table is this benchmark's output.
#[allow(clippy::print_stdout)]
fn main() -> anyhow::Result<()> {
    let requests = env_or("CARREL_BENCH_REQUESTS", 4000_usize).max(10);
    let levels: Vec<usize> = std::env::var("CARREL_BENCH_CONCURRENCY")
        .unwrap_or_else(|_| "1,8,32".into())
        .split(',')
        .filter_map(|level| level.trim().parse().ok())
        .filter(|level| *level > 0)
        .collect();
    // CARREL_BENCH_WORK_DIR (a tmpfs such as /dev/shm, say) takes the disk's flush out of the
    // measure, to tell how much of a submission's cost is the flush.
    let data = std::env::var_os("CARREL_BENCH_WORK_DIR").map_or_else(
        || repo_root().join("target/bench-data"),
        std::path::PathBuf::from,
    );
    std::fs::create_dir_all(&data)?;
    let work = tempfile::Builder::new()
        .prefix("server-load-")
        .tempdir_in(&data)?;

    // The server, on its own runtime, with its learners enrolled.
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let server = server_runtime.block_on(LoopbackServer::start(&work.path().join("server")))?;
    let mut tokens = Vec::with_capacity(LEARNERS);
    for learner in 0..LEARNERS {
        let login = format!("learner{learner:03}");
        tokens.push(
            server_runtime
                .block_on(server.learner_in(&login, "course"))?
                .access_token,
        );
    }
    let tokens = Arc::new(tokens);
    let url: Arc<str> = Arc::from(server.url());

    let _ = rustls::crypto::ring::default_provider().install_default();
    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    // An assignment of about 1 KB, as Carrel's outbox sends it.
    let text = "The labour inspectorate should reach domestic workers. ".repeat(18);
    let mut table = Table::new(&[
        "clients",
        "health req/s",
        "submissions/s",
        "ratio",
        "submission p50 ms",
        "p95 ms",
        "p99 ms",
    ]);
    let mut sent = 0_usize;
    for (round, &concurrency) in levels.iter().enumerate() {
        let health: Arc<dyn Fn(usize) -> reqwest::RequestBuilder + Send + Sync> = {
            let (client, url) = (client.clone(), url.clone());
            Arc::new(move |_| client.get(format!("{url}{}", carrel_protocol::HEALTH_PATH)))
        };
        let submit: Arc<dyn Fn(usize) -> reqwest::RequestBuilder + Send + Sync> = {
            let (client, url, tokens, text) =
                (client.clone(), url.clone(), tokens.clone(), text.clone());
            Arc::new(move |k| {
                let id = format!("load-{round:02}-{k:08}");
                let body = serde_json::json!({
                    "kind": "assignment",
                    "payload": {
                        "submissionId": id,
                        "courseId": "course",
                        "itemId": "essay",
                        "text": text,
                        "words": 144,
                        "submittedMs": 1,
                    },
                });
                client
                    .put(format!("{url}{}", submission_path(&id)))
                    .bearer_auth(&tokens[k % LEARNERS])
                    .json(&body)
            })
        };
        let (health_run, submit_run) = client_runtime.block_on(async {
            let health_run = load(concurrency, requests, health).await?;
            let submit_run = load(concurrency, requests, submit).await?;
            Ok::<_, anyhow::Error>((health_run, submit_run))
        })?;
        sent += requests;
        table.row([
            concurrency.to_string(),
            format!("{:.0}", health_run.rate()),
            format!("{:.0}", submit_run.rate()),
            format!("{:.2}x", submit_run.rate() / health_run.rate()),
            ms(submit_run.percentile(0.5)),
            ms(submit_run.percentile(0.95)),
            ms(submit_run.percentile(0.99)),
        ]);
    }

    let (stored, distinct): (i64, i64) = rusqlite::Connection::open(server.db())?.query_row(
        "SELECT count(*), count(DISTINCT client_id) FROM submissions WHERE client_id LIKE 'load-%'",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    println!(
        "{requests} requests per side and concurrency, from {LEARNERS} learners; payload ~1.1 KB"
    );
    println!("{}", table.render());
    println!(
        "on the server: {stored} submissions stored of {sent} sent, {distinct} distinct ids (lost {}, duplicated {})",
        sent as i64 - distinct,
        stored - distinct,
    );
    server_runtime.block_on(server.stop())?;
    Ok(())
}
