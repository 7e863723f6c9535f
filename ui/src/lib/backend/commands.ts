// One typed wrapper per Rust command, and the events the shell emits. Command, argument and event
// names match src-tauri/src/commands/ and src-tauri/src/events.rs.
import { Channel } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { Answer } from "./bindings/Answer";
import type { AccountView } from "./bindings/AccountView";
import type { AppInfo } from "./bindings/AppInfo";
import type { AssignmentState } from "./bindings/AssignmentState";
import type { AttachReport } from "./bindings/AttachReport";
import type { AttemptView } from "./bindings/AttemptView";
import type { CalendarExportWords } from "./bindings/CalendarExportWords";
import type { CatalogView } from "./bindings/CatalogView";
import type { CertificateStatus } from "./bindings/CertificateStatus";
import type { CourseNotice } from "./bindings/CourseNotice";
import type { CourseOutline } from "./bindings/CourseOutline";
import type { CourseSummary } from "./bindings/CourseSummary";
import type { Dashboard } from "./bindings/Dashboard";
import type { Draft } from "./bindings/Draft";
import type { DraftEdit } from "./bindings/DraftEdit";
import type { DroppedFiles } from "./bindings/DroppedFiles";
import type { ForumDraft } from "./bindings/ForumDraft";
import type { ForumView } from "./bindings/ForumView";
import type { NewPost } from "./bindings/NewPost";
import type { TopicView } from "./bindings/TopicView";
import type { ImportReport } from "./bindings/ImportReport";
import type { Notice } from "./bindings/Notice";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import type { Place } from "./bindings/Place";
import type { ProgressChanged } from "./bindings/ProgressChanged";
import type { QuestionFeedback } from "./bindings/QuestionFeedback";
import type { QuizState } from "./bindings/QuizState";
import type { RepairReport } from "./bindings/RepairReport";
import type { Saved } from "./bindings/Saved";
import type { SearchHit } from "./bindings/SearchHit";
import type { ServerStatus } from "./bindings/ServerStatus";
import type { Settings } from "./bindings/Settings";
import type { SettingsChange } from "./bindings/SettingsChange";
import type { StudySettings } from "./bindings/StudySettings";
import type { SubmissionDetail } from "./bindings/SubmissionDetail";
import type { SyncStatus } from "./bindings/SyncStatus";
import type { TranscriptView } from "./bindings/TranscriptView";
import type { TaskProgress } from "./bindings/TaskProgress";
import type { UpdateStatus } from "./bindings/UpdateStatus";
import type { WeeklyPlan } from "./bindings/WeeklyPlan";
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
  /** Weekly study hours outside the accepted range; the message says the range. */
  InvalidWeeklyHours: "invalid_weekly_hours",
  /**
   * Files of the course are missing or damaged on disk (the message names them); `detail` is the
   * course's id, to repair it.
   */
  ContentDamaged: "content_damaged",
  /** A file of a type that could run programs: Carrel does not open it with another application. */
  FileTypeRefused: "file_type_refused",
  /** No application on this computer opened the file; the message says where the file is. */
  NoApplication: "no_application",
  /** The search index cannot be read or built; the courses themselves are fine. */
  SearchUnavailable: "search_unavailable",
  /** A quiz cannot be started now (not yet open, closed, no attempts left); the message says why. */
  QuizUnavailable: "quiz_unavailable",
  /** The attempt's time is up: the backend submitted what was saved until then. */
  TimeUp: "time_up",
  /** The attempt was already submitted. */
  AlreadySubmitted: "already_submitted",
  /** An answer cannot be saved or checked (already checked, malformed, not a practice quiz…). */
  AnswerRefused: "answer_refused",
  /** A file cannot be attached (type, size, count); the message says which and why. */
  AttachmentRefused: "attachment_refused",
  /** The draft changed since the learner reviewed it: review again before submitting. */
  DraftChanged: "draft_changed",
  /** The work cannot be submitted yet (declaration, words, group…), or not again. */
  NotReady: "not_ready",
  /** The course server refused the login and password; the message says why, for the learner. */
  SignInRefused: "sign_in_refused",
  /** Not signed in, or the server ended the session: sign in again (queued work is kept). */
  SignedOut: "signed_out",
  /** An export could not be written; the message says why. */
  ExportFailed: "export_failed",
  /** There is no update to download or install (check, or download, first). */
  NoUpdate: "no_update",
  /** Installing must wait: a quiz attempt is open or work is being sent (see `blockedBy`). */
  UpdateBlocked: "update_blocked",
  /** The update could not be checked, downloaded or installed; the message says why. */
  UpdateFailed: "update_failed",
  /** The course library cannot move to that folder; the message says why. Nothing moved. */
  LibraryMoveRefused: "library_move_refused",
  /** A link the content window did not ask to open, or not a web address: nothing opened. */
  LinkRefused: "link_refused",
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

