//! Group work over real HTTP, on the published demo course (its group assignment
//! `b2-group-case-study`): `ana` and `ben` are "Team B", `cara` is "Team C", `dan` is a learner
//! without a group. A group submission is recorded for the submitter's group and its latest is
//! every member's, with its grade; individual work never shows; only learners with a group read
//! one; the course team's files for a group and the files of its submissions are served to its
//! members only; the operator places, lists and removes files with the real binary; a group
//! assignment's grade counts towards every member's certificate; and the migration keeps what an
//! older database holds.

use carrel_protocol::ApiError;
use carrel_protocol::auth::Role;
use carrel_protocol::certificates::{NOT_EARNED, certificate_path};
use carrel_protocol::forums::PostAttachment;
use carrel_protocol::groups::{
    GroupFile, GroupGrade, GroupMember, GroupState, MAX_FILE_NAME_CHARS, group_file_path,
    group_path,
};
use carrel_protocol::submissions::{Receipt, submission_path};
use carrel_protocol::tutor::tutor_grade_path;
use carrel_server::groups::{GroupError, ListedFile};
use reqwest::{Method, StatusCode};

use crate::support::{Class, DEMO_COURSE, carrel_server, sha256_hex};

/// The demo course's group assignment.
const GROUP_ITEM: &str = "b2-group-case-study";
/// The demo course's individual final assignment.
const SOLO_ITEM: &str = "b3-final-assignment";
const TEAM_B: &str = "Team B";
const TEAM_C: &str = "Team C";

/// A class (see [`Class`]) in the published demo course, with its groups: `ana` and `ben` in
/// "Team B", `cara` in "Team C", `dan` in none; `tom` tutors the course; `olga` is a learner of
/// another course only.
struct Groups {
    class: Class,
    cara: String,
    dan: String,
    olga: String,
}

impl Groups {
    async fn start() -> Self {
        Self::in_class(Class::with_demo().await).await
    }

    /// Puts the class's learners in their groups and adds `cara`, `dan` and `olga`.
    async fn in_class(class: Class) -> Self {
        let server = &class.fx.server;
        for (login, group) in [("ana", TEAM_B), ("ben", TEAM_B)] {
            server
                .enrol(login, DEMO_COURSE, Role::Learner, Some(group))
                .await
                .unwrap();
        }
        let cara = server.learner("cara").await.unwrap().access_token;
        server
            .enrol("cara", DEMO_COURSE, Role::Learner, Some(TEAM_C))
            .await
            .unwrap();
        let dan = server
            .learner_in("dan", DEMO_COURSE)
            .await
            .unwrap()
            .access_token;
        let olga = server
            .learner_in("olga", "another-course")
            .await
            .unwrap()
            .access_token;
        Self {
            class,
            cara,
            dan,
            olga,
        }
    }

    /// Submits an assignment of `item` as `token` under `id`, shaped as the client's
    /// `AssignmentSubmission`; `group` is its `groupName`.
    async fn submit(
        &self,
        token: &str,
        id: &str,
        item: &str,
        group: Option<&str>,
        words: u32,
        attachments: &[PostAttachment],
    ) -> reqwest::Response {
        let body = Self::assignment(id, item, group, words, attachments);
        self.class
            .send(Method::PUT, &submission_path(id), Some(token), Some(&body))
            .await
    }

    /// The body of [`Groups::submit`].
    fn assignment(
        id: &str,
        item: &str,
        group: Option<&str>,
        words: u32,
        attachments: &[PostAttachment],
    ) -> String {
        let payload = serde_json::json!({
            "submissionId": id,
            "courseId": DEMO_COURSE,
            "courseVersion": "1.0.0",
            "itemId": item,
            "assignmentId": item,
            "groupName": group,
            "version": 1,
            "revision": 3,
            "text": "Our report on seasonal and domestic workers.",
            "words": words,
            "declaration": "We confirm that this report is our work.",
            "submittedMs": 1_795_000_000_000u64,
            "late": false,
            "attachments": attachments,
        });
        serde_json::json!({ "kind": "assignment", "payload": payload }).to_string()
    }

