//! Course forums over real HTTP, on the published demo course (forums `b1-forum` and
//! `b2-forum`): posts are submissions, stored once and fed back by version; every post the forum
//! cannot take is refused with nothing stored; only the course's members (and admins) read the
//! feed and the files its visible posts carry; tutors hide and pin, which raises the post's
//! version; the operator lists and moderates posts with the real binary; and the schema migration
//! keeps what an older database holds.

use carrel_protocol::auth::Role;
use carrel_protocol::forums::{
    ForumPage, ForumPost, ForumPostPayload, MAX_BODY_CHARS, MAX_TITLE_CHARS, PostAttachment,
    forum_attachment_path, forum_moderation_path, forum_path,
};
use carrel_protocol::submissions::{Receipt, submission_path};
use reqwest::{Method, StatusCode};

use crate::support::{Class, DEMO_COURSE, carrel_server};

/// The demo course's first forum and its opening topics.
const FORUM: &str = "b1-forum";
const INTRODUCTIONS: &str = "b1-forum-introductions";
const RATIFICATION: &str = "b1-forum-ratification";

/// A class (see [`Class`]) in the published demo course: learners `ana` and `ben`, tutor `tom`;
/// `tina` tutors another course and the admin `root` is enrolled in none.
struct Forum {
    class: Class,
}

/// A reply in `topic` of the demo course's first forum.
fn reply(id: &str, topic: &str, body: &str) -> ForumPostPayload {
    ForumPostPayload {
        submission_id: id.into(),
        course_id: DEMO_COURSE.into(),
        item_id: FORUM.into(),
        topic_id: topic.into(),
        reply_to: None,
        title: None,
        body: body.into(),
        attachments: Vec::new(),
        written_ms: 1_795_000_000_000,
    }
}

/// A post of the demo course's first forum that starts a topic titled `title`.
fn new_topic(id: &str, title: &str, body: &str) -> ForumPostPayload {
    ForumPostPayload {
        title: Some(title.into()),
        ..reply(id, id, body)
    }
}

impl Forum {
    async fn start() -> Self {
        Self {
            class: Class::with_demo().await,
        }
    }

    /// `PUT`s `payload` as a `forum_post` submission as `token`.
    async fn send(&self, token: &str, payload: &ForumPostPayload) -> reqwest::Response {
        let body = serde_json::json!({ "kind": "forum_post", "payload": payload }).to_string();
        self.class
            .send(
                Method::PUT,
                &submission_path(&payload.submission_id),
                Some(token),
                Some(&body),
            )
            .await
    }

    /// Posts `payload` as `token`, expecting it stored.
    async fn post(&self, token: &str, payload: &ForumPostPayload) -> Receipt {
        let response = self.send(token, payload).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{} is stored: {}",
            payload.submission_id,
            response.text().await.unwrap()
        );
        response.json().await.unwrap()
    }

    /// The feed of the demo course after `query` (`?after=…&limit=…`, or empty) as `token`.
    async fn feed(&self, token: &str, query: &str) -> ForumPage {
        self.class
            .get_json(&format!("{}{query}", forum_path(DEMO_COURSE)), token)
            .await
    }

    /// Moderates `post_id` as `token` with `body`.
    async fn moderate(&self, token: Option<&str>, post_id: &str, body: &str) -> reqwest::Response {
        self.class
            .send(
                Method::PUT,
                &forum_moderation_path(post_id),
                token,
                Some(body),
            )
            .await
    }

    /// Moderates `post_id` as `token`, expecting the post as it now is.
    async fn moderated(&self, token: &str, post_id: &str, body: &str) -> ForumPost {
        let response = self.moderate(Some(token), post_id, body).await;
        assert_eq!(response.status(), StatusCode::OK, "{body} on {post_id}");
        response.json().await.unwrap()
    }

    /// A learner enrolled in another course only.
    async fn outsider(&self) -> String {
        self.class
            .fx
            .server
            .learner_in("olga", "another-course")
            .await
            .unwrap()
            .access_token
    }

    /// Uploads `bytes` as `name` for `token` through the uploads API; the attachment to name.
    async fn upload(&self, token: &str, name: &str, bytes: &[u8]) -> PostAttachment {
        self.class.fx.upload(token, name, bytes).await
    }

    async fn stored_posts(&self) -> (i64, i64) {
        (
            self.class.count("submissions").await,
            self.class.count("forum_posts").await,
        )
    }
}

