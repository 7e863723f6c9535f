import { clearMocks } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { callsOf, deferred, fakeBackend } from "../test/backend";
import { importReport, repairReport } from "../test/fixtures";
import { formatBytes } from "./i18n/units";
import {
  describeRepair,
  describeTask,
  fileName,
  LibraryState,
  newTaskId,
} from "./library.svelte";

afterEach(() => clearMocks());

describe("fileName", () => {
  it.each([
    ["/media/usb/biology.carrel", "biology.carrel"],
    ["C:\\Users\\Ama\\Downloads\\biology.carrel", "biology.carrel"],
    ["biology.carrel", "biology.carrel"],
    ["/media/usb/", "usb"],
  ])("%s → %s", (path, name) => {
    expect(fileName(path)).toBe(name);
  });
});

describe("newTaskId", () => {
  it("makes a different UUID each time", () => {
    const ids = new Set(Array.from({ length: 50 }, () => newTaskId()));
    expect(ids.size).toBe(50);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("works where crypto.randomUUID is unavailable (no secure context)", () => {
    Object.defineProperty(crypto, "randomUUID", { value: undefined, configurable: true });
    try {
      expect(newTaskId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    } finally {
      // Uncovers the real method again (it lives on the prototype).
      delete (crypto as { randomUUID?: unknown }).randomUUID;
    }
    expect(typeof crypto.randomUUID).toBe("function");
  });
});

describe("LibraryState queue", () => {
  it("holds later imports while the learner is asked about a publisher", async () => {
    let first = true;
    const later = deferred<unknown>();
    const calls = fakeBackend({
      import_course_file: (args) => {
        const path = (args as { path: string }).path;
        if (path === "/a.carrel" && first) {
          first = false;
          throw { code: "untrusted_publisher", message: "Unknown publisher.", detail: "SHA256:aa" };
        }
        return path === "/b.carrel" ? later.promise : importReport();
      },
      list_courses: () => [],
    });
    const library = new LibraryState();
    library.importFiles(["/a.carrel", "/b.carrel"]);
    await vi.waitFor(() => expect(library.trust).not.toBeNull());
    expect(library.trust).toMatchObject({
      path: "/a.carrel",
      name: "a.carrel",
      fingerprint: "SHA256:aa",
    });
    expect(callsOf(calls, "import_course_file").map((c) => c.args.path)).toEqual(["/a.carrel"]);

    // The confirmed import goes first, then the one that waited.
    library.acceptTrust();
    await vi.waitFor(() => expect(callsOf(calls, "import_course_file")).toHaveLength(3));
    expect(
      callsOf(calls, "import_course_file").map((c) => [c.args.path, c.args.confirmedFingerprint]),
    ).toEqual([
      ["/a.carrel", null],
      ["/a.carrel", "SHA256:aa"],
      ["/b.carrel", null],
    ]);
    later.resolve(importReport({ title: "B" }));
    await vi.waitFor(() => expect(library.task).toBeNull());
    expect(library.message).toEqual({ kind: "success", text: "Installed B version 1.0.0." });
  });

  it("treats being offline during a download as information, not an error", async () => {
    fakeBackend({
      download_course: () => {
        throw {
          code: "offline",
          message: "The course server went out of reach; the download continues next time.",
          detail: null,
        };
      },
    });
    const library = new LibraryState();
    library.download({ id: "chem-101", title: "Chemistry" });
    await vi.waitFor(() => expect(library.task).toBeNull());
    expect(library.message).toEqual({
      kind: "info",
      text: "The course server went out of reach; the download continues next time.",
    });
  });
});

describe("describeRepair", () => {
  it("says all is fine when no file was damaged", () => {
    expect(describeRepair(repairReport())).toBe("All files of this course are fine.");
  });

  it.each([
    [["a.html"], 512_000, "Repaired: 1 file downloaded again"],
    [["a.html", "b.mp4"], 48_300_000, "Repaired: 2 files downloaded again"],
  ])("counts the files and the bytes downloaded again: %j", (damagedFiles, newBytes, words) => {
    expect(describeRepair(repairReport({ damagedFiles, newBytes }))).toBe(
      `${words} (${formatBytes(newBytes)}).`,
    );
  });
});

describe("describeTask", () => {
  it.each([
    ["repair", "download", 0, 0, "Checking files…"],
    ["download", "download", 0, 0, "Downloading…"],
    ["import", "install", 0, 0, "Installing…"],
    ["repair", "install", 0, 0, "Installing…"],
  ] as const)("%s at %s with no totals: %s", (kind, stage, doneBytes, totalBytes, text) => {
    expect(describeTask({ kind, progress: { stage, doneBytes, totalBytes } })).toBe(text);
  });

  it("counts bytes in the unit of the total once there is one", () => {
    const text = describeTask({
      kind: "repair",
      progress: { stage: "download", doneBytes: 12_300_000, totalBytes: 40_100_000 },
    });
    expect(text).toMatch(/^Downloading… 12[.,]3 of 40[.,]1 MB$/);
  });
});

describe("LibraryState repair", () => {
  it("runs after the task before it, and says how it ended in `repaired`", async () => {
    const download = deferred<unknown>();
    const calls = fakeBackend({
      download_course: () => download.promise,
      repair_course: () => repairReport(),
      list_courses: () => [],
    });
    const library = new LibraryState();
    library.download({ id: "chem-101", title: "Chemistry" });
    library.repair({ id: "bio-101", title: "Biology" });
    await vi.waitFor(() => expect(library.task?.kind).toBe("download"));
    expect(callsOf(calls, "repair_course"), "one task at a time").toHaveLength(0);

    download.resolve(importReport({ courseId: "chem-101", title: "Chemistry" }));
    await vi.waitFor(() => expect(library.repaired).not.toBeNull());
    expect(callsOf(calls, "repair_course").map((c) => c.args.courseId)).toEqual(["bio-101"]);
    expect(library.repaired).toEqual({
      courseId: "bio-101",
      message: { kind: "success", text: "All files of this course are fine." },
      failed: false,
    });
    expect(library.task).toBeNull();
  });
});
