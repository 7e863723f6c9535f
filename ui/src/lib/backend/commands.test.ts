import { emit } from "@tauri-apps/api/event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { ProgressSender } from "../../test/backend";
import {
  appInfo,
  catalogEntry,
  courseOutline,
  courseSummary,
  dashboard,
  importReport,
  itemProgress,
  offlineStatus,
  onlineStatus,
  searchHit,
  studySettings,
  weeklyPlan,
} from "../../test/fixtures";
import type { ProgressChanged } from "./bindings/ProgressChanged";
import type { ServerStatus } from "./bindings/ServerStatus";
import type { TaskProgress } from "./bindings/TaskProgress";
import {
  BackendError,
  cancelTask,
  checkServerNow,
  COURSE_FILES_DROPPED_EVENT,
  downloadCourse,
  ErrorCode,
  getAppInfo,
  getCatalog,
  getCourseOutline,
  getDashboard,
  markInteractive,
  getServerStatus,
  getStudyPlan,
  getStudySettings,
  importCourseFile,
  listCourses,
  markItemDone,
  onCourseFilesDropped,
  onProgressChanged,
  onServerStatus,
  openCourseFile,
  openCourseHome,
  openCourseItem,
  pickCourseFile,
  PROGRESS_CHANGED_EVENT,
  removeCourse,
  repairCourse,
  searchCourses,
  SERVER_STATUS_EVENT,
  setServerUrl,
  setWeeklyHours,
  takeNotices,
  takePendingImports,
  addAttachments,
  checkQuizAnswer,
  getAssignment,
  getDraftVersion,
  getQuiz,
  getQuizAttempt,
  getSubmission,
  listOutbox,
  onOutboxChanged,
  openAssignmentBrief,
  OUTBOX_CHANGED_EVENT,
  pickAttachments,
  removeAttachment,
  restoreDraftVersion,
  saveAssignmentDraft,
  saveQuizAnswer,
  startQuizAttempt,
  submitAssignment,
  submitQuizAttempt,
  exportSubmission,
  exportSupportBundle,
  getAccount,
  getSyncStatus,
  listCourseNotices,
  markNoticesSeen,
  onSyncStatus,
  setSyncHeld,
  signIn,
  signOut,
  SYNC_STATUS_EVENT,
  syncNow,
  unlistenQuietly,
  cancelUpdateDownload,
  checkForUpdate,
  downloadUpdate,
  getSettings,
  getUpdateStatus,
  installUpdate,
  moveLibrary,
  onUpdateStatus,
  UPDATE_STATUS_EVENT,
  updateSettings,
  EXTERNAL_LINK_REQUESTED_EVENT,
  onExternalLinkRequested,
  openExternalLink,
} from "./index";
import type { SyncStatus } from "./bindings/SyncStatus";
import type { UpdateStatus } from "./bindings/UpdateStatus";
import { availableStatus, settings, updateStatus } from "../../test/settings-fixtures";
import { account, courseNotice, syncStatus } from "../../test/fixtures";
import {
  assignmentState,
  attemptView,
  draft,
  outboxEntry,
  quizState,
  quizSubmissionDetail,
} from "../../test/assess-fixtures";

afterEach(() => clearMocks());

interface Call {
  cmd: string;
  args: unknown;
}

/** Records every command invoked and answers from `answers` by command name. */
function recordCalls(answers: Record<string, unknown>): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    if (!(cmd in answers)) throw { code: "internal", message: `unexpected command ${cmd}` };
    return answers[cmd];
  });
  return calls;
}

