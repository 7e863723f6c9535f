//! Completion rules, reports and "continue", on a real progress database in a temporary folder.

use serde_json::json;

use super::*;

const COURSE: &str = "course";

fn manifest() -> Manifest {
    let item = |id: &str, kind: serde_json::Value| {
        let mut value = json!({ "id": id, "title": format!("Title of {id}"), "minutes": 10 });
        for (key, field) in kind.as_object().unwrap() {
            value[key] = field.clone();
        }
        value
    };
    serde_json::from_value(json!({
        "format_version": 1,
        "built_at": "2026-11-01T00:00:00Z",
        "course": {
            "id": COURSE, "version": "1.0.0", "title": "Course", "language": "en",
            "min_app_version": "0.1.0", "publisher": { "name": "Publisher" }
        },
        "blocks": [{ "id": "b", "title": "Block", "modules": [{ "id": "m", "title": "Module", "items": [
            item("page", json!({ "kind": "page", "path": "pages/a.html" })),
            item("pdf", json!({ "kind": "pdf", "path": "docs/reading.pdf" })),
            item("video", json!({ "kind": "video", "path": "media/talk.webm" })),
            item("file", json!({ "kind": "file", "path": "data/table.csv" })),
            item("quiz", json!({ "kind": "quiz", "path": "quizzes/q.json" })),
            item("webinar", json!({ "kind": "webinar", "sessions": [] })),
            item("page-2", json!({ "kind": "page", "path": "pages/b.html" })),
        ]}]}],
        "files": []
    }))
    .unwrap()
}

fn db() -> (tempfile::TempDir, ProgressDb) {
    let dir = tempfile::tempdir().unwrap();
    let db = ProgressDb::open(&dir.path().join("progress.sqlite3")).unwrap();
    (dir, db)
}

fn scrolled(path: &str, position: f64, seen: f64) -> Report {
    Report::Scrolled {
        path: path.into(),
        position,
        seen,
    }
}

fn played(from: f64, to: f64) -> Report {
    Report::Played {
        path: "media/talk.webm".into(),
        from,
        to,
        duration: 100.0,
    }
}

#[test]
fn every_kind_has_the_rule_the_learner_is_shown() {
    let m = manifest();
    let rules: Vec<(String, CompletionRule)> = m
        .items()
        .map(|(_, _, item)| (item.id.clone(), CompletionRule::for_kind(&item.kind)))
        .collect();
    let rule = |id: &str| rules.iter().find(|(i, _)| i == id).unwrap().1;
    assert_eq!(rule("page"), CompletionRule::ReadToEnd);
    assert_eq!(rule("pdf"), CompletionRule::AllPagesSeen);
    assert_eq!(rule("video"), CompletionRule::Watched { percent: 90 });
    assert_eq!(rule("file"), CompletionRule::OpenedWithApp);
    assert_eq!(rule("quiz"), CompletionRule::Submitted);
    assert_eq!(rule("webinar"), CompletionRule::MarkedDone);
    assert!(rule("webinar").is_marked_by_learner());
    assert!(!rule("page").is_marked_by_learner());
}

#[test]
fn a_page_is_done_when_read_to_the_end_and_keeps_its_place() {
    let (_dir, db) = db();
    let m = manifest();
    let (item, progress) = record_report(&db, &m, &scrolled("pages/a.html", 0.3, 0.5), 10).unwrap();
    assert_eq!(item, "page");
    assert_eq!(progress.progress, 0.5);
    assert_eq!(progress.completed_ms, None, "half a page is not read");
    assert_eq!(
        (progress.position, progress.position_unit.as_deref()),
        (Some(0.3), Some("fraction"))
    );

    let (_, progress) = record_report(&db, &m, &scrolled("pages/a.html", 0.9, 0.97), 20).unwrap();
    assert_eq!(progress.completed_ms, None, "just short of the end");
    let (_, progress) =
        record_report(&db, &m, &scrolled("pages/a.html", 0.92, READ_TO_END), 30).unwrap();
    assert_eq!(
        progress.completed_ms,
        Some(30),
        "the last line was on screen"
    );

    // Scrolling back up moves the place but keeps the completion and the furthest point.
    let (_, progress) = record_report(&db, &m, &scrolled("pages/a.html", 0.1, 0.4), 40).unwrap();
    assert_eq!(progress.completed_ms, Some(30));
    assert_eq!(progress.progress, 1.0);
    assert_eq!(progress.position, Some(0.1));
    let completions: i64 = db
        .transact(|tx| {
            tx.query_row(
                "SELECT COUNT(*) FROM events WHERE kind = 'completed'",
                [],
                |row| row.get(0),
            )
            .map_err(ProgressError::from)
        })
        .unwrap();
    assert_eq!(completions, 1, "completion is recorded once");
}

