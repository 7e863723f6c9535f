// Sample backend values for tests, typed by the generated bindings.
import type { AccountView } from "../lib/backend/bindings/AccountView";
import type { AppInfo } from "../lib/backend/bindings/AppInfo";
import type { CatalogEntry } from "../lib/backend/bindings/CatalogEntry";
import type { CourseNotice } from "../lib/backend/bindings/CourseNotice";
import type { CourseOutline } from "../lib/backend/bindings/CourseOutline";
import type { CourseStudy } from "../lib/backend/bindings/CourseStudy";
import type { CourseSummary } from "../lib/backend/bindings/CourseSummary";
import type { Dashboard } from "../lib/backend/bindings/Dashboard";
import type { ImportReport } from "../lib/backend/bindings/ImportReport";
import type { ItemProgress } from "../lib/backend/bindings/ItemProgress";
import type { OutlineItem } from "../lib/backend/bindings/OutlineItem";
import type { PlannedItem } from "../lib/backend/bindings/PlannedItem";
import type { PlanTime } from "../lib/backend/bindings/PlanTime";
import type { PlanWeek } from "../lib/backend/bindings/PlanWeek";
import type { RepairReport } from "../lib/backend/bindings/RepairReport";
import type { SearchHit } from "../lib/backend/bindings/SearchHit";
import type { ServerStatus } from "../lib/backend/bindings/ServerStatus";
import type { StudySettings } from "../lib/backend/bindings/StudySettings";
import type { SyncStatus } from "../lib/backend/bindings/SyncStatus";
import type { WeeklyPlan } from "../lib/backend/bindings/WeeklyPlan";
import type { WeekSession } from "../lib/backend/bindings/WeekSession";

export const SERVER = "http://127.0.0.1:7878";

export function appInfo(overrides: Partial<AppInfo> = {}): AppInfo {
  return {
    version: "0.1.0",
    serverUrl: SERVER,
    serverUrlSource: "settings",
    dataDir: "/home/learner/.local/share/org.carrel.desktop",
    contentGuard: {
      commandsReached: { main: 12 },
      commandsRefused: 0,
      navigationsBlocked: 0,
      windowsBlocked: 0,
      contentRequestsRefused: 0,
    },
    ...overrides,
  };
}

export function onlineStatus(overrides: Partial<ServerStatus> = {}): ServerStatus {
  return {
    serverUrl: SERVER,
    state: "online",
    serverVersion: "0.1.0",
    checkedAtMs: Date.UTC(2026, 0, 15, 9, 30, 5),
    clockOffsetMs: null,
    detail: null,
    ...overrides,
  };
}

export function offlineStatus(overrides: Partial<ServerStatus> = {}): ServerStatus {
  return {
    serverUrl: SERVER,
    state: "offline",
    serverVersion: null,
    checkedAtMs: Date.UTC(2026, 0, 15, 9, 31, 0),
    clockOffsetMs: null,
    detail: `No course server answers at ${SERVER}. You may be offline, or the server is down; Carrel will try again.`,
    ...overrides,
  };
}

export function checkingStatus(overrides: Partial<ServerStatus> = {}): ServerStatus {
  return {
    serverUrl: SERVER,
    state: "checking",
    serverVersion: null,
    checkedAtMs: null,
    clockOffsetMs: null,
    detail: null,
    ...overrides,
  };
}

export function courseSummary(overrides: Partial<CourseSummary> = {}): CourseSummary {
  return {
    id: "bio-101",
    title: "Introduction to Biology",
    version: "1.0.0",
    language: "en",
    summary: "Cells, genes and ecosystems, from the ground up.",
    publisher: "Open Science Press",
    publisherFingerprint: "SHA256:4f1c9a0b7e2d5c8f3a6b9e0d1c4f7a2b5e8d0c3f6a9b2e5d8c1f4a7b0e3d6c9f",
    starts: "2026-02-02",
    ends: "2026-06-26",
    sizeBytes: 48_300_000,
    installedAt: Date.UTC(2026, 0, 10, 8, 0, 0),
    itemCount: 24,
    estimatedHours: 30,
    completedItems: 0,
    lastStudiedMs: null,
    ...overrides,
  };
}

