//! Assignments: a draft saved as the learner types, with a short history of earlier texts,
//! attachments copied into the [`AttachmentStore`], and submission of a draft revision into the
//! outbox.
//!
//! Drafts never vanish: submitting copies the draft into the outbox and keeps it, restoring an
//! earlier text first keeps the current one in the history, and nothing here deletes a draft. The
//! history keeps a snapshot of the text at most every [`SNAPSHOT_EVERY_MS`] while the learner
//! writes, the [`HISTORY`] newest per assignment.
//!
//! A draft has a revision that grows with every change (text, group, declaration, attachments).
//! Submitting names the revision the learner reviewed: a changed draft is not submitted behind
//! their back, and the same revision cannot be queued twice (it is the outbox source key), while a
//! later revision is a resubmission — a new version — where the assignment allows it.

use carrel_package::activity::{AssignmentDefinition, AssignmentKind};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::AssessError;
use super::attachments::{AttachmentStore, human_size};
use super::grade::word_count;
use super::outbox::{self, AttachmentInfo, NewSubmission, OutboxEntry, SubmissionKind};
use crate::progress::{self, ProgressDb};
use crate::sync::changes::ServerGroup;

/// How often the history takes a snapshot while the learner writes.
pub const SNAPSHOT_EVERY_MS: i64 = 2 * 60 * 1000;
/// How many earlier texts the history keeps per assignment.
pub const HISTORY: usize = 20;

/// The assignment a draft belongs to, as installed.
#[derive(Debug, Clone)]
pub struct AssignmentItem {
    /// Course id.
    pub course_id: String,
    /// Course version installed.
    pub course_version: String,
    /// Item id.
    pub item_id: String,
    /// Item title.
    pub title: String,
    /// The definition.
    pub assignment: AssignmentDefinition,
}

impl AssignmentItem {
    fn max_bytes(&self) -> Option<u64> {
        self.assignment
            .max_attachment_mb
            .map(|mb| u64::from(mb) * 1024 * 1024)
    }
}

/// The learner's draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Draft {
    /// The text (Markdown).
    pub text: String,
    /// Group work: the group it is submitted for.
    pub group_name: Option<String>,
    /// The declaration is confirmed.
    pub declared: bool,
    /// Grows with every change; 0 before the first.
    #[ts(type = "number")]
    pub revision: i64,
    /// Last saved (unix ms).
    #[ts(type = "number | null")]
    pub updated_ms: Option<i64>,
}

/// What the editor saves.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DraftEdit {
    /// The text (Markdown).
    pub text: String,
    /// Group work: the group.
    pub group_name: Option<String>,
    /// The declaration is confirmed.
    pub declared: bool,
}

/// An earlier text of the draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DraftVersion {
    /// Its id, to look at or restore it.
    #[ts(type = "number")]
    pub id: i64,
    /// When it was the draft (unix ms).
    #[ts(type = "number")]
    pub saved_ms: i64,
    /// Its words.
    pub words: u32,
    /// Its beginning.
    pub preview: String,
}

/// An assignment with the learner's draft and submissions, for the editor.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentState {
    /// Course id.
    pub course_id: String,
    /// Item id.
    pub item_id: String,
    /// Title.
    pub title: String,
    /// Submitted by one member on behalf of a group.
    pub group: bool,
    /// The brief: a page of the course.
    pub instructions_path: String,
    /// The deadline (unix ms): the package's, or the one the course server set for this learner.
    #[ts(type = "number | null")]
    pub due_ms: Option<i64>,
    /// Why the deadline differs from the course's (an extension the tutor gave), if it does.
    pub due_changed: Option<String>,
    /// The zone the deadline is set in.
    pub time_zone: Option<String>,
    /// Fewest words.
    pub min_words: Option<u32>,
    /// Most words.
    pub max_words: Option<u32>,
    /// Allowed attachment extensions (empty: any).
    pub allowed_types: Vec<String>,
    /// Largest attachment in bytes.
    #[ts(type = "number | null")]
    pub max_attachment_bytes: Option<u64>,
    /// Most attachments.
    pub max_attachments: Option<u32>,
    /// The declaration to confirm, if any.
    pub declaration: Option<String>,
    /// A new version can be submitted after the first.
    pub resubmission: bool,
    /// Group work: the learner's group on the course server (from the last sync), to submit for.
    pub server_group: Option<ServerGroup>,
    /// Group work: the group's members, files and latest submission of this assignment, as the
    /// course server last told this laptop.
    pub group_work: Option<crate::groups::GroupWork>,
    /// The draft.
    pub draft: Draft,
    /// Its attachments, in the order they were added.
    pub attachments: Vec<AttachmentInfo>,
    /// Earlier texts, newest first.
    pub versions: Vec<DraftVersion>,
    /// Submissions, oldest first.
    pub submissions: Vec<OutboxEntry>,
    /// The clock this was computed at (unix ms).
    #[ts(type = "number")]
    pub now_ms: i64,
}

