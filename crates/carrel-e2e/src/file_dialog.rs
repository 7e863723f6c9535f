//! The system's open-file dialog, answered like a person would: the GTK file chooser the app opens
//! (through tauri-plugin-dialog) is found by its title on the X display, focused, and given a path
//! in its location field, with `xdotool` sending real key events through XTEST.
//!
//! WebDriver cannot reach native dialogs; this drives the real one instead of replacing it.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::Display;

pub(crate) fn xdotool(display: &Display, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display.name())
        .output()
        .map_err(|error| {
            anyhow::anyhow!("xdotool cannot run ({error}); install the xdotool package")
        })?;
    if !output.status.success() {
        anyhow::bail!(
            "xdotool {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Waits (up to 20 s) for the dialog titled `title`, then picks `path` in it.
pub fn pick(display: &Display, title: &str, path: &std::path::Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let window = loop {
        if let Ok(found) = xdotool(display, &["search", "--onlyvisible", "--name", title])
            && let Some(id) = found.lines().next().filter(|id| !id.is_empty())
        {
            break id.to_owned();
        }
        if started.elapsed() > Duration::from_secs(20) {
            anyhow::bail!("no file dialog titled {title:?} appeared");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    // Let GTK finish mapping and filling the dialog before typing into it.
    std::thread::sleep(Duration::from_millis(700));
    xdotool(display, &["windowfocus", "--sync", &window])?;
    // Ctrl+L opens the location field; the path replaces whatever it holds.
    xdotool(display, &["key", "--clearmodifiers", "ctrl+l"])?;
    std::thread::sleep(Duration::from_millis(300));
    xdotool(display, &["key", "--clearmodifiers", "ctrl+a"])?;
    xdotool(
        display,
        &["type", "--delay", "20", &path.display().to_string()],
    )?;
    std::thread::sleep(Duration::from_millis(300));
    xdotool(display, &["key", "Return"])?;
    // The dialog closes once it accepted the file.
    let started = Instant::now();
    while xdotool(display, &["search", "--onlyvisible", "--name", title])
        .is_ok_and(|found| !found.trim().is_empty())
    {
        if started.elapsed() > Duration::from_secs(10) {
            anyhow::bail!(
                "the file dialog titled {title:?} did not take {}",
                path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}