export function courseOutline(overrides: Partial<CourseOutline> = {}): CourseOutline {
  return {
    course: courseSummary(),
    homePath: "index.html",
    certificateRule: "Pass every quiz with at least 60% and submit both assignments.",
    blocks: [
      {
        id: "week-1",
        title: "Cells",
        summary: "What living things are made of.",
        week: 1,
        modules: [
          {
            id: "m-cells",
            title: "The cell",
            summary: "Parts of a cell and what they do.",
            items: [
              {
                id: "i-intro",
                title: "Welcome",
                kind: "page",
                minutes: 5,
                path: "week1/welcome.html",
                rule: { rule: "readToEnd" },
                progress: null,
              },
              {
                id: "i-video",
                title: "Inside a cell",
                kind: "video",
                minutes: 12,
                path: "week1/cell.mp4",
                rule: { rule: "watched", percent: 90 },
                progress: null,
              },
              {
                id: "i-quiz",
                title: "Cells quiz",
                kind: "quiz",
                minutes: 15,
                path: null,
                rule: { rule: "submitted" },
                progress: null,
              },
            ],
          },
        ],
      },
      {
        id: "week-2",
        title: "Genes",
        summary: "",
        week: 2,
        modules: [
          {
            id: "m-dna",
            title: "DNA",
            summary: "",
            items: [
              {
                id: "i-reading",
                title: "Reading: the double helix",
                kind: "pdf",
                minutes: null,
                path: "week2/helix.pdf",
                rule: { rule: "allPagesSeen" },
                progress: null,
              },
              {
                id: "i-forum",
                title: "Discuss: heredity",
                kind: "forum",
                minutes: null,
                path: null,
                rule: { rule: "markedDone" },
                progress: null,
              },
            ],
          },
        ],
      },
    ],
    study: courseStudy(),
    ...overrides,
  };
}

/**
 * A file the learner opens with another application of their computer: the content window does
 * not show it (no path), and opening it completes it.
 */
export function fileItem(overrides: Partial<OutlineItem> = {}): OutlineItem {
  return {
    id: "i-data",
    title: "Cell counts (spreadsheet)",
    kind: "file",
    minutes: 10,
    path: null,
    rule: { rule: "openedWithApp" },
    progress: null,
    ...overrides,
  };
}

/** A course nobody has studied yet: nothing done, nothing to continue, the first item next. */
export function courseStudy(overrides: Partial<CourseStudy> = {}): CourseStudy {
  return {
    completedItems: 0,
    totalItems: 5,
    timeOnTaskS: 0,
    lastStudiedMs: null,
    continueAt: null,
    nextItemId: "i-intro",
    ...overrides,
  };
}

/** Progress in an item: opened, part of the way through, not done. */
export function itemProgress(itemId: string, overrides: Partial<ItemProgress> = {}): ItemProgress {
  return {
    itemId,
    firstOpenedMs: Date.UTC(2026, 1, 3, 10, 0, 0),
    lastOpenedMs: Date.UTC(2026, 1, 3, 10, 20, 0),
    progress: 0.45,
    completedMs: null,
    timeOnTaskS: 600,
    position: null,
    positionUnit: null,
    ...overrides,
  };
}

export function catalogEntry(overrides: Partial<CatalogEntry> = {}): CatalogEntry {
  return {
    id: "chem-101",
    title: "Chemistry Basics",
    summary: "Atoms, bonds and reactions.",
    language: "en",
    publisher: "Open Science Press",
    version: "2.1.0",
    starts: null,
    ends: null,
    packageSize: 40_100_000,
    contentSize: 52_000_000,
    installedVersion: null,
    state: "available",
    ...overrides,
  };
}

/** A repair that found every file fine. */
export function repairReport(overrides: Partial<RepairReport> = {}): RepairReport {
  return { damagedFiles: [], newBytes: 0, ...overrides };
}

export function importReport(overrides: Partial<ImportReport> = {}): ImportReport {
  return {
    courseId: "bio-101",
    title: "Introduction to Biology",
    version: "1.0.0",
    newBytes: 48_300_000,
    alreadyInstalled: false,
    ...overrides,
  };
}

/** The learner's zone in the plan fixtures: far from the zone the course team set deadlines in. */
export const LEARNER_ZONE = "Asia/Manila";
/** Manila is UTC+8 all year (no daylight saving), so the fixtures can compute its wall clock. */
const MANILA_OFFSET_MS = 8 * 3_600_000;