/// An assignment as the server receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentSubmission {
    /// The outbox id: the server's idempotency key.
    pub submission_id: String,
    /// Course id.
    pub course_id: String,
    /// Course version.
    pub course_version: String,
    /// Item id.
    pub item_id: String,
    /// Assignment id.
    pub assignment_id: String,
    /// Group work: the group it is submitted for.
    pub group_name: Option<String>,
    /// 1 for the first submission, 2 for a resubmission…
    pub version: u32,
    /// The draft revision submitted.
    #[ts(type = "number")]
    pub revision: i64,
    /// The text (Markdown).
    pub text: String,
    /// Its words.
    pub words: u32,
    /// The declaration the learner confirmed, word for word.
    pub declaration: Option<String>,
    /// Submitted (device clock, unix ms).
    #[ts(type = "number")]
    pub submitted_ms: i64,
    /// Submitted after the deadline (by the device's clock).
    pub late: bool,
    /// The files, whose bytes the sync uploads by hash.
    pub attachments: Vec<AttachmentInfo>,
}

fn draft_in(tx: &Transaction<'_>, item: &AssignmentItem) -> rusqlite::Result<Draft> {
    Ok(tx
        .query_row(
            "SELECT text, group_name, declared, revision, updated_ms FROM drafts
             WHERE course_id = ?1 AND item_id = ?2",
            params![item.course_id, item.item_id],
            |row| {
                Ok(Draft {
                    text: row.get(0)?,
                    group_name: row.get(1)?,
                    declared: row.get(2)?,
                    revision: row.get(3)?,
                    updated_ms: row.get(4)?,
                })
            },
        )
        .optional()?
        .unwrap_or(Draft {
            text: String::new(),
            group_name: None,
            declared: false,
            revision: 0,
            updated_ms: None,
        }))
}

fn attachments_in(
    tx: &Transaction<'_>,
    item: &AssignmentItem,
) -> rusqlite::Result<Vec<AttachmentInfo>> {
    tx.prepare_cached(
        "SELECT sha256, name, size FROM draft_attachments WHERE course_id = ?1 AND item_id = ?2
         ORDER BY added_ms, rowid",
    )?
    .query_map(
        params![item.course_id, item.item_id],
        AttachmentInfo::from_row,
    )?
    .collect()
}

fn versions_in(tx: &Transaction<'_>, item: &AssignmentItem) -> rusqlite::Result<Vec<DraftVersion>> {
    tx.prepare_cached(
        "SELECT id, saved_ms, text FROM draft_versions WHERE course_id = ?1 AND item_id = ?2
         ORDER BY saved_ms DESC, id DESC",
    )?
    .query_map(params![item.course_id, item.item_id], |row| {
        let text: String = row.get(2)?;
        Ok(DraftVersion {
            id: row.get(0)?,
            saved_ms: row.get(1)?,
            words: word_count(&text) as u32,
            preview: preview(&text),
        })
    })?
    .collect()
}

