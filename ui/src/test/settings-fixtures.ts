// Sample settings and update statuses for tests, typed by the generated bindings.
import type { Settings } from "../lib/backend/bindings/Settings";
import type { UpdateStatus } from "../lib/backend/bindings/UpdateStatus";
import { SERVER } from "./fixtures";

export function settings(overrides: Partial<Settings> = {}): Settings {
  return {
    serverUrl: SERVER,
    serverUrlSource: "settings",
    language: "system",
    theme: "system",
    libraryDir: "/home/learner/.local/share/org.carrel.desktop/library",
    libraryDirIsDefault: true,
    syncOnMetered: true,
    notifications: true,
    updateChannel: "stable",
    autoInstallUpdates: false,
    ...overrides,
  };
}

/** When the last successful check in these samples was: 15 January 2026, 09:30 UTC. */
export const LAST_CHECK_MS = Date.UTC(2026, 0, 15, 9, 30);

export function updateStatus(overrides: Partial<UpdateStatus> = {}): UpdateStatus {
  return {
    currentVersion: "0.1.0",
    phase: "upToDate",
    available: null,
    downloadedBytes: 0,
    totalBytes: null,
    lastCheckMs: LAST_CHECK_MS,
    lastSuccessMs: LAST_CHECK_MS,
    stale: false,
    error: null,
    blockedBy: null,
    autoInstall: false,
    ...overrides,
  };
}

/** An update status with version 0.2.0 found, in `phase`. */
export function availableStatus(
  phase: UpdateStatus["phase"] = "available",
  overrides: Partial<UpdateStatus> = {},
): UpdateStatus {
  return updateStatus({
    phase,
    available: {
      version: "0.2.0",
      notes: "## Fixes\n\n- Quizzes **resume** where you left them.",
      publishedMs: Date.UTC(2026, 0, 20),
    },
    ...overrides,
  });
}