    /// Like [`Groups::submit`], expecting it stored; answers its receipt.
    async fn submitted(
        &self,
        token: &str,
        id: &str,
        item: &str,
        group: Option<&str>,
        words: u32,
        attachments: &[PostAttachment],
    ) -> Receipt {
        let response = self
            .submit(token, id, item, group, words, attachments)
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{id} is stored: {}",
            response.text().await.unwrap()
        );
        response.json().await.unwrap()
    }

    /// `token`'s group in the demo course.
    async fn state(&self, token: &str) -> GroupState {
        self.class.get_json(&group_path(DEMO_COURSE), token).await
    }

    /// `GET path` as `token`.
    async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.class.send(Method::GET, path, Some(token), None).await
    }

    /// The group file `sha256` of the demo course as `token`.
    async fn download(&self, token: &str, sha256: &str) -> reqwest::Response {
        self.get(&group_file_path(DEMO_COURSE, sha256), token).await
    }

    /// Grades submission `server_id` as the tutor `tom`, through the tutors' API.
    async fn grade(&self, server_id: i64, score: f64, passed: bool, feedback: &str) {
        let body = serde_json::json!({
            "score": score,
            "maxScore": 100.0,
            "passed": passed,
            "feedback": feedback,
        })
        .to_string();
        let response = self
            .class
            .send(
                Method::PUT,
                &tutor_grade_path(server_id),
                Some(&self.class.tom),
                Some(&body),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "tom grades {server_id}: {}",
            response.text().await.unwrap()
        );
    }

    /// Uploads `bytes` as `name` for `token` through the uploads API; the attachment to name.
    async fn upload(&self, token: &str, name: &str, bytes: &[u8]) -> PostAttachment {
        self.class.fx.upload(token, name, bytes).await
    }

    /// The group the server recorded on submission `client_id`.
    async fn recorded_group(&self, client_id: &str) -> Option<String> {
        let client_id = client_id.to_owned();
        self.class
            .fx
            .storage
            .with_conn(move |conn| {
                Ok(conn.query_row(
                    "SELECT group_name FROM submissions WHERE client_id = ?1",
                    [&client_id],
                    |row| row.get(0),
                )?)
            })
            .await
            .unwrap()
    }

    /// Runs the real binary on the class's database; its status, stdout and stderr.
    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let output = carrel_server()
            .args(args)
            .arg("--db")
            .arg(self.class.fx.server.db())
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

/// The members of a state as `(display name, you)`.
fn members(state: &GroupState) -> Vec<(&str, bool)> {
    state
        .members
        .iter()
        .map(|GroupMember { display_name, you }| (display_name.as_str(), *you))
        .collect()
}

/// The status, code and message of an error response.
async fn refusal(response: reqwest::Response) -> (StatusCode, String, String) {
    let status = response.status();
    let body: ApiError = response.json().await.expect("errors are JSON");
    (status, body.code, body.message)
}

