//! The shipped binary: `serve` (also with no command), `publish`, and its help.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use carrel_package::SecretKey;
use carrel_protocol::{HEALTH_PATH, Health, HealthStatus};
use carrel_server::DataDir;

use crate::support::{COURSE_ID, Fixture, KEY, build_package, carrel_server, help, http_client};

/// The binary serving, and the lines it logs (JSON).
pub(crate) struct Running {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    /// The "carrel-server listening" event.
    listening: serde_json::Value,
    url: String,
}

impl Running {
    /// Starts `command` (which must log JSON) and waits until it listens.
    pub(crate) fn start(command: &mut Command) -> Self {
        let mut child = command
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("the server binary starts");
        let stderr = child.stderr.take().unwrap();
        let (line_tx, lines) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut running = Self {
            child,
            lines,
            listening: serde_json::Value::Null,
            url: String::new(),
        };
        running.listening = running.next_event("carrel-server listening");
        running.url = running.listening["url"]
            .as_str()
            .expect("the url is logged")
            .to_owned();
        running
    }

    fn next_event(&self, message: &str) -> serde_json::Value {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("the server logs {message:?} within 30 s"));
            let event: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("every log line is JSON ({e}): {line}"));
            if event["message"] == message {
                return event;
            }
        }
    }

    /// Where it serves (`http://127.0.0.1:port`).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Signs `login` in through the running server.
    async fn sign_in(&self, login: &str, password: &str) -> carrel_protocol::auth::Tokens {
        let response = http_client()
            .post(format!(
                "{}{}",
                self.url,
                carrel_protocol::auth::SIGN_IN_PATH
            ))
            .json(&serde_json::json!({"login": login, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{login} signs in");
        response.json().await.unwrap()
    }

    /// Sends SIGTERM and checks that the server stops cleanly.
    pub(crate) fn stop(mut self) {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        self.next_event("carrel-server stopped");
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "SIGTERM is a clean shutdown, got {status}"
        );
    }
}

/// Starts the binary with `args`, checks that it logs where it listens as JSON, answers, and
/// exits 0 on SIGTERM (graceful shutdown). Returns the "listening" log event.
async fn serve_and_stop(args: &[&str], db: &Path, data_dir: Option<&Path>) -> serde_json::Value {
    let mut command = carrel_server();
    command
        .args(args)
        .args(["--listen", "127.0.0.1:0", "--log-format", "json", "--db"])
        .arg(db);
    if let Some(dir) = data_dir {
        command.arg("--data-dir").arg(dir);
    }
    let running = Running::start(&mut command);
    assert!(db.exists(), "the binary creates its database");
    let health: Health = http_client()
        .get(format!("{}{HEALTH_PATH}", running.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health.status, HealthStatus::Ok);
    let listening = running.listening.clone();
    running.stop();
    listening
}

/// `carrel-server` with no command serves, as it did before commands existed.
#[tokio::test]
async fn the_binary_with_no_command_serves_logs_json_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bin.sqlite3");
    let listening = serve_and_stop(&[], &db, None).await;
    let default_data = DataDir::beside(&db);
    assert_eq!(
        listening["data"].as_str(),
        Some(default_data.root().to_str().unwrap()),
        "the data folder defaults to carrel-data beside the database"
    );
    assert!(default_data.store_dir().is_dir());
}

#[tokio::test]
async fn the_binary_serve_command_takes_the_same_flags_and_a_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bin.sqlite3");
    let data = dir.path().join("elsewhere");
    let listening = serve_and_stop(&["serve"], &db, Some(&data)).await;
    assert_eq!(listening["data"].as_str(), Some(data.to_str().unwrap()));
    assert!(
        DataDir::new(&data).store_dir().is_dir(),
        "--data-dir is used"
    );
}