/// The versions and ids of a page's posts.
fn versions(page: &ForumPage) -> Vec<(i64, &str)> {
    page.posts
        .iter()
        .map(|post| (post.version, post.post_id.as_str()))
        .collect()
}

#[tokio::test]
async fn replies_and_new_topics_are_stored_once_and_fed_back_in_order() {
    let forum = Forum::start().await;
    let class = &forum.class;
    let hello = reply(
        "ana-hello",
        INTRODUCTIONS,
        "  I am Ana, a labour inspector.\n",
    );
    let receipt = forum.post(&class.ana, &hello).await;
    let topic = new_topic("ben-topic", "  Seasonal workers  ", "Who counts them?");
    forum.post(&class.ben, &topic).await;
    let answer = ForumPostPayload {
        reply_to: Some("ben-topic".into()),
        ..reply("ana-answer", "ben-topic", "Nobody, in my country.")
    };
    forum.post(&class.ana, &answer).await;
    let tutor = ForumPostPayload {
        reply_to: Some("ana-hello".into()),
        ..reply("tom-welcome", INTRODUCTIONS, "Welcome, Ana.")
    };
    forum.post(&class.tom, &tutor).await;

    let page = forum.feed(&class.ben, "").await;
    assert_eq!(
        versions(&page),
        [
            (1, "ana-hello"),
            (2, "ben-topic"),
            (3, "ana-answer"),
            (4, "tom-welcome")
        ],
        "each post gets the course's next version as it is stored"
    );
    assert_eq!((page.cursor, page.more), (4, false));
    let [hello_post, topic_post, answer_post, tutor_post] = &page.posts[..] else {
        panic!("four posts: {page:?}");
    };
    assert_eq!(
        (
            hello_post.item_id.as_str(),
            hello_post.topic_id.as_str(),
            hello_post.title.as_deref(),
            hello_post.body.as_str(),
            hello_post.author.display_name.as_str(),
            hello_post.author.role,
            hello_post.hidden,
            hello_post.pinned,
        ),
        (
            FORUM,
            INTRODUCTIONS,
            None,
            "I am Ana, a labour inspector.",
            "ana",
            Role::Learner,
            false,
            false
        ),
        "a reply in an opening topic, its text trimmed"
    );
    assert_eq!(
        hello_post.created_ms, receipt.received_ms,
        "created when the server received it"
    );
    assert_eq!(
        (topic_post.topic_id.as_str(), topic_post.title.as_deref()),
        ("ben-topic", Some("Seasonal workers")),
        "a new topic is its own topic, its title trimmed"
    );
    assert_eq!(answer_post.reply_to.as_deref(), Some("ben-topic"));
    assert_eq!(
        (
            tutor_post.author.role,
            tutor_post.author.display_name.as_str()
        ),
        (Role::Tutor, "tom"),
        "a tutor may post, and the post says so"
    );

    // A retry after a lost answer: the same receipt, nothing stored twice.
    let again = forum.send(&class.ana, &hello).await;
    assert_eq!(again.status(), StatusCode::OK);
    let replayed: Receipt = again.json().await.unwrap();
    assert!(replayed.replayed);
    assert_eq!(
        (replayed.server_id, replayed.sha256),
        (receipt.server_id, receipt.sha256)
    );
    // Another post under the same id is a conflict.
    let changed = forum
        .send(
            &class.ana,
            &reply("ana-hello", INTRODUCTIONS, "Something else."),
        )
        .await;
    assert_eq!(
        Class::error(changed).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_conflict".into()
        )
    );
    assert_eq!(forum.stored_posts().await, (4, 4), "nothing stored twice");
    assert_eq!(
        forum.feed(&class.ben, "?after=4").await.posts,
        [],
        "nothing new after the last version"
    );
    assert_eq!(
        class.count("xapi_forward").await,
        0,
        "a forum post is no learning record for the LRS"
    );
}

