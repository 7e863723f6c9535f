//! Quiz and assignment saves: what one answer, one draft save and one submission cost, beside the
//! bare SQLite write they are built on, interleaved in the same run on the same disk, reported as
//! medians and p95 with their ratios. Nothing here asserts on time.
//!
//! ```text
//! cargo bench -p carrel-bench --bench assess
//! CARREL_BENCH_ROUNDS=400 …   timed rounds of each (default 300)
//! ```
//!
//! Every Carrel write is a transaction with `synchronous = FULL` (the learner is told "saved"
//! only after it is on disk), so its floor is the disk's flush. Each round times, in rotating
//! order:
//! - **answer**: `attempts::save_answer` (answer checked against its question, attempt and
//!   deadline checked, upsert) on a 10-question quiz;
//! - **draft**: `assignments::save_draft` of a 2,000-word text (history snapshot rule, upsert);
//! - **baseline**: a bare `INSERT … ON CONFLICT DO UPDATE` of the same answer JSON in its own
//!   transaction, on its own connection with the same pragmas, to a table in the same folder.
//!
//! Submissions are timed once per attempt (each closes it), beside a bare transaction of the same
//! shape: one row closed and the same payload inserted.

use std::time::Instant;

use carrel_bench::{Table, env_or, median, repo_root};
use carrel_core::assess::Answer;
use carrel_core::assess::assignments::{self, AssignmentItem, DraftEdit};
use carrel_core::assess::attempts::{self, QuizItem};
use carrel_core::progress::ProgressDb;
use rusqlite::Connection;

fn quiz() -> anyhow::Result<QuizItem> {
    let questions: Vec<serde_json::Value> = (1..=10)
        .map(|n| {
            serde_json::json!({"id": format!("q{n}"), "prompt": "Which?", "type": "single_choice",
                "choices": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}, {"id": "c", "text": "C"}],
                "answer": "b"})
        })
        .collect();
    let quiz = serde_json::from_value(serde_json::json!({
        "id": "quiz", "title": "Quiz", "mode": "practice", "passing_score": 0.5,
        "questions": questions
    }))?;
    Ok(QuizItem {
        course_id: "course".into(),
        course_version: "1.0.0".into(),
        item_id: "quiz".into(),
        title: "Quiz".into(),
        quiz,
        sha256: "0".repeat(64),
    })
}

fn assignment() -> anyhow::Result<AssignmentItem> {
    Ok(AssignmentItem {
        course_id: "course".into(),
        course_version: "1.0.0".into(),
        item_id: "essay".into(),
        title: "Essay".into(),
        assignment: serde_json::from_value(serde_json::json!({
            "id": "essay", "title": "Essay", "kind": "individual", "instructions": "brief.html",
            "resubmission": true
        }))?,
    })
}

fn p95(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() as f64 * 0.95).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