#[tokio::test]
async fn a_group_submission_is_the_groups_and_its_latest_is_every_members_with_its_grade() {
    let groups = Groups::start().await;
    let class = &groups.class;
    let before = groups.state(&class.ben).await;
    assert_eq!(
        (before.course_id.as_str(), before.name.as_str()),
        (DEMO_COURSE, TEAM_B)
    );
    assert_eq!(
        members(&before),
        vec![("ana", false), ("ben", true)],
        "every learner of the group, by name, the asker marked"
    );
    assert!(before.files.is_empty() && before.submissions.is_empty());

    let first = groups
        .submitted(
            &class.ana,
            "ana-case-1",
            GROUP_ITEM,
            Some(TEAM_B),
            1520,
            &[],
        )
        .await;
    assert_eq!(
        groups.recorded_group("ana-case-1").await.as_deref(),
        Some(TEAM_B)
    );
    let for_ben = groups.state(&class.ben).await;
    assert_eq!(for_ben.submissions.len(), 1, "{for_ben:?}");
    let shown = &for_ben.submissions[0];
    assert_eq!(
        (
            shown.item_id.as_str(),
            shown.submission_id.as_str(),
            shown.submitted_by.as_str(),
            shown.by_you,
            shown.count,
            shown.words,
            shown.received_ms,
        ),
        (
            GROUP_ITEM,
            "ana-case-1",
            "ana",
            false,
            1,
            1520,
            first.received_ms
        ),
        "ben sees what ana submitted for the group"
    );
    assert!(shown.grade.is_none() && shown.attachments.is_empty());
    assert!(
        groups.state(&class.ana).await.submissions[0].by_you,
        "ana sees it as hers"
    );
    let team_c = groups.state(&groups.cara).await;
    assert_eq!(
        (team_c.name.as_str(), members(&team_c)),
        (TEAM_C, vec![("cara", true)])
    );
    assert!(
        team_c.submissions.is_empty(),
        "another group never sees Team B's work"
    );

    // Individual work is never the group's, even from a member.
    groups
        .submitted(&class.ana, "ana-final", SOLO_ITEM, None, 2400, &[])
        .await;
    assert_eq!(groups.recorded_group("ana-final").await, None);
    for token in [&class.ana, &class.ben] {
        let state = groups.state(token).await;
        assert_eq!(
            state
                .submissions
                .iter()
                .map(|submission| submission.item_id.as_str())
                .collect::<Vec<_>>(),
            vec![GROUP_ITEM],
            "only the group assignment is listed"
        );
    }

    // A member submits again (the payload naming another group changes nothing: the server
    // records the submitter's group as it has it).
    let second = groups
        .submitted(
            &class.ben,
            "ben-case-2",
            GROUP_ITEM,
            Some("Team Z"),
            1800,
            &[],
        )
        .await;
    assert_eq!(
        groups.recorded_group("ben-case-2").await.as_deref(),
        Some(TEAM_B)
    );
    let for_ana = groups.state(&class.ana).await;
    assert_eq!(
        for_ana.submissions.len(),
        1,
        "one entry per item: the latest"
    );
    let latest = &for_ana.submissions[0];
    assert_eq!(
        (
            latest.submission_id.as_str(),
            latest.submitted_by.as_str(),
            latest.by_you,
            latest.count,
            latest.words,
        ),
        ("ben-case-2", "ben", false, 2, 1800),
        "ben's resubmission replaces ana's for the whole group"
    );
    assert!(groups.state(&class.ben).await.submissions[0].by_you);

    // A replayed submission is answered its receipt and counts once.
    let replay = groups
        .submit(
            &class.ana,
            "ana-case-1",
            GROUP_ITEM,
            Some(TEAM_B),
            1520,
            &[],
        )
        .await;
    assert_eq!(
        replay.status(),
        StatusCode::OK,
        "the same bytes again are a replay"
    );
    assert_eq!(groups.state(&class.ana).await.submissions[0].count, 2);

    groups
        .grade(second.server_id, 85.0, true, "Well argued.")
        .await;
    for token in [&class.ana, &class.ben] {
        let grade = groups.state(token).await.submissions[0].grade.clone();
        let grade = grade.expect("the tutor's grade of the latest is every member's");
        assert_eq!(
            GroupGrade {
                graded_ms: 0,
                ..grade.clone()
            },
            GroupGrade {
                score: 85.0,
                max_score: 100.0,
                passed: Some(true),
                feedback: Some("Well argued.".into()),
                graded_by: Some("tom".into()),
                graded_ms: 0,
            }
        );
        assert!(grade.graded_ms >= second.received_ms);
    }
    assert!(groups.state(&groups.cara).await.submissions.is_empty());
}

#[tokio::test]
async fn only_a_learner_of_the_course_with_a_group_has_one() {
    let groups = Groups::start().await;
    let class = &groups.class;
    for (who, token, course) in [
        (
            "dan, a learner without a group",
            groups.dan.as_str(),
            DEMO_COURSE,
        ),
        ("olga, not enrolled", groups.olga.as_str(), DEMO_COURSE),
        ("tom, the course's tutor", class.tom.as_str(), DEMO_COURSE),
        ("root, an admin", class.root.as_str(), DEMO_COURSE),
        (
            "ana, in a course she does not take",
            class.ana.as_str(),
            "another-course",
        ),
        ("ana, in no course", class.ana.as_str(), "no-such-course"),
    ] {
        let (status, code, message) = refusal(groups.get(&group_path(course), token).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, carrel_server::groups::NO_GROUP),
            "{who}"
        );
        assert!(
            message.contains("not in a group") && message.contains(course),
            "{who}: the message says why: {message}"
        );
        let sha256 = "a".repeat(64);
        let (status, code, _) =
            refusal(groups.get(&group_file_path(course, &sha256), token).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, carrel_server::groups::NO_GROUP),
            "{who}: no group, no group files"
        );
    }
    let anonymous = class
        .send(Method::GET, &group_path(DEMO_COURSE), None, None)
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // A group assignment sent by a learner without a group is stored as their own work.
    groups
        .submitted(&groups.dan, "dan-case", GROUP_ITEM, Some(TEAM_B), 900, &[])
        .await;
    assert_eq!(groups.recorded_group("dan-case").await, None);
    assert!(
        groups.state(&class.ana).await.submissions.is_empty(),
        "naming Team B does not put dan's work in it"
    );
}

