//! `GET /api/v1/catalog`: every published course the request may see ([`crate::access`]) at its
//! current version, and the publisher keys the server vouches for (those that signed them).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use carrel_protocol::catalog::{manifest_url, package_url, signature_url};
use carrel_protocol::{Catalog, CatalogCourse, PublisherKey};

use crate::handlers::auth::MaybeAuth;
use crate::storage::CatalogEntry;
use crate::{AppState, ServerError};

/// Lists the catalogue. It changes whenever something is published, so caches must revalidate.
pub async fn get_catalog(
    State(state): State<AppState>,
    who: MaybeAuth,
) -> Result<([(header::HeaderName, &'static str); 1], Json<Catalog>), ServerError> {
    let visible = crate::access::visible_courses(state.storage(), who.viewer()).await?;
    let mut entries = state.storage().get_catalog().await?;
    entries.retain(|entry| visible.contains(&entry.course_id));
    let keys: BTreeMap<String, String> = entries
        .iter()
        .map(|entry| {
            (
                entry.publisher_fingerprint.clone(),
                entry.publisher_key.clone(),
            )
        })
        .collect();
    let catalog = Catalog {
        courses: entries.into_iter().map(to_course).collect(),
        publisher_keys: keys
            .into_iter()
            .map(|(fingerprint, public_key)| PublisherKey {
                public_key,
                fingerprint,
            })
            .collect(),
    };
    Ok(([(header::CACHE_CONTROL, "no-cache")], Json(catalog)))
}

fn to_course(entry: CatalogEntry) -> CatalogCourse {
    CatalogCourse {
        package_url: package_url(&entry.course_id, &entry.version),
        manifest_url: manifest_url(&entry.course_id, &entry.version),
        signature_url: signature_url(&entry.course_id, &entry.version),
        id: entry.course_id,
        version: entry.version,
        title: entry.title,
        summary: entry.summary,
        language: entry.language,
        publisher: entry.publisher,
        starts: entry.starts,
        ends: entry.ends,
        package_size: entry.package_size,
        package_sha256: entry.package_sha256,
        content_size: entry.content_size,
        publisher_fingerprint: entry.publisher_fingerprint,
        published_at: entry.published_at,
    }
}