#[tokio::test]
async fn posts_the_forum_cannot_take_are_refused_and_store_nothing() {
    let forum = Forum::start().await;
    let class = &forum.class;
    forum
        .post(&class.ben, &new_topic("ben-topic", "Mine", "Text."))
        .await;
    forum
        .post(&class.ben, &reply("ben-intro", INTRODUCTIONS, "Hello."))
        .await;
    let before = forum.stored_posts().await;

    let mut attachments = Vec::new();
    for n in 0..6 {
        let bytes = format!("file {n}");
        attachments.push(
            forum
                .upload(&class.ana, &format!("{n}.txt"), bytes.as_bytes())
                .await,
        );
    }
    let cases: Vec<(&str, ForumPostPayload)> = vec![
        (
            "a quiz is not a forum",
            ForumPostPayload {
                item_id: "b1-quiz".into(),
                ..reply("p-quiz", INTRODUCTIONS, "Text.")
            },
        ),
        (
            "an item the course does not have",
            ForumPostPayload {
                item_id: "no-such-forum".into(),
                ..reply("p-no-item", INTRODUCTIONS, "Text.")
            },
        ),
        (
            "a topic the forum does not have",
            reply("p-no-topic", "no-such-topic", "Text."),
        ),
        (
            "an opening topic of the other forum",
            reply("p-other-forum", "b2-forum-firewall", "Text."),
        ),
        (
            "a topic a post of the other forum started",
            ForumPostPayload {
                item_id: "b2-forum".into(),
                ..reply("p-other-started", "ben-topic", "Text.")
            },
        ),
        (
            "a reply to a post of another topic",
            ForumPostPayload {
                reply_to: Some("ben-intro".into()),
                ..reply("p-other-topic", RATIFICATION, "Text.")
            },
        ),
        (
            "a reply to a post that does not exist",
            ForumPostPayload {
                reply_to: Some("nobody".into()),
                ..reply("p-no-post", RATIFICATION, "Text.")
            },
        ),
        (
            "a title on a reply",
            ForumPostPayload {
                title: Some("A title".into()),
                ..reply("p-titled", INTRODUCTIONS, "Text.")
            },
        ),
        (
            "a new topic under an opening topic's id",
            new_topic(INTRODUCTIONS, "Introductions again", "Text."),
        ),
        (
            "a new topic without a title",
            reply("p-untitled", "p-untitled", "Text."),
        ),
        ("a blank title", new_topic("p-blank-title", " \n ", "Text.")),
        (
            "a title too long",
            new_topic("p-long-title", &"t".repeat(MAX_TITLE_CHARS + 1), "Text."),
        ),
        ("an empty text", reply("p-empty", INTRODUCTIONS, " \n\t ")),
        (
            "a NUL in the text",
            reply("p-nul", INTRODUCTIONS, "Text\u{0}with a NUL."),
        ),
        (
            "a control character in a title",
            new_topic("p-bell-title", "Ring\u{7}", "Text."),
        ),
        (
            "a text too long",
            reply("p-long", INTRODUCTIONS, &"é".repeat(MAX_BODY_CHARS + 1)),
        ),
        (
            "too many files",
            ForumPostPayload {
                attachments: attachments.clone(),
                ..reply("p-files", INTRODUCTIONS, "Text.")
            },
        ),
    ];
    for (what, payload) in &cases {
        let response = forum.send(&class.ana, payload).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what} is refused: {text}"
        );
        let error: carrel_protocol::ApiError = serde_json::from_str(&text).unwrap();
        assert_eq!(error.code, "invalid_post", "{what}");
        assert!(
            error.message.contains("; "),
            "{what}: the message says what to do: {}",
            error.message
        );
    }
    // The limits are inclusive.
    forum
        .post(
            &class.ana,
            &ForumPostPayload {
                attachments: attachments[..5].to_vec(),
                ..reply("p-longest", INTRODUCTIONS, &"é".repeat(MAX_BODY_CHARS))
            },
        )
        .await;

    // A payload that is no forum post at all.
    let body = format!(
        r#"{{"kind":"forum_post","payload":{{"submissionId":"p-bare","courseId":"{DEMO_COURSE}","itemId":"{FORUM}","body":"x"}}}}"#
    );
    let response = class
        .send(
            Method::PUT,
            &submission_path("p-bare"),
            Some(&class.ana),
            Some(&body),
        )
        .await;
    let (status, code) = Class::error(response).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_post")
    );

    // Accounts that do not take part in the course: a tutor of another course, an admin, a
    // learner of another course.
    let outsider = forum.outsider().await;
    for (who, token) in [
        ("tina", class.tina.as_str()),
        ("root", class.root.as_str()),
        ("olga", outsider.as_str()),
    ] {
        let response = forum
            .send(token, &reply(&format!("p-{who}"), INTRODUCTIONS, "Hi."))
            .await;
        assert_eq!(
            Class::error(response).await,
            (StatusCode::FORBIDDEN, "not_enrolled".into()),
            "{who} is not enrolled in the course"
        );
    }
    // A file not uploaded yet: the client uploads it, then sends again.
    let missing = ForumPostPayload {
        attachments: vec![PostAttachment {
            sha256: "a".repeat(64),
            name: "later.pdf".into(),
            size: 10,
        }],
        ..reply("p-missing", INTRODUCTIONS, "Text.")
    };
    let response = forum.send(&class.ana, &missing).await;
    assert_eq!(
        Class::error(response).await,
        (StatusCode::CONFLICT, "attachments_missing".into())
    );

    assert_eq!(
        forum.stored_posts().await,
        (before.0 + 1, before.1 + 1),
        "only the post at the limits was stored"
    );
}

