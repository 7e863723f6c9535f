//! The demo course's forums between two learners and a tutor through a real carrel-server: a reply
//! written offline waits in the outbox and shows in its topic, is sent once (a lost receipt only
//! replays it), comes back in the feed, reaches the other learner as new until read; a new topic
//! and a reply to a post; a tutor hiding a post; refusals that lose nothing.

use carrel_core::assess::outbox::{self, OutboxState, SubmissionKind};
use carrel_core::forums::{self, ForumDraft, ForumItem, NewPost, PostState};
use carrel_core::http::HttpClient;
use carrel_core::progress::ProgressDb;
use carrel_core::settings::ServerUrl;
use carrel_core::sync::{self, changes};
use carrel_protocol::auth::Role;
use carrel_protocol::forums::{ForumPost, Moderation, forum_moderation_path};
use carrel_server::storage::Storage;
use carrel_server::testing::LoopbackServer;

use crate::{DEMO, Laptop, demo_library, demo_server};

const FORUM: &str = "b1-forum";
const INTRODUCTIONS: &str = "b1-forum-introductions";

struct World {
    _dir: tempfile::TempDir,
    server: LoopbackServer,
    url: ServerUrl,
    http: HttpClient,
    forum: ForumItem,
}

impl World {
    /// A server with the demo course published, and its forum as installed on a laptop.
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let library = demo_library(dir.path());
        let (server, _) = demo_server(dir.path()).await;
        let forum = forums::forum_item(&library, DEMO, FORUM).unwrap();
        Self {
            url: ServerUrl::parse(&server.url()).unwrap(),
            server,
            http: HttpClient::new().unwrap(),
            forum,
            _dir: dir,
        }
    }

    async fn laptop(&self, login: &str, role: Role) -> Laptop {
        Laptop::new(&self.server, self._dir.path(), login, role, None).await
    }

    /// One sync round as the engine runs it: drain, enrolments, forums.
    async fn sync(&self, laptop: &Laptop) -> forums::ForumPullReport {
        laptop.send(&self.http, &self.url).await;
        forums::pull(
            &laptop.db,
            &self.http,
            &self.url,
            &laptop.token,
            laptop.account_id,
        )
        .await
        .unwrap()
    }

    fn reply(&self, laptop: &Laptop, topic: &str, reply_to: Option<&str>, body: &str) -> String {
        forums::post(
            &laptop.db,
            &laptop.store,
            &self.forum,
            NewPost {
                topic_id: Some(topic.into()),
                reply_to: reply_to.map(Into::into),
                title: None,
                body: body.into(),
                attachments: Vec::new(),
            },
            carrel_protocol::unix_time_ms() as i64,
        )
        .unwrap()
        .id
    }

    fn server_posts(&self) -> Vec<(String, String)> {
        let conn = rusqlite::Connection::open(self.server.db()).unwrap();
        let mut statement = conn
            .prepare(
                "SELECT client_id, kind FROM submissions WHERE kind = 'forum_post' ORDER BY id",
            )
            .unwrap();
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }
}

fn topic_summary<'a>(view: &'a forums::ForumView, id: &str) -> &'a forums::TopicSummary {
    view.topics.iter().find(|t| t.id == id).unwrap()
}

