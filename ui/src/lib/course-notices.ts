// The course server's notices in words (announcements, new versions, new due dates, webinar
// sessions added, moved or cancelled) and which
// come first. Pure (no Svelte, no IPC), so it is unit-tested directly.
import { formatInstant } from "./assess";
import type { CourseNotice, Dashboard, NoticeBody } from "./backend";
import { format, t, type Messages } from "./i18n";
import { formatBytes, formatRelativeTime, type InstantOptions } from "./i18n/units";

/** How many notices Home shows before "Show all". */
export const NOTICES_SHOWN_FIRST = 5;

/** Titles of what notices name: installed courses, and the items their plans list. */
export interface NoticeNames {
  /** Course id → title. */
  courses: ReadonlyMap<string, string>;
  /** `courseId/itemId` → title. */
  items: ReadonlyMap<string, string>;
}

/** The course and item titles the dashboard knows (items only of courses with a plan). */
export function namesFromDashboard(dashboard: Dashboard | null): NoticeNames {
  const courses = new Map<string, string>();
  const items = new Map<string, string>();
  for (const { course, plan } of dashboard?.courses ?? []) {
    courses.set(course.id, course.title);
    for (const item of plan?.weeks.flatMap((week) => week.items) ?? []) {
      items.set(`${course.id}/${item.itemId}`, item.title);
    }
  }
  return { courses, items };
}

/** A notice's course: its title when installed, else its id. */
export function noticeCourse(notice: CourseNotice, names: NoticeNames): string {
  return names.courses.get(notice.courseId) ?? notice.courseId;
}

/** What a notice says, ready to show: its heading, a sentence (none for an announcement), why. */
export interface NoticeWords {
  heading: string;
  /** The sentence under the heading; an announcement's body is Markdown, shown apart. */
  text: string | null;
  /** Why a due date changed, when the course team said. */
  reason: string | null;
}

/** A notice's heading and sentences. Due dates are read in the learner's zone. */
export function describeNotice(
  notice: CourseNotice,
  names: NoticeNames,
  options: InstantOptions = {},
  messages: Messages = t,
): NoticeWords {
  const what: NoticeBody = notice.what;
  switch (what.type) {
    case "announcement":
      return { heading: what.title, text: null, reason: null };
    case "new_version":
      return {
        heading: format(messages.courseNoticeNewVersionHeading, { version: what.version }),
        text: format(messages.courseNoticeNewVersion, {
          version: what.version,
          title: what.title.trim() || noticeCourse(notice, names),
        }),
        reason: null,
      };
    case "schedule": {
      const item = names.items.get(`${notice.courseId}/${what.item_id}`) ?? what.item_id;
      const reason = what.reason?.trim() ? what.reason.trim() : null;
      return {
        heading: messages.courseNoticeScheduleHeading,
        text:
          what.due === null
            ? format(messages.courseNoticeNoDue, { item })
            : format(messages.courseNoticeDue, { item, date: formatDue(what.due, options) }),
        reason: reason === null ? null : format(messages.courseNoticeReason, { reason }),
      };
    }
    case "recording": {
      const item = names.items.get(`${notice.courseId}/${what.item_id}`) ?? what.item_id;
      return {
        heading: messages.courseNoticeRecordingHeading,
        text: format(messages.courseNoticeRecording, { item, size: formatBytes(what.size) }),
        reason: null,
      };
    }
    case "session": {
      const item = names.items.get(`${notice.courseId}/${what.item_id}`) ?? what.item_id;
      if (what.starts === null) {
        return {
          heading: messages.courseNoticeSessionCancelledHeading,
          text: format(messages.courseNoticeSessionCancelled, { item }),
          reason: null,
        };
      }
      return {
        heading: messages.courseNoticeSessionHeading,
        text: format(messages.courseNoticeSession, {
          item,
          date: formatDue(what.starts, options),
        }),
        reason: null,
      };
    }
  }
}

/** An RFC 3339 due date in the learner's zone and format; text that is not one, as it is. */
export function formatDue(due: string, options: InstantOptions = {}): string {
  const ms = Date.parse(due);
  return Number.isNaN(ms) ? due : formatInstant(ms, options);
}

/**
 * When the server made a notice, relative to now: "3 days ago". The server's clock may run ahead
 * of this computer's: a notice never reads as made in the future.
 */
export function describeNoticeTime(atMs: number, nowMs: number, messages: Messages = t): string {
  return formatRelativeTime(Math.min(atMs, nowMs), nowMs, messages);
}
