//! Build script of the Carrel app: permission-gates the app's own commands and compiles the
//! capabilities in `src-tauri/capabilities/`, and makes sure the UI bundle that gets embedded exists.

use std::path::Path;
use std::process::Command;

/// Every command the app registers. Tauri generates an `allow-<command>`/`deny-<command>`
/// permission for each, so no command is callable from any webview unless a capability grants it.
/// Keep in sync with `generate_handler!` in `src-tauri/src/lib.rs` (a unit test checks).
const COMMANDS: &[&str] = &[
    "get_app_info",
    "get_server_status",
    "check_server_now",
    "set_server_url",
    "mark_interactive",
    "list_courses",
    "get_course_outline",
    "remove_course",
    "pick_course_file",
    "import_course_file",
    "get_catalog",
    "download_course",
    "cancel_task",
    "take_pending_imports",
    "open_course_item",
    "open_course_home",
    "mark_item_done",
    "take_notices",
    "repair_course",
    "open_course_file",
    "open_external_link",
    "open_webinar_session",
    "download_recording",
    "open_recording",
    "get_certificate",
    "request_certificate",
    "open_certificate",
    "get_transcript",
    "get_forum",
    "get_forum_topic",
    "mark_forum_topic_read",
    "save_forum_draft",
    "post_to_forum",
    "pick_forum_attachments",
    "add_forum_attachments",
    "open_forum_attachment",
    "open_group_file",
    "get_study_settings",
    "set_weekly_hours",
    "get_study_plan",
    "get_dashboard",
    "export_calendar",
    "search_courses",
    "get_quiz",
    "start_quiz_attempt",
    "get_quiz_attempt",
    "save_quiz_answer",
    "check_quiz_answer",
    "submit_quiz_attempt",
    "get_assignment",
    "save_assignment_draft",
    "get_draft_version",
    "restore_draft_version",
    "pick_attachments",
    "add_attachments",
    "remove_attachment",
    "submit_assignment",
    "list_outbox",
    "get_submission",
    "open_assignment_brief",
    "get_account",
    "sign_in",
    "sign_out",
    "get_sync_status",
    "sync_now",
    "set_sync_held",
    "retry_submission",
    "list_course_notices",
    "mark_notices_seen",
    "export_submission",
    "export_support_bundle",
    "get_settings",
    "update_settings",
    "move_library",
    "get_update_status",
    "check_for_update",
    "download_update",
    "cancel_update_download",
    "install_update",
];

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=ui/dist/index.html");
    ensure_ui_bundle();
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {error:#}");
    }
}

/// The app embeds `ui/dist`. The run and test scripts build it first; for a bare `cargo build` on a
/// fresh clone, build it here so the command works, or say exactly what is missing.
fn ensure_ui_bundle() {
    if Path::new("ui/dist/index.html").exists() {
        return;
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let run = |args: &[&str]| {
        let status = Command::new(npm)
            .args(args)
            .status()
            .unwrap_or_else(|error| {
                panic!(
                    "ui/dist is missing and npm cannot run ({error}). Install Node.js 20+ and npm, \
                 then run `npm ci && npm run build --workspace ui` in the repository root."
                )
            });
        assert!(
            status.success(),
            "`npm {}` failed; run `npm ci && npm run build --workspace ui` in the repository root \
             and read its output",
            args.join(" ")
        );
    };
    if !Path::new("node_modules").exists() {
        run(&["ci", "--no-audit", "--no-fund"]);
    }
    run(&["run", "build", "--workspace", "ui"]);
}
