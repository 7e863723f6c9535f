//! Cold start to an interactive dashboard: the real release app under Xvfb, with a generated
//! profile of 50 installed courses and 100,000 progress events, beside the same start on an empty
//! profile, alternating in the same run.
//!
//! ```text
//! cargo bench -p carrel-bench --bench coldstart
//! CARREL_BENCH_ROUNDS=9 …        rounds of each profile (default 7; medians are reported)
//! CARREL_BENCH_NO_BUILD=1 …      reuse target/release/carrel
//! CARREL_BENCH_EVENTS=100000 …   progress events in the full profile
//! ```
//!
//! "Interactive" is the moment the UI says its first screen (the dashboard) has loaded its data
//! and rendered: the app logs `interactive` with the time since its process started. The bench
//! measures its own wall clock from spawning the process to seeing that line, so the figure
//! includes everything a learner waits for: process start, opening the course store and the
//! progress database (quick_check included), the webview, and the dashboard's plans. The page
//! cache is warm for both profiles (they alternate), so the ratio isolates the cost of the data.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use carrel_bench::{Table, env_or, median, repo_root};
use carrel_core::progress::{Event, EventKind, ProgressDb};
use carrel_package::store::{Cancel, ImportOptions, Store, Trust};
use carrel_package::testing::{SAMPLE_COURSE_ID, sample_key, write_sample_source};

const COURSES: usize = 50;
const TARGET: f64 = 1.15;
/// The app's data folder under `XDG_DATA_HOME` (its identifier in tauri.conf.json).
const APP_DIR: &str = "org.carrel.desktop";

// The report on stdout is this program's output.
#[allow(clippy::print_stdout)]
fn main() -> anyhow::Result<()> {
    let root = repo_root();
    let target = root.join("target");
    if std::env::var_os("CARREL_BENCH_NO_BUILD").is_none() {
        run(Command::new("npm")
            .args(["run", "build", "--workspace", "ui", "--silent"])
            .current_dir(&root))?;
        run(Command::new(env!("CARGO"))
            .args(["build", "--release", "--quiet", "-p", "carrel"])
            .current_dir(&root))?;
    }
    let app = target.join("release/carrel");
    ensure!(app.exists(), "{} is missing: build it first", app.display());
    let events: usize = env_or("CARREL_BENCH_EVENTS", 100_000);
    let rounds: usize = env_or("CARREL_BENCH_ROUNDS", 7_usize).max(1);

    let data = target.join("bench-data/coldstart");
    let empty = data.join("empty");
    let full = data.join(format!("full-{COURSES}-{events}"));
    let _ = std::fs::remove_dir_all(&empty);
    std::fs::create_dir_all(empty.join("data"))?;
    if !full.join("ready").exists() {
        let started = Instant::now();
        generate(&full, events)?;
        println!("generated the full profile in {:.1?}", started.elapsed());
    }
    let display = carrel_e2e::Display::ensure()?;

    let (mut empty_ms, mut full_ms) = (Vec::new(), Vec::new());
    // One unmeasured start of each first: the first start after a build pays for loading the
    // binary and WebKit from disk.
    start(&app, &empty, display.name())?;
    start(&app, &full, display.name())?;
    for round in 0..rounds {
        // Alternate which goes first, so drift on a noisy machine falls on both.
        let order = if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for is_full in order {
            let (profile, into) = if is_full {
                (&full, &mut full_ms)
            } else {
                (&empty, &mut empty_ms)
            };
            into.push(start(&app, profile, display.name())?);
        }
    }
    let (e, f) = (median(&empty_ms), median(&full_ms));
    let mut table = Table::new(&["profile", "median ms", "all (ms)"]);
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.0}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    table.row(["empty".to_owned(), format!("{e:.0}"), list(&empty_ms)]);
    table.row([
        format!("{COURSES} courses, {events} events"),
        format!("{f:.0}"),
        list(&full_ms),
    ]);
    println!("\nCold start to an interactive dashboard ({rounds} rounds each)\n");
    println!("{}", table.render());
    let ratio = f / e;
    println!(
        "ratio full / empty: {ratio:.3} (target ≤ {TARGET}) {}",
        if ratio <= TARGET { "MET" } else { "MISSED" }
    );
    Ok(())
}

