//! The learner's transcript: their certificates across courses and where they are in each
//! programme (a diploma) the course server defines, read by Carrel at each sync and kept for
//! reading offline.
//!
//! `GET /api/v1/transcript` (authenticated) answers a [`Transcript`] for the account: every
//! certificate the server issued them (revoked ones marked), and every programme with the
//! learner's progress.
//!
//! **Programmes.** The course team defines a programme on the server: a title, the courses that
//! count towards it (`eligible`), how many of their certificates it takes (`required`) within how
//! many years (`window_years`, counted between certificates' issue dates), and optionally a
//! capstone course whose certificate is needed too. A programme is **complete** when `required`
//! certificates of eligible courses and the capstone's (if any) were all issued within one span of
//! `window_years`; revoked certificates never count. While it is not complete, progress is counted
//! over the window that ends now: the certificates issued in the last `window_years` years count,
//! and each stops counting on its anniversary (`expires_ms` of the oldest one counting is when
//! the count next drops).

use serde::{Deserialize, Serialize};

/// `GET` (authenticated): the account's transcript.
pub const TRANSCRIPT_PATH: &str = "/api/v1/transcript";

/// A certificate on the transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptCertificate {
    /// The certificate's id (see `crate::certificates`).
    pub certificate_id: String,
    /// The course.
    pub course_id: String,
    /// The course's title.
    pub course_title: String,
    /// The certificate's title.
    pub title: String,
    /// When it was issued (ms since the epoch, server clock).
    pub issued_ms: u64,
    /// When it was revoked, if it was: it no longer counts.
    pub revoked_ms: Option<u64>,
    /// Where anyone can check it.
    pub verify_url: String,
}

/// A course of a programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgrammeCourse {
    /// The course.
    pub course_id: String,
    /// Its title (the published course's, else its id).
    pub title: String,
    /// The learner's certificate of it that counts now, if any.
    pub certificate_id: Option<String>,
    /// When that certificate was issued.
    pub issued_ms: Option<u64>,
    /// When that certificate stops counting (its `window_years` anniversary), unless the
    /// programme is complete.
    pub expires_ms: Option<u64>,
}

/// The learner's progress in one programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgrammeProgress {
    /// The programme's id.
    pub programme_id: String,
    /// Its title ("Diploma in Labour Migration").
    pub title: String,
    /// What it is, in words.
    pub description: String,
    /// Certificates of eligible courses it takes.
    pub required: u32,
    /// Within how many years.
    pub window_years: u32,
    /// The eligible courses, each with the learner's certificate counting now, if any.
    pub eligible: Vec<ProgrammeCourse>,
    /// The capstone, if the programme has one.
    pub capstone: Option<ProgrammeCourse>,
    /// Eligible certificates counting now (at most `required`).
    pub counted: u32,
    /// Complete: every requirement met within one window.
    pub complete: bool,
    /// When it was completed (the last certificate that completed it).
    pub completed_ms: Option<u64>,
    /// When the count next drops if nothing new is earned (the oldest counting certificate's
    /// anniversary); `None` when complete or nothing counts.
    pub next_expiry_ms: Option<u64>,
}

/// The account's transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transcript {
    /// The learner's name as the server has it.
    pub learner_name: String,
    /// When the server made this answer (ms since the epoch, server clock).
    pub generated_ms: u64,
    /// Every certificate issued to the account, newest first.
    pub certificates: Vec<TranscriptCertificate>,
    /// Every programme the server defines, with the learner's progress.
    pub programmes: Vec<ProgrammeProgress>,
}