describe("command wrappers", () => {
  it("getAppInfo invokes get_app_info with no arguments", async () => {
    const info = appInfo();
    const calls = recordCalls({ get_app_info: info });
    await expect(getAppInfo()).resolves.toEqual(info);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.cmd).toBe("get_app_info");
    expect(calls[0]?.args ?? {}).toEqual({});
  });

  it("getServerStatus invokes get_server_status with no arguments", async () => {
    const status = onlineStatus();
    const calls = recordCalls({ get_server_status: status });
    await expect(getServerStatus()).resolves.toEqual(status);
    expect(calls.map((c) => c.cmd)).toEqual(["get_server_status"]);
    expect(calls[0]?.args ?? {}).toEqual({});
  });

  it("checkServerNow invokes check_server_now with no arguments", async () => {
    const status = offlineStatus();
    const calls = recordCalls({ check_server_now: status });
    await expect(checkServerNow()).resolves.toEqual(status);
    expect(calls.map((c) => c.cmd)).toEqual(["check_server_now"]);
    expect(calls[0]?.args ?? {}).toEqual({});
  });

  it("setServerUrl invokes set_server_url with { url }", async () => {
    const info = appInfo({ serverUrl: "https://courses.example.org" });
    const calls = recordCalls({ set_server_url: info });
    await expect(setServerUrl("https://courses.example.org")).resolves.toEqual(info);
    expect(calls).toEqual([
      { cmd: "set_server_url", args: { url: "https://courses.example.org" } },
    ]);
  });

  it("setServerUrl rejects with the backend's code", async () => {
    mockIPC(() => {
      throw { code: "server_url_locked", message: "Set by CARREL_SERVER_URL." };
    });
    const error = await setServerUrl("https://x.example").then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).code).toBe("server_url_locked");
  });
});

describe("onServerStatus", () => {
  it("listens to the server-status event and hands over each payload", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const seen: ServerStatus[] = [];
    const unlisten = await onServerStatus((status) => seen.push(status));

    await emit(SERVER_STATUS_EVENT, offlineStatus());
    await emit("some-other-event", onlineStatus());
    await emit(SERVER_STATUS_EVENT, onlineStatus());
    expect(seen).toEqual([offlineStatus(), onlineStatus()]);

    unlisten();
    await emit(SERVER_STATUS_EVENT, offlineStatus());
    expect(seen).toHaveLength(2);
  });

  it("uses the event name the Rust side emits", () => {
    expect(SERVER_STATUS_EVENT).toBe("server-status");
  });

  it("rejects with a BackendError when events are unavailable", async () => {
    // No mocks at all: no Tauri.
    await expect(onServerStatus(() => undefined)).rejects.toBeInstanceOf(BackendError);
  });
});

