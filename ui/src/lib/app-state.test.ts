import { emit } from "@tauri-apps/api/event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "@testing-library/svelte";
import { callsOf, deferred, fakeBackend } from "../test/backend";
import {
  appInfo,
  checkingStatus,
  courseNotice,
  offlineStatus,
  onlineStatus,
} from "../test/fixtures";
import { AppState, isScreen, SCREENS } from "./app-state.svelte";
import type { CourseNotice } from "./backend";
import type { InvokeArgs } from "@tauri-apps/api/core";

let state: AppState | null = null;

afterEach(() => {
  state?.stop();
  state = null;
  clearMocks();
});

type Handler = (args: InvokeArgs | undefined) => unknown;

/** A fake backend answering by command name, with events enabled. Returns the commands seen. */
function backend(handlers: Record<string, Handler>): string[] {
  const seen: string[] = [];
  mockIPC(
    (cmd, args) => {
      seen.push(cmd);
      // Notices are tested on their own; elsewhere there are none.
      const handler = handlers[cmd] ?? (cmd === "take_notices" ? () => [] : undefined);
      if (!handler) throw { code: "internal", message: `unexpected ${cmd}` };
      return handler(args);
    },
    { shouldMockEvents: true },
  );
  return seen;
}

function newState(): AppState {
  state = new AppState();
  return state;
}

describe("AppState.start", () => {
  it("loads the app info and the server status", async () => {
    const seen = backend({
      get_app_info: () => appInfo(),
      get_server_status: () => checkingStatus(),
    });
    const s = newState();
    expect(s.loaded).toBe(false);
    await s.start();
    expect(s.loaded).toBe(true);
    expect(s.info).toEqual(appInfo());
    expect(s.status).toEqual(checkingStatus());
    expect(s.loadError).toBeNull();
    expect(seen).toEqual(expect.arrayContaining(["get_app_info", "get_server_status"]));
  });

  it("follows server-status events after loading", async () => {
    backend({ get_app_info: () => appInfo(), get_server_status: () => checkingStatus() });
    const s = newState();
    await s.start();
    await emit("server-status", offlineStatus());
    expect(s.status).toEqual(offlineStatus());
    await emit("server-status", onlineStatus());
    expect(s.status?.state).toBe("online");
  });

  it("keeps a status event that arrived while get_server_status was answering", async () => {
    backend({
      get_app_info: () => appInfo(),
      get_server_status: async () => {
        // The monitor finishes a probe while the command is in flight.
        await emit("server-status", onlineStatus());
        return checkingStatus();
      },
    });
    const s = newState();
    await s.start();
    expect(s.status?.state).toBe("online");
  });

  it("keeps the failure, with its code, and loads on retry", async () => {
    let fail = true;
    backend({
      get_app_info: () => {
        if (fail) throw { code: "internal", message: "Reading settings failed." };
        return appInfo();
      },
      get_server_status: () => onlineStatus(),
    });
    const s = newState();
    await s.start();
    expect(s.loaded).toBe(false);
    expect(s.loadError?.code).toBe("internal");
    expect(s.loadError?.message).toBe("Reading settings failed.");

    fail = false;
    await s.start();
    expect(s.loadError).toBeNull();
    expect(s.loaded).toBe(true);
  });

  it("fails softly (no throw) when there is no backend at all", async () => {
    const s = newState();
    await expect(s.start()).resolves.toBeUndefined();
    expect(s.loadError?.code).toBe("unknown");
  });

  it("stops following events after stop()", async () => {
    backend({ get_app_info: () => appInfo(), get_server_status: () => checkingStatus() });
    const s = newState();
    await s.start();
    s.stop();
    await emit("server-status", offlineStatus());
    expect(s.status).toEqual(checkingStatus());
  });
});