/** Local midnight starting `day` (ISO) in Manila, as unix ms. */
function manilaMidnight(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) - MANILA_OFFSET_MS;
}

/** The ISO date `days` after `day`. */
function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * An instant on the Manila learner's clock and on `zone`'s clock. `zoneLocal` is given, not
 * computed, so each fixture says plainly what the other clock reads.
 */
export function planTime(
  atMs: number,
  week: number,
  zone: string | null = null,
  zoneLocal: string | null = null,
): PlanTime {
  return {
    atMs,
    local: new Date(atMs + MANILA_OFFSET_MS).toISOString().slice(0, 19),
    week,
    zone,
    zoneLocal,
  };
}

/** The quiz's deadline: Friday 13 February 2026, 17:00 in Zurich — Saturday 00:00 in Manila. */
export const QUIZ_DUE = planTime(
  Date.UTC(2026, 1, 13, 16, 0, 0),
  2,
  "Europe/Zurich",
  "2026-02-13T17:00:00",
);
/** The essay's deadline, set in the learner's own zone: Sunday 15 February 2026, 23:59. */
export const ESSAY_DUE = planTime(
  Date.UTC(2026, 1, 15, 15, 59, 0),
  2,
  LEARNER_ZONE,
  "2026-02-15T23:59:00",
);

export function plannedItem(overrides: Partial<PlannedItem> & { itemId: string }): PlannedItem {
  return {
    title: overrides.itemId,
    kind: "page",
    blockId: "week-1",
    moduleId: "m-cells",
    week: 1,
    minutes: 10,
    minutesDefaulted: false,
    done: false,
    due: null,
    ...overrides,
  };
}

/** Course week `number` (1-based) of a course starting Monday 2 February 2026, in Manila. */
export function planWeek(number: number, items: PlannedItem[]): PlanWeek {
  const monday = addDays("2026-02-02", (number - 1) * 7);
  const planned = items.reduce((sum, item) => sum + item.minutes, 0);
  const done = items.filter((item) => item.done).reduce((sum, item) => sum + item.minutes, 0);
  return {
    number,
    monday,
    sunday: addDays(monday, 6),
    startsMs: manilaMidnight(monday),
    endsMs: manilaMidnight(addDays(monday, 7)),
    hours: 168,
    items,
    plannedMinutes: planned,
    doneMinutes: done,
  };
}

const INTRO = plannedItem({ itemId: "i-intro", title: "Welcome", minutes: 5, done: true });
const VIDEO = plannedItem({
  itemId: "i-video",
  title: "Inside a cell",
  kind: "video",
  minutes: 12,
});
const QUIZ = plannedItem({
  itemId: "i-quiz",
  title: "Cells quiz",
  kind: "quiz",
  minutes: 15,
  due: QUIZ_DUE,
});
const READING = plannedItem({
  itemId: "i-reading",
  title: "Reading: the double helix",
  kind: "pdf",
  blockId: "week-2",
  moduleId: "m-dna",
  week: 2,
  minutes: 20,
  minutesDefaulted: true,
});
const FORUM = plannedItem({
  itemId: "i-forum",
  title: "Discuss: heredity",
  kind: "forum",
  blockId: "week-2",
  moduleId: "m-dna",
  week: 2,
  minutes: 20,
  minutesDefaulted: true,
});
const ESSAY = plannedItem({
  itemId: "i-essay",
  title: "Essay: a cell of your choice",
  kind: "assignment",
  blockId: "week-2",
  moduleId: "m-dna",
  week: 2,
  minutes: 60,
  due: ESSAY_DUE,
});

/** The live session of week 2: Wednesday 11 February, 18:00 in Zurich, Thursday 01:00 in Manila. */
export const LIVE_QA: WeekSession = {
  itemId: "i-live",
  title: "Live Q&A",
  sessionId: "s-1",
  starts: planTime(Date.UTC(2026, 1, 11, 17, 0, 0), 2, "Europe/Zurich", "2026-02-11T18:00:00"),
  ends: planTime(Date.UTC(2026, 1, 11, 18, 0, 0), 2, "Europe/Zurich", "2026-02-11T19:00:00"),
  durationMinutes: 60,
  presenter: "Dr Ana Ruiz",
  joinable: true,
  recording: { size: 48_000_000, downloaded: false },
  done: false,
};

