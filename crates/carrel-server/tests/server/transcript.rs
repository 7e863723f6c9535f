//! The learner's transcript over real HTTP, and programmes at the command line with the real
//! binary.
//!
//! Certificates are issued for real: the demo course's by passing its requirements (as
//! `certificates.rs` does), and those of two small courses built from the sample course
//! (`course-b`, `course-c`), whose certificate asks for the essay to be submitted. To place a
//! certificate years in the past, a test moves its row's `issued_ms` in the database (the server
//! cannot be made to issue one in the past).

use carrel_protocol::auth::Role;
use carrel_protocol::certificates::{CertificateRecord, certificate_path};
use carrel_protocol::transcript::{ProgrammeProgress, TRANSCRIPT_PATH, Transcript};
use carrel_server::programmes::{self, Programme};
use reqwest::{Method, StatusCode};

use crate::certificates::{Certificates, record};
use crate::support::{Class, DEMO_COURSE};

/// The demo course's title.
const DEMO_TITLE: &str = "Migrant workers' rights: a rights-based approach to labour migration";

/// The demo class (see [`Certificates`]) with two more published courses that certify their
/// learners for submitting the essay, `course-b` ("Course B") and `course-c` ("Course C"), both
/// taken by `ana` and `ben`.
struct Transcripts {
    certs: Certificates,
}

impl Transcripts {
    async fn start() -> Self {
        let certs = Certificates::start().await;
        let this = Self { certs };
        for (course_id, title) in [("course-b", "Course B"), ("course-c", "Course C")] {
            this.publish_certifying(course_id, title).await;
            for login in ["ana", "ben"] {
                this.class()
                    .fx
                    .server
                    .enrol(login, course_id, Role::Learner, None)
                    .await
                    .unwrap();
            }
        }
        this
    }

    fn class(&self) -> &Class {
        &self.certs.class
    }

    /// Publishes a copy of the sample course as `course_id` titled `title`, whose certificate
    /// ("Certificate of <title>") needs the essay submitted.
    async fn publish_certifying(&self, course_id: &str, title: &str) {
        let fx = &self.class().fx;
        let source = fx.dir.path().join(course_id);
        carrel_package::testing::write_sample_source(&source, "1.0.0", 100).unwrap();
        let toml = std::fs::read_to_string(source.join("course.toml"))
            .unwrap()
            .replacen(
                "id = \"sample-course\"",
                &format!("id = \"{course_id}\""),
                1,
            )
            .replacen(
                "title = \"Sample course\"",
                &format!("title = \"{title}\""),
                1,
            );
        // A table header at the end still names a top-level table.
        let toml = format!(
            "{toml}\n[certificate]\ntitle = \"Certificate of {title}\"\n\
             rule = \"Submit the essay.\"\nsubmitted = [\"essay\"]\n"
        );
        std::fs::write(source.join("course.toml"), toml).unwrap();
        let package = fx.dir.path().join(format!("{course_id}.carrel"));
        carrel_package::source::build(&source, &crate::support::package_key(), &package).unwrap();
        assert_eq!(fx.publish(&package).await.unwrap().course_id, course_id);
    }

