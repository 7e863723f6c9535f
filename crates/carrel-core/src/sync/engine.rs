//! The background sync task: one tokio task per app that sends the outbox and pulls the changes
//! feed, woken by a timer, by new submissions, by the connection coming back and by "Sync now".
//!
//! Each round: get a valid access token (refreshing it when needed), [`drain`](super::drain)
//! the outbox, [`pull`](super::changes::pull) the changes feed, the enrolments, the forums
//! ([`crate::forums::pull`]), the groups ([`crate::groups::pull`]) and the transcript
//! ([`crate::transcript::pull`]), then publish a [`SyncStatus`] the app shows (the shell's sync indicator and the Outbox screen). A round never deletes anything;
//! a refused session (401) pauses sync and asks the learner to sign in again, keeping every queued
//! submission. The next round starts when the earliest of these comes: the time the outbox's next
//! retry is due, [`POLL_INTERVAL`] (to fetch grades), or a wake-up.
//!
//! While the learner holds sync (a metered connection, say), rounds run only when they press
//! "Sync now".

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{Notify, watch};
use ts_rs::TS;

use super::changes::{self, PullError};
use super::session::{SessionError, SessionManager};
use crate::assess::AssessError;
use crate::assess::attachments::AttachmentStore;
use crate::http::HttpClient;
use crate::progress::ProgressDb;
use crate::settings::ServerUrl;

/// How often an idle app asks the server for changes (grades, announcements).
pub const POLL_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// After a round failed for want of a connection, the next one waits this long (the connectivity
/// monitor wakes the engine sooner when the server answers again).
pub const OFFLINE_RETRY: Duration = Duration::from_secs(60);

/// What sync is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    /// Not started yet.
    Starting,
    /// Everything that could be sent is sent; waiting.
    Idle,
    /// A round is running.
    Syncing,
    /// The course server could not be reached; work waits here.
    Offline,
    /// Not signed in (or the server ended the session): sign in to send.
    SignedOut,
    /// The learner holds sync.
    Held,
    /// Something failed on this device (`last_error` says what).
    Failed,
}

/// A file being sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Sending {
    /// The outbox entry it belongs to.
    pub submission_id: String,
    /// Bytes sent.
    #[ts(type = "number")]
    pub sent: u64,
    /// Bytes in all.
    #[ts(type = "number")]
    pub total: u64,
}

/// What the app shows about sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    /// What it is doing.
    pub phase: SyncPhase,
    /// The signed-in account's display name.
    pub signed_in_as: Option<String>,
    /// Submissions waiting to be sent.
    pub queued: u32,
    /// Submissions the server refused or that cannot be sent.
    pub needs_attention: u32,
    /// The upload in progress, if any.
    pub sending: Option<Sending>,
    /// When a round last completed (device clock, unix ms).
    #[ts(type = "number | null")]
    pub last_success_ms: Option<i64>,
    /// When the next round is due (device clock, unix ms).
    #[ts(type = "number | null")]
    pub next_try_ms: Option<i64>,
    /// Why the last round did not complete.
    pub last_error: Option<String>,
    /// The learner holds sync on metered or costly connections.
    pub held: bool,
    /// Whether the connection is metered, where the system can tell.
    pub metered: Option<bool>,
}

impl SyncStatus {
    fn starting() -> Self {
        Self {
            phase: SyncPhase::Starting,
            signed_in_as: None,
            queued: 0,
            needs_attention: 0,
            sending: None,
            last_success_ms: None,
            next_try_ms: None,
            last_error: None,
            held: false,
            metered: None,
        }
    }
}

