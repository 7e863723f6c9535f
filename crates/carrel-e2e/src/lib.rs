//! The harness that drives the real Carrel app in a real window, for the end-to-end tests in
//! `tests/e2e/` and the footprint benchmark in `bench/`.
//!
//! Nothing is mocked: an X server (the caller's `DISPLAY`, or an `Xvfb` this harness starts),
//! `tauri-driver` and WebKitWebDriver, the app binary cargo built, a real `carrel-server` on a
//! loopback port with its own SQLite file (see `carrel_server::testing`), and an isolated home for
//! the app's data so runs never touch the developer's own settings.
//!
//! Every scenario records a screenshot per step under `<target>/e2e-screenshots/<scenario>/`.
//! Everything started is stopped when its guard drops: tauri-driver with SIGTERM (SIGKILL would
//! orphan WebKitWebDriver on its port), then Xvfb.

pub mod display;
pub mod driver;
pub mod file_dialog;
pub mod procs;
pub mod session;
pub mod wm;

pub use display::Display;
pub use driver::{AppHome, TauriDriver};
pub use fantoccini::wd::WindowHandle;
pub use session::Session;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A free TCP port on the loopback interface (closed again before returning, so there is a small
/// window in which another process could take it; acceptable for tests on one machine).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The cargo target folder that holds `binary` (`<target>/<profile>/<binary>`).
pub fn target_dir_of(binary: &Path) -> PathBuf {
    binary
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf)
}

/// Sends SIGTERM to `pid` and waits up to `grace` for `child` to exit, then kills it.
pub fn terminate(child: &mut std::process::Child, grace: Duration) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = std::time::Instant::now() + grace;
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits until something accepts TCP connections on `127.0.0.1:port`.
pub async fn wait_for_port(port: u16, timeout: Duration) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!("nothing listens on 127.0.0.1:{port} after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