fn run(command: &mut Command) -> Output {
    command.output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `carrel-server publish` as its own process, beside a running server on the same database.
#[tokio::test]
async fn the_binary_publishes_while_the_server_runs() {
    let fx = Fixture::start().await;
    let v1 = fx.package("v1", "1.0.0", "First edition.");
    let v2 = fx.package("v2", "2.0.0", "Second edition.");
    let fingerprint = SecretKey::from_seed([KEY; 32])
        .public_key()
        .fingerprint()
        .to_string();

    // --db only: the data folder defaults to the one beside it, which the running server uses.
    let output = run(carrel_server()
        .args(["publish", "--open", "--db"])
        .arg(fx.server.db())
        .args([&v1, &v2]));
    assert!(
        output.status.success(),
        "publish succeeds: {}",
        text(&output.stderr)
    );
    assert_eq!(
        text(&output.stdout),
        format!("{COURSE_ID} 1.0.0 {fingerprint}\n{COURSE_ID} 2.0.0 {fingerprint}\n"),
        "one line per package: id, version, fingerprint"
    );
    let catalog = fx.catalog().await;
    assert_eq!(
        catalog.courses[0].version, "2.0.0",
        "the running server lists what another process published"
    );
    let download = fx.get(&catalog.courses[0].package_url).await;
    assert!(download.bytes().await.unwrap() == std::fs::read(&v2).unwrap());

    let older = run(carrel_server()
        .arg("publish")
        .env("CARREL_SERVER_DB", fx.server.db())
        .arg(&v1));
    assert!(
        !older.status.success(),
        "a refused package fails the command"
    );
    assert_eq!(text(&older.stdout), "", "nothing is reported as published");
    let stderr = text(&older.stderr);
    assert!(
        stderr.contains("v1.carrel was not published")
            && stderr.contains("older than the published version 2.0.0"),
        "stderr names the package and the reason: {stderr}"
    );
}

#[test]
fn the_binary_publish_reads_its_settings_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let package = build_package(dir.path(), "v1", "1.0.0", "First edition.", KEY);
    let data = dir.path().join("data-from-env");
    let output = run(carrel_server()
        .arg("publish")
        .env("CARREL_SERVER_DB", dir.path().join("env.sqlite3"))
        .env("CARREL_SERVER_DATA", &data)
        .arg(&package));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        dir.path().join("env.sqlite3").exists(),
        "CARREL_SERVER_DB is used"
    );
    let stored = std::fs::read_dir(data.join("packages")).unwrap().count();
    assert_eq!(stored, 1, "CARREL_SERVER_DATA is used");
}

#[test]
fn help_documents_every_flag_and_environment_variable() {
    let top = help(&["--help"]);
    let serve = help(&["serve", "--help"]);
    let publish = help(&["publish", "--help"]);
    for (page, text) in [("--help", &top), ("serve --help", &serve)] {
        for expected in [
            "--listen",
            "CARREL_SERVER_LISTEN",
            "--db",
            "CARREL_SERVER_DB",
            "--data-dir",
            "CARREL_SERVER_DATA",
            "--log-format",
            "CARREL_LOG_FORMAT",
            "RUST_LOG",
            "carrel-data beside",
            "--config",
            "CARREL_SERVER_CONFIG",
            "access_token_minutes",
            "refresh_token_days",
            "CARREL_ACCESS_TOKEN_MINUTES",
        ] {
            assert!(
                text.contains(expected),
                "{page} mentions {expected}:\n{text}"
            );
        }
    }
    assert!(
        top.contains("publish") && top.contains("serve") && top.contains("user"),
        "{top}"
    );
    let add = help(&["user", "add", "--help"]);
    for expected in [
        "--login",
        "--name",
        "--role",
        "standard input",
        "CARREL_SERVER_DB",
    ] {
        assert!(
            add.contains(expected),
            "user add --help mentions {expected}:\n{add}"
        );
    }
    for expected in [
        "<PACKAGE>...",
        "--db",
        "CARREL_SERVER_DB",
        "--data-dir",
        "CARREL_SERVER_DATA",
        "--log-format",
        "CARREL_LOG_FORMAT",
        "RUST_LOG",
        "<course id> <version> <publisher key fingerprint>",
    ] {
        assert!(
            publish.contains(expected),
            "publish --help mentions {expected}:\n{publish}"
        );
    }
    assert!(
        !publish.contains("--listen"),
        "publish does not listen, so it offers no --listen"
    );
}

