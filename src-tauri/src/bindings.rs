//! TypeScript types for the UI, generated from the Rust types that cross the IPC boundary.
//!
//! The files live in `ui/src/lib/backend/bindings/`, one per type, and are committed. The test
//! below regenerates them in memory and fails when a committed file is stale, missing or extra.
//! To update them after changing a type:
//! `CARREL_UPDATE_BINDINGS=1 cargo test --lib bindings`.

use std::path::PathBuf;

use ts_rs::{Config, ExportError, TS};

/// The folder of the generated files, relative to the repository root.
pub const BINDINGS_DIR: &str = "ui/src/lib/backend/bindings";

/// Every type the UI receives or sends, as `(file name, contents)`.
pub fn generate() -> Result<Vec<(String, String)>, ExportError> {
    fn one<T: TS + 'static>(cfg: &Config) -> Result<(String, String), ExportError> {
        Ok((format!("{}.ts", T::name(cfg)), T::export_to_string(cfg)?))
    }
    let cfg = Config::new();
    Ok(vec![
        one::<crate::commands::app::AppInfo>(&cfg)?,
        one::<crate::ipc_guard::ContentGuard>(&cfg)?,
        one::<crate::settings::Settings>(&cfg)?,
        one::<crate::settings::SettingsChange>(&cfg)?,
        one::<crate::settings::Language>(&cfg)?,
        one::<crate::settings::Theme>(&cfg)?,
        one::<crate::settings::UpdateChannel>(&cfg)?,
        one::<crate::updates::UpdateStatus>(&cfg)?,
        one::<crate::updates::UpdatePhase>(&cfg)?,
        one::<crate::updates::AvailableUpdate>(&cfg)?,
        one::<crate::updates::InstallBlock>(&cfg)?,
        one::<carrel_core::settings::ServerUrlSource>(&cfg)?,
        one::<carrel_core::connectivity::ServerStatus>(&cfg)?,
        one::<carrel_core::connectivity::ConnectionState>(&cfg)?,
        one::<crate::error::CommandError>(&cfg)?,
        one::<crate::events::DroppedFiles>(&cfg)?,
        one::<carrel_core::library::CourseSummary>(&cfg)?,
        one::<carrel_core::library::CourseOutline>(&cfg)?,
        one::<carrel_core::library::OutlineBlock>(&cfg)?,
        one::<carrel_core::library::OutlineModule>(&cfg)?,
        one::<carrel_core::library::OutlineItem>(&cfg)?,
        one::<carrel_core::library::ImportReport>(&cfg)?,
        one::<carrel_core::library::TaskProgress>(&cfg)?,
        one::<carrel_core::library::TaskStage>(&cfg)?,
        one::<carrel_core::library::CatalogView>(&cfg)?,
        one::<carrel_core::library::CatalogEntry>(&cfg)?,
        one::<carrel_core::library::CatalogState>(&cfg)?,
        one::<carrel_core::progress::ItemProgress>(&cfg)?,
        one::<carrel_core::study::CompletionRule>(&cfg)?,
        one::<carrel_core::study::CourseStudy>(&cfg)?,
        one::<carrel_core::study::ContinueAt>(&cfg)?,
        one::<crate::events::ProgressChanged>(&cfg)?,
        one::<crate::progress::Notice>(&cfg)?,
        one::<crate::commands::courses::RepairReport>(&cfg)?,
        one::<carrel_core::search::SearchHit>(&cfg)?,
        one::<carrel_core::search::SnippetPart>(&cfg)?,
        one::<carrel_core::assess::Answer>(&cfg)?,
        one::<carrel_core::assess::PresentedKind>(&cfg)?,
        one::<carrel_core::assess::PresentedQuestion>(&cfg)?,
        one::<carrel_core::assess::ShownOption>(&cfg)?,
        one::<carrel_core::assess::grade::Verdict>(&cfg)?,
        one::<carrel_core::assess::grade::QuestionGrade>(&cfg)?,
        one::<carrel_core::assess::grade::QuizGrade>(&cfg)?,
        one::<carrel_core::assess::attempts::QuizState>(&cfg)?,
        one::<carrel_core::assess::attempts::Availability>(&cfg)?,
        one::<carrel_core::assess::attempts::AttemptSummary>(&cfg)?,
        one::<carrel_core::assess::attempts::SubmittedBy>(&cfg)?,
        one::<carrel_core::assess::attempts::AttemptView>(&cfg)?,
        one::<carrel_core::assess::attempts::AttemptQuestion>(&cfg)?,
        one::<carrel_core::assess::attempts::QuestionFeedback>(&cfg)?,
        one::<carrel_core::assess::attempts::Saved>(&cfg)?,
        one::<carrel_core::assess::attempts::QuizSubmission>(&cfg)?,
        one::<carrel_core::assess::attempts::SubmittedAnswer>(&cfg)?,
        one::<carrel_core::assess::assignments::AssignmentState>(&cfg)?,
        one::<carrel_core::assess::assignments::Draft>(&cfg)?,
        one::<carrel_core::assess::assignments::DraftEdit>(&cfg)?,
        one::<carrel_core::assess::assignments::DraftVersion>(&cfg)?,
        one::<carrel_core::assess::assignments::AssignmentSubmission>(&cfg)?,
        one::<carrel_core::assess::outbox::OutboxEntry>(&cfg)?,
        one::<carrel_core::assess::outbox::OutboxState>(&cfg)?,
        one::<carrel_core::assess::outbox::SubmissionKind>(&cfg)?,
        one::<carrel_core::assess::outbox::AttachmentInfo>(&cfg)?,
        one::<crate::commands::assess::AttachReport>(&cfg)?,
        one::<crate::commands::assess::RefusedAttachment>(&cfg)?,
        one::<crate::commands::assess::SubmittedWork>(&cfg)?,
        one::<carrel_core::forums::SubmittedPost>(&cfg)?,
        one::<carrel_core::certificates::CertificateStatus>(&cfg)?,
        one::<carrel_core::certificates::Requirement>(&cfg)?,
        one::<carrel_core::certificates::RequirementState>(&cfg)?,
        one::<carrel_core::certificates::StoredCertificate>(&cfg)?,
        one::<carrel_core::certificates::Verified>(&cfg)?,
        one::<carrel_core::certificates::InvalidReason>(&cfg)?,
        one::<carrel_core::transcript::TranscriptView>(&cfg)?,
        one::<carrel_core::transcript::TranscriptLine>(&cfg)?,
        one::<carrel_core::transcript::ProgrammeView>(&cfg)?,
        one::<carrel_core::transcript::ProgrammeCourseView>(&cfg)?,
        one::<carrel_core::forums::ForumView>(&cfg)?,
        one::<carrel_core::forums::TopicView>(&cfg)?,
        one::<carrel_core::forums::TopicSummary>(&cfg)?,
        one::<carrel_core::forums::PostView>(&cfg)?,
        one::<carrel_core::forums::PostState>(&cfg)?,
        one::<carrel_core::forums::ForumDraft>(&cfg)?,
        one::<carrel_core::forums::NewPost>(&cfg)?,
        one::<carrel_core::runtime::RuntimeResult>(&cfg)?,
        one::<carrel_core::runtime::Score>(&cfg)?,
        one::<crate::commands::assess::SubmissionDetail>(&cfg)?,
        one::<crate::commands::courses::Place>(&cfg)?,
        one::<carrel_core::sync::changes::ServerGrade>(&cfg)?,
        one::<carrel_core::sync::changes::SubmissionComment>(&cfg)?,
        one::<carrel_core::sync::changes::CourseNotice>(&cfg)?,
        one::<carrel_core::sync::changes::ServerGroup>(&cfg)?,
        one::<carrel_core::groups::GroupWork>(&cfg)?,
        one::<carrel_core::groups::GroupMemberView>(&cfg)?,
        one::<carrel_core::groups::GroupFileView>(&cfg)?,
        one::<carrel_core::groups::GroupSubmissionView>(&cfg)?,
        one::<carrel_core::groups::GroupGradeView>(&cfg)?,
        one::<carrel_core::sync::changes::NoticeBody>(&cfg)?,
        one::<carrel_core::sync::engine::SyncStatus>(&cfg)?,
        one::<carrel_core::sync::engine::SyncPhase>(&cfg)?,
        one::<carrel_core::sync::engine::Sending>(&cfg)?,
        one::<carrel_core::sync::credentials::StoreKind>(&cfg)?,
        one::<crate::commands::sync::AccountView>(&cfg)?,
        one::<crate::commands::study::StudySettings>(&cfg)?,
        one::<crate::commands::study::Dashboard>(&cfg)?,
        one::<crate::commands::study::DashboardCourse>(&cfg)?,
        one::<carrel_core::plan::WeeklyPlan>(&cfg)?,
        one::<carrel_core::plan::PlanWeek>(&cfg)?,
        one::<carrel_core::plan::PlannedItem>(&cfg)?,
        one::<carrel_core::plan::PlanTime>(&cfg)?,
        one::<carrel_core::plan::ThisWeek>(&cfg)?,
        one::<carrel_core::plan::WeekDeadline>(&cfg)?,
        one::<carrel_core::plan::WeekSession>(&cfg)?,
        one::<carrel_core::plan::CourseCalendar>(&cfg)?,
        one::<carrel_core::plan::SessionRecording>(&cfg)?,
        one::<crate::commands::study::CalendarExportWords>(&cfg)?,
        one::<carrel_core::plan::Pace>(&cfg)?,
        one::<carrel_core::plan::PaceStatus>(&cfg)?,
        one::<carrel_core::plan::Workload>(&cfg)?,
        one::<carrel_core::plan::WeekTimeOnTask>(&cfg)?,
        one::<carrel_core::plan::PlanAnchor>(&cfg)?,
        one::<carrel_core::plan::PlanPhase>(&cfg)?,
        one::<carrel_core::plan::PlanItemKind>(&cfg)?,
    ])
}