describe("course command wrappers", () => {
  it.each([
    ["listCourses", () => listCourses(), "list_courses", {}, [courseSummary()]],
    [
      "getCourseOutline",
      () => getCourseOutline("bio-101"),
      "get_course_outline",
      { courseId: "bio-101" },
      courseOutline(),
    ],
    ["pickCourseFile", () => pickCourseFile(), "pick_course_file", {}, null],
    ["cancelTask", () => cancelTask("task-1"), "cancel_task", { taskId: "task-1" }, null],
    ["removeCourse", () => removeCourse("bio-101"), "remove_course", { courseId: "bio-101" }, null],
    ["getCatalog", () => getCatalog(), "get_catalog", {}, { courses: [catalogEntry()] }],
    [
      "openCourseItem",
      () => openCourseItem("bio-101", "i-intro"),
      "open_course_item",
      { courseId: "bio-101", itemId: "i-intro", place: null },
      null,
    ],
    [
      "openCourseItem at a place",
      () => openCourseItem("bio-101", "i-intro", { anchor: "mitosis", headingIndex: 2 }),
      "open_course_item",
      { courseId: "bio-101", itemId: "i-intro", place: { anchor: "mitosis", headingIndex: 2 } },
      null,
    ],
    [
      "searchCourses",
      () => searchCourses("cell wall", null),
      "search_courses",
      { query: "cell wall", courseId: null },
      [searchHit()],
    ],
    [
      "searchCourses in one course",
      () => searchCourses("cell", "bio-101"),
      "search_courses",
      { query: "cell", courseId: "bio-101" },
      [],
    ],
    [
      "openCourseFile",
      () => openCourseFile("bio-101", "i-data"),
      "open_course_file",
      { courseId: "bio-101", itemId: "i-data" },
      null,
    ],
    [
      "openCourseHome",
      () => openCourseHome("bio-101"),
      "open_course_home",
      { courseId: "bio-101" },
      null,
    ],
    [
      "markItemDone",
      () => markItemDone("bio-101", "i-forum"),
      "mark_item_done",
      { courseId: "bio-101", itemId: "i-forum" },
      null,
    ],
    [
      "takeNotices",
      () => takeNotices(),
      "take_notices",
      {},
      [{ code: "progress_restored", message: "Your progress was restored from a backup." }],
    ],
    [
      "takePendingImports",
      () => takePendingImports(),
      "take_pending_imports",
      {},
      ["/tmp/a.carrel"],
    ],
    ["getStudySettings", () => getStudySettings(), "get_study_settings", {}, studySettings()],
    [
      "setWeeklyHours",
      () => setWeeklyHours(7.5),
      "set_weekly_hours",
      { hours: 7.5 },
      studySettings({ weeklyHours: 7.5 }),
    ],
    [
      "getStudyPlan",
      () => getStudyPlan("bio-101"),
      "get_study_plan",
      { courseId: "bio-101" },
      weeklyPlan(),
    ],
    ["getDashboard", () => getDashboard(), "get_dashboard", {}, dashboard()],
    [
      "markInteractive",
      () => markInteractive("dashboard"),
      "mark_interactive",
      { screen: "dashboard" },
      null,
    ],
  ] as const)("%s invokes %s with camelCase arguments", async (_, run, command, args, answer) => {
    const calls = recordCalls({ [command]: answer });
    await expect(run()).resolves.toEqual(answer);
    expect(calls.map((c) => c.cmd)).toEqual([command]);
    expect(calls[0]?.args ?? {}).toEqual(args);
  });

  it("importCourseFile passes path, fingerprint, task id and a progress channel", async () => {
    const seen: TaskProgress[] = [];
    let received: Record<string, unknown> = {};
    mockIPC((cmd, args) => {
      if (cmd !== "import_course_file") throw { code: "internal", message: cmd };
      received = args as Record<string, unknown>;
      const sender = new ProgressSender(args);
      sender.send({ stage: "install", doneBytes: 10, totalBytes: 100 });
      sender.send({ stage: "install", doneBytes: 100, totalBytes: 100 });
      return importReport();
    });
    const report = await importCourseFile("/media/usb/bio.carrel", "SHA256:ab", "task-1", (p) =>
      seen.push(p),
    );
    expect(report).toEqual(importReport());
    expect(received).toMatchObject({
      path: "/media/usb/bio.carrel",
      confirmedFingerprint: "SHA256:ab",
      taskId: "task-1",
    });
    // Serialised for Rust, the channel is a `__CHANNEL__:<id>` reference.
    expect(JSON.stringify(received.onProgress)).toMatch(/^"__CHANNEL__:\d+"$/);
    expect(seen).toEqual([
      { stage: "install", doneBytes: 10, totalBytes: 100 },
      { stage: "install", doneBytes: 100, totalBytes: 100 },
    ]);
  });

  it("importCourseFile sends a null fingerprint when nothing was confirmed", async () => {
    let received: Record<string, unknown> = {};
    mockIPC((_, args) => {
      received = args as Record<string, unknown>;
      return importReport();
    });
    await importCourseFile("/x.carrel", null, "t", () => undefined);
    expect(received).toHaveProperty("confirmedFingerprint", null);
  });

  it("downloadCourse passes course id, task id and a progress channel", async () => {
    const seen: TaskProgress[] = [];
    let received: Record<string, unknown> = {};
    mockIPC((cmd, args) => {
      if (cmd !== "download_course") throw { code: "internal", message: cmd };
      received = args as Record<string, unknown>;
      new ProgressSender(args).send({ stage: "download", doneBytes: 5, totalBytes: 9 });
      return importReport({ courseId: "chem-101" });
    });
    await expect(downloadCourse("chem-101", "task-2", (p) => seen.push(p))).resolves.toMatchObject({
      courseId: "chem-101",
    });
    expect(received).toMatchObject({ courseId: "chem-101", taskId: "task-2" });
    expect(seen).toEqual([{ stage: "download", doneBytes: 5, totalBytes: 9 }]);
  });

  it("repairCourse passes course id, task id and a progress channel; resolves with the report", async () => {
    const seen: TaskProgress[] = [];
    let received: Record<string, unknown> = {};
    const report = { damagedFiles: ["week1/cell.mp4"], newBytes: 2_400_000 };
    mockIPC((cmd, args) => {
      if (cmd !== "repair_course") throw { code: "internal", message: cmd };
      received = args as Record<string, unknown>;
      new ProgressSender(args).send({ stage: "download", doneBytes: 1, totalBytes: 2 });
      return report;
    });
    await expect(repairCourse("bio-101", "task-3", (p) => seen.push(p))).resolves.toEqual(report);
    expect(received).toMatchObject({ courseId: "bio-101", taskId: "task-3" });
    expect(JSON.stringify(received.onProgress)).toMatch(/^"__CHANNEL__:\d+"$/);
    expect(seen).toEqual([{ stage: "download", doneBytes: 1, totalBytes: 2 }]);
  });

  it("keeps the course id of content_damaged as its detail, for repairing", async () => {
    mockIPC(() => {
      throw {
        code: "content_damaged",
        message: "This part of the course is missing or damaged on this computer (week1/cell.mp4).",
        detail: "bio-101",
      };
    });
    const error = await openCourseItem("bio-101", "i-video").then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).code).toBe(ErrorCode.ContentDamaged);
    expect((error as BackendError).detail).toBe("bio-101");
  });

  it("keeps the error's detail (the fingerprint of an untrusted publisher)", async () => {
    mockIPC(() => {
      throw {
        code: "untrusted_publisher",
        message: "This course is signed by Somebody, whom Carrel does not know.",
        detail: "SHA256:feed",
      };
    });
    const error = await importCourseFile("/x.carrel", null, "t", () => undefined).then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).code).toBe(ErrorCode.UntrustedPublisher);
    expect((error as BackendError).detail).toBe("SHA256:feed");
  });

  it("rejects with a BackendError when there is no Tauri to make a channel with", async () => {
    await expect(downloadCourse("c", "t", () => undefined)).rejects.toBeInstanceOf(BackendError);
  });

  it("names the error codes the Rust side sends", () => {
    expect(ErrorCode).toMatchObject({
      UntrustedPublisher: "untrusted_publisher",
      PackageInvalid: "package_invalid",
      Cancelled: "cancelled",
      Offline: "offline",
      NoSpace: "no_space",
      NotInstalled: "not_installed",
      ProgressUnavailable: "progress_unavailable",
      NotMarkable: "not_markable",
      InvalidWeeklyHours: "invalid_weekly_hours",
      ContentDamaged: "content_damaged",
      FileTypeRefused: "file_type_refused",
      NoApplication: "no_application",
    });
  });

  it("setWeeklyHours rejects with invalid_weekly_hours and the backend's sentence", async () => {
    mockIPC(() => {
      throw {
        code: "invalid_weekly_hours",
        message: "Enter between 0.5 and 80 hours a week.",
        detail: null,
      };
    });
    const error = await setWeeklyHours(100).then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).code).toBe(ErrorCode.InvalidWeeklyHours);
    expect((error as BackendError).message).toBe("Enter between 0.5 and 80 hours a week.");
  });

  it("markItemDone rejects with not_markable for an item done by doing it", async () => {
    mockIPC(() => {
      throw {
        code: "not_markable",
        message: "This item is completed by doing it, not by marking it done.",
        detail: null,
      };
    });
    const error = await markItemDone("bio-101", "i-intro").then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).code).toBe(ErrorCode.NotMarkable);
  });
});

