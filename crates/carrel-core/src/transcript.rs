//! The learner's transcript, kept for reading offline: their certificates across courses and
//! where they are in each programme (a diploma such as "three courses within five years plus a
//! capstone"), as the course server last computed it (`carrel_protocol::transcript`).
//!
//! The sync reads it each round ([`pull`]) and keeps the answer whole in `sync_meta`, with when it
//! was fetched and for whom; [`read`] gives it back offline, with that time, so the UI can say
//! "as of". The server decides what counts: the laptop only shows it.

use carrel_protocol::transcript::{
    ProgrammeCourse, ProgrammeProgress, TRANSCRIPT_PATH, Transcript, TranscriptCertificate,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::assess::AssessError;
use crate::http::HttpClient;
use crate::progress::ProgressDb;
use crate::settings::ServerUrl;
use crate::sync::changes::{PullError, get_json, meta_json_in, set_meta_in};

/// The `sync_meta` key of the transcript last fetched.
const TRANSCRIPT_KEY: &str = "transcript";

/// A certificate on the transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptLine {
    /// The certificate's id.
    pub certificate_id: String,
    /// The course.
    pub course_id: String,
    /// The course's title.
    pub course_title: String,
    /// The certificate's title.
    pub title: String,
    /// When it was issued (server clock, ms).
    #[ts(type = "number")]
    pub issued_ms: i64,
    /// When it was revoked, if it was.
    #[ts(type = "number | null")]
    pub revoked_ms: Option<i64>,
    /// Where anyone can check it.
    pub verify_url: String,
}

/// A course of a programme, with the learner's certificate counting now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProgrammeCourseView {
    /// The course.
    pub course_id: String,
    /// Its title.
    pub title: String,
    /// The learner's certificate that counts, if any.
    pub certificate_id: Option<String>,
    /// When it was issued.
    #[ts(type = "number | null")]
    pub issued_ms: Option<i64>,
    /// When it stops counting, unless the programme is complete.
    #[ts(type = "number | null")]
    pub expires_ms: Option<i64>,
}

/// A programme with the learner's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProgrammeView {
    /// Its id.
    pub programme_id: String,
    /// Its title.
    pub title: String,
    /// What it is.
    pub description: String,
    /// Certificates of eligible courses it takes.
    pub required: u32,
    /// Within how many years.
    pub window_years: u32,
    /// The eligible courses.
    pub eligible: Vec<ProgrammeCourseView>,
    /// The capstone, if any.
    pub capstone: Option<ProgrammeCourseView>,
    /// Eligible certificates counting now.
    pub counted: u32,
    /// Every requirement met.
    pub complete: bool,
    /// When it was completed.
    #[ts(type = "number | null")]
    pub completed_ms: Option<i64>,
    /// When the count next drops if nothing new is earned.
    #[ts(type = "number | null")]
    pub next_expiry_ms: Option<i64>,
}

/// The transcript as kept on this laptop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptView {
    /// The learner's name.
    pub learner_name: String,
    /// When this laptop fetched it (device clock, ms).
    #[ts(type = "number")]
    pub fetched_ms: i64,
    /// Every certificate, newest first.
    pub certificates: Vec<TranscriptLine>,
    /// Every programme with the learner's progress.
    pub programmes: Vec<ProgrammeView>,
}

fn ms(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn course(course: ProgrammeCourse) -> ProgrammeCourseView {
    ProgrammeCourseView {
        course_id: course.course_id,
        title: course.title,
        certificate_id: course.certificate_id,
        issued_ms: course.issued_ms.map(ms),
        expires_ms: course.expires_ms.map(ms),
    }
}

fn line(certificate: TranscriptCertificate) -> TranscriptLine {
    TranscriptLine {
        certificate_id: certificate.certificate_id,
        course_id: certificate.course_id,
        course_title: certificate.course_title,
        title: certificate.title,
        issued_ms: ms(certificate.issued_ms),
        revoked_ms: certificate.revoked_ms.map(ms),
        verify_url: certificate.verify_url,
    }
}

fn programme(progress: ProgrammeProgress) -> ProgrammeView {
    ProgrammeView {
        programme_id: progress.programme_id,
        title: progress.title,
        description: progress.description,
        required: progress.required,
        window_years: progress.window_years,
        eligible: progress.eligible.into_iter().map(course).collect(),
        capstone: progress.capstone.map(course),
        counted: progress.counted,
        complete: progress.complete,
        completed_ms: progress.completed_ms.map(ms),
        next_expiry_ms: progress.next_expiry_ms.map(ms),
    }
}

/// What is kept: the server's answer as it came, with when and for whom it was fetched.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Kept {
    owner: String,
    fetched_ms: i64,
    transcript: Transcript,
}

/// Fetches the transcript of `account_id` from `server` and keeps it; `false` when the server
/// has no transcripts (an older server), which keeps nothing.
pub async fn pull(
    db: &ProgressDb,
    http: &HttpClient,
    server: &ServerUrl,
    token: &str,
    account_id: i64,
    now_ms: i64,
) -> Result<bool, PullError> {
    let Some(transcript) =
        get_json::<Transcript>(http, &server.join(TRANSCRIPT_PATH), token).await?
    else {
        return Ok(false);
    };
    let kept = Kept {
        owner: format!("{} {account_id}", server.as_str()),
        fetched_ms: now_ms,
        transcript,
    };
    let json = serde_json::to_string(&kept).expect("transcripts serialize");
    db.transact(|tx| {
        set_meta_in(tx, TRANSCRIPT_KEY, &json)?;
        Ok::<_, AssessError>(())
    })?;
    Ok(true)
}

/// The transcript last fetched, if any.
pub fn read(db: &ProgressDb) -> Result<Option<TranscriptView>, AssessError> {
    let kept: Option<Kept> =
        db.transact(|tx| Ok::<_, AssessError>(meta_json_in(tx, TRANSCRIPT_KEY)?))?;
    Ok(kept.map(|kept| TranscriptView {
        learner_name: kept.transcript.learner_name,
        fetched_ms: kept.fetched_ms,
        certificates: kept.transcript.certificates.into_iter().map(line).collect(),
        programmes: kept
            .transcript
            .programmes
            .into_iter()
            .map(programme)
            .collect(),
    }))
}