#[tokio::test]
async fn the_course_teams_files_reach_the_groups_members_only() {
    let groups = Groups::start().await;
    let class = &groups.class;
    let server = &class.fx.server;
    let brief: Vec<u8> = (0..40_000u32).map(|n| (n % 251) as u8).collect();
    let sha256 = server
        .add_group_file(DEMO_COURSE, TEAM_B, "brief.txt", &brief)
        .await
        .unwrap();
    assert_eq!(
        sha256,
        sha256_hex(&brief),
        "the helper answers the file's SHA-256"
    );

    for token in [&class.ana, &class.ben] {
        let files = groups.state(token).await.files;
        assert_eq!(files.len(), 1);
        assert_eq!(
            files[0].file,
            PostAttachment {
                sha256: sha256.clone(),
                name: "brief.txt".into(),
                size: brief.len() as u64,
            }
        );
        assert_eq!(files[0].added_by, "course team");
        let whole = groups.download(token, &sha256).await;
        assert_eq!(whole.status(), StatusCode::OK);
        assert_eq!(
            whole.headers()["content-disposition"],
            "attachment; filename=\"brief.txt\""
        );
        assert_eq!(whole.bytes().await.unwrap().as_ref(), brief.as_slice());
    }
    let part = class
        .fx
        .client
        .get(class.fx.url(&group_file_path(DEMO_COURSE, &sha256)))
        .bearer_auth(&class.ben)
        .header("Range", "bytes=30000-")
        .send()
        .await
        .unwrap();
    assert_eq!(
        part.status(),
        StatusCode::PARTIAL_CONTENT,
        "a cut download resumes"
    );
    assert_eq!(part.bytes().await.unwrap().as_ref(), &brief[30_000..]);

    assert!(groups.state(&groups.cara).await.files.is_empty());
    for (who, token, path) in [
        (
            "cara, Team C",
            groups.cara.as_str(),
            group_file_path(DEMO_COURSE, &sha256),
        ),
        (
            "a file the group does not have",
            class.ben.as_str(),
            group_file_path(DEMO_COURSE, &"c".repeat(64)),
        ),
    ] {
        let (status, code, _) = refusal(groups.get(&path, token).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{who}"
        );
    }
    let malformed = groups
        .get(&group_file_path(DEMO_COURSE, "not-a-hash"), &class.ben)
        .await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);

    // The same name replaces the file; another name adds one, listed by name.
    let revised = b"The revised brief.".to_vec();
    let revised_sha = server
        .add_group_file(DEMO_COURSE, TEAM_B, "brief.txt", &revised)
        .await
        .unwrap();
    let data_sha = server
        .add_group_file(DEMO_COURSE, TEAM_B, "appendix.csv", b"country,year\n")
        .await
        .unwrap();
    let files = groups.state(&class.ana).await.files;
    assert_eq!(
        files
            .iter()
            .map(|file| (file.file.name.as_str(), file.file.sha256.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("appendix.csv", data_sha.as_str()),
            ("brief.txt", revised_sha.as_str())
        ],
        "one file per name, sorted by name"
    );
    assert_eq!(
        groups.download(&class.ben, &sha256).await.status(),
        StatusCode::NOT_FOUND,
        "the replaced bytes are no longer the group's"
    );
    assert_eq!(
        groups
            .download(&class.ben, &revised_sha)
            .await
            .bytes()
            .await
            .unwrap()
            .as_ref(),
        revised.as_slice()
    );
    server
        .add_group_file(DEMO_COURSE, TEAM_C, "brief.txt", b"Team C's brief.")
        .await
        .unwrap();
    let storage = &class.fx.storage;
    let listed = carrel_server::groups::list_files(storage, DEMO_COURSE, None)
        .await
        .unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|ListedFile { group, file }| (group.as_str(), file.file.name.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (TEAM_B, "appendix.csv"),
            (TEAM_B, "brief.txt"),
            (TEAM_C, "brief.txt")
        ]
    );
    let team_c_only = carrel_server::groups::list_files(storage, DEMO_COURSE, Some(TEAM_C))
        .await
        .unwrap();
    assert_eq!(team_c_only.len(), 1);
    assert_eq!(team_c_only[0].group, TEAM_C);

    let removed = carrel_server::groups::remove_file(storage, DEMO_COURSE, TEAM_B, "brief.txt")
        .await
        .unwrap();
    assert_eq!(removed.file.sha256, revised_sha);
    let files: Vec<GroupFile> = groups.state(&class.ben).await.files;
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].file.name, "appendix.csv");
    assert_eq!(
        groups.download(&class.ben, &revised_sha).await.status(),
        StatusCode::NOT_FOUND,
        "a removed file is no longer served"
    );
    let again = carrel_server::groups::remove_file(storage, DEMO_COURSE, TEAM_B, "brief.txt")
        .await
        .unwrap_err();
    assert!(
        matches!(again, GroupError::NoSuchFile { .. }) && again.to_string().contains("group-files"),
        "{again}"
    );

    // What cannot be placed is refused, and nothing is stored.
    let data = server.data();
    let stores = carrel_server::blobs::Stores {
        data: data.clone(),
        blobs: server.blobs().clone(),
    };
    for name in [
        "",
        ".",
        "..",
        "notes/brief.txt",
        "notes\\brief.txt",
        "line\nbreak.txt",
        &"x".repeat(MAX_FILE_NAME_CHARS + 1),
    ] {
        let error = carrel_server::groups::add_file(
            storage,
            &stores,
            DEMO_COURSE,
            TEAM_B,
            name,
            b"x",
            "course team",
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, GroupError::InvalidName(_))
                && error.to_string().contains("not a file name"),
            "{name:?}: {error}"
        );
    }
    let unknown = carrel_server::groups::add_file(
        storage,
        &stores,
        DEMO_COURSE,
        "Team Z",
        "brief.txt",
        b"x",
        "course team",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(unknown, GroupError::NoSuchGroup { .. })
            && unknown.to_string().contains("carrel-server enrol")
            && unknown.to_string().contains("Team Z"),
        "{unknown}"
    );
    assert_eq!(
        carrel_server::groups::list_files(storage, DEMO_COURSE, None)
            .await
            .unwrap()
            .len(),
        2,
        "refused files are not stored"
    );
}

