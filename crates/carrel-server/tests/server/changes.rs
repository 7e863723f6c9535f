//! The changes feed: a learner's own changes and those of their courses, in order, from a cursor,
//! in pages; publishing, announcing and extending feed it; bad queries and tokens change nothing.

use carrel_protocol::auth::Role;
use carrel_protocol::changes::{CHANGES_PATH, ChangeBody, ChangesPage, MAX_LIMIT};
use reqwest::{Method, StatusCode};

use crate::support::{CLASS_COURSE, COURSE_ID, Class};

async fn page(class: &Class, token: &str, query: &str) -> ChangesPage {
    class
        .get_json(&format!("{CHANGES_PATH}{query}"), token)
        .await
}

fn titles(page: &ChangesPage) -> Vec<String> {
    page.changes
        .iter()
        .map(|change| match &change.body {
            ChangeBody::Announcement(a) => format!("announcement {}", a.title),
            ChangeBody::Schedule(s) => {
                format!("schedule {} {}", s.item_id, s.due.as_deref().unwrap_or("-"))
            }
            ChangeBody::Package(p) => format!("package {} {}", p.course_id, p.version),
            other => format!("{other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn a_learner_reads_their_changes_and_their_courses_from_a_cursor() {
    let class = Class::start().await;
    let storage = &class.fx.storage;
    for n in 1..=5 {
        carrel_server::changes::announce(storage, CLASS_COURSE, &format!("A{n}"), "Body")
            .await
            .unwrap();
    }
    carrel_server::changes::announce(storage, "another-course", "Elsewhere", "Body")
        .await
        .unwrap();
    carrel_server::changes::extend(
        storage,
        "ana",
        CLASS_COURSE,
        "essay",
        Some("2027-03-01T17:00:00+01:00"),
        Some("agreed"),
    )
    .await
    .unwrap();

    let all = page(&class, &class.ana, "").await;
    assert_eq!(
        titles(&all),
        vec![
            "announcement A1",
            "announcement A2",
            "announcement A3",
            "announcement A4",
            "announcement A5",
            "schedule essay 2027-03-01T17:00:00+01:00",
        ],
        "course-wide changes of her course and her own; not another course's"
    );
    assert!(!all.more);
    assert_eq!(all.cursor, all.changes.last().unwrap().seq);
    let ben = page(&class, &class.ben, "").await;
    assert_eq!(ben.changes.len(), 5, "Ben does not see Ana's extension");

    // Pages of two, from the cursor, until `more` is false.
    let (mut cursor, mut seen) = (0, Vec::new());
    loop {
        let next = page(&class, &class.ana, &format!("?after={cursor}&limit=2")).await;
        assert!(next.changes.len() <= 2);
        seen.extend(titles(&next));
        assert!(next.cursor >= cursor, "the cursor never goes back");
        cursor = next.cursor;
        if !next.more {
            break;
        }
    }
    assert_eq!(
        seen,
        titles(&all),
        "pages add up to the whole feed, once each"
    );
    let empty = page(&class, &class.ana, &format!("?after={cursor}")).await;
    assert_eq!(
        (empty.changes.len(), empty.cursor, empty.more),
        (0, cursor, false)
    );

    // Limits are clamped.
    let one = page(&class, &class.ana, "?limit=0").await;
    assert_eq!(one.changes.len(), 1);
    assert!(one.more);
    let most = page(&class, &class.ana, &format!("?limit={}", MAX_LIMIT * 10)).await;
    assert_eq!(most.changes.len(), 6);

    // Bad queries and tokens.
    class
        .assert_malformed_queries(
            CHANGES_PATH,
            &class.ana,
            &[
                "?after=-1",
                "?after=x",
                "?limit=-5",
                "?limit=many",
                "?colour=red",
            ],
        )
        .await;
    let expired = class.fx.server.expired_token("ana").await.unwrap();
    for (token, code) in [
        (None, "unauthenticated"),
        (Some("ca_forged"), "unauthenticated"),
        (Some(expired.as_str()), "token_expired"),
    ] {
        let response = class.send(Method::GET, CHANGES_PATH, token, None).await;
        assert_eq!(
            Class::error(response).await,
            (StatusCode::UNAUTHORIZED, code.into())
        );
    }

    // Extending for someone not enrolled, or with a date that is not one, is refused.
    assert!(
        carrel_server::changes::extend(
            storage,
            "tina",
            CLASS_COURSE,
            "essay",
            Some("2027-03-01T17:00:00Z"),
            None
        )
        .await
        .is_err()
    );
    assert!(
        carrel_server::changes::extend(
            storage,
            "ana",
            CLASS_COURSE,
            "essay",
            Some("next friday"),
            None
        )
        .await
        .is_err()
    );
    assert_eq!(
        page(&class, &class.ana, "").await.changes.len(),
        6,
        "refusals feed nothing"
    );
}

#[tokio::test]
async fn publishing_a_new_version_tells_the_enrolled_learners() {
    let class = Class::start().await;
    class
        .fx
        .server
        .enrol("ana", COURSE_ID, Role::Learner, None)
        .await
        .unwrap();
    let v1 = class.fx.package("v1", "1.0.0", "First.");
    class.fx.publish(&v1).await.unwrap();
    class.fx.publish(&v1).await.unwrap();
    let v2 = class.fx.package("v2", "1.1.0", "Second.");
    class.fx.publish(&v2).await.unwrap();
    assert_eq!(
        titles(&page(&class, &class.ana, "").await),
        vec![
            format!("package {COURSE_ID} 1.0.0"),
            format!("package {COURSE_ID} 1.1.0")
        ],
        "one change per new version; publishing the same package again is not news"
    );
    assert!(
        page(&class, &class.ben, "").await.changes.is_empty(),
        "Ben is not enrolled in that course"
    );
}

#[tokio::test]
async fn a_session_added_moved_or_cancelled_reaches_everyone_in_the_course_once_checked() {
    use carrel_protocol::changes::SessionNotice;
    use carrel_server::changes::{ChangeError, schedule_session};
    let class = Class::start().await;
    let storage = &class.fx.storage;
    let course = carrel_package::testing::SAMPLE_COURSE_ID;
    class
        .fx
        .server
        .enrol("ana", course, Role::Learner, None)
        .await
        .unwrap();
    let moved = SessionNotice {
        course_id: course.into(),
        item_id: "live".into(),
        session_id: "live-1".into(),
        starts: Some("2027-02-19T14:00:00+01:00".into()),
        time_zone: Some("Europe/Zurich".into()),
        duration_minutes: Some(75),
        join_url: Some("https://example.org/live-1b".into()),
        presenter: Some("Dr Ana Ruiz".into()),
    };
    // Nothing is published yet: the webinar is unknown.
    let error = schedule_session(storage, moved.clone()).await.unwrap_err();
    assert!(
        matches!(&error, ChangeError::Invalid(m) if m.contains("not a webinar")),
        "{error}"
    );
    class.publish_sample(true).await;
    let before = page(&class, &class.ana, "").await.cursor;

    let refused = [
        (
            SessionNotice {
                item_id: "essay".into(),
                ..moved.clone()
            },
            "not a webinar",
        ),
        (
            SessionNotice {
                starts: Some("next Tuesday".into()),
                ..moved.clone()
            },
            "RFC 3339",
        ),
        (
            // 14:00 at UTC+1 in July is 15:00 in Zurich (summer time): a slip, refused.
            SessionNotice {
                starts: Some("2027-07-01T14:00:00+01:00".into()),
                ..moved.clone()
            },
            "wrong offset for Europe/Zurich",
        ),
        (
            SessionNotice {
                time_zone: Some("Geneva".into()),
                ..moved.clone()
            },
            "IANA",
        ),
        (
            SessionNotice {
                time_zone: None,
                ..moved.clone()
            },
            "time zone",
        ),
        (
            SessionNotice {
                duration_minutes: Some(0),
                ..moved.clone()
            },
            "1 to 1440",
        ),
        (
            SessionNotice {
                join_url: Some("http://example.org/plain".into()),
                ..moved.clone()
            },
            "https://",
        ),
        (
            SessionNotice {
                session_id: "../x".into(),
                ..moved.clone()
            },
            "session id",
        ),
    ];
    for (notice, says) in refused {
        let error = schedule_session(storage, notice).await.unwrap_err();
        assert!(error.to_string().contains(says), "{error} (wanted {says})");
    }
    assert_eq!(
        page(&class, &class.ana, &format!("?after={before}"))
            .await
            .changes,
        [],
        "a refused change is not in the feed"
    );

    schedule_session(storage, moved.clone()).await.unwrap();
    let cancel = SessionNotice {
        session_id: "live-2".into(),
        starts: None,
        time_zone: None,
        duration_minutes: None,
        join_url: None,
        presenter: None,
        ..moved.clone()
    };
    schedule_session(storage, cancel.clone()).await.unwrap();
    let sessions: Vec<SessionNotice> = page(&class, &class.ana, &format!("?after={before}"))
        .await
        .changes
        .into_iter()
        .map(|change| match change.body {
            ChangeBody::Session(notice) => notice,
            other => panic!("not a session change: {other:?}"),
        })
        .collect();
    assert_eq!(sessions, [moved, cancel]);
    assert!(
        page(&class, &class.ben, "").await.changes.is_empty(),
        "Ben is not in that course"
    );
}
