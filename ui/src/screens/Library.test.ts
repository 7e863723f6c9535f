// The Library as a learner meets it, in the whole shell, against a fake backend: installed courses,
// importing a file (picked, dropped, or named on the command line) with progress delivered through
// the command's channel, the trust question, cancelling, the catalogue online and offline, and
// removing a course. The element ids are the ones the WebDriver tests use.
import { emit } from "@tauri-apps/api/event";
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import App from "../App.svelte";
import { AppState } from "../lib/app-state.svelte";
import type { CourseSummary } from "../lib/backend";
import { formatDateRange, formatDay } from "../lib/i18n/units";
import {
  callsOf,
  deferred,
  fakeBackend,
  ProgressSender,
  type Call,
  type Handler,
} from "../test/backend";
import {
  appInfo,
  catalogEntry,
  courseOutline,
  courseSummary,
  dashboard,
  importReport,
  offlineStatus,
  onlineStatus,
  repairReport,
} from "../test/fixtures";

afterEach(() => {
  cleanup();
  clearMocks();
});

const FILE = "/media/usb/biology.carrel";
const FINGERPRINT = "SHA256:9b2e5d8c1f4a7b0e3d6c9f4f1c9a0b7e2d5c8f3a6b9e0d1c4f7a2b5e8d0c3f6a";
const UNTRUSTED = {
  code: "untrusted_publisher",
  message: "This course is signed by “Riverside College”, a publisher this computer does not know.",
  detail: FINGERPRINT,
};

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is not in the page`);
  return element;
}

function isOpen(id: string): boolean {
  return document.getElementById(id)?.hasAttribute("open") ?? false;
}

/**
 * The shell, loaded, showing the Library (reached from the Dashboard it opens on), with a fake
 * backend answering `handlers` first.
 */
async function renderLibrary(handlers: Record<string, Handler> = {}) {
  const calls = fakeBackend({
    get_app_info: () => appInfo(),
    get_server_status: () => onlineStatus(),
    take_pending_imports: () => [],
    take_notices: () => [],
    list_courses: () => [],
    get_catalog: () => ({ courses: [] }),
    get_dashboard: () => dashboard({ courses: [], completedItems: 0, totalItems: 0 }),
    ...handlers,
  });
  const shell = new AppState();
  render(App, { shell });
  await waitFor(() => expect(document.body.dataset.ready).toBe("true"));
  // Command-line imports show the Library by themselves.
  if (shell.screen !== "library") await fireEvent.click(byId("nav-library"));
  await waitFor(() => expect(callsOf(calls, "list_courses").length).toBeGreaterThan(0));
  return { calls, shell };
}

/** A list_courses that answers with `before` until `installed()` is called, then with `after`. */
function changingList(before: CourseSummary[], after: CourseSummary[]) {
  let changed = false;
  return {
    handler: () => (changed ? after : before),
    installed: () => {
      changed = true;
    },
  };
}

/** An import_course_file that hands each call's progress sender and answer to the test. */
function pendingImports() {
  const runs: {
    args: Record<string, unknown>;
    progress: ProgressSender;
    answer: ReturnType<typeof deferred>;
  }[] = [];
  const handler: Handler = (args) => {
    const answer = deferred<unknown>();
    runs.push({
      args: args as Record<string, unknown>,
      progress: new ProgressSender(args),
      answer,
    });
    return answer.promise;
  };
  return { runs, handler };
}

function messageRegion(): HTMLElement {
  return byId("library-message");
}

describe("installed courses", () => {
  it("lists each course with its title, publisher, version, dates, size and item count", async () => {
    const course = courseSummary();
    await renderLibrary({
      list_courses: () => [
        course,
        courseSummary({ id: "hist-200", title: "Modern History", starts: null, ends: null }),
      ],
    });
    await waitFor(() => expect(document.getElementById("course-bio-101")).not.toBeNull());
    const list = byId("library-courses");
    expect(list.tagName).toBe("UL");
    expect(list.hidden).toBe(false);
    expect(list.querySelectorAll(":scope > li")).toHaveLength(2);

    const card = byId("course-bio-101");
    const text = card.textContent ?? "";
    expect(within(card).getByRole("heading", { level: 3 }).textContent).toBe(
      "Introduction to Biology",
    );
    expect(text).toContain("Open Science Press");
    expect(text).toContain("1.0.0");
    expect(text).toContain(formatDateRange(course.starts, course.ends) as string);
    expect(text).toMatch(/48[.,]3 MB/);
    expect(text).toContain("24 items");
    expect(byId("course-open-bio-101").textContent?.trim()).toBe("Open");
    expect(screen.getByRole("button", { name: "Open Introduction to Biology" })).toBe(
      byId("course-open-bio-101"),
    );
    expect(screen.getByRole("button", { name: "Remove Introduction to Biology" })).toBe(
      byId("course-remove-bio-101"),
    );
    // A course without dates says nothing about dates.
    expect(byId("course-hist-200").textContent).not.toContain("Dates");
  });

  it("shows how far the learner is in each course and when they last studied it", async () => {
    const lastStudiedMs = Date.UTC(2026, 2, 4, 16, 30, 0);
    await renderLibrary({
      list_courses: () => [
        courseSummary({ completedItems: 3, lastStudiedMs }),
        courseSummary({ id: "hist-200", title: "Modern History", itemCount: 1 }),
      ],
    });
    await waitFor(() => expect(document.getElementById("course-bio-101")).not.toBeNull());
    const progress = byId("course-progress-bio-101");
    expect(progress.textContent?.trim()).toBe("3 of 24 items done");
    expect(progress.dataset.completed).toBe("3");
    expect(progress.dataset.total).toBe("24");
    expect(progress.getAttribute("aria-valuenow")).toBe("3");
    expect(progress.getAttribute("aria-valuemax")).toBe("24");
    expect(
      screen.getByRole("progressbar", { name: "Progress in Introduction to Biology" }),
    ).toBe(progress);
    expect(progress.querySelector("progress")?.value).toBe(3);
    expect(byId("course-last-studied-bio-101").textContent?.trim()).toBe(
      `Last studied ${formatDay(lastStudiedMs)}`,
    );

    // Never studied: nothing done, and nothing said about when.
    expect(byId("course-progress-hist-200").textContent?.trim()).toBe("0 of 1 item done");
    expect(document.getElementById("course-last-studied-hist-200")).toBeNull();
  });

  it("reads the courses again when the Library is shown again, with the progress made", async () => {
    const list = changingList(
      [courseSummary()],
      [courseSummary({ completedItems: 5, lastStudiedMs: Date.UTC(2026, 2, 4) })],
    );
    await renderLibrary({ list_courses: list.handler, get_course_outline: () => courseOutline() });
    await waitFor(() => expect(document.getElementById("course-open-bio-101")).not.toBeNull());
    expect(byId("course-progress-bio-101").dataset.completed).toBe("0");
    await fireEvent.click(byId("course-open-bio-101"));
    list.installed();
    await fireEvent.click(byId("nav-library"));
    await waitFor(() => expect(byId("course-progress-bio-101").dataset.completed).toBe("5"));
    expect(byId("course-last-studied-bio-101")).toBeTruthy();
  });

  it("shows the empty state when no course is installed", async () => {
    await renderLibrary();
    await waitFor(() => expect(screen.getByText("No courses on this computer yet")).toBeTruthy());
    expect(byId("library-courses").children).toHaveLength(0);
  });

  it("opens a course on the Course screen", async () => {
    const { calls, shell } = await renderLibrary({
      list_courses: () => [courseSummary()],
      get_course_outline: () => {
        throw {
          code: "not_installed",
          message: "This course is no longer on this computer.",
          detail: null,
        };
      },
    });
    await waitFor(() => expect(document.getElementById("course-open-bio-101")).not.toBeNull());
    await fireEvent.click(byId("course-open-bio-101"));
    expect(shell.screen).toBe("course");
    expect(shell.currentCourseId).toBe("bio-101");
    await waitFor(() => expect(callsOf(calls, "get_course_outline")).toHaveLength(1));
    expect(callsOf(calls, "get_course_outline")[0]?.args).toEqual({ courseId: "bio-101" });
  });
});

describe("importing a course file", () => {
  it("imports the picked file, showing progress from the channel, then the result", async () => {
    const list = changingList([], [courseSummary()]);
    const imports = pendingImports();
    const { calls } = await renderLibrary({
      pick_course_file: () => FILE,
      import_course_file: imports.handler,
      list_courses: list.handler,
    });
    expect(byId("library-drop-hint").textContent).toContain(".carrel");

    await fireEvent.click(byId("library-import-file"));
    await waitFor(() => expect(imports.runs).toHaveLength(1));
    const run = imports.runs[0]!;
    expect(run.args).toMatchObject({ path: FILE, confirmedFingerprint: null });
    expect(typeof run.args.taskId).toBe("string");
    expect(run.args.taskId).not.toBe("");

    // Started: an indeterminate bar, and the start said in the live region.
    await waitFor(() => expect(document.getElementById("task-progress")).not.toBeNull());
    expect(byId("task-progress").dataset.stage).toBe("install");
    expect(byId("task-progress").hasAttribute("value")).toBe(false);
    expect(messageRegion().dataset.kind).toBe("info");
    expect(messageRegion().textContent?.trim()).toBe("Importing biology.carrel…");
    expect(messageRegion().getAttribute("aria-live")).toBe("polite");
    expect(byId("library-import-file").getAttribute("aria-disabled")).toBe("true");

    run.progress.send({ stage: "install", doneBytes: 12_300_000, totalBytes: 40_100_000 });
    await waitFor(() => expect(byId("task-progress").dataset.done).toBe("12300000"));
    const bar = screen.getByRole("progressbar");
    expect(bar).toBe(byId("task-progress"));
    expect(bar.dataset.total).toBe("40100000");
    expect(bar.getAttribute("aria-valuenow")).toBe("12300000");
    expect(bar.getAttribute("aria-valuemax")).toBe("40100000");
    expect((bar as HTMLProgressElement).value).toBe(12_300_000);
    expect((bar as HTMLProgressElement).max).toBe(40_100_000);
    expect(byId("task-label").textContent).toMatch(/^Installing… 12[.,]3 of 40[.,]1 MB$/);
    expect(bar.getAttribute("aria-labelledby")).toBe("task-label");

    list.installed();
    run.answer.resolve(importReport());
    await waitFor(() => expect(messageRegion().dataset.kind).toBe("success"));
    expect(messageRegion().textContent?.trim()).toBe(
      "Installed Introduction to Biology version 1.0.0.",
    );
    expect(document.getElementById("task-progress")).toBeNull();
    await waitFor(() => expect(document.getElementById("course-bio-101")).not.toBeNull());
    expect(callsOf(calls, "list_courses").length).toBeGreaterThanOrEqual(2);
    expect(byId("library-import-file").hasAttribute("aria-disabled")).toBe(false);
  });

  it("says when the course was already installed", async () => {
    await renderLibrary({
      pick_course_file: () => FILE,
      import_course_file: () => importReport({ alreadyInstalled: true }),
    });
    await fireEvent.click(byId("library-import-file"));
    await waitFor(() => expect(messageRegion().dataset.kind).toBe("success"));
    expect(messageRegion().textContent?.trim()).toBe(
      "Introduction to Biology version 1.0.0 is already installed and up to date.",
    );
  });

  it("does nothing when the learner closes the file dialog", async () => {
    const { calls } = await renderLibrary({ pick_course_file: () => null });
    await fireEvent.click(byId("library-import-file"));
    await waitFor(() => expect(callsOf(calls, "pick_course_file")).toHaveLength(1));
    expect(callsOf(calls, "import_course_file")).toHaveLength(0);
    expect(messageRegion().hasAttribute("data-kind")).toBe(false);
  });

  it("shows the backend's sentence when the package is invalid", async () => {
    await renderLibrary({
      pick_course_file: () => FILE,
      import_course_file: () => {
        throw {
          code: "package_invalid",
          message: "This file is damaged. Nothing was installed.",
          detail: null,
        };
      },
    });
    await fireEvent.click(byId("library-import-file"));
    await waitFor(() => expect(messageRegion().dataset.kind).toBe("error"));
    expect(messageRegion().textContent?.trim()).toBe(
      "This file is damaged. Nothing was installed.",
    );
    expect(isOpen("trust-dialog")).toBe(false);
  });

  it("cancels the running import with cancel_task and the same task id", async () => {
    const imports = pendingImports();
    const { calls } = await renderLibrary({
      pick_course_file: () => FILE,
      import_course_file: imports.handler,
      cancel_task: () => null,
    });
    await fireEvent.click(byId("library-import-file"));
    await waitFor(() => expect(document.getElementById("task-cancel")).not.toBeNull());

    byId("task-cancel").focus();
    await fireEvent.click(byId("task-cancel"));
    await waitFor(() => expect(callsOf(calls, "cancel_task")).toHaveLength(1));
    expect(callsOf(calls, "cancel_task")[0]?.args).toEqual({
      taskId: imports.runs[0]?.args.taskId,
    });
    expect(byId("task-cancel").textContent?.trim()).toBe("Cancelling…");
    // A second press while cancelling asks nothing more.
    await fireEvent.click(byId("task-cancel"));
    expect(callsOf(calls, "cancel_task")).toHaveLength(1);

    imports.runs[0]?.answer.reject({
      code: "cancelled",
      message: "Import cancelled. Nothing was installed.",
      detail: null,
    });
    await waitFor(() => expect(document.getElementById("task-progress")).toBeNull());
    expect(messageRegion().dataset.kind).toBe("info");
    expect(messageRegion().textContent?.trim()).toBe("Import cancelled. Nothing was installed.");
    // Cancel went away with the task: focus continues from the import button.
    await waitFor(() => expect(document.activeElement).toBe(byId("library-import-file")));
  });
});

describe("a package from an unknown publisher", () => {
  async function untrustedImport(second: Handler = () => importReport()) {
    let count = 0;
    const rendered = await renderLibrary({
      pick_course_file: () => FILE,
      import_course_file: (args) => {
        count += 1;
        if (count === 1) throw UNTRUSTED;
        return second(args);
      },
    });
    const importButton = byId("library-import-file");
    importButton.focus();
    await fireEvent.click(importButton);
    await waitFor(() => expect(isOpen("trust-dialog")).toBe(true));
    return rendered;
  }

  it("asks, showing the publisher and fingerprint; Install anyway re-imports with that fingerprint", async () => {
    const { calls } = await untrustedImport();
    const dialog = byId("trust-dialog");
    expect(dialog.tagName).toBe("DIALOG");
    expect(dialog.getAttribute("aria-labelledby")).toBe("trust-title");
    expect(byId("trust-title").textContent).toBe("Install a course from an unknown publisher?");
    expect(byId("trust-fingerprint").textContent).toBe(FINGERPRINT);
    expect(dialog.textContent).toContain("Riverside College");
    expect(document.activeElement).toBe(byId("trust-reject"));
    expect(byId("trust-accept").textContent?.trim()).toBe("Install anyway");
    expect(byId("trust-reject").textContent?.trim()).toBe("Don't install");
    // The question is not a failure: no error message while it is asked.
    expect(messageRegion().dataset.kind).not.toBe("error");

    await fireEvent.click(byId("trust-accept"));
    await waitFor(() => expect(callsOf(calls, "import_course_file")).toHaveLength(2));
    const [first, second] = callsOf(calls, "import_course_file") as [Call, Call];
    expect(first.args.confirmedFingerprint).toBeNull();
    expect(second.args).toMatchObject({ path: FILE, confirmedFingerprint: FINGERPRINT });
    expect(second.args.taskId).not.toBe(first.args.taskId);
    expect(isOpen("trust-dialog")).toBe(false);
    await waitFor(() => expect(messageRegion().dataset.kind).toBe("success"));
    expect(document.activeElement).toBe(byId("library-import-file"));
  });

  it("Don't install installs nothing and says so", async () => {
    const { calls } = await untrustedImport();
    await fireEvent.click(byId("trust-reject"));
    expect(isOpen("trust-dialog")).toBe(false);
    expect(callsOf(calls, "import_course_file")).toHaveLength(1);
    expect(messageRegion().dataset.kind).toBe("info");
    expect(messageRegion().textContent?.trim()).toBe("biology.carrel was not installed.");
    expect(document.activeElement).toBe(byId("library-import-file"));
  });

  it("Escape means Don't install", async () => {
    const { calls } = await untrustedImport();
    await fireEvent.keyDown(byId("trust-reject"), { key: "Escape" });
    expect(isOpen("trust-dialog")).toBe(false);
    expect(callsOf(calls, "import_course_file")).toHaveLength(1);
  });

  it("keeps Tab inside the dialog", async () => {
    await untrustedImport();
    byId("trust-accept").focus();
    await fireEvent.keyDown(byId("trust-accept"), { key: "Tab" });
    expect(document.activeElement).toBe(byId("trust-reject"));
    await fireEvent.keyDown(byId("trust-reject"), { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(byId("trust-accept"));
  });

  it("does not ask twice when the confirmed fingerprint is refused again", async () => {
    await untrustedImport(() => {
      throw { ...UNTRUSTED, message: "The file's key changed since you confirmed it." };
    });
    await fireEvent.click(byId("trust-accept"));
    await waitFor(() => expect(messageRegion().dataset.kind).toBe("error"));
    expect(messageRegion().textContent?.trim()).toBe(
      "The file's key changed since you confirmed it.",
    );
    expect(isOpen("trust-dialog")).toBe(false);
  });
});

describe("files dropped on the window or named on the command line", () => {
  it("imports dropped files one after the other, showing the Library", async () => {
    const imports = pendingImports();
    const { shell } = await renderLibrary({ import_course_file: imports.handler });
    await fireEvent.click(byId("nav-settings"));

    await emit("course-files-dropped", { paths: ["/tmp/a.carrel", "/tmp/b.carrel"] });
    await waitFor(() => expect(imports.runs).toHaveLength(1));
    expect(shell.screen).toBe("library");
    expect(imports.runs[0]?.args.path).toBe("/tmp/a.carrel");
    // One task at a time: the second waits for the first.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(imports.runs).toHaveLength(1);

    imports.runs[0]?.answer.resolve(importReport({ courseId: "a", title: "A" }));
    await waitFor(() => expect(imports.runs).toHaveLength(2));
    expect(imports.runs[1]?.args).toMatchObject({
      path: "/tmp/b.carrel",
      confirmedFingerprint: null,
    });
    imports.runs[1]?.answer.resolve(importReport({ courseId: "b", title: "B" }));
    await waitFor(() =>
      expect(messageRegion().textContent?.trim()).toBe("Installed B version 1.0.0."),
    );
  });

  it("imports only the course packages among dropped files, and says why others were not", async () => {
    const { calls } = await renderLibrary({ import_course_file: () => importReport() });
    await emit("course-files-dropped", { paths: ["/tmp/notes.pdf", "/tmp/photo.jpg"] });
    await waitFor(() => expect(messageRegion().dataset.kind).toBe("info"));
    expect(messageRegion().textContent?.trim()).toBe(
      "Carrel imports only course files ending in .carrel. Not imported: notes.pdf, photo.jpg.",
    );
    expect(callsOf(calls, "import_course_file")).toHaveLength(0);

    await emit("course-files-dropped", { paths: ["/tmp/notes.pdf", "/tmp/Biology.CARREL"] });
    await waitFor(() => expect(callsOf(calls, "import_course_file")).toHaveLength(1));
    expect(callsOf(calls, "import_course_file")[0]?.args.path).toBe("/tmp/Biology.CARREL");
  });

  it("imports the files given on the command line when Carrel starts", async () => {
    const { calls } = await renderLibrary({
      take_pending_imports: () => ["/home/learner/biology.carrel"],
      import_course_file: () => importReport(),
    });
    await waitFor(() => expect(callsOf(calls, "import_course_file")).toHaveLength(1));
    expect(callsOf(calls, "take_pending_imports")).toHaveLength(1);
    expect(callsOf(calls, "import_course_file")[0]?.args.path).toBe("/home/learner/biology.carrel");
    await waitFor(() => expect(messageRegion().dataset.kind).toBe("success"));
  });
});

describe("the course server's catalogue", () => {
  it("lists each course with Download, Update or Installed", async () => {
    await renderLibrary({
      get_catalog: () => ({
        courses: [
          catalogEntry(),
          catalogEntry({
            id: "bio-101",
            title: "Introduction to Biology",
            version: "1.1.0",
            installedVersion: "1.0.0",
            state: "update",
          }),
          catalogEntry({
            id: "hist-200",
            title: "Modern History",
            installedVersion: "2.1.0",
            state: "installed",
          }),
        ],
      }),
    });
    await waitFor(() => expect(document.getElementById("catalog-list")).not.toBeNull());
    expect(byId("catalog-list").querySelectorAll(":scope > li")).toHaveLength(3);
    const entry = byId("catalog-chem-101");
    expect(entry.textContent).toContain("Chemistry Basics");
    expect(entry.textContent).toContain("Open Science Press");
    expect(entry.textContent).toContain("Atoms, bonds and reactions.");
    expect(entry.textContent).toMatch(/40[.,]1 MB/);

    const download = byId("catalog-download-chem-101") as HTMLButtonElement;
    expect(download.textContent?.trim()).toBe("Download");
    expect(download.disabled).toBe(false);
    const update = byId("catalog-download-bio-101") as HTMLButtonElement;
    expect(update.textContent?.trim()).toBe("Update");
    expect(update.getAttribute("aria-label")).toBe(
      "Update Introduction to Biology to version 1.1.0",
    );
    expect(byId("catalog-bio-101").textContent).toContain("Version 1.0.0 is on this computer");
    const installed = byId("catalog-download-hist-200") as HTMLButtonElement;
    expect(installed.textContent?.trim()).toBe("Installed");
    expect(installed.disabled).toBe(true);
  });

  it("downloads a course with download progress, then refreshes both lists", async () => {
    const downloads: { args: Record<string, unknown>; progress: ProgressSender }[] = [];
    const answer = deferred<unknown>();
    const { calls } = await renderLibrary({
      get_catalog: () => ({ courses: [catalogEntry()] }),
      download_course: (args) => {
        downloads.push({
          args: args as Record<string, unknown>,
          progress: new ProgressSender(args),
        });
        return answer.promise;
      },
    });
    await waitFor(() =>
      expect(document.getElementById("catalog-download-chem-101")).not.toBeNull(),
    );
    await fireEvent.click(byId("catalog-download-chem-101"));
    await waitFor(() => expect(downloads).toHaveLength(1));
    expect(downloads[0]?.args).toMatchObject({ courseId: "chem-101" });
    expect(typeof downloads[0]?.args.taskId).toBe("string");
    await waitFor(() => expect(document.getElementById("task-progress")).not.toBeNull());
    expect(byId("task-progress").dataset.stage).toBe("download");
    expect(messageRegion().textContent?.trim()).toBe("Downloading Chemistry Basics…");
    expect(byId("catalog-download-chem-101").getAttribute("aria-disabled")).toBe("true");

    downloads[0]?.progress.send({
      stage: "download",
      doneBytes: 12_300_000,
      totalBytes: 40_100_000,
    });
    await waitFor(() =>
      expect(byId("task-label").textContent).toMatch(/^Downloading… 12[.,]3 of 40[.,]1 MB$/),
    );
    downloads[0]?.progress.send({ stage: "install", doneBytes: 1_000, totalBytes: 52_000_000 });
    await waitFor(() => expect(byId("task-progress").dataset.stage).toBe("install"));
    expect(byId("task-label").textContent).toMatch(/^Installing… /);

    const catalogLoads = callsOf(calls, "get_catalog").length;
    answer.resolve(
      importReport({ courseId: "chem-101", title: "Chemistry Basics", version: "2.1.0" }),
    );
    await waitFor(() => expect(messageRegion().dataset.kind).toBe("success"));
    expect(messageRegion().textContent?.trim()).toBe("Installed Chemistry Basics version 2.1.0.");
    await waitFor(() => expect(callsOf(calls, "get_catalog").length).toBe(catalogLoads + 1));
  });

  it("keeps the task while the learner looks at another screen, and focus when the button goes", async () => {
    const answer = deferred<unknown>();
    let installed = false;
    const chemistry = courseSummary({
      id: "chem-101",
      title: "Chemistry Basics",
      version: "2.1.0",
    });
    await renderLibrary({
      list_courses: () => (installed ? [chemistry] : []),
      get_catalog: () => ({
        courses: [catalogEntry(installed ? { installedVersion: "2.1.0", state: "installed" } : {})],
      }),
      download_course: (args) => {
        new ProgressSender(args).send({
          stage: "download",
          doneBytes: 1_000_000,
          totalBytes: 4_000_000,
        });
        return answer.promise;
      },
    });
    await waitFor(() =>
      expect(document.getElementById("catalog-download-chem-101")).not.toBeNull(),
    );
    byId("catalog-download-chem-101").focus();
    await fireEvent.click(byId("catalog-download-chem-101"));
    await waitFor(() => expect(byId("task-progress").dataset.done).toBe("1000000"));

    await fireEvent.click(byId("nav-settings"));
    expect(document.getElementById("task-progress")).toBeNull();
    await fireEvent.click(byId("nav-library"));
    expect(byId("task-progress").dataset.done).toBe("1000000");

    byId("catalog-download-chem-101").focus();
    installed = true;
    answer.resolve(
      importReport({ courseId: "chem-101", title: "Chemistry Basics", version: "2.1.0" }),
    );
    await waitFor(() =>
      expect((byId("catalog-download-chem-101") as HTMLButtonElement).disabled).toBe(true),
    );
    // The focused Download button was replaced by a disabled "Installed": focus goes to Open.
    await waitFor(() => expect(document.activeElement).toBe(byId("course-open-chem-101")));
  });

  it("says Updated when an installed course got a new version", async () => {
    await renderLibrary({
      list_courses: () => [courseSummary()],
      get_catalog: () => ({
        courses: [
          catalogEntry({
            id: "bio-101",
            title: "Introduction to Biology",
            version: "1.1.0",
            installedVersion: "1.0.0",
            state: "update",
          }),
        ],
      }),
      download_course: () => importReport({ version: "1.1.0" }),
    });
    await waitFor(() => expect(document.getElementById("catalog-download-bio-101")).not.toBeNull());
    await waitFor(() => expect(document.getElementById("course-bio-101")).not.toBeNull());
    await fireEvent.click(byId("catalog-download-bio-101"));
    await waitFor(() => expect(messageRegion().dataset.kind).toBe("success"));
    expect(messageRegion().textContent?.trim()).toBe(
      "Updated Introduction to Biology to version 1.1.0.",
    );
  });

  it("says calmly that it is offline when the catalogue cannot be reached; installed courses stay", async () => {
    await renderLibrary({
      list_courses: () => [courseSummary()],
      get_catalog: () => {
        throw { code: "offline", message: "Can't reach the course server.", detail: null };
      },
    });
    await waitFor(() => expect(document.getElementById("catalog-offline")).not.toBeNull());
    expect(byId("catalog-offline").textContent).toContain("You're offline");
    expect(byId("catalog-offline").textContent).toContain(
      "Your courses on this computer work as usual",
    );
    expect(document.getElementById("catalog-list")).toBeNull();
    expect(document.getElementById("catalog-error")).toBeNull();
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(document.querySelector("dialog[open]")).toBeNull();
    expect(messageRegion().dataset.kind).not.toBe("error");
    await waitFor(() => expect(document.getElementById("course-bio-101")).not.toBeNull());
  });

  it("does not ask the server while the status is offline, and loads when it comes back", async () => {
    const { calls } = await renderLibrary({
      get_server_status: () => offlineStatus(),
      get_catalog: () => ({ courses: [catalogEntry()] }),
    });
    expect(byId("catalog-offline").textContent).toContain("You're offline");
    expect(callsOf(calls, "get_catalog")).toHaveLength(0);

    await emit("server-status", onlineStatus());
    await waitFor(() => expect(document.getElementById("catalog-chem-101")).not.toBeNull());
    expect(callsOf(calls, "get_catalog")).toHaveLength(1);
    expect(document.getElementById("catalog-offline")).toBeNull();
  });

  it("shows another failure with a way to try again", async () => {
    let fail = true;
    await renderLibrary({
      get_catalog: () => {
        if (fail)
          throw { code: "internal", message: "The course list could not be read.", detail: null };
        return { courses: [catalogEntry()] };
      },
    });
    await waitFor(() => expect(document.getElementById("catalog-error")).not.toBeNull());
    expect(byId("catalog-error").textContent).toBe("The course list could not be read.");
    fail = false;
    await fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(document.getElementById("catalog-chem-101")).not.toBeNull());
    expect(document.getElementById("catalog-error")).toBeNull();
  });
});

describe("removing a course", () => {
  it("asks first, saying what goes and what stays; Keep course removes nothing", async () => {
    const { calls } = await renderLibrary({
      list_courses: () => [courseSummary()],
      remove_course: () => null,
    });
    await waitFor(() => expect(document.getElementById("course-remove-bio-101")).not.toBeNull());
    const remove = byId("course-remove-bio-101");
    remove.focus();
    await fireEvent.click(remove);

    expect(isOpen("remove-dialog")).toBe(true);
    const dialog = byId("remove-dialog");
    expect(dialog.textContent).toContain("Remove Introduction to Biology from this computer?");
    expect(dialog.textContent).toContain("deletes the course's files");
    expect(dialog.textContent).toContain("does not delete your progress or your submissions");
    expect(document.activeElement).toBe(byId("remove-cancel"));
    expect(callsOf(calls, "remove_course")).toHaveLength(0);

    await fireEvent.click(byId("remove-cancel"));
    expect(isOpen("remove-dialog")).toBe(false);
    expect(callsOf(calls, "remove_course")).toHaveLength(0);
    expect(document.activeElement).toBe(remove);

    await fireEvent.click(remove);
    await fireEvent.keyDown(byId("remove-cancel"), { key: "Escape" });
    expect(isOpen("remove-dialog")).toBe(false);
    expect(callsOf(calls, "remove_course")).toHaveLength(0);
  });

  it("removes on confirmation, refreshes the list and closes the course if it was open", async () => {
    const list = changingList([courseSummary()], []);
    const { calls, shell } = await renderLibrary({
      list_courses: list.handler,
      remove_course: () => {
        list.installed();
        return null;
      },
    });
    shell.currentCourseId = "bio-101";
    await waitFor(() => expect(document.getElementById("course-remove-bio-101")).not.toBeNull());
    await fireEvent.click(byId("course-remove-bio-101"));
    await fireEvent.click(byId("remove-confirm"));

    await waitFor(() => expect(callsOf(calls, "remove_course")).toHaveLength(1));
    expect(callsOf(calls, "remove_course")[0]?.args).toEqual({ courseId: "bio-101" });
    await waitFor(() => expect(document.getElementById("course-bio-101")).toBeNull());
    await waitFor(() => expect(isOpen("remove-dialog")).toBe(false));
    expect(messageRegion().dataset.kind).toBe("success");
    expect(messageRegion().textContent?.trim()).toBe(
      "Removed Introduction to Biology from this computer.",
    );
    expect(shell.currentCourseId).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(byId("library-installed-heading")));
  });

  it("keeps the course and shows why when removing fails", async () => {
    await renderLibrary({
      list_courses: () => [courseSummary()],
      remove_course: () => {
        throw { code: "internal", message: "The course files could not be deleted.", detail: null };
      },
    });
    await waitFor(() => expect(document.getElementById("course-remove-bio-101")).not.toBeNull());
    await fireEvent.click(byId("course-remove-bio-101"));
    await fireEvent.click(byId("remove-confirm"));
    await waitFor(() => expect(messageRegion().dataset.kind).toBe("error"));
    expect(messageRegion().textContent?.trim()).toBe("The course files could not be deleted.");
    expect(document.getElementById("course-bio-101")).not.toBeNull();
  });
});

describe("checking and repairing a course's files", () => {
  /** A repair_course that hands each call's arguments, progress sender and answer to the test. */
  function pendingRepairs() {
    const runs: {
      args: Record<string, unknown>;
      progress: ProgressSender;
      answer: ReturnType<typeof deferred>;
    }[] = [];
    const handler: Handler = (args) => {
      const answer = deferred<unknown>();
      runs.push({
        args: args as Record<string, unknown>,
        progress: new ProgressSender(args),
        answer,
      });
      return answer.promise;
    };
    return { runs, handler };
  }

  async function renderWithCourse(handlers: Record<string, Handler> = {}) {
    const rendered = await renderLibrary({
      list_courses: () => [courseSummary()],
      cancel_task: () => null,
      ...handlers,
    });
    await waitFor(() => expect(document.getElementById("course-repair-bio-101")).not.toBeNull());
    return rendered;
  }

  it("repairs from the course's card, with progress from the channel, then says what it did", async () => {
    const repairs = pendingRepairs();
    const { calls } = await renderWithCourse({ repair_course: repairs.handler });
    const button = byId("course-repair-bio-101");
    expect(button.textContent?.trim()).toBe("Check and repair files");
    expect(
      screen.getByRole("button", { name: "Check and repair files of Introduction to Biology" }),
    ).toBe(button);
    button.focus();
    await fireEvent.click(button);

    await waitFor(() => expect(repairs.runs).toHaveLength(1));
    const run = repairs.runs[0]!;
    expect(run.args).toMatchObject({ courseId: "bio-101" });
    expect(typeof run.args.taskId).toBe("string");
    expect(run.args.taskId).not.toBe("");
    await waitFor(() => expect(document.getElementById("task-progress")).not.toBeNull());
    expect(byId("task-label").textContent?.trim()).toBe("Checking files…");
    expect(messageRegion().dataset.kind).toBe("info");
    expect(messageRegion().textContent?.trim()).toBe(
      "Checking the files of Introduction to Biology…",
    );
    // One task at a time: repairing again, importing and downloading wait.
    expect(button.getAttribute("aria-disabled")).toBe("true");
    expect(byId("library-import-file").getAttribute("aria-disabled")).toBe("true");
    await fireEvent.click(button);
    expect(callsOf(calls, "repair_course")).toHaveLength(1);

    run.progress.send({ stage: "download", doneBytes: 1_000_000, totalBytes: 3_100_000 });
    await waitFor(() =>
      expect(byId("task-label").textContent).toMatch(/^Downloading… 1[.,]0 of 3[.,]1 MB$/),
    );
    const listLoads = callsOf(calls, "list_courses").length;
    run.answer.resolve(
      repairReport({ damagedFiles: ["week1/cell.mp4", "week2/helix.pdf"], newBytes: 3_100_000 }),
    );
    await waitFor(() => expect(messageRegion().dataset.kind).toBe("success"));
    expect(messageRegion().textContent?.trim()).toMatch(
      /^Repaired: 2 files downloaded again \(3[.,]1 MB\)\.$/,
    );
    expect(document.getElementById("task-progress")).toBeNull();
    expect(button.hasAttribute("aria-disabled")).toBe(false);
    // The files came from the server's copy of the course: the list is read again.
    await waitFor(() => expect(callsOf(calls, "list_courses").length).toBe(listLoads + 1));
  });

  it("says so when every file was fine, and downloads nothing", async () => {
    const { calls } = await renderWithCourse({ repair_course: () => repairReport() });
    const listLoads = callsOf(calls, "list_courses").length;
    await fireEvent.click(byId("course-repair-bio-101"));
    await waitFor(() => expect(messageRegion().dataset.kind).toBe("success"));
    expect(messageRegion().textContent?.trim()).toBe("All files of this course are fine.");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(callsOf(calls, "list_courses"), "nothing changed").toHaveLength(listLoads);
  });

  it("shows the backend's sentence as an error when the course server is out of reach", async () => {
    const message =
      "The course server cannot be reached. Connect and repair again, or import the course package file again.";
    await renderWithCourse({
      repair_course: () => {
        throw { code: "offline", message, detail: null };
      },
    });
    await fireEvent.click(byId("course-repair-bio-101"));
    await waitFor(() => expect(messageRegion().dataset.kind).toBe("error"));
    expect(messageRegion().textContent?.trim()).toBe(message);
  });

  it("cancels the repair with cancel_task and the same task id, then focus returns to the card", async () => {
    const repairs = pendingRepairs();
    const { calls } = await renderWithCourse({ repair_course: repairs.handler });
    await fireEvent.click(byId("course-repair-bio-101"));
    await waitFor(() => expect(document.getElementById("task-cancel")).not.toBeNull());
    byId("task-cancel").focus();
    await fireEvent.click(byId("task-cancel"));
    await waitFor(() => expect(callsOf(calls, "cancel_task")).toHaveLength(1));
    expect(callsOf(calls, "cancel_task")[0]?.args).toEqual({
      taskId: repairs.runs[0]?.args.taskId,
    });

    repairs.runs[0]?.answer.reject({
      code: "cancelled",
      message: "Download cancelled.",
      detail: null,
    });
    await waitFor(() => expect(document.getElementById("task-progress")).toBeNull());
    expect(messageRegion().dataset.kind).toBe("info");
    expect(messageRegion().textContent?.trim()).toBe("Download cancelled.");
    await waitFor(() => expect(document.activeElement).toBe(byId("course-repair-bio-101")));
  });
});