#[tokio::test]
async fn a_group_submissions_files_are_served_to_the_other_members() {
    let groups = Groups::start().await;
    let class = &groups.class;
    let report: Vec<u8> = (0..30_000u32).map(|n| (n % 241) as u8).collect();
    let file = groups.upload(&class.ana, "report.pdf", &report).await;
    groups
        .submitted(
            &class.ana,
            "ana-case",
            GROUP_ITEM,
            Some(TEAM_B),
            1600,
            std::slice::from_ref(&file),
        )
        .await;
    let notes = groups
        .upload(&class.ana, "notes.txt", b"my own notes")
        .await;
    groups
        .submitted(
            &class.ana,
            "ana-final",
            SOLO_ITEM,
            None,
            2000,
            std::slice::from_ref(&notes),
        )
        .await;

    let state = groups.state(&class.ben).await;
    assert_eq!(state.submissions[0].attachments, vec![file.clone()]);
    let download = groups.download(&class.ben, &file.sha256).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(
        download.headers()["content-disposition"],
        "attachment; filename=\"report.pdf\""
    );
    assert_eq!(download.bytes().await.unwrap().as_ref(), report.as_slice());

    for (who, token, sha256) in [
        ("cara, another group", groups.cara.as_str(), &file.sha256),
        ("ana's individual work", class.ben.as_str(), &notes.sha256),
    ] {
        assert_eq!(
            groups.download(token, sha256).await.status(),
            StatusCode::NOT_FOUND,
            "{who}"
        );
    }
}