// The results table is this benchmark's output.
#[allow(clippy::print_stdout)]
fn main() -> anyhow::Result<()> {
    let rounds = env_or("CARREL_BENCH_ROUNDS", 300_usize).max(20);
    let data = repo_root().join("target/bench-data");
    std::fs::create_dir_all(&data)?;
    let work = tempfile::Builder::new()
        .prefix("assess-run-")
        .tempdir_in(&data)?;
    let db = ProgressDb::open(&work.path().join("progress.sqlite3"))?;
    let base = Connection::open(work.path().join("baseline.sqlite3"))?;
    base.pragma_update(None, "journal_mode", "WAL")?;
    base.pragma_update(None, "synchronous", "FULL")?;
    base.execute_batch(
        "CREATE TABLE outbox (id TEXT PRIMARY KEY, payload TEXT NOT NULL) STRICT;
         CREATE TABLE attempts (id TEXT PRIMARY KEY, submitted_ms INTEGER) STRICT;
         CREATE TABLE answers (attempt_id TEXT NOT NULL, question_id TEXT NOT NULL,
             answer TEXT NOT NULL, saved_ms INTEGER NOT NULL, PRIMARY KEY (attempt_id, question_id)) STRICT",
    )?;
    let (quiz, assignment) = (quiz()?, assignment()?);
    let words: Vec<&str> = ["labour", "migration", "convention", "rights", "inspection"]
        .into_iter()
        .cycle()
        .take(2_000)
        .collect();
    let text = words.join(" ");

    let now = || carrel_protocol::unix_time_ms() as i64;
    let baseline = |n: usize| -> anyhow::Result<f64> {
        let answer = serde_json::to_string(&Answer::SingleChoice { choice: "b".into() })?;
        let start = Instant::now();
        let tx = base.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO answers (attempt_id, question_id, answer, saved_ms) VALUES ('a', ?1, ?2, ?3)
             ON CONFLICT (attempt_id, question_id) DO UPDATE SET answer = excluded.answer, saved_ms = excluded.saved_ms",
            rusqlite::params![format!("q{}", n % 10 + 1), answer, n as i64],
        )?;
        tx.commit()?;
        Ok(ms(start))
    };
    // A submission's bare shape: close a row and insert a payload of the same size, in one
    // transaction.
    let submit_baseline = |n: usize, payload: &str| -> anyhow::Result<f64> {
        let start = Instant::now();
        let tx = base.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO attempts (id, submitted_ms) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET submitted_ms = excluded.submitted_ms",
            rusqlite::params![format!("attempt-{n}"), n as i64],
        )?;
        tx.execute(
            "INSERT INTO outbox (id, payload) VALUES (?1, ?2)",
            rusqlite::params![format!("submission-{n}"), payload],
        )?;
        tx.commit()?;
        Ok(ms(start))
    };
    let (mut answer_ms, mut draft_ms, mut base_ms) = (Vec::new(), Vec::new(), Vec::new());
    let (mut submit_ms, mut submit_base_ms) = (Vec::new(), Vec::new());
    let mut attempt = attempts::start(&db, &quiz, now(), None)?;
    for n in 0..rounds {
        for which in 0..3 {
            match (n + which) % 3 {
                0 => {
                    let answer = Answer::SingleChoice {
                        choice: ["a", "b", "c"][n % 3].into(),
                    };
                    let question = format!("q{}", n % 10 + 1);
                    let start = Instant::now();
                    attempts::save_answer(&db, &quiz, &attempt.id, &question, &answer, now())?;
                    answer_ms.push(ms(start));
                }
                1 => {
                    let edit = DraftEdit {
                        text: format!("{text} {n}"),
                        group_name: None,
                        declared: false,
                    };
                    let start = Instant::now();
                    assignments::save_draft(&db, &assignment, &edit, now())?;
                    draft_ms.push(ms(start));
                }
                _ => base_ms.push(baseline(n)?),
            }
        }
        if n % 10 == 9 {
            let start = Instant::now();
            let entry = attempts::submit(&db, &quiz, &attempt.id, now())?;
            submit_ms.push(ms(start));
            let (_, payload) = carrel_core::assess::outbox::get(&db, &entry.id)?;
            submit_base_ms.push(submit_baseline(n, &String::from_utf8(payload)?)?);
            attempt = attempts::start(&db, &quiz, now(), None)?;
        }
    }

    let mut table = Table::new(&[
        "write",
        "median ms",
        "p95 ms",
        "baseline median / p95 ms",
        "ratio of medians",
    ]);
    let base_median = median(&base_ms);
    for (name, values, base) in [
        ("save one answer", &answer_ms, &base_ms),
        ("save a 2,000-word draft", &draft_ms, &base_ms),
        (
            "submit an attempt (10 answers)",
            &submit_ms,
            &submit_base_ms,
        ),
    ] {
        table.row([
            name.to_owned(),
            format!("{:.2}", median(values)),
            format!("{:.2}", p95(values)),
            format!("{:.2} / {:.2}", median(base), p95(base)),
            format!("{:.2}×", median(values) / median(base)),
        ]);
    }
    println!(
        "{rounds} rounds; baselines on their own connection, synchronous=FULL, same disk: a \
         bare upsert of the answer (median {base_median:.2} ms); for submit, closing a row and \
         inserting the same payload in one transaction"
    );
    println!("{}", table.render());
    Ok(())
}