describe("onCourseFilesDropped", () => {
  it("hands over the paths of each course-files-dropped event", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const seen: string[][] = [];
    const unlisten = await onCourseFilesDropped((paths) => seen.push(paths));
    expect(COURSE_FILES_DROPPED_EVENT).toBe("course-files-dropped");
    await emit("course-files-dropped", { paths: ["/a.carrel", "/b.carrel"] });
    await emit("server-status", onlineStatus());
    expect(seen).toEqual([["/a.carrel", "/b.carrel"]]);
    unlisten();
    await emit("course-files-dropped", { paths: ["/c.carrel"] });
    expect(seen).toHaveLength(1);
  });
});

describe("onProgressChanged", () => {
  it("hands over the payload of each progress-changed event, until unlistened", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const seen: ProgressChanged[] = [];
    const unlisten = await onProgressChanged((change) => seen.push(change));
    expect(PROGRESS_CHANGED_EVENT, "the event name src-tauri/src/events.rs emits").toBe(
      "progress-changed",
    );
    const change: ProgressChanged = {
      courseId: "bio-101",
      itemId: "i-video",
      progress: itemProgress("i-video", { position: 83, positionUnit: "seconds" }),
    };
    await emit("progress-changed", change);
    await emit("server-status", onlineStatus());
    expect(seen).toEqual([change]);
    unlisten();
    await emit("progress-changed", change);
    expect(seen).toHaveLength(1);
  });

  it("rejects with a BackendError when events are unavailable", async () => {
    await expect(onProgressChanged(() => undefined)).rejects.toBeInstanceOf(BackendError);
  });
});