/// What the engine needs from the app around it.
pub trait SyncHost: Send + Sync + 'static {
    /// The progress database, once open (`None` while it cannot be opened).
    fn db(&self) -> impl Future<Output = Option<Arc<ProgressDb>>> + Send;
    /// The course server in use now.
    fn server(&self) -> ServerUrl;
    /// The status changed.
    fn status_changed(&self, status: &SyncStatus);
    /// Outbox entries changed state (received, graded, refused).
    fn outbox_changed(&self);
    /// Whether the connection is metered, where the system can tell (see
    /// [`crate::connectivity::metered`]). Blocking.
    fn metered(&self) -> Option<bool> {
        None
    }
    /// The changes feed brought news (grades, feedback, announcements…): the shell may notify.
    fn news(&self, _pulled: &changes::PullReport) {}
    /// Forum posts arrived (new, or changed by a tutor): the shell may refresh what shows them.
    fn forum_changed(&self, _pulled: &crate::forums::ForumPullReport) {}
    /// The transcript was fetched again.
    fn transcript_changed(&self) {}
    /// A group's state changed, or its files arrived.
    fn groups_changed(&self) {}
}

/// The handle on the running engine. Cheap to clone.
#[derive(Clone)]
pub struct SyncEngine {
    wake: Arc<Notify>,
    forced: Arc<AtomicBool>,
    held: Arc<AtomicBool>,
    status: watch::Receiver<SyncStatus>,
}

impl SyncEngine {
    /// Starts the engine on the current tokio runtime. `held` is the learner's saved choice.
    pub fn spawn<H: SyncHost>(
        host: H,
        http: HttpClient,
        session: Arc<SessionManager>,
        attachments: AttachmentStore,
        held: bool,
    ) -> Self {
        let (sender, status) = watch::channel(SyncStatus::starting());
        let engine = Self {
            wake: Arc::new(Notify::new()),
            forced: Arc::new(AtomicBool::new(false)),
            held: Arc::new(AtomicBool::new(held)),
            status,
        };
        let task = Task {
            host: Arc::new(host),
            http,
            session,
            attachments,
            engine: engine.clone(),
            status: sender,
            refused_tokens: std::sync::atomic::AtomicU32::new(0),
        };
        tokio::spawn(task.run());
        engine
    }