describe("AppState navigation", () => {
  it("starts on the Dashboard and moves between the six screens", () => {
    const s = newState();
    expect(s.screen, "Carrel opens on the Dashboard").toBe("dashboard");
    for (const screen of SCREENS) {
      s.navigate(screen);
      expect(s.screen).toBe(screen);
    }
    expect(SCREENS).toEqual(["dashboard", "search", "library", "course", "outbox", "settings"]);
  });

  it("recognises screen names", () => {
    expect(isScreen("outbox")).toBe(true);
    expect(isScreen("admin")).toBe(false);
  });
});

describe("AppState courses", () => {
  it("openCourse remembers the course and shows the Course screen", () => {
    const s = newState();
    expect(s.currentCourseId).toBeNull();
    s.openCourse("bio-101");
    expect(s.currentCourseId).toBe("bio-101");
    expect(s.screen).toBe("course");
  });

  it("removeCourse closes the course when it was the open one, and only then", async () => {
    backend({ remove_course: () => null, list_courses: () => [] });
    const s = newState();
    s.openCourse("bio-101");
    await expect(s.removeCourse({ id: "chem-101", title: "Chemistry" })).resolves.toBe(true);
    expect(s.currentCourseId).toBe("bio-101");
    await expect(s.removeCourse({ id: "bio-101", title: "Biology" })).resolves.toBe(true);
    expect(s.currentCourseId).toBeNull();
  });

  it("keeps the course open when removing it failed", async () => {
    backend({
      remove_course: () => {
        throw { code: "internal", message: "Could not delete.", detail: null };
      },
    });
    const s = newState();
    s.openCourse("bio-101");
    await expect(s.removeCourse({ id: "bio-101", title: "Biology" })).resolves.toBe(false);
    expect(s.currentCourseId).toBe("bio-101");
    expect(s.library.message).toEqual({ kind: "error", text: "Could not delete." });
  });

  it("takes the command line's package files once, after loading", async () => {
    const seen = backend({
      get_app_info: () => appInfo(),
      get_server_status: () => onlineStatus(),
      take_pending_imports: () => [],
    });
    const s = newState();
    await s.start();
    await s.start();
    expect(seen.filter((cmd) => cmd === "take_pending_imports")).toHaveLength(1);
  });

  it("stops importing dropped files after stop()", async () => {
    const seen = backend({
      get_app_info: () => appInfo(),
      get_server_status: () => onlineStatus(),
      take_pending_imports: () => [],
      import_course_file: () => new Promise(() => undefined),
    });
    const s = newState();
    await s.start();
    s.stop();
    await emit("course-files-dropped", { paths: ["/tmp/a.carrel"] });
    expect(seen).not.toContain("import_course_file");
    expect(s.library.task).toBeNull();
  });
});

describe("AppState notices", () => {
  const RESTORED = { code: "progress_restored", message: "Restored from a backup." };

  it("takes the notices once, after loading, and forgets each one dismissed", async () => {
    const seen = backend({
      get_app_info: () => appInfo(),
      get_server_status: () => onlineStatus(),
      take_pending_imports: () => [],
      take_notices: () => [RESTORED, { code: "progress_reset", message: "Started afresh." }],
    });
    const s = newState();
    await s.start();
    await s.start();
    expect(seen.filter((cmd) => cmd === "take_notices")).toHaveLength(1);
    expect(s.notices.map((notice) => notice.code)).toEqual(["progress_restored", "progress_reset"]);
    s.dismissNotice("progress_restored");
    expect(s.notices.map((notice) => notice.code)).toEqual(["progress_reset"]);
  });

  it("keeps one notice per code, since the code names its banner", async () => {
    backend({
      get_app_info: () => appInfo(),
      get_server_status: () => onlineStatus(),
      take_pending_imports: () => [],
      take_notices: () => [RESTORED, { ...RESTORED, message: "Again." }],
    });
    const s = newState();
    await s.start();
    expect(s.notices).toEqual([RESTORED]);
  });

  it("does not take notices before the shell could load", async () => {
    const seen = backend({
      get_app_info: () => {
        throw { code: "internal", message: "Reading settings failed." };
      },
      get_server_status: () => onlineStatus(),
    });
    const s = newState();
    await s.start();
    expect(seen).not.toContain("take_notices");
    expect(s.notices).toEqual([]);
  });
});

