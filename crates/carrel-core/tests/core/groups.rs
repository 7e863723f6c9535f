//! Group work between two members of a group through a real carrel-server: the files the course
//! team placed for the group arrive on each laptop and open offline; one member submits the group
//! assignment and the other sees it — who sent it, when, its grade once a tutor gave it — and is
//! warned or refused before submitting again; a member who leaves the group no longer holds its
//! state.

use carrel_core::assess::assignments::{self, AssignmentItem, DraftEdit};
use carrel_core::assess::{self, AssessError};
use carrel_core::certificates::{self, RequirementState};
use carrel_core::groups;
use carrel_core::http::HttpClient;
use carrel_core::settings::ServerUrl;
use carrel_core::sync::changes;
use carrel_protocol::auth::Role;
use carrel_protocol::tutor::GradeInput;
use carrel_server::storage::Storage;
use carrel_server::testing::LoopbackServer;

use crate::{DEMO, Laptop, demo_library, demo_server, grade_on_server};

const CASE_STUDY: &str = "b2-group-case-study";

struct World {
    dir: tempfile::TempDir,
    server: LoopbackServer,
    storage: Storage,
    url: ServerUrl,
    http: HttpClient,
    item: AssignmentItem,
    /// The demo course's manifest, its certificate asking for the group case study to be passed.
    manifest: carrel_package::Manifest,
}

impl World {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let library = demo_library(dir.path());
        let (server, storage) = demo_server(dir.path()).await;
        let item = assess::assignment_item(&library, DEMO, CASE_STUDY).unwrap();
        let mut manifest = library.store().course(DEMO).unwrap().unwrap().manifest;
        let certificate = manifest.course.certificate.as_mut().unwrap();
        certificate.passed = vec![CASE_STUDY.into()];
        certificate.submitted.clear();
        Self {
            manifest,
            url: ServerUrl::parse(&server.url()).unwrap(),
            http: HttpClient::new().unwrap(),
            server,
            storage,
            item,
            dir,
        }
    }

    async fn laptop(&self, login: &str, group: Option<&str>) -> Laptop {
        Laptop::new(&self.server, self.dir.path(), login, Role::Learner, group).await
    }

    /// One sync round as the engine runs it: drain, changes, enrolments, groups.
    async fn sync(&self, laptop: &Laptop) -> groups::GroupPullReport {
        laptop.send(&self.http, &self.url).await;
        changes::pull(
            &laptop.db,
            &self.http,
            &self.url,
            &laptop.token,
            laptop.account_id,
        )
        .await
        .unwrap();
        groups::pull(
            &laptop.db,
            &self.http,
            &self.url,
            &laptop.token,
            laptop.account_id,
            &laptop.store,
            7,
        )
        .await
        .unwrap()
    }

    /// Where the certificate's one requirement, the group case study, stands on `laptop`.
    fn requirement(&self, laptop: &Laptop) -> RequirementState {
        let status = certificates::status(&laptop.db, &self.manifest, None)
            .unwrap()
            .unwrap();
        assert_eq!(status.requirements.len(), 1);
        status.requirements[0].state
    }

    fn work(&self, laptop: &Laptop) -> Option<groups::GroupWork> {
        assignments::state(&laptop.db, &self.item, 1)
            .unwrap()
            .group_work
    }

    /// Submits `text` for the group named `group` in the draft (`None`: none typed).
    fn submit(
        &self,
        laptop: &Laptop,
        item: &AssignmentItem,
        text: &str,
        group: Option<&str>,
    ) -> Result<String, AssessError> {
        let draft = assignments::save_draft(
            &laptop.db,
            item,
            &DraftEdit {
                text: text.into(),
                group_name: group.map(Into::into),
                declared: true,
            },
            1,
        )?;
        assignments::submit(&laptop.db, &laptop.store, item, draft.revision, 2)
            .map(|entry| entry.id)
    }

    async fn grade(&self, client_id: &str, score: f64) {
        let grade = GradeInput {
            score,
            max_score: Some(20.0),
            passed: Some(score >= 10.0),
            feedback: Some("A clear comparison of the two sectors.".into()),
        };
        grade_on_server(&self.storage, client_id, grade).await;
    }
}

