//! The learner's settings: what they are, how they are read from and written to the settings file
//! (tauri-plugin-store's `settings.json` in the app's data folder), and how a change is checked.
//!
//! Every setting has a default, so a missing, hand-edited or damaged value never stops Carrel: it is
//! read as the default and the log says which key was ignored. A change from the Settings screen is
//! checked as a whole before anything is saved ([`SettingsChange::validate`]), saved in one write,
//! then applied at once by [`crate::state::AppState::apply_settings`]; nothing needs a restart
//! except moving the course library, which restarts Carrel by itself.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use carrel_core::settings::{ServerUrl, ServerUrlSource};
use carrel_protocol::updates::Channel;

use crate::error::{CommandError, codes};

/// The key of the interface language.
pub const LANGUAGE_KEY: &str = "language";
/// The key of the colour theme.
pub const THEME_KEY: &str = "theme";
/// The key of the folder courses are kept in (absent: inside the data folder).
pub const LIBRARY_DIR_KEY: &str = "libraryDir";
/// The key of a library folder left behind by a move, removed at the next start.
pub const LIBRARY_MOVED_FROM_KEY: &str = "libraryMovedFrom";
/// The key of the choice to show system notifications.
pub const NOTIFICATIONS_KEY: &str = "notifications";
/// The key of the update channel.
pub const UPDATE_CHANNEL_KEY: &str = "updateChannel";
/// The key of the choice to install updates without asking, when Carrel is idle.
pub const AUTO_INSTALL_KEY: &str = "autoInstallUpdates";
/// The key of the last successful update check (unix ms).
pub const LAST_UPDATE_CHECK_KEY: &str = "lastUpdateCheckMs";

/// The interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// The computer's language when Carrel speaks it, English otherwise.
    #[default]
    System,
    /// English.
    En,
    /// French.
    Fr,
    /// Spanish.
    Es,
}

/// The colour theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Follow the computer.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

/// The update channel, as the Settings screen offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum UpdateChannel {
    /// Releases everyone gets.
    #[default]
    Stable,
    /// Releases tried first (also offered the newest stable one).
    Beta,
}

impl From<UpdateChannel> for Channel {
    fn from(channel: UpdateChannel) -> Self {
        match channel {
            UpdateChannel::Stable => Channel::Stable,
            UpdateChannel::Beta => Channel::Beta,
        }
    }
}

/// Every setting, as the Settings screen shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// The course server address in use.
    pub server_url: String,
    /// Where that address comes from (the environment fixes it).
    pub server_url_source: ServerUrlSource,
    /// The interface language.
    pub language: Language,
    /// The colour theme.
    pub theme: Theme,
    /// The folder courses are kept in.
    pub library_dir: String,
    /// Whether that is the default folder inside Carrel's data folder.
    pub library_dir_is_default: bool,
    /// Send work and fetch news on metered connections too (otherwise sync waits).
    pub sync_on_metered: bool,
    /// Show a system notification when grades, feedback or announcements arrive.
    pub notifications: bool,
    /// The update channel.
    pub update_channel: UpdateChannel,
    /// Install updates without asking, when no quiz attempt is open and nothing is being sent.
    pub auto_install_updates: bool,
}

/// The settings kept in the settings file (everything but the server address and the library
/// folder, which have their own rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// See [`Settings::language`].
    pub language: Language,
    /// See [`Settings::theme`].
    pub theme: Theme,
    /// See [`Settings::sync_on_metered`].
    pub sync_on_metered: bool,
    /// See [`Settings::notifications`].
    pub notifications: bool,
    /// See [`Settings::update_channel`].
    pub update_channel: UpdateChannel,
    /// See [`Settings::auto_install_updates`].
    pub auto_install_updates: bool,
}

impl Default for Stored {
    fn default() -> Self {
        Self {
            language: Language::default(),
            theme: Theme::default(),
            sync_on_metered: true,
            notifications: true,
            update_channel: UpdateChannel::default(),
            auto_install_updates: false,
        }
    }
}

