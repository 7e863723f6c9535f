//! Which course week each item is planned in.

use std::collections::HashMap;

use jiff::Timestamp;

use super::calendar::Calendar;
use super::input::{PlanBlock, PlanCourse, PlanItem, PlanModule};

/// Consecutive blocks that share a span of weeks: a block with a week and the blocks without one
/// that follow it.
#[derive(Debug)]
pub(crate) struct Segment<'a> {
    /// The week the first of its blocks starts in (at least 1, never before an earlier segment).
    pub start_week: u32,
    /// Its modules, in course order, with their blocks.
    pub modules: Vec<(&'a PlanBlock, &'a PlanModule)>,
}

impl Segment<'_> {
    /// Estimated minutes of all its items.
    pub fn minutes(&self) -> u64 {
        self.modules
            .iter()
            .map(|(_, module)| module_minutes(module))
            .sum()
    }
}

/// An item with the week it is planned in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScheduledItem<'a> {
    /// The item.
    pub item: &'a PlanItem,
    /// Its block.
    pub block: &'a PlanBlock,
    /// Its module.
    pub module: &'a PlanModule,
    /// Course week, 1-based.
    pub week: u32,
}

/// Groups the blocks into segments. A block's week is raised to 1 and to the previous segment's
/// week when it is lower, so segments never go back in time.
pub(crate) fn segments(course: &PlanCourse) -> Vec<Segment<'_>> {
    let mut segments: Vec<Segment<'_>> = Vec::new();
    for block in &course.blocks {
        let previous = segments.last().map(|segment| segment.start_week);
        let start = block.week.unwrap_or(1).max(previous.unwrap_or(1)).max(1);
        let modules = block.modules.iter().map(|module| (block, module));
        match segments.last_mut() {
            Some(segment) if start == segment.start_week => segment.modules.extend(modules),
            _ => segments.push(Segment {
                start_week: start,
                modules: modules.collect(),
            }),
        }
    }
    segments
}

/// Plans every item of the course in one of weeks `1..=week_count`.
///
/// Each segment spans from its week to the week before the next segment (the last one to
/// `week_count`); its modules are spread over that span with [`spread`]. Then dated items move:
/// a webinar to the week of its first session, a quiz or assignment to the week it is due when
/// that comes earlier.
pub(crate) fn schedule<'a>(
    course: &'a PlanCourse,
    segments: &[Segment<'a>],
    calendar: &Calendar,
    week_count: u32,
) -> Vec<ScheduledItem<'a>> {
    let dates = DatedWeeks::new(course, calendar, week_count);
    let mut items = Vec::new();
    for (index, segment) in segments.iter().enumerate() {
        let first = segment.start_week.min(week_count);
        let next = segments.get(index + 1).map(|next| next.start_week);
        let last = next
            .map_or(week_count, |next| next - 1)
            .clamp(first, week_count);
        let minutes: Vec<u64> = segment
            .modules
            .iter()
            .map(|(_, module)| module_minutes(module))
            .collect();
        let offsets = spread(&minutes, last - first + 1);
        for ((block, module), offset) in segment.modules.iter().zip(offsets) {
            for item in &module.items {
                let week = dates.adjust(&item.id, first + offset);
                items.push(ScheduledItem {
                    item,
                    block,
                    module,
                    week,
                });
            }
        }
    }
    items
}

/// The week (0-based offset) each module goes in, given the modules' minutes in order and the
/// number of weeks they share.
///
/// Each week holds a share of the minutes (total ÷ weeks, counted cumulatively). A module goes in
/// the current week when at least half of it fits in the share so far, else it starts the next
/// week. A week is never left empty while modules remain, so spare weeks fall at the end. Modules
/// are never split: they are a sitting's worth of work. When no module has minutes, each counts
/// as one.
pub(crate) fn spread(minutes: &[u64], weeks: u32) -> Vec<u32> {
    let total: u64 = minutes.iter().sum();
    let weight = |m: u64| if total == 0 { 1 } else { m };
    let total = if total == 0 {
        minutes.len() as u64
    } else {
        total
    };
    let weeks = u64::from(weeks.max(1));
    let mut offsets = Vec::with_capacity(minutes.len());
    let (mut week, mut before) = (0u64, 0u64);
    for &m in minutes {
        let m = weight(m);
        // The first module always opens week 0; later ones advance at most one week each.
        let spills = !offsets.is_empty() && spills_over(before, m, total, week, weeks);
        if spills && week + 1 < weeks {
            week += 1;
        }
        offsets.push(u32::try_from(week).unwrap_or(u32::MAX));
        before += m;
    }
    offsets
}

/// Whether more than half of a module of `m` minutes, after `before` minutes, would fall beyond
/// the cumulative share of weeks `0..=week`: `before + m/2 > total × (week+1) / weeks`.
fn spills_over(before: u64, m: u64, total: u64, week: u64, weeks: u64) -> bool {
    // In integers wide enough that no sum of u32 minutes can overflow them.
    let [before, m, total, week, weeks] = [before, m, total, week, weeks].map(u128::from);
    2 * weeks * before + weeks * m > 2 * total * (week + 1)
}

fn module_minutes(module: &PlanModule) -> u64 {
    module
        .items
        .iter()
        .map(|item| u64::from(item.estimated_minutes()))
        .sum()
}

/// The weeks dated items are pinned to.
struct DatedWeeks {
    /// Week of each webinar's first session.
    sessions: HashMap<String, u32>,
    /// Week of each item's earliest deadline.
    deadlines: HashMap<String, u32>,
}

impl DatedWeeks {
    fn new(course: &PlanCourse, calendar: &Calendar, week_count: u32) -> Self {
        let sessions = course
            .sessions
            .iter()
            .map(|session| (session.item_id.as_str(), session.starts));
        let deadlines = course
            .deadlines
            .iter()
            .map(|deadline| (deadline.item_id.as_str(), deadline.due));
        Self {
            sessions: earliest_weeks(sessions, calendar, week_count),
            deadlines: earliest_weeks(deadlines, calendar, week_count),
        }
    }

    fn adjust(&self, item_id: &str, planned: u32) -> u32 {
        if let Some(&week) = self.sessions.get(item_id) {
            week
        } else if let Some(&week) = self.deadlines.get(item_id) {
            planned.min(week)
        } else {
            planned
        }
    }
}

/// For each item, the course week (within `1..=week_count`) of its earliest instant.
fn earliest_weeks<'a>(
    dated: impl Iterator<Item = (&'a str, Timestamp)>,
    calendar: &Calendar,
    week_count: u32,
) -> HashMap<String, u32> {
    let mut earliest: HashMap<&str, Timestamp> = HashMap::new();
    for (item_id, at) in dated {
        let entry = earliest.entry(item_id).or_insert(at);
        *entry = (*entry).min(at);
    }
    earliest
        .into_iter()
        .map(|(item_id, at)| {
            let week = calendar.week_of(at).clamp(1, i64::from(week_count.max(1)));
            (item_id.to_owned(), u32::try_from(week).unwrap_or(1))
        })
        .collect()
}
