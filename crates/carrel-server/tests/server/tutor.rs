//! Tutors read, grade and comment the submissions of their courses; a learner reads their own
//! with its grade and comments; nobody else reads or changes anything — every endpoint tried with
//! a learner's, another tutor's, an expired, a forged and no token, and with malformed input.

use carrel_protocol::changes::{ChangeBody, ChangesPage, Comment, Grade};
use carrel_protocol::submissions::submission_path;
use carrel_protocol::tutor::{
    SubmissionDetail, SubmissionStatus, SubmissionSummary, TUTOR_SUBMISSIONS_PATH,
    tutor_comments_path, tutor_grade_path, tutor_submission_path,
};
use reqwest::{Method, StatusCode};

use crate::support::{CLASS_COURSE, Class};

#[tokio::test]
async fn a_tutor_lists_reads_grades_and_comments_and_the_learner_sees_it() {
    let class = Class::start().await;
    let ana_essay = Class::essay("essay", "Ana's essay");
    let ana = class
        .submit(&class.ana, "ana-1", "assignment", &ana_essay)
        .await;
    let ben = class
        .submit(
            &class.ben,
            "ben-1",
            "assignment",
            &Class::essay("report", "Ben"),
        )
        .await;

    let all: Vec<SubmissionSummary> = class.get_json(TUTOR_SUBMISSIONS_PATH, &class.tom).await;
    assert_eq!(
        all.iter().map(|s| s.server_id).collect::<Vec<_>>(),
        vec![ana.server_id, ben.server_id]
    );
    assert_eq!(all[0].learner.login, "ana");
    assert_eq!(all[0].item_id, "essay");
    let essays: Vec<SubmissionSummary> = class
        .get_json(&format!("{TUTOR_SUBMISSIONS_PATH}?item=essay"), &class.tom)
        .await;
    assert_eq!(essays.len(), 1, "the item filter keeps one");
    let none: Vec<SubmissionSummary> = class
        .get_json(
            &format!("{TUTOR_SUBMISSIONS_PATH}?course=another-course"),
            &class.tom,
        )
        .await;
    assert!(none.is_empty());

    let detail: SubmissionDetail = class
        .get_json(&tutor_submission_path(ana.server_id), &class.tom)
        .await;
    let stored = format!(r#"{{"submissionId":"ana-1",{}"#, &ana_essay[1..]);
    assert_eq!(
        detail.payload.get(),
        stored,
        "the payload exactly as stored"
    );

    let grade_body = r#"{"score":72.5,"feedback":"Clear and well argued."}"#;
    let response = class
        .send(
            Method::PUT,
            &tutor_grade_path(ana.server_id),
            Some(&class.tom),
            Some(grade_body),
        )
        .await;
    assert_eq!(response.status(), 200);
    let grade: Grade = response.json().await.unwrap();
    assert_eq!(
        (grade.score, grade.max_score, grade.passed, grade.complete),
        (72.5, 100.0, None, true),
        "an assignment is out of 100 with no pass mark unless the tutor says"
    );
    assert_eq!(grade.graded_by.as_deref(), Some("tom"));
    assert_eq!(grade.feedback.as_deref(), Some("Clear and well argued."));

    let ungraded: Vec<SubmissionSummary> = class
        .get_json(
            &format!("{TUTOR_SUBMISSIONS_PATH}?ungraded=true"),
            &class.tom,
        )
        .await;
    assert_eq!(
        ungraded.iter().map(|s| s.server_id).collect::<Vec<_>>(),
        vec![ben.server_id]
    );

    let response = class
        .send(
            Method::POST,
            &tutor_comments_path(ana.server_id),
            Some(&class.tom),
            Some(r#"{"text":"See me about the second part."}"#),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let comment: Comment = response.json().await.unwrap();
    assert_eq!(comment.author, "tom");

    // The grade again replaces the first one.
    let regrade = class
        .send(
            Method::PUT,
            &tutor_grade_path(ana.server_id),
            Some(&class.root),
            Some(r#"{"score":8,"maxScore":10,"passed":true}"#),
        )
        .await;
    assert_eq!(regrade.status(), 200, "an admin grades every course");

    let status: SubmissionStatus = class.get_json(&submission_path("ana-1"), &class.ana).await;
    assert_eq!(status.receipt, ana.clone().with_replayed(false));
    let final_grade = status.grade.expect("graded");
    assert_eq!(
        (final_grade.score, final_grade.max_score, final_grade.passed),
        (8.0, 10.0, Some(true))
    );
    assert_eq!(status.comments, vec![comment.clone()]);

    // The learner's feed has both grades and the comment, in order; Ben's has none of them.
    let feed: ChangesPage = class.get_json("/api/v1/changes", &class.ana).await;
    let kinds: Vec<&str> = feed
        .changes
        .iter()
        .map(|change| match &change.body {
            ChangeBody::Grade(_) => "grade",
            ChangeBody::Comment(_) => "comment",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, vec!["grade", "comment", "grade"]);
    let ben_feed: ChangesPage = class.get_json("/api/v1/changes", &class.ben).await;
    assert!(ben_feed.changes.is_empty(), "{ben_feed:?}");
}

trait Replayed {
    fn with_replayed(self, replayed: bool) -> Self;
}

impl Replayed for carrel_protocol::submissions::Receipt {
    fn with_replayed(mut self, replayed: bool) -> Self {
        self.replayed = replayed;
        self
    }
}

#[tokio::test]
async fn nobody_else_reads_or_changes_a_submission() {
    let class = Class::start().await;
    let ana = class
        .submit(
            &class.ana,
            "ana-1",
            "assignment",
            &Class::essay("essay", "x"),
        )
        .await;
    let id = ana.server_id;
    let expired = class.fx.server.expired_token("tom").await.unwrap();
    let changes_before = class.count("changes").await;

    let grade = r#"{"score":1}"#;
    let comment = r#"{"text":"hello"}"#;
    let endpoints: Vec<(Method, String, Option<&str>)> = vec![
        (Method::GET, TUTOR_SUBMISSIONS_PATH.to_owned(), None),
        (Method::GET, tutor_submission_path(id), None),
        (Method::PUT, tutor_grade_path(id), Some(grade)),
        (Method::POST, tutor_comments_path(id), Some(comment)),
        (
            Method::GET,
            format!(
                "{}/attachments/{}",
                tutor_submission_path(id),
                "a".repeat(64)
            ),
            None,
        ),
    ];
    for (method, path, body) in &endpoints {
        for (who, token, expected) in [
            (
                "a learner",
                Some(class.ana.as_str()),
                (StatusCode::FORBIDDEN, "forbidden"),
            ),
            (
                "no token",
                None,
                (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ),
            (
                "a forged token",
                Some("ca_forged"),
                (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ),
            (
                "an expired token",
                Some(expired.as_str()),
                (StatusCode::UNAUTHORIZED, "token_expired"),
            ),
        ] {
            let response = class.send(method.clone(), path, token, *body).await;
            assert_eq!(
                Class::error(response).await,
                (expected.0, expected.1.to_owned()),
                "{method} {path} with {who}"
            );
        }
        if path != TUTOR_SUBMISSIONS_PATH {
            let response = class
                .send(method.clone(), path, Some(&class.tina), *body)
                .await;
            assert_eq!(
                Class::error(response).await,
                (StatusCode::NOT_FOUND, "not_found".into()),
                "{method} {path}: a tutor of another course is told it does not exist"
            );
        }
    }
    let tina_list: Vec<SubmissionSummary> =
        class.get_json(TUTOR_SUBMISSIONS_PATH, &class.tina).await;
    assert!(
        tina_list.is_empty(),
        "another course's tutor lists nothing of this one"
    );

    // Another learner cannot read Ana's submission by its id.
    let response = class
        .send(
            Method::GET,
            &submission_path("ana-1"),
            Some(&class.ben),
            None,
        )
        .await;
    assert_eq!(
        Class::error(response).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
    for token in [None, Some("ca_forged"), Some(expired.as_str())] {
        let response = class
            .send(Method::GET, &submission_path("ana-1"), token, None)
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    // Malformed input from the right tutor.
    for (method, path, body, code) in [
        (
            Method::PUT,
            tutor_grade_path(id),
            r#"{"score":-1}"#,
            "invalid_grade",
        ),
        (
            Method::PUT,
            tutor_grade_path(id),
            r#"{"score":101}"#,
            "invalid_grade",
        ),
        (
            Method::PUT,
            tutor_grade_path(id),
            r#"{"score":5,"maxScore":4}"#,
            "invalid_grade",
        ),
        (
            Method::PUT,
            tutor_grade_path(id),
            r#"{"score":1e999}"#,
            "malformed_request",
        ),
        (
            Method::PUT,
            tutor_grade_path(id),
            r#"{"score":1,"bonus":2}"#,
            "malformed_request",
        ),
        (
            Method::PUT,
            tutor_grade_path(id),
            "not json",
            "malformed_request",
        ),
        (
            Method::PUT,
            "/api/v1/tutor/submissions/abc/grade".into(),
            grade,
            "malformed_request",
        ),
        (
            Method::POST,
            tutor_comments_path(id),
            r#"{"text":"   "}"#,
            "invalid_comment",
        ),
        (
            Method::POST,
            tutor_comments_path(id),
            r#"{"words":"x"}"#,
            "malformed_request",
        ),
    ] {
        let response = class
            .send(method.clone(), &path, Some(&class.tom), Some(body))
            .await;
        assert_eq!(
            Class::error(response).await,
            (StatusCode::BAD_REQUEST, code.to_owned()),
            "{method} {path} {body}"
        );
    }
    let response = class
        .send(
            Method::PUT,
            &tutor_grade_path(999_999),
            Some(&class.tom),
            Some(grade),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    class
        .assert_malformed_queries(
            TUTOR_SUBMISSIONS_PATH,
            &class.tom,
            &["?ungraded=maybe", "?colour=red"],
        )
        .await;

    assert_eq!(class.count("grades").await, 0, "nothing was graded");
    assert_eq!(class.count("comments").await, 0, "nothing was commented");
    assert_eq!(
        class.count("changes").await,
        changes_before,
        "no change was fed"
    );
}

#[tokio::test]
async fn a_tutor_fetches_an_attachment_the_submission_names() {
    let class = Class::start().await;
    let bytes = b"the learner's spreadsheet".to_vec();
    let sha256 = crate::support::sha256_hex(&bytes);
    let blob = carrel_server::uploads::blob_path(class.fx.server.data(), &sha256);
    std::fs::create_dir_all(blob.parent().unwrap()).unwrap();
    std::fs::write(&blob, &bytes).unwrap();
    let payload = format!(
        r#"{{"courseId":"{CLASS_COURSE}","itemId":"essay","text":"x","attachments":[{{"sha256":"{sha256}","name":"data.csv","size":{}}}]}}"#,
        bytes.len()
    );
    // Before the upload: refused, naming the file, nothing stored.
    let body = format!(
        r#"{{"kind":"assignment","payload":{{"submissionId":"ana-att",{}}}"#,
        &payload[1..]
    );
    let early = class
        .send(
            Method::PUT,
            &submission_path("ana-att"),
            Some(&class.ana),
            Some(&body),
        )
        .await;
    assert!(
        early.headers().get("retry-after").is_none(),
        "waiting does not help: the client must upload"
    );
    let error: carrel_protocol::ApiError = early.json().await.unwrap();
    assert_eq!(error.code, "attachments_missing");
    assert!(error.message.contains(&sha256), "{}", error.message);
    assert_eq!(class.count("submissions").await, 0);
    // The upload is complete: the submission may name it.
    class
        .fx
        .storage
        .with_conn({
            let sha256 = sha256.clone();
            let size = bytes.len() as i64;
            move |conn| {
                conn.execute(
                    "INSERT INTO uploads (id, user_id, sha256, size, name, received, created_ms,
                         completed_ms)
                     SELECT 'u1', id, ?1, ?2, 'data.csv', ?2, 0, 1 FROM users WHERE login = 'ana'",
                    carrel_server::storage::sql::params![sha256, size],
                )?;
                Ok(())
            }
        })
        .await
        .unwrap();
    let receipt = class
        .submit(&class.ana, "ana-att", "assignment", &payload)
        .await;
    let path = format!(
        "{}/attachments/{sha256}",
        tutor_submission_path(receipt.server_id)
    );
    let response = class.send(Method::GET, &path, Some(&class.tom), None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"data.csv\""
    );
    assert_eq!(response.bytes().await.unwrap().to_vec(), bytes);
    let other = format!(
        "{}/attachments/{}",
        tutor_submission_path(receipt.server_id),
        "b".repeat(64)
    );
    let response = class
        .send(Method::GET, &other, Some(&class.tom), None)
        .await;
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "only a file the submission names is served"
    );
}