    /// `token` submits the essay of `course_id` (submission id `<who>-<course_id>`) and is issued
    /// that course's certificate; answers its record.
    async fn earn_by_essay(&self, token: &str, who: &str, course_id: &str) -> CertificateRecord {
        let payload = format!(
            r#"{{"courseId":"{course_id}","itemId":"essay","text":"My essay.","attachments":[]}}"#
        );
        self.class()
            .submit(token, &format!("{who}-{course_id}"), "assignment", &payload)
            .await;
        let response = self.certs.ask(Some(token), course_id).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "the essay earns it: {body}");
        record(&serde_json::from_str(&body).unwrap())
    }

    /// `token` passes the demo course's requirements and is issued its certificate.
    async fn earn_demo(&self, token: &str, who: &str) -> CertificateRecord {
        self.certs.earn(token, who).await;
        record(&self.certs.issued(token).await.0)
    }

    /// `GET /api/v1/transcript` as `token`, expecting 200.
    async fn transcript(&self, token: &str) -> Transcript {
        self.class().get_json(TRANSCRIPT_PATH, token).await
    }

    /// Moves the certificate `certificate_id` to `issued_ms`.
    async fn backdate(&self, certificate_id: &str, issued_ms: u64) {
        let id = certificate_id.to_owned();
        let moved = self
            .class()
            .fx
            .storage
            .with_conn(move |conn| {
                Ok(conn.execute(
                    "UPDATE certificates SET issued_ms = ?2 WHERE certificate_id = ?1",
                    carrel_server::storage::sql::params![id, issued_ms as i64],
                )?)
            })
            .await
            .unwrap();
        assert_eq!(moved, 1, "the certificate is there to move");
    }

    /// Defines a programme as `carrel-server programme-set` does.
    async fn define(&self, programme: Programme) {
        programmes::set(&self.class().fx.storage, programme)
            .await
            .unwrap();
    }
}

/// `ms` plus (or minus) `years` calendar years in UTC, computed apart from the server's code.
fn years_from(ms: u64, years: i64) -> u64 {
    jiff::Timestamp::from_millisecond(ms as i64)
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .checked_add(jiff::Span::new().years(years))
        .unwrap()
        .timestamp()
        .as_millisecond() as u64
}

/// The programme `id` of `transcript`.
fn programme<'a>(transcript: &'a Transcript, id: &str) -> &'a ProgrammeProgress {
    transcript
        .programmes
        .iter()
        .find(|programme| programme.programme_id == id)
        .unwrap_or_else(|| panic!("the transcript has the programme {id}: {transcript:?}"))
}

/// Per eligible course of `progress`: its id and the certificate shown for it ("-": none).
fn shown(progress: &ProgrammeProgress) -> Vec<(String, String)> {
    progress
        .eligible
        .iter()
        .map(|course| {
            (
                course.course_id.clone(),
                course.certificate_id.clone().unwrap_or_else(|| "-".into()),
            )
        })
        .collect()
}

/// `[(course, certificate)]` as [`shown`] answers it.
fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(course, certificate)| ((*course).to_owned(), (*certificate).to_owned()))
        .collect()
}

/// The diploma: 2 certificates of the demo course and course B within 3 years, and course C's as
/// the capstone.
fn diploma() -> Programme {
    Programme {
        programme_id: "diploma".into(),
        title: "Diploma in Labour Migration".into(),
        description: "Two courses and a capstone.".into(),
        eligible: vec![DEMO_COURSE.into(), "course-b".into()],
        required: 2,
        window_years: 3,
        capstone: Some("course-c".into()),
    }
}

/// A short certificate: 2 of courses B and C and one not published yet, within 1 year.
fn short() -> Programme {
    Programme {
        programme_id: "a-short-one".into(),
        title: "Short programme".into(),
        description: String::new(),
        eligible: vec!["course-b".into(), "course-c".into(), "course-later".into()],
        required: 2,
        window_years: 1,
        capstone: None,
    }
}