impl Stored {
    /// Reads the settings from the file's values (`get` answers one key); a value that is
    /// missing or not understood is the default.
    pub fn read(get: impl Fn(&str) -> Option<Value>) -> Self {
        let defaults = Self::default();
        Self {
            language: read_key(&get, LANGUAGE_KEY).unwrap_or(defaults.language),
            theme: read_key(&get, THEME_KEY).unwrap_or(defaults.theme),
            // Stored as "hold sync on metered connections" by earlier builds.
            sync_on_metered: read_key::<bool>(&get, crate::state::SYNC_HELD_KEY)
                .map_or(defaults.sync_on_metered, |held| !held),
            notifications: read_key(&get, NOTIFICATIONS_KEY).unwrap_or(defaults.notifications),
            update_channel: read_key(&get, UPDATE_CHANNEL_KEY).unwrap_or(defaults.update_channel),
            auto_install_updates: read_key(&get, AUTO_INSTALL_KEY)
                .unwrap_or(defaults.auto_install_updates),
        }
    }

    /// The file's values for these settings, as `(key, value)`.
    pub fn entries(&self) -> Vec<(&'static str, Value)> {
        vec![
            (LANGUAGE_KEY, json(self.language)),
            (THEME_KEY, json(self.theme)),
            (
                crate::state::SYNC_HELD_KEY,
                Value::Bool(!self.sync_on_metered),
            ),
            (NOTIFICATIONS_KEY, Value::Bool(self.notifications)),
            (UPDATE_CHANNEL_KEY, json(self.update_channel)),
            (AUTO_INSTALL_KEY, Value::Bool(self.auto_install_updates)),
        ]
    }
}

fn json(value: impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn read_key<T: serde::de::DeserializeOwned>(
    get: &impl Fn(&str) -> Option<Value>,
    key: &str,
) -> Option<T> {
    let value = get(key)?;
    match serde_json::from_value(value.clone()) {
        Ok(read) => Some(read),
        Err(_) => {
            tracing::warn!(key, %value, "setting not understood; using its default");
            None
        }
    }
}

/// A change made on the Settings screen: only the settings given change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(optional_fields)]
pub struct SettingsChange {
    /// A new course server address.
    pub server_url: Option<String>,
    /// See [`Settings::language`].
    pub language: Option<Language>,
    /// See [`Settings::theme`].
    pub theme: Option<Theme>,
    /// See [`Settings::sync_on_metered`].
    pub sync_on_metered: Option<bool>,
    /// See [`Settings::notifications`].
    pub notifications: Option<bool>,
    /// See [`Settings::update_channel`].
    pub update_channel: Option<UpdateChannel>,
    /// See [`Settings::auto_install_updates`].
    pub auto_install_updates: Option<bool>,
}

/// A checked change: the stored settings after it, and the new server address if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    /// The stored settings with the change applied.
    pub stored: Stored,
    /// The new server address, if the change has one that differs from the current.
    pub server_url: Option<ServerUrl>,
}

