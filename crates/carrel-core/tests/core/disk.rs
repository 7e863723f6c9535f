//! The disk failing under the learner's work: full (a small tmpfs) while answers, drafts,
//! submissions and progress are written, while a course downloads and while a package imports;
//! `fsync` failing with EIO (injected with strace); a damaged progress file at start.
//!
//! Every case checks the error the code returns is the clear one, that nothing is half-installed,
//! that the database passes `integrity_check` and that every acknowledged piece of work is there
//! afterwards.
//!
//! The writers are the test binary run again as a child, as in [`crate::kill`]: with
//! `CARREL_DISK_PHASE` in its environment the test runs one phase of work and prints `ack …` lines
//! only after each call returned (errors too, as `ack error …`). For the disk-full cases the child
//! runs in its own mount namespace (`unshare -m`) with a fresh tmpfs mounted on the trial's data
//! folder, so the tmpfs goes away with the child whatever happens to the test; a `grow:SIZE` step
//! between phases remounts it larger (space freed), and at the end its content is copied to the
//! parent's disk (a bigger disk) for the checks. Needs root, or unprivileged user namespaces.
//!
//! `CARREL_DISK_TRIALS` sets the trials per test (default 3).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use carrel_core::assess::Answer;
use carrel_core::assess::assignments::{self, DraftEdit};
use carrel_core::assess::attachments::AttachmentStore;
use carrel_core::assess::attempts;
use carrel_core::assess::outbox;
use carrel_core::progress::{Event, EventKind, ProgressDb, ProgressError, Recovery, new_event_id};

use crate::assess_kill::{assignment, attempts_closed, quiz, stored_answers};
use crate::kill;

/// The child's phase, when this process is a writer.
const PHASE_ENV: &str = "CARREL_DISK_PHASE";
/// The child's data folder (the tmpfs, or a plain folder for the fsync case).
const DIR_ENV: &str = "CARREL_DISK_DIR";

fn trials() -> u64 {
    std::env::var("CARREL_DISK_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

fn phase() -> Option<(String, PathBuf)> {
    let phase = std::env::var(PHASE_ENV).ok()?;
    let dir = std::env::var(DIR_ENV).expect("a writer is given its folder");
    Some((phase, PathBuf::from(dir)))
}

/// What one child run printed, phase by phase, and its stderr for failure messages.
struct Run {
    phases: HashMap<String, Vec<String>>,
    stderr: String,
}

impl Run {
    fn lines(&self, phase: &str) -> &[String] {
        self.phases
            .get(phase)
            .unwrap_or_else(|| panic!("phase {phase} did not run:\n{}", self.stderr))
    }
}

/// The sh script run in the child's mount namespace: mounts the tmpfs, runs the steps, copies the
/// tmpfs out. Exit 97: the mount was refused.
const SCRIPT: &str = r#"
mnt=$1; size=$2; out=$3; shift 3
mount -t tmpfs -o "size=$size,mode=0700" tmpfs "$mnt" || exit 97
for step in $CARREL_DISK_STEPS; do
  case $step in
    grow:*) mount -o "remount,size=${step#grow:}" "$mnt" || exit 98 ;;
    *) echo "phase $step"; CARREL_DISK_PHASE=$step "$@"; echo "exit $step $?" ;;
  esac
done
cp -a "$mnt"/. "$out"/ || exit 99
"#;

/// How this machine gives a child a private tmpfs: `unshare -m` as root, `unshare -r -m` (a user
/// namespace) otherwise. Fails the test, saying what is needed, when neither works.
fn unshare_args() -> &'static [&'static str] {
    static ARGS: OnceLock<&'static [&'static str]> = OnceLock::new();
    ARGS.get_or_init(|| {
        let probe = tempfile::tempdir().unwrap();
        let mut tried = Vec::new();
        for args in [&["-m"][..], &["-r", "-m"][..]] {
            let output = Command::new("unshare")
                .args(args)
                .args(["sh", "-c", "mount -t tmpfs -o size=64k tmpfs \"$1\"", "sh"])
                .arg(probe.path())
                .output();
            match output {
                Ok(output) if output.status.success() => return args,
                Ok(output) => tried.push(format!(
                    "unshare {}: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&output.stderr).trim()
                )),
                Err(error) => tried.push(format!("unshare {}: {error}", args.join(" "))),
            }
        }
        panic!(
            "the disk-full tests need root or unprivileged user namespaces, to mount a small \
             tmpfs in a private mount namespace (`unshare -m` + `mount -t tmpfs`); both failed: {}",
            tried.join("; ")
        )
    })
}

