//! Course certificates over real HTTP, on the published demo course (its certificate requires
//! passing `b1-quiz`, `b2-quiz`, `b3-quiz` and `b3-final-assignment`): refused with what is
//! missing until the server's grades show every requirement passed, with nothing stored; then
//! issued once, signed over the exact bytes answered, the same bytes on every later request;
//! checked by anyone (the key, the verification, the PDF, the page for people); listed and revoked
//! with the real binary; and the key made once and kept.

use carrel_package::{Fingerprint, PackageSignature};
use carrel_protocol::auth::{Account, Role, SignIn};
use carrel_protocol::certificates::{
    CERTIFICATE_KEY_PATH, CertificateKey, CertificateRecord, IssuedCertificate, NO_CERTIFICATE,
    NOT_EARNED, Verification, certificate_path, certificate_pdf_path, verification_page_path,
    verification_path,
};
use carrel_protocol::tutor::GradeInput;
use carrel_server::testing::{LoopbackServer, PASSWORD};
use carrel_server::tutor::Actor;
use reqwest::{Method, StatusCode};

use crate::support::{Class, DEMO_COURSE, carrel_server, http_client, sha256_hex};

/// The demo course's requirements, in the order its package lists them, with their titles.
const REQUIREMENTS: [(&str, &str); 4] = [
    ("b1-quiz", "Block 1 quiz (practice)"),
    ("b2-quiz", "Block 2 quiz (practice)"),
    ("b3-quiz", "Block 3 quiz (graded, with a short essay)"),
    (
        "b3-final-assignment",
        "Final assignment (individual, due 26 March)",
    ),
];

/// The demo course's title.
const DEMO_TITLE: &str = "Migrant workers' rights: a rights-based approach to labour migration";

/// A class (see [`Class`]) with `ana` and `ben` learners of the published demo course and `tom`
/// its tutor.
pub(crate) struct Certificates {
    pub(crate) class: Class,
}

impl Certificates {
    pub(crate) async fn start() -> Self {
        Self {
            class: Class::with_demo().await,
        }
    }

    /// A learner of the demo course whose account's name is `name`; answers their access token.
    pub(crate) async fn learner_named(&self, login: &str, name: &str) -> String {
        let fx = &self.class.fx;
        carrel_server::accounts::create_user(&fx.storage, login, name, PASSWORD, Role::Learner)
            .await
            .unwrap();
        fx.server
            .enrol(login, DEMO_COURSE, Role::Learner, None)
            .await
            .unwrap();
        let sign_in = SignIn {
            login: login.into(),
            password: PASSWORD.into(),
            device: None,
        };
        carrel_server::accounts::sign_in(&fx.storage, &Default::default(), sign_in)
            .await
            .unwrap()
            .access_token
    }

    /// Asks for `token`'s certificate of `course` (POST).
    pub(crate) async fn ask(&self, token: Option<&str>, course: &str) -> reqwest::Response {
        self.class
            .send(Method::POST, &certificate_path(course), token, None)
            .await
    }

    /// Asks for `token`'s demo certificate, expecting `status`; answers the body's exact text.
    async fn ask_expecting(&self, token: &str, status: StatusCode) -> String {
        let response = self.ask(Some(token), DEMO_COURSE).await;
        let got = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(got, status, "{body}");
        body
    }