#[test]
fn a_pdf_is_done_when_every_page_was_seen_over_any_number_of_sessions() {
    let (_dir, db) = db();
    let m = manifest();
    let pages = |page, seen: &[u32]| Report::Pages {
        path: "docs/reading.pdf".into(),
        page,
        seen: seen.to_vec(),
        pages: 5,
    };
    let (_, progress) = record_report(&db, &m, &pages(3, &[1, 2, 3]), 1).unwrap();
    assert_eq!((progress.progress, progress.completed_ms), (0.6, None));
    assert_eq!(progress.position, Some(3.0));
    // Another session: page 3 again and page 5; page 4 still unseen.
    let (_, progress) = record_report(&db, &m, &pages(5, &[3, 5]), 2).unwrap();
    assert_eq!((progress.progress, progress.completed_ms), (0.8, None));
    let (_, progress) = record_report(&db, &m, &pages(4, &[4]), 3).unwrap();
    assert_eq!(
        progress.completed_ms,
        Some(3),
        "every page has been on screen"
    );
    assert_eq!(progress.position_unit.as_deref(), Some("page"));
    assert!(matches!(
        record_report(&db, &m, &pages(6, &[]), 4),
        Err(ReportError::Invalid(_))
    ));
    assert!(matches!(
        record_report(&db, &m, &pages(1, &[0]), 4),
        Err(ReportError::Invalid(_))
    ));
}

#[test]
fn media_counts_what_was_played_not_where_the_learner_jumped() {
    let (_dir, db) = db();
    let m = manifest();
    // The first minute, twice: 60 % played, not 120 %.
    record_report(&db, &m, &played(0.0, 60.0), 1).unwrap();
    let (_, progress) = record_report(&db, &m, &played(0.0, 60.0), 2).unwrap();
    assert!(
        (progress.progress - 0.6).abs() < 1e-9,
        "{}",
        progress.progress
    );
    // A jump to the end and five seconds played: 65 %, not done.
    let (_, progress) = record_report(&db, &m, &played(95.0, 100.0), 3).unwrap();
    assert!((progress.progress - 0.65).abs() < 1e-9);
    assert_eq!(progress.completed_ms, None);
    assert_eq!(progress.position, Some(100.0));
    // 55–80 overlaps what was played: 60 + 20 + 5 = 85 %.
    let (_, progress) = record_report(&db, &m, &played(55.0, 80.0), 4).unwrap();
    assert!((progress.progress - 0.85).abs() < 1e-9);
    assert_eq!(progress.completed_ms, None, "85 % is short of 90 %");
    let (_, progress) = record_report(&db, &m, &played(80.0, 90.0), 5).unwrap();
    assert_eq!(progress.completed_ms, Some(5), "95 % watched");

    let at = Report::At {
        path: "media/talk.webm".into(),
        seconds: 42.5,
    };
    let (_, progress) = record_report(&db, &m, &at, 6).unwrap();
    assert_eq!(
        (progress.position, progress.position_unit.as_deref()),
        (Some(42.5), Some("seconds"))
    );
    assert!(matches!(
        record_report(&db, &m, &played(50.0, 40.0), 7),
        Err(ReportError::Invalid(_))
    ));
}

