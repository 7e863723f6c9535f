//! The smallest Tauri 2 app: one window showing a static page. Nothing else.

/// Runs the app. `generate_context!`'s path is relative to this package's `Cargo.toml`.
pub fn run() {
    tauri::Builder::default()
        .run(tauri::generate_context!("tauri.conf.json"))
        .expect("the baseline app runs");
}
