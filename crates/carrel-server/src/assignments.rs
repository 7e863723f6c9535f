//! The rules of assignments the server enforces when it takes a submission: whether an assignment
//! is group work, and whether it takes more than one submission — read from the published
//! package's assignment files at `publish` and kept per course version (`assignment_rules`).
//!
//! The learner's laptop applies the same rules before it queues anything, from what it last knew;
//! the server applies them to what it holds, so two members of a group who both submit offline,
//! or a payload edited by hand, cannot make more of a submission than the course allows.

use crate::storage::sql::{OptionalExtension, params};
use carrel_package::activity::{AssignmentDefinition, AssignmentKind};

use crate::storage::StorageError;

/// An assignment's rules as kept for one course version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssignmentRules {
    /// Group work: one member submits for the group.
    pub group: bool,
    /// A learner (or a group) may submit again.
    pub resubmission: bool,
}

/// The rules of one assignment item of a package, to keep at publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAssignment {
    /// The item.
    pub item_id: String,
    /// Its rules.
    pub rules: AssignmentRules,
}

impl KeptAssignment {
    /// The rules of item `item_id` from its definition file's bytes; `None` when they are not an
    /// assignment definition (the package was checked when built; such an item is taken as
    /// individual work, as before rules were kept).
    pub fn from_definition(item_id: String, bytes: &[u8]) -> Option<Self> {
        let definition: AssignmentDefinition = serde_json::from_slice(bytes).ok()?;
        Some(Self {
            item_id,
            rules: AssignmentRules {
                group: definition.kind == AssignmentKind::Group,
                resubmission: definition.resubmission,
            },
        })
    }
}

/// Keeps `assignments` of version `version` of `course_id` (a row already kept is replaced).
pub(crate) fn keep_in(
    tx: &crate::storage::sql::Conn<'_>,
    course_id: &str,
    version: &str,
    assignments: &[KeptAssignment],
) -> Result<(), StorageError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO assignment_rules (course_id, item_id, version, kind, resubmission)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (course_id, item_id, version) DO UPDATE SET
             kind = excluded.kind, resubmission = excluded.resubmission",
    )?;
    for assignment in assignments {
        let kind = if assignment.rules.group {
            "group"
        } else {
            "individual"
        };
        insert.execute(params![
            course_id,
            assignment.item_id,
            version,
            kind,
            assignment.rules.resubmission
        ])?;
    }
    Ok(())
}

/// The rules of assignment `item_id` in the published version of `course_id`; `None` when that
/// version has none kept (not published, not an assignment, or published before rules were kept).
pub(crate) fn rules_in(
    conn: &crate::storage::sql::Conn<'_>,
    course_id: &str,
    item_id: &str,
) -> crate::storage::sql::Result<Option<AssignmentRules>> {
    conn.prepare_cached(
        "SELECT r.kind, r.resubmission FROM assignment_rules r
         JOIN catalog_courses c ON c.course_id = r.course_id AND c.version = r.version
         WHERE r.course_id = ?1 AND r.item_id = ?2",
    )?
    .query_row(params![course_id, item_id], |row| {
        Ok(AssignmentRules {
            group: row.get::<String>(0)? == "group",
            resubmission: row.get(1)?,
        })
    })
    .optional()
}
