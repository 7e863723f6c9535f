//! Group work end to end, with two members of a group: the course team places the group's
//! case-study file with the server's command line; Ben submits the group's report from his
//! Carrel; Ana's Carrel, after one sync, shows her group, the file — which then opens offline —
//! and Ben's submission for the group. A tutor grades it at the command line, and after the next
//! sync Ana, who did not submit, sees the group's grade (and axe finds nothing to fault in the
//! view); submitting herself, she is told that her work would replace Ben's for the whole group.

use carrel_core::assess::assignments::AssignmentSubmission;
use carrel_e2e::{AppHome, Display};
use carrel_package::SecretKey;
use carrel_protocol::auth::Role;
use carrel_protocol::submissions::SubmissionKind;
use carrel_server::testing::LoopbackServer;

use super::a11y::{axe_source, press, violations};
use super::courses::{DEMO_ID, demo_package, download_demo, open_demo, serve_package};
use super::launch_with_env;
use super::sync::{server_cli, sign_in, sync_now};

const CASE_STUDY: &str = "b2-group-case-study";
const GROUP: &str = "Team B";

/// Ben's report for the group, stored by the server's own submission code as a `PUT` from his
/// Carrel would store it.
async fn ben_submits(server: &LoopbackServer, account_id: i64) -> String {
    let id = "0190f1a2-0000-7000-8000-0000000be0b1".to_owned();
    let payload = AssignmentSubmission {
        submission_id: id.clone(),
        course_id: DEMO_ID.into(),
        course_version: "1.0.0".into(),
        item_id: CASE_STUDY.into(),
        assignment_id: "group-case-study".into(),
        group_name: Some(GROUP.into()),
        version: 1,
        revision: 4,
        text: "Seasonal workers in Country A lose their permit with their job.".into(),
        words: 11,
        declaration: Some("We confirm.".into()),
        submitted_ms: 1,
        late: false,
        attachments: Vec::new(),
    };
    super::store_submission(
        server,
        account_id,
        SubmissionKind::Assignment,
        &id,
        &payload,
    )
    .await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_sees_its_files_and_the_submission_one_member_made_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let key = SecretKey::generate().unwrap();
    let package = demo_package(dir.path(), &key);
    let server = serve_package(&dir.path().join("server"), &package).await;
    let (db, addr) = (server.db().to_path_buf(), server.addr().to_string());
    server.account("ana", Role::Learner).await.unwrap();
    let ben = server.account("ben", Role::Learner).await.unwrap();
    for login in ["ana", "ben"] {
        server
            .enrol(login, DEMO_ID, Role::Learner, Some(GROUP))
            .await
            .unwrap();
    }
    // The course team places the group's data at the command line.
    let data = "sector,workers\nagriculture,1200\ndomestic work,800\n";
    let source = dir.path().join("team-b-data.csv");
    std::fs::write(&source, data).unwrap();
    server_cli(
        &db,
        &[
            "group-file-add",
            DEMO_ID,
            GROUP,
            source.to_str().unwrap(),
            "--name",
            "Country B data.csv",
        ],
    );
    let bens = ben_submits(&server, ben.account.id).await;

    // The system's application for the file, as Carrel reaches it on Linux: records the file.
    let (opened, path) = super::fake_opener(dir.path());
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let mut app = launch_with_env(
        &display,
        &home,
        Some(&server.url()),
        &[],
        &[("PATH", path)],
        "groups",
    )
    .await;
    let s = &mut app.session;
    sign_in(s, "ana").await;
    download_demo(s).await;
    sync_now(s).await;

    open_demo(s).await;
    s.click(&format!("#item-open-{CASE_STUDY}")).await.unwrap();
    s.wait_for("#group-work").await.unwrap();
    let name = s.text("#group-heading").await.unwrap();
    assert!(name.contains(GROUP), "{name}");
    let members = s.text("#group-members").await.unwrap();
    assert!(
        members.contains("ana (you)") && members.contains("ben"),
        "{members}"
    );
    let files = s.text("#group-files").await.unwrap();
    assert!(files.contains("Country B data.csv"), "{files}");
    let submitted = s.text("#group-submitted-by").await.unwrap();
    assert!(submitted.contains("by ben"), "{submitted}");
    assert_eq!(
        s.attr("#group-submission", "data-submission-id")
            .await
            .unwrap()
            .as_deref(),
        Some(bens.as_str())
    );
    s.wait_for("#group-grade-waiting").await.unwrap();
    s.screenshot("group-submitted").await.unwrap();

    // Offline, the file the sync fetched ahead opens.
    server.stop().await.unwrap();
    s.wait_for_attr("#server-state", "data-state", "offline")
        .await
        .unwrap();
    press(s, "#group-files .group-file button.open").await;
    let given = super::opened_file(&opened).await;
    assert!(given.ends_with("Country B data.csv"), "{given}");
    assert_eq!(std::fs::read_to_string(&given).unwrap(), data);

    // The server returns; a tutor grades Ben's report; Ana sees the group's grade.
    let server = LoopbackServer::start_at(&dir.path().join("server"), &addr)
        .await
        .unwrap();
    server_cli(
        &db,
        &[
            "grade",
            &bens,
            "--score",
            "15",
            "--out-of",
            "20",
            "--passed",
            "true",
            "--feedback",
            "A clear comparison.",
        ],
    );
    sync_now(s).await;
    s.wait_for("#group-grade").await.unwrap();
    let grade = s.text("#group-grade").await.unwrap();
    assert!(grade.contains("Graded 15 out of 20"), "{grade}");
    let feedback = s.text("#group-feedback").await.unwrap();
    assert!(feedback.contains("A clear comparison."), "{feedback}");
    s.screenshot("group-graded").await.unwrap();
    // The group's panel, files, grade and feedback shown, passes axe's WCAG 2.1 AA rules.
    let found = violations(s, &axe_source()).await;
    assert!(found.is_empty(), "{found:#?}");

    // Submitting herself, Ana is told her work would replace Ben's for the group.
    s.fill("#draft-text", "Our revised report.").await.unwrap();
    s.fill("#group-name", GROUP).await.unwrap();
    s.click("#declaration").await.unwrap();
    s.click("#assignment-submit").await.unwrap();
    s.wait_for("#review-group-replaces").await.unwrap();
    let warning = s.text("#review-group-replaces").await.unwrap();
    assert!(
        warning.contains("ben already submitted this for your group"),
        "{warning}"
    );
    server.stop().await.unwrap();
}
