//! Footprint benchmark: Carrel's memory once its shell has rendered, and its `.deb` size, each beside
//! a minimal Tauri hello-world (`bench/baseline-app`) built and measured the same way in this run.
//!
//! ```text
//! cargo bench -p carrel-bench                               # builds both .debs (release), measures
//! CARREL_BENCH_NO_BUILD=1 cargo bench -p carrel-bench       # reuses the last release builds
//! CARREL_BENCH_ROUNDS=5 cargo bench -p carrel-bench         # more rounds (default 3)
//! ```
//! Memory is the resident set of the app process and all its descendants (WebKit's web and network
//! processes), read from `/proc` under Xvfb after the page reports `data-ready` and 3 s to settle,
//! launched through tauri-driver exactly as the end-to-end tests do; the median of the rounds, with
//! the two apps alternating so drift hits both. Targets (product card): memory at most baseline +
//! 60 MB; installer at most 15 MB.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use carrel_bench::{Comparison, median, repo_root};
use carrel_e2e::{AppHome, Display, TauriDriver, procs};
use carrel_server::testing::LoopbackServer;

const MB: f64 = 1_000_000.0;

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; this harness takes no arguments of its own.
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

struct App {
    name: &'static str,
    binary: PathBuf,
    deb: PathBuf,
    needs_server: bool,
}

// The report on stdout is this program's output.
#[allow(clippy::print_stdout)]
async fn run() -> anyhow::Result<()> {
    let root = repo_root();
    let target = root.join("target");
    let tauri_cli = root.join("node_modules/.bin/tauri");
    if std::env::var_os("CARREL_BENCH_NO_BUILD").is_none() {
        anyhow::ensure!(
            tauri_cli.exists(),
            "the Tauri CLI is missing: run `npm ci` in {} first",
            root.display()
        );
        build_deb(&tauri_cli, &root, &target)?;
        build_deb(&tauri_cli, &root.join("bench/baseline-app"), &target)?;
    }
    let deb_dir = target.join("release/bundle/deb");
    let carrel = App {
        name: "carrel",
        binary: target.join("release/carrel"),
        deb: newest_deb(&deb_dir, "Carrel_")?,
        needs_server: true,
    };
    let baseline = App {
        name: "baseline",
        binary: target.join("release/carrel-bench-baseline"),
        deb: newest_deb(&deb_dir, "carrel-bench-baseline_")?,
        needs_server: false,
    };

    let rounds: usize = std::env::var("CARREL_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let display = Display::ensure()?;
    let server_dir = tempfile::tempdir()?;
    let server = LoopbackServer::start(server_dir.path()).await?;
    let mut rss: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        for (slot, app) in [&baseline, &carrel].into_iter().enumerate() {
            let bytes = measure_rss(&display, app, &server.url(), &target).await?;
            eprintln!("round {round}: {} {:.1} MB", app.name, bytes as f64 / MB);
            rss[slot].push(bytes as f64 / MB);
        }
    }
    server.stop().await?;

    let memory = Comparison {
        measured: median(&rss[1]),
        baseline: median(&rss[0]),
    };
    let deb = Comparison {
        measured: std::fs::metadata(&carrel.deb)?.len() as f64 / MB,
        baseline: std::fs::metadata(&baseline.deb)?.len() as f64 / MB,
    };
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!("footprint: Carrel beside a minimal Tauri app, same build, same machine, same run");
    println!(
        "memory (process-tree RSS after render, median of {rounds}): carrel {:.1} MB | baseline \
         {:.1} MB | ratio {:.2} | delta {:+.1} MB | target delta <= 60 MB: {}",
        memory.measured,
        memory.baseline,
        memory.ratio(),
        memory.delta(),
        verdict(memory.delta() <= 60.0)
    );
    println!(
        ".deb size: carrel {:.2} MB | baseline {:.2} MB | ratio {:.2} | delta {:+.2} MB | target \
         <= 15 MB: {}",
        deb.measured,
        deb.baseline,
        deb.ratio(),
        deb.delta(),
        verdict(deb.measured <= 15.0)
    );
    Ok(())
}

fn build_deb(tauri_cli: &Path, project: &Path, target: &Path) -> anyhow::Result<()> {
    eprintln!("building {} (release .deb)", project.display());
    let status = Command::new(tauri_cli)
        .args(["build", "--bundles", "deb"])
        .current_dir(project)
        .env("CARGO_TARGET_DIR", target)
        .status()?;
    anyhow::ensure!(
        status.success(),
        "tauri build failed in {}",
        project.display()
    );
    Ok(())
}

fn newest_deb(dir: &Path, prefix: &str) -> anyhow::Result<PathBuf> {
    std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(prefix) && name.ends_with(".deb")
        })
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .map(|e| e.path())
        .ok_or_else(|| anyhow::anyhow!("no {prefix}*.deb in {}", dir.display()))
}

async fn measure_rss(
    display: &Display,
    app: &App,
    server_url: &str,
    target: &Path,
) -> anyhow::Result<u64> {
    let home = AppHome::new()?;
    let mut env = home.env();
    if app.needs_server {
        env.insert("CARREL_SERVER_URL".into(), server_url.into());
    }
    let driver = TauriDriver::start(display, &env, target).await?;
    let session = driver
        .session(&app.binary, &format!("bench-{}", app.name))
        .await?;
    session.wait_ready().await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pid = procs::find_descendant_running(driver.pid(), &app.binary).ok_or_else(|| {
        anyhow::anyhow!("cannot find the {} process under tauri-driver", app.name)
    })?;
    let bytes = procs::tree_rss_bytes(pid);
    session.close().await?;
    Ok(bytes)
}