#[tokio::test]
async fn the_transcript_follows_certificates_issued_backdated_and_revoked() {
    let t = Transcripts::start().await;
    let ana = t.class().ana.clone();
    t.define(diploma()).await;
    t.define(short()).await;

    // Nothing earned yet.
    let before = t.transcript(&ana).await;
    assert_eq!(before.learner_name, "ana", "the account's display name");
    assert!(before.certificates.is_empty());
    let ids: Vec<&str> = before
        .programmes
        .iter()
        .map(|programme| programme.programme_id.as_str())
        .collect();
    assert_eq!(ids, ["a-short-one", "diploma"], "every programme, by id");
    let diploma = programme(&before, "diploma");
    assert_eq!(
        (diploma.counted, diploma.complete, diploma.next_expiry_ms),
        (0, false, None)
    );
    assert_eq!(
        (diploma.title.as_str(), diploma.description.as_str()),
        ("Diploma in Labour Migration", "Two courses and a capstone.")
    );
    assert_eq!((diploma.required, diploma.window_years), (2, 3));
    let titles: Vec<&str> = diploma
        .eligible
        .iter()
        .map(|course| course.title.as_str())
        .collect();
    assert_eq!(
        titles,
        [DEMO_TITLE, "Course B"],
        "published courses' titles"
    );
    assert_eq!(diploma.capstone.as_ref().unwrap().title, "Course C");
    assert_eq!(
        programme(&before, "a-short-one").eligible[2].title,
        "course-later",
        "a course not published yet is shown by its id"
    );

    // The demo course and course B: the diploma has its 2 but misses its capstone.
    let demo = t.earn_demo(&ana, "ana").await;
    let b = t.earn_by_essay(&ana, "ana", "course-b").await;
    let now = t.transcript(&ana).await;
    assert!(now.generated_ms >= b.issued_ms);
    let listed: Vec<(&str, &str, &str)> = now
        .certificates
        .iter()
        .map(|c| {
            (
                c.certificate_id.as_str(),
                c.course_id.as_str(),
                c.course_title.as_str(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (b.certificate_id.as_str(), "course-b", "Course B"),
            (demo.certificate_id.as_str(), DEMO_COURSE, DEMO_TITLE),
        ],
        "every certificate, newest first"
    );
    let on_transcript = &now.certificates[1];
    assert_eq!(
        (
            on_transcript.title.as_str(),
            on_transcript.issued_ms,
            on_transcript.revoked_ms,
            on_transcript.verify_url.as_str()
        ),
        (
            demo.title.as_str(),
            demo.issued_ms,
            None,
            demo.verify_url.as_str()
        ),
        "as the signed record says"
    );
    let diploma = programme(&now, "diploma");
    assert_eq!(diploma.counted, 2, "both eligible certificates count");
    assert!(!diploma.complete, "the capstone is missing");
    assert_eq!(diploma.completed_ms, None);
    let capstone = diploma.capstone.as_ref().unwrap();
    assert_eq!(
        (capstone.certificate_id.as_ref(), capstone.expires_ms),
        (None, None)
    );
    assert_eq!(
        shown(diploma),
        pairs(&[
            (DEMO_COURSE, &demo.certificate_id),
            ("course-b", &b.certificate_id)
        ])
    );
    assert_eq!(
        diploma.eligible[0].expires_ms,
        Some(years_from(demo.issued_ms, 3)),
        "each stops counting on its third anniversary"
    );
    assert_eq!(diploma.eligible[1].issued_ms, Some(b.issued_ms));
    assert_eq!(
        diploma.next_expiry_ms,
        Some(years_from(demo.issued_ms, 3)),
        "the oldest counting certificate goes first"
    );
    let short_one = programme(&now, "a-short-one");
    assert_eq!((short_one.counted, short_one.complete), (1, false));
    assert_eq!(short_one.next_expiry_ms, Some(years_from(b.issued_ms, 1)));

    // Course C: the capstone completes the diploma, and C completes the short programme.
    let c = t.earn_by_essay(&ana, "ana", "course-c").await;
    let now = t.transcript(&ana).await;
    assert_eq!(now.certificates[0].certificate_id, c.certificate_id);
    for id in ["diploma", "a-short-one"] {
        let done = programme(&now, id);
        assert!(done.complete, "{id}: {done:?}");
        assert_eq!(done.completed_ms, Some(c.issued_ms), "{id}: C completed it");
        assert_eq!((done.counted, done.next_expiry_ms), (2, None), "{id}");
        assert!(
            done.eligible
                .iter()
                .chain(&done.capstone)
                .all(|course| course.expires_ms.is_none()),
            "{id}: nothing expires from a complete programme"
        );
    }
    assert_eq!(
        programme(&now, "diploma")
            .capstone
            .as_ref()
            .unwrap()
            .certificate_id,
        Some(c.certificate_id.clone())
    );

    // Course B's certificate, moved two years back, is older than the short programme's year.
    let two_years_ago = years_from(carrel_protocol::unix_time_ms(), -2);
    t.backdate(&b.certificate_id, two_years_ago).await;
    let now = t.transcript(&ana).await;
    assert_eq!(
        now.certificates.last().unwrap().certificate_id,
        b.certificate_id,
        "now the oldest"
    );
    let short_one = programme(&now, "a-short-one");
    assert!(
        !short_one.complete,
        "B and C were not earned within one year"
    );
    assert_eq!(short_one.counted, 1, "B no longer counts");
    assert_eq!(
        shown(short_one),
        pairs(&[
            ("course-b", "-"),
            ("course-c", &c.certificate_id),
            ("course-later", "-")
        ])
    );
    let diploma = programme(&now, "diploma");
    assert!(diploma.complete, "within three years, it still is");
    assert_eq!(diploma.completed_ms, Some(c.issued_ms));

    // Revoking C undoes the diploma: its capstone no longer counts.
    let (ok, _, stderr) = t.certs.run(&["certificate-revoke", &c.certificate_id]);
    assert!(ok, "{stderr}");
    let now = t.transcript(&ana).await;
    let revoked = now
        .certificates
        .iter()
        .find(|certificate| certificate.certificate_id == c.certificate_id)
        .unwrap();
    assert!(revoked.revoked_ms.is_some(), "still listed, as revoked");
    let diploma = programme(&now, "diploma");
    assert!(!diploma.complete, "a revoked capstone does not count");
    assert_eq!(diploma.capstone.as_ref().unwrap().certificate_id, None);
    assert_eq!(diploma.counted, 2);
    assert_eq!(
        diploma.next_expiry_ms,
        Some(years_from(two_years_ago, 3)),
        "B, moved back, is now the first to go"
    );
    let short_one = programme(&now, "a-short-one");
    assert_eq!(
        (short_one.counted, short_one.next_expiry_ms),
        (0, None),
        "B is too old and C revoked: nothing counts"
    );
}

#[tokio::test]
async fn each_account_reads_only_its_own_transcript() {
    let t = Transcripts::start().await;
    t.define(short()).await;
    let ana = t.class().ana.clone();
    let jose = t.certs.learner_named("jose", "José Núñez").await;
    t.class()
        .fx
        .server
        .enrol("jose", "course-b", Role::Learner, None)
        .await
        .unwrap();
    let anas = t.earn_by_essay(&ana, "ana", "course-b").await;
    let anas_c = t.earn_by_essay(&ana, "ana", "course-c").await;
    assert!(programme(&t.transcript(&ana).await, "a-short-one").complete);

    let his = t.transcript(&jose).await;
    assert_eq!(his.learner_name, "José Núñez");
    assert!(his.certificates.is_empty(), "not ana's: {his:?}");
    let short_one = programme(&his, "a-short-one");
    assert_eq!((short_one.counted, short_one.complete), (0, false));

    let jose_b = t.earn_by_essay(&jose, "jose", "course-b").await;
    let his = t.transcript(&jose).await;
    let ids: Vec<&str> = his
        .certificates
        .iter()
        .map(|certificate| certificate.certificate_id.as_str())
        .collect();
    assert_eq!(ids, [jose_b.certificate_id.as_str()], "his own only");
    assert_ne!(jose_b.certificate_id, anas.certificate_id);
    let short_one = programme(&his, "a-short-one");
    assert_eq!(
        (short_one.counted, short_one.complete),
        (1, false),
        "ana's course C certificate ({}) is not his",
        anas_c.certificate_id
    );

    // Any role reads its own: a tutor has no certificates but sees the programmes.
    let toms = t.transcript(&t.class().tom).await;
    assert_eq!(toms.learner_name, "tom");
    assert!(toms.certificates.is_empty());
    assert_eq!(toms.programmes.len(), 1);
}

#[tokio::test]
async fn the_transcript_needs_a_valid_token() {
    let class = Class::start().await;
    for token in [None, Some("not-a-token")] {
        let response = class.send(Method::GET, TRANSCRIPT_PATH, token, None).await;
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .and_then(|value| value.to_str().ok()),
            Some("Bearer"),
            "{token:?}"
        );
        assert_eq!(
            Class::error(response).await,
            (StatusCode::UNAUTHORIZED, "unauthenticated".into()),
            "{token:?}"
        );
    }
    let expired = class.fx.server.expired_token("ana").await.unwrap();
    let response = class
        .send(Method::GET, TRANSCRIPT_PATH, Some(&expired), None)
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // Certificates of a course cannot be read that way either.
    let response = class
        .send(Method::GET, &certificate_path(DEMO_COURSE), None, None)
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

/// Runs the real binary on `class`'s database: success, stdout, stderr.
fn run(class: &Class, args: &[&str]) -> (bool, String, String) {
    let output = crate::support::carrel_server()
        .args(args)
        .arg("--db")
        .arg(class.fx.server.db())
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn programmes_are_set_listed_replaced_and_removed_with_the_binary() {
    let class = Class::start().await;
    let (ok, listed, stderr) = run(&class, &["programmes"]);
    assert!(ok && listed.is_empty(), "none at first: {listed}{stderr}");

    let (ok, stored, stderr) = run(
        &class,
        &[
            "programme-set",
            "diploma-migration",
            "--title",
            "Diploma in Labour Migration",
            "--description",
            "Three of four courses, and the capstone.",
            "--courses",
            "rights,recruitment,protection,return",
            "--required",
            "3",
            "--within-years",
            "5",
            "--capstone",
            "capstone",
        ],
    );
    assert!(ok, "{stderr}");
    assert_eq!(
        stored,
        "diploma-migration 3/4 5y capstone rights,recruitment,protection,return \
         Diploma in Labour Migration\n",
        "one line saying what was stored"
    );
    let (ok, stored, stderr) = run(
        &class,
        &[
            "programme-set",
            "certificate-basics",
            "--title",
            "  Basics ",
            "--courses",
            "rights",
            "--required",
            "1",
            "--within-years",
            "2",
        ],
    );
    assert!(ok, "{stderr}");
    assert_eq!(stored, "certificate-basics 1/1 2y - rights Basics\n");
    let (ok, listed, _) = run(&class, &["programmes"]);
    assert!(ok);
    assert_eq!(
        listed,
        "certificate-basics 1/1 2y - Basics\n\
         diploma-migration 3/4 5y capstone Diploma in Labour Migration\n",
        "by id, one line each"
    );

    // What learners see follows at once.
    let transcript: Transcript = class.get_json(TRANSCRIPT_PATH, &class.ana).await;
    let diploma = programme(&transcript, "diploma-migration");
    assert_eq!(
        diploma.description,
        "Three of four courses, and the capstone."
    );
    let eligible: Vec<&str> = diploma
        .eligible
        .iter()
        .map(|course| course.course_id.as_str())
        .collect();
    assert_eq!(eligible, ["rights", "recruitment", "protection", "return"]);
    assert_eq!(diploma.capstone.as_ref().unwrap().course_id, "capstone");

    // Defining it again replaces it, courses included.
    let (ok, stored, stderr) = run(
        &class,
        &[
            "programme-set",
            "diploma-migration",
            "--title",
            "Diploma",
            "--courses",
            "return,rights",
            "--required",
            "2",
            "--within-years",
            "3",
        ],
    );
    assert!(ok, "{stderr}");
    assert_eq!(stored, "diploma-migration 2/2 3y - return,rights Diploma\n");
    let transcript: Transcript = class.get_json(TRANSCRIPT_PATH, &class.ana).await;
    let diploma = programme(&transcript, "diploma-migration");
    assert_eq!(
        shown(diploma),
        pairs(&[("return", "-"), ("rights", "-")]),
        "the new list, in its order"
    );
    assert_eq!(
        diploma.capstone, None,
        "the capstone went with the old definition"
    );

    // Refusals: each says what is wrong and what to do, and nothing changes.
    let (_, before, _) = run(&class, &["programmes"]);
    let refusals: &[(&[&str], &str)] = &[
        (
            &["--courses", "a,b", "--required", "3"],
            "requires 3 certificates but names only 2 eligible courses; list at least 3",
        ),
        (
            &["--courses", "a,b", "--capstone", "b"],
            "the capstone “b” is also listed as an eligible course",
        ),
        (&["--courses", "a,b,a"], "the course “a” is listed twice"),
        (&["--courses", "a,B"], "“B” is not a course id"),
        (
            &["--within-years", "0"],
            "within 1 to 50 years, not 0; give --within-years between 1 and 50",
        ),
        (&["--within-years", "51"], "not 51"),
        (&["--required", "0"], "give --required 1 or more"),
        (
            &["--title", " "],
            "title is not valid: use 1–200 characters",
        ),
    ];
    for (change, expected) in refusals {
        // A valid definition but for the flags `change` gives.
        let mut args = vec!["programme-set", "diploma-migration"];
        for (flag, value) in [
            ("--title", "Changed"),
            ("--courses", "a,b"),
            ("--required", "2"),
            ("--within-years", "3"),
        ] {
            if !change.contains(&flag) {
                args.extend([flag, value]);
            }
        }
        args.extend_from_slice(change);
        let (ok, stdout, stderr) = run(&class, &args);
        assert!(!ok && stdout.is_empty(), "{change:?} is refused: {stdout}");
        assert!(
            stderr.contains("the programme was not stored") && stderr.contains(expected),
            "{change:?}: {stderr}"
        );
    }
    let (ok, _, stderr) = run(
        &class,
        &[
            "programme-set",
            "Diploma!",
            "--title",
            "T",
            "--courses",
            "a",
            "--required",
            "1",
            "--within-years",
            "1",
        ],
    );
    assert!(
        !ok && stderr.contains("“Diploma!” is not a programme id: use 1–64 lowercase letters"),
        "{stderr}"
    );
    let (_, after, _) = run(&class, &["programmes"]);
    assert_eq!(after, before, "a refused definition changes nothing");

    // Removing.
    let (ok, removed, stderr) = run(&class, &["programme-remove", "diploma-migration"]);
    assert!(ok, "{stderr}");
    assert_eq!(removed, "diploma-migration removed\n");
    let (_, listed, _) = run(&class, &["programmes"]);
    assert_eq!(listed, "certificate-basics 1/1 2y - Basics\n");
    let transcript: Transcript = class.get_json(TRANSCRIPT_PATH, &class.ana).await;
    assert_eq!(transcript.programmes.len(), 1, "gone from transcripts too");
    let (ok, _, stderr) = run(&class, &["programme-remove", "diploma-migration"]);
    assert!(
        !ok && stderr.contains("there is no programme “diploma-migration”")
            && stderr.contains("carrel-server programmes"),
        "{stderr}"
    );
    let courses = class
        .fx
        .storage
        .with_conn(|conn| {
            Ok(conn.query_row(
                "SELECT count(*) FROM programme_courses WHERE programme_id = 'diploma-migration'",
                carrel_server::storage::sql::params![],
                |row| row.get::<i64>(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(courses, 0, "its courses went with it");
}