describe("assessment command wrappers", () => {
  const quiz = { courseId: "bio-101", itemId: "i-quiz" };
  const essay = { courseId: "bio-101", itemId: "i-essay" };
  const answer = { type: "single_choice", choice: "b" } as const;
  const entry = outboxEntry();
  const assignment = assignmentState();

  it.each<[string, () => Promise<unknown>, string, Record<string, unknown> | undefined, unknown]>([
    ["getQuiz", () => getQuiz("bio-101", "i-quiz"), "get_quiz", quiz, quizState()],
    [
      "startQuizAttempt",
      () => startQuizAttempt("bio-101", "i-quiz"),
      "start_quiz_attempt",
      quiz,
      attemptView(),
    ],
    [
      "getQuizAttempt",
      () => getQuizAttempt("bio-101", "i-quiz", "att-1"),
      "get_quiz_attempt",
      { ...quiz, attemptId: "att-1" },
      attemptView(),
    ],
    [
      "saveQuizAnswer",
      () => saveQuizAnswer("bio-101", "i-quiz", "att-1", "q1", answer),
      "save_quiz_answer",
      { ...quiz, attemptId: "att-1", questionId: "q1", answer },
      { savedMs: 5 },
    ],
    [
      "checkQuizAnswer",
      () => checkQuizAnswer("bio-101", "i-quiz", "att-1", "q1"),
      "check_quiz_answer",
      { ...quiz, attemptId: "att-1", questionId: "q1" },
      { grade: { questionId: "q1", points: 1, score: 1, verdict: "correct" }, feedback: null, key: null },
    ],
    [
      "submitQuizAttempt",
      () => submitQuizAttempt("bio-101", "i-quiz", "att-1"),
      "submit_quiz_attempt",
      { ...quiz, attemptId: "att-1" },
      entry,
    ],
    ["getAssignment", () => getAssignment("bio-101", "i-essay"), "get_assignment", essay, assignment],
    [
      "saveAssignmentDraft",
      () =>
        saveAssignmentDraft("bio-101", "i-essay", { text: "Hi", groupName: null, declared: true }),
      "save_assignment_draft",
      { ...essay, edit: { text: "Hi", groupName: null, declared: true } },
      draft(),
    ],
    [
      "getDraftVersion",
      () => getDraftVersion("bio-101", "i-essay", 7),
      "get_draft_version",
      { ...essay, versionId: 7 },
      "Old text",
    ],
    [
      "restoreDraftVersion",
      () => restoreDraftVersion("bio-101", "i-essay", 7),
      "restore_draft_version",
      { ...essay, versionId: 7 },
      draft(),
    ],
    ["pickAttachments", () => pickAttachments("bio-101", "i-essay"), "pick_attachments", essay, ["/a.pdf"]],
    [
      "addAttachments",
      () => addAttachments("bio-101", "i-essay", ["/a.pdf"]),
      "add_attachments",
      { ...essay, paths: ["/a.pdf"] },
      { added: [], refused: [] },
    ],
    [
      "removeAttachment",
      () => removeAttachment("bio-101", "i-essay", "abc"),
      "remove_attachment",
      { ...essay, sha256: "abc" },
      draft(),
    ],
    [
      "submitAssignment",
      () => submitAssignment("bio-101", "i-essay", 3),
      "submit_assignment",
      { ...essay, revision: 3 },
      entry,
    ],
    ["listOutbox", () => listOutbox(), "list_outbox", undefined, [entry]],
    ["getSubmission", () => getSubmission("sub-1"), "get_submission", { id: "sub-1" }, quizSubmissionDetail()],
    [
      "openAssignmentBrief",
      () => openAssignmentBrief("bio-101", "i-essay"),
      "open_assignment_brief",
      essay,
      null,
    ],
  ])("%s invokes %s with its arguments", async (_name, run, cmd, args, answerValue) => {
    const calls = recordCalls({ [cmd]: answerValue });
    await expect(run()).resolves.toEqual(answerValue);
    expect(calls).toEqual([{ cmd, args: args ?? {} }]);
  });

  it("rejects with the backend's code and message", async () => {
    mockIPC(() => {
      throw { code: "draft_changed", message: "The draft changed since you reviewed it." };
    });
    const failure = submitAssignment("bio-101", "i-essay", 2);
    await expect(failure).rejects.toBeInstanceOf(BackendError);
    await expect(failure).rejects.toMatchObject({
      code: ErrorCode.DraftChanged,
      message: "The draft changed since you reviewed it.",
    });
  });

  it("names every new error code the backend sends", () => {
    expect([
      ErrorCode.QuizUnavailable,
      ErrorCode.TimeUp,
      ErrorCode.AlreadySubmitted,
      ErrorCode.AnswerRefused,
      ErrorCode.AttachmentRefused,
      ErrorCode.DraftChanged,
      ErrorCode.NotReady,
    ]).toEqual([
      "quiz_unavailable",
      "time_up",
      "already_submitted",
      "answer_refused",
      "attachment_refused",
      "draft_changed",
      "not_ready",
    ]);
  });
});