    /// Starts a round soon (new work, the connection is back).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Starts a round now, retrying entries that were waiting for their backoff, even while
    /// sync is held.
    pub fn sync_now(&self) {
        self.forced.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Holds or releases sync.
    pub fn set_held(&self, held: bool) {
        self.held.store(held, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// The latest status.
    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// Waits for a status satisfying `done` (tests, and the "Sync now" command's answer).
    pub async fn wait_for(&self, mut done: impl FnMut(&SyncStatus) -> bool) -> SyncStatus {
        let mut status = self.status.clone();
        loop {
            if done(&status.borrow_and_update()) {
                return status.borrow().clone();
            }
            if status.changed().await.is_err() {
                return status.borrow().clone();
            }
        }
    }
}

struct Task<H> {
    host: Arc<H>,
    http: HttpClient,
    session: Arc<SessionManager>,
    attachments: AttachmentStore,
    engine: SyncEngine,
    status: watch::Sender<SyncStatus>,
    /// Rounds in a row that ended with the server refusing a token.
    refused_tokens: std::sync::atomic::AtomicU32,
}

fn now_ms() -> i64 {
    carrel_protocol::unix_time_ms() as i64
}

impl<H: SyncHost> Task<H> {
    async fn run(self) {
        loop {
            let next = self.round().await;
            let wait = next
                .map(|at| Duration::from_millis((at - now_ms()).max(0) as u64))
                .unwrap_or(POLL_INTERVAL)
                .min(POLL_INTERVAL);
            tokio::select! {
                () = self.engine.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    fn publish(&self, change: impl FnOnce(&mut SyncStatus)) {
        self.status.send_modify(change);
        self.host.status_changed(&self.status.borrow());
    }

    /// One round; answers when the next is due (None: at the poll interval).
    async fn round(&self) -> Option<i64> {
        let forced = self.engine.forced.swap(false, Ordering::SeqCst);
        let hold_when_metered = self.engine.held.load(Ordering::SeqCst);
        let metered = if hold_when_metered {
            let host = self.host.clone();
            tokio::task::spawn_blocking(move || host.metered())
                .await
                .ok()
                .flatten()
        } else {
            None
        };
        // Held while the connection is metered, or may be: a system that cannot tell holds until
        // the learner says "Sync now".
        let held = hold_when_metered && metered != Some(false);
        let db = self.host.db().await?;
        let counts = count_outbox(&db).ok();
        let signed_in_as = self.session.current().map(|s| s.account.display_name);
        self.publish(|status| {
            if let Some((queued, attention)) = counts {
                status.queued = queued;
                status.needs_attention = attention;
            }
            status.signed_in_as = signed_in_as.clone();
            status.held = hold_when_metered;
            status.metered = metered;
        });
        if held && !forced {
            self.publish(|status| {
                status.phase = SyncPhase::Held;
                status.next_try_ms = None;
            });
            // Look again soon: the learner may move to an unmetered network.
            return Some(now_ms() + OFFLINE_RETRY.as_millis() as i64);
        }
        if forced && let Err(error) = retry_now(&db) {
            tracing::warn!(%error, "cannot reschedule the outbox");
        }
        self.publish(|status| status.phase = SyncPhase::Syncing);
        let outcome = self.sync(&db).await;
        let counts = count_outbox(&db).ok();
        let (phase, next, error) = match outcome {
            Ok(next) => (SyncPhase::Idle, next, None),
            Err(RoundError::Again) => (SyncPhase::Syncing, Some(now_ms()), None),
            Err(RoundError::SignedOut) => (SyncPhase::SignedOut, None, None),
            Err(RoundError::Offline(error)) => (
                SyncPhase::Offline,
                Some(now_ms() + OFFLINE_RETRY.as_millis() as i64),
                Some(error),
            ),
            Err(RoundError::Local(error)) => (
                SyncPhase::Failed,
                Some(now_ms() + OFFLINE_RETRY.as_millis() as i64),
                Some(error),
            ),
        };
        let signed_in_as = self.session.current().map(|s| s.account.display_name);
        self.publish(|status| {
            status.phase = phase;
            status.sending = None;
            status.next_try_ms = next;
            status.signed_in_as = signed_in_as;
            if let Some((queued, attention)) = counts {
                status.queued = queued;
                status.needs_attention = attention;
            }
            if phase == SyncPhase::Idle {
                status.last_success_ms = Some(now_ms());
                status.last_error = None;
            } else if error.is_some() {
                status.last_error = error;
            }
        });
        next
    }

    async fn sync(&self, db: &ProgressDb) -> Result<Option<i64>, RoundError> {
        let server = self.host.server();
        let (token, account_id) = self
            .session
            .access_token(&self.http, &server, carrel_protocol::unix_time_ms())
            .await
            .map_err(|error| match error {
                SessionError::SignedOut | SessionError::Refused(_) => RoundError::SignedOut,
                SessionError::Unavailable(error) => RoundError::Offline(error),
                SessionError::Credentials(error) => RoundError::Local(error.to_string()),
            })?;
        let status = &self.status;
        let progress = |submission_id: &str, sent: u64, total: u64| {
            status.send_modify(|status| {
                status.sending = (sent < total).then(|| Sending {
                    submission_id: submission_id.to_owned(),
                    sent,
                    total,
                });
            });
            self.host.status_changed(&status.borrow());
        };
        let report = super::drain_with_progress(
            db,
            &self.http,
            &server,
            &token,
            &self.attachments,
            random,
            &progress,
        )
        .await
        .map_err(|error| RoundError::Local(error.to_string()))?;
        if report.received + report.replayed + report.refused > 0 {
            self.host.outbox_changed();
        }
        if report.unauthorized {
            return Err(self.after_unauthorized(&server).await);
        }
        match changes::pull(db, &self.http, &server, &token, account_id).await {
            Ok(pulled) => {
                if pulled.applied > 0 {
                    self.host.outbox_changed();
                    self.host.news(&pulled);
                }
            }
            Err(PullError::Unauthorized) => return Err(self.after_unauthorized(&server).await),
            Err(PullError::Unavailable(error)) => return Err(RoundError::Offline(error)),
            Err(PullError::Local(error)) => return Err(RoundError::Local(error.to_string())),
        }
        // The learner's groups, for group work offline; a failure here waits for the next round.
        match changes::pull_enrolments(db, &self.http, &server, &token).await {
            Ok(_) => {}
            Err(PullError::Unauthorized) => return Err(self.after_unauthorized(&server).await),
            Err(error) => tracing::info!(%error, "enrolments not refreshed"),
        }
        // The forums of those courses, for reading offline; like the enrolments, a failure here
        // waits for the next round (the work was sent, the grades came).
        match crate::forums::pull(db, &self.http, &server, &token, account_id).await {
            Ok(pulled) if pulled.posts > 0 => self.host.forum_changed(&pulled),
            Ok(_) => {}
            Err(PullError::Unauthorized) => return Err(self.after_unauthorized(&server).await),
            Err(error) => tracing::info!(%error, "forums not refreshed"),
        }
        // The learners' groups: members, the files placed for them and their submissions, for
        // group work offline; the same.
        match crate::groups::pull(
            db,
            &self.http,
            &server,
            &token,
            account_id,
            &self.attachments,
            now_ms(),
        )
        .await
        {
            Ok(pulled) if pulled.changed || pulled.fetched > 0 => self.host.groups_changed(),
            Ok(_) => {}
            Err(PullError::Unauthorized) => return Err(self.after_unauthorized(&server).await),
            Err(error) => tracing::info!(%error, "groups not refreshed"),
        }
        // The transcript (certificates and programmes), for reading offline; the same.
        match crate::transcript::pull(db, &self.http, &server, &token, account_id, now_ms()).await {
            Ok(true) => self.host.transcript_changed(),
            Ok(false) => {}
            Err(PullError::Unauthorized) => return Err(self.after_unauthorized(&server).await),
            Err(error) => tracing::info!(%error, "transcript not refreshed"),
        }
        settle_graded(db).map_err(|error| RoundError::Local(error.to_string()))?;
        self.refused_tokens.store(0, Ordering::SeqCst);
        Ok(report.retry_at_ms)
    }

    /// The server refused the access token: refresh it and go again at once, unless that already
    /// failed [`MAX_REFUSED_TOKENS`] rounds in a row — then the session is over, and the learner
    /// is asked to sign in again (their work stays queued).
    async fn after_unauthorized(&self, server: &ServerUrl) -> RoundError {
        if self.refused_tokens.fetch_add(1, Ordering::SeqCst) + 1 >= MAX_REFUSED_TOKENS {
            self.refused_tokens.store(0, Ordering::SeqCst);
            self.session.forget_tokens().await;
            return RoundError::SignedOut;
        }
        match self.session.refreshed_token(&self.http, server).await {
            Ok(_) => RoundError::Again,
            Err(SessionError::SignedOut | SessionError::Refused(_)) => RoundError::SignedOut,
            Err(SessionError::Unavailable(error)) => RoundError::Offline(error),
            Err(SessionError::Credentials(error)) => RoundError::Local(error.to_string()),
        }
    }
}

/// Rounds in a row whose fresh token the server refused before sync gives up on the session.
pub const MAX_REFUSED_TOKENS: u32 = 3;

enum RoundError {
    /// The token was refreshed after a 401: run the round again now.
    Again,
    SignedOut,
    Offline(String),
    Local(String),
}

/// A number in [0, 1) for the backoff's jitter.
fn random() -> f64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

/// Queued and needs-attention counts.
fn count_outbox(db: &ProgressDb) -> Result<(u32, u32), AssessError> {
    db.transact(|tx| {
        Ok(tx.query_row(
            "SELECT count(*) FILTER (WHERE state IN ('queued', 'sending')),
                    count(*) FILTER (WHERE state = 'needs_attention')
             FROM outbox",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?)
    })
}

/// "Sync now": entries waiting for their backoff may go at once.
fn retry_now(db: &ProgressDb) -> Result<(), AssessError> {
    db.transact(|tx| {
        tx.execute(
            "UPDATE outbox SET next_try_ms = NULL WHERE state = 'queued' AND next_try_ms IS NOT NULL",
            [],
        )?;
        Ok(())
    })
}

fn settle_graded(db: &ProgressDb) -> Result<(), AssessError> {
    db.transact(|tx| Ok(changes::settle_graded(tx)?))
}