/** Its repeat in week 3, for Asia: Thursday 19 February, 10:00 in Manila (no other clock). */
export const LIVE_QA_REPEAT: WeekSession = {
  itemId: "i-live",
  title: "Live Q&A",
  sessionId: "s-2",
  starts: planTime(Date.UTC(2026, 1, 19, 2, 0, 0), 3, "Asia/Manila", "2026-02-19T10:00:00"),
  ends: planTime(Date.UTC(2026, 1, 19, 3, 30, 0), 3, "Asia/Manila", "2026-02-19T11:30:00"),
  durationMinutes: 90,
  presenter: null,
  joinable: false,
  recording: null,
  done: false,
};

/**
 * The plan of a learner in Manila in week 2 of a three-week course (Monday 2 February 2026 to
 * Sunday 22 February), on Wednesday 11 February: Welcome done, the video and the quiz of week 1
 * overdue, three items to do this week, two deadlines (the quiz's set in Zurich, the essay's in
 * Manila), one live session, 2 h 10 min behind, and 6 hours a week enough for what remains.
 */
export function weeklyPlan(overrides: Partial<WeeklyPlan> = {}): WeeklyPlan {
  const weeks = [
    planWeek(1, [INTRO, VIDEO, QUIZ]),
    planWeek(2, [READING, FORUM, ESSAY]),
    planWeek(3, []),
  ];
  return {
    anchor: "courseDates",
    timeZone: LEARNER_ZONE,
    firstDay: "2026-02-02",
    lastDay: "2026-02-22",
    weeks,
    totalMinutes: weeks.reduce((sum, week) => sum + week.plannedMinutes, 0),
    thisWeek: {
      phase: "running",
      week: 2,
      monday: "2026-02-09",
      startsMs: manilaMidnight("2026-02-09"),
      endsMs: manilaMidnight("2026-02-16"),
      todo: [READING, FORUM, ESSAY],
      overdue: [VIDEO, QUIZ],
      deadlines: [
        { itemId: "i-quiz", title: "Cells quiz", kind: "quiz", due: QUIZ_DUE, done: false },
        {
          itemId: "i-essay",
          title: "Essay: a cell of your choice",
          kind: "assignment",
          due: ESSAY_DUE,
          done: false,
        },
      ],
      sessions: [LIVE_QA],
    },
    pace: {
      status: "behind",
      plannedMinutes: 135,
      doneMinutes: 5,
      differenceMinutes: -130,
      toleranceMinutes: 30,
    },
    workload: {
      weeklyMinutes: 360,
      remainingMinutes: 127,
      remainingWeeks: 1.6,
      capacityMinutes: 576,
      suggestedWeeklyMinutes: 80,
      fits: true,
    },
    timeOnTask: [
      {
        monday: "2026-01-26",
        courseWeek: null,
        startsMs: manilaMidnight("2026-01-26"),
        endsMs: manilaMidnight("2026-02-02"),
        seconds: 300,
      },
      {
        monday: "2026-02-02",
        courseWeek: 1,
        startsMs: manilaMidnight("2026-02-02"),
        endsMs: manilaMidnight("2026-02-09"),
        seconds: 3_900,
      },
      {
        monday: "2026-02-09",
        courseWeek: 2,
        startsMs: manilaMidnight("2026-02-09"),
        endsMs: manilaMidnight("2026-02-16"),
        seconds: 0,
      },
      {
        monday: "2026-02-16",
        courseWeek: 3,
        startsMs: manilaMidnight("2026-02-16"),
        endsMs: manilaMidnight("2026-02-23"),
        seconds: 0,
      },
    ],
    calendar: {
      deadlines: [
        { itemId: "i-quiz", title: "Cells quiz", kind: "quiz", due: QUIZ_DUE, done: false },
        {
          itemId: "i-essay",
          title: "Essay: a cell of your choice",
          kind: "assignment",
          due: ESSAY_DUE,
          done: false,
        },
      ],
      sessions: [LIVE_QA, LIVE_QA_REPEAT],
    },
    ...overrides,
  };
}