describe("onOutboxChanged", () => {
  it("calls the handler on each outbox-changed event, until unlistened", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    let seen = 0;
    const unlisten = await onOutboxChanged(() => (seen += 1));
    expect(OUTBOX_CHANGED_EVENT, "the event name src-tauri/src/events.rs emits").toBe(
      "outbox-changed",
    );
    await emit("outbox-changed");
    await emit("server-status", onlineStatus());
    expect(seen).toBe(1);
    unlisten();
    await emit("outbox-changed");
    expect(seen).toBe(1);
  });

  it("rejects with a BackendError when events are unavailable", async () => {
    await expect(onOutboxChanged(() => undefined)).rejects.toBeInstanceOf(BackendError);
  });
});

describe("sync command wrappers", () => {
  it.each<[string, () => Promise<unknown>, string, Record<string, unknown>, unknown]>([
    ["getAccount", () => getAccount(), "get_account", {}, account()],
    ["getAccount signed out", () => getAccount(), "get_account", {}, null],
    [
      "signIn",
      () => signIn("ana", "s3cret"),
      "sign_in",
      { login: "ana", password: "s3cret" },
      account({ store: "keyring" }),
    ],
    ["signOut", () => signOut(), "sign_out", {}, null],
    ["getSyncStatus", () => getSyncStatus(), "get_sync_status", {}, syncStatus()],
    ["syncNow", () => syncNow(), "sync_now", {}, syncStatus({ phase: "syncing" })],
    [
      "setSyncHeld",
      () => setSyncHeld(true),
      "set_sync_held",
      { held: true },
      syncStatus({ phase: "held", held: true }),
    ],
    [
      "exportSubmission",
      () => exportSubmission("sub-1"),
      "export_submission",
      { id: "sub-1" },
      "/home/learner/submission-sub-1.zip",
    ],
    ["exportSubmission cancelled", () => exportSubmission("sub-1"), "export_submission", { id: "sub-1" }, null],
    ["exportSupportBundle", () => exportSupportBundle(), "export_support_bundle", {}, "/tmp/carrel-support.zip"],
    [
      "listCourseNotices",
      () => listCourseNotices(),
      "list_course_notices",
      {},
      [courseNotice({ seq: 2 }), courseNotice({ seq: 1, seen: true })],
    ],
    ["markNoticesSeen", () => markNoticesSeen(7), "mark_notices_seen", { seq: 7 }, null],
  ])("%s invokes %s with its arguments", async (_name, run, cmd, args, answerValue) => {
    const calls = recordCalls({ [cmd]: answerValue });
    await expect(run()).resolves.toEqual(answerValue);
    expect(calls).toEqual([{ cmd, args }]);
  });

  it("signIn rejects with sign_in_refused and the server's reason", async () => {
    mockIPC(() => {
      throw { code: "sign_in_refused", message: "Wrong login or password.", detail: null };
    });
    const failure = signIn("ana", "nope");
    await expect(failure).rejects.toBeInstanceOf(BackendError);
    await expect(failure).rejects.toMatchObject({
      code: ErrorCode.SignInRefused,
      message: "Wrong login or password.",
    });
  });

  it("names the sync error codes the Rust side sends (src-tauri/src/error.rs)", () => {
    expect([ErrorCode.SignInRefused, ErrorCode.SignedOut, ErrorCode.ExportFailed]).toEqual([
      "sign_in_refused",
      "signed_out",
      "export_failed",
    ]);
  });
});

