//! A real carrel-server on `127.0.0.1:0` with its own database and data folder in a temporary
//! folder, for the tests and benchmarks of every crate (client, app end-to-end, server). Not a
//! mock: the same router, storage and shutdown path as the binary.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::{AppState, DataDir, Storage};

/// The password of every account the helpers below create.
pub const PASSWORD: &str = "a test password, long enough";

/// A server running on a loopback port in this process.
pub struct LoopbackServer {
    addr: SocketAddr,
    db: PathBuf,
    data: DataDir,
    faults: crate::faults::FaultPlan,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl LoopbackServer {
    /// Starts a server whose database is `dir/server.sqlite3` and data folder `dir/carrel-data`
    /// (the defaults of the binary for that database), on a free loopback port.
    /// Must be called inside a tokio runtime.
    pub async fn start(dir: &Path) -> anyhow::Result<Self> {
        Self::start_at(dir, "127.0.0.1:0").await
    }

    /// Like [`LoopbackServer::start`], listening on `addr` (a server stopped and started again on
    /// its address, as after a restart or an outage).
    pub async fn start_at(dir: &Path, addr: &str) -> anyhow::Result<Self> {
        let db = dir.join("server.sqlite3");
        let data = DataDir::beside(&db);
        let storage = Storage::open(&db)?;
        let state = {
            let data = data.clone();
            tokio::task::spawn_blocking(move || AppState::open(storage, data)).await??
        };
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let faults = state.faults().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(crate::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            addr,
            db,
            data,
            faults,
            stop,
            task,
        })
    }

    /// The server's base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The faults it commits on purpose: `server.faults().script([...])`.
    pub fn faults(&self) -> &crate::faults::FaultPlan {
        &self.faults
    }

    /// The database file.
    pub fn db(&self) -> &Path {
        &self.db
    }

    /// The data folder (published packages and the content store).
    pub fn data(&self) -> &DataDir {
        &self.data
    }

    /// Creates a learner account `login` and signs it in (the same calls the sign-in endpoint
    /// makes); returns its tokens.
    pub async fn learner(&self, login: &str) -> anyhow::Result<carrel_protocol::auth::Tokens> {
        self.account(login, carrel_protocol::auth::Role::Learner)
            .await
    }

    /// Creates an account `login` (display name: the login) with `role` and signs it in; returns
    /// its tokens.
    pub async fn account(
        &self,
        login: &str,
        role: carrel_protocol::auth::Role,
    ) -> anyhow::Result<carrel_protocol::auth::Tokens> {
        let storage = Storage::open(&self.db)?;
        crate::accounts::create_user(&storage, login, login, PASSWORD, role).await?;
        self.sign_in(login, crate::accounts::AuthConfig::default())
            .await
    }

    /// An access token of the existing account `login` (made by [`LoopbackServer::learner`] or
    /// [`LoopbackServer::account`]) that has already expired.
    pub async fn expired_token(&self, login: &str) -> anyhow::Result<String> {
        let config = crate::accounts::AuthConfig {
            access_ttl: std::time::Duration::ZERO,
            ..crate::accounts::AuthConfig::default()
        };
        Ok(self.sign_in(login, config).await?.access_token)
    }

    async fn sign_in(
        &self,
        login: &str,
        config: crate::accounts::AuthConfig,
    ) -> anyhow::Result<carrel_protocol::auth::Tokens> {
        let storage = Storage::open(&self.db)?;
        let sign_in = carrel_protocol::auth::SignIn {
            login: login.to_owned(),
            password: PASSWORD.to_owned(),
            device: None,
        };
        Ok(crate::accounts::sign_in(&storage, &config, sign_in).await?)
    }

    /// Enrols the account `login` in `course_id` as `role` (learner or tutor), in `group`, as
    /// `carrel-server enrol` does.
    pub async fn enrol(
        &self,
        login: &str,
        course_id: &str,
        role: carrel_protocol::auth::Role,
        group: Option<&str>,
    ) -> anyhow::Result<()> {
        let storage = Storage::open(&self.db)?;
        crate::enrolments::enrol(&storage, login, course_id, role, group).await?;
        Ok(())
    }

    /// Creates a learner account `login`, enrols it in `course_id` as a learner and signs it in;
    /// returns its tokens.
    pub async fn learner_in(
        &self,
        login: &str,
        course_id: &str,
    ) -> anyhow::Result<carrel_protocol::auth::Tokens> {
        let tokens = self.learner(login).await?;
        self.enrol(login, course_id, carrel_protocol::auth::Role::Learner, None)
            .await?;
        Ok(tokens)
    }

    /// Shuts the server down gracefully and waits until it has stopped; its port is closed after.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await??;
        Ok(())
    }
}