/** The same course before it starts: nothing to do, overdue or due yet, nothing planned by now. */
export function notStartedPlan(overrides: Partial<WeeklyPlan> = {}): WeeklyPlan {
  const plan = weeklyPlan();
  return {
    ...plan,
    thisWeek: {
      ...plan.thisWeek,
      phase: "notStarted",
      week: 0,
      monday: "2026-01-26",
      startsMs: manilaMidnight("2026-01-26"),
      endsMs: manilaMidnight("2026-02-02"),
      todo: [],
      overdue: [],
      deadlines: [],
      sessions: [],
    },
    pace: {
      status: "onTrack",
      plannedMinutes: 0,
      doneMinutes: 0,
      differenceMinutes: 0,
      toleranceMinutes: 30,
    },
    ...overrides,
  };
}

/** The same course after its last day, with work left undone (all overdue, no time left). */
export function finishedPlan(overrides: Partial<WeeklyPlan> = {}): WeeklyPlan {
  const plan = weeklyPlan();
  const notDone = plan.weeks.flatMap((week) => week.items).filter((item) => !item.done);
  return {
    ...plan,
    thisWeek: {
      ...plan.thisWeek,
      phase: "finished",
      week: 4,
      monday: "2026-02-23",
      startsMs: manilaMidnight("2026-02-23"),
      endsMs: manilaMidnight("2026-03-02"),
      todo: [],
      overdue: notDone,
      deadlines: [],
      sessions: [],
    },
    workload: {
      weeklyMinutes: 360,
      remainingMinutes: 127,
      remainingWeeks: 0,
      capacityMinutes: 0,
      suggestedWeeklyMinutes: null,
      fits: false,
    },
    ...overrides,
  };
}

export function studySettings(overrides: Partial<StudySettings> = {}): StudySettings {
  return { weeklyHours: 6, timeZone: LEARNER_ZONE, ...overrides };
}

/** The dashboard with one course in progress (bio-101, 1 of 24 items done) and its plan. */
export function dashboard(overrides: Partial<Dashboard> = {}): Dashboard {
  return {
    courses: [
      {
        course: courseSummary({ completedItems: 1, lastStudiedMs: Date.UTC(2026, 1, 10, 9, 0, 0) }),
        plan: weeklyPlan(),
      },
    ],
    completedItems: 1,
    totalItems: 24,
    settings: studySettings(),
    ...overrides,
  };
}

/** A search hit: the section "Mitosis" of bio-101's page i-intro, "cells" and "divide" matched. */
export function searchHit(overrides: Partial<SearchHit> = {}): SearchHit {
  return {
    courseId: "bio-101",
    itemId: "i-intro",
    title: "Welcome",
    path: "week1/welcome.html",
    heading: "Mitosis",
    anchor: "mitosis",
    headingIndex: 2,
    snippet: [
      { text: "How ", hit: false },
      { text: "cells", hit: true },
      { text: " ", hit: false },
      { text: "divide", hit: true },
      { text: " into two daughter cells…", hit: false },
    ],
    rank: -4.2,
    ...overrides,
  };
}

/** Sync with nothing to do: signed in, everything sent, last synced at 9:30:05 UTC. */
export function syncStatus(overrides: Partial<SyncStatus> = {}): SyncStatus {
  return {
    phase: "idle",
    signedInAs: "Ana Lopez",
    queued: 0,
    needsAttention: 0,
    sending: null,
    lastSuccessMs: Date.UTC(2026, 0, 15, 9, 30, 5),
    nextTryMs: null,
    lastError: null,
    held: false,
    metered: null,
    ...overrides,
  };
}

export function account(overrides: Partial<AccountView> = {}): AccountView {
  return {
    login: "ana",
    displayName: "Ana Lopez",
    server: SERVER,
    store: null,
    ...overrides,
  };
}

/** A course notice: by default an unseen announcement to bio-101's participants (seq 1). */
export function courseNotice(overrides: Partial<CourseNotice> = {}): CourseNotice {
  return {
    seq: 1,
    courseId: "bio-101",
    atMs: Date.UTC(2026, 1, 10, 8, 0, 0),
    seen: false,
    what: { type: "announcement", title: "Week 2", body: "Read **chapter 3** before Friday." },
    ...overrides,
  };
}