#[tokio::test]
async fn the_binary_places_lists_and_removes_group_files() {
    let groups = Groups::start().await;
    let class = &groups.class;
    let folder = tempfile::tempdir().unwrap();
    let case = folder.path().join("case-study.txt");
    let bytes = b"Country A: seasonal agriculture and domestic work.\n".repeat(100);
    std::fs::write(&case, &bytes).unwrap();
    let sha256 = sha256_hex(&bytes);
    let case_arg = case.to_str().unwrap();

    let (ok, added, stderr) = groups.run(&["group-file-add", DEMO_COURSE, TEAM_B, case_arg]);
    assert!(ok, "{stderr}");
    let fields: Vec<&str> = added.trim_end_matches('\n').split('\t').collect();
    assert_eq!(
        (fields[0], fields[1], fields[2], fields[3], fields[5]),
        (
            TEAM_B,
            "case-study.txt",
            bytes.len().to_string().as_str(),
            sha256.as_str(),
            "course team"
        ),
        "{added}"
    );
    assert!(fields[4].ends_with('Z'), "the time is UTC: {added}");
    let (ok, _, stderr) = groups.run(&[
        "group-file-add",
        DEMO_COURSE,
        TEAM_C,
        case_arg,
        "--name",
        "Brief for Team C.txt",
    ]);
    assert!(ok, "{stderr}");

    // The server serves what the command placed, from the same store.
    let download = groups.download(&class.ben, &sha256).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap().as_ref(), bytes.as_slice());
    assert_eq!(
        groups.state(&groups.cara).await.files[0].file.name,
        "Brief for Team C.txt"
    );

    let (ok, listed, stderr) = groups.run(&["group-files", DEMO_COURSE]);
    assert!(ok, "{stderr}");
    let lines: Vec<Vec<&str>> = listed
        .lines()
        .map(|line| line.split('\t').collect())
        .collect();
    assert_eq!(
        lines
            .iter()
            .map(|fields| (fields[0], fields[1]))
            .collect::<Vec<_>>(),
        vec![(TEAM_B, "case-study.txt"), (TEAM_C, "Brief for Team C.txt")],
        "{listed}"
    );
    let (ok, json, stderr) = groups.run(&["group-files", DEMO_COURSE, TEAM_C, "--json"]);
    assert!(ok, "{stderr}");
    let files: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(files.len(), 1, "{json}");
    assert_eq!(files[0]["group"], TEAM_C);
    assert_eq!(files[0]["name"], "Brief for Team C.txt");
    assert_eq!(files[0]["sha256"], sha256.as_str());
    assert_eq!(files[0]["size"], bytes.len());
    assert_eq!(files[0]["addedBy"], "course team");

    let (ok, removed, stderr) = groups.run(&[
        "group-file-remove",
        DEMO_COURSE,
        TEAM_C,
        "Brief for Team C.txt",
    ]);
    assert!(ok, "{stderr}");
    assert!(
        removed.starts_with("Team C\tBrief for Team C.txt\t"),
        "{removed}"
    );
    assert!(groups.state(&groups.cara).await.files.is_empty());

    let missing = folder.path().join("nothing-here.txt");
    for (args, says) in [
        (
            vec!["group-file-add", DEMO_COURSE, "Team Z", case_arg],
            "carrel-server enrol",
        ),
        (
            vec![
                "group-file-add",
                DEMO_COURSE,
                TEAM_B,
                case_arg,
                "--name",
                "../x",
            ],
            "not a file name",
        ),
        (
            vec![
                "group-file-add",
                DEMO_COURSE,
                TEAM_B,
                missing.to_str().unwrap(),
            ],
            "is not a file",
        ),
        (
            vec![
                "group-file-remove",
                DEMO_COURSE,
                TEAM_C,
                "Brief for Team C.txt",
            ],
            "group-files",
        ),
    ] {
        let (ok, _, stderr) = groups.run(&args);
        assert!(!ok, "{args:?} must fail");
        assert!(stderr.contains(says), "{args:?} says {says:?}: {stderr}");
    }
    let (ok, listed, _) = groups.run(&["group-files", DEMO_COURSE, TEAM_B]);
    assert!(ok);
    assert_eq!(
        listed.lines().count(),
        1,
        "refused commands change nothing: {listed}"
    );
}