describe("AppState.checkNow", () => {
  it("takes the fresh status from check_server_now", async () => {
    const seen = backend({
      get_app_info: () => appInfo(),
      get_server_status: () => onlineStatus(),
      check_server_now: () => offlineStatus(),
    });
    const s = newState();
    await s.start();
    const checking = s.checkNow();
    expect(s.checkingNow).toBe(true);
    await checking;
    expect(s.checkingNow).toBe(false);
    expect(s.status).toEqual(offlineStatus());
    expect(seen).toContain("check_server_now");
  });

  it("keeps a failed check as checkError without throwing", async () => {
    backend({
      get_app_info: () => appInfo(),
      get_server_status: () => onlineStatus(),
      check_server_now: () => {
        throw { code: "internal", message: "Checking the course server failed." };
      },
    });
    const s = newState();
    await s.start();
    await s.checkNow();
    expect(s.checkError?.code).toBe("internal");
    expect(s.status).toEqual(onlineStatus());
    expect(s.checkingNow).toBe(false);
  });
});

describe("AppState.saveServerUrl", () => {
  it("sends the trimmed address and takes the updated info", async () => {
    const sent: unknown[] = [];
    backend({
      get_app_info: () => appInfo(),
      get_server_status: () => onlineStatus(),
      set_server_url: (args) => {
        sent.push(args);
        return appInfo({ serverUrl: "https://courses.example.org" });
      },
    });
    const s = newState();
    await s.start();
    const info = await s.saveServerUrl("  https://courses.example.org ");
    expect(sent).toEqual([{ url: "https://courses.example.org" }]);
    expect(info.serverUrl).toBe("https://courses.example.org");
    expect(s.info?.serverUrl).toBe("https://courses.example.org");
  });

  it("rejects with the backend's code and leaves the info as it was", async () => {
    backend({
      get_app_info: () => appInfo(),
      get_server_status: () => onlineStatus(),
      set_server_url: () => {
        throw { code: "invalid_server_url", message: "Use an address starting with https://" };
      },
    });
    const s = newState();
    await s.start();
    await expect(s.saveServerUrl("ftp://example.org")).rejects.toMatchObject({
      code: "invalid_server_url",
      message: "Use an address starting with https://",
    });
    expect(s.info).toEqual(appInfo());
  });

  it("reloads the info when the address turned out to be locked", async () => {
    let source: "settings" | "environment" = "settings";
    backend({
      get_app_info: () => appInfo({ serverUrlSource: source }),
      get_server_status: () => onlineStatus(),
      set_server_url: () => {
        source = "environment";
        throw { code: "server_url_locked", message: "Set by CARREL_SERVER_URL." };
      },
    });
    const s = newState();
    await s.start();
    await expect(s.saveServerUrl("https://x.example")).rejects.toMatchObject({
      code: "server_url_locked",
    });
    expect(s.info?.serverUrlSource).toBe("environment");
  });
});

describe("AppState.openItem", () => {
  it("shows quizzes and assignments in the Course screen, without the content window", async () => {
    const seen = backend({});
    const s = newState();
    await s.openItem("bio-101", "i-quiz", "quiz");
    expect(s.screen).toBe("course");
    expect(s.currentCourseId).toBe("bio-101");
    expect(s.assessment).toEqual({ kind: "quiz", courseId: "bio-101", itemId: "i-quiz", attemptId: null });
    await s.openItem("bio-101", "i-essay", "assignment");
    expect(s.assessment).toEqual({ kind: "assignment", courseId: "bio-101", itemId: "i-essay" });
    expect(seen).not.toContain("open_course_item");
    // Course again in the navigation: back to the outline.
    s.navigate("course");
    expect(s.assessment).toBeNull();
  });

  it("opens anything else in the content window, at the place given", async () => {
    const args: unknown[] = [];
    backend({ open_course_item: (given) => void args.push(given) });
    const s = newState();
    await s.openItem("bio-101", "i-intro", "page", { anchor: "a", headingIndex: 1 });
    expect(args).toEqual([
      { courseId: "bio-101", itemId: "i-intro", place: { anchor: "a", headingIndex: 1 } },
    ]);
    expect(s.assessment).toBeNull();
  });
});