impl SettingsChange {
    /// Checks the whole change against the current settings; nothing is saved when any part is
    /// wrong. `server_locked` is true when the environment fixes the server address.
    pub fn validate(
        &self,
        current: Stored,
        current_server: &ServerUrl,
        server_locked: bool,
    ) -> Result<Validated, CommandError> {
        let server_url = match &self.server_url {
            None => None,
            Some(text) => {
                let url = ServerUrl::parse(text).map_err(|error| {
                    CommandError::new(codes::INVALID_SERVER_URL, error.to_string())
                })?;
                if &url == current_server {
                    None
                } else if server_locked {
                    return Err(CommandError::new(
                        codes::SERVER_URL_LOCKED,
                        format!(
                            "The server address is set by the {} environment variable; change \
                             it there",
                            carrel_core::settings::SERVER_URL_ENV
                        ),
                    ));
                } else {
                    Some(url)
                }
            }
        };
        let stored = Stored {
            language: self.language.unwrap_or(current.language),
            theme: self.theme.unwrap_or(current.theme),
            sync_on_metered: self.sync_on_metered.unwrap_or(current.sync_on_metered),
            notifications: self.notifications.unwrap_or(current.notifications),
            update_channel: self.update_channel.unwrap_or(current.update_channel),
            auto_install_updates: self
                .auto_install_updates
                .unwrap_or(current.auto_install_updates),
        };
        Ok(Validated { stored, server_url })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn server() -> ServerUrl {
        ServerUrl::parse("https://courses.example.org").unwrap()
    }

    #[test]
    fn stored_settings_round_trip_through_the_file_values() {
        let chosen = Stored {
            language: Language::Fr,
            theme: Theme::Dark,
            sync_on_metered: false,
            notifications: false,
            update_channel: UpdateChannel::Beta,
            auto_install_updates: true,
        };
        let file: HashMap<&str, Value> = chosen.entries().into_iter().collect();
        assert_eq!(Stored::read(|key| file.get(key).cloned()), chosen);
    }

    #[test]
    fn missing_or_damaged_values_read_as_defaults() {
        assert_eq!(Stored::read(|_| None), Stored::default());
        let file: HashMap<&str, Value> = [
            (LANGUAGE_KEY, Value::from("klingon")),
            (THEME_KEY, Value::from(42)),
            (NOTIFICATIONS_KEY, Value::from("yes")),
            (UPDATE_CHANNEL_KEY, Value::from("nightly")),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            Stored::read(|key| file.get(key).cloned()),
            Stored::default()
        );
    }

    #[test]
    fn an_earlier_hold_on_metered_connections_is_kept() {
        let read = Stored::read(|key| (key == crate::state::SYNC_HELD_KEY).then(|| true.into()));
        assert!(!read.sync_on_metered);
    }

    #[test]
    fn a_change_touches_only_what_it_names() {
        let change = SettingsChange {
            theme: Some(Theme::Light),
            ..Default::default()
        };
        let validated = change
            .validate(Stored::default(), &server(), false)
            .unwrap();
        assert_eq!(
            validated.stored,
            Stored {
                theme: Theme::Light,
                ..Stored::default()
            }
        );
        assert_eq!(validated.server_url, None);
    }

    #[test]
    fn a_bad_server_address_refuses_the_whole_change() {
        let change = SettingsChange {
            theme: Some(Theme::Dark),
            server_url: Some("ftp://courses.example.org".into()),
            ..Default::default()
        };
        let error = change
            .validate(Stored::default(), &server(), false)
            .unwrap_err();
        assert_eq!(error.code, codes::INVALID_SERVER_URL);
        assert!(error.message.contains("https://"), "{}", error.message);
    }

    #[test]
    fn a_locked_server_address_refuses_a_different_one_but_accepts_the_same() {
        let same = SettingsChange {
            server_url: Some("https://courses.example.org/".into()),
            ..Default::default()
        };
        assert!(same.validate(Stored::default(), &server(), true).is_ok());
        let other = SettingsChange {
            server_url: Some("https://other.example.org".into()),
            ..Default::default()
        };
        let error = other
            .validate(Stored::default(), &server(), true)
            .unwrap_err();
        assert_eq!(error.code, codes::SERVER_URL_LOCKED);
    }

    #[test]
    fn unknown_fields_and_values_are_refused_on_the_way_in() {
        assert!(serde_json::from_str::<SettingsChange>(r#"{"colour":"red"}"#).is_err());
        assert!(serde_json::from_str::<SettingsChange>(r#"{"theme":"sepia"}"#).is_err());
        let change: SettingsChange =
            serde_json::from_str(r#"{"language":"es","updateChannel":"beta"}"#).unwrap();
        assert_eq!(change.language, Some(Language::Es));
        assert_eq!(change.update_channel, Some(UpdateChannel::Beta));
    }
}
