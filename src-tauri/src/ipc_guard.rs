//! What each webview reached, and what course content tried and was stopped from doing.
//!
//! Tauri refuses a command the caller's capability does not grant before it reaches the app's
//! handler; course content's webview ([`crate::content::CONTENT_LABEL`]) is granted nothing. This
//! module is the app's own second lock and its record: every invocation that does reach the
//! handler is counted by the label of the webview it came from, and one from any webview but the
//! main one is refused here too. The content window's blocked navigations, blocked new windows and
//! refused content-scheme requests are counted beside it.
//!
//! The counts are this run's (in memory, from zero at start). They are part of [`AppInfo`]
//! (`contentGuard`) and of the support bundle, and the hostile-course end-to-end test reads them:
//! after every escape a course page can try, no command was reached from its webview.
//!
//! [`AppInfo`]: crate::commands::app::AppInfo

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use tauri::Runtime;
use tauri::ipc::Invoke;
use ts_rs::TS;

/// The only webview whose invocations the handler runs.
pub const MAIN_LABEL: &str = "main";

/// This run's counts (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ContentGuard {
    /// Invocations that reached the command handler, by webview label. Only `main` may appear.
    #[ts(type = "Record<string, number>")]
    pub commands_reached: BTreeMap<String, u64>,
    /// Of those, the ones refused because they did not come from the main webview.
    #[ts(type = "number")]
    pub commands_refused: u64,
    /// Navigations of the content window to anything outside the course, blocked.
    #[ts(type = "number")]
    pub navigations_blocked: u64,
    /// Windows course content tried to open, blocked.
    #[ts(type = "number")]
    pub windows_blocked: u64,
    /// Content-scheme requests refused: from another webview, for another course, or for a path
    /// the course does not have.
    #[ts(type = "number")]
    pub content_requests_refused: u64,
}

struct Counters {
    reached: Mutex<BTreeMap<String, u64>>,
    refused: AtomicU64,
    navigations: AtomicU64,
    windows: AtomicU64,
    requests: AtomicU64,
}

static COUNTERS: Counters = Counters {
    reached: Mutex::new(BTreeMap::new()),
    refused: AtomicU64::new(0),
    navigations: AtomicU64::new(0),
    windows: AtomicU64::new(0),
    requests: AtomicU64::new(0),
};

/// What the app has seen so far this run.
pub fn snapshot() -> ContentGuard {
    let reached = COUNTERS
        .reached
        .lock()
        .map(|map| map.clone())
        .unwrap_or_default();
    ContentGuard {
        commands_reached: reached,
        commands_refused: COUNTERS.refused.load(Ordering::Relaxed),
        navigations_blocked: COUNTERS.navigations.load(Ordering::Relaxed),
        windows_blocked: COUNTERS.windows.load(Ordering::Relaxed),
        content_requests_refused: COUNTERS.requests.load(Ordering::Relaxed),
    }
}

/// Counts an invocation that reached the handler, from the webview labelled `label`; whether
/// it may run (only the main webview's may).
pub fn admit_label(label: &str) -> bool {
    if let Ok(mut reached) = COUNTERS.reached.lock() {
        *reached.entry(label.to_owned()).or_default() += 1;
    }
    let admitted = label == MAIN_LABEL;
    if !admitted {
        COUNTERS.refused.fetch_add(1, Ordering::Relaxed);
    }
    admitted
}

/// Wraps the app's command handler: counts every invocation and refuses those that do not come
/// from the main webview, whatever a capability says.
pub fn guard<R: Runtime>(
    handler: impl Fn(Invoke<R>) -> bool + Send + Sync + 'static,
) -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    move |invoke: Invoke<R>| {
        let label = invoke.message.webview_ref().label().to_owned();
        if admit_label(&label) {
            return handler(invoke);
        }
        tracing::warn!(
            label,
            command = invoke.message.command(),
            "a command call from outside the main webview reached the handler; refused"
        );
        invoke
            .resolver
            .reject("Carrel's commands are not available to this page.");
        true
    }
}

/// Counts a navigation of the content window that was blocked.
pub fn navigation_blocked() {
    COUNTERS.navigations.fetch_add(1, Ordering::Relaxed);
}

/// Counts a window course content tried to open.
pub fn window_blocked() {
    COUNTERS.windows.fetch_add(1, Ordering::Relaxed);
}

/// Counts a refused content-scheme request.
pub fn content_request_refused() {
    COUNTERS.requests.fetch_add(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_main_webview_is_admitted_and_every_call_is_counted() {
        let before = snapshot();
        assert!(admit_label(MAIN_LABEL));
        assert!(!admit_label(crate::content::CONTENT_LABEL));
        assert!(!admit_label("anything-else"));
        let after = snapshot();
        let count = |guard: &ContentGuard, label: &str| {
            guard.commands_reached.get(label).copied().unwrap_or(0)
        };
        assert_eq!(count(&after, "main"), count(&before, "main") + 1);
        assert_eq!(count(&after, "content"), count(&before, "content") + 1);
        assert_eq!(
            count(&after, "anything-else"),
            count(&before, "anything-else") + 1
        );
        assert_eq!(after.commands_refused, before.commands_refused + 2);
    }
}
