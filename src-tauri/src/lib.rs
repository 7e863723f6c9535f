//! The Carrel desktop app: a thin Tauri shell over `carrel-core`.
//!
//! This crate is the only one that knows Tauri. It opens the main window (the Svelte UI in `ui/`),
//! registers the store and updater plugins, keeps the [`state::AppState`] the commands share, and
//! turns core events into UI events. Each command in [`commands`] takes state, calls one core
//! function and maps the error; no business rules live here.
//!
//! Security: every app command is permission-gated (see `src-tauri/build.rs`) and granted only to
//! the webview labelled `main` by `src-tauri/capabilities/main.json`. Course content will run in
//! other webviews that no capability names, so it can reach no command.

use tauri::Manager;

pub mod bindings;
pub mod commands;
pub mod content;
pub mod error;
pub mod events;
pub mod log_ring;
pub mod progress;
pub mod settings;
pub mod state;
pub mod update_service;
pub mod updates;

/// Starts the app and blocks until it quits.
pub fn run() {
    let _ = commands::app::STARTED.set(std::time::Instant::now());
    init_logging();
    let app = tauri::Builder::default()
        // First, so a second launch hands over and exits before anything else starts. The
        // progress database's lock is the hard guarantee where the plugin cannot work (no D-Bus).
        .plugin(tauri_plugin_single_instance::init(|app, args, _cwd| {
            focus_main_window(app);
            let packages: Vec<std::path::PathBuf> = args
                .iter()
                .skip(1)
                .map(std::path::PathBuf::from)
                .filter(|path| state::is_course_package(path))
                .collect();
            if !packages.is_empty() {
                events::emit_dropped_files(app, &packages);
            }
        }))
        .plugin(tauri_plugin_store::Builder::new().build())
        // Strictly newer versions only, whatever the configuration says; and no webview is granted
        // the plugin's own commands (see `updates`).
        .plugin(
            tauri_plugin_updater::Builder::new()
                .default_version_comparator(|current, release| {
                    updates::newer_only(&current, &release.version)
                })
                .build(),
        )
        .plugin(tauri_plugin_dialog::init())
        // Used from Rust only, when the learner allows it in Settings (no webview permission).
        .plugin(tauri_plugin_notification::init())
        // Used from Rust only (course files after the learner confirms); no webview is granted
        // any opener permission.
        .plugin(tauri_plugin_opener::init())
        .register_asynchronous_uri_scheme_protocol(content::SCHEME, content::handle)
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event
                && window.label() == "main"
            {
                events::emit_dropped_files(window.app_handle(), paths);
            }
        })
        .setup(|app| {
            let state = state::AppState::init(app.handle())?;
            let stored = update_service::read_stored(app.handle());
            state.apply_theme(app.handle(), stored.theme);
            app.manage(state);
            app.manage(update_service::UpdateService::new(
                app.package_info().version.to_string(),
                update_service::read_last_success(app.handle()),
                stored.auto_install_updates,
            ));
            update_service::UpdateService::spawn_background(app.handle().clone());
            tune_main_webview(app.handle());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::get_app_info,
            commands::app::set_server_url,
            commands::app::mark_interactive,
            commands::server::get_server_status,
            commands::server::check_server_now,
            commands::courses::list_courses,
            commands::courses::get_course_outline,
            commands::courses::remove_course,
            commands::courses::pick_course_file,
            commands::courses::import_course_file,
            commands::courses::get_catalog,
            commands::courses::download_course,
            commands::courses::cancel_task,
            commands::courses::take_pending_imports,
            commands::courses::open_course_item,
            commands::courses::open_course_home,
            commands::courses::mark_item_done,
            commands::courses::take_notices,
            commands::courses::repair_course,
            commands::courses::open_course_file,
            commands::study::get_study_settings,
            commands::study::set_weekly_hours,
            commands::study::get_study_plan,
            commands::study::get_dashboard,
            commands::study::search_courses,
            commands::assess::get_quiz,
            commands::assess::start_quiz_attempt,
            commands::assess::get_quiz_attempt,
            commands::assess::save_quiz_answer,
            commands::assess::check_quiz_answer,
            commands::assess::submit_quiz_attempt,
            commands::assess::get_assignment,
            commands::assess::save_assignment_draft,
            commands::assess::get_draft_version,
            commands::assess::restore_draft_version,
            commands::assess::pick_attachments,
            commands::assess::add_attachments,
            commands::assess::remove_attachment,
            commands::assess::submit_assignment,
            commands::assess::list_outbox,
            commands::assess::get_submission,
            commands::assess::open_assignment_brief,
            commands::sync::get_account,
            commands::sync::sign_in,
            commands::sync::sign_out,
            commands::sync::get_sync_status,
            commands::sync::sync_now,
            commands::sync::set_sync_held,
            commands::sync::retry_submission,
            commands::sync::list_course_notices,
            commands::sync::mark_notices_seen,
            commands::sync::export_submission,
            commands::sync::export_support_bundle,
            commands::settings::get_settings,
            commands::settings::update_settings,
            commands::settings::move_library,
            commands::updates::get_update_status,
            commands::updates::check_for_update,
            commands::updates::download_update,
            commands::updates::cancel_update_download,
            commands::updates::install_update,
        ])
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(error) => {
            tracing::error!(%error, "Carrel could not start");
            eprintln!("Carrel could not start: {error}");
            std::process::exit(1);
        }
    }
}