#[tokio::test]
async fn the_feed_pages_by_version() {
    let forum = Forum::start().await;
    let class = &forum.class;
    for n in 1..=5 {
        forum
            .post(&class.ana, &reply(&format!("p{n}"), INTRODUCTIONS, "Hi."))
            .await;
    }
    let first = forum.feed(&class.ben, "?limit=2").await;
    assert_eq!(versions(&first), [(1, "p1"), (2, "p2")]);
    assert_eq!((first.cursor, first.more), (2, true), "more are waiting");
    let second = forum.feed(&class.ben, "?after=2&limit=2").await;
    assert_eq!(versions(&second), [(3, "p3"), (4, "p4")]);
    assert_eq!((second.cursor, second.more), (4, true));
    let last = forum.feed(&class.ben, "?after=4&limit=2").await;
    assert_eq!(versions(&last), [(5, "p5")]);
    assert_eq!((last.cursor, last.more), (5, false));
    let empty = forum.feed(&class.ben, "?after=5").await;
    assert_eq!(
        (empty.posts.len(), empty.cursor, empty.more),
        (0, 5, false),
        "an empty page keeps the cursor it was asked with"
    );
    let clamped = forum.feed(&class.ben, "?limit=0").await;
    assert_eq!(
        versions(&clamped),
        [(1, "p1")],
        "a limit of 0 is taken as 1"
    );
    let all = forum.feed(&class.ben, "").await;
    assert_eq!((all.posts.len(), all.more), (5, false), "the default limit");
    class
        .assert_malformed_queries(
            &forum_path(DEMO_COURSE),
            &class.ben,
            &["?after=-1", "?after=x", "?limit=many", "?since=2"],
        )
        .await;
}