/// The absolute bindings folder.
pub fn bindings_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(BINDINGS_DIR)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn committed_typescript_bindings_are_fresh() {
        let dir = bindings_dir();
        let generated = generate().expect("bindings generate");
        if std::env::var_os("CARREL_UPDATE_BINDINGS").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            for entry in std::fs::read_dir(&dir).unwrap() {
                std::fs::remove_file(entry.unwrap().path()).unwrap();
            }
            for (name, contents) in &generated {
                std::fs::write(dir.join(name), contents).unwrap();
            }
        }
        let mut stale = Vec::new();
        for (name, contents) in &generated {
            match std::fs::read_to_string(dir.join(name)) {
                Ok(committed) if committed == *contents => {}
                Ok(_) => stale.push(format!("{name} differs")),
                Err(_) => stale.push(format!("{name} is missing")),
            }
        }
        let expected: BTreeSet<String> = generated.into_iter().map(|(name, _)| name).collect();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if !expected.contains(&name) {
                stale.push(format!("{name} is not generated from any Rust type"));
            }
        }
        assert!(
            stale.is_empty(),
            "UI bindings in {BINDINGS_DIR} are stale ({}). Run \
             `CARREL_UPDATE_BINDINGS=1 cargo test --lib bindings` and commit the result.",
            stale.join("; ")
        );
    }
}