/// `carrel-server user add` reads the password from standard input, prints the account, refuses a
/// taken login; the account signs in through the real server; `user disable` ends it.
#[tokio::test]
async fn the_binary_creates_and_disables_accounts() {
    use std::io::Write as _;
    let fixture = Fixture::start().await;
    let db = fixture.server.db().to_owned();
    let add = |login: &str, password: &str| {
        let mut child = carrel_server()
            .args([
                "user",
                "add",
                "--login",
                login,
                "--name",
                "Ana Pérez",
                "--role",
                "tutor",
                "--db",
            ])
            .arg(&db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let created = add("ana@example.org", "a long enough password");
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(
        text(&created.stdout)
            .trim()
            .ends_with("ana@example.org tutor"),
        "{}",
        text(&created.stdout)
    );
    let again = add("ANA@example.org", "another long password");
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );
    let short = add("ben@example.org", "short");
    assert!(!short.status.success());
    assert!(
        text(&short.stderr).contains("too short"),
        "{}",
        text(&short.stderr)
    );

    let sign_in = || async {
        http_client()
            .post(fixture.url(carrel_protocol::auth::SIGN_IN_PATH))
            .json(&serde_json::json!({"login": "ana@example.org", "password": "a long enough password"}))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(sign_in().await, reqwest::StatusCode::OK);
    let disabled = run(carrel_server()
        .args(["user", "disable", "--login", "ana@example.org", "--db"])
        .arg(&db));
    assert!(disabled.status.success(), "{}", text(&disabled.stderr));
    assert_eq!(sign_in().await, reqwest::StatusCode::UNAUTHORIZED);
    let missing = run(carrel_server()
        .args(["user", "disable", "--login", "nobody", "--db"])
        .arg(&db));
    assert!(!missing.status.success());
}

/// `carrel-server enrol` and `unenrol` against the real binary: idempotent, a second enrol
/// changes the group; a published course is enrolled-only unless `--open`.
#[tokio::test]
async fn the_binary_enrols_and_publishes_enrolled_only_by_default() {
    let fx = Fixture::start().await;
    let db = fx.server.db().to_owned();
    let ana = fx.server.learner("ana").await.unwrap().access_token;
    let v1 = fx.package("v1", "1.0.0", "First edition.");
    let published = run(carrel_server().arg("publish").arg("--db").arg(&db).arg(&v1));
    assert!(published.status.success(), "{}", text(&published.stderr));
    assert!(
        fx.catalog().await.courses.is_empty(),
        "without --open a new course is enrolled-only"
    );
    let enrol = |group: &str| {
        run(carrel_server()
            .args(["enrol", "ana", COURSE_ID, "--group", group, "--db"])
            .arg(&db))
    };
    let first = enrol("Team A");
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(
        text(&first.stdout),
        format!("ana {COURSE_ID} learner Team A\n")
    );
    let again = enrol("Team B");
    assert!(again.status.success(), "enrolling again is allowed");
    let get = |path: &'static str| http_client().get(fx.url(path)).bearer_auth(&ana).send();
    let enrolments: Vec<carrel_protocol::tutor::Enrolment> =
        get(carrel_protocol::tutor::ENROLMENTS_PATH)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(enrolments.len(), 1);
    assert_eq!(enrolments[0].group.as_deref(), Some("Team B"));
    let catalog: carrel_protocol::Catalog = get(carrel_protocol::CATALOG_PATH)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(catalog.courses.len(), 1, "an enrolled learner sees it");

    let unknown = run(carrel_server()
        .args(["enrol", "nobody", COURSE_ID, "--db"])
        .arg(&db));
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("user add"),
        "{}",
        text(&unknown.stderr)
    );
    let removed = run(carrel_server()
        .args(["unenrol", "ana", COURSE_ID, "--db"])
        .arg(&db));
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    let twice = run(carrel_server()
        .args(["unenrol", "ana", COURSE_ID, "--db"])
        .arg(&db));
    assert!(!twice.status.success(), "nothing to remove is an error");

    let opened = run(carrel_server()
        .args(["publish", "--open", "--db"])
        .arg(&db)
        .arg(&v1));
    assert!(opened.status.success(), "{}", text(&opened.stderr));
    assert_eq!(
        fx.catalog().await.courses.len(),
        1,
        "--open on the same package opens the course"
    );
}

/// The tutor's commands on the database, as the learner sees their effect: `submissions` lists,
/// `grade` by client id with feedback from a file, `comment`, `announce`, `extend`.
#[tokio::test]
async fn the_binary_grades_comments_announces_and_extends() {
    use carrel_protocol::changes::{ChangeBody, ChangesPage};
    let class = crate::support::Class::start().await;
    let db = class.fx.server.db().to_owned();
    let receipt = class
        .submit(
            &class.ana,
            "ana-essay-1",
            "assignment",
            &crate::support::Class::essay("essay", "Ana"),
        )
        .await;
    let command = |args: &[&str]| {
        let output = run(carrel_server().args(args).arg("--db").arg(&db));
        assert!(
            output.status.success(),
            "{args:?}: {}",
            text(&output.stderr)
        );
        text(&output.stdout)
    };
    let table = command(&["submissions", "--ungraded"]);
    let row = table.lines().nth(1).expect("one submission");
    for expected in [
        receipt.server_id.to_string().as_str(),
        "ana-essay-1",
        "ana",
        crate::support::CLASS_COURSE,
        "essay",
        "-",
    ] {
        assert!(row.contains(expected), "{expected} in {table}");
    }
    let feedback = class.fx.dir.path().join("feedback.md");
    std::fs::write(&feedback, "Well done.").unwrap();
    let graded = command(&[
        "grade",
        "ana-essay-1",
        "--score",
        "17",
        "--out-of",
        "20",
        "--passed",
        "true",
        "--feedback-file",
        feedback.to_str().unwrap(),
        "--tutor",
        "tom",
    ]);
    assert_eq!(graded, format!("{} 17/20 passed\n", receipt.server_id));
    assert_eq!(
        command(&["submissions", "--ungraded"]).lines().count(),
        1,
        "only the header is left"
    );
    assert!(
        command(&["submissions", "--course", "nope"])
            .lines()
            .count()
            == 1
    );
    command(&["comment", &receipt.server_id.to_string(), "--text", "Bravo"]);
    command(&[
        "announce",
        crate::support::CLASS_COURSE,
        "--title",
        "Week 2",
        "--body",
        "Read chapter 2.",
    ]);
    command(&[
        "extend",
        "ana",
        crate::support::CLASS_COURSE,
        "essay",
        "--due",
        "2027-03-01T17:00:00Z",
        "--reason",
        "illness",
    ]);
    let too_much = run(carrel_server()
        .args([
            "grade",
            "ana-essay-1",
            "--score",
            "21",
            "--out-of",
            "20",
            "--db",
        ])
        .arg(&db));
    assert!(
        !too_much.status.success(),
        "a score over the points possible is refused"
    );
    let unknown = run(carrel_server()
        .args(["grade", "no-such-id", "--score", "1", "--db"])
        .arg(&db));
    assert!(text(&unknown.stderr).contains("carrel-server submissions"));

    let feed: ChangesPage = class.get_json("/api/v1/changes", &class.ana).await;
    let summary: Vec<String> = feed
        .changes
        .iter()
        .map(|change| match &change.body {
            ChangeBody::Grade(grade) => format!(
                "grade {} {:?} {:?}",
                grade.score,
                grade.graded_by.as_deref(),
                grade.feedback.as_deref()
            ),
            ChangeBody::Comment(comment) => format!("comment {} {}", comment.author, comment.text),
            ChangeBody::Announcement(a) => format!("announcement {}", a.title),
            ChangeBody::Schedule(s) => format!("schedule {:?} {:?}", s.due, s.reason),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            r#"grade 17 Some("tom") Some("Well done.")"#,
            "comment Course team Bravo",
            "announcement Week 2",
            r#"schedule Some("2027-03-01T17:00:00Z") Some("illness")"#,
        ]
    );
}

/// A configuration file sets what flags and variables do not: listen, db (relative to the file),
/// log format, token lifetimes; a variable overrides it, and a flag the variable.
#[tokio::test]
async fn the_binary_reads_a_configuration_file_under_its_environment_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("etc/carrel.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\ndb = \"state/server.sqlite3\"\nlog_format = \"json\"\naccess_token_minutes = 2\n",
    )
    .unwrap();
    let db = dir.path().join("etc/state/server.sqlite3");

    let mut add = carrel_server();
    add.args(["user", "add", "--login", "ana", "--name", "Ana", "--config"])
        .arg(&config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = add.spawn().unwrap();
    {
        use std::io::Write as _;
        writeln!(child.stdin.take().unwrap(), "a long enough password").unwrap();
    }
    let added = child.wait_with_output().unwrap();
    assert!(added.status.success(), "{}", text(&added.stderr));
    assert!(db.exists(), "the file's db, relative to the file's folder");

    let running = Running::start(carrel_server().env("CARREL_SERVER_CONFIG", &config));
    assert_eq!(running.listening["db"].as_str(), Some(db.to_str().unwrap()));
    let tokens = running.sign_in("ana", "a long enough password").await;
    let lifetime = tokens.access_expires_ms - carrel_protocol::unix_time_ms();
    assert!(
        (100_000..=120_000).contains(&lifetime),
        "access tokens live the file's 2 minutes, not {lifetime} ms"
    );
    running.stop();

    let from_env = dir.path().join("env.sqlite3");
    let running = Running::start(
        carrel_server()
            .args(["--config"])
            .arg(&config)
            .env("CARREL_SERVER_DB", &from_env),
    );
    assert_eq!(
        running.listening["db"].as_str(),
        Some(from_env.to_str().unwrap()),
        "the environment overrides the file"
    );
    running.stop();
    let from_flag = dir.path().join("flag.sqlite3");
    let running = Running::start(
        carrel_server()
            .args(["serve", "--config"])
            .arg(&config)
            .env("CARREL_SERVER_DB", &from_env)
            .arg("--db")
            .arg(&from_flag),
    );
    assert_eq!(
        running.listening["db"].as_str(),
        Some(from_flag.to_str().unwrap()),
        "a flag overrides the environment"
    );
    running.stop();

    std::fs::write(&config, "listn = \"127.0.0.1:0\"\n").unwrap();
    let refused = run(carrel_server().arg("--config").arg(&config));
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("listn"),
        "the error names the bad key: {}",
        text(&refused.stderr)
    );
}