/// Runs `test` as a child in a private mount namespace with a fresh `size` tmpfs on `mnt`, doing
/// `steps` in order (a phase name runs the test as that phase; `grow:SIZE` remounts the tmpfs
/// larger), then copies the tmpfs's content to `out`. Every phase must end with exit code 0.
fn on_tmpfs(
    test: &str,
    mnt: &Path,
    size: &str,
    out: &Path,
    steps: &[&str],
    env: &[(&str, &str)],
) -> Run {
    std::fs::create_dir_all(mnt).unwrap();
    std::fs::create_dir_all(out).unwrap();
    let mut command = Command::new("unshare");
    command
        .args(unshare_args())
        .args(["sh", "-c", SCRIPT, "sh"])
        .arg(mnt)
        .arg(size)
        .arg(out)
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads", "1", "-q"])
        .env("CARREL_DISK_STEPS", steps.join(" "))
        .env(DIR_ENV, mnt)
        .envs(env.iter().copied());
    collect(command)
}

/// Runs `command` to its end and sorts its `ack` lines by phase; fails on any phase or step that
/// did not end well.
fn collect(mut command: Command) -> Run {
    let output = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.code() != Some(97),
        "mounting the tmpfs was refused (the test needs root or user namespaces): {stderr}"
    );
    assert!(
        output.status.success(),
        "the child failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let mut phases: HashMap<String, Vec<String>> = HashMap::new();
    let mut current = String::new();
    for line in stdout.lines() {
        if let Some(phase) = line.strip_prefix("phase ") {
            current = phase.to_owned();
            phases.entry(current.clone()).or_default();
        } else if let Some(rest) = line.strip_prefix("exit ") {
            assert!(
                rest.ends_with(" 0"),
                "phase {rest} (phase, exit code):\n{stdout}\n{stderr}"
            );
        } else if let Some(ack) = line.strip_prefix("ack ") {
            phases
                .entry(current.clone())
                .or_default()
                .push(ack.to_owned());
        }
    }
    Run { phases, stderr }
}

/// What the writers acknowledged, across phases and trials, and the errors they met.
#[derive(Default)]
struct Acks {
    /// (attempt, question) → the largest acknowledged value.
    answers: HashMap<(String, String), u64>,
    /// attempt → its outbox id.
    submitted: HashMap<String, String>,
    draft: u64,
    drafts_submitted: HashSet<String>,
    events: HashSet<String>,
    /// Every error message, by the operation that failed.
    errors: Vec<(String, String)>,
    /// Other lines (`reopen …`, `integrity …`), in order.
    notes: Vec<String>,
}

impl Acks {
    fn take(&mut self, lines: &[String]) {
        for line in lines {
            let parts: Vec<&str> = line.splitn(4, ' ').collect();
            match parts.as_slice() {
                ["answer", attempt, question, value] => {
                    let slot = self
                        .answers
                        .entry(((*attempt).into(), (*question).into()))
                        .or_default();
                    *slot = (*slot).max(value.parse().unwrap());
                }
                ["submitted", attempt, outbox_id] => {
                    self.submitted
                        .insert((*attempt).into(), (*outbox_id).into());
                }
                ["draft", value] => self.draft = self.draft.max(value.parse().unwrap()),
                ["draft-submitted", outbox_id] => {
                    self.drafts_submitted.insert((*outbox_id).into());
                }
                ["events", ids] => self.events.extend(ids.split(',').map(str::to_owned)),
                ["error", op, ..] => {
                    let message = line.splitn(3, ' ').nth(2).unwrap_or_default();
                    self.errors.push(((*op).into(), message.into()));
                }
                _ => self.notes.push(line.clone()),
            }
        }
    }

    fn acknowledged(&self) -> usize {
        self.answers.len()
            + self.submitted.len()
            + usize::from(self.draft > 0)
            + self.drafts_submitted.len()
            + self.events.len()
    }
}

fn integrity(db: &ProgressDb) -> String {
    db.transact(|tx| {
        Ok::<_, ProgressError>(tx.query_row("PRAGMA integrity_check", [], |row| row.get(0))?)
    })
    .unwrap()
}

