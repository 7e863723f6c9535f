//! The state every command shares: where data lives, which server is in use, and the handle on the
//! background connectivity monitor.

use std::path::PathBuf;
use std::sync::RwLock;
use std::time::Duration;

use carrel_core::connectivity::Monitor;
use carrel_core::http::HttpClient;
use carrel_core::settings::{self, ResolvedServerUrl, ServerUrl, ServerUrlSource};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_store::StoreExt;

use crate::error::{CommandError, codes};
use crate::events;

/// The settings file, in the app's data folder (managed by tauri-plugin-store).
pub const SETTINGS_FILE: &str = "settings.json";
/// The key of the saved server address in [`SETTINGS_FILE`].
pub const SERVER_URL_KEY: &str = "serverUrl";
/// How often the server is probed in the background.
const STATUS_INTERVAL: Duration = Duration::from_secs(15);

/// Shared app state, managed by Tauri.
pub struct AppState {
    data_dir: PathBuf,
    server: RwLock<ResolvedServerUrl>,
    monitor: Monitor,
}

impl AppState {
    /// Creates the data folder, reads the server address, and starts the connectivity monitor.
    pub fn init<R: Runtime>(app: &AppHandle<R>) -> Result<Self, Box<dyn std::error::Error>> {
        let data_dir = app.path().app_data_dir()?;
        std::fs::create_dir_all(&data_dir).map_err(|error| {
            format!(
                "cannot create the data folder {}: {error}",
                data_dir.display()
            )
        })?;
        let saved = app
            .store(SETTINGS_FILE)?
            .get(SERVER_URL_KEY)
            .and_then(|value| value.as_str().map(str::to_owned));
        let env_value = std::env::var(settings::SERVER_URL_ENV).ok();
        let server = settings::resolve_server_url(env_value.as_deref(), saved.as_deref());
        tracing::info!(
            url = %server.url,
            source = ?server.source,
            data_dir = %data_dir.display(),
            "Carrel starting"
        );
        let client = HttpClient::new()?;
        let emitter = app.clone();
        let url = server.url.clone();
        // The monitor task must live on Tauri's tokio runtime.
        let monitor = tauri::async_runtime::block_on(async move {
            Monitor::spawn(client, url, STATUS_INTERVAL, move |status| {
                if let Err(error) = emitter.emit(events::SERVER_STATUS, status) {
                    tracing::warn!(%error, "cannot send the server status to the UI");
                }
            })
        });
        Ok(Self {
            data_dir,
            server: RwLock::new(server),
            monitor,
        })
    }

    /// The folder holding this installation's data.
    pub fn data_dir(&self) -> &PathBuf {
        &self.data_dir
    }

    /// The server address in use and its source.
    pub fn server(&self) -> ResolvedServerUrl {
        self.server
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The connectivity monitor.
    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// Validates `text`, saves it as the server address, and switches the monitor to it.
    pub fn set_server_url<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        text: &str,
    ) -> Result<ResolvedServerUrl, CommandError> {
        if self.server().source == ServerUrlSource::Environment {
            return Err(CommandError::new(
                codes::SERVER_URL_LOCKED,
                format!(
                    "The server address is set by the {} environment variable; change it there.",
                    settings::SERVER_URL_ENV
                ),
            ));
        }
        let url = ServerUrl::parse(text)
            .map_err(|error| CommandError::new(codes::INVALID_SERVER_URL, error.to_string()))?;
        let store = app.store(SETTINGS_FILE).map_err(settings_error)?;
        store.set(SERVER_URL_KEY, url.as_str());
        store.save().map_err(settings_error)?;
        let resolved = ResolvedServerUrl {
            url: url.clone(),
            source: ServerUrlSource::Settings,
        };
        *self
            .server
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = resolved.clone();
        // The new status reaches the UI through the server-status event.
        let monitor = self.monitor.clone();
        tauri::async_runtime::spawn(async move {
            if let Err(error) = monitor.set_url(url).await {
                tracing::warn!(%error, "cannot switch the connectivity monitor");
            }
        });
        Ok(resolved)
    }
}

fn settings_error(error: tauri_plugin_store::Error) -> CommandError {
    tracing::error!(%error, "cannot save settings");
    CommandError::new(
        codes::SETTINGS_UNAVAILABLE,
        format!(
            "Carrel could not save your settings ({error}). Check that the disk is not full and \
             that you can write to Carrel's data folder."
        ),
    )
}
