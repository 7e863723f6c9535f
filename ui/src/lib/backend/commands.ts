// One typed wrapper per Rust command, and the events the shell emits. Command, argument and event
// names match src-tauri/src/commands/ and src-tauri/src/events.rs.
import { Channel } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { AppInfo } from "./bindings/AppInfo";
import type { CatalogView } from "./bindings/CatalogView";
import type { CourseOutline } from "./bindings/CourseOutline";
import type { CourseSummary } from "./bindings/CourseSummary";
import type { DroppedFiles } from "./bindings/DroppedFiles";
import type { ImportReport } from "./bindings/ImportReport";
import type { Notice } from "./bindings/Notice";
import type { ProgressChanged } from "./bindings/ProgressChanged";
import type { ServerStatus } from "./bindings/ServerStatus";
import type { TaskProgress } from "./bindings/TaskProgress";
import { call, toBackendError } from "./ipc";

export type { UnlistenFn };

/** Error codes the backend documents (src-tauri/src/error.rs). */
export const ErrorCode = {
  InvalidServerUrl: "invalid_server_url",
  ServerUrlLocked: "server_url_locked",
  SettingsUnavailable: "settings_unavailable",
  /** A package signed by a key this computer does not trust; `detail` is the key's fingerprint. */
  UntrustedPublisher: "untrusted_publisher",
  /** A broken, tampered with or incompatible package; nothing was installed. */
  PackageInvalid: "package_invalid",
  /** The learner cancelled a long task. */
  Cancelled: "cancelled",
  /** The course server cannot be reached; what was downloaded is kept. */
  Offline: "offline",
  /** Not enough disk space. */
  NoSpace: "no_space",
  /** The course is not on this computer (or not in the catalogue). */
  NotInstalled: "not_installed",
  /** The learner's progress cannot be read or saved (damaged, or in use by a newer Carrel). */
  ProgressUnavailable: "progress_unavailable",
  /** The item is completed by doing it, not by marking it done. */
  NotMarkable: "not_markable",
  Internal: "internal",
  Unknown: "unknown",
} as const;

/** App version, server in use and where that address came from, data folder. */
export function getAppInfo(): Promise<AppInfo> {
  return call<AppInfo>("get_app_info");
}

/** The last known server status, without waiting for the network. */
export function getServerStatus(): Promise<ServerStatus> {
  return call<ServerStatus>("get_server_status");
}

/** Checks the server now and resolves with the fresh status. */
export function checkServerNow(): Promise<ServerStatus> {
  return call<ServerStatus>("check_server_now");
}

/**
 * Saves a new course server address and starts checking it; resolves with the updated AppInfo.
 * Rejects with code `invalid_server_url` or `server_url_locked` (see ErrorCode).
 */
export function setServerUrl(url: string): Promise<AppInfo> {
  return call<AppInfo>("set_server_url", { url });
}

/** Name of the event carrying each new ServerStatus. */
export const SERVER_STATUS_EVENT = "server-status";

/** Calls `handler` with every new server status; rejects only with BackendError. */
export async function onServerStatus(handler: (status: ServerStatus) => void): Promise<UnlistenFn> {
  try {
    return await listen<ServerStatus>(SERVER_STATUS_EVENT, (event) => handler(event.payload));
  } catch (reason) {
    throw toBackendError(reason);
  }
}

/** The courses installed on this computer. */
export function listCourses(): Promise<CourseSummary[]> {
  return call<CourseSummary[]>("list_courses");
}

/** The blocks, modules and items of an installed course; rejects with `not_installed`. */
export function getCourseOutline(courseId: string): Promise<CourseOutline> {
  return call<CourseOutline>("get_course_outline", { courseId });
}

/** Shows the native "open a course file" dialog; resolves with the path, or null if cancelled. */
export function pickCourseFile(): Promise<string | null> {
  return call<string | null>("pick_course_file");
}

/** Called with each progress report of a long task. */
export type ProgressHandler = (progress: TaskProgress) => void;

/**
 * Installs the course package at `path`. `confirmedFingerprint` is the publisher fingerprint the
 * learner just accepted after an `untrusted_publisher` error (null otherwise). `taskId` names the
 * task for `cancelTask`. Rejects with `untrusted_publisher`, `package_invalid`, `cancelled`,
 * `no_space`.
 */
