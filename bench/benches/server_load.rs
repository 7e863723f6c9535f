//! Server load: how many submissions per second carrel-server accepts from many learners at
//! once, beside the same load of `GET /health` (a request that reaches the database but writes
//! nothing) in the same run, in three setups:
//!
//! - **SQLite**: one instance on its SQLite file (`synchronous = FULL`). Always run, and always
//!   on SQLite, whatever `CARREL_TEST_POSTGRES` says.
//! - **PostgreSQL, 1 instance**: one instance on a fresh PostgreSQL database.
//! - **PostgreSQL, 2 instances**: two instances on one fresh PostgreSQL database and one data
//!   folder, as behind a load balancer; the load generator sends request k to instance k mod 2.
//!
//! The PostgreSQL setups run only when `CARREL_TEST_POSTGRES` names a cluster (an administrator
//! URL, which `scripts/with-postgres` sets; `CARREL_PG_DURABLE=1` keeps its fsync on, to compare
//! with SQLite on equal terms); otherwise one line says they were not run. Reports, for each
//! setup and concurrency, both rates, their ratio, the submissions' latency percentiles and how
//! many 503 answers were sent again (as Carrel's outbox would; a server that cannot finish a
//! transaction answers 503 and stores nothing), and checks through the server's
//! own storage (one code path for both databases) that every submission is stored exactly once:
//! the benchmark fails if one is lost or duplicated. Nothing here asserts on time.
//!
//! Every instance runs in this process on its own tokio runtime (two worker threads, as the
//! binary has on this machine) and the load generator on another; all of them, and PostgreSQL,
//! share the machine's cores, as a server and a load balancer's health checks would not, so the
//! figures are a floor.
//!
//! ```text
//! cargo bench -p carrel-bench --bench server_load                  SQLite only
//! CARREL_PG_DURABLE=1 scripts/with-postgres cargo bench -p carrel-bench --bench server_load
//!                                                                  all three setups
//! CARREL_BENCH_REQUESTS=2000 …        requests per side, setup and concurrency (default 4000)
//! CARREL_BENCH_CONCURRENCY=1,8,64 …   clients at once (default 1,8,32)
//! CARREL_BENCH_WORK_DIR=/dev/shm …    where the SQLite database and the data folders go
//!                                     (default target/bench-data; PostgreSQL's files stay in
//!                                     its cluster)
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use carrel_bench::{Table, env_or, repo_root};
use carrel_protocol::submissions::submission_path;
use carrel_server::storage::sql;
use carrel_server::testing::{LoopbackServer, TEST_POSTGRES_ENV};
use carrel_server::{DataDir, Storage};

/// Learners the load comes from (each request takes the next one's token).
const LEARNERS: usize = 50;

/// The command that runs the PostgreSQL setups too.
const WITH_POSTGRES: &str =
    "CARREL_PG_DURABLE=1 scripts/with-postgres cargo bench -p carrel-bench --bench server_load";

/// Where a setup's servers keep their rows.
#[derive(Clone)]
enum Database {
    /// A SQLite file in the setup's folder.
    Sqlite,
    /// A fresh database in the PostgreSQL cluster this administrator URL reaches.
    Postgres { admin: String },
}

/// One server setup under load.
struct Setup {
    name: &'static str,
    database: Database,
    instances: usize,
}

/// One instance, on its own runtime (as its own process would have).
struct Instance {
    runtime: tokio::runtime::Runtime,
    server: LoopbackServer,
}

fn server_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// Starts the setup's instances in `dir`: the first on a new database, the others on the
/// first's database and data folder.
fn start(setup: &Setup, dir: &Path) -> anyhow::Result<Vec<Instance>> {
    let (db, data) = match &setup.database {
        Database::Sqlite => {
            let db = dir.join("server.sqlite3");
            let data = DataDir::beside(&db);
            (db, data)
        }
        Database::Postgres { admin } => {
            let url = carrel_server::storage::postgres::create_database(admin)
                .map_err(|reason| anyhow::anyhow!("cannot make a database: {reason}"))?;
            (PathBuf::from(url), DataDir::new(dir.join("carrel-data")))
        }
    };
    let runtime = server_runtime()?;
    let first = runtime.block_on(LoopbackServer::start_on(db, data, "127.0.0.1:0", |s| s))?;
    let mut instances = vec![Instance {
        runtime,
        server: first,
    }];
    for _ in 1..setup.instances {
        let runtime = server_runtime()?;
        let server = runtime.block_on(LoopbackServer::another_instance(&instances[0].server))?;
        instances.push(Instance { runtime, server });
    }
    Ok(instances)
}