#[tokio::test]
async fn a_reply_written_offline_is_posted_once_and_reaches_the_other_learner_as_new() {
    let world = World::new().await;
    let ana = world.laptop("ana", Role::Learner).await;
    let ben = world.laptop("ben", Role::Learner).await;

    // Offline: the draft is kept as Ana types, then posted into the outbox, which clears it.
    let draft = ForumDraft {
        topic_id: INTRODUCTIONS.into(),
        reply_to: None,
        title: String::new(),
        body: "I am Ana, labour inspector.".into(),
        attachments: Vec::new(),
    };
    forums::save_draft(&ana.db, &world.forum, &draft, 1).unwrap();
    assert_eq!(
        forums::topic(&ana.db, &world.forum, INTRODUCTIONS)
            .unwrap()
            .draft,
        Some(draft)
    );
    let posted = world.reply(
        &ana,
        INTRODUCTIONS,
        None,
        "I am Ana, labour inspector in **Lisbon**.",
    );
    let topic = forums::topic(&ana.db, &world.forum, INTRODUCTIONS).unwrap();
    assert_eq!(topic.draft, None, "posting clears the draft");
    assert_eq!(topic.posts.len(), 1);
    assert_eq!(topic.posts[0].post_id, posted);
    assert_eq!(topic.posts[0].state, PostState::Waiting);
    assert!(topic.posts[0].mine);
    assert_eq!(topic.topic.waiting, 1);
    let entry = outbox::get(&ana.db, &posted).unwrap().0;
    assert_eq!(entry.kind, SubmissionKind::ForumPost);
    assert_eq!(entry.title, "Introduce yourself");
    assert!(world.server_posts().is_empty(), "nothing left the laptop");

    // Online: sent once, then back from the feed as posted, Ana's own and so not new to her.
    world.sync(&ana).await;
    assert_eq!(
        world.server_posts(),
        vec![(posted.clone(), "forum_post".into())]
    );
    let topic = forums::topic(&ana.db, &world.forum, INTRODUCTIONS).unwrap();
    assert_eq!(topic.posts[0].state, PostState::Posted);
    assert_eq!(topic.posts[0].author, "ana");
    assert!(!topic.posts[0].new);
    assert_eq!(
        outbox::get(&ana.db, &posted).unwrap().0.state,
        OutboxState::Received
    );

    // A lost receipt: sending it again replays the receipt, and the server still has one post.
    ana.db
        .transact(|tx| {
            tx.execute(
                "UPDATE outbox SET state = 'queued', receipt = NULL WHERE id = ?1",
                [&posted],
            )?;
            Ok::<_, carrel_core::progress::ProgressError>(())
        })
        .unwrap();
    let replay = sync::drain(&ana.db, &world.http, &world.url, &ana.token, || 0.0)
        .await
        .unwrap();
    assert_eq!((replay.received, replay.replayed), (0, 1));
    assert_eq!(world.server_posts().len(), 1);

    // Ben's laptop: the post arrives unread; opening the topic reads it; nothing new after.
    let pulled = world.sync(&ben).await;
    assert_eq!((pulled.posts, pulled.new_by_others), (1, 1));
    let view = forums::forum(&ben.db, &world.forum).unwrap();
    assert!(view.synced);
    assert_eq!(topic_summary(&view, INTRODUCTIONS).unread, 1);
    assert_eq!(topic_summary(&view, INTRODUCTIONS).replies, 1);
    let topic = forums::topic(&ben.db, &world.forum, INTRODUCTIONS).unwrap();
    assert!(topic.posts[0].new);
    assert!(!topic.posts[0].mine);
    assert_eq!(
        topic.posts[0].body,
        "I am Ana, labour inspector in **Lisbon**."
    );
    // Only what was shown is read: a post arriving meanwhile would stay new.
    assert_eq!(
        forums::mark_read(&ben.db, &world.forum, INTRODUCTIONS, &[]).unwrap(),
        0
    );
    assert_eq!(
        forums::mark_read(
            &ben.db,
            &world.forum,
            INTRODUCTIONS,
            std::slice::from_ref(&posted)
        )
        .unwrap(),
        1
    );
    let view = forums::forum(&ben.db, &world.forum).unwrap();
    assert_eq!(topic_summary(&view, INTRODUCTIONS).unread, 0);
    assert_eq!(world.sync(&ben).await.posts, 0, "the cursor moved on");
    assert_eq!(
        forums::unread_by_forum(&ben.db, DEMO).unwrap().get(FORUM),
        None
    );

    // Ben answers Ana's post and starts a topic of his own; Ana sees both, and who was answered.
    let answer = world.reply(&ben, INTRODUCTIONS, Some(&posted), "Welcome, Ana!");
    let started = forums::post(
        &ben.db,
        &ben.store,
        &world.forum,
        NewPost {
            topic_id: None,
            reply_to: None,
            title: Some("  Recruitment fees  ".into()),
            body: "Who pays them in your country?".into(),
            attachments: Vec::new(),
        },
        carrel_protocol::unix_time_ms() as i64,
    )
    .unwrap()
    .id;
    let in_new_topic = world.reply(&ben, &started, None, "In mine, the workers.");
    world.sync(&ben).await;
    let pulled = world.sync(&ana).await;
    assert_eq!(pulled.new_by_others, 3);
    let view = forums::forum(&ana.db, &world.forum).unwrap();
    let mine = topic_summary(&view, &started);
    assert_eq!(mine.title, "Recruitment fees");
    assert_eq!(mine.author.as_deref(), Some("ben"));
    assert!(!mine.from_course);
    assert_eq!((mine.replies, mine.unread), (1, 2));
    assert_eq!(
        view.topics.last().unwrap().id,
        started,
        "participants' topics come after the course's"
    );
    let topic = forums::topic(&ana.db, &world.forum, INTRODUCTIONS).unwrap();
    let welcome = topic.posts.iter().find(|p| p.post_id == answer).unwrap();
    assert_eq!(welcome.reply_to_author.as_deref(), Some("ana"));
    let topic = forums::topic(&ana.db, &world.forum, &started).unwrap();
    assert_eq!(
        topic.opening.unwrap().body,
        "Who pays them in your country?"
    );
    assert_eq!(topic.posts[0].post_id, in_new_topic);
}