/// `CARREL_SERVER_FAULTS` scripts faults in a separately started server; a bad script stops it.
#[tokio::test]
async fn the_binary_commits_the_faults_of_carrel_server_faults() {
    use carrel_protocol::auth::Role;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("faults.sqlite3");
    {
        let storage = carrel_server::Storage::open(&db).unwrap();
        carrel_server::accounts::create_user(
            &storage,
            "ana",
            "Ana",
            "a long enough password",
            Role::Learner,
        )
        .await
        .unwrap();
        carrel_server::enrolments::enrol(&storage, "ana", "course-1", Role::Learner, None)
            .await
            .unwrap();
    }
    let running = Running::start(
        carrel_server()
            .args(["--listen", "127.0.0.1:0", "--log-format", "json", "--db"])
            .arg(&db)
            .env("CARREL_SERVER_FAULTS", "429:3, 401"),
    );
    let client = http_client();
    let tokens = running.sign_in("ana", "a long enough password").await;
    let body = r#"{"kind":"assignment","payload":{"submissionId":"f-1","courseId":"course-1","itemId":"essay","text":"x"}}"#;
    let mut answers = Vec::new();
    for _ in 0..3 {
        let response = client
            .put(format!(
                "{}{}",
                running.url,
                carrel_protocol::submissions::submission_path("f-1")
            ))
            .bearer_auth(&tokens.access_token)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|value| value.to_str().unwrap().to_owned());
        answers.push((response.status().as_u16(), retry_after));
    }
    assert_eq!(
        answers,
        vec![(429, Some("3".to_owned())), (401, None), (201, None)],
        "the script, in order, then normal answers"
    );
    running.stop();

    let refused = run(carrel_server()
        .args(["--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env("CARREL_SERVER_FAULTS", "explode"));
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("CARREL_SERVER_FAULTS"),
        "{}",
        text(&refused.stderr)
    );
}
