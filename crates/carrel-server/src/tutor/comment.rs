//! Commenting on a submission: the comment is stored and put in the learner's feed as a
//! [`Comment`] change, in one transaction.

use crate::storage::sql::params;
use carrel_protocol::changes::{ChangeBody, Comment};

use super::{Actor, TutorError, signature_in, visible_in};
use crate::storage::Storage;

/// Longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 20_000;

/// Adds `text` (Markdown) as `actor`'s comment on submission `server_id`.
pub async fn add(
    storage: &Storage,
    actor: Actor,
    server_id: i64,
    text: &str,
) -> Result<Comment, TutorError> {
    let text = text.trim().to_owned();
    if text.is_empty() || text.chars().count() > MAX_COMMENT_CHARS {
        return Err(TutorError::InvalidComment(format!(
            "write between 1 and {MAX_COMMENT_CHARS} characters"
        )));
    }
    storage
        .transact(move |tx| {
            // A failing database is the transaction's error (rolled back, and on PostgreSQL run
            // again after a lost race); a refusal is an answer.
            let summary = match visible_in(tx, &actor, server_id) {
                Ok(summary) => summary,
                Err(TutorError::Storage(error)) => return Err(error),
                Err(error) => return Ok(Err(error)),
            };
            let (author, author_id) = match signature_in(tx, &actor) {
                Ok(signature) => signature,
                Err(TutorError::Storage(error)) => return Err(error),
                Err(error) => return Ok(Err(error)),
            };
            let at_ms = carrel_protocol::unix_time_ms();
            let comment_id = tx.query_row(
                "INSERT INTO comments (submission_id, author, author_id, text, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                params![server_id, author, author_id, text, at_ms as i64],
                |row| row.get(0),
            )?;
            let comment = Comment {
                comment_id,
                submission_id: summary.submission_id,
                course_id: summary.course_id.clone(),
                author,
                text: text.clone(),
                at_ms,
            };
            crate::changes::append_in(
                tx,
                Some(summary.learner.id),
                &summary.course_id,
                &ChangeBody::Comment(comment.clone()),
            )?;
            Ok(Ok(comment))
        })
        .await?
}