/**
 * Checks every file of an installed course (SHA-256) and downloads again from the course server
 * only those missing or damaged; `damagedFiles` is empty when all were fine. `taskId` names the
 * task for `cancelTask`. Rejects with `offline`, `cancelled`, `package_invalid`, `not_installed`.
 */
export function repairCourse(
  courseId: string,
  taskId: string,
  onProgress: ProgressHandler,
): Promise<RepairReport> {
  return callWithProgress<RepairReport>("repair_course", { courseId, taskId }, onProgress);
}

/**
 * Downloads (resuming after a cut) the recording of a webinar session for offline viewing.
 * `taskId` names the task for `cancelTask`. Rejects with `offline`, `cancelled`,
 * `package_invalid` (it arrived damaged), `not_installed`.
 */
export function downloadRecording(
  courseId: string,
  itemId: string,
  sessionId: string,
  taskId: string,
  onProgress: ProgressHandler,
): Promise<void> {
  return callWithProgress<void>(
    "download_recording",
    { courseId, itemId, sessionId, taskId },
    onProgress,
  );
}

/** Plays a downloaded recording with the system's media player. */
export async function openRecording(
  courseId: string,
  itemId: string,
  sessionId: string,
): Promise<void> {
  await call<null>("open_recording", { courseId, itemId, sessionId });
}

/**
 * Asks the running import, download or repair `taskId` to stop; it then rejects with `cancelled`.
 */
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
 * Opens an item of an installed course in the isolated content window, at `place` (a search hit's
 * heading) or else at the learner's saved place, and records that it was opened. Rejects with
 * `not_installed` (no such item, or one the content window does not show), `content_damaged` (its
 * files are missing or damaged on disk; detail: the course id).
 */
export function openCourseItem(
  courseId: string,
  itemId: string,
  place: Place | null = null,
): Promise<void> {
  return call<void>("open_course_item", { courseId, itemId, place });
}

/**
 * Opens an item of kind `file` with the computer's application for its type (ask the learner
 * first), after copying it out of the course, and records the item done. Rejects with
 * `file_type_refused` (a type that could run programs), `no_application` (the message says where
 * the file is), `content_damaged` (detail: the course id), `not_installed`.
 */