/// Two members of each of eight groups submit an assignment that takes one submission per group
/// at the same moment, each to another instance of the server on the same database: for every
/// group exactly one is stored and the other is refused, naming who submitted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_at_once_on_two_instances_store_one_submission_for_their_group() {
    let class = Class::with_demo_edited(&[(
        "assignments/group-case-study.toml",
        "resubmission = true",
        "resubmission = false",
    )])
    .await;
    let first = &class.fx.server;
    let second = carrel_server::testing::LoopbackServer::another_instance(first)
        .await
        .unwrap();
    let mut pairs = Vec::new();
    for team in 0..8 {
        let group = format!("Pair {team}");
        let mut tokens = Vec::new();
        for member in ["x", "y"] {
            let login = format!("{member}{team}");
            tokens.push(first.learner(&login).await.unwrap().access_token);
            first
                .enrol(&login, DEMO_COURSE, Role::Learner, Some(&group))
                .await
                .unwrap();
        }
        pairs.push((group, tokens));
    }
    let http = &class.fx.client;
    for (group, tokens) in &pairs {
        let put = |base: String, token: &str, member: &str| {
            let id = format!("{group}-{member}").replace(' ', "-");
            http.put(format!("{base}{}", submission_path(&id)))
                .bearer_auth(token)
                .header("Content-Type", "application/json")
                .body(Groups::assignment(&id, GROUP_ITEM, Some(group), 1500, &[]))
                .send()
        };
        let (x, y) = tokio::join!(
            put(first.url(), &tokens[0], "x"),
            put(second.url(), &tokens[1], "y")
        );
        let mut statuses = vec![x.unwrap().status(), y.unwrap().status()];
        statuses.sort();
        assert_eq!(
            statuses,
            vec![StatusCode::CREATED, StatusCode::UNPROCESSABLE_ENTITY],
            "{group}: one stored, one refused"
        );
    }
    let stored: Vec<String> = class
        .fx
        .storage
        .with_conn(|conn| {
            Ok(conn
                .prepare("SELECT group_name FROM submissions WHERE group_name LIKE 'Pair %'")?
                .query_map(carrel_server::storage::sql::params![], |row| row.get(0))?
                .collect::<Result<_, _>>()?)
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 8, "{stored:?}");
    second.stop().await.unwrap();
}

#[tokio::test]
async fn the_published_rules_decide_group_work_and_a_single_submission() {
    let class = Class::with_demo_edited(&[(
        "assignments/group-case-study.toml",
        "resubmission = true",
        "resubmission = false",
    )])
    .await;
    let groups = Groups::in_class(class).await;
    let class = &groups.class;

    // One submission per group: Ben's, after Ana's for Team B, is refused, naming her; Team C
    // still submits its own.
    groups
        .submitted(&class.ana, "ana-once", GROUP_ITEM, Some(TEAM_B), 1600, &[])
        .await;
    let (status, code, message) = refusal(
        groups
            .submit(&class.ben, "ben-once", GROUP_ITEM, Some(TEAM_B), 1700, &[])
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "already_submitted")
    );
    assert!(
        message.contains("Ana already submitted") && message.contains(TEAM_B),
        "{message}"
    );
    let team_b = groups.state(&class.ben).await;
    assert_eq!(
        (
            team_b.submissions[0].submission_id.as_str(),
            team_b.submissions[0].count
        ),
        ("ana-once", 1),
        "nothing of Ben's was stored"
    );
    groups
        .submitted(
            &groups.cara,
            "cara-once",
            GROUP_ITEM,
            Some(TEAM_C),
            1500,
            &[],
        )
        .await;
    // A retry of the stored one still replays its receipt.
    let replay = groups
        .submit(&class.ana, "ana-once", GROUP_ITEM, Some(TEAM_B), 1600, &[])
        .await;
    assert_eq!(replay.status(), StatusCode::OK);

    // Naming a group in an individual assignment's payload does not make it group work.
    groups
        .submitted(&class.ana, "ana-solo", SOLO_ITEM, Some(TEAM_B), 2000, &[])
        .await;
    assert_eq!(groups.recorded_group("ana-solo").await, None);
    let team_b = groups.state(&class.ben).await;
    assert!(
        team_b.submissions.iter().all(|s| s.item_id == GROUP_ITEM),
        "{team_b:?}"
    );
}