fn preview(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// The due date in force, and why it is not the course's: an extension from the course server
/// (the latest schedule change for this item) replaces the package's date.
fn due_in(
    tx: &Transaction<'_>,
    item: &AssignmentItem,
) -> rusqlite::Result<(Option<i64>, Option<String>)> {
    let course_due = item.assignment.due.map(|due| due.as_millisecond());
    Ok(
        match crate::sync::changes::due_override_in(tx, &item.course_id, &item.item_id)? {
            Some(changed) if changed.due_ms != course_due => {
                (changed.due_ms, Some(changed.reason.unwrap_or_default()))
            }
            _ => (course_due, None),
        },
    )
}

/// The editor's view: definition, draft, attachments, history and submissions.
pub fn state(
    db: &ProgressDb,
    item: &AssignmentItem,
    now_ms: i64,
) -> Result<AssignmentState, AssessError> {
    db.transact(|tx| {
        let assignment = &item.assignment;
        let (due_ms, due_changed) = due_in(tx, item)?;
        Ok(AssignmentState {
            course_id: item.course_id.clone(),
            item_id: item.item_id.clone(),
            title: item.title.clone(),
            group: assignment.kind == AssignmentKind::Group,
            instructions_path: assignment.instructions.clone(),
            due_ms,
            due_changed,
            time_zone: assignment.time_zone.clone(),
            min_words: assignment.min_words,
            max_words: assignment.max_words,
            allowed_types: assignment.allowed_types.clone(),
            max_attachment_bytes: item.max_bytes(),
            max_attachments: assignment.max_attachments,
            declaration: assignment.declaration.clone(),
            resubmission: assignment.resubmission,
            server_group: if assignment.kind == AssignmentKind::Group {
                crate::sync::changes::group_in(tx, &item.course_id)?
            } else {
                None
            },
            group_work: if assignment.kind == AssignmentKind::Group {
                crate::groups::work_in(tx, &item.course_id, &item.item_id)?
            } else {
                None
            },
            draft: draft_in(tx, item)?,
            attachments: attachments_in(tx, item)?,
            versions: versions_in(tx, item)?,
            submissions: outbox::for_item_in(tx, &item.course_id, &item.item_id)?,
            now_ms,
        })
    })
}

/// Takes a snapshot of `text` into the history, keeping the newest [`HISTORY`].
fn snapshot_in(
    tx: &Transaction<'_>,
    item: &AssignmentItem,
    text: &str,
    now_ms: i64,
) -> rusqlite::Result<()> {
    let latest: Option<String> = tx
        .query_row(
            "SELECT text FROM draft_versions WHERE course_id = ?1 AND item_id = ?2
             ORDER BY saved_ms DESC, id DESC LIMIT 1",
            params![item.course_id, item.item_id],
            |row| row.get(0),
        )
        .optional()?;
    if text.trim().is_empty() || latest.as_deref() == Some(text) {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO draft_versions (course_id, item_id, text, saved_ms) VALUES (?1, ?2, ?3, ?4)",
        params![item.course_id, item.item_id, text, now_ms],
    )?;
    tx.execute(
        "DELETE FROM draft_versions WHERE course_id = ?1 AND item_id = ?2 AND id NOT IN (
             SELECT id FROM draft_versions WHERE course_id = ?1 AND item_id = ?2
             ORDER BY saved_ms DESC, id DESC LIMIT ?3)",
        params![item.course_id, item.item_id, HISTORY as i64],
    )?;
    Ok(())
}

fn write_draft_in(
    tx: &Transaction<'_>,
    item: &AssignmentItem,
    edit: &DraftEdit,
    now_ms: i64,
) -> rusqlite::Result<Draft> {
    let group_name = edit
        .group_name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty());
    tx.execute(
        "INSERT INTO drafts (course_id, item_id, text, group_name, declared, revision, updated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)
         ON CONFLICT (course_id, item_id) DO UPDATE SET text = excluded.text,
             group_name = excluded.group_name, declared = excluded.declared,
             revision = revision + 1, updated_ms = excluded.updated_ms",
        params![
            item.course_id,
            item.item_id,
            edit.text,
            group_name,
            edit.declared,
            now_ms
        ],
    )?;
    draft_in(tx, item)
}

/// Saves the draft, durably, before returning. While the learner writes, the text as it was is
/// kept in the history at most every [`SNAPSHOT_EVERY_MS`].
pub fn save_draft(
    db: &ProgressDb,
    item: &AssignmentItem,
    edit: &DraftEdit,
    now_ms: i64,
) -> Result<Draft, AssessError> {
    db.transact(|tx| {
        let before = draft_in(tx, item)?;
        if before.text == edit.text
            && before.group_name.as_deref()
                == edit
                    .group_name
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
            && before.declared == edit.declared
        {
            return Ok(before);
        }
        let last_snapshot: Option<i64> = tx.query_row(
            "SELECT max(saved_ms) FROM draft_versions WHERE course_id = ?1 AND item_id = ?2",
            params![item.course_id, item.item_id],
            |row| row.get(0),
        )?;
        if before.text != edit.text
            && last_snapshot.is_none_or(|at| now_ms - at >= SNAPSHOT_EVERY_MS)
        {
            snapshot_in(tx, item, &before.text, before.updated_ms.unwrap_or(now_ms))?;
        }
        Ok(write_draft_in(tx, item, edit, now_ms)?)
    })
}

/// The full text of an earlier version.
pub fn version_text(
    db: &ProgressDb,
    item: &AssignmentItem,
    version_id: i64,
) -> Result<String, AssessError> {
    db.transact(|tx| {
        tx.query_row(
            "SELECT text FROM draft_versions WHERE id = ?1 AND course_id = ?2 AND item_id = ?3",
            params![version_id, item.course_id, item.item_id],
            |row| row.get(0),
        )
        .optional()?
        .ok_or_else(|| AssessError::NotFound {
            what: "draft version",
            id: version_id.to_string(),
        })
    })
}

