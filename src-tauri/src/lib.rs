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
pub mod cmi5;
pub mod commands;
pub mod content;
pub mod error;
pub mod events;
pub mod ipc_guard;
pub mod log_ring;
pub mod progress;
pub mod reminders;
pub mod runtime;
pub mod settings;
pub mod state;
pub mod update_service;
pub mod updates;
pub mod words;

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
        .on_window_event(|window, event| match event {
            tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. })
                if window.label() == "main" =>
            {
                events::emit_dropped_files(window.app_handle(), paths);
            }
            // WebKit runs no unload handler when a window is destroyed: SCORM content in it could
            // not end its session, so the app does.
            tauri::WindowEvent::Destroyed if window.label() == content::CONTENT_LABEL => {
                runtime::end_open_sessions(window.app_handle());
            }
            _ => {}
        })
        .setup(|app| {
            let state = state::AppState::init(app.handle())?;
            let stored = update_service::read_stored(app.handle());
            state.apply_theme(app.handle(), stored.theme);
            app.manage(state);
            app.manage(content::ExternalLinks::default());
            app.manage(runtime::OpenItem::default());
            app.manage(update_service::UpdateService::new(
                app.package_info().version.to_string(),
                update_service::read_last_success(app.handle()),
                stored.auto_install_updates,
            ));
            update_service::UpdateService::spawn_background(app.handle().clone());
            // Sessions left open when Carrel last stopped.
            runtime::end_open_sessions(app.handle());
            reminders::spawn(app.handle().clone());
            tune_main_webview(app.handle());
            Ok(())
        })
        .invoke_handler(ipc_guard::guard(tauri::generate_handler![
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
            commands::courses::open_external_link,
            commands::courses::open_webinar_session,
            commands::courses::download_recording,
            commands::courses::open_recording,
            commands::certificates::get_certificate,
            commands::certificates::request_certificate,
            commands::certificates::open_certificate,
            commands::certificates::get_transcript,
            commands::forums::get_forum,
            commands::forums::get_forum_topic,
            commands::forums::mark_forum_topic_read,
            commands::forums::save_forum_draft,
            commands::forums::post_to_forum,
            commands::forums::pick_forum_attachments,
            commands::forums::add_forum_attachments,
            commands::forums::open_forum_attachment,
            commands::groups::open_group_file,
            commands::study::get_study_settings,
            commands::study::set_weekly_hours,
            commands::study::get_study_plan,
            commands::study::get_dashboard,
            commands::study::export_calendar,
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
        ]))
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
    // bundle. `try_init` also bridges the `log` crate (tauri and its plugins log through it) into
    // tracing, so their records reach the ring too. On an invoke-key mismatch Tauri 2.12 prints
    // `__TAURI_INVOKE_KEY__ expected <key> but received <value>` with `eprintln!` (its `tracing`
    // feature is off), so the key goes to stderr only; were it to come through tracing or `log`,
    // `log_ring::scrub` blanks it.
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
    use std::collections::{BTreeMap, BTreeSet};

    use tauri::ipc::{Origin, RuntimeAuthority};
    use tauri::scope::fs::Pattern;

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

    /// The committed record of what every webview may call, as Tauri resolves it.
    const SNAPSHOT: &str = "src-tauri/capabilities.snapshot.json";

    /// Plugins the app drives from Rust only: no webview may reach any of their commands.
    const RUST_ONLY_PLUGINS: [&str; 5] = ["updater", "store", "dialog", "opener", "notification"];

    /// The webviews probed: the app's UI, course content, and a label nothing should know.
    const PROBED_WEBVIEWS: [&str; 3] =
        ["main", crate::content::CONTENT_LABEL, "some-other-webview"];

    /// A file the build script (tauri-build) generated in `gen/schemas/`.
    fn generated(name: &str) -> serde_json::Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("gen/schemas")
            .join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("the build script writes {}: {error}", path.display()));
        serde_json::from_str(&text).expect("generated JSON parses")
    }

    /// The capabilities as the build script compiled them, by identifier.
    fn compiled_capabilities() -> serde_json::Map<String, serde_json::Value> {
        generated("capabilities.json")
            .as_object()
            .expect("capabilities.json is an object")
            .clone()
    }

    /// Every command any ACL manifest (the app's and each plugin's) names, spelled as the runtime
    /// authority keys them (`get_app_info`, `plugin:event|listen`, `plugin:updater|check`).
    fn every_known_command() -> BTreeSet<String> {
        let mut commands: BTreeSet<String> = registered_commands()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let manifests = generated("acl-manifests.json");
        for (key, manifest) in manifests.as_object().expect("manifests by plugin") {
            let permissions = manifest["permissions"].as_object().into_iter().flatten();
            for (_, permission) in permissions {
                for list in ["allow", "deny"] {
                    let names = permission["commands"][list]
                        .as_array()
                        .into_iter()
                        .flatten();
                    for name in names.filter_map(|name| name.as_str()) {
                        commands.insert(if key == tauri::utils::acl::APP_ACL_KEY {
                            name.to_owned()
                        } else {
                            let plugin = key.strip_prefix("core:").unwrap_or(key);
                            format!("plugin:{plugin}|{name}")
                        });
                    }
                }
            }
        }
        commands
    }

    /// The commands the runtime authority lets `webview` (alone in a window of the same label, as
    /// content windows are) call from `origin`. Also checks no grant came through a window pattern.
    fn reachable(
        authority: &RuntimeAuthority,
        commands: &BTreeSet<String>,
        webview: &str,
        origin: &Origin,
    ) -> Vec<String> {
        let mut reachable = Vec::new();
        for command in commands {
            if let Some(grants) = authority.resolve_access(command, webview, webview, origin) {
                for grant in &grants {
                    assert!(
                        grant.windows.is_empty(),
                        "{command} is granted by window label ({:?}): a window grant reaches \
                         every webview in the window, course content included",
                        grant.windows
                    );
                }
                reachable.push(command.clone());
            }
        }
        reachable
    }

    /// What the snapshot records: the capability files, each compiled capability, and the commands
    /// each probed webview reaches from a local (app or custom-scheme) and a remote origin.
    fn resolved_grants() -> serde_json::Value {
        let mut context: tauri::Context<tauri::Wry> = tauri::generate_context!();
        let authority = context.runtime_authority_mut();
        let commands = every_known_command();
        let remote = Origin::Remote {
            url: "https://example.com/".parse().unwrap(),
        };
        let mut webviews = serde_json::Map::new();
        for webview in PROBED_WEBVIEWS {
            webviews.insert(
                webview.to_owned(),
                serde_json::json!({
                    "local": reachable(authority, &commands, webview, &Origin::Local),
                    "remote": reachable(authority, &commands, webview, &remote),
                }),
            );
        }
        let mut capabilities = compiled_capabilities();
        for capability in capabilities.values_mut() {
            if let Some(permissions) = capability["permissions"].as_array_mut() {
                permissions.sort_by_key(|permission| permission.to_string());
            }
            if let Some(capability) = capability.as_object_mut() {
                capability.remove("description");
            }
        }
        serde_json::json!({
            "capability_files": capability_files(),
            "capabilities": capabilities,
            "reachable_commands": webviews,
        })
    }

    /// The file names in `src-tauri/capabilities/`.
    fn capability_files() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/capabilities");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        files
    }

    #[test]
    fn only_the_main_capability_exists_and_no_grant_uses_windows() {
        assert_eq!(
            capability_files(),
            ["main.json"],
            "one capability file, for the main UI; course content must get none"
        );
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
        assert_eq!(
            config["app"]["security"]["capabilities"],
            serde_json::json!(["main"]),
            "tauri.conf.json enables exactly the main capability"
        );
        let capabilities = compiled_capabilities();
        assert_eq!(
            capabilities.keys().collect::<Vec<_>>(),
            ["main"],
            "the build script compiled exactly the main capability"
        );
        for (id, capability) in &capabilities {
            assert!(
                capability.get("windows").is_none(),
                "capability {id} uses \"windows\": that grant leaks to every webview of the \
                 window, course content included; scope it with \"webviews\""
            );
            for pattern in capability["webviews"].as_array().into_iter().flatten() {
                let pattern = pattern.as_str().unwrap();
                assert!(
                    !Pattern::new(pattern)
                        .unwrap()
                        .matches(crate::content::CONTENT_LABEL),
                    "capability {id}'s webview pattern {pattern:?} matches the course content \
                     label {:?}: hostile course pages would get its commands",
                    crate::content::CONTENT_LABEL
                );
            }
            for permission in capability["permissions"].as_array().into_iter().flatten() {
                let name = permission
                    .as_str()
                    .or_else(|| permission["identifier"].as_str())
                    .unwrap_or_default();
                assert!(
                    !RUST_ONLY_PLUGINS
                        .iter()
                        .any(|plugin| name.starts_with(&format!("{plugin}:"))),
                    "capability {id} grants {name}; that plugin is driven from Rust only"
                );
            }
        }
    }

    #[test]
    fn resolved_capability_grants_reach_main_only_and_match_the_snapshot() {
        let grants = resolved_grants();
        let reachable = &grants["reachable_commands"];
        let main: BTreeSet<&str> = reachable["main"]["local"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|command| command.as_str())
            .collect();
        for command in registered_commands() {
            assert!(
                main.contains(command),
                "the main UI calls {command}, but the resolved ACL does not let it"
            );
        }
        for (webview, by_origin) in reachable.as_object().unwrap() {
            for (origin, commands) in by_origin.as_object().unwrap() {
                let commands = commands.as_array().unwrap();
                if webview != "main" || origin != "local" {
                    assert!(
                        commands.is_empty(),
                        "webview {webview} ({origin} origin) must reach no command, reaches \
                         {commands:?}"
                    );
                }
                for command in commands.iter().filter_map(|command| command.as_str()) {
                    assert!(
                        !RUST_ONLY_PLUGINS
                            .iter()
                            .any(|plugin| command.starts_with(&format!("plugin:{plugin}|"))),
                        "webview {webview} reaches {command}; that plugin is driven from Rust only"
                    );
                }
            }
        }

        let generated = format!("{}\n", serde_json::to_string_pretty(&grants).unwrap());
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SNAPSHOT);
        if std::env::var_os("CARREL_UPDATE_CAPABILITIES").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let Ok(committed) = std::fs::read_to_string(&path) else {
            panic!(
                "{SNAPSHOT} is missing. Run `CARREL_UPDATE_CAPABILITIES=1 cargo test -p carrel \
                 --lib capabilit` and commit it."
            );
        };
        if committed != generated {
            let old: BTreeMap<&str, usize> = count_lines(&committed);
            let new: BTreeMap<&str, usize> = count_lines(&generated);
            let mut diff = Vec::new();
            for (line, n) in &old {
                if new.get(line).copied().unwrap_or(0) < *n {
                    diff.push(format!("- {}", line.trim()));
                }
            }
            for (line, n) in &new {
                if old.get(line).copied().unwrap_or(0) < *n {
                    diff.push(format!("+ {}", line.trim()));
                }
            }
            panic!(
                "the webviews' grants changed from {SNAPSHOT} (- committed, + now):\n{}\n\
                 If the change is intended, run `CARREL_UPDATE_CAPABILITIES=1 cargo test -p carrel \
                 --lib capabilit` and commit the snapshot with the change.",
                if diff.is_empty() {
                    "  (same lines, different order or layout)".to_owned()
                } else {
                    diff.join("\n")
                }
            );
        }
    }

    /// The probe above is only as good as its view of globs and window grants: a capability for
    /// webview "*" must show up as course content reaching a command, and a window grant must trip
    /// the window check.
    #[test]
    fn the_capability_probe_sees_glob_and_window_grants() {
        let mut context: tauri::Context<tauri::Wry> = tauri::generate_context!();
        let authority = context.runtime_authority_mut();
        let commands = every_known_command();
        let content = crate::content::CONTENT_LABEL;
        authority
            .add_capability(
                tauri::ipc::CapabilityBuilder::new("everyone")
                    .webview("*")
                    .permission("allow-get-app-info"),
            )
            .unwrap();
        assert_eq!(
            reachable(authority, &commands, content, &Origin::Local),
            ["get_app_info"],
            "a \"*\" webview grant reaches course content"
        );
        authority
            .add_capability(
                tauri::ipc::CapabilityBuilder::new("by-window")
                    .window(content)
                    .permission("allow-list-courses"),
            )
            .unwrap();
        let probe = std::panic::catch_unwind(|| {
            reachable(authority, &commands, content, &Origin::Local);
        });
        assert!(probe.is_err(), "a window grant must fail the probe");
    }

    /// How often each line occurs in `text`.
    fn count_lines(text: &str) -> BTreeMap<&str, usize> {
        let mut counts = BTreeMap::new();
        for line in text.lines() {
            *counts.entry(line).or_insert(0) += 1;
        }
        counts
    }
}