#[tokio::test]
async fn a_tutor_hides_a_post_and_every_laptop_shows_it_hidden_without_it_turning_new() {
    let world = World::new().await;
    let ana = world.laptop("ana", Role::Learner).await;
    let ben = world.laptop("ben", Role::Learner).await;
    let tutor = world.laptop("tina", Role::Tutor).await;
    let posted = world.reply(
        &ana,
        INTRODUCTIONS,
        None,
        "Buy cheap watches at example.com",
    );
    world.sync(&ana).await;
    world.sync(&ben).await;
    forums::mark_read(
        &ben.db,
        &world.forum,
        INTRODUCTIONS,
        std::slice::from_ref(&posted),
    )
    .unwrap();

    // The tutor posts too, marked as a tutor's, and hides Ana's post.
    world.reply(&tutor, INTRODUCTIONS, None, "Please keep to the topic.");
    world.sync(&tutor).await;
    let answer = reqwest::Client::new()
        .put(world.url.join(&forum_moderation_path(&posted)))
        .bearer_auth(&tutor.token)
        .json(&Moderation {
            hidden: Some(true),
            pinned: None,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let moderated: ForumPost = answer.json().await.unwrap();
    assert!(moderated.hidden);

    world.sync(&ben).await;
    let topic = forums::topic(&ben.db, &world.forum, INTRODUCTIONS).unwrap();
    let hidden = topic.posts.iter().find(|p| p.post_id == posted).unwrap();
    assert!(hidden.hidden);
    assert_eq!(
        hidden.body, "",
        "a learner's laptop no longer holds the text"
    );
    assert!(!hidden.new, "a post read before stays read when it changes");
    let by_tutor = topic.posts.iter().find(|p| p.author == "tina").unwrap();
    assert!(by_tutor.by_tutor);
    assert!(by_tutor.new);

    // The tutor's laptop holds the hidden text; another account signing in there (enrolled in
    // nothing) no longer finds it, nor any post of the tutor's courses.
    world.sync(&tutor).await;
    let hidden_text = |db: &ProgressDb| {
        forums::topic(db, &world.forum, INTRODUCTIONS)
            .unwrap()
            .posts
            .into_iter()
            .any(|p| p.body.contains("cheap watches"))
    };
    assert!(hidden_text(&tutor.db), "a tutor reads hidden posts");
    let dan = world.server.account("dan", Role::Learner).await.unwrap();
    changes::pull_enrolments(&tutor.db, &world.http, &world.url, &dan.access_token)
        .await
        .unwrap();
    forums::pull(
        &tutor.db,
        &world.http,
        &world.url,
        &dan.access_token,
        dan.account.id,
    )
    .await
    .unwrap();
    assert!(!hidden_text(&tutor.db));
    let left = forums::topic(&tutor.db, &world.forum, INTRODUCTIONS).unwrap();
    assert!(
        left.posts
            .iter()
            .all(|p| p.mine && p.state != PostState::Posted),
        "only the tutor's own post is left, from the outbox: {:?}",
        left.posts
    );
}

#[tokio::test]
async fn posts_the_forum_cannot_take_are_refused_here_or_kept_in_the_outbox_with_the_reason() {
    let world = World::new().await;
    let ana = world.laptop("ana", Role::Learner).await;
    let post = |new: NewPost| forums::post(&ana.db, &ana.store, &world.forum, new, 1);
    let reply = |topic: &str, reply_to: Option<&str>, body: &str| NewPost {
        topic_id: Some(topic.into()),
        reply_to: reply_to.map(Into::into),
        title: None,
        body: body.into(),
        attachments: Vec::new(),
    };
    // Refused here, before anything is queued: empty, unknown topic or post, no title.
    assert!(post(reply(INTRODUCTIONS, None, "  \n ")).is_err());
    assert!(post(reply("no-such-topic", None, "Hello")).is_err());
    assert!(post(reply(INTRODUCTIONS, Some("no-such-post"), "Hello")).is_err());
    assert!(
        post(NewPost {
            topic_id: None,
            title: Some(" ".into()),
            ..reply(INTRODUCTIONS, None, "Hello")
        })
        .is_err()
    );
    assert!(post(reply(INTRODUCTIONS, None, &"x".repeat(20_001))).is_err());
    assert!(outbox::list(&ana.db).unwrap().is_empty());

    // A post the server refuses (here: Ana is no longer enrolled) stays in the outbox, with the
    // server's reason, and shows in its topic as needing attention.
    let posted = world.reply(&ana, INTRODUCTIONS, None, "Hello");
    let storage = Storage::open(world.server.db()).unwrap();
    storage
        .with_conn(|conn| {
            conn.execute(
                "DELETE FROM enrolments",
                carrel_server::storage::sql::params![],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let report = sync::drain(&ana.db, &world.http, &world.url, &ana.token, || 0.0)
        .await
        .unwrap();
    assert_eq!(report.refused, 1);
    let entry = outbox::get(&ana.db, &posted).unwrap().0;
    assert_eq!(entry.state, OutboxState::NeedsAttention);
    assert!(entry.problem.unwrap().contains("not enrolled"));
    let topic = forums::topic(&ana.db, &world.forum, INTRODUCTIONS).unwrap();
    assert_eq!(topic.posts[0].state, PostState::NeedsAttention);
    assert!(topic.posts[0].problem.is_some());
    assert!(world.server_posts().is_empty());
}

#[tokio::test]
async fn a_posts_file_is_uploaded_with_it_and_fetched_once_by_the_other_learner() {
    let world = World::new().await;
    let ana = world.laptop("ana", Role::Learner).await;
    let ben = world.laptop("ben", Role::Learner).await;
    let source = world._dir.path().join("../ratifications.csv");
    let source = source.with_file_name(format!("ratifications-{}.csv", std::process::id()));
    std::fs::write(&source, "convention,ratified\nC189,yes\n").unwrap();
    let file = forums::add_attachment(&ana.store, &source).unwrap();
    let _ = std::fs::remove_file(&source);
    let posted = forums::post(
        &ana.db,
        &ana.store,
        &world.forum,
        NewPost {
            topic_id: Some(INTRODUCTIONS.into()),
            reply_to: None,
            title: None,
            body: "My country's list is attached.".into(),
            attachments: vec![file.clone()],
        },
        1,
    )
    .unwrap()
    .id;
    world.sync(&ana).await;
    world.sync(&ben).await;

    // Ben may open only a file a post names.
    assert!(forums::post_attachment(&ben.db, &world.forum, &posted, &"0".repeat(64)).is_err());
    let named = forums::post_attachment(&ben.db, &world.forum, &posted, &file.sha256).unwrap();
    assert_eq!(named, file);
    // Not on Ben's laptop yet, and he is offline: told so, nothing kept.
    let on_server = carrel_protocol::forums::forum_attachment_path(DEMO, &named.sha256);
    let offline = forums::fetch_attachment(
        &world.http,
        &world.url,
        None,
        &ben.store,
        &on_server,
        &named,
    )
    .await;
    assert!(matches!(offline, Err(forums::FetchError::Unavailable(_))));
    let path = forums::fetch_attachment(
        &world.http,
        &world.url,
        Some(&ben.token),
        &ben.store,
        &on_server,
        &named,
    )
    .await
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "convention,ratified\nC189,yes\n"
    );
    // Kept: it opens again with no connection and no session.
    let again = forums::fetch_attachment(
        &world.http,
        &ServerUrl::parse("http://127.0.0.1:9/").unwrap(),
        None,
        &ben.store,
        &on_server,
        &named,
    )
    .await
    .unwrap();
    assert_eq!(again, path);
    assert_eq!(forums::safe_file_name("../../etc/passwd"), "passwd");
    assert_eq!(forums::safe_file_name("C:\\x\\a:b?.pdf"), "a_b_.pdf");
    assert_eq!(forums::safe_file_name(".hidden"), "hidden");
    assert_eq!(forums::safe_file_name("\u{0}"), "_");
}

#[tokio::test]
async fn a_file_fetched_with_other_bytes_than_named_is_not_kept() {
    use carrel_core::assess::attachments::AttachmentStore;
    use carrel_core::assess::outbox::{AttachmentInfo, sha256_hex};
    let dir = tempfile::tempdir().unwrap();
    let store = AttachmentStore::new(dir.path().join("attachments"));
    let named = AttachmentInfo {
        sha256: sha256_hex(b"the right bytes"),
        name: "notes.txt".into(),
        size: 15,
    };
    // Same length, other bytes; then more bytes than the file has.
    for body in ["the wrong bytes", "the right bytes and then some more"] {
        let response: &'static str = Box::leak(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_boxed_str(),
        );
        let peer = crate::canned_http_peer(response).await;
        let url = ServerUrl::parse(&format!("http://{peer}")).unwrap();
        let fetched = forums::fetch_attachment(
            &HttpClient::new().unwrap(),
            &url,
            Some("token"),
            &store,
            "/a/file",
            &named,
        )
        .await;
        assert!(
            matches!(fetched, Err(forums::FetchError::Mismatch)),
            "{body}: {fetched:?}"
        );
        assert!(!store.holds(&named.sha256, named.size), "nothing kept");
        let incoming: Vec<_> = std::fs::read_dir(dir.path().join("attachments/incoming"))
            .unwrap()
            .collect();
        assert!(
            incoming.is_empty(),
            "no half-written file left: {incoming:?}"
        );
    }
}