/// Opens the database at `path` (on the parent's disk) and checks it holds everything `acks`
/// says was acknowledged, consistently: every answer, the draft, every submission in the
/// outbox, every event; an attempt closed if and only if it is in the outbox.
fn check_database(path: &Path, acks: &Acks, context: &str) {
    let (db, recovery) = ProgressDb::open_or_recover(path).unwrap();
    assert_eq!(
        recovery,
        Recovery::None,
        "{context}: the file needed recovery"
    );
    assert_eq!(integrity(&db), "ok", "{context}");
    let (answers, closed, sources, events, draft) = db
        .transact(|tx| {
            let answers = stored_answers(tx)?;
            let closed = attempts_closed(tx)?;
            let sources = tx
                .prepare("SELECT id, source FROM outbox")?
                .query_map([], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let events = tx
                .prepare("SELECT id FROM events")?
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<HashSet<_>, _>>()?;
            let draft: Option<String> = tx
                .query_row("SELECT text FROM drafts", [], |row| row.get(0))
                .ok();
            Ok::<_, ProgressError>((answers, closed, sources, events, draft))
        })
        .unwrap();
    let stored: HashMap<(String, String), u64> = answers
        .into_iter()
        .map(|(attempt, question, json)| {
            let Answer::ShortAnswer { text } = serde_json::from_str(&json).unwrap() else {
                panic!("short answers only")
            };
            ((attempt, question), text.parse().unwrap())
        })
        .collect();
    for (key, acked) in &acks.answers {
        let kept = stored.get(key).copied();
        assert!(
            kept.is_some_and(|kept| kept >= *acked),
            "{context}: answer {key:?} acknowledged as {acked}, stored {kept:?}"
        );
    }
    if acks.draft > 0 {
        let kept: u64 = draft
            .as_deref()
            .and_then(|text| text.split(' ').next())
            .unwrap_or("0")
            .parse()
            .unwrap();
        assert!(
            kept >= acks.draft,
            "{context}: draft acknowledged as {}, stored {kept}",
            acks.draft
        );
    }
    let missing = acks.events.difference(&events).count();
    assert_eq!(
        missing, 0,
        "{context}: {missing} acknowledged events are gone"
    );
    let ids: HashSet<&str> = sources.iter().map(|(id, _)| id.as_str()).collect();
    let mut seen = HashSet::new();
    for (_, source) in &sources {
        assert!(seen.insert(source), "{context}: {source} queued twice");
    }
    for (attempt, closed) in &closed {
        assert_eq!(
            seen.contains(&format!("attempt:{attempt}")),
            *closed,
            "{context}: attempt {attempt} closed={closed} without (or with) its outbox row"
        );
    }
    for (attempt, id) in &acks.submitted {
        assert!(
            ids.contains(id.as_str()),
            "{context}: submission of {attempt} lost"
        );
    }
    for id in &acks.drafts_submitted {
        assert!(
            ids.contains(id.as_str()),
            "{context}: draft submission {id} lost"
        );
    }
    assert_eq!(
        outbox::list(&db).unwrap().len(),
        sources.len(),
        "{context}: the outbox lists every row"
    );
}

/// The learner's work, as the app does it: progress events, a quiz attempt's answers and its
/// submission, an assignment draft (about 3 KB) and its submission, `rounds` times or until
/// `max_errors` calls failed. Prints an `ack` line after each call that returned `Ok`, and
/// `ack error <call> <message>` for each that failed.
fn work(db: &ProgressDb, dir: &Path, rounds: u64, max_errors: usize) {
    let store = AttachmentStore::new(dir.join("attachments"));
    let (quiz, assignment) = (quiz(), assignment());
    let mut out = std::io::stdout().lock();
    let mut value = carrel_protocol::unix_time_ms() * 1000;
    let now = || carrel_protocol::unix_time_ms() as i64;
    let padding = "x".repeat(3000);
    let mut errors = 0;
    let mut failed =
        |out: &mut std::io::StdoutLock<'_>, call: &str, error: &dyn std::fmt::Display| {
            kill::ack(out, format_args!("error {call} {error}"));
            errors += 1;
            errors >= max_errors
        };
    for n in 0..rounds {
        let events: Vec<Event> = (0..4)
            .map(|i| Event {
                id: new_event_id(),
                course_id: "course".into(),
                item_id: format!("item-{}", (n + i) % 7),
                kind: EventKind::TimeOnTask,
                at_ms: now(),
                value: Some(1.0),
                unit: None,
                end: None,
            })
            .collect();
        match db.record(&events) {
            Ok(_) => {
                let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
                kill::ack(&mut out, format_args!("events {}", ids.join(",")));
            }
            Err(error) => {
                if failed(&mut out, "record", &error) {
                    return;
                }
            }
        }
        match attempts::start(db, &quiz, now(), None) {
            Ok(attempt) => {
                let mut answered = true;
                for question in ["q1", "q2", "q3"] {
                    value += 1;
                    let answer = Answer::ShortAnswer {
                        text: value.to_string(),
                    };
                    match attempts::save_answer(db, &quiz, &attempt.id, question, &answer, now()) {
                        Ok(_) => kill::ack(
                            &mut out,
                            format_args!("answer {} {question} {value}", attempt.id),
                        ),
                        Err(error) => {
                            answered = false;
                            if failed(&mut out, "save_answer", &error) {
                                return;
                            }
                        }
                    }
                }
                if answered && n % 2 == 1 {
                    match attempts::submit(db, &quiz, &attempt.id, now()) {
                        Ok(entry) => kill::ack(
                            &mut out,
                            format_args!("submitted {} {}", attempt.id, entry.id),
                        ),
                        Err(error) => {
                            if failed(&mut out, "submit", &error) {
                                return;
                            }
                        }
                    }
                }
            }
            Err(error) => {
                if failed(&mut out, "start", &error) {
                    return;
                }
            }
        }
        value += 1;
        let edit = DraftEdit {
            text: format!("{value} {padding}"),
            group_name: None,
            declared: false,
        };
        match assignments::save_draft(db, &assignment, &edit, now()) {
            Ok(draft) => {
                kill::ack(&mut out, format_args!("draft {value}"));
                if n % 3 == 2 {
                    match assignments::submit(db, &store, &assignment, draft.revision, now()) {
                        Ok(entry) => {
                            kill::ack(&mut out, format_args!("draft-submitted {}", entry.id));
                        }
                        Err(error) => {
                            if failed(&mut out, "submit_draft", &error) {
                                return;
                            }
                        }
                    }
                }
            }
            Err(error) => {
                if failed(&mut out, "save_draft", &error) {
                    return;
                }
            }
        }
    }
}

