//! A WebDriver session on the app's main window, with the few verbs the tests need and a
//! screenshot per step.

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::{Client, Locator};

/// How long a condition may take before a test fails. Generous: CI machines are slow and busy.
pub const WAIT: Duration = Duration::from_secs(30);

/// A session on the app; close it with [`Session::close`] so the app quits.
pub struct Session {
    client: Client,
    shots: PathBuf,
    step: u32,
}

impl Session {
    pub(crate) fn new(client: Client, shots: PathBuf) -> anyhow::Result<Self> {
        if shots.exists() {
            std::fs::remove_dir_all(&shots)?;
        }
        std::fs::create_dir_all(&shots)?;
        Ok(Self {
            client,
            shots,
            step: 0,
        })
    }

    /// The folder screenshots of this session go to.
    pub fn screenshot_dir(&self) -> &PathBuf {
        &self.shots
    }

    /// Saves a PNG of the window as `NN-<name>.png` and returns its path.
    pub async fn screenshot(&mut self, name: &str) -> anyhow::Result<PathBuf> {
        self.step += 1;
        let png = self.client.screenshot().await?;
        let path = self.shots.join(format!("{:02}-{name}.png", self.step));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Waits until the shell says it has rendered with real data (`<body data-ready="true">`).
    pub async fn wait_ready(&self) -> anyhow::Result<()> {
        self.wait_for(r#"body[data-ready="true"]"#).await
    }

    /// Waits until an element matching `css` exists.
    pub async fn wait_for(&self, css: &str) -> anyhow::Result<()> {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .map_err(|e| anyhow::anyhow!("no element {css:?} appeared within {WAIT:?}: {e}"))?;
        Ok(())
    }

    /// Whether an element matching `css` exists now.
    pub async fn exists(&self, css: &str) -> anyhow::Result<bool> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    /// The visible text of the element matching `css`.
    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        Ok(self.client.find(Locator::Css(css)).await?.text().await?)
    }

    /// An attribute of the element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .client
            .find(Locator::Css(css))
            .await?
            .attr(name)
            .await?)
    }

    /// Clicks the element matching `css`, waiting for it to appear. A click that fails because
    /// the UI re-rendered the element between finding and clicking it (a list reloading) is
    /// tried again, as a person would click again, until [`WAIT`] has passed.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let attempt = async {
                self.client.find(Locator::Css(css)).await?.click().await?;
                anyhow::Ok(())
            };
            match attempt.await {
                Ok(()) => return Ok(()),
                Err(error) if tokio::time::Instant::now() >= deadline => {
                    return Err(error.context(format!("clicking {css}")));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Replaces the value of the input matching `css` with `text`, as typed keys.
    pub async fn fill(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let input = self.client.find(Locator::Css(css)).await?;
        input.clear().await?;
        input.send_keys(text).await?;
        Ok(())
    }

    /// Waits until attribute `name` of the element matching `css` equals `value`.
    pub async fn wait_for_attr(&self, css: &str, name: &str, value: &str) -> anyhow::Result<()> {
        let what = format!("{css}[{name}]");
        self.wait_for_value(&what, value, || async {
            self.attr(css, name).await.ok().flatten()
        })
        .await
    }

    /// Waits until the text of the element matching `css` equals `value`.
    pub async fn wait_for_text(&self, css: &str, value: &str) -> anyhow::Result<()> {
        let what = format!("the text of {css}");
        self.wait_for_value(&what, value, || async { self.text(css).await.ok() })
            .await
    }

    /// Polls `read` until it returns `value`, for at most [`WAIT`].
    async fn wait_for_value<F, Fut>(&self, what: &str, value: &str, read: F) -> anyhow::Result<()>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Option<String>>,
    {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut last = None;
        while tokio::time::Instant::now() < deadline {
            last = read().await;
            if last.as_deref() == Some(value) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("{what} stayed {last:?}, never {value:?}, within {WAIT:?}")
    }

    /// Whether a JavaScript alert, confirm or prompt dialog is open.
    pub async fn dialog_open(&self) -> bool {
        self.client.get_alert_text().await.is_ok()
    }

    /// Runs JavaScript in the page and returns its result.
    pub async fn eval(&self, script: &str) -> anyhow::Result<serde_json::Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// Switches to the first window whose current URL contains `fragment`, waiting for it to
    /// open or navigate there; returns the handle of the window that was current, to switch back
    /// with [`Self::switch_to`].
    pub async fn switch_to_window_at(
        &self,
        fragment: &str,
    ) -> anyhow::Result<fantoccini::wd::WindowHandle> {
        let previous = self.client.window().await?;
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut seen = Vec::new();
        while tokio::time::Instant::now() < deadline {
            seen.clear();
            for handle in self.client.windows().await? {
                self.client.switch_to_window(handle.clone()).await?;
                let url = self
                    .client
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                if url.contains(fragment) {
                    return Ok(previous);
                }
                seen.push(url);
            }
            self.client.switch_to_window(previous.clone()).await?;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        anyhow::bail!("no window at …{fragment}… opened within {WAIT:?}; windows: {seen:?}")
    }

    /// Switches to the window with `handle`.
    pub async fn switch_to(&self, handle: fantoccini::wd::WindowHandle) -> anyhow::Result<()> {
        Ok(self.client.switch_to_window(handle).await?)
    }

    /// The handles of the open windows.
    pub async fn windows(&self) -> anyhow::Result<Vec<fantoccini::wd::WindowHandle>> {
        Ok(self.client.windows().await?)
    }

    /// Types `keys` (WebDriver key codes allowed, such as `"\u{E004}"` for Tab) into whatever has
    /// the keyboard focus, as a keyboard-only user would.
    pub async fn keys(&self, keys: &str) -> anyhow::Result<()> {
        self.client.active_element().await?.send_keys(keys).await?;
        Ok(())
    }

    /// Runs asynchronous JavaScript (the last argument is the callback) and returns its result.
    pub async fn eval_async(&self, script: &str) -> anyhow::Result<serde_json::Value> {
        Ok(self.client.execute_async(script, vec![]).await?)
    }

    /// Waits until `script` (an expression) evaluates to `true` in the current window.
    pub async fn wait_until(&self, script: &str) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut last = serde_json::Value::Null;
        while tokio::time::Instant::now() < deadline {
            last = self
                .eval(&format!("return ({script});"))
                .await
                .unwrap_or(serde_json::Value::Null);
            if last == serde_json::Value::Bool(true) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        anyhow::bail!("`{script}` stayed {last}, never true, within {WAIT:?}")
    }

    /// Ends the session; the app window closes and the app exits.
    pub async fn close(self) -> anyhow::Result<()> {
        self.client.close().await?;
        Ok(())
    }
}