describe("onSyncStatus", () => {
  it("hands over the payload of each sync-status event, until unlistened", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const seen: SyncStatus[] = [];
    const unlisten = await onSyncStatus((status) => seen.push(status));
    expect(SYNC_STATUS_EVENT, "the event name src-tauri/src/events.rs emits").toBe("sync-status");
    await emit("sync-status", syncStatus({ phase: "offline", queued: 2 }));
    await emit("server-status", onlineStatus());
    expect(seen).toEqual([syncStatus({ phase: "offline", queued: 2 })]);
    unlistenQuietly(unlisten);
    await emit("sync-status", syncStatus());
    expect(seen).toHaveLength(1);
  });

  it("rejects with a BackendError when events are unavailable", async () => {
    await expect(onSyncStatus(() => undefined)).rejects.toBeInstanceOf(BackendError);
  });

  it("unlistenQuietly tolerates no listener and a listener that throws", () => {
    expect(() => unlistenQuietly(null)).not.toThrow();
    expect(() =>
      unlistenQuietly(() => {
        throw new Error("gone");
      }),
    ).not.toThrow();
  });
});

describe("settings and update command wrappers", () => {
  it.each<[string, () => Promise<unknown>, string, Record<string, unknown>, unknown]>([
    ["getSettings", () => getSettings(), "get_settings", {}, settings()],
    [
      "updateSettings",
      () => updateSettings({ language: "fr", theme: "dark" }),
      "update_settings",
      { change: { language: "fr", theme: "dark" } },
      settings({ language: "fr", theme: "dark" }),
    ],
    ["getUpdateStatus", () => getUpdateStatus(), "get_update_status", {}, updateStatus()],
    ["checkForUpdate", () => checkForUpdate(), "check_for_update", {}, availableStatus()],
    ["downloadUpdate", () => downloadUpdate(), "download_update", {}, availableStatus("ready")],
    ["cancelUpdateDownload", () => cancelUpdateDownload(), "cancel_update_download", {}, true],
    ["installUpdate", () => installUpdate(), "install_update", {}, null],
  ])("%s invokes %s with its arguments", async (_name, run, cmd, args, answerValue) => {
    const calls = recordCalls({ [cmd]: answerValue });
    await expect(run()).resolves.toEqual(answerValue);
    expect(calls.map((c) => c.cmd)).toEqual([cmd]);
    expect(calls[0]?.args ?? {}).toEqual(args);
  });

  it("moveLibrary passes the folder, the task id and a progress channel", async () => {
    const seen: TaskProgress[] = [];
    let received: Record<string, unknown> = {};
    mockIPC((cmd, args) => {
      if (cmd !== "move_library") throw { code: "internal", message: cmd };
      received = args as Record<string, unknown>;
      new ProgressSender(args).send({ stage: "install", doneBytes: 4, totalBytes: 8 });
      return null;
    });
    await moveLibrary("/media/big/Courses", "task-9", (p) => seen.push(p));
    expect(received).toMatchObject({ dir: "/media/big/Courses", taskId: "task-9" });
    expect(JSON.stringify(received.onProgress)).toMatch(/^"__CHANNEL__:\d+"$/);
    expect(seen).toEqual([{ stage: "install", doneBytes: 4, totalBytes: 8 }]);
  });

  it("keeps the code and sentence of a refused move", async () => {
    mockIPC(() => {
      throw {
        code: "library_move_refused",
        message: "the folder /media/big is not empty; choose an empty or new folder",
        detail: null,
      };
    });
    const failure = moveLibrary("/media/big", "t", () => undefined);
    await expect(failure).rejects.toBeInstanceOf(BackendError);
    await expect(failure).rejects.toMatchObject({ code: ErrorCode.LibraryMoveRefused });
  });

  it("names the settings and update error codes the Rust side sends (src-tauri/src/error.rs)", () => {
    expect([
      ErrorCode.NoUpdate,
      ErrorCode.UpdateBlocked,
      ErrorCode.UpdateFailed,
      ErrorCode.LibraryMoveRefused,
      ErrorCode.SettingsUnavailable,
      ErrorCode.InvalidServerUrl,
      ErrorCode.ServerUrlLocked,
      ErrorCode.Cancelled,
    ]).toEqual([
      "no_update",
      "update_blocked",
      "update_failed",
      "library_move_refused",
      "settings_unavailable",
      "invalid_server_url",
      "server_url_locked",
      "cancelled",
    ]);
  });
});