/// Starts the app on `home` and returns the milliseconds until it says it is interactive.
fn start(app: &Path, home: &Path, display: &str) -> anyhow::Result<f64> {
    // No server: nothing waits on the network, and the two profiles see the same offline state.
    let port = carrel_e2e::free_port()?;
    let started = Instant::now();
    let mut child = Command::new(app)
        .env("DISPLAY", display)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("CARREL_SERVER_URL", format!("http://127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", app.display()))?;
    let stderr = child.stderr.take().context("no stderr")?;
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains("interactive") && line.contains("elapsed_ms") {
                let _ = sender.send(started.elapsed());
            }
        }
    });
    let result = receiver.recv_timeout(Duration::from_secs(120));
    carrel_e2e::terminate(&mut child, Duration::from_secs(5));
    let elapsed = result.context("the app never said it was interactive (see its log)")?;
    Ok(elapsed.as_secs_f64() * 1000.0)
}

/// Installs `COURSES` courses and records `events` progress events into the profile at `home`.
fn generate(home: &Path, events: usize) -> anyhow::Result<()> {
    let _ = std::fs::remove_dir_all(home);
    let data = home.join("data").join(APP_DIR);
    let store = Store::open(&data.join("courses"))?;
    let work = tempfile::tempdir()?;
    let key = sample_key();
    let mut items: Vec<(String, Vec<String>)> = Vec::new();
    for n in 0..COURSES {
        let id = format!("course-{n:02}");
        let source = work.path().join(&id);
        write_sample_source(&source, "1.0.0", 20_000)?;
        let toml = source.join("course.toml");
        let text = std::fs::read_to_string(&toml)?.replacen(
            &format!("id = \"{SAMPLE_COURSE_ID}\""),
            &format!("id = \"{id}\""),
            1,
        );
        std::fs::write(
            &toml,
            text.replacen(
                "title = \"Sample course\"",
                &format!("title = \"Course {n:02}\""),
                1,
            ),
        )?;
        let package = work.path().join(format!("{id}.carrel"));
        let report = carrel_package::source::build(&source, &key, &package)?;
        store.import_file(
            &package,
            &ImportOptions {
                trust: Trust {
                    vouched: vec![key.public_key()],
                    confirmed: None,
                },
                app_version: carrel_core::CARREL_VERSION,
                progress: &|_| {},
                cancel: Cancel::default(),
                limits: carrel_package::Limits::default(),
            },
        )?;
        let ids = report
            .manifest
            .items()
            .map(|(_, _, i)| i.id.clone())
            .collect();
        items.push((id, ids));
    }
    let db = ProgressDb::open(&data.join("progress.sqlite3"))?;
    let kinds = [
        EventKind::Opened,
        EventKind::Position,
        EventKind::Progressed,
        EventKind::TimeOnTask,
        EventKind::Position,
        EventKind::TimeOnTask,
    ];
    // Spread over the six weeks of the sample courses' dates, 2027-02-15 onwards.
    let start_ms: i64 = 1_802_649_600_000;
    let mut batch = Vec::with_capacity(1000);
    for n in 0..events {
        let (course, course_items) = &items[n % items.len()];
        let item = &course_items[(n / items.len()) % course_items.len()];
        let kind = kinds[n % kinds.len()];
        batch.push(Event {
            id: format!("{:08x}-0000-7000-8000-{n:012x}", n / 4096),
            course_id: course.clone(),
            item_id: item.clone(),
            kind,
            at_ms: start_ms + (n as i64) * 36_000,
            value: Some(match kind {
                EventKind::Progressed => (n % 100) as f64 / 100.0,
                EventKind::TimeOnTask => 15.0,
                _ => (n % 600) as f64,
            }),
            unit: (kind == EventKind::Position).then(|| "seconds".into()),
            end: None,
        });
        if batch.len() == 1000 {
            db.record(&batch)?;
            batch.clear();
        }
    }
    db.record(&batch)?;
    db.backup()?;
    drop(db);
    std::fs::write(home.join("ready"), b"")?;
    Ok(())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {command:?}"))?;
    ensure!(status.success(), "{command:?} failed: {status}");
    Ok(())
}
