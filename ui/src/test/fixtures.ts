// Sample backend values for tests, typed by the generated bindings.
import type { AppInfo } from "../lib/backend/bindings/AppInfo";
import type { CatalogEntry } from "../lib/backend/bindings/CatalogEntry";
import type { CourseOutline } from "../lib/backend/bindings/CourseOutline";
import type { CourseStudy } from "../lib/backend/bindings/CourseStudy";
import type { CourseSummary } from "../lib/backend/bindings/CourseSummary";
import type { ImportReport } from "../lib/backend/bindings/ImportReport";
import type { ItemProgress } from "../lib/backend/bindings/ItemProgress";
import type { ServerStatus } from "../lib/backend/bindings/ServerStatus";

export const SERVER = "http://127.0.0.1:7878";

export function appInfo(overrides: Partial<AppInfo> = {}): AppInfo {
  return {
    version: "0.1.0",
    serverUrl: SERVER,
    serverUrlSource: "settings",
    dataDir: "/home/learner/.local/share/org.carrel.desktop",
    ...overrides,
  };
}

export function onlineStatus(overrides: Partial<ServerStatus> = {}): ServerStatus {
  return {
    serverUrl: SERVER,
    state: "online",
    serverVersion: "0.1.0",
    checkedAtMs: Date.UTC(2026, 0, 15, 9, 30, 5),
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
