//! The wire protocol between the Carrel desktop client and `carrel-server`.
//!
//! Every request and response body that crosses the network is a type in this crate, used by both
//! sides, so the client and the server cannot drift apart. Paths are constants here too. The
//! protocol is versioned as a whole by [`API_VERSION`]: a server answers `/health` with the version it
//! speaks, and a client refuses to sync with a server whose major version it does not know.
//!
//! The desktop UI never sees these types directly: the client maps them to its own view types,
//! whose TypeScript twins are generated (see `carrel-core`).

use serde::{Deserialize, Serialize};

pub mod auth;
pub mod catalog;
pub mod certificates;
pub mod changes;
pub mod forums;
pub mod groups;
pub mod health;
pub mod http_range;
pub mod submissions;
pub mod transcript;
pub mod tutor;
pub mod updates;
pub mod uploads;

pub use catalog::{
    CATALOG_PATH, Catalog, CatalogCourse, FILE_ROUTE, MANIFEST_ROUTE, PACKAGE_MEDIA_TYPE,
    PACKAGE_ROUTE, PublisherKey, SIGNATURE_ROUTE,
};
pub use health::{HEALTH_PATH, Health, HealthStatus};

/// The protocol version this build speaks. Bumped on any incompatible change to a path or body.
pub const API_VERSION: u32 = 1;

/// Now, in milliseconds since the Unix epoch: the unit of every timestamp in the protocol.
/// A clock before 1970 reads as 0.
pub fn unix_time_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The JSON body of every error response from `carrel-server`.
///
/// `code` is stable and machine-readable (clients branch on it); `message` is for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// A stable, snake_case identifier of what went wrong, e.g. `not_found`.
    pub code: String,
    /// A sentence for a person: what is wrong and what to do.
    pub message: String,
}