#[tokio::test]
async fn a_group_assignments_latest_grade_counts_towards_every_members_certificate() {
    // The demo course with a certificate earned by passing its group assignment only.
    let passed = format!(r#"passed = ["{GROUP_ITEM}"]"#);
    let class = Class::with_demo_edited(&[(
        "course.toml",
        r#"passed = ["b1-quiz", "b2-quiz", "b3-quiz", "b3-final-assignment"]"#,
        &passed,
    )])
    .await;
    let groups = Groups::in_class(class).await;
    let class = &groups.class;
    let ask = |token: &str| {
        let token = token.to_owned();
        let class = &groups.class;
        async move {
            class
                .send(
                    Method::POST,
                    &certificate_path(DEMO_COURSE),
                    Some(&token),
                    None,
                )
                .await
        }
    };
    let not_earned = |response: reqwest::Response, needs: &'static str| async move {
        let (status, code, message) = refusal(response).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::CONFLICT, NOT_EARNED),
            "{message}"
        );
        assert!(message.contains(needs), "{needs}: {message}");
    };

    let first = groups
        .submitted(&class.ana, "ana-case", GROUP_ITEM, Some(TEAM_B), 1600, &[])
        .await;
    groups.grade(first.server_id, 30.0, false, "Not yet.").await;
    not_earned(ask(&class.ben).await, "not passed yet").await;
    not_earned(ask(&class.ana).await, "not passed yet").await;

    let second = groups
        .submitted(&class.ben, "ben-case", GROUP_ITEM, Some(TEAM_B), 1900, &[])
        .await;
    not_earned(ask(&class.ana).await, "waiting for its grade").await;
    groups.grade(second.server_id, 75.0, true, "Good.").await;
    for (who, token) in [("ana", &class.ana), ("ben, who submitted", &class.ben)] {
        let response = ask(token).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{who} earns it through the group's passed submission: {}",
            response.text().await.unwrap()
        );
    }
    not_earned(ask(&groups.cara).await, "not submitted yet").await;

    // Individual work still counts as before: a learner without a group who sends the group
    // assignment has it as their own.
    let own = groups
        .submitted(&groups.dan, "dan-case", GROUP_ITEM, Some(TEAM_B), 1700, &[])
        .await;
    not_earned(ask(&groups.dan).await, "waiting for its grade").await;
    groups.grade(own.server_id, 70.0, true, "Fine.").await;
    assert_eq!(ask(&groups.dan).await.status(), StatusCode::CREATED);
}

/// A database at schema version 15 with a submission keeps it through the group migration, which
/// records no group on it.
#[tokio::test]
async fn the_group_migration_keeps_submissions_and_records_no_group_on_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
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
            include_str!("../../src/storage/sql/0013_forums.sql"),
            include_str!("../../src/storage/sql/0014_certificates.sql"),
            include_str!("../../src/storage/sql/0015_programmes.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 15).unwrap();
        conn.execute_batch(
            "INSERT INTO users (id, login, display_name, password_hash, role, created_ms)
                 VALUES (1, 'ana', 'Ana', 'x', 'learner', 1);
             INSERT INTO submissions (id, client_id, user_id, kind, course_id, item_id, payload,
                     payload_sha256, received_ms)
                 VALUES (7, 'old-case', 1, 'assignment', 'c', 'case', '{\"groupName\":\"B\"}',
                     'h', 5);",
        )
        .unwrap();
    }
    let storage = carrel_server::Storage::open(&db).expect("a version 15 database is migrated");
    assert_eq!(
        storage.schema_version().await.unwrap(),
        carrel_server::SCHEMA_VERSION
    );
    let (id, group, files): (i64, Option<String>, i64) = storage
        .with_conn(|conn| {
            Ok(conn.query_row(
                "SELECT id, group_name, (SELECT count(*) FROM group_files) FROM submissions
                 WHERE client_id = 'old-case'",
                carrel_server::storage::sql::params![],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(
        (id, group, files),
        (7, None, 0),
        "the submission is kept as it was; a group is recorded only from now on"
    );
}
