//! Is the course server reachable right now?
//!
//! [`probe`] asks the server's `/health` once and turns every possible outcome — answered, refused,
//! timed out, answered by something that is not a Carrel server, a server speaking another protocol
//! version — into a [`ServerStatus`] with a sentence the learner can act on. Offline is a normal
//! state for Carrel, not an error.
//!
//! [`Monitor`] is a tokio task that probes on a timer (missed ticks skipped), on demand ("Check
//! now"), and whenever the server address changes, and hands every new status to a callback (the
//! shell turns it into a UI event). It is the first piece of the background sync engine.

use std::time::Duration;

use carrel_protocol::{API_VERSION, HEALTH_PATH, Health, HealthStatus, unix_time_ms};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::MissedTickBehavior;
use ts_rs::TS;

use crate::http::HttpClient;
use crate::settings::ServerUrl;

/// Whether the course server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionState {
    /// The first check has not finished yet.
    Checking,
    /// The server answered its health check.
    Online,
    /// The server could not be reached or cannot serve; see `detail`.
    Offline,
}

/// The last known state of the connection to the course server, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServerStatus {
    /// The server address checked.
    pub server_url: String,
    /// Reachable or not.
    pub state: ConnectionState,
    /// The server's version, when it answered.
    pub server_version: Option<String>,
    /// When the check finished, milliseconds since the Unix epoch; `None` while checking.
    #[ts(type = "number | null")]
    pub checked_at_ms: Option<u64>,
    /// The server's clock minus this computer's, in milliseconds, from the server's `Date`
    /// header (±1 s); recorded with quiz attempts so the server can judge their times.
    #[ts(type = "number | null")]
    pub clock_offset_ms: Option<i64>,
    /// For people: why the server is offline, or `None` when online.
    pub detail: Option<String>,
}

impl ServerStatus {
    /// The status before the first check of `url` has finished.
    pub fn checking(url: &ServerUrl) -> Self {
        Self {
            server_url: url.to_string(),
            state: ConnectionState::Checking,
            server_version: None,
            checked_at_ms: None,
            clock_offset_ms: None,
            detail: None,
        }
    }

    fn offline(url: &ServerUrl, detail: String) -> Self {
        Self {
            server_url: url.to_string(),
            state: ConnectionState::Offline,
            server_version: None,
            checked_at_ms: Some(unix_time_ms()),
            clock_offset_ms: None,
            detail: Some(detail),
        }
    }
}

/// Checks once whether a Carrel course server answers at `url`.
pub async fn probe(client: &HttpClient, url: &ServerUrl) -> ServerStatus {
    let sent_ms = unix_time_ms();
    let response = match client.inner().get(url.join(HEALTH_PATH)).send().await {
        Ok(response) => response,
        Err(error) => return ServerStatus::offline(url, describe_send_error(client, url, &error)),
    };
    let status = response.status();
    let clock_offset_ms = clock_offset(response.headers(), sent_ms, unix_time_ms());
    let health: Health = match response.json().await {
        Ok(health) => health,
        Err(_) => {
            return ServerStatus::offline(
                url,
                format!(
                    "Something answers at {url} (HTTP {status}), but it is not a Carrel course \
                     server. Check the address in Settings."
                ),
            );
        }
    };
    if health.api_version != API_VERSION {
        let advice = if health.api_version > API_VERSION {
            "Update Carrel to sync with it."
        } else {
            "Ask your course administrator to update the server."
        };
        return ServerStatus::offline(
            url,
            format!(
                "The course server speaks protocol version {}, this Carrel speaks version \
                 {API_VERSION}. {advice}",
                health.api_version
            ),
        );
    }
    if health.status != HealthStatus::Ok || !status.is_success() {
        return ServerStatus::offline(
            url,
            "The course server is running but cannot serve requests right now. Carrel will try \
             again."
                .to_owned(),
        );
    }
    ServerStatus {
        server_url: url.to_string(),
        state: ConnectionState::Online,
        server_version: Some(health.server_version),
        checked_at_ms: Some(unix_time_ms()),
        clock_offset_ms,
        detail: None,
    }
}

/// The server's clock minus ours: its `Date` (whole seconds, so taken as the middle of that
/// second) against the middle of the request.
fn clock_offset(headers: &http::HeaderMap, sent_ms: u64, received_ms: u64) -> Option<i64> {
    let date = headers.get(http::header::DATE)?.to_str().ok()?;
    let server = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(date)
        .ok()?;
    let local = (sent_ms + received_ms) / 2;
    Some(server.as_millisecond() + 500 - local as i64)
}