#[tokio::test]
async fn only_the_courses_members_and_admins_read_its_forum() {
    let forum = Forum::start().await;
    let class = &forum.class;
    forum
        .post(&class.ana, &reply("ana-hello", INTRODUCTIONS, "Hi."))
        .await;
    for (who, token) in [
        ("ana, a learner", class.ana.as_str()),
        ("tom, its tutor", class.tom.as_str()),
        ("root, an admin", class.root.as_str()),
    ] {
        let page = forum.feed(token, "").await;
        assert_eq!(page.posts.len(), 1, "{who} reads the forum");
    }
    // Even when anyone may download the course, its forum is for its members.
    class
        .fx
        .storage
        .set_course_access(DEMO_COURSE, true)
        .await
        .unwrap();
    let outsider = forum.outsider().await;
    for (who, token, path) in [
        (
            "tina, tutor of another course",
            class.tina.as_str(),
            forum_path(DEMO_COURSE),
        ),
        (
            "olga, learner of another course",
            outsider.as_str(),
            forum_path(DEMO_COURSE),
        ),
        (
            "ana, for a course that does not exist",
            class.ana.as_str(),
            forum_path("no-such-course"),
        ),
    ] {
        let response = class.send(Method::GET, &path, Some(token), None).await;
        assert_eq!(
            Class::error(response).await,
            (StatusCode::NOT_FOUND, "not_found".into()),
            "{who}: as if there were no forum"
        );
    }
    let anonymous = class
        .send(Method::GET, &forum_path(DEMO_COURSE), None, None)
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tutors_hide_and_pin_posts_and_every_change_raises_the_version() {
    let forum = Forum::start().await;
    let class = &forum.class;
    let file = forum.upload(&class.ana, "notes.txt", b"my notes").await;
    forum
        .post(
            &class.ana,
            &ForumPostPayload {
                attachments: vec![file.clone()],
                ..new_topic("ana-topic", "Rude title", "Rude text.")
            },
        )
        .await;
    forum
        .post(
            &class.ben,
            &ForumPostPayload {
                reply_to: Some("ana-topic".into()),
                ..reply("ben-reply", "ana-topic", "Calm down.")
            },
        )
        .await;

    let hidden = forum
        .moderated(&class.tom, "ana-topic", r#"{"hidden":true}"#)
        .await;
    assert_eq!(
        (hidden.version, hidden.hidden, hidden.pinned),
        (3, true, false),
        "hiding gives the post the course's next version"
    );
    assert_eq!(
        (
            hidden.title.as_deref(),
            hidden.body.as_str(),
            &hidden.attachments
        ),
        (Some("Rude title"), "Rude text.", &vec![file.clone()]),
        "the tutor is answered the post in full"
    );
    let who: (Option<String>, bool) = class
        .fx
        .storage
        .with_conn(|conn| {
            Ok(conn.query_row(
                "SELECT hidden_by, hidden_ms IS NOT NULL FROM forum_posts
                 WHERE client_id = 'ana-topic'",
                carrel_server::storage::sql::params![],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(who, (Some("tom".into()), true), "who hid it, and when");

    let for_ben = forum.feed(&class.ben, "").await;
    assert_eq!(
        versions(&for_ben),
        [(2, "ben-reply"), (3, "ana-topic")],
        "the hidden post keeps its place in its topic and comes again at its new version"
    );
    let blanked = &for_ben.posts[1];
    assert_eq!(
        (
            blanked.hidden,
            blanked.title.as_deref(),
            blanked.body.as_str(),
            blanked.attachments.len(),
            blanked.topic_id.as_str(),
            blanked.author.display_name.as_str()
        ),
        (true, None, "", 0, "ana-topic", "ana"),
        "a learner sees that a post was hidden, not what it said"
    );
    for token in [&class.tom, &class.root] {
        let full = forum.feed(token, "?after=2").await;
        assert_eq!(
            (full.posts[0].body.as_str(), full.posts[0].attachments.len()),
            ("Rude text.", 1),
            "tutors and admins read hidden posts"
        );
    }
    // The author is a learner: she sees her hidden post blanked too.
    assert_eq!(forum.feed(&class.ana, "?after=2").await.posts[0].body, "");

    // Nothing to change: no new version, nothing sent again.
    for body in [r#"{"hidden":true}"#, r#"{"pinned":false}"#, "{}"] {
        let same = forum.moderated(&class.tom, "ana-topic", body).await;
        assert_eq!(same.version, 3, "{body} changes nothing");
    }
    assert_eq!(forum.feed(&class.ben, "?after=3").await.posts, []);

    let pinned = forum
        .moderated(&class.root, "ben-reply", r#"{"pinned":true}"#)
        .await;
    assert_eq!((pinned.version, pinned.pinned), (4, true), "an admin pins");
    let both = forum
        .moderated(&class.tom, "ana-topic", r#"{"hidden":false,"pinned":true}"#)
        .await;
    assert_eq!(
        (both.version, both.hidden, both.pinned),
        (5, false, true),
        "two changes in one request: one new version"
    );
    let shown = forum.feed(&class.ben, "?after=4").await;
    assert_eq!(versions(&shown), [(5, "ana-topic")]);
    assert_eq!(
        (
            shown.posts[0].body.as_str(),
            shown.posts[0].title.as_deref()
        ),
        ("Rude text.", Some("Rude title")),
        "shown again in full"
    );

    // Who may not.
    let refusals = [
        (
            Some(class.ana.as_str()),
            "ana-topic",
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            Some(class.ben.as_str()),
            "ana-topic",
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            Some(class.tina.as_str()),
            "ana-topic",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Some(class.tom.as_str()),
            "no-such-post",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (token, post_id, status, code) in refusals {
        let response = forum.moderate(token, post_id, r#"{"hidden":true}"#).await;
        assert_eq!(
            Class::error(response).await,
            (status, code.into()),
            "{post_id} moderated with {token:?}"
        );
    }
    let anonymous = forum
        .moderate(None, "ana-topic", r#"{"hidden":true}"#)
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    for body in [r#"{"hidden":"yes"}"#, r#"{"locked":true}"#, "hide"] {
        let response = forum.moderate(Some(&class.tom), "ana-topic", body).await;
        assert_eq!(
            Class::error(response).await,
            (StatusCode::BAD_REQUEST, "malformed_request".into()),
            "{body}"
        );
    }
    assert_eq!(
        forum.feed(&class.ben, "").await.cursor,
        5,
        "refusals change nothing"
    );
}

#[tokio::test]
async fn a_posts_files_are_served_to_the_course_while_the_post_is_visible() {
    let forum = Forum::start().await;
    let class = &forum.class;
    let bytes: Vec<u8> = (0..50_000u32).map(|n| (n % 253) as u8).collect();
    let file = forum.upload(&class.ana, "ratification.csv", &bytes).await;
    forum
        .post(
            &class.ana,
            &ForumPostPayload {
                attachments: vec![file.clone()],
                ..reply("ana-table", RATIFICATION, "My country's table.")
            },
        )
        .await;
    let page = forum.feed(&class.ben, "").await;
    assert_eq!(page.posts[0].attachments, vec![file.clone()]);

    let path = forum_attachment_path(DEMO_COURSE, &file.sha256);
    for token in [&class.ben, &class.tom, &class.root] {
        let whole = class.send(Method::GET, &path, Some(token), None).await;
        assert_eq!(whole.status(), StatusCode::OK);
        assert_eq!(
            whole.headers()["content-disposition"],
            "attachment; filename=\"ratification.csv\""
        );
        assert_eq!(whole.bytes().await.unwrap().as_ref(), bytes.as_slice());
    }
    let part = class
        .fx
        .client
        .get(class.fx.url(&path))
        .bearer_auth(&class.ben)
        .header("Range", "bytes=40000-")
        .send()
        .await
        .unwrap();
    assert_eq!(
        part.status(),
        StatusCode::PARTIAL_CONTENT,
        "a cut download resumes"
    );
    assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[40_000..]);

    let outsider = forum.outsider().await;
    let unknown = forum_attachment_path(DEMO_COURSE, &"c".repeat(64));
    let other_course = forum_attachment_path("another-course", &file.sha256);
    for (who, token, path) in [
        ("tina, not in the course", class.tina.as_str(), &path),
        ("olga, not in the course", outsider.as_str(), &path),
        ("a file no post names", class.ben.as_str(), &unknown),
        ("another course's forum", class.tina.as_str(), &other_course),
    ] {
        let response = class.send(Method::GET, path, Some(token), None).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{who}");
    }
    let malformed = forum_attachment_path(DEMO_COURSE, "not-a-hash");
    let response = class
        .send(Method::GET, &malformed, Some(&class.ben), None)
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    forum
        .moderated(&class.tom, "ana-table", r#"{"hidden":true}"#)
        .await;
    for token in [&class.ben, &class.ana, &class.tom] {
        let response = class.send(Method::GET, &path, Some(token), None).await;
        assert_eq!(
            response.status(),
            StatusCode::NOT_FOUND,
            "no visible post names the file any more"
        );
    }
}

/// Runs the real binary on the forum's database; its status, stdout and stderr.
fn run(forum: &Forum, args: &[&str]) -> (bool, String, String) {
    let output = carrel_server()
        .args(args)
        .arg("--db")
        .arg(forum.class.fx.server.db())
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_binary_lists_and_moderates_forum_posts() {
    let forum = Forum::start().await;
    let class = &forum.class;
    forum
        .post(
            &class.ana,
            &new_topic("ana-topic", "Domestic work", "First line.\nSecond line."),
        )
        .await;
    forum
        .post(
            &class.ben,
            &ForumPostPayload {
                reply_to: Some("ana-topic".into()),
                ..reply("ben-reply", "ana-topic", "I agree with Ana.")
            },
        )
        .await;

    let (ok, moderated, stderr) = run(&forum, &["forum-post", "ben-reply", "--pin"]);
    assert!(ok, "{stderr}");
    assert_eq!(moderated, "ben-reply pinned 3\n");
    let (ok, moderated, stderr) = run(
        &forum,
        &["forum-post", "ana-topic", "--hide", "--tutor", "tom"],
    );
    assert!(ok, "{stderr}");
    assert_eq!(moderated, "ana-topic hidden 4\n");

    let (ok, listed, stderr) = run(&forum, &["forum-posts", DEMO_COURSE]);
    assert!(ok, "{stderr}");
    assert_eq!(
        listed,
        "ana-topic b1-forum ana-topic ana hidden First line.\n\
         ben-reply b1-forum ana-topic ben pinned I agree with Ana.\n",
        "one line per post in the order they were stored, hidden ones in full"
    );
    let (ok, json, stderr) = run(&forum, &["forum-posts", DEMO_COURSE, "--json"]);
    assert!(ok, "{stderr}");
    let posts: Vec<ForumPost> = serde_json::from_str(&json).unwrap();
    let mut as_tutor = forum.feed(&class.tom, "").await.posts;
    as_tutor.sort_by_key(|post| post.post_id.clone());
    assert_eq!(
        posts, as_tutor,
        "the posts as the feed gives them to a tutor"
    );
    assert_eq!(
        forum.feed(&class.ben, "?after=3").await.posts[0].body,
        "",
        "the learners' feed brings the hidden post blanked"
    );
    let hidden_by: Option<String> = class
        .fx
        .storage
        .with_conn(|conn| {
            Ok(conn.query_row(
                "SELECT hidden_by FROM forum_posts WHERE client_id = 'ana-topic'",
                carrel_server::storage::sql::params![],
                |row| row.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(
        hidden_by.as_deref(),
        Some("tom"),
        "--tutor names who hid it"
    );

    // Posts are not work to grade: the tutors' submission list leaves them out, and grading one
    // is refused.
    let (ok, submissions, stderr) = run(&forum, &["submissions"]);
    assert!(ok, "{stderr}");
    assert!(!submissions.contains("ben-reply"), "{submissions}");
    let (ok, _, stderr) = run(&forum, &["grade", "ben-reply", "--score", "1"]);
    assert!(!ok);
    assert!(stderr.contains("forum posts are not graded"), "{stderr}");

    let (ok, same, _) = run(&forum, &["forum-post", "ana-topic", "--hide"]);
    assert!(ok);
    assert_eq!(
        same, "ana-topic hidden 4\n",
        "nothing changed, no new version"
    );

    for (args, says) in [
        (vec!["forum-post", "ana-topic"], "--hide"),
        (
            vec!["forum-post", "ana-topic", "--hide", "--show"],
            "--show",
        ),
        (vec!["forum-post", "nope", "--show"], "forum-posts COURSE"),
        (
            vec!["forum-post", "ana-topic", "--show", "--tutor", "zed"],
            "zed",
        ),
        (
            vec!["forum-posts", "no-such-course"],
            "no course “no-such-course”",
        ),
    ] {
        let (ok, _, stderr) = run(&forum, &args);
        assert!(!ok, "{args:?} must fail");
        assert!(stderr.contains(says), "{args:?} says {says:?}: {stderr}");
    }
    assert_eq!(
        forum.feed(&class.tom, "").await.cursor,
        4,
        "refused commands change nothing"
    );
}

/// A database at schema version 12 with a submission, its grade, a comment and queued xAPI
/// statements (the statement sequence ahead of its rows, as after removed rows) keeps all of it,
/// its keys and indexes through the migration that widens the submission kinds for forum posts.
#[tokio::test]
async fn the_forum_migration_keeps_submissions_grades_comments_and_statements() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        for sql in [
            include_str!("../../src/storage/sql/0001_server_meta.sql"),
            include_str!("../../src/storage/sql/0002_catalog.sql"),
            include_str!("../../src/storage/sql/0003_accounts.sql"),
            include_str!("../../src/storage/sql/0004_submissions.sql"),
            include_str!("../../src/storage/sql/0005_uploads.sql"),
            include_str!("../../src/storage/sql/0006_enrolments.sql"),
            include_str!("../../src/storage/sql/0007_grades.sql"),
            include_str!("../../src/storage/sql/0008_quiz_definitions.sql"),
            include_str!("../../src/storage/sql/0009_releases.sql"),
            include_str!("../../src/storage/sql/0010_runtime_results.sql"),
            include_str!("../../src/storage/sql/0011_xapi_forward.sql"),
            include_str!("../../src/storage/sql/0012_recordings.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 12).unwrap();
        conn.execute_batch(
            "INSERT INTO users (id, login, display_name, password_hash, role, created_ms)
                 VALUES (1, 'ana', 'Ana', 'x', 'learner', 0);
             INSERT INTO submissions (id, client_id, user_id, kind, course_id, item_id, payload,
                 payload_sha256, received_ms)
                 VALUES (7, 'sub-7', 1, 'scorm', 'c', 'i', '{}', 'h', 1);
             INSERT INTO grades (submission_id, score, max_score, complete, graded_ms)
                 VALUES (7, 80, 100, 1, 2);
             INSERT INTO comments (id, submission_id, author, text, at_ms)
                 VALUES (3, 7, 'Tom', 'Good', 3);
             INSERT INTO xapi_forward (seq, statement_id, submission_id, body, queued_ms)
                 VALUES (1, 's1', 7, '{}', 4), (2, 's2', 7, '{}', 5);
             UPDATE sqlite_sequence SET seq = 9 WHERE name = 'xapi_forward';",
        )
        .unwrap();
    }
    let storage = carrel_server::Storage::open(&db).expect("a version 12 database is migrated");
    assert_eq!(
        storage.schema_version().await.unwrap(),
        carrel_server::SCHEMA_VERSION
    );
    let kept = storage
        .with_conn(|conn| {
            let rows: (String, f64, String, i64) = conn.query_row(
                "SELECT s.client_id, g.score, c.text,
                     (SELECT count(*) FROM xapi_forward WHERE submission_id = s.id)
                 FROM submissions s JOIN grades g ON g.submission_id = s.id
                 JOIN comments c ON c.submission_id = s.id",
                carrel_server::storage::sql::params![],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )?;
            let broken: i64 = conn.query_row(
                "SELECT count(*) FROM pragma_foreign_key_check",
                carrel_server::storage::sql::params![],
                |row| row.get(0),
            )?;
            let references: Vec<String> = conn
                .prepare(
                    "SELECT DISTINCT f.\"table\" FROM sqlite_schema t,
                         pragma_foreign_key_list(t.name) f
                     WHERE t.type = 'table' AND f.\"from\" = 'submission_id'
                     ORDER BY 1",
                )?
                .query_map(carrel_server::storage::sql::params![], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            let indexes: Vec<String> = conn
                .prepare(
                    "SELECT name FROM sqlite_schema WHERE type = 'index'
                         AND name IN ('submissions_by_user', 'comments_by_submission',
                             'xapi_forward_due', 'forum_posts_feed')
                     ORDER BY name",
                )?
                .query_map(carrel_server::storage::sql::params![], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            conn.execute(
                "INSERT INTO xapi_forward (statement_id, submission_id, body, queued_ms)
                 VALUES ('s3', 7, '{}', 6)",
                carrel_server::storage::sql::params![],
            )?;
            let next_seq: i64 = conn.query_row(
                "SELECT seq FROM xapi_forward WHERE statement_id = 's3'",
                carrel_server::storage::sql::params![],
                |row| row.get(0),
            )?;
            conn.execute(
                "INSERT INTO submissions (client_id, user_id, kind, course_id, item_id, payload,
                     payload_sha256, received_ms)
                 VALUES ('post-1', 1, 'forum_post', 'c', 'f', '{}', 'h', 7)",
                carrel_server::storage::sql::params![],
            )?;
            Ok((rows, broken, references, indexes, next_seq))
        })
        .await
        .expect("a forum post submission fits the new table");
    let (rows, broken, references, indexes, next_seq) = kept;
    assert_eq!(rows, ("sub-7".into(), 80.0, "Good".into(), 2));
    assert_eq!(broken, 0, "every foreign key still holds");
    assert_eq!(
        references,
        ["submissions"],
        "grades, comments, xapi_forward and forum_posts reference the rebuilt table"
    );
    assert_eq!(
        indexes,
        [
            "comments_by_submission",
            "forum_posts_feed",
            "submissions_by_user",
            "xapi_forward_due"
        ]
    );
    assert_eq!(next_seq, 10, "a statement number is never reused");
}