export function openCourseFile(courseId: string, itemId: string): Promise<void> {
  return call<void>("open_course_file", { courseId, itemId });
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

/**
 * Searches the text of the installed courses (all, or only `courseId`): at most 50 pages, best
 * first, each with the section that matched best. Any text is accepted; an empty query finds
 * nothing. Rejects with `search_unavailable`.
 */
export function searchCourses(query: string, courseId: string | null): Promise<SearchHit[]> {
  return call<SearchHit[]>("search_courses", { query, courseId });
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

/** The learner's study settings: hours a week, and the time zone plans are made in. */
export function getStudySettings(): Promise<StudySettings> {
  return call<StudySettings>("get_study_settings");
}

/**
 * Saves the hours a week the learner sets aside for study; resolves with the updated settings.
 * Rejects with `invalid_weekly_hours` (the message says the accepted range).
 */
export function setWeeklyHours(hours: number): Promise<StudySettings> {
  return call<StudySettings>("set_weekly_hours", { hours });
}

/**
 * The weekly plan of an installed course as of now: this week's work, deadlines, pace, workload
 * and every week. Rejects with `not_installed`, `progress_unavailable`.
 */
export function getStudyPlan(courseId: string): Promise<WeeklyPlan> {
  return call<WeeklyPlan>("get_study_plan", { courseId });
}

/**
 * Saves the course's webinar sessions and deadlines as an iCalendar file where the learner
 * chooses (`words` in the UI's language); the path, or null when they cancelled.
 */
export function exportCalendar(
  courseId: string,
  words: CalendarExportWords,
): Promise<string | null> {
  return call<string | null>("export_calendar", { courseId, words });
}

/**
 * Every installed course with its weekly plan (the most recently studied first), overall
 * completion, and the settings the plans were made with.
 */
export function getDashboard(): Promise<Dashboard> {
  return call<Dashboard>("get_dashboard");
}

/** Tells the shell the first screen has loaded its data and rendered (logged once, timed). */
export function markInteractive(screen: string): Promise<void> {
  return call<void>("mark_interactive", { screen });
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

/** A quiz's settings, availability and the learner's attempts. */
export function getQuiz(courseId: string, itemId: string): Promise<QuizState> {
  return call<QuizState>("get_quiz", { courseId, itemId });
}

/**
 * Starts an attempt, or resolves with the one in progress. Rejects with `quiz_unavailable` (the
 * message says why).
 */
export function startQuizAttempt(courseId: string, itemId: string): Promise<AttemptView> {
  return call<AttemptView>("start_quiz_attempt", { courseId, itemId });
}

/** An attempt, to resume it or, once submitted, to review it. */
export function getQuizAttempt(
  courseId: string,
  itemId: string,
  attemptId: string,
): Promise<AttemptView> {
  return call<AttemptView>("get_quiz_attempt", { courseId, itemId, attemptId });
}

/**
 * Saves one answer durably; resolves when it is on disk. Rejects with `answer_refused`,
 * `time_up`, `already_submitted`.
 */
export function saveQuizAnswer(
  courseId: string,
  itemId: string,
  attemptId: string,
  questionId: string,
  answer: Answer,
): Promise<Saved> {
  return call<Saved>("save_quiz_answer", { courseId, itemId, attemptId, questionId, answer });
}

/**
 * Practice quizzes: the feedback on a saved answer, which is then locked. Rejects with
 * `answer_refused` (unanswered, already checked, not a practice quiz), `time_up`.
 */
export function checkQuizAnswer(
  courseId: string,
  itemId: string,
  attemptId: string,
  questionId: string,
): Promise<QuestionFeedback> {
  return call<QuestionFeedback>("check_quiz_answer", { courseId, itemId, attemptId, questionId });
}

/** Submits an attempt into the outbox, once; rejects with `already_submitted` after that. */
export function submitQuizAttempt(
  courseId: string,
  itemId: string,
  attemptId: string,
): Promise<OutboxEntry> {
  return call<OutboxEntry>("submit_quiz_attempt", { courseId, itemId, attemptId });
}

/** An assignment with the learner's draft, attachments, versions and submissions. */
export function getAssignment(courseId: string, itemId: string): Promise<AssignmentState> {
  return call<AssignmentState>("get_assignment", { courseId, itemId });
}

/** Saves the draft durably; resolves with it (its new revision). */
export function saveAssignmentDraft(
  courseId: string,
  itemId: string,
  edit: DraftEdit,
): Promise<Draft> {
  return call<Draft>("save_assignment_draft", { courseId, itemId, edit });
}

/** The full text of an earlier version of the draft. */
export function getDraftVersion(
  courseId: string,
  itemId: string,
  versionId: number,
): Promise<string> {
  return call<string>("get_draft_version", { courseId, itemId, versionId });
}

/** Makes an earlier version the draft again; the current text is kept among the versions. */
export function restoreDraftVersion(
  courseId: string,
  itemId: string,
  versionId: number,
): Promise<Draft> {
  return call<Draft>("restore_draft_version", { courseId, itemId, versionId });
}

/** Shows the system's dialog to choose files to attach; resolves with none if cancelled. */
export function pickAttachments(courseId: string, itemId: string): Promise<string[]> {
  return call<string[]>("pick_attachments", { courseId, itemId });
}

/** Attaches files to the draft, each checked on its own: the refused ones say why. */
export function addAttachments(
  courseId: string,
  itemId: string,
  paths: readonly string[],
): Promise<AttachReport> {
  return call<AttachReport>("add_attachments", { courseId, itemId, paths: [...paths] });
}

/** Takes an attachment (by its SHA-256) off the draft. */
export function removeAttachment(courseId: string, itemId: string, sha256: string): Promise<Draft> {
  return call<Draft>("remove_attachment", { courseId, itemId, sha256 });
}

/**
 * Submits draft `revision` (the one the learner reviewed) into the outbox. Rejects with
 * `draft_changed` (review again), `not_ready` (the message says what is missing).
 */
export function submitAssignment(
  courseId: string,
  itemId: string,
  revision: number,
): Promise<OutboxEntry> {
  return call<OutboxEntry>("submit_assignment", { courseId, itemId, revision });
}

/** Every submission, newest first. */
export function listOutbox(): Promise<OutboxEntry[]> {
  return call<OutboxEntry[]>("list_outbox");
}

/** A submission with exactly what it submitted. */
export function getSubmission(id: string): Promise<SubmissionDetail> {
  return call<SubmissionDetail>("get_submission", { id });
}

/** Opens an assignment's brief (a page of the course) in the content window. */
export function openAssignmentBrief(courseId: string, itemId: string): Promise<void> {
  return call<void>("open_assignment_brief", { courseId, itemId });
}

/** Name of the event sent after every submission and every change of a submission's state. */
export const OUTBOX_CHANGED_EVENT = "outbox-changed";

/** Calls `handler` whenever the outbox changes; rejects only with BackendError. */
export async function onOutboxChanged(handler: () => void): Promise<UnlistenFn> {
  try {
    return await listen<null>(OUTBOX_CHANGED_EVENT, () => handler());
  } catch (reason) {
    throw toBackendError(reason);
  }
}

/**
 * Name of the event sent to the main window when a course page tried to open a website (the
 * content window does not follow it): the learner is asked whether to open it in their browser.
 */
export const EXTERNAL_LINK_REQUESTED_EVENT = "external-link-requested";

/** What `external-link-requested` carries: the full http(s) address the page tried to open. */
interface ExternalLinkRequested {
  url: string;
}

/**
 * Calls `handler` with the address of each website a course page tried to open; rejects only with
 * BackendError.
 */
export async function onExternalLinkRequested(
  handler: (url: string) => void,
): Promise<UnlistenFn> {
  try {
    return await listen<ExternalLinkRequested | null>(EXTERNAL_LINK_REQUESTED_EVENT, (event) => {
      const url = event.payload?.url;
      if (typeof url === "string") handler(url);
    });
  } catch (reason) {
    throw toBackendError(reason);
  }
}

/**
 * Opens `url` in the learner's web browser, after they said yes. The backend opens only the
 * address the content window last asked for (`external-link-requested`) and rejects any other.
 */
export async function openExternalLink(url: string): Promise<void> {
  await call<null>("open_external_link", { url });
}

/**
 * Opens a webinar session's join address (read from the installed course, https only) in the
 * system's web browser.
 */
export async function openWebinarSession(
  courseId: string,
  itemId: string,
  sessionId: string,
): Promise<void> {
  await call<null>("open_webinar_session", { courseId, itemId, sessionId });
}

/** Who is signed in to the course server, if anyone (`store` is not known here: null). */
export function getAccount(): Promise<AccountView | null> {
  return call<AccountView | null>("get_account");
}

/**
 * Signs in to the course server in use and starts a sync round; resolves with the account and
 * where the session is kept. Rejects with `sign_in_refused` (the message is for the learner) or
 * `offline`.
 */
export function signIn(login: string, password: string): Promise<AccountView> {
  return call<AccountView>("sign_in", { login, password });
}

/** Signs out here (and on the server when it answers). Queued work stays queued. */
export function signOut(): Promise<void> {
  return call<void>("sign_out");
}

/** The sync's latest status, without waiting for the network. */
export function getSyncStatus(): Promise<SyncStatus> {
  return call<SyncStatus>("get_sync_status");
}

/** Starts a sync round now (also while held); what follows arrives as `sync-status` events. */
export function syncNow(): Promise<SyncStatus> {
  return call<SyncStatus>("sync_now");
}

/** Holds sync (a metered or costly connection) or releases it; remembered across restarts. */
export function setSyncHeld(held: boolean): Promise<SyncStatus> {
  return call<SyncStatus>("set_sync_held", { held });
}

/**
 * Saves submission `id` as a file a tutor can accept by hand, where the learner chooses; resolves
 * with its path, or null when they cancelled. Rejects with `export_failed`.
 */
export function exportSubmission(id: string): Promise<string | null> {
  return call<string | null>("export_submission", { id });
}

/**
 * "Try again" on a submission that needs attention: queued again with the same content, and sync
 * starts; resolves with whether it was queued (false: it no longer needed attention).
 */
export function retrySubmission(id: string): Promise<boolean> {
  return call<boolean>("retry_submission", { id });
}

/**
 * Saves a support bundle (versions, sync states, recent log; no secrets, no submitted work) where
 * the learner chooses; resolves with its path, or null when they cancelled.
 */
export function exportSupportBundle(): Promise<string | null> {
  return call<string | null>("export_support_bundle");
}

/**
 * The newest messages from the course server (at most 50, newest first): announcements, new
 * versions of a course, new due dates. They arrive with sync rounds (`outbox-changed` follows a
 * round that applied changes).
 */
export function listCourseNotices(): Promise<CourseNotice[]> {
  return call<CourseNotice[]>("list_course_notices");
}

/** The learner has seen every course notice up to `seq` (the newest shown). */
export function markNoticesSeen(seq: number): Promise<void> {
  return call<void>("mark_notices_seen", { seq });
}

/** Name of the event carrying each new SyncStatus. */
export const SYNC_STATUS_EVENT = "sync-status";

/** Calls `handler` with every new sync status; rejects only with BackendError. */
export async function onSyncStatus(handler: (status: SyncStatus) => void): Promise<UnlistenFn> {
  try {
    return await listen<SyncStatus>(SYNC_STATUS_EVENT, (event) => handler(event.payload));
  } catch (reason) {
    throw toBackendError(reason);
  }
}

/** Every setting, as the Settings screen shows them. */
export function getSettings(): Promise<Settings> {
  return call<Settings>("get_settings");
}

/**
 * Changes the settings `change` names, all or none, and applies them at once; resolves with every
 * setting after the change. Rejects with `invalid_server_url`, `server_url_locked` (nothing saved)
 * or `settings_unavailable` (the settings file cannot be written).
 */
export function updateSettings(change: SettingsChange): Promise<Settings> {
  return call<Settings>("update_settings", { change });
}

/**
 * Copies the course library into `dir` (an empty or new folder), reporting progress, then
 * restarts Carrel on it: on success the promise does not settle, the app restarts. `taskId` names
 * the task for `cancelTask`. Rejects with `library_move_refused` (the message says why),
 * `cancelled` or `settings_unavailable`; the library then stays where it was.
 */
export function moveLibrary(
  dir: string,
  taskId: string,
  onProgress: ProgressHandler,
): Promise<void> {
  return callWithProgress<void>("move_library", { dir, taskId }, onProgress);
}

/** Where updating Carrel stands, without asking the update server. */
export function getUpdateStatus(): Promise<UpdateStatus> {
  return call<UpdateStatus>("get_update_status");
}

/** Asks the course server for a newer Carrel now; resolves with the status after the check. */
export function checkForUpdate(): Promise<UpdateStatus> {
  return call<UpdateStatus>("check_for_update");
}

/**
 * Downloads and verifies the update found (progress arrives as `update-status` events); resolves
 * when it is ready to install. Rejects with `no_update`, `cancelled` or `update_failed`.
 */
export function downloadUpdate(): Promise<UpdateStatus> {
  return call<UpdateStatus>("download_update");
}

/** Stops a running update download; resolves with whether one was running. */
export function cancelUpdateDownload(): Promise<boolean> {
  return call<boolean>("cancel_update_download");
}

/**
 * Installs the downloaded update and restarts Carrel (on success the promise does not settle).
 * Rejects with `update_blocked` (a quiz attempt is open or work is being sent), `no_update` or
 * `update_failed`.
 */
export function installUpdate(): Promise<void> {
  return call<void>("install_update");
}

/** Name of the event carrying each new UpdateStatus. */
export const UPDATE_STATUS_EVENT = "update-status";

/** Calls `handler` with every new update status; rejects only with BackendError. */
export async function onUpdateStatus(handler: (status: UpdateStatus) => void): Promise<UnlistenFn> {
  try {
    return await listen<UpdateStatus>(UPDATE_STATUS_EVENT, (event) => handler(event.payload));
  } catch (reason) {
    throw toBackendError(reason);
  }
}

/**
 * Stops a listener without failing: unlistening is asynchronous in Tauri, and a backend already
 * gone (window closing, tests) is no reason to fail.
 */
export function unlistenQuietly(unlisten: UnlistenFn | null): void {
  if (!unlisten) return;
  try {
    void Promise.resolve(unlisten() as unknown).catch(() => undefined);
  } catch {
    // The backend is gone: nothing left to unsubscribe from.
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

/** A forum with its topics, what is new in each, and the draft of a new topic. */
export function getForum(courseId: string, itemId: string): Promise<ForumView> {
  return call<ForumView>("get_forum", { courseId, itemId });
}

/** A topic with its posts (unread ones marked new) and the learner's draft reply. */
export function getForumTopic(courseId: string, itemId: string, topicId: string): Promise<TopicView> {
  return call<TopicView>("get_forum_topic", { courseId, itemId, topicId });
}

/** Marks the posts of a topic the learner was shown (`postIds`) read. */
export async function markForumTopicRead(
  courseId: string,
  itemId: string,
  topicId: string,
  postIds: readonly string[],
): Promise<void> {
  await call<null>("mark_forum_topic_read", { courseId, itemId, topicId, postIds: [...postIds] });
}

/** Saves what the learner is writing in a topic (or a new topic: `topicId` ""). */
export async function saveForumDraft(
  courseId: string,
  itemId: string,
  draft: ForumDraft,
): Promise<void> {
  await call<null>("save_forum_draft", { courseId, itemId, draft });
}

/** Queues a reply or a new topic in the outbox and clears its draft. */
export function postToForum(courseId: string, itemId: string, post: NewPost): Promise<OutboxEntry> {
  return call<OutboxEntry>("post_to_forum", { courseId, itemId, post });
}

/** The system's open-file dialog for files to add to a post; empty when cancelled. */
export function pickForumAttachments(): Promise<string[]> {
  return call<string[]>("pick_forum_attachments");
}

/** Opens a file of a post with the system's application (downloading it first if needed). */
export async function openForumAttachment(
  courseId: string,
  itemId: string,
  postId: string,
  sha256: string,
): Promise<void> {
  await call<null>("open_forum_attachment", { courseId, itemId, postId, sha256 });
}

/** Copies files in for a post, each checked on its own: the refused ones say why. */
export function addForumAttachments(paths: readonly string[]): Promise<AttachReport> {
  return call<AttachReport>("add_forum_attachments", { paths: [...paths] });
}

export const FORUM_CHANGED_EVENT = "forum-changed";

/** Calls `handler` when forum posts arrive from the server (new, or changed by a tutor). */
export async function onForumChanged(handler: () => void): Promise<UnlistenFn> {
  try {
    return await listen<null>(FORUM_CHANGED_EVENT, () => handler());
  } catch (reason) {
    throw toBackendError(reason);
  }
}

/** The course's certificate with its checklist (signature checked offline); null: none. */
export function getCertificate(courseId: string): Promise<CertificateStatus | null> {
  return call<CertificateStatus | null>("get_certificate", { courseId });
}

/** Asks the course server for the learner's certificate, checks it and keeps it. */
export function requestCertificate(courseId: string): Promise<CertificateStatus | null> {
  return call<CertificateStatus | null>("request_certificate", { courseId });
}

/** Opens the certificate's PDF in the system's viewer. */
export async function openCertificate(courseId: string): Promise<void> {
  await call<null>("open_certificate", { courseId });
}

/** The learner's transcript as last fetched (certificates, programme progress); null before. */
export function getTranscript(): Promise<TranscriptView | null> {
  return call<TranscriptView | null>("get_transcript");
}

export const TRANSCRIPT_CHANGED_EVENT = "transcript-changed";

/** Calls `handler` when the sync fetched the transcript again. */
export async function onTranscriptChanged(handler: () => void): Promise<UnlistenFn> {
  try {
    return await listen<null>(TRANSCRIPT_CHANGED_EVENT, () => handler());
  } catch (reason) {
    throw toBackendError(reason);
  }
}

/** Opens a file of the learner's group with the system's application (downloading it if needed). */
export async function openGroupFile(courseId: string, sha256: string): Promise<void> {
  await call<null>("open_group_file", { courseId, sha256 });
}

export const GROUPS_CHANGED_EVENT = "groups-changed";

/** Calls `handler` when a group's state changed on the server or its files arrived. */
export async function onGroupsChanged(handler: () => void): Promise<UnlistenFn> {
  try {
    return await listen<null>(GROUPS_CHANGED_EVENT, () => handler());
  } catch (reason) {
    throw toBackendError(reason);
  }
}