describe("onUpdateStatus", () => {
  it("hands over the payload of each update-status event, until unlistened", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const seen: UpdateStatus[] = [];
    const unlisten = await onUpdateStatus((status) => seen.push(status));
    expect(UPDATE_STATUS_EVENT, "the event name src-tauri/src/events.rs emits").toBe(
      "update-status",
    );
    await emit("update-status", availableStatus("downloading", { downloadedBytes: 10 }));
    await emit("sync-status", syncStatus());
    expect(seen).toEqual([availableStatus("downloading", { downloadedBytes: 10 })]);
    unlistenQuietly(unlisten);
    await emit("update-status", updateStatus());
    expect(seen).toHaveLength(1);
  });

  it("rejects with a BackendError when events are unavailable", async () => {
    await expect(onUpdateStatus(() => undefined)).rejects.toBeInstanceOf(BackendError);
  });
});

describe("onExternalLinkRequested", () => {
  it("hands over the address of each external-link-requested event, until unlistened", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const seen: string[] = [];
    const unlisten = await onExternalLinkRequested((url) => seen.push(url));
    expect(EXTERNAL_LINK_REQUESTED_EVENT, "the event name src-tauri/src/events.rs emits").toBe(
      "external-link-requested",
    );
    await emit("external-link-requested", { url: "https://example.org/a?b=c" });
    await emit("outbox-changed");
    expect(seen).toEqual(["https://example.org/a?b=c"]);
    unlistenQuietly(unlisten);
    await emit("external-link-requested", { url: "https://example.org/later" });
    expect(seen).toHaveLength(1);
  });

  it("rejects with a BackendError when events are unavailable", async () => {
    await expect(onExternalLinkRequested(() => undefined)).rejects.toBeInstanceOf(BackendError);
  });
});

describe("openExternalLink", () => {
  it("invokes open_external_link with the address and resolves with nothing", async () => {
    const calls = recordCalls({ open_external_link: null });
    await expect(openExternalLink("https://example.org/page#part")).resolves.toBeUndefined();
    expect(calls).toEqual([
      { cmd: "open_external_link", args: { url: "https://example.org/page#part" } },
    ]);
  });

  it("keeps the code and sentence of a refusal", async () => {
    mockIPC(() => {
      throw {
        code: "link_refused",
        message: "This link was not asked for by a course page.",
        detail: null,
      };
    });
    const failure = openExternalLink("https://example.org/other");
    await expect(failure).rejects.toBeInstanceOf(BackendError);
    await expect(failure).rejects.toMatchObject({
      code: ErrorCode.LinkRefused,
      message: "This link was not asked for by a course page.",
    });
  });
});
