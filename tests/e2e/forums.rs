//! Forums end to end: another participant's post, downloaded while online, is read offline and
//! shown as new; the learner replies to it offline (the reply waits in its topic and in the
//! Outbox), the server comes back, and the reply is posted on its own — on the server exactly
//! once, as the tutor's command-line tool lists it, answering the right post. A tutor then hides
//! it, and after a sync the learner's laptop no longer holds its text.

use carrel_e2e::{AppHome, Display};
use carrel_package::SecretKey;
use carrel_protocol::auth::Role;
use carrel_protocol::forums::{ForumPost, ForumPostPayload};
use carrel_protocol::submissions::SubmissionKind;
use carrel_server::testing::LoopbackServer;

use super::assess::query;
use super::courses::{DEMO_ID, demo_package, download_demo, open_demo, serve_package};
use super::launch;
use super::sync::{server_cli, sign_in, sync_now};

const FORUM: &str = "b1-forum";
const TOPIC: &str = "b1-forum-introductions";

/// Ben's post in the introductions topic, stored by the server's own submission code as a `PUT`
/// from his Carrel would store it.
async fn ben_posts(server: &LoopbackServer, account_id: i64) -> String {
    let id = "0190f1a2-0000-7000-8000-00000000be01".to_owned();
    let payload = ForumPostPayload {
        submission_id: id.clone(),
        course_id: DEMO_ID.into(),
        item_id: FORUM.into(),
        topic_id: TOPIC.into(),
        reply_to: None,
        title: None,
        body: "I am Ben, from a **workers' organisation** in Accra.".into(),
        attachments: Vec::new(),
        written_ms: 1,
    };
    super::store_submission(server, account_id, SubmissionKind::ForumPost, &id, &payload).await;
    id
}

/// The course's posts as the server holds them (a tutor's view, through its command line).
fn server_posts(db: &std::path::Path) -> Vec<ForumPost> {
    serde_json::from_str(&server_cli(db, &["forum-posts", DEMO_ID, "--json"])).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_written_offline_is_posted_once_when_the_server_returns() {
    let dir = tempfile::tempdir().unwrap();
    let server_dir = dir.path().join("server");
    let key = SecretKey::generate().unwrap();
    let package = demo_package(dir.path(), &key);
    let server = serve_package(&server_dir, &package).await;
    let (addr, url, db) = (
        server.addr().to_string(),
        server.url(),
        server.db().to_path_buf(),
    );
    server.account("ana", Role::Learner).await.unwrap();
    let ben = server.account("ben", Role::Learner).await.unwrap();
    for login in ["ana", "ben"] {
        server
            .enrol(login, DEMO_ID, Role::Learner, None)
            .await
            .unwrap();
    }
    let bens = ben_posts(&server, ben.account.id).await;

    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let mut app = launch(&display, &home, Some(&url), "forums").await;
    let s = &mut app.session;
    sign_in(s, "ana").await;
    download_demo(s).await;
    sync_now(s).await;
    // The forum's posts are on the laptop once the round that fetched them has ended.
    let fetched = |home: &AppHome| {
        query(home, "SELECT count(*) FROM forum_posts", |row| {
            row.get::<_, i64>(0)
        })[0]
    };
    for _ in 0..120 {
        if fetched(&home) == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(fetched(&home), 1, "Ben's post was downloaded");

    // Offline from here.
    server.stop().await.unwrap();
    s.wait_for_attr("#server-state", "data-state", "offline")
        .await
        .unwrap();
    open_demo(s).await;
    s.click(&format!("#item-open-{FORUM}")).await.unwrap();
    s.wait_for("#forum-view").await.unwrap();
    let topic = format!(".topic[data-topic-id=\"{TOPIC}\"]");
    s.wait_for_attr(&topic, "data-unread", "1").await.unwrap();
    s.screenshot("topics-offline").await.unwrap();
    s.click(&format!("#forum-topic-{TOPIC}")).await.unwrap();
    let bens_card = format!("#forum-post-{bens}");
    s.wait_for(&bens_card).await.unwrap();
    assert_eq!(
        s.attr(&bens_card, "data-new").await.unwrap().as_deref(),
        Some("true")
    );
    let text = s.text(&bens_card).await.unwrap();
    assert!(text.contains("ben") && text.contains("Accra"), "{text}");

    // The reply, written and posted offline, waits in its topic and in the Outbox.
    s.click(&format!("#forum-reply-to-{bens}")).await.unwrap();
    s.wait_for("#forum-reply-replying-to").await.unwrap();
    s.fill(
        "#forum-reply-body",
        "Welcome, Ben! In my ministry we work with **C189** every day.",
    )
    .await
    .unwrap();
    s.click("#forum-reply-post").await.unwrap();
    s.wait_for(".post[data-state=\"waiting\"]").await.unwrap();
    s.screenshot("reply-waiting").await.unwrap();
    let queued: Vec<(String, String, String)> =
        query(&home, "SELECT id, kind, state FROM outbox", |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        });
    assert_eq!(queued.len(), 1, "{queued:?}");
    let (id, kind, state) = &queued[0];
    assert_eq!((kind.as_str(), state.as_str()), ("forum_post", "queued"));
    assert!(server_posts(&db).iter().all(|post| &post.post_id != id));

    // The server returns on its address: the reply goes, and comes back posted, on its own.
    let server = LoopbackServer::start_at(&server_dir, &addr).await.unwrap();
    let mine = format!("#forum-post-{id}");
    let mut posted = false;
    for _ in 0..3 {
        if s.wait_for_attr(&mine, "data-state", "posted").await.is_ok() {
            posted = true;
            break;
        }
    }
    assert!(
        posted,
        "the reply shows as posted after the server returned"
    );
    s.screenshot("reply-posted").await.unwrap();

    // On the server exactly once, answering Ben's post, with the text as written.
    let posts = server_posts(&db);
    let on_server: Vec<&ForumPost> = posts.iter().filter(|post| &post.post_id == id).collect();
    assert_eq!(on_server.len(), 1, "{posts:?}");
    let reply = on_server[0];
    assert_eq!(reply.topic_id, TOPIC);
    assert_eq!(reply.reply_to.as_deref(), Some(bens.as_str()));
    assert_eq!(
        reply.body,
        "Welcome, Ben! In my ministry we work with **C189** every day."
    );
    assert_eq!(reply.author.display_name, "ana");
    let stored: Vec<String> = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let mut statement = conn
            .prepare("SELECT client_id FROM submissions WHERE kind = 'forum_post'")
            .unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(stored.iter().filter(|stored| *stored == id).count(), 1);
    let state = query(&home, "SELECT state FROM outbox", |row| {
        row.get::<_, String>(0)
    });
    assert_eq!(state, ["received"]);

    // A tutor hides it; after a sync the laptop shows it hidden, without its text.
    server_cli(&db, &["forum-post", id, "--hide"]);
    sync_now(s).await;
    s.wait_for(&format!("{mine} .hidden-note")).await.unwrap();
    let bodies = query(
        &home,
        &format!("SELECT body FROM forum_posts WHERE post_id = '{id}'"),
        |row| row.get::<_, String>(0),
    );
    assert_eq!(bodies, [""]);
    s.screenshot("reply-hidden").await.unwrap();
    app.finish().await;
    server.stop().await.unwrap();
}