/// A clear message for a full disk: it says so, says what to do, and was not taken for damage.
fn says_disk_full(message: &str) -> bool {
    let lower = message.to_lowercase();
    (lower.contains("disk is full") || lower.contains("not enough free disk space"))
        && lower.contains("free some")
}

fn progress_writer(phase: &str, dir: &Path) -> ! {
    let path = dir.join("progress.sqlite3");
    let mut out = std::io::stdout().lock();
    match phase {
        // Work until the disk is full, and on: every call fails cleanly.
        "write" => match ProgressDb::open(&path) {
            Ok(db) => work(&db, dir, 5_000, 40),
            Err(error) => kill::ack(&mut out, format_args!("error open {error}")),
        },
        // On the still-full disk: opening is not mistaken for damage, the file is sound, and
        // a write fails cleanly (or fits in what a rollback freed).
        "full" => match ProgressDb::open_or_recover(&path) {
            Ok((db, recovery)) => {
                kill::ack(&mut out, format_args!("reopen {recovery:?}"));
                kill::ack(&mut out, format_args!("integrity {}", integrity(&db)));
                work(&db, dir, 1, 5);
            }
            Err(error) => kill::ack(&mut out, format_args!("error reopen {error}")),
        },
        // With space freed: all work succeeds again.
        "resume" => {
            let (db, recovery) = ProgressDb::open_or_recover(&path).unwrap();
            kill::ack(&mut out, format_args!("reopen {recovery:?}"));
            work(&db, dir, 10, 1);
        }
        other => panic!("no phase {other}"),
    }
    drop(out);
    std::process::exit(0)
}