describe("AppState's course notices", () => {
  const shellHandlers = {
    get_app_info: () => appInfo(),
    get_server_status: () => onlineStatus(),
    take_pending_imports: () => [],
    take_notices: () => [],
    list_outbox: () => [],
  };

  it("reads them at start and after each outbox-changed, counting those not seen", async () => {
    let notices = [courseNotice({ seq: 1, seen: true })];
    const calls = fakeBackend({ ...shellHandlers, list_course_notices: () => notices });
    const s = newState();
    await s.start();
    expect(s.courseNotices).toEqual(notices);
    expect(s.unseenNoticeCount).toBe(0);

    notices = [courseNotice({ seq: 3 }), courseNotice({ seq: 2 }), ...notices];
    await emit("outbox-changed");
    await waitFor(() => expect(s.unseenNoticeCount).toBe(2));
    expect(callsOf(calls, "list_course_notices")).toHaveLength(2);
  });

  it("marks them seen here at once and in the backend once per seq", async () => {
    const calls = fakeBackend({
      ...shellHandlers,
      list_course_notices: () => [courseNotice({ seq: 2 }), courseNotice({ seq: 1 })],
    });
    const s = newState();
    await s.start();
    const marking = s.markCourseNoticesSeen(2);
    expect(s.unseenNoticeCount, "the badge goes before the backend answers").toBe(0);
    await marking;
    await s.markCourseNoticesSeen(2);
    await s.markCourseNoticesSeen(1);
    expect(callsOf(calls, "mark_notices_seen").map((call) => call.args)).toEqual([{ seq: 2 }]);
  });

  it("keeps them seen when a list read while marking still says they are new", async () => {
    const answer = deferred<CourseNotice[]>();
    let reads = 0;
    fakeBackend({
      ...shellHandlers,
      list_course_notices: () => (++reads === 1 ? [courseNotice({ seq: 1 })] : answer.promise),
    });
    const s = newState();
    await s.start();
    const reading = s.refreshCourseNotices();
    await s.markCourseNoticesSeen(1);
    answer.resolve([courseNotice({ seq: 2 }), courseNotice({ seq: 1 })]);
    await reading;
    expect(s.courseNotices?.map((notice) => notice.seen)).toEqual([false, true]);
    expect(s.unseenNoticeCount).toBe(1);
  });

  it("marks them again after a read when the backend could not mark them", async () => {
    let fail = true;
    const calls = fakeBackend({
      ...shellHandlers,
      list_course_notices: () => [courseNotice({ seq: 4 })],
      mark_notices_seen: () => {
        if (fail) throw { code: "internal", message: "The notices could not be marked as seen" };
        return null;
      },
    });
    const s = newState();
    await s.start();
    await expect(s.markCourseNoticesSeen(4)).resolves.toBeUndefined();
    await s.refreshCourseNotices();
    expect(s.unseenNoticeCount, "still new in the backend: new here").toBe(1);
    fail = false;
    await s.markCourseNoticesSeen(4);
    expect(callsOf(calls, "mark_notices_seen")).toHaveLength(2);
    expect(s.unseenNoticeCount).toBe(0);
  });

  it("keeps the last list when they cannot be read", async () => {
    let fail = false;
    fakeBackend({
      ...shellHandlers,
      list_course_notices: () => {
        if (fail) throw { code: "internal", message: "The course notices could not be read" };
        return [courseNotice()];
      },
    });
    const s = newState();
    await s.start();
    fail = true;
    await expect(s.refreshCourseNotices()).resolves.toBeUndefined();
    expect(s.courseNotices).toEqual([courseNotice()]);
  });
});
