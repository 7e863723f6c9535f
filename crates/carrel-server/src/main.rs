//! The `carrel-server` command: runs the course server on an address with an embedded SQLite file.
//!
//! ```text
//! carrel-server --listen 127.0.0.1:7878 --db ./carrel-server.sqlite3 [--log-format json]
//! ```
//! Every flag can also be set through the environment (`CARREL_SERVER_LISTEN`, `CARREL_SERVER_DB`,
//! `CARREL_LOG_FORMAT`). Logs go to stderr; `RUST_LOG` filters them. SIGINT or SIGTERM stops the
//! server gracefully: it stops accepting connections and lets requests in flight finish.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use carrel_server::{AppState, Storage};
use clap::{Parser, ValueEnum};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    /// One human-readable line per event.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The Carrel course server.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on. Port 0 picks a free port (the chosen address is logged).
    #[arg(long, env = "CARREL_SERVER_LISTEN", default_value = "127.0.0.1:7878")]
    listen: SocketAddr,
    /// The SQLite database file; created with its folder on first start.
    #[arg(
        long,
        env = "CARREL_SERVER_DB",
        default_value = "carrel-server.sqlite3"
    )]
    db: PathBuf,
    /// Log format.
    #[arg(long, env = "CARREL_LOG_FORMAT", value_enum, default_value = "pretty")]
    log_format: LogFormat,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    init_logging(args.log_format);

    let storage = Storage::open(&args.db)?;
    let listener = TcpListener::bind(args.listen).await.with_context(|| {
        format!(
            "cannot listen on {}: is another server using it?",
            args.listen
        )
    })?;
    let addr = listener.local_addr()?;
    tracing::info!(
        %addr,
        url = %format!("http://{addr}"),
        db = %storage.path().display(),
        version = carrel_server::SERVER_VERSION,
        "carrel-server listening"
    );
    carrel_server::serve(listener, AppState::new(storage), shutdown_signal()).await?;
    tracing::info!("carrel-server stopped");
    Ok(())
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing requests in flight");
}