/// Makes an earlier text the draft again; the current text goes into the history first.
pub fn restore_version(
    db: &ProgressDb,
    item: &AssignmentItem,
    version_id: i64,
    now_ms: i64,
) -> Result<Draft, AssessError> {
    let text = version_text(db, item, version_id)?;
    db.transact(|tx| {
        let before = draft_in(tx, item)?;
        snapshot_in(tx, item, &before.text, now_ms)?;
        let edit = DraftEdit {
            text,
            group_name: before.group_name,
            declared: before.declared,
        };
        Ok(write_draft_in(tx, item, &edit, now_ms)?)
    })
}

fn touch_in(tx: &Transaction<'_>, item: &AssignmentItem, now_ms: i64) -> rusqlite::Result<Draft> {
    let draft = draft_in(tx, item)?;
    write_draft_in(
        tx,
        item,
        &DraftEdit {
            text: draft.text,
            group_name: draft.group_name,
            declared: draft.declared,
        },
        now_ms,
    )
}

/// Attaches the file at `path`: checks its type, size and the number of attachments, copies it
/// into the store and lists it on the draft. The draft is unchanged when it is refused.
pub fn add_attachment(
    db: &ProgressDb,
    store: &AttachmentStore,
    item: &AssignmentItem,
    path: &std::path::Path,
    now_ms: i64,
) -> Result<AttachmentInfo, AssessError> {
    let assignment = &item.assignment;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| AssessError::Attachment {
            name: path.display().to_string(),
            problem: "it is not a file".into(),
        })?;
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if !assignment.allowed_types.is_empty() && !assignment.allowed_types.contains(&extension) {
        return Err(AssessError::Attachment {
            name,
            problem: format!(
                "this assignment accepts only {} files; save or export it as one of those",
                assignment.allowed_types.join(", ")
            ),
        });
    }
    let count = db.transact(|tx| Ok::<_, AssessError>(attachments_in(tx, item)?.len()))?;
    if let Some(max) = assignment.max_attachments
        && count >= max as usize
    {
        return Err(AssessError::Attachment {
            name,
            problem: format!(
                "this assignment takes at most {max} attachments; remove one to add another"
            ),
        });
    }
    let stored = store.put(path, item.max_bytes())?;
    db.transact(|tx| {
        let attachments = attachments_in(tx, item)?;
        if attachments.iter().any(|a| a.sha256 == stored.sha256) {
            return Err(AssessError::Attachment {
                name: name.clone(),
                problem: "the same file is already attached".into(),
            });
        }
        if let Some(max) = assignment.max_attachments
            && attachments.len() >= max as usize
        {
            return Err(AssessError::Attachment {
                name: name.clone(),
                problem: format!("this assignment takes at most {max} attachments"),
            });
        }
        tx.execute(
            "INSERT INTO draft_attachments (course_id, item_id, sha256, name, size, added_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                item.course_id,
                item.item_id,
                stored.sha256,
                name,
                stored.size as i64,
                now_ms
            ],
        )?;
        touch_in(tx, item, now_ms)?;
        Ok(AttachmentInfo {
            sha256: stored.sha256.clone(),
            name: name.clone(),
            size: stored.size,
        })
    })
}

/// Takes an attachment off the draft (its copy stays in the store for earlier submissions).
pub fn remove_attachment(
    db: &ProgressDb,
    item: &AssignmentItem,
    sha256: &str,
    now_ms: i64,
) -> Result<Draft, AssessError> {
    db.transact(|tx| {
        let removed = tx.execute(
            "DELETE FROM draft_attachments WHERE course_id = ?1 AND item_id = ?2 AND sha256 = ?3",
            params![item.course_id, item.item_id, sha256],
        )?;
        if removed == 0 {
            return Err(AssessError::NotFound {
                what: "attachment",
                id: sha256.to_owned(),
            });
        }
        Ok(touch_in(tx, item, now_ms)?)
    })
}