/// One side's result at one concurrency.
struct Run {
    seconds: f64,
    /// From the first attempt to the success, per request.
    latencies: Vec<Duration>,
    /// 503 answers, each sent again.
    unavailable: usize,
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

type MakeRequest = Arc<dyn Fn(usize) -> reqwest::RequestBuilder + Send + Sync>;

/// How many times one request is sent at most, and the pause before each retry.
const RETRIES: usize = 50;
const RETRY_PAUSE: Duration = Duration::from_millis(10);

/// Sends `requests` requests from `concurrency` clients at once, each made by `make(k)`; every
/// request must succeed, after at most [`RETRIES`] attempts: a 503 (the server cannot complete
/// it now, e.g. a PostgreSQL transaction that lost its serialization races until it gave up) is
/// sent again after [`RETRY_PAUSE`], as Carrel's outbox sends it again, and counted; its latency
/// runs from the first attempt.
async fn load(concurrency: usize, requests: usize, make: MakeRequest) -> anyhow::Result<Run> {
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let make = make.clone();
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut unavailable = 0;
            for k in (worker..requests).step_by(concurrency) {
                let sent = Instant::now();
                let mut attempt = 0;
                loop {
                    let response = make(k).send().await?;
                    let status = response.status();
                    let body = response.bytes().await?;
                    if status.is_success() {
                        break;
                    }
                    attempt += 1;
                    anyhow::ensure!(
                        status == reqwest::StatusCode::SERVICE_UNAVAILABLE && attempt < RETRIES,
                        "request {k}: {status} {} (attempt {attempt})",
                        String::from_utf8_lossy(&body)
                    );
                    unavailable += 1;
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                latencies.push(sent.elapsed());
            }
            Ok::<_, anyhow::Error>((latencies, unavailable))
        });
    }
    let mut latencies = Vec::with_capacity(requests);
    let mut unavailable = 0;
    while let Some(done) = workers.join_next().await {
        let (worker_latencies, worker_unavailable) = done??;
        latencies.extend(worker_latencies);
        unavailable += worker_unavailable;
    }
    Ok(Run {
        seconds: start.elapsed().as_secs_f64(),
        latencies,
        unavailable,
    })
}

/// How many of the load's submissions the database `db` holds, and how many distinct ids among
/// them, read through the server's own storage (SQLite or PostgreSQL alike).
fn stored(runtime: &tokio::runtime::Runtime, db: &Path) -> anyhow::Result<(i64, i64)> {
    let db = db.to_path_buf();
    runtime.block_on(async move {
        let storage = Storage::open(&db)?;
        Ok(storage
            .with_conn(|conn| {
                Ok(conn.query_row(
                    "SELECT count(*), count(DISTINCT client_id) FROM submissions \
                     WHERE client_id LIKE 'load-%'",
                    sql::params![],
                    |row| Ok((row.get::<i64>(0)?, row.get::<i64>(1)?)),
                )?)
            })
            .await?)
    })
}