#[test]
fn a_full_disk_refuses_new_work_clearly_and_keeps_every_saved_answer() {
    if let Some((phase, dir)) = phase() {
        progress_writer(&phase, &dir);
    }
    let test = "disk::a_full_disk_refuses_new_work_clearly_and_keeps_every_saved_answer";
    let trials = trials();
    let (mut acked, mut errors, mut reopen_errors) = (0, 0, 0);
    for trial in 0..trials {
        let dir = tempfile::tempdir().unwrap();
        let (mnt, out) = (dir.path().join("mnt"), dir.path().join("out"));
        // From a disk too small for the schema to one that takes a few hundred writes.
        let size = format!("{}k", 192 + 160 * (trial % 6));
        let run = on_tmpfs(
            test,
            &mnt,
            &size,
            &out,
            &["write", "full", "grow:16m", "resume"],
            &[],
        );
        let context = format!("trial {trial} (tmpfs of {size})");
        let mut acks = Acks::default();
        acks.take(run.lines("write"));
        assert!(
            !acks.errors.is_empty(),
            "{context}: the disk never filled: {} acknowledged",
            acks.acknowledged()
        );
        for (call, message) in &acks.errors {
            assert!(
                says_disk_full(message),
                "{context}: {call} failed with an unclear message: {message}"
            );
        }
        let write_errors = acks.errors.len();
        acks.take(run.lines("full"));
        let reopen = acks.notes.iter().find(|n| n.starts_with("reopen"));
        if let Some(reopen) = reopen {
            assert_eq!(
                reopen, "reopen None",
                "{context}: a sound file on a full disk was taken for damage"
            );
            assert!(
                acks.notes.iter().any(|n| n == "integrity ok"),
                "{context}: {:?}",
                acks.notes
            );
        } else {
            reopen_errors += 1;
        }
        for (call, message) in &acks.errors[write_errors..] {
            assert!(
                says_disk_full(message),
                "{context}: on the full disk {call} failed with an unclear message: {message}"
            );
        }
        let before_resume = acks.errors.len();
        acks.notes.clear();
        acks.take(run.lines("resume"));
        assert_eq!(
            acks.notes.first().map(String::as_str),
            Some("reopen None"),
            "{context}: {:?}",
            acks.notes
        );
        assert_eq!(
            acks.errors.len(),
            before_resume,
            "{context}: work failed with space free again: {:?}",
            &acks.errors[before_resume..]
        );
        check_database(&out.join("progress.sqlite3"), &acks, &context);
        acked += acks.acknowledged();
        errors += acks.errors.len();
    }
    eprintln!(
        "disk full (progress): trials {trials}, {acked} acknowledged writes all present, \
         {errors} disk-full errors, {reopen_errors} reopenings on the full disk refused"
    );
}

/// Runs `test` as the `phase` writer on `dir` under strace, failing the `nth` `fsync` or
/// `fdatasync` call (of any thread) with EIO.
fn under_strace(test: &str, dir: &Path, log: &Path, phase: &str, nth: u64) -> Run {
    let mut command = Command::new("/usr/bin/strace");
    command
        .args(["-f", "-qq", "-y", "-e", "trace=fsync,fdatasync", "-o"])
        .arg(log)
        .arg("-e")
        .arg(format!("inject=fsync,fdatasync:error=EIO:when={nth}"))
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads", "1", "-q"])
        .env(PHASE_ENV, phase)
        .env(DIR_ENV, dir);
    // The writer's lines all belong to its one phase.
    let mut run = collect(command);
    let lines = run.phases.remove("").unwrap_or_default();
    run.phases.insert(phase.to_owned(), lines);
    run
}

fn fsync_writer(dir: &Path) -> ! {
    let path = dir.join("progress.sqlite3");
    match ProgressDb::open(&path) {
        Ok(db) => work(&db, dir, 8, 100),
        Err(error) => kill::ack(
            &mut std::io::stdout().lock(),
            format_args!("error open {error}"),
        ),
    }
    std::process::exit(0)
}