    /// Submits `token`'s work on the demo course's `item` under the id `id`; answers its server
    /// id. Quiz attempts are not ones the server can grade itself: a tutor grades them.
    async fn submit(&self, token: &str, id: &str, item: &str) -> i64 {
        let (kind, payload) = if item.ends_with("-quiz") {
            (
                "quiz",
                format!(r#"{{"courseId":"{DEMO_COURSE}","itemId":"{item}","answers":[]}}"#),
            )
        } else {
            (
                "assignment",
                format!(
                    r#"{{"courseId":"{DEMO_COURSE}","itemId":"{item}","text":"My work.","attachments":[]}}"#
                ),
            )
        };
        self.class.submit(token, id, kind, &payload).await.server_id
    }

    /// Grades submission `server_id` as the course team would: passed or not.
    async fn grade(&self, server_id: i64, passed: bool) {
        let input = GradeInput {
            score: if passed { 80.0 } else { 20.0 },
            max_score: Some(100.0),
            passed: Some(passed),
            feedback: None,
        };
        carrel_server::tutor::grade::set(
            &self.class.fx.storage,
            Actor::Operator { tutor: None },
            server_id,
            input,
        )
        .await
        .unwrap();
    }

    /// Submits every requirement as `token` (ids prefixed `who`) and grades each passed.
    pub(crate) async fn earn(&self, token: &str, who: &str) {
        for (item, _) in REQUIREMENTS {
            let server_id = self.submit(token, &format!("{who}-{item}"), item).await;
            self.grade(server_id, true).await;
        }
    }

    /// Asks for and is issued `token`'s demo certificate; answers it and the body's text.
    pub(crate) async fn issued(&self, token: &str) -> (IssuedCertificate, String) {
        let body = self.ask_expecting(token, StatusCode::CREATED).await;
        (serde_json::from_str(&body).unwrap(), body)
    }

    /// The server's public certificate key, asked without a token.
    async fn key(&self) -> CertificateKey {
        let response = self
            .class
            .send(Method::GET, CERTIFICATE_KEY_PATH, None, None)
            .await;
        assert_eq!(response.status(), StatusCode::OK, "the key is public");
        response.json().await.unwrap()
    }

    /// `GET path` without a token.
    async fn get(&self, path: &str) -> reqwest::Response {
        self.class.send(Method::GET, path, None, None).await
    }

    /// Runs the real binary on the class's database.
    pub(crate) fn run(&self, args: &[&str]) -> (bool, String, String) {
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

/// The record of `issued`, parsed.
pub(crate) fn record(issued: &IssuedCertificate) -> CertificateRecord {
    serde_json::from_str(issued.record.get()).unwrap()
}

/// Checks `signature` over `bytes` with `key`, as a client that pinned `key` does.
fn verify(key: &CertificateKey, signature: &str, bytes: &[u8]) -> bool {
    let signature = PackageSignature {
        algorithm: "ed25519".into(),
        public_key: key.public_key.clone(),
        fingerprint: Fingerprint::from_text(&key.fingerprint),
        signature: signature.to_owned(),
    };
    signature
        .verify(bytes)
        .is_ok_and(|signer| signer.fingerprint().as_str() == key.fingerprint)
}

/// The status, code and message of an error response.
async fn refusal(response: reqwest::Response) -> (StatusCode, String, String) {
    let status = response.status();
    let body: carrel_protocol::ApiError = response.json().await.expect("errors are JSON");
    (status, body.code, body.message)
}

#[tokio::test]
async fn a_certificate_is_refused_until_every_requirement_is_passed_and_nothing_is_stored() {
    let certs = Certificates::start().await;
    let class = &certs.class;
    let (status, code, message) = refusal(certs.ask(Some(&class.ana), DEMO_COURSE).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::CONFLICT, NOT_EARNED));
    for (item, title) in REQUIREMENTS {
        assert!(
            message.contains(&format!("pass “{title}” (not submitted yet)"))
                && message.contains(item),
            "a learner who did nothing is told every requirement, by title and id: {message}"
        );
    }

    // Block 1 passed, block 2 failed, block 3 waiting for its grade, the assignment passed.
    let b1 = certs.submit(&class.ana, "ana-b1", "b1-quiz").await;
    certs.grade(b1, true).await;
    let b2 = certs.submit(&class.ana, "ana-b2", "b2-quiz").await;
    certs.grade(b2, false).await;
    // Block 3 as the server grades a quiz whose essay waits for a tutor: passing so far, not
    // complete.
    let b3 = certs.submit(&class.ana, "ana-b3", "b3-quiz").await;
    class
        .fx
        .storage
        .with_conn(move |conn| {
            conn.execute(
                "INSERT INTO grades (submission_id, score, max_score, passed, complete, graded_ms)
                 VALUES (?1, 9, 10, 1, 0, 0)",
                [&b3],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let essay = certs
        .submit(&class.ana, "ana-final", "b3-final-assignment")
        .await;
    certs.grade(essay, true).await;
    // Ben passing block 2 does nothing for Ana.
    let bens = certs.submit(&class.ben, "ben-b2", "b2-quiz").await;
    certs.grade(bens, true).await;

    let (status, code, message) = refusal(certs.ask(Some(&class.ana), DEMO_COURSE).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::CONFLICT, NOT_EARNED));
    assert!(
        message.contains("pass “Block 2 quiz (practice)” (not passed yet)"),
        "a failing grade does not count: {message}"
    );
    assert!(
        message
            .contains("pass “Block 3 quiz (graded, with a short essay)” (waiting for its grade)"),
        "a grade that is not complete does not count: {message}"
    );
    assert!(
        message.contains("(missing items: b2-quiz, b3-quiz)"),
        "the missing items' ids are there for clients: {message}"
    );
    assert!(
        !message.contains("Block 1") && !message.contains("Final assignment"),
        "what is met is not listed as missing: {message}"
    );
    assert_eq!(
        class.count("certificates").await,
        0,
        "a refusal stores nothing"
    );
    let (status, code, _) = refusal(
        class
            .send(
                Method::GET,
                &certificate_path(DEMO_COURSE),
                Some(&class.ana),
                None,
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );

    // A second attempt at block 2 that passes, and block 3 graded: earned.
    let again = certs.submit(&class.ana, "ana-b2-again", "b2-quiz").await;
    certs.grade(again, true).await;
    certs
        .grade(
            certs.submit(&class.ana, "ana-b3-again", "b3-quiz").await,
            true,
        )
        .await;
    let (issued, _) = certs.issued(&class.ana).await;
    assert_eq!(record(&issued).learner_name, "ana");
}

#[tokio::test]
async fn an_earned_certificate_is_issued_once_signed_over_the_exact_bytes_answered() {
    let certs = Certificates::start().await;
    let class = &certs.class;
    certs.earn(&class.ana, "ana").await;
    let (issued, body) = certs.issued(&class.ana).await;
    let bytes = issued.record.get();
    assert!(
        body.contains(bytes),
        "the record is answered as it was signed"
    );

    let key = certs.key().await;
    assert_eq!(issued.key_fingerprint, key.fingerprint);
    assert!(
        verify(&key, &issued.signature, bytes.as_bytes()),
        "the signature verifies the record's bytes with the server's key"
    );
    let tampered = bytes.replacen("\"learnerName\":\"ana\"", "\"learnerName\":\"anb\"", 1);
    assert_ne!(tampered, bytes, "the record names its learner");
    assert!(
        !verify(&key, &issued.signature, tampered.as_bytes()),
        "a changed byte no longer verifies"
    );

    let ana: Account = class
        .get_json(carrel_protocol::auth::ME_PATH, &class.ana)
        .await;
    let record = record(&issued);
    assert!(
        record.certificate_id.len() == 32
            && record
                .certificate_id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "a random 128-bit id in lowercase hex: {}",
        record.certificate_id
    );
    assert_eq!(
        (
            record.title.as_str(),
            record.course_id.as_str(),
            record.course_title.as_str(),
            record.course_version.as_str(),
            record.learner_id,
            record.learner_name.as_str(),
            record.issuer.as_str(),
        ),
        (
            "Certificate of Achievement",
            DEMO_COURSE,
            DEMO_TITLE,
            "1.0.0",
            ana.id,
            "ana",
            carrel_server::certificates::DEFAULT_ISSUER,
        )
    );
    let met: Vec<(&str, &str, bool)> = record
        .requirements
        .iter()
        .map(|met| (met.item_id.as_str(), met.title.as_str(), met.passed))
        .collect();
    let expected: Vec<(&str, &str, bool)> = REQUIREMENTS
        .iter()
        .map(|(item, title)| (*item, *title, true))
        .collect();
    assert_eq!(met, expected, "the requirements met, with their titles");
    assert_eq!(
        record.verify_url,
        class
            .fx
            .url(&verification_page_path(&record.certificate_id)),
        "without public_url, the address the learner reached the server at"
    );

    // Asked again — even after a grade changed — the same certificate, byte for byte.
    let first = class
        .fx
        .storage
        .with_conn(|conn| {
            Ok(conn.query_row(
                "SELECT id FROM submissions WHERE client_id = 'ana-b1-quiz'",
                carrel_server::storage::sql::params![],
                |row| row.get::<i64>(0),
            )?)
        })
        .await
        .unwrap();
    certs.grade(first, false).await;
    let again = certs.ask_expecting(&class.ana, StatusCode::OK).await;
    assert_eq!(
        again, body,
        "asking again answers the stored certificate unchanged"
    );
    let response = class
        .send(
            Method::GET,
            &certificate_path(DEMO_COURSE),
            Some(&class.ana),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.text().await.unwrap(),
        body,
        "GET answers the same bytes"
    );
    let stored: String = class
        .fx
        .storage
        .with_conn(|conn| {
            Ok(conn.query_row(
                "SELECT record FROM certificates",
                carrel_server::storage::sql::params![],
                |row| row.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(stored, bytes, "the signed bytes are what is stored");

    // Another learner earns their own.
    certs.ask_expecting(&class.ben, StatusCode::CONFLICT).await;
    certs.earn(&class.ben, "ben").await;
    let (bens, _) = certs.issued(&class.ben).await;
    let bens = self::record(&bens);
    assert_ne!(bens.certificate_id, record.certificate_id);
    assert_eq!(bens.learner_name, "ben");
    assert_ne!(bens.learner_id, ana.id);
    assert_eq!(
        class.count("certificates").await,
        2,
        "one per learner and course"
    );
}

#[tokio::test]
async fn only_the_courses_learners_are_certified_and_only_for_requirements_the_server_can_check() {
    let certs = Certificates::start().await;
    let class = &certs.class;
    let fx = &class.fx;
    for (token, who) in [
        (&class.tom, "the course's tutor"),
        (&class.tina, "another course's tutor"),
    ] {
        let (status, code, message) = refusal(certs.ask(Some(token), DEMO_COURSE).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::FORBIDDEN, "not_enrolled"),
            "{who}: {message}"
        );
        assert!(
            message.contains("ask the course team to enrol you"),
            "{message}"
        );
    }
    let outsider = fx
        .server
        .learner_in("olga", "another-course")
        .await
        .unwrap();
    let (status, code, _) =
        refusal(certs.ask(Some(&outsider.access_token), DEMO_COURSE).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "not_enrolled")
    );
    assert_eq!(
        certs.ask(None, DEMO_COURSE).await.status(),
        StatusCode::UNAUTHORIZED,
        "asking needs a token"
    );

    // The sample course awards no certificate; a copy of it awards one by hand only; and a
    // course that is not published has none to issue.
    let sample = class.publish_sample(true).await;
    let by_hand = fx.dir.path().join("by-hand");
    carrel_package::testing::write_sample_source(&by_hand, "1.0.0", 100).unwrap();
    let toml = std::fs::read_to_string(by_hand.join("course.toml"))
        .unwrap()
        .replace("id = \"sample-course\"", "id = \"by-hand-course\"");
    // A table header at the end still names a top-level table.
    let toml =
        format!("{toml}\n[certificate]\ntitle = \"Certificate\"\nrule = \"Ask your tutor.\"\n");
    std::fs::write(by_hand.join("course.toml"), toml).unwrap();
    let package = fx.dir.path().join("by-hand.carrel");
    carrel_package::source::build(&by_hand, &crate::support::package_key(), &package).unwrap();
    fx.publish(&package).await.unwrap();
    for course in [sample, "by-hand-course", "never-published"] {
        fx.server
            .enrol("ana", course, Role::Learner, None)
            .await
            .unwrap();
        let (status, code, message) = refusal(certs.ask(Some(&class.ana), course).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, NO_CERTIFICATE),
            "{course}: {message}"
        );
    }
    let (_, _, message) = refusal(certs.ask(Some(&class.ana), "by-hand-course").await).await;
    assert!(
        message.contains("awarded by the course team"),
        "a certificate without requirements is the course team's to award: {message}"
    );
    assert_eq!(class.count("certificates").await, 0);
}

#[tokio::test]
async fn anyone_checks_a_certificate_and_once_revoked_it_is_no_longer_valid() {
    let certs = Certificates::start().await;
    let class = &certs.class;
    certs.earn(&class.ana, "ana").await;
    let (issued, _) = certs.issued(&class.ana).await;
    let record = record(&issued);
    let id = record.certificate_id.as_str();

    let response = certs.get(&verification_path(id)).await;
    assert_eq!(response.status(), StatusCode::OK, "verification is public");
    let verification: Verification = response.json().await.unwrap();
    assert!(verification.valid && verification.revoked_ms.is_none());
    assert_eq!(
        verification.certificate.record.get(),
        issued.record.get(),
        "with the signed record, byte for byte"
    );
    assert_eq!(verification.certificate.signature, issued.signature);

    let page = |url: String| async move {
        let response = http_client().get(url).send().await.unwrap();
        let status = response.status();
        let csp = response
            .headers()
            .get("content-security-policy")
            .map(|value| value.to_str().unwrap().to_owned());
        let kind = response
            .headers()
            .get("content-type")
            .map(|value| value.to_str().unwrap().to_owned());
        (status, csp, kind, response.text().await.unwrap())
    };
    let (status, csp, kind, html) = page(record.verify_url.clone()).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the address on the certificate answers"
    );
    assert_eq!(
        csp.as_deref(),
        Some("default-src 'none'; style-src 'unsafe-inline'")
    );
    assert_eq!(kind.as_deref(), Some("text/html; charset=utf-8"));
    for expected in [
        "Valid",
        "Certificate of Achievement",
        "ana",
        "Migrant workers&#39; rights: a rights-based approach to labour migration",
        "Carrel course server",
        id,
    ] {
        assert!(html.contains(expected), "the page shows {expected}: {html}");
    }
    assert!(!html.contains("<script"), "the page has no scripts");

    for unknown in ["0123456789abcdef0123456789abcdef", "not-an-id"] {
        let (status, code, _) = refusal(certs.get(&verification_path(unknown)).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{unknown}"
        );
        let (status, _, _) = refusal(certs.get(&certificate_pdf_path(unknown)).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
        let (status, _, _, html) = page(class.fx.url(&verification_page_path(unknown))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
        assert!(html.contains("no certificate with this id"), "{html}");
    }

    // The operator lists and revokes it with the real binary.
    let (ok, listed, stderr) = certs.run(&["certificates"]);
    assert!(ok, "{stderr}");
    let fields: Vec<&str> = listed.trim_end().split(' ').collect();
    assert_eq!(fields.len(), 5, "one line, five fields: {listed:?}");
    assert_eq!(
        (fields[0], fields[1], fields[2], fields[4]),
        (id, DEMO_COURSE, "ana", "-"),
        "{listed}"
    );
    assert!(
        fields[3].ends_with('Z') && fields[3].parse::<jiff::Timestamp>().is_ok(),
        "the issue time in UTC: {}",
        fields[3]
    );
    let (ok, only_demo, _) = certs.run(&["certificates", DEMO_COURSE]);
    assert!(ok && only_demo == listed, "{only_demo}");
    let (ok, _, stderr) = certs.run(&["certificates", "never-published"]);
    assert!(
        !ok && stderr.contains("no course “never-published” is published"),
        "{stderr}"
    );

    let (ok, revoked, stderr) = certs.run(&["certificate-revoke", id]);
    assert!(ok, "{stderr}");
    assert!(revoked.starts_with(&format!("{id} revoked ")), "{revoked}");
    let (ok, again, _) = certs.run(&["certificate-revoke", id]);
    assert!(
        ok && again == revoked,
        "revoking again keeps the first time: {again}"
    );
    let (ok, _, stderr) = certs.run(&["certificate-revoke", "0123456789abcdef0123456789abcdef"]);
    assert!(
        !ok && stderr.contains("there is no certificate")
            && stderr.contains("carrel-server certificates"),
        "{stderr}"
    );
    let (_, listed, _) = certs.run(&["certificates"]);
    assert!(listed.trim_end().ends_with(" revoked"), "{listed}");

    let verification: Verification = certs
        .get(&verification_path(id))
        .await
        .json()
        .await
        .unwrap();
    assert!(!verification.valid, "revoked: no longer valid");
    assert!(verification.revoked_ms.is_some());
    let (status, _, _, html) = page(record.verify_url.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Revoked on")
            && html.contains("no longer valid")
            && !html.contains("✓ Valid"),
        "the page says it is revoked: {html}"
    );
    // The learner asking again is told it was revoked, and given no new one.
    let refused = certs.ask_expecting(&class.ana, StatusCode::CONFLICT).await;
    assert!(refused.contains("certificate_revoked"), "{refused}");
    assert!(refused.contains("was revoked on 20"), "{refused}");
    let (ok, listed, _) = certs.run(&["certificates", DEMO_COURSE]);
    assert!(ok && listed.lines().count() == 1, "{listed}");
}

/// The address a certificate names for checking it is the server's configured one: a request
/// naming another host (a learner's own site) changes nothing in what is signed.
#[tokio::test]
async fn the_verification_address_is_the_servers_never_the_requests() {
    let certs = Certificates::start().await;
    let class = &certs.class;
    certs.earn(&class.ana, "ana").await;
    let response = http_client()
        .post(class.fx.url(&certificate_path(DEMO_COURSE)))
        .bearer_auth(&class.ana)
        .header(reqwest::header::HOST, "verify-carrel.evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let issued: IssuedCertificate = response.json().await.unwrap();
    let record = record(&issued);
    assert!(
        record
            .verify_url
            .starts_with(&format!("{}/certificates/", class.fx.server.url())),
        "{}",
        record.verify_url
    );
    assert!(!record.verify_url.contains("evil"));
}

#[tokio::test]
async fn the_page_escapes_a_hostile_name() {
    let certs = Certificates::start().await;
    let hostile = r#"<script>alert("x")</script> & Eve"#;
    let token = certs.learner_named("eve", hostile).await;
    certs.earn(&token, "eve").await;
    let (issued, _) = certs.issued(&token).await;
    let record = record(&issued);
    assert_eq!(
        record.learner_name, hostile,
        "the record says what the account says"
    );
    let response = http_client().get(&record.verify_url).send().await.unwrap();
    assert_eq!(
        response
            .headers()
            .get("content-security-policy")
            .and_then(|value| value.to_str().ok()),
        Some("default-src 'none'; style-src 'unsafe-inline'")
    );
    let html = response.text().await.unwrap();
    assert!(!html.contains("<script"), "the name is not markup: {html}");
    assert!(
        html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Eve"),
        "the name is shown, escaped: {html}"
    );
}

/// Checks that `pdf` is a well-formed PDF file (header, end marker, every cross-reference
/// pointing at its object, trailer); answers the text its page shows, decoded from the content
/// stream's strings (WinAnsi), separated by single spaces (as wrapped lines were).
fn check_pdf(pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF-1."), "a PDF header");
    assert!(pdf.ends_with(b"%%EOF\n"), "the end-of-file marker");
    let find_last = |needle: &[u8]| {
        pdf.windows(needle.len())
            .rposition(|window| window == needle)
            .unwrap_or_else(|| panic!("{} is in the file", String::from_utf8_lossy(needle)))
    };
    let tail = &pdf[find_last(b"startxref\n") + b"startxref\n".len()..];
    let xref: usize = std::str::from_utf8(tail)
        .unwrap()
        .lines()
        .next()
        .and_then(|offset| offset.parse().ok())
        .expect("startxref gives an offset");
    let table = std::str::from_utf8(&pdf[xref..]).expect("the table is ASCII");
    let mut lines = table.lines();
    assert_eq!(lines.next(), Some("xref"), "startxref points at the table");
    let (first, count) = lines.next().unwrap().split_once(' ').unwrap();
    let (first, count): (usize, usize) = (first.parse().unwrap(), count.parse().unwrap());
    assert_eq!(first, 0);
    assert_eq!(
        lines.next(),
        Some("0000000000 65535 f "),
        "object 0 is free"
    );
    for number in 1..count {
        let entry = lines.next().unwrap();
        assert!(entry.ends_with(" 00000 n "), "{entry:?}");
        let offset: usize = entry[..10].parse().unwrap();
        assert!(
            pdf[offset..].starts_with(format!("{number} 0 obj").as_bytes()),
            "the table says where object {number} is"
        );
    }
    assert_eq!(lines.next(), Some("trailer"));
    let trailer = lines.next().unwrap();
    assert!(
        trailer.contains(&format!("/Size {count}")) && trailer.contains("/Root 1 0 R"),
        "{trailer}"
    );

    // The strings shown (`(…) Tj`), unescaped and decoded from WinAnsi.
    let mut shown = String::new();
    let mut rest = pdf;
    while let Some(start) = rest.windows(4).position(|window| window == b"BT /") {
        let text = &rest[start..];
        let open = text.iter().position(|&b| b == b'(').unwrap();
        let mut bytes = Vec::new();
        let mut index = open + 1;
        loop {
            match text[index] {
                b')' => break,
                b'\\' if text[index + 1].is_ascii_digit() => {
                    let octal = std::str::from_utf8(&text[index + 1..index + 4]).unwrap();
                    bytes.push(u8::from_str_radix(octal, 8).unwrap());
                    index += 4;
                }
                b'\\' => {
                    bytes.push(text[index + 1]);
                    index += 2;
                }
                byte => {
                    bytes.push(byte);
                    index += 1;
                }
            }
        }
        for byte in bytes {
            shown.push(match byte {
                0x93 => '“',
                0x94 => '”',
                0x85 => '…',
                byte => char::from(byte),
            });
        }
        shown.push(' ');
        rest = &text[index..];
    }
    shown
}

#[tokio::test]
async fn the_pdf_is_the_one_issued_and_a_well_formed_pdf_that_names_the_learner() {
    let certs = Certificates::start().await;
    let token = certs.learner_named("jose", "José Núñez").await;
    certs.earn(&token, "jose").await;
    let (issued, _) = certs.issued(&token).await;
    let record = record(&issued);
    let path = certificate_pdf_path(&record.certificate_id);
    let response = certs.get(&path).await;
    assert_eq!(response.status(), StatusCode::OK, "the PDF is public");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    assert_eq!(header("content-type").as_deref(), Some("application/pdf"));
    let etag = format!("\"{}\"", issued.pdf_sha256);
    assert_eq!(header("etag"), Some(etag.clone()));
    let pdf = response.bytes().await.unwrap();
    assert_eq!(
        sha256_hex(&pdf),
        issued.pdf_sha256,
        "the download is the PDF issued"
    );
    assert_eq!(pdf.len() as u64, issued.pdf_size);

    let shown = check_pdf(&pdf);
    for expected in [
        "Certificate of Achievement",
        "This certifies that",
        "José Núñez",
        "has met every requirement of",
        DEMO_TITLE,
        "Block 3 quiz (graded, with a short essay)",
        "Carrel course server",
        &record.certificate_id,
        &format!("Check it at {}", record.verify_url),
    ] {
        assert!(
            shown.contains(expected),
            "the page shows {expected}: {shown}"
        );
    }
    let issued_on = jiff::Timestamp::from_millisecond(record.issued_ms as i64)
        .unwrap()
        .strftime("Issued on %-d %B %Y")
        .to_string();
    assert!(shown.contains(&issued_on), "{issued_on}: {shown}");
    // Where poppler is installed, a real PDF reader agrees.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &pdf).unwrap();
    if let Ok(output) = std::process::Command::new("pdftotext")
        .arg(file.path())
        .arg("-")
        .output()
    {
        assert!(output.status.success(), "pdftotext reads the file");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("José Núñez"), "{text}");
    }

    // Asked again, conditionally, or in part.
    let not_modified = class_get_with(&certs, &path, "if-none-match", &etag).await;
    assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
    let part = class_get_with(&certs, &path, "range", "bytes=0-7").await;
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(&part.bytes().await.unwrap()[..], b"%PDF-1.4");
}

/// `GET path` without a token, with one header.
async fn class_get_with(
    certs: &Certificates,
    path: &str,
    name: &str,
    value: &str,
) -> reqwest::Response {
    http_client()
        .get(certs.class.fx.url(path))
        .header(name, value)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_configured_issuer_and_address_go_on_certificates_and_the_key_is_made_once() {
    let dir = tempfile::tempdir().unwrap();
    let configure = |state: carrel_server::AppState| {
        state
            .with_public_url(Some("https://courses.example.org/carrel/"))
            .with_certificate_issuer("Institut d'études (Genève)")
    };
    let server = LoopbackServer::start_with(dir.path(), "127.0.0.1:0", configure)
        .await
        .unwrap();
    let key_file = server
        .data()
        .root()
        .join(carrel_server::certificates::KEY_FILE);
    assert!(
        !key_file.exists(),
        "the key is made on first need, not at start"
    );
    let client = http_client();
    let key: CertificateKey = client
        .get(format!("{}{CERTIFICATE_KEY_PATH}", server.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(key_file.exists(), "asking for the key makes it");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "only the server's account reads the key: {mode:o}"
        );
    }
    let on_disk = carrel_package::SecretKey::read_file(&key_file).unwrap();
    assert_eq!(on_disk.public_key().to_base64(), key.public_key);

    let ana = server.learner_in("ana", DEMO_COURSE).await.unwrap();
    let storage = carrel_server::Storage::open(server.db()).unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../courses/demo");
    let package = dir.path().join("demo.carrel");
    carrel_package::source::build(&source, &crate::support::package_key(), &package).unwrap();
    carrel_server::publish_package(&storage, server.data(), &package)
        .await
        .unwrap();
    for (item, _) in REQUIREMENTS {
        let kind = if item.ends_with("-quiz") {
            "quiz"
        } else {
            "assignment"
        };
        let id = format!("ana-{item}");
        let body = format!(
            r#"{{"kind":"{kind}","payload":{{"submissionId":"{id}","courseId":"{DEMO_COURSE}","itemId":"{item}","text":"x","attachments":[]}}}}"#
        );
        let receipt: carrel_protocol::submissions::Receipt = client
            .put(format!(
                "{}{}",
                server.url(),
                carrel_protocol::submissions::submission_path(&id)
            ))
            .bearer_auth(&ana.access_token)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let input = GradeInput {
            score: 90.0,
            max_score: Some(100.0),
            passed: Some(true),
            feedback: None,
        };
        carrel_server::tutor::grade::set(
            &storage,
            Actor::Operator { tutor: None },
            receipt.server_id,
            input,
        )
        .await
        .unwrap();
    }
    let response = client
        .post(format!("{}{}", server.url(), certificate_path(DEMO_COURSE)))
        .bearer_auth(&ana.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let issued: IssuedCertificate = response.json().await.unwrap();
    let record = record(&issued);
    assert_eq!(record.issuer, "Institut d'études (Genève)");
    assert_eq!(
        record.verify_url,
        format!(
            "https://courses.example.org/carrel/certificates/{}",
            record.certificate_id
        ),
        "the public address, its path prefix kept"
    );
    assert!(verify(
        &key,
        &issued.signature,
        issued.record.get().as_bytes()
    ));

    // After a restart, the same key.
    server.stop().await.unwrap();
    let server = LoopbackServer::start_with(dir.path(), "127.0.0.1:0", configure)
        .await
        .unwrap();
    let after: CertificateKey = client
        .get(format!("{}{CERTIFICATE_KEY_PATH}", server.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after, key, "the key is kept, so pinned keys keep working");
    server.stop().await.unwrap();
}
