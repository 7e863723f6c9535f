//! Exports for when sync cannot help.
//!
//! - [`export_submission`]: one submission as a zip a tutor can accept by hand — the payload
//!   byte for byte as Carrel stored (and sends) it, with its SHA-256, the server's receipt if any,
//!   the attached files and a note explaining it all. The learner's way out when the server keeps
//!   refusing something, or a deadline is minutes away and there is no connection.
//! - [`support_bundle`]: what support needs to see why sync does not work — versions, the server
//!   and sync status, each submission's state, tries and last error, and the recent log — and
//!   nothing secret: no tokens, no passwords, no answers or essay text.
//!
//! Both write to a temporary file beside the target and rename it into place when complete, so a
//! failed export leaves no half-written zip.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use zip::write::SimpleFileOptions;

use crate::assess::AssessError;
use crate::assess::attachments::AttachmentStore;
use crate::assess::outbox::{self, OutboxEntry};
use crate::progress::ProgressDb;

/// Why an export failed. Nothing is left at the target.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The submission or its files could not be read.
    #[error(transparent)]
    Read(#[from] AssessError),
    /// The zip could not be written.
    #[error("cannot write {path}: {message}; choose another folder")]
    Write {
        /// The target.
        path: String,
        /// Why.
        message: String,
    },
}

/// Facts about the app the support bundle reports, gathered by the shell.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportFacts {
    /// The app's version.
    pub app_version: String,
    /// Operating system and architecture.
    pub os: String,
    /// The course server in use.
    pub server: String,
    /// Its last known status.
    pub server_status: serde_json::Value,
    /// The sync status.
    pub sync_status: serde_json::Value,
    /// The signed-in login, if any.
    pub signed_in: Option<String>,
    /// What course content tried this run and was stopped from doing (the app's counts).
    pub content_guard: serde_json::Value,
    /// The recent log, already scrubbed of anything token-shaped.
    #[serde(skip)]
    pub log: Vec<String>,
}

type Zip = zip::ZipWriter<std::fs::File>;

/// Writes a zip at `target` through a temporary file; `fill` adds the entries.
fn write_zip(
    target: &Path,
    fill: impl FnOnce(&mut Zip) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    write_through_temporary(target, |file| {
        let mut zip = zip::ZipWriter::new(file);
        fill(&mut zip)?;
        zip.finish()
            .map_err(|e| write_failed(target, e.to_string()))
    })
}

/// Writes `text` to `target` (a calendar the learner exports, say) through a temporary file.
pub fn save_text(target: &Path, text: &str) -> Result<(), ExportError> {
    write_through_temporary(target, |mut file| {
        file.write_all(text.as_bytes())
            .map_err(|e| write_failed(target, e.to_string()))?;
        Ok(file)
    })
}

/// Writes `target` through a temporary file in its folder that `fill` writes and hands back,
/// then renames it over `target`: a failure leaves no partial file and any earlier one as it was.
fn write_through_temporary(
    target: &Path,
    fill: impl FnOnce(std::fs::File) -> Result<std::fs::File, ExportError>,
) -> Result<(), ExportError> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let temporary = tempfile::Builder::new()
        .prefix(".carrel-export-")
        .tempfile_in(dir)
        .map_err(|e| write_failed(target, e.to_string()))?;
    let file = temporary
        .reopen()
        .map_err(|e| write_failed(target, e.to_string()))?;
    let file = fill(file)?;
    file.sync_all()
        .map_err(|e| write_failed(target, e.to_string()))?;
    temporary
        .persist(target)
        .map_err(|e| write_failed(target, e.error.to_string()))?;
    Ok(())
}

fn write_failed(target: &Path, message: String) -> ExportError {
    ExportError::Write {
        path: target.display().to_string(),
        message,
    }
}

fn add(zip: &mut Zip, name: &str, bytes: &[u8]) -> Result<(), ExportError> {
    let fail = |message: String| ExportError::Write {
        path: name.to_owned(),
        message,
    };
    zip.start_file(name, SimpleFileOptions::default())
        .map_err(|e| fail(e.to_string()))?;
    zip.write_all(bytes).map_err(|e| fail(e.to_string()))
}