#[test]
fn a_failed_fsync_is_reported_and_loses_nothing_acknowledged() {
    if let Some((_, dir)) = phase() {
        fsync_writer(&dir);
    }
    let test = "disk::a_failed_fsync_is_reported_and_loses_nothing_acknowledged";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.sqlite3");
    drop(ProgressDb::open(&path).unwrap());
    let trials = trials();
    let mut acks = Acks::default();
    let log = dir.path().join("strace.log");
    let (mut failed_writes, mut failed_dir_syncs) = (0, 0);
    for trial in 0..trials {
        // The first syncs (the WAL's creation), and some further in, among the ~60 the writer
        // makes.
        let nth = [1, 3, 2, 5, 8, 13, 21, 34, 44][trial as usize % 9];
        let run = under_strace(test, dir.path(), &log, "fsync", nth);
        let before = acks.errors.len();
        acks.take(run.lines("fsync"));
        let context = format!("trial {trial} (sync #{nth} fails)");
        let trace = std::fs::read_to_string(&log).unwrap();
        let injected: Vec<&str> = trace.lines().filter(|l| l.contains("INJECTED")).collect();
        assert_eq!(injected.len(), 1, "{context}: one sync failed: {trace}");
        let errors = &acks.errors[before..];
        // Which file's sync failed: `fsync(5</…/progress.sqlite3-wal>) = -1 EIO …`.
        if injected[0].contains("progress.sqlite3") {
            // The commit whose sync failed is reported, and only it; its caller acknowledged
            // nothing, and the next calls work again.
            assert_eq!(
                errors.len(),
                1,
                "{context}: {:?} for {}",
                errors,
                injected[0]
            );
            assert!(
                errors[0].1.contains("could not write to the disk")
                    && errors[0].1.contains("not saved"),
                "{context}: an unclear message: {}",
                errors[0].1
            );
            let after = run
                .lines("fsync")
                .iter()
                .skip_while(|l| !l.starts_with("error"))
                .count();
            assert!(after > 1, "{context}: nothing worked after the failed sync");
            failed_writes += 1;
        } else {
            // SQLite ignores a failed sync of the folder (after creating the WAL).
            assert!(
                errors.is_empty(),
                "{context}: {errors:?} for {}",
                injected[0]
            );
            failed_dir_syncs += 1;
        }
        check_database(&path, &acks, &context);
    }
    eprintln!(
        "fsync EIO: trials {trials}, {} acknowledged writes all present, {failed_writes} failed \
         commits reported, {failed_dir_syncs} failed folder syncs ignored by SQLite",
        acks.acknowledged()
    );
}

/// A progress file with `before` submissions in the outbox when its backup was made and `after`
/// more since; returns the outbox ids, oldest first.
fn progress_with_outbox(path: &Path, before: usize, after: usize) -> Vec<String> {
    let db = ProgressDb::open(path).unwrap();
    let quiz = quiz();
    let mut ids = Vec::new();
    for n in 0..before + after {
        if n == before && before > 0 {
            db.backup().unwrap();
        }
        let attempt = attempts::start(&db, &quiz, 1_000 + n as i64, None).unwrap();
        let answer = Answer::ShortAnswer { text: "1".into() };
        attempts::save_answer(&db, &quiz, &attempt.id, "q1", &answer, 1_001).unwrap();
        // Enough events that the file has many pages to damage.
        let events: Vec<Event> = (0..300)
            .map(|i| Event {
                id: new_event_id(),
                course_id: "course".into(),
                item_id: format!("item-{i}"),
                kind: EventKind::Opened,
                at_ms: i,
                value: None,
                unit: None,
                end: None,
            })
            .collect();
        db.record(&events).unwrap();
        ids.push(attempts::submit(&db, &quiz, &attempt.id, 2_000).unwrap().id);
    }
    ids
}