export function importCourseFile(
  path: string,
  confirmedFingerprint: string | null,
  taskId: string,
  onProgress: ProgressHandler,
): Promise<ImportReport> {
  return callWithProgress<ImportReport>(
    "import_course_file",
    { path, confirmedFingerprint, taskId },
    onProgress,
  );
}

/**
 * Downloads a course from the course server and installs it, resuming an interrupted download;
 * for an installed course, updates it, fetching only changed files. Rejects with `offline`,
 * `cancelled`, `no_space`, `package_invalid`, `not_installed` (not in the catalogue).
 */
export function downloadCourse(
  courseId: string,
  taskId: string,
  onProgress: ProgressHandler,
): Promise<ImportReport> {
  return callWithProgress<ImportReport>("download_course", { courseId, taskId }, onProgress);
}

/** Asks the running import or download `taskId` to stop; it then rejects with `cancelled`. */
export function cancelTask(taskId: string): Promise<void> {
  return call<void>("cancel_task", { taskId });
}

/** Removes an installed course's files from this computer. */
export function removeCourse(courseId: string): Promise<void> {
  return call<void>("remove_course", { courseId });
}

/** The course server's catalogue, compared with what is installed; rejects with `offline`. */
export function getCatalog(): Promise<CatalogView> {
  return call<CatalogView>("get_catalog");
}

/**
 * Opens an item of an installed course in the isolated content window, at the learner's saved
 * place, and records that it was opened. Rejects with `not_installed` (no such item, or one the
 * content window does not show).
 */
export function openCourseItem(courseId: string, itemId: string): Promise<void> {
  return call<void>("open_course_item", { courseId, itemId });
}

/** Opens the course's home page in the content window; rejects with `not_installed`. */
export function openCourseHome(courseId: string): Promise<void> {
  return call<void>("open_course_home", { courseId });
}

/**
 * Records an item as done because the learner says so (a webinar attended, a forum visited).
 * Only for items whose rule is `markedDone`: others reject with `not_markable`. Also rejects with
 * `progress_unavailable`, `not_installed`.
 */
export function markItemDone(courseId: string, itemId: string): Promise<void> {
  return call<void>("mark_item_done", { courseId, itemId });
}

/** What the learner must be told once about their progress (a damaged file restored…). */
export function takeNotices(): Promise<Notice[]> {
  return call<Notice[]>("take_notices");
}

/** Name of the event carrying each change of an item's progress, recorded by the content window. */
export const PROGRESS_CHANGED_EVENT = "progress-changed";

/** Calls `handler` with each progress change; rejects only with BackendError. */
export async function onProgressChanged(
  handler: (change: ProgressChanged) => void,
): Promise<UnlistenFn> {
  try {
    return await listen<ProgressChanged>(PROGRESS_CHANGED_EVENT, (event) => handler(event.payload));
  } catch (reason) {
    throw toBackendError(reason);
  }
}

/** Package files named on the command line (`carrel course.carrel`), handed over once. */
export function takePendingImports(): Promise<string[]> {
  return call<string[]>("take_pending_imports");
}

/** Name of the event carrying the files dropped on the window (all of them, not only courses). */
export const COURSE_FILES_DROPPED_EVENT = "course-files-dropped";

/** Calls `handler` with the paths of files dropped on the window; rejects with BackendError. */
export async function onCourseFilesDropped(
  handler: (paths: string[]) => void,
): Promise<UnlistenFn> {
  try {
    return await listen<DroppedFiles>(COURSE_FILES_DROPPED_EVENT, (event) =>
      handler(event.payload.paths),
    );
  } catch (reason) {
    throw toBackendError(reason);
  }
}

/** Invokes a long-running command, passing it a channel (`onProgress`) for its progress reports. */
async function callWithProgress<T>(
  command: string,
  args: Record<string, unknown>,
  onProgress: ProgressHandler,
): Promise<T> {
  let channel: Channel<TaskProgress>;
  try {
    channel = new Channel<TaskProgress>(onProgress);
  } catch (reason) {
    // No Tauri (a plain browser tab): the channel cannot be registered.
    throw toBackendError(reason);
  }
  return call<T>(command, { ...args, onProgress: channel });
}