fn json(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec_pretty(value).expect("export values serialize")
}

/// Writes submission `id` to the zip `target`.
pub fn export_submission(
    db: &ProgressDb,
    store: &AttachmentStore,
    id: &str,
    target: &Path,
) -> Result<(), ExportError> {
    let (entry, payload) = outbox::get(db, id)?;
    for attachment in &entry.attachments {
        store.verify(&attachment.sha256, &attachment.name)?;
    }
    write_zip(target, |zip| {
        add(zip, "README.txt", readme(&entry).as_bytes())?;
        add(zip, "submission.json", &payload)?;
        add(zip, "state.json", &json(&entry))?;
        if let Some(receipt) = &entry.receipt {
            add(zip, "receipt.json", receipt.as_bytes())?;
        }
        for (n, attachment) in entry.attachments.iter().enumerate() {
            let bytes = std::fs::read(store.path_of(&attachment.sha256)).map_err(|error| {
                AssessError::Io(format!("cannot read {}: {error}", attachment.name))
            })?;
            add(zip, &format!("files/{}-{}", n + 1, attachment.name), &bytes)?;
        }
        Ok(())
    })
}

fn readme(entry: &OutboxEntry) -> String {
    let mut text = format!(
        "Submission exported from Carrel\n\n\
         What: {title} (course {course}, item {item}), version {version}\n\
         Submission id: {id}\n\
         State in Carrel: {state:?}\n\
         SHA-256 of submission.json: {sha}\n\n\
         submission.json is exactly what Carrel stored when the learner submitted, and exactly what it\n\
         sends to the course server; its SHA-256 above proves it is unchanged. state.json is Carrel's\n\
         record of it (state, tries, the server's answer). files/ holds the attached files; their\n\
         SHA-256 are listed in submission.json.\n",
        title = entry.title,
        course = entry.course_id,
        item = entry.item_id,
        version = entry.version,
        id = entry.id,
        state = entry.state,
        sha = entry.payload_sha256,
    );
    if let Some(problem) = &entry.problem {
        text.push_str(&format!("\nWhy it needs attention: {problem}\n"));
    }
    if entry.receipt.is_some() {
        text.push_str(
            "\nreceipt.json is the course server's receipt: the server already holds this submission.\n",
        );
    }
    text
}

/// One submission's state for support: no payload, no answers.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EntryFacts<'a> {
    id: &'a str,
    kind: &'a crate::assess::outbox::SubmissionKind,
    course_id: &'a str,
    item_id: &'a str,
    version: u32,
    created_ms: i64,
    state: &'a crate::assess::outbox::OutboxState,
    state_ms: i64,
    tries: u32,
    next_try_ms: Option<i64>,
    last_error: Option<&'a str>,
    problem: Option<&'a str>,
    payload_sha256: &'a str,
    attachments: usize,
    has_receipt: bool,
    graded: bool,
}

/// Writes a support bundle to the zip `target`.
pub fn support_bundle(
    db: &ProgressDb,
    facts: &SupportFacts,
    target: &Path,
) -> Result<(), ExportError> {
    let entries = outbox::list(db)?;
    let states: Vec<EntryFacts<'_>> = entries
        .iter()
        .map(|entry| EntryFacts {
            id: &entry.id,
            kind: &entry.kind,
            course_id: &entry.course_id,
            item_id: &entry.item_id,
            version: entry.version,
            created_ms: entry.created_ms,
            state: &entry.state,
            state_ms: entry.state_ms,
            tries: entry.tries,
            next_try_ms: entry.next_try_ms,
            last_error: entry.last_error.as_deref(),
            problem: entry.problem.as_deref(),
            payload_sha256: &entry.payload_sha256,
            attachments: entry.attachments.len(),
            has_receipt: entry.receipt.is_some(),
            graded: entry.server_grade.is_some(),
        })
        .collect();
    write_zip(target, |zip| {
        add(zip, "about.json", &json(facts))?;
        add(zip, "outbox.json", &json(&states))?;
        add(zip, "log.txt", facts.log.join("\n").as_bytes())
    })
}