#[tokio::test]
async fn a_group_shares_its_files_and_one_submission_with_its_grade() {
    let world = World::new().await;
    let ana = world.laptop("ana", Some("Team B")).await;
    let ben = world.laptop("ben", Some("Team B")).await;
    let cleo = world.laptop("cleo", Some("Team C")).await;
    assert_eq!(world.work(&ana), None, "nothing before the first sync");

    let data = b"sector,workers\nagriculture,1200\ndomestic work,800\n";
    let sha = world
        .server
        .add_group_file(DEMO, "Team B", "country-b-data.csv", data)
        .await
        .unwrap();

    // Ana's laptop keeps the group and fetches its file ahead, checked.
    let pulled = world.sync(&ana).await;
    assert_eq!(pulled.groups, 1);
    assert!(pulled.changed);
    assert_eq!(pulled.fetched, 1);
    let work = world.work(&ana).unwrap();
    assert_eq!(work.name, "Team B");
    let mut members: Vec<(String, bool)> = work
        .members
        .iter()
        .map(|m| (m.display_name.clone(), m.you))
        .collect();
    members.sort();
    assert_eq!(members.len(), 2, "{members:?}");
    assert_eq!(members.iter().filter(|(_, you)| *you).count(), 1);
    assert_eq!(work.files.len(), 1);
    assert_eq!(work.files[0].file.name, "country-b-data.csv");
    assert_eq!(work.files[0].file.sha256, sha);
    assert_eq!(work.submission, None);
    assert_eq!(work.fetched_ms, 7);
    ana.store.verify(&sha, "country-b-data.csv").unwrap();
    assert_eq!(std::fs::read(ana.store.path_of(&sha)).unwrap(), data);
    // Only what the group holds may be opened.
    assert_eq!(
        groups::file(&ana.db, DEMO, &sha).unwrap().size,
        data.len() as u64
    );
    assert!(groups::file(&ana.db, DEMO, &"0".repeat(64)).is_err());
    // Nothing new: a second round changes and fetches nothing.
    let again = world.sync(&ana).await;
    assert!(!again.changed && again.fetched == 0, "{again:?}");
    // Kept: it opens offline, without a session.
    let offline = groups::fetch_file(
        &world.http,
        &ServerUrl::parse("http://127.0.0.1:9/").unwrap(),
        None,
        &ana.store,
        DEMO,
        &work.files[0].file,
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(offline).unwrap(), data);

    // Team C sees neither Team B's file nor its work.
    world.sync(&cleo).await;
    let cleo_work = world.work(&cleo).unwrap();
    assert_eq!(cleo_work.name, "Team C");
    assert!(cleo_work.files.is_empty());
    assert!(groups::file(&cleo.db, DEMO, &sha).is_err());

    // Ben submits for the group; Ana's laptop shows it after her next sync.
    world.sync(&ben).await;
    let bens = world
        .submit(
            &ben,
            &world.item,
            "Our report on seasonal and domestic workers.",
            Some("Team B"),
        )
        .unwrap();
    world.sync(&ben).await;
    let ben_view = world.work(&ben).unwrap().submission.unwrap();
    assert!(ben_view.by_you);
    assert_eq!(ben_view.submission_id, bens);
    let pulled = world.sync(&ana).await;
    assert!(pulled.changed);
    let submission = world.work(&ana).unwrap().submission.unwrap();
    assert_eq!(submission.submission_id, bens);
    assert!(!submission.by_you);
    assert_eq!(submission.submitted_by, "ben");
    assert_eq!(submission.words, 7);
    assert_eq!(submission.count, 1);
    assert_eq!(submission.grade, None);
    // The group's submission counts on Ana's certificate checklist: it waits for its grade.
    assert_eq!(world.requirement(&ana), RequirementState::AwaitingGrade);
    assert_eq!(world.requirement(&cleo), RequirementState::Missing);
    assert!(world.work(&cleo).unwrap().submission.is_none());

    // A tutor grades it: the grade reaches Ana, who did not submit.
    world.grade(&bens, 15.0).await;
    world.sync(&ana).await;
    let grade = world.work(&ana).unwrap().submission.unwrap().grade.unwrap();
    assert_eq!(
        (grade.score, grade.max_score, grade.passed),
        (15.0, 20.0, Some(true))
    );
    assert_eq!(
        grade.feedback.as_deref(),
        Some("A clear comparison of the two sectors.")
    );

    assert_eq!(world.requirement(&ana), RequirementState::Met);

    // An assignment that takes one submission: Ana is refused, naming Ben, and nothing is queued.
    let mut once = world.item.clone();
    once.assignment.resubmission = false;
    match world.submit(&ana, &once, "My own version.", Some("Team B")) {
        Err(AssessError::NotReady(message)) => {
            assert!(message.contains("ben already submitted this"), "{message}")
        }
        other => panic!("not refused: {other:?}"),
    }
    assert!(
        carrel_core::assess::outbox::list(&ana.db)
            .unwrap()
            .is_empty()
    );
    // One that takes resubmissions: Ana's replaces Ben's for the whole group. She typed no group
    // name: her group on the server is the one submitted for.
    let anas = world
        .submit(&ana, &world.item, "Our revised report.", None)
        .unwrap();
    let payload: String = rusqlite::Connection::open(world.dir.path().join("ana/progress.sqlite3"))
        .unwrap()
        .query_row("SELECT payload FROM outbox WHERE id = ?1", [&anas], |row| {
            row.get(0)
        })
        .unwrap();
    assert!(payload.contains("\"groupName\":\"Team B\""), "{payload}");
    world.sync(&ana).await;
    world.sync(&ben).await;
    let latest = world.work(&ben).unwrap().submission.unwrap();
    assert_eq!(latest.submission_id, anas);
    assert!(!latest.by_you);
    assert_eq!(latest.count, 2);
    assert_eq!(
        latest.grade, None,
        "the new submission waits for its own grade"
    );
    // As on the server, the group's latest is what counts: Ben's passed report no longer does.
    assert_eq!(world.requirement(&ben), RequirementState::AwaitingGrade);
    assert_eq!(world.requirement(&ana), RequirementState::AwaitingGrade);

    // Signed out, Ben's laptop forgets his group.
    groups::forget(&ben.db).unwrap();
    assert_eq!(world.work(&ben), None);

    // Ana leaves the group: her laptop no longer holds its state.
    world
        .server
        .enrol("ana", DEMO, Role::Learner, None)
        .await
        .unwrap();
    let left = world.sync(&ana).await;
    assert!(left.changed);
    assert_eq!(left.groups, 0);
    assert_eq!(world.work(&ana), None);
}
