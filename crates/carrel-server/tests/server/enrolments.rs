//! Enrolments and who sees which course: `GET /api/v1/enrolments` with groups; the catalogue and
//! every download limited to open courses and the account's own; a hidden course answers exactly
//! as a missing one; a bad token is refused, never taken as anonymous; submissions need an
//! enrolment as a learner.

use carrel_protocol::auth::Role;
use carrel_protocol::catalog::{file_url, manifest_url, package_url, signature_url};
use carrel_protocol::submissions::submission_path;
use carrel_protocol::tutor::{ENROLMENTS_PATH, Enrolment};
use carrel_protocol::{ApiError, CATALOG_PATH, Catalog};
use carrel_server::PublishOptions;
use reqwest::StatusCode;

use crate::support::{COURSE_ID, Fixture};

/// A GET with an optional bearer token.
async fn get(fx: &Fixture, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = fx.client.get(fx.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn error(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: ApiError = response.json().await.expect("errors are JSON");
    (status, body.code)
}

async fn catalog_ids(fx: &Fixture, token: Option<&str>) -> Vec<String> {
    let response = get(fx, CATALOG_PATH, token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let catalog: Catalog = response.json().await.unwrap();
    catalog
        .courses
        .into_iter()
        .map(|course| course.id)
        .collect()
}

async fn publish(
    fx: &Fixture,
    package: &std::path::Path,
    options: PublishOptions,
) -> carrel_server::Published {
    carrel_server::publish_package_with(&fx.storage, fx.server.data(), package, &options)
        .await
        .unwrap()
}

/// Every download of the published test course: package, manifest, signature, one file.
fn downloads(fx: &Fixture) -> Vec<String> {
    let manifest = carrel_package::PackageArchive::open(
        std::io::BufReader::new(std::fs::File::open(fx.dir.path().join("v1.carrel")).unwrap()),
        &carrel_package::Limits::default(),
    )
    .unwrap()
    .manifest()
    .clone();
    vec![
        package_url(COURSE_ID, "1.0.0"),
        manifest_url(COURSE_ID, "1.0.0"),
        signature_url(COURSE_ID, "1.0.0"),
        file_url(&manifest.files[0].sha256),
    ]
}

#[tokio::test]
async fn an_enrolled_only_course_is_listed_and_served_only_to_its_accounts_and_admins() {
    let fx = Fixture::start().await;
    let package = fx.package("v1", "1.0.0", "First edition.");
    publish(&fx, &package, PublishOptions::default()).await;
    let ana = fx.server.learner("ana").await.unwrap().access_token;
    let tutor = fx
        .server
        .account("tom", Role::Tutor)
        .await
        .unwrap()
        .access_token;
    let outsider = fx.server.learner("ben").await.unwrap().access_token;
    let admin = fx
        .server
        .account("root", Role::Admin)
        .await
        .unwrap()
        .access_token;
    fx.server
        .enrol("ana", COURSE_ID, Role::Learner, None)
        .await
        .unwrap();
    fx.server
        .enrol("tom", COURSE_ID, Role::Tutor, None)
        .await
        .unwrap();

    assert_eq!(
        catalog_ids(&fx, None).await,
        Vec::<String>::new(),
        "a new publish is enrolled-only: anonymous requests do not see it"
    );
    assert!(catalog_ids(&fx, Some(&outsider)).await.is_empty());
    for token in [&ana, &tutor, &admin] {
        assert_eq!(catalog_ids(&fx, Some(token)).await, vec![COURSE_ID]);
    }
    let missing_course = error(get(&fx, &package_url("no-such-course", "1.0.0"), None).await).await;
    for path in downloads(&fx) {
        for token in [None, Some(outsider.as_str())] {
            assert_eq!(
                error(get(&fx, &path, token).await).await,
                missing_course,
                "{path}: a hidden course answers as a course that does not exist"
            );
        }
        for token in [&ana, &tutor, &admin] {
            assert_eq!(get(&fx, &path, Some(token)).await.status(), 200, "{path}");
        }
    }

    // A token that is not valid is refused, not taken as anonymous.
    let expired = fx.server.expired_token("ana").await.unwrap();
    for path in [CATALOG_PATH.to_owned(), package_url(COURSE_ID, "1.0.0")] {
        assert_eq!(
            error(get(&fx, &path, Some(&expired)).await).await,
            (StatusCode::UNAUTHORIZED, "token_expired".into()),
            "{path}"
        );
        assert_eq!(
            error(get(&fx, &path, Some("ca_forged")).await).await,
            (StatusCode::UNAUTHORIZED, "unauthenticated".into()),
            "{path}"
        );
    }

    // Publishing the same package again with --open opens it; with --enrolled-only closes it.
    let again = publish(&fx, &package, PublishOptions::open()).await;
    assert!(again.unchanged);
    assert_eq!(catalog_ids(&fx, None).await, vec![COURSE_ID]);
    for path in downloads(&fx) {
        assert_eq!(get(&fx, &path, None).await.status(), 200, "{path}");
    }
    // A new version without a flag keeps the setting.
    let v2 = fx.package("v2", "2.0.0", "Second edition.");
    publish(&fx, &v2, PublishOptions::default()).await;
    assert_eq!(catalog_ids(&fx, None).await, vec![COURSE_ID]);
    publish(
        &fx,
        &v2,
        PublishOptions {
            open: Some(false),
            ..PublishOptions::default()
        },
    )
    .await;
    assert!(catalog_ids(&fx, None).await.is_empty());
    assert_eq!(catalog_ids(&fx, Some(&ana)).await, vec![COURSE_ID]);
}

#[tokio::test]
async fn enrolments_list_roles_and_group_members() {
    let fx = Fixture::start().await;
    let ana = fx.server.learner("ana").await.unwrap().access_token;
    for login in ["ben", "cara", "dan"] {
        fx.server.learner(login).await.unwrap();
    }
    for (login, group) in [
        ("ana", Some("Team A")),
        ("ben", Some("Team A")),
        ("cara", Some("Team A")),
        ("dan", Some("Team B")),
    ] {
        fx.server
            .enrol(login, "course-1", Role::Learner, group)
            .await
            .unwrap();
    }
    fx.server
        .enrol("cara", "course-1", Role::Learner, Some("Team B"))
        .await
        .expect("enrolling again changes the group");
    fx.server
        .enrol("ana", "course-2", Role::Tutor, None)
        .await
        .unwrap();

    let response = get(&fx, ENROLMENTS_PATH, Some(&ana)).await;
    assert_eq!(response.status(), 200);
    let enrolments: Vec<Enrolment> = response.json().await.unwrap();
    assert_eq!(
        enrolments,
        vec![
            Enrolment {
                course_id: "course-1".into(),
                role: Role::Learner,
                group: Some("Team A".into()),
                group_members: vec!["ben".into()],
            },
            Enrolment {
                course_id: "course-2".into(),
                role: Role::Tutor,
                group: None,
                group_members: vec![],
            },
        ],
        "each enrolment with the other members of its group, and no one else's"
    );
    let dan = fx.server.expired_token("dan").await.unwrap();
    for (token, code) in [
        (None, "unauthenticated"),
        (Some("ca_forged"), "unauthenticated"),
        (Some(dan.as_str()), "token_expired"),
    ] {
        assert_eq!(
            error(get(&fx, ENROLMENTS_PATH, token).await).await,
            (StatusCode::UNAUTHORIZED, code.into())
        );
    }
    assert!(
        carrel_server::enrolments::enrol(&fx.storage, "nobody", "course-1", Role::Learner, None)
            .await
            .is_err(),
        "an unknown login cannot be enrolled"
    );
    assert!(
        carrel_server::enrolments::enrol(&fx.storage, "ana", "course-1", Role::Admin, None)
            .await
            .is_err(),
        "admin is not a role in a course"
    );
}

#[tokio::test]
async fn submissions_need_an_enrolment_as_a_learner() {
    let fx = Fixture::start().await;
    let ana = fx.server.learner("ana").await.unwrap().access_token;
    let id = "0193a1b2-c3d4-7e5f-8a9b-00000000enr1";
    let body = format!(
        r#"{{"kind":"assignment","payload":{{"submissionId":"{id}","courseId":"course-1","itemId":"essay","text":"x","attachments":[]}}}}"#
    );
    let put = || async {
        fx.client
            .put(fx.url(&submission_path(id)))
            .bearer_auth(&ana)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap()
    };
    let stored = || async {
        fx.storage
            .with_conn(|conn| {
                Ok(conn.query_row(
                    "SELECT count(*) FROM submissions",
                    carrel_server::storage::sql::params![],
                    |row| row.get::<i64>(0),
                )?)
            })
            .await
            .unwrap()
    };
    assert_eq!(
        error(put().await).await,
        (StatusCode::FORBIDDEN, "not_enrolled".into())
    );
    fx.server
        .enrol("ana", "course-1", Role::Tutor, None)
        .await
        .unwrap();
    assert_eq!(
        error(put().await).await,
        (StatusCode::FORBIDDEN, "not_enrolled".into()),
        "a tutor of the course does not submit work in it"
    );
    assert_eq!(stored().await, 0, "refusals store nothing");
    fx.server
        .enrol("ana", "course-1", Role::Learner, None)
        .await
        .unwrap();
    assert_eq!(put().await.status(), StatusCode::CREATED);
    carrel_server::enrolments::unenrol(&fx.storage, "ana", "course-1")
        .await
        .unwrap();
    assert_eq!(
        put().await.status(),
        StatusCode::OK,
        "a stored submission still replays its receipt after the enrolment ends"
    );
    assert_eq!(stored().await, 1);
}
