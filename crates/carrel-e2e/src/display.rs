//! An X display for the app's window: the caller's `DISPLAY`, or a private `Xvfb`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A usable X display; stops the Xvfb it started (if any) when dropped.
pub struct Display {
    name: String,
    xvfb: Option<Child>,
}

impl Display {
    /// Uses `$DISPLAY` when set, otherwise starts `Xvfb` on the first free display number ≥ 90.
    pub fn ensure() -> anyhow::Result<Self> {
        if let Some(name) = std::env::var("DISPLAY").ok().filter(|d| !d.is_empty()) {
            return Ok(Self { name, xvfb: None });
        }
        let number = (90..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                    && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            })
            .ok_or_else(|| anyhow::anyhow!("no free X display number between :90 and :199"))?;
        let name = format!(":{number}");
        let child = Command::new("Xvfb")
            .args([
                name.as_str(),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| {
                anyhow::anyhow!(
                    "cannot start Xvfb ({error}); install it with `apt-get install xvfb xauth` \
                     or run the tests under an X server"
                )
            })?;
        let socket = format!("/tmp/.X11-unix/X{number}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !Path::new(&socket).exists() {
            if Instant::now() > deadline {
                anyhow::bail!("Xvfb did not open {socket} within 20 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self {
            name,
            xvfb: Some(child),
        })
    }

    /// The display name, e.g. `:90`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(child) = self.xvfb.as_mut() {
            crate::terminate(child, Duration::from_secs(5));
        }
    }
}