/// Submits draft `revision` (the one the learner reviewed) into the outbox. Refused, with the
/// draft intact, when the draft has changed since, is empty, lacks the declaration or the group,
/// when an attachment's copy is missing or damaged, and when it was already submitted or the
/// assignment takes no resubmission.
pub fn submit(
    db: &ProgressDb,
    store: &AttachmentStore,
    item: &AssignmentItem,
    revision: i64,
    now_ms: i64,
) -> Result<OutboxEntry, AssessError> {
    let assignment = &item.assignment;
    let (draft, attachments) =
        db.transact(|tx| Ok::<_, AssessError>((draft_in(tx, item)?, attachments_in(tx, item)?)))?;
    if draft.revision != revision {
        return Err(AssessError::DraftChanged);
    }
    if draft.text.trim().is_empty() && attachments.is_empty() {
        return Err(AssessError::NotReady(
            "There is nothing to submit yet: write your text or attach your file first.".into(),
        ));
    }
    // Group work goes for the group the learner named, or else their group on the server.
    let group_name = match assignment.kind {
        AssignmentKind::Individual => None,
        AssignmentKind::Group => match &draft.group_name {
            Some(name) => Some(name.clone()),
            None => db
                .transact(|tx| {
                    Ok::<_, AssessError>(crate::sync::changes::group_in(tx, &item.course_id)?)
                })?
                .map(|group| group.name),
        },
    };
    if assignment.kind == AssignmentKind::Group && group_name.is_none() {
        return Err(AssessError::NotReady(
            "This is group work: enter the name of the group you submit for.".into(),
        ));
    }
    if assignment.declaration.is_some() && !draft.declared {
        return Err(AssessError::NotReady(
            "Confirm the declaration before submitting.".into(),
        ));
    }
    for attachment in &attachments {
        store.verify(&attachment.sha256, &attachment.name)?;
    }
    db.transact(|tx| {
        let current = draft_in(tx, item)?;
        if current.revision != revision {
            return Err(AssessError::DraftChanged);
        }
        let source = format!(
            "assignment:{}:{}:{}",
            item.course_id, item.item_id, revision
        );
        let queued: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE source = ?1)",
            [&source],
            |row| row.get(0),
        )?;
        if queued {
            return Err(AssessError::AlreadySubmitted);
        }
        let earlier = outbox::for_item_in(tx, &item.course_id, &item.item_id)?;
        if !earlier.is_empty() && !assignment.resubmission {
            return Err(AssessError::NoResubmission);
        }
        if assignment.kind == AssignmentKind::Group && !assignment.resubmission {
            let by_other = crate::groups::work_in(tx, &item.course_id, &item.item_id)?
                .and_then(|work| work.submission)
                .filter(|submission| !submission.by_you);
            if let Some(submission) = by_other {
                return Err(AssessError::NotReady(format!(
                    "{} already submitted this for your group, and the assignment takes one \
                     submission per group",
                    submission.submitted_by
                )));
            }
        }
        let version = earlier.last().map_or(1, |entry| entry.version + 1);
        let id = progress::new_event_id();
        let (due_ms, _) = due_in(tx, item)?;
        let submission = AssignmentSubmission {
            submission_id: id.clone(),
            course_id: item.course_id.clone(),
            course_version: item.course_version.clone(),
            item_id: item.item_id.clone(),
            assignment_id: assignment.id.clone(),
            group_name: group_name.clone(),
            version,
            revision,
            text: current.text.clone(),
            words: word_count(&current.text) as u32,
            declaration: assignment.declaration.clone().filter(|_| current.declared),
            submitted_ms: now_ms,
            late: due_ms.is_some_and(|due| now_ms > due),
            attachments: attachments.clone(),
        };
        let payload = serde_json::to_vec(&submission).expect("submissions serialize");
        outbox::enqueue(
            tx,
            &id,
            &NewSubmission {
                kind: SubmissionKind::Assignment,
                course_id: &item.course_id,
                item_id: &item.item_id,
                title: &item.title,
                source: &source,
                version,
                payload: &payload,
                grade: None,
                attachments: &attachments,
                due_ms,
                now_ms,
            },
        )?;
        snapshot_in(tx, item, &current.text, now_ms)?;
        let completed = progress::Event {
            id: progress::new_event_id(),
            course_id: item.course_id.clone(),
            item_id: item.item_id.clone(),
            kind: progress::EventKind::Completed,
            at_ms: now_ms,
            value: None,
            unit: None,
            end: None,
        };
        progress::record_in(tx, &[completed])?;
        outbox::for_item_in(tx, &item.course_id, &item.item_id)?
            .into_iter()
            .find(|entry| entry.id == id)
            .ok_or(AssessError::AlreadySubmitted)
    })
}

/// "2 MB" for messages about the size limit.
pub fn size_limit(item: &AssignmentItem) -> Option<String> {
    item.max_bytes().map(human_size)
}