#[test]
fn a_damaged_or_truncated_file_at_start_is_kept_and_the_outbox_restored_with_a_notice() {
    let (mut restored, mut fresh) = (0, 0);
    for (damage, backup) in [
        ("truncated to a third", true),
        ("truncated to a third", false),
        ("truncated inside its header", true),
        ("garbage in the middle pages", true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.sqlite3");
        let ids = progress_with_outbox(&path, if backup { 3 } else { 0 }, 2);
        assert_eq!(dir.path().join("progress.sqlite3.backup").exists(), backup);
        let mut bytes = std::fs::read(&path).unwrap();
        match damage {
            "truncated to a third" => bytes.truncate(bytes.len() / 3 + 100),
            "truncated inside its header" => bytes.truncate(60),
            _ => {
                let len = bytes.len();
                bytes[8192..len - 8192].fill(0xA5);
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        let context = format!("{damage}, backup: {backup}");

        let (db, recovery) = ProgressDb::open_or_recover(&path).unwrap();
        let moved_to = match &recovery {
            Recovery::RestoredFromBackup { moved_to, .. } if backup => {
                restored += 1;
                moved_to
            }
            Recovery::StartedFresh { moved_to } if !backup => {
                fresh += 1;
                moved_to
            }
            other => panic!("{context}: {other:?}"),
        };
        assert_eq!(
            std::fs::read(moved_to).unwrap(),
            bytes,
            "{context}: the damaged file is kept as it was, never deleted"
        );
        assert_eq!(integrity(&db), "ok", "{context}");
        let queued: HashSet<String> = outbox::list(&db)
            .unwrap()
            .into_iter()
            .map(|entry| entry.id)
            .collect();
        let expected: HashSet<String> = ids[..if backup { 3 } else { 0 }].iter().cloned().collect();
        assert_eq!(
            queued, expected,
            "{context}: the outbox is the backup's; later submissions are only in the kept file, \
             which the recovery notice names"
        );
    }
    eprintln!(
        "damaged at start: 4 files, {restored} restored from the backup with its outbox, \
         {fresh} started fresh, every damaged file kept"
    );
}

/// Files under `dir`, recursively, as paths relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found.sort();
    found
}

/// What a library on `dir` holds besides its index: installed courses, objects, staging.
fn library_state(dir: &Path) -> String {
    let library = carrel_core::library::Library::open(dir).unwrap();
    let staging = files_under(&dir.join("staging")).len();
    let objects = files_under(&dir.join("objects")).len();
    format!(
        "courses {} objects {objects} staging {staging}",
        library.list().unwrap().len()
    )
}

fn course_writer(phase: &str, dir: &Path) -> ! {
    let mut out = std::io::stdout().lock();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let library =
        std::sync::Arc::new(carrel_core::library::Library::open(&dir.join("library")).unwrap());
    let downloads = dir.join("downloads");
    let server =
        carrel_core::settings::ServerUrl::parse(&std::env::var("CARREL_DISK_SERVER").unwrap())
            .unwrap();
    let http = crate::client();
    let install = || {
        runtime.block_on(async {
            let catalog = carrel_core::library::download::fetch_catalog(&http, &server).await?;
            carrel_core::library::download::install_from_server(
                library.clone(),
                &http,
                &server,
                &catalog,
                &catalog.courses[0],
                &downloads,
                carrel_core::library::download::Task::unobserved(),
            )
            .await
        })
    };
    match phase {
        "download" => {
            // Too small from the start: refused before a byte is downloaded.
            let error = install().unwrap_err();
            kill::ack(&mut out, format_args!("install {error}"));
            kill::ack(
                &mut out,
                format_args!("left {}", files_under(&downloads).len()),
            );
            // Filling up during the download (the disk was taken by something else meanwhile).
            let error = runtime
                .block_on(async {
                    let catalog =
                        carrel_core::library::download::fetch_catalog(&http, &server).await?;
                    carrel_core::library::download::download_package(
                        &http,
                        &server,
                        &catalog.courses[0],
                        &downloads,
                        &|_| {},
                        &carrel_package::store::Cancel::default(),
                    )
                    .await
                })
                .unwrap_err();
            kill::ack(&mut out, format_args!("download {error}"));
            kill::ack(&mut out, format_args!("kept {:?}", files_under(&downloads)));
            kill::ack(
                &mut out,
                format_args!("state {}", library_state(&dir.join("library"))),
            );
        }
        "resume" => {
            let report = install().unwrap();
            kill::ack(&mut out, format_args!("installed {}", report.course_id));
            kill::ack(&mut out, format_args!("kept {:?}", files_under(&downloads)));
            kill::ack(
                &mut out,
                format_args!("state {}", library_state(&dir.join("library"))),
            );
        }
        "import" => {
            // The check before starting passes; then another program fills the disk.
            let package = PathBuf::from(std::env::var("CARREL_DISK_PACKAGE").unwrap());
            let filler = dir.join("filler");
            let fill = std::sync::Once::new();
            let progress = |p: carrel_core::library::TaskProgress| {
                if p.done_bytes > 0 {
                    fill.call_once(|| {
                        use std::io::Write;
                        let mut file = std::fs::File::create(&filler).unwrap();
                        let block = vec![7u8; 1 << 20];
                        while file.write_all(&block).is_ok() {}
                        let _ = file.write_all(&block[..4096]);
                    });
                }
            };
            let trust = carrel_package::store::Trust {
                vouched: vec![carrel_package::testing::sample_key().public_key()],
                confirmed: None,
            };
            let import = |progress: &(dyn Fn(carrel_core::library::TaskProgress) + Sync)| {
                library.import_file(
                    &package,
                    trust.clone(),
                    progress,
                    carrel_package::store::Cancel::default(),
                )
            };
            let error = import(&progress).unwrap_err();
            kill::ack(&mut out, format_args!("import {error}"));
            drop(library);
            kill::ack(
                &mut out,
                format_args!("state {}", library_state(&dir.join("library"))),
            );
            std::fs::remove_file(&filler).unwrap();
            let library = carrel_core::library::Library::open(&dir.join("library")).unwrap();
            let report = library
                .import_file(
                    &package,
                    trust.clone(),
                    &|_| {},
                    carrel_package::store::Cancel::default(),
                )
                .unwrap();
            kill::ack(&mut out, format_args!("installed {}", report.course_id));
            drop(library);
            kill::ack(
                &mut out,
                format_args!("state {}", library_state(&dir.join("library"))),
            );
        }
        other => panic!("no phase {other}"),
    }
    drop(out);
    std::process::exit(0)
}

#[test]
fn a_full_disk_refuses_a_download_or_import_clearly_and_installs_nothing_half() {
    if let Some((phase, dir)) = phase() {
        course_writer(&phase, &dir);
    }
    let test = "disk::a_full_disk_refuses_a_download_or_import_clearly_and_installs_nothing_half";
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime
        .block_on(carrel_server::testing::LoopbackServer::start(
            &dir.path().join("server"),
        ))
        .unwrap();
    let source = dir.path().join("source");
    carrel_package::testing::write_sample_source(&source, "1.0.0", 3_000_000).unwrap();
    let package = dir.path().join("course.carrel");
    carrel_package::source::build(&source, &carrel_package::testing::sample_key(), &package)
        .unwrap();
    runtime.block_on(async {
        let storage = carrel_server::Storage::open(server.db()).unwrap();
        carrel_server::publish::publish_package(&storage, server.data(), &package)
            .await
            .unwrap();
    });
    let url = server.url();
    let package_text = package.display().to_string();
    let env = [
        ("CARREL_DISK_SERVER", url.as_str()),
        ("CARREL_DISK_PACKAGE", package_text.as_str()),
    ];
    let trials = trials();
    let mut seen = Vec::new();
    for trial in 0..trials {
        let context = format!("trial {trial}");
        // Download: a tmpfs smaller than the package (about 3 MB), then space freed.
        let size = format!("{}k", 768 + 512 * (trial % 4));
        let (mnt, out) = (
            dir.path().join(format!("mnt-{trial}")),
            dir.path().join(format!("out-{trial}")),
        );
        let run = on_tmpfs(
            test,
            &mnt,
            &size,
            &out,
            &["download", "grow:256m", "resume"],
            &env,
        );
        let lines = run.lines("download");
        let no_space = |line: &str| says_disk_full(line) && line.contains("MB are free");
        assert!(
            lines[0].starts_with("install ") && no_space(&lines[0]),
            "{context}: {lines:?}"
        );
        assert_eq!(
            lines[1], "left 0",
            "{context}: nothing downloaded before the check"
        );
        assert!(
            lines[2].starts_with("download ") && no_space(&lines[2]),
            "{context}: {lines:?}"
        );
        assert!(
            lines[3].contains(".partial") && !lines[3].contains(".carrel"),
            "{context}: only the partial download is kept, for a resume: {lines:?}"
        );
        assert_eq!(lines[4], "state courses 0 objects 0 staging 0", "{context}");
        let lines = run.lines("resume");
        assert_eq!(
            lines,
            [
                format!("installed {}", carrel_package::testing::SAMPLE_COURSE_ID),
                "kept []".to_owned(),
                lines[2].clone(),
            ],
            "{context}"
        );
        assert!(lines[2].starts_with("state courses 1 ") && lines[2].ends_with(" staging 0"));
        seen.push(run.lines("download")[2].clone());

        // Import: room at the check, filled during the copy, then space freed.
        let (mnt, out) = (
            dir.path().join(format!("imnt-{trial}")),
            dir.path().join(format!("iout-{trial}")),
        );
        let run = on_tmpfs(test, &mnt, "96m", &out, &["import"], &env);
        let lines = run.lines("import");
        assert!(
            lines[0].starts_with("import ") && no_space(&lines[0]),
            "{context}: {lines:?}"
        );
        assert_eq!(
            lines[1], "state courses 0 objects 0 staging 0",
            "{context}: half installed"
        );
        assert!(lines[2].starts_with("installed "), "{context}: {lines:?}");
        assert!(lines[3].starts_with("state courses 1 ") && lines[3].ends_with(" staging 0"));
        seen.push(lines[0].clone());
    }
    runtime.block_on(server.stop()).unwrap();
    eprintln!(
        "disk full (courses): trials {trials}, {} downloads and imports refused clearly, \
         resumed and installed whole once space was freed; e.g. “{}”",
        seen.len(),
        seen[0]
    );
}