fn ms(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

/// What the load generator shares across setups.
struct Generator {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    requests: usize,
    levels: Vec<usize>,
    /// An assignment of about 1 KB, as Carrel's outbox sends it.
    text: String,
}

/// Runs `setup` in `dir` at every concurrency, adding its rows to `table`; answers the line
/// that tells whether every submission was stored once, and whether it was.
fn measure(
    setup: &Setup,
    dir: &Path,
    generator: &Generator,
    table: &mut Table,
) -> anyhow::Result<(String, bool)> {
    let instances = start(setup, dir)?;
    let first = &instances[0];
    // Learners made and enrolled through the first instance: the others share its database.
    let mut tokens = Vec::with_capacity(LEARNERS);
    for learner in 0..LEARNERS {
        let login = format!("learner{learner:03}");
        tokens.push(
            first
                .runtime
                .block_on(first.server.learner_in(&login, "course"))?
                .access_token,
        );
    }
    let tokens = Arc::new(tokens);
    // Request k goes to instance k mod n.
    let urls: Arc<Vec<String>> = Arc::new(instances.iter().map(|i| i.server.url()).collect());
    let requests = generator.requests;
    let mut sent = 0_usize;
    for (round, &concurrency) in generator.levels.iter().enumerate() {
        let health: MakeRequest = {
            let (client, urls) = (generator.client.clone(), urls.clone());
            Arc::new(move |k| {
                let url = &urls[k % urls.len()];
                client.get(format!("{url}{}", carrel_protocol::HEALTH_PATH))
            })
        };
        let submit: MakeRequest = {
            let (client, urls, tokens, text) = (
                generator.client.clone(),
                urls.clone(),
                tokens.clone(),
                generator.text.clone(),
            );
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
                let url = &urls[k % urls.len()];
                client
                    .put(format!("{url}{}", submission_path(&id)))
                    .bearer_auth(&tokens[k % LEARNERS])
                    .json(&body)
            })
        };
        let (health_run, submit_run) = generator.runtime.block_on(async {
            let health_run = load(concurrency, requests, health).await?;
            let submit_run = load(concurrency, requests, submit).await?;
            Ok::<_, anyhow::Error>((health_run, submit_run))
        })?;
        sent += requests;
        table.row([
            setup.name.to_owned(),
            concurrency.to_string(),
            format!("{:.0}", health_run.rate()),
            format!("{:.0}", submit_run.rate()),
            format!("{:.2}x", submit_run.rate() / health_run.rate()),
            ms(submit_run.percentile(0.5)),
            ms(submit_run.percentile(0.95)),
            ms(submit_run.percentile(0.99)),
            (health_run.unavailable + submit_run.unavailable).to_string(),
        ]);
    }

    let (stored, distinct) = stored(&first.runtime, first.server.db())?;
    let lost = sent as i64 - distinct;
    let duplicated = stored - distinct;
    let line = format!(
        "{}: {stored} submissions stored of {sent} sent, {distinct} distinct ids (lost {lost}, duplicated {duplicated})",
        setup.name,
    );
    // The second and later instances first, then the one the database came from.
    for instance in instances.into_iter().rev() {
        instance.runtime.block_on(instance.server.stop())?;
    }
    Ok((line, lost == 0 && duplicated == 0))
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
    // SQLite measure, to tell how much of a submission's cost is the flush.
    let data = std::env::var_os("CARREL_BENCH_WORK_DIR").map_or_else(
        || repo_root().join("target/bench-data"),
        std::path::PathBuf::from,
    );
    std::fs::create_dir_all(&data)?;
    let work = tempfile::Builder::new()
        .prefix("server-load-")
        .tempdir_in(&data)?;

    let mut setups = vec![Setup {
        name: "SQLite",
        database: Database::Sqlite,
        instances: 1,
    }];
    let postgres = std::env::var(TEST_POSTGRES_ENV)
        .ok()
        .filter(|admin| !admin.is_empty());
    match &postgres {
        Some(admin) => {
            for (name, instances) in [
                ("PostgreSQL, 1 instance", 1),
                ("PostgreSQL, 2 instances", 2),
            ] {
                setups.push(Setup {
                    name,
                    database: Database::Postgres {
                        admin: admin.clone(),
                    },
                    instances,
                });
            }
        }
        None => println!(
            "PostgreSQL setups (1 and 2 instances) not run: {TEST_POSTGRES_ENV} is not set; \
             run them with `{WITH_POSTGRES}`"
        ),
    }

    let _ = rustls::crypto::ring::default_provider().install_default();
    let generator = Generator {
        runtime: tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?,
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()?,
        requests,
        levels,
        text: "The labour inspectorate should reach domestic workers. ".repeat(18),
    };
    let mut table = Table::new(&[
        "setup",
        "clients",
        "health req/s",
        "submissions/s",
        "ratio",
        "submission p50 ms",
        "p95 ms",
        "p99 ms",
        "503s retried",
    ]);
    let mut checks = Vec::with_capacity(setups.len());
    for (index, setup) in setups.iter().enumerate() {
        let dir = work.path().join(format!("setup-{index}"));
        checks.push(
            measure(setup, &dir, &generator, &mut table)
                .with_context(|| format!("under load on {}", setup.name))?,
        );
    }

    println!(
        "{requests} requests per side, setup and concurrency, from {LEARNERS} learners; payload ~1.1 KB"
    );
    println!("{}", table.render());
    for (line, _) in &checks {
        println!("on the server, {line}");
    }
    anyhow::ensure!(
        checks.iter().all(|(_, once)| *once),
        "some submissions were lost or stored twice"
    );
    Ok(())
}