/// Brings the main window to the front (a second launch of Carrel lands here).
fn focus_main_window<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        if let Err(error) = window.set_focus() {
            tracing::warn!(%error, "cannot focus the main window");
        }
    }
}

/// On Linux, turns WebKitGTK's accelerated compositing off for the app shell's own webview.
///
/// The shell is a document UI (lists, forms, text) that never needs it, and compositing keeps
/// extra buffers per layer: measured under Xvfb with `cargo bench -p carrel-bench`, the shell's web
/// process drops from ~283 MB to ~190 MB RSS. `OnDemand` would be the gentler choice but behaves
/// like `Always` in WebKitGTK 2.50 (measured: no change). Course content (video, 3D) runs in its
/// own webview, which keeps WebKit's default policy.
#[cfg(target_os = "linux")]
fn tune_main_webview<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
    let Some(window) = app.get_webview_window("main") else {
        tracing::warn!("no main webview to tune");
        return;
    };
    let result = window.with_webview(|platform| {
        if let Some(settings) = platform.inner().settings() {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    });
    if let Err(error) = result {
        tracing::warn!(%error, "cannot tune the main webview");
    }
}

#[cfg(not(target_os = "linux"))]
fn tune_main_webview<R: tauri::Runtime>(_app: &tauri::AppHandle<R>) {}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,carrel_app=info,carrel_core=info"));
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // Logs go to stderr and, scrubbed, to the in-memory ring the learner may export in a support
    // bundle. Tauri prints its invoke key to stderr itself on a mismatch (not through tracing), so
    // it never reaches the ring.
    let stderr = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let ring = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(log_ring::RingWriter);
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(ring)
        .try_init();
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The command names in `generate_handler!` in [`super::run`], read from this file's source.
    fn registered_commands() -> BTreeSet<&'static str> {
        let source = include_str!("lib.rs");
        let start = source
            .find("generate_handler![")
            .expect("run() registers commands");
        let end = start + source[start..].find(']').expect("the list ends");
        source[start + "generate_handler![".len()..end]
            .split(',')
            .filter_map(|path| path.trim().rsplit("::").next())
            .filter(|name| !name.is_empty())
            .collect()
    }

    #[test]
    fn every_registered_command_is_permission_gated_in_build_rs() {
        let build_rs = include_str!("../build.rs");
        let start = build_rs
            .find("const COMMANDS")
            .expect("build.rs lists COMMANDS");
        let end = start + build_rs[start..].find("];").expect("COMMANDS ends");
        let gated: BTreeSet<&str> = build_rs[start..end].split('"').skip(1).step_by(2).collect();
        let registered = registered_commands();
        assert!(
            registered.contains("get_app_info"),
            "parsed the handler list: {registered:?}"
        );
        assert_eq!(
            gated, registered,
            "a command missing from build.rs COMMANDS is ungated; one only there is dead"
        );
    }

    #[test]
    fn main_capability_is_scoped_to_the_main_webview_only() {
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/main.json")).unwrap();
        assert_eq!(
            capability["webviews"],
            serde_json::json!(["main"]),
            "grants must name the main webview: a window grant leaks to child webviews"
        );
        assert!(
            capability.get("windows").is_none(),
            "a \"windows\" grant reaches every webview in the window, course content included"
        );
        let permissions = capability["permissions"].as_array().unwrap();
        for command in registered_commands() {
            let wanted = format!("allow-{}", command.replace('_', "-"));
            assert!(
                permissions.iter().any(|p| p == wanted.as_str()),
                "the main UI needs {wanted}"
            );
        }
    }
}
