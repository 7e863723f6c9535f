// The weekly plan in words: where the learner is in the course's weeks, their pace, whether their
// hours are enough, deadlines on two clocks, and the order of courses on the dashboard. Pure (no
// Svelte, no IPC), so it is unit-tested directly. The rules themselves are the backend's
// (crates/carrel-core/src/plan/); this only says what it decided.
import type { DashboardCourse } from "./backend/bindings/DashboardCourse";
import type { Pace } from "./backend/bindings/Pace";
import type { PlanItemKind } from "./backend/bindings/PlanItemKind";
import type { PlanPhase } from "./backend/bindings/PlanPhase";
import type { PlanTime } from "./backend/bindings/PlanTime";
import type { PlanWeek } from "./backend/bindings/PlanWeek";
import type { WeeklyPlan } from "./backend/bindings/WeeklyPlan";
import type { Workload } from "./backend/bindings/Workload";
import { format, t, type Messages } from "./i18n";
import {
  formatDateTime,
  formatLongDate,
  formatMinutes,
  formatNumber,
  plural,
  type LocaleOptions,
} from "./i18n/units";

/**
 * Kinds Open can show, so a planned item of that kind has an Open button: those the content window
 * shows (SCORM modules in Carrel's runtime, cmi5 AUs launched by Carrel), and quizzes and
 * assignments, which Carrel shows in its own window.
 */
const OPENABLE_KINDS: ReadonlySet<PlanItemKind> = new Set([
  "page",
  "pdf",
  "video",
  "scorm",
  "cmi5",
  "quiz",
  "assignment",
]);

/**
 * Whether "Open" can show a planned item (pages, PDFs, videos, SCORM and cmi5 modules, quizzes,
 * assignments).
 */
export function canOpenKind(kind: PlanItemKind): boolean {
  return OPENABLE_KINDS.has(kind);
}

/**
 * Where the learner is in the course's weeks: "Week 2 of 6" while it runs, "Starts Monday 15
 * February" before, "Finished" after. A preview (no start date, nothing studied yet) has no date
 * to give: its weeks start when the learner does.
 */
export function describePhase(
  plan: Pick<WeeklyPlan, "anchor" | "firstDay" | "weeks" | "thisWeek">,
  options: LocaleOptions = {},
  messages: Messages = t,
): { phase: PlanPhase; text: string } {
  const phase = plan.thisWeek.phase;
  switch (phase) {
    case "running":
      return {
        phase,
        text: format(messages.planWeekOf, {
          week: formatNumber(plan.thisWeek.week, options),
          count: formatNumber(plan.weeks.length, options),
        }),
      };
    case "notStarted":
      if (plan.anchor === "preview") return { phase, text: messages.planPreview };
      return {
        phase,
        text: format(messages.planStarts, { date: formatLongDate(plan.firstDay, options) }),
      };
    case "finished":
      return { phase, text: messages.planFinished };
  }
}

/** "On track", "2 h 10 min behind", "45 min ahead". */
export function describePace(
  pace: Pick<Pace, "status" | "differenceMinutes">,
  options: LocaleOptions = {},
  messages: Messages = t,
): string {
  const time = formatMinutes(Math.abs(pace.differenceMinutes), options, messages);
  switch (pace.status) {
    case "onTrack":
      return messages.planPaceOnTrack;
    case "ahead":
      return format(messages.planPaceAhead, { time });
    case "behind":
      return format(messages.planPaceBehind, { time });
  }
}

/** What the verdict is based on: "Done so far: 3 h of the 4 h 30 min planned by now." */
export function describePaceDetail(
  pace: Pick<Pace, "doneMinutes" | "plannedMinutes">,
  options: LocaleOptions = {},
  messages: Messages = t,
): string {
  return format(messages.planPaceDetail, {
    done: formatMinutes(pace.doneMinutes, options, messages),
    planned: formatMinutes(pace.plannedMinutes, options, messages),
  });
}

/**
 * Minutes a week to suggest, rounded up to the half hour (the step of the weekly hours setting),
 * so following the suggestion is always enough.
 */
function suggestedMinutes(minutes: number): number {
  return Math.ceil(Math.max(minutes, 0) / 30) * 30;
}