fn describe_send_error(client: &HttpClient, url: &ServerUrl, error: &reqwest::Error) -> String {
    if error.is_timeout() {
        format!(
            "The course server at {url} did not answer within {} seconds. The connection may be \
             slow or down; Carrel will try again.",
            client.request_timeout().as_secs()
        )
    } else if error.is_connect() {
        format!(
            "No course server answers at {url}. You may be offline, or the server is down; Carrel \
             will try again."
        )
    } else {
        format!("Cannot reach the course server at {url}: {error}")
    }
}

enum Request {
    CheckNow(oneshot::Sender<ServerStatus>),
    SetUrl(ServerUrl, oneshot::Sender<ServerStatus>),
}

/// A handle on the background connectivity task. Dropping every handle stops the task.
#[derive(Debug, Clone)]
pub struct Monitor {
    requests: mpsc::Sender<Request>,
    status: watch::Receiver<ServerStatus>,
}

/// The monitor task has stopped (the runtime is shutting down).
#[derive(Debug, Clone, thiserror::Error)]
#[error("the connectivity monitor has stopped")]
pub struct MonitorStopped;

impl Monitor {
    /// Starts the monitor on the current tokio runtime. `on_status` is called with every new
    /// status, including the first.
    pub fn spawn(
        client: HttpClient,
        url: ServerUrl,
        interval: Duration,
        on_status: impl Fn(&ServerStatus) + Send + 'static,
    ) -> Self {
        let (requests, mut inbox) = mpsc::channel::<Request>(16);
        let (status_tx, status) = watch::channel(ServerStatus::checking(&url));
        tokio::spawn(async move {
            let mut url = url;
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                let reply = tokio::select! {
                    _ = ticker.tick() => None,
                    request = inbox.recv() => match request {
                        None => break,
                        Some(Request::CheckNow(reply)) => Some(reply),
                        Some(Request::SetUrl(new_url, reply)) => {
                            url = new_url;
                            let checking = ServerStatus::checking(&url);
                            status_tx.send_replace(checking.clone());
                            on_status(&checking);
                            Some(reply)
                        }
                    },
                };
                let current = probe(&client, &url).await;
                tracing::debug!(state = ?current.state, url = %url, "server status");
                // Publish before notifying, so whoever reacts to the callback reads this status.
                status_tx.send_replace(current.clone());
                on_status(&current);
                if let Some(reply) = reply {
                    let _ = reply.send(current);
                }
            }
        });
        Self { requests, status }
    }

    /// The last known status, without waiting.
    pub fn current(&self) -> ServerStatus {
        self.status.borrow().clone()
    }

    /// Probes now and returns the fresh status.
    pub async fn check_now(&self) -> Result<ServerStatus, MonitorStopped> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request::CheckNow(reply))
            .await
            .map_err(|_| MonitorStopped)?;
        answer.await.map_err(|_| MonitorStopped)
    }

    /// Switches to another server address and probes it at once.
    pub async fn set_url(&self, url: ServerUrl) -> Result<ServerStatus, MonitorStopped> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request::SetUrl(url, reply))
            .await
            .map_err(|_| MonitorStopped)?;
        answer.await.map_err(|_| MonitorStopped)
    }
}

/// Whether the system's connection is metered (mobile data, a hotspot, a connection the learner
/// marked as costly): `Some(true)` / `Some(false)` where the system says, `None` where it cannot
/// tell. Linux asks NetworkManager over D-Bus (its `Metered` property); other systems answer
/// `None` for now, and the sync's hold applies until the learner presses "Sync now". Blocking (up
/// to half a second): call from `spawn_blocking`.
pub fn metered() -> Option<bool> {
    #[cfg(target_os = "linux")]
    {
        use dbus::blocking::stdintf::org_freedesktop_dbus::Properties;
        let connection = dbus::blocking::Connection::new_system().ok()?;
        let proxy = connection.with_proxy(
            "org.freedesktop.NetworkManager",
            "/org/freedesktop/NetworkManager",
            Duration::from_millis(500),
        );
        let value: u32 = proxy
            .get("org.freedesktop.NetworkManager", "Metered")
            .ok()?;
        metered_from_network_manager(value)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// NetworkManager's `NMMetered`: 1 yes and 3 guessed yes are metered, 2 no and 4 guessed no are
/// not, 0 (unknown) and anything else say nothing.
pub fn metered_from_network_manager(value: u32) -> Option<bool> {
    match value {
        1 | 3 => Some(true),
        2 | 4 => Some(false),
        _ => None,
    }
}