#[test]
fn reports_name_an_item_of_the_course_or_are_refused() {
    let (_dir, db) = db();
    let m = manifest();
    assert!(matches!(
        record_report(&db, &m, &scrolled("pages/other.html", 0.0, 1.0), 1),
        Err(ReportError::UnknownPath(_))
    ));
    for bad in [f64::NAN, f64::INFINITY] {
        assert!(matches!(
            record_report(&db, &m, &scrolled("pages/a.html", bad, 0.5), 1),
            Err(ReportError::Invalid(_))
        ));
    }
    let huge = Report::Active {
        path: "pages/a.html".into(),
        seconds: 1e12,
    };
    assert!(matches!(
        record_report(&db, &m, &huge, 1),
        Err(ReportError::Invalid(_))
    ));
    assert!(
        db.items(COURSE).unwrap().is_empty(),
        "nothing refused was kept"
    );

    let active = Report::Active {
        path: "pages/a.html".into(),
        seconds: 300.0,
    };
    let (_, progress) = record_report(&db, &m, &active, 2).unwrap();
    assert_eq!(
        progress.time_on_task_s, MAX_ACTIVE_SECONDS,
        "capped per report"
    );
    assert_eq!(progress.completed_ms, None, "time alone completes nothing");
}

#[test]
fn the_outline_continues_at_the_exact_place_and_names_what_is_next() {
    let (_dir, db) = db();
    let m = manifest();
    let outline = || {
        let course = carrel_package::store::InstalledCourse {
            manifest: m.clone(),
            publisher: carrel_package::testing::sample_key().public_key(),
            installed_at: 0,
            size_bytes: 0,
        };
        crate::library::outline_of(&course)
    };
    let fresh = decorate_outline(outline(), &db).unwrap();
    let study = fresh.study.unwrap();
    assert_eq!(study.continue_at, None);
    assert_eq!(study.next_item_id.as_deref(), Some("page"));
    assert_eq!((study.completed_items, study.total_items), (0, 7));

    record_report(&db, &m, &scrolled("pages/a.html", 0.95, 1.0), 10).unwrap();
    record_completed(&db, COURSE, "webinar", 20).unwrap();
    record_opened(&db, COURSE, "video", 30).unwrap();
    record_report(&db, &m, &played(0.0, 42.0), 40).unwrap();

    let outline = decorate_outline(outline(), &db).unwrap();
    let study = outline.study.unwrap();
    assert_eq!(study.completed_items, 2);
    let at = study.continue_at.unwrap();
    assert_eq!(at.item_id, "video");
    assert_eq!(
        (at.position, at.unit.as_deref()),
        (Some(42.0), Some("seconds"))
    );
    assert_eq!(
        study.next_item_id.as_deref(),
        Some("file"),
        "the first item not done after the one last worked in"
    );
    let items: Vec<_> = outline.blocks[0].modules[0].items.iter().collect();
    assert!(items[0].progress.as_ref().unwrap().completed_ms.is_some());
    assert!(
        items[3].progress.is_none(),
        "untouched items carry no progress"
    );
    assert_eq!(study.last_studied_ms, Some(40));
}

#[test]
fn unions_of_spans_count_overlaps_once() {
    assert_eq!(union_length(&[]), 0.0);
    assert_eq!(
        union_length(&[(0.0, 10.0), (5.0, 15.0), (20.0, 25.0)]),
        20.0
    );
    assert_eq!(
        union_length(&[(20.0, 25.0), (0.0, 10.0), (10.0, 12.0)]),
        17.0
    );
    assert_eq!(
        union_length(&[(5.0, 5.0), (7.0, 3.0), (f64::NAN, 1.0)]),
        0.0
    );
}

#[test]
fn only_documents_and_media_open_with_other_applications() {
    for ok in [
        "data/table.csv",
        "docs/Brief.DOCX",
        "a/b/c.pdf",
        "media/x.webm",
    ] {
        assert!(openable_with_app(ok), "{ok}");
    }
    for refused in [
        "tools/setup.exe",
        "run.sh",
        "start.desktop",
        "page.html",
        "script.js",
        "x.pdf.exe",
        "noextension",
        "macro.docm",
        "shortcut.lnk",
        "app.AppImage",
    ] {
        assert!(!openable_with_app(refused), "{refused}");
    }
}