/** Weeks left, to one decimal, and never "0 weeks" while any time is left. */
function weeksLeft(weeks: number, options: LocaleOptions, messages: Messages): string {
  const rounded = weeks > 0 ? Math.max(Math.round(weeks * 10) / 10, 0.1) : 0;
  const forms = { one: messages.planWeeksOne, other: messages.planWeeksOther };
  return plural(rounded, forms, options, messages);
}

/**
 * Whether the learner's weekly hours are enough for what remains: "About 5 h a week will finish
 * the course." or "At 6 h a week the remaining 40 h will not fit in 3 weeks; plan 14 h a week."
 * Once the course's time is over: what is left undone, if anything.
 */
export function describeWorkload(
  workload: Workload,
  options: LocaleOptions = {},
  messages: Messages = t,
): string {
  const remaining = formatMinutes(workload.remainingMinutes, options, messages);
  if (workload.remainingMinutes <= 0) return messages.planWorkloadDone;
  if (workload.suggestedWeeklyMinutes === null) {
    return format(messages.planWorkloadEnded, { remaining });
  }
  const suggested = formatMinutes(
    suggestedMinutes(workload.suggestedWeeklyMinutes),
    options,
    messages,
  );
  if (workload.fits) return format(messages.planWorkloadFits, { hours: suggested });
  return format(messages.planWorkloadShort, {
    weekly: formatMinutes(workload.weeklyMinutes, options, messages),
    remaining,
    weeks: weeksLeft(workload.remainingWeeks, options, messages),
    suggested,
  });
}

/** An instant of the plan in words: on the learner's clock, and on its own zone's clock. */
export interface PlanTimeWords {
  /** On the learner's clock: "Mon 29 Mar, 05:59". */
  local: string;
  /**
   * On the clock of the zone it was set in, "Sun 28 Mar, 23:59 in Europe/Zurich"; null when that
   * zone is the learner's, reads the same, or is unknown.
   */
  inZone: string | null;
}

/**
 * A deadline or session time for the learner in `learnerZone`, with its time where it was set
 * when that differs (23:59 on Sunday in Zurich is Monday morning in Manila).
 */
export function describePlanTime(
  time: PlanTime,
  learnerZone: string | null,
  options: LocaleOptions = {},
  messages: Messages = t,
): PlanTimeWords {
  const local = formatDateTime(time.local, options);
  const other =
    time.zone !== null &&
    time.zone !== learnerZone &&
    time.zoneLocal !== null &&
    time.zoneLocal !== time.local;
  return {
    local,
    inZone:
      other && time.zone !== null && time.zoneLocal !== null
        ? format(messages.planTimeInZone, {
            time: formatDateTime(time.zoneLocal, options),
            zone: time.zone,
          })
        : null,
  };
}

/** Seconds the learner spent in a course week, from the plan's time on task (0 if none). */
export function weekSeconds(
  plan: Pick<WeeklyPlan, "timeOnTask">,
  week: Pick<PlanWeek, "number" | "startsMs">,
): number {
  const spent = plan.timeOnTask.find(
    (entry) => entry.courseWeek === week.number || entry.startsMs === week.startsMs,
  );
  return spent?.seconds ?? 0;
}

/** "6 hours a week", "7.5 hours a week", "1 hour a week". */
export function describeWeeklyHours(
  hours: number,
  options: LocaleOptions = {},
  messages: Messages = t,
): string {
  const forms = { one: messages.hoursAWeekOne, other: messages.hoursAWeekOther };
  return plural(hours, forms, options, messages);
}

/** How far the learner is in a course, for ordering the dashboard. */
function studyRank(course: DashboardCourse["course"]): number {
  const finished = course.itemCount > 0 && course.completedItems >= course.itemCount;
  if (finished) return 2;
  const started = course.lastStudiedMs !== null || course.completedItems > 0;
  return started ? 0 : 1;
}

/**
 * The dashboard's courses: those in progress first, then those not started, then those finished;
 * within each, the backend's order (most recently studied first).
 */
export function dashboardOrder<T extends Pick<DashboardCourse, "course">>(
  courses: readonly T[],
): T[] {
  return courses
    .map((entry, index) => ({ entry, index, rank: studyRank(entry.course) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ entry }) => entry);
}
