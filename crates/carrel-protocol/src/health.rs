//! `GET /health`: is the server up, which protocol does it speak, and what time is it there.
//!
//! Clients use it as their connectivity probe: it is cheap, needs no authentication, and tells the
//! client the server's clock (later used to detect a skewed local clock before syncing).

use serde::{Deserialize, Serialize};

/// Path of the health endpoint.
pub const HEALTH_PATH: &str = "/health";

/// Whether the server can serve requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// The server and its database answer.
    Ok,
    /// The process is up but its storage does not answer; requests will fail.
    Degraded,
}

/// The body of `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Overall state.
    pub status: HealthStatus,
    /// The server's own version (its crate version).
    pub server_version: String,
    /// The protocol version the server speaks, see [`crate::API_VERSION`].
    pub api_version: u32,
    /// The server's clock, milliseconds since the Unix epoch.
    pub server_time_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_wire_format_is_stable() {
        let health = Health {
            status: HealthStatus::Ok,
            server_version: "0.1.0".into(),
            api_version: 1,
            server_time_ms: 1_700_000_000_000,
        };
        let json = serde_json::to_value(&health).unwrap();
        // Older clients parse these exact names: renaming one is a protocol break.
        assert_eq!(
            json,
            serde_json::json!({
                "status": "ok",
                "server_version": "0.1.0",
                "api_version": 1,
                "server_time_ms": 1_700_000_000_000u64,
            })
        );
        let back: Health = serde_json::from_value(json).unwrap();
        assert_eq!(back, health, "a Health must survive a JSON round trip");
    }

    #[test]
    fn degraded_status_is_snake_case() {
        assert_eq!(
            serde_json::to_string(&HealthStatus::Degraded).unwrap(),
            "\"degraded\""
        );
    }
}
