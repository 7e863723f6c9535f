// The Course screen in the whole shell, against a fake backend: the empty state, the outline of the
// course opened from the Library, and opening items in the content window.
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import App from "../App.svelte";
import { AppState } from "../lib/app-state.svelte";
import type { CourseOutline } from "../lib/backend";
import { emit } from "@tauri-apps/api/event";
import type { CompletionRule, OutlineItem, ProgressChanged } from "../lib/backend";
import { formatDateRange } from "../lib/i18n/units";
import { callsOf, deferred, fakeBackend, type Handler } from "../test/backend";
import {
  appInfo,
  courseOutline,
  courseStudy,
  courseSummary,
  itemProgress,
  onlineStatus,
} from "../test/fixtures";

afterEach(() => {
  cleanup();
  clearMocks();
});

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is not in the page`);
  return element;
}

async function renderShell(handlers: Record<string, Handler> = {}) {
  const calls = fakeBackend({
    get_app_info: () => appInfo(),
    get_server_status: () => onlineStatus(),
    take_pending_imports: () => [],
    take_notices: () => [],
    list_courses: () => [courseSummary()],
    get_catalog: () => ({ courses: [] }),
    ...handlers,
  });
  const shell = new AppState();
  render(App, { shell });
  await waitFor(() => expect(document.body.dataset.ready).toBe("true"));
  return { calls, shell };
}

/** `outline` with each item replaced by what `change` makes of it. */
function withItems(
  outline: CourseOutline,
  change: (item: OutlineItem) => OutlineItem,
): CourseOutline {
  return {
    ...outline,
    blocks: outline.blocks.map((block) => ({
      ...block,
      modules: block.modules.map((module) => ({ ...module, items: module.items.map(change) })),
    })),
  };
}

const DONE_MS = Date.UTC(2026, 1, 3, 10, 15, 0);

/**
 * A course part-studied: Welcome done, the video stopped at 1:23, the rest untouched; continue in
 * the video, the quiz next.
 */
function studiedOutline(): CourseOutline {
  const outline = withItems(courseOutline(), (item) => {
    if (item.id === "i-intro") {
      return { ...item, progress: itemProgress("i-intro", { progress: 1, completedMs: DONE_MS }) };
    }
    if (item.id === "i-video") {
      return {
        ...item,
        progress: itemProgress("i-video", { position: 83, positionUnit: "seconds" }),
      };
    }
    return item;
  });
  return {
    ...outline,
    study: courseStudy({
      completedItems: 1,
      timeOnTaskS: 3_900,
      lastStudiedMs: DONE_MS,
      continueAt: {
        itemId: "i-video",
        title: "Inside a cell",
        kind: "video",
        position: 83,
        unit: "seconds",
      },
      nextItemId: "i-quiz",
    }),
  };
}

/** A get_course_outline answering each of `outlines` in turn, then the last one again. */
function outlinesInTurn(...outlines: CourseOutline[]): Handler {
  let index = 0;
  return () => {
    const outline = outlines[Math.min(index, outlines.length - 1)];
    index += 1;
    return outline;
  };
}

/** Lets pending promises and event deliveries run, for checking that something did not happen. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

/** The shell with the course opened from the Library, its outline shown. */
async function renderCourse(
  outline: CourseOutline = courseOutline(),
  handlers: Record<string, Handler> = {},
) {
  const rendered = await renderShell({ get_course_outline: () => outline, ...handlers });
  await waitFor(() => expect(document.getElementById("course-open-bio-101")).not.toBeNull());
  await fireEvent.click(byId("course-open-bio-101"));
  await waitFor(() => expect(document.getElementById("outline")).not.toBeNull());
  return rendered;
}

describe("the Course screen", () => {
  it("shows a calm empty state when no course is open, with a way to the Library", async () => {
    const { calls, shell } = await renderShell();
    await fireEvent.click(byId("nav-course"));
    expect(byId("screen-course").textContent).toContain("No course open");
    expect(document.getElementById("outline")).toBeNull();
    expect(callsOf(calls, "get_course_outline")).toHaveLength(0);
    await fireEvent.click(screen.getByRole("button", { name: "Go to your Library" }));
    expect(shell.screen).toBe("library");
  });

  it("shows the course's title as the screen heading, its dates and certificate rule", async () => {
    const { calls } = await renderCourse();
    expect(callsOf(calls, "get_course_outline")[0]?.args).toEqual({ courseId: "bio-101" });
    const title = byId("outline-title");
    expect(title.tagName).toBe("H1");
    expect(title.textContent).toBe("Introduction to Biology");
    expect(byId("screen-course").getAttribute("aria-labelledby")).toBe("outline-title");
    const course = courseSummary();
    expect(byId("outline-dates").textContent).toBe(formatDateRange(course.starts, course.ends));
    expect(byId("screen-course").textContent).toContain(
      "Pass every quiz with at least 60% and submit both assignments.",
    );
  });

  it("lists blocks, modules and items as nested lists under headings in order", async () => {
    await renderCourse();
    const outline = byId("outline");
    expect(outline.tagName).toBe("OL");
    expect(outline.getAttribute("aria-label")).toBe("Course outline");
    const blocks = outline.querySelectorAll(":scope > li");
    expect(blocks).toHaveLength(2);
    expect(within(blocks[0] as HTMLElement).getByRole("heading", { level: 2 }).textContent).toBe(
      "Cells",
    );
    expect(blocks[0]?.textContent).toContain("Week 1");
    expect(within(blocks[0] as HTMLElement).getByRole("heading", { level: 3 }).textContent).toBe(
      "The cell",
    );

    const items = (blocks[0] as HTMLElement).querySelectorAll("li[id^='item-']");
    expect(Array.from(items, (item) => item.id)).toEqual([
      "item-i-intro",
      "item-i-video",
      "item-i-quiz",
    ]);
    const intro = byId("item-i-intro");
    expect(intro.textContent).toContain("Page");
    expect(intro.textContent).toContain("Welcome");
    expect(intro.textContent).toContain("5 min");
    expect(byId("item-i-reading").textContent).toContain("PDF");
    expect(byId("item-i-reading").textContent).not.toContain("min");

    // Headings never skip a level: h1, then h2 (certificate, blocks), then h3 (modules).
    const levels = Array.from(byId("screen-course").querySelectorAll("h1, h2, h3"), (h) =>
      Number(h.tagName[1]),
    );
    for (let i = 1; i < levels.length; i += 1) {
      expect(levels[i]! - levels[i - 1]!).toBeLessThanOrEqual(1);
    }
  });

  it("offers Open only for items the content window can show; the others show their kind", async () => {
    await renderCourse();
    expect(byId("item-open-i-intro").textContent?.trim()).toBe("Open");
    expect(byId("item-open-i-video")).toBeTruthy();
    expect(byId("item-open-i-reading")).toBeTruthy();
    expect(document.getElementById("item-open-i-quiz")).toBeNull();
    expect(document.getElementById("item-open-i-forum")).toBeNull();
    expect(byId("item-i-quiz").textContent).toContain("Quiz");
    expect(byId("item-i-forum").textContent).toContain("Forum");
    expect(byId("screen-course").textContent?.toLowerCase()).not.toContain("coming soon");
    expect(screen.getByRole("button", { name: "Open Inside a cell" })).toBe(
      byId("item-open-i-video"),
    );
  });

  it("opens an item in the content window by course and item, then shows it started", async () => {
    const started = withItems(courseOutline(), (item) =>
      item.id === "i-video" ? { ...item, progress: itemProgress("i-video") } : item,
    );
    let opened = false;
    const { calls } = await renderCourse(courseOutline(), {
      get_course_outline: () => (opened ? started : courseOutline()),
      open_course_item: () => {
        opened = true;
        return null;
      },
    });
    await fireEvent.click(byId("item-open-i-video"));
    await waitFor(() => expect(callsOf(calls, "open_course_item")).toHaveLength(1));
    expect(callsOf(calls, "open_course_item")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-video",
    });
    expect(byId("course-message").hasAttribute("data-kind")).toBe(false);
    // Opening is recorded by the backend; the outline is read again to show it.
    await waitFor(() => expect(byId("item-state-i-video").dataset.state).toBe("started"));
  });

  it("opens the course home page with open_course_home", async () => {
    const { calls } = await renderCourse(courseOutline(), { open_course_home: () => null });
    await fireEvent.click(byId("course-home-open"));
    await waitFor(() => expect(callsOf(calls, "open_course_home")).toHaveLength(1));
    expect(callsOf(calls, "open_course_home")[0]?.args).toEqual({ courseId: "bio-101" });
    expect(callsOf(calls, "open_course_item"), "the home page is not an item").toHaveLength(0);
  });

  it("has no Course home button when the course has no home page", async () => {
    await renderCourse(courseOutline({ homePath: null, certificateRule: null }));
    expect(document.getElementById("course-home-open")).toBeNull();
    expect(byId("screen-course").textContent).not.toContain("Certificate");
  });

  it("says why an item could not be opened, in the live region", async () => {
    await renderCourse(courseOutline(), {
      open_course_item: () => {
        throw { code: "internal", message: "The course window could not be opened.", detail: null };
      },
    });
    await fireEvent.click(byId("item-open-i-intro"));
    await waitFor(() => expect(byId("course-message").dataset.kind).toBe("error"));
    expect(byId("course-message").textContent?.trim()).toBe(
      "The course window could not be opened.",
    );
    expect(byId("course-message").getAttribute("aria-live")).toBe("polite");
  });

  it("says so when the course is no longer installed", async () => {
    await renderShell({
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
    await waitFor(() => expect(document.getElementById("course-error")).not.toBeNull());
    expect(byId("course-error").textContent).toBe("This course is no longer on this computer.");
    expect(screen.getByRole("button", { name: "Go to your Library" })).toBeTruthy();
  });
});

describe("studying a course", () => {
  it("shows how many items are done and the time spent, as a labelled progress bar", async () => {
    await renderCourse(studiedOutline());
    const progress = byId("course-progress");
    expect(progress.dataset.completed).toBe("1");
    expect(progress.dataset.total).toBe("5");
    expect(progress.textContent).toContain("1 of 5 items done");
    expect(screen.getByRole("progressbar", { name: "Course progress" })).toBe(progress);
    expect(progress.getAttribute("aria-valuenow")).toBe("1");
    expect(progress.getAttribute("aria-valuemin")).toBe("0");
    expect(progress.getAttribute("aria-valuemax")).toBe("5");
    expect(progress.getAttribute("aria-valuetext")).toBe("1 of 5 items done");
    expect(byId("course-time").textContent?.trim()).toBe("Time spent: 1 h 5 min");
  });

  it.each([
    ["seconds", "i-video", "Inside a cell", 83, "at 1:23"],
    ["fraction", "i-intro", "Welcome", 0.4, "at 40%"],
    ["page", "i-reading", "Reading: the double helix", 3, "page 3"],
  ])(
    "continues where the learner left off (%s): says where, and opens that item",
    async (unit, itemId, title, position, place) => {
      const outline = studiedOutline();
      const study = { ...outline.study!, continueAt: { itemId, title, kind: "x", position, unit } };
      const { calls } = await renderCourse(
        { ...outline, study },
        { open_course_item: () => null },
      );
      const button = byId("course-continue");
      expect(button.tagName).toBe("BUTTON");
      expect(button.dataset.item).toBe(itemId);
      expect(button.textContent?.replace(/\s+/g, " ").trim()).toBe(`Continue: ${title} ${place}`);
      expect(document.getElementById("course-start"), "Continue replaces Start").toBeNull();

      await fireEvent.click(button);
      await waitFor(() => expect(callsOf(calls, "open_course_item")).toHaveLength(1));
      expect(callsOf(calls, "open_course_item")[0]?.args).toEqual({ courseId: "bio-101", itemId });
    },
  );

  it("says only the item to continue when there is no place worth saying", async () => {
    const outline = studiedOutline();
    const study = {
      ...outline.study!,
      continueAt: { itemId: "i-intro", title: "Welcome", kind: "page", position: null, unit: null },
    };
    await renderCourse({ ...outline, study });
    expect(byId("course-continue").textContent?.trim()).toBe("Continue: Welcome");
  });

  it("offers Start when nothing was studied yet, opening the suggested first item", async () => {
    const { calls } = await renderCourse(courseOutline(), { open_course_item: () => null });
    expect(document.getElementById("course-continue")).toBeNull();
    expect(byId("course-progress").textContent).toContain("0 of 5 items done");
    expect(document.getElementById("course-time"), "no time spent, nothing to say").toBeNull();
    const start = byId("course-start");
    expect(start.textContent?.trim()).toBe("Start the course");
    expect(start.dataset.item).toBe("i-intro");
    await fireEvent.click(start);
    await waitFor(() => expect(callsOf(calls, "open_course_item")).toHaveLength(1));
    expect(callsOf(calls, "open_course_item")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-intro",
    });
  });

  it("starts with the first item it can show when the suggested one is not shown", async () => {
    await renderCourse(courseOutline({ study: courseStudy({ nextItemId: "i-quiz" }) }));
    expect(byId("course-start").dataset.item).toBe("i-intro");
  });

  it("starts with the first item it can show when progress cannot be read", async () => {
    await renderCourse(courseOutline({ study: null }));
    expect(byId("course-start").dataset.item).toBe("i-intro");
    expect(document.getElementById("course-progress")).toBeNull();
    expect(document.getElementById("course-next")).toBeNull();
  });

  it("says what is up next; an item Carrel cannot show is named, not a button", async () => {
    await renderCourse(studiedOutline());
    const next = byId("course-next");
    expect(next.tagName).toBe("P");
    expect(next.dataset.item).toBe("i-quiz");
    expect(next.textContent?.trim()).toBe("Up next: Cells quiz");
  });

  it("opens the next item from Up next when Carrel can show it", async () => {
    const outline = studiedOutline();
    const { calls } = await renderCourse(
      { ...outline, study: { ...outline.study!, nextItemId: "i-reading" } },
      { open_course_item: () => null },
    );
    const next = byId("course-next");
    expect(next.tagName).toBe("BUTTON");
    expect(next.textContent?.trim()).toBe("Up next: Reading: the double helix");
    await fireEvent.click(next);
    await waitFor(() => expect(callsOf(calls, "open_course_item")).toHaveLength(1));
    expect(callsOf(calls, "open_course_item")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-reading",
    });
  });

  it("does not repeat the item to continue as up next", async () => {
    const outline = studiedOutline();
    await renderCourse({ ...outline, study: { ...outline.study!, nextItemId: "i-video" } });
    expect(byId("course-continue").dataset.item).toBe("i-video");
    expect(document.getElementById("course-next")).toBeNull();
  });

  it("shows each item's state in words, with a hook for its state", async () => {
    await renderCourse(studiedOutline());
    const states = ["i-intro", "i-video", "i-quiz"].map((id) => byId(`item-state-${id}`));
    expect(states.map((state) => state.dataset.state)).toEqual(["done", "started", "not-started"]);
    expect(states.map((state) => state.textContent?.trim())).toEqual([
      "Done",
      "In progress, 45%",
      "Not started",
    ]);
    expect(byId("item-i-intro").contains(states[0]!)).toBe(true);
  });

  it("says where a video not yet done was stopped", async () => {
    await renderCourse(studiedOutline());
    const position = byId("item-position-i-video");
    expect(position.dataset.seconds).toBe("83");
    expect(position.textContent?.trim()).toBe("Stopped at 1:23");
    expect(document.getElementById("item-position-i-intro")).toBeNull();
  });

  it("says nothing about where a finished video stopped", async () => {
    const done = withItems(studiedOutline(), (item) =>
      item.id === "i-video" && item.progress
        ? { ...item, progress: { ...item.progress, completedMs: DONE_MS } }
        : item,
    );
    await renderCourse(done);
    expect(byId("item-state-i-video").dataset.state).toBe("done");
    expect(document.getElementById("item-position-i-video")).toBeNull();
  });

  it("marks the next item, and only that one", async () => {
    await renderCourse(studiedOutline());
    expect(byId("item-next-i-quiz").textContent?.trim()).toBe("Next");
    expect(byId("item-i-quiz").contains(byId("item-next-i-quiz"))).toBe(true);
    expect(document.querySelectorAll("[id^='item-next-']")).toHaveLength(1);
  });

  it.each<[CompletionRule, string]>([
    [{ rule: "readToEnd" }, "Read to the end"],
    [{ rule: "allPagesSeen" }, "See every page"],
    [{ rule: "watched", percent: 90 }, "Play 90%"],
    [{ rule: "watched", percent: 75 }, "Play 75%"],
    [{ rule: "openedWithApp" }, "Open it with an app"],
    [{ rule: "submitted" }, "Submit it"],
    [{ rule: "markedDone" }, "Mark it done"],
  ])("says what completes an item: %j is “%s”", async (rule, words) => {
    await renderCourse(withItems(courseOutline(), (item) => ({ ...item, rule })));
    const row = byId("item-i-intro");
    expect(row.querySelector(".rule")?.textContent?.replace(/\s+/g, " ").trim()).toBe(
      `To complete it: ${words}`,
    );
  });

  it("offers Mark done only for items the learner marks done, and not once done", async () => {
    const forumDone = withItems(courseOutline(), (item) =>
      item.id === "i-forum"
        ? { ...item, progress: itemProgress("i-forum", { progress: 1, completedMs: DONE_MS }) }
        : item,
    );
    await renderCourse();
    expect(byId("item-done-i-forum").textContent?.trim()).toBe("Mark done");
    expect(screen.getByRole("button", { name: "Mark Discuss: heredity done" })).toBe(
      byId("item-done-i-forum"),
    );
    expect(document.querySelectorAll("[id^='item-done-']")).toHaveLength(1);
    cleanup();
    clearMocks();
    await renderCourse(forumDone);
    expect(document.getElementById("item-done-i-forum")).toBeNull();
  });

  it("marks an item done, then reads the outline again to show it done", async () => {
    const forumDone = withItems(courseOutline(), (item) =>
      item.id === "i-forum"
        ? { ...item, progress: itemProgress("i-forum", { progress: 1, completedMs: DONE_MS }) }
        : item,
    );
    const { calls } = await renderCourse(courseOutline(), {
      get_course_outline: outlinesInTurn(courseOutline(), forumDone),
      mark_item_done: () => null,
    });
    expect(byId("item-state-i-forum").dataset.state).toBe("not-started");
    byId("item-done-i-forum").focus();
    await fireEvent.click(byId("item-done-i-forum"));
    await waitFor(() => expect(byId("item-state-i-forum").dataset.state).toBe("done"));
    expect(callsOf(calls, "mark_item_done").map((call) => call.args)).toEqual([
      { courseId: "bio-101", itemId: "i-forum" },
    ]);
    expect(callsOf(calls, "get_course_outline")).toHaveLength(2);
    expect(document.getElementById("item-done-i-forum")).toBeNull();
    // Said for screen readers in the live region, and focus stays with the item.
    expect(byId("course-message").textContent?.trim()).toBe("Marked Discuss: heredity done.");
    expect(byId("course-message").hasAttribute("data-kind")).toBe(false);
    await waitFor(() => expect(document.activeElement).toBe(byId("item-i-forum")));
  });

  it("says why an item could not be marked done, and keeps it as it was", async () => {
    const { calls } = await renderCourse(courseOutline(), {
      mark_item_done: () => {
        throw {
          code: "not_markable",
          message: "This item is completed by doing it, not by marking it done.",
          detail: null,
        };
      },
    });
    await fireEvent.click(byId("item-done-i-forum"));
    await waitFor(() => expect(byId("course-message").dataset.kind).toBe("error"));
    expect(byId("course-message").textContent?.trim()).toBe(
      "This item is completed by doing it, not by marking it done.",
    );
    expect(callsOf(calls, "get_course_outline")).toHaveLength(1);
    expect(byId("item-state-i-forum").dataset.state).toBe("not-started");
    expect(byId("item-done-i-forum").hasAttribute("aria-disabled")).toBe(false);
  });

  it("follows progress recorded in the content window for this course", async () => {
    const { calls } = await renderCourse(courseOutline(), {
      get_course_outline: outlinesInTurn(courseOutline(), studiedOutline()),
    });
    expect(byId("item-state-i-video").dataset.state).toBe("not-started");
    const change: ProgressChanged = {
      courseId: "bio-101",
      itemId: "i-video",
      progress: itemProgress("i-video", { position: 83, positionUnit: "seconds" }),
    };
    await emit("progress-changed", change);
    await waitFor(() => expect(byId("item-state-i-video").dataset.state).toBe("started"));
    expect(callsOf(calls, "get_course_outline")).toHaveLength(2);
    expect(byId("course-continue").dataset.item).toBe("i-video");
    expect(byId("course-next").dataset.item).toBe("i-quiz");
    expect(byId("course-progress").dataset.completed).toBe("1");
  });

  it("ignores progress recorded in another course", async () => {
    const { calls } = await renderCourse();
    await emit("progress-changed", {
      courseId: "chem-101",
      itemId: "i-atoms",
      progress: itemProgress("i-atoms"),
    } satisfies ProgressChanged);
    await settle();
    expect(callsOf(calls, "get_course_outline")).toHaveLength(1);
  });

  it("reads the outline at most once more for a burst of progress changes", async () => {
    const answers: ReturnType<typeof deferred<CourseOutline>>[] = [];
    let loads = 0;
    const { calls } = await renderCourse(courseOutline(), {
      get_course_outline: () => {
        loads += 1;
        if (loads === 1) return courseOutline();
        const answer = deferred<CourseOutline>();
        answers.push(answer);
        return answer.promise;
      },
    });
    const change: ProgressChanged = {
      courseId: "bio-101",
      itemId: "i-intro",
      progress: itemProgress("i-intro"),
    };
    for (let i = 0; i < 5; i += 1) await emit("progress-changed", change);
    await waitFor(() => expect(answers).toHaveLength(1));
    await settle();
    expect(callsOf(calls, "get_course_outline"), "one reload in flight").toHaveLength(2);

    answers[0]!.resolve(courseOutline());
    await waitFor(() => expect(answers).toHaveLength(2));
    answers[1]!.resolve(studiedOutline());
    await waitFor(() => expect(byId("item-state-i-intro").dataset.state).toBe("done"));
    await settle();
    expect(callsOf(calls, "get_course_outline"), "and one more after it, not five").toHaveLength(3);
  });

  it("stops following progress when the learner leaves the course", async () => {
    const { calls } = await renderCourse();
    await fireEvent.click(byId("nav-library"));
    await emit("progress-changed", {
      courseId: "bio-101",
      itemId: "i-intro",
      progress: itemProgress("i-intro"),
    } satisfies ProgressChanged);
    await settle();
    expect(callsOf(calls, "get_course_outline")).toHaveLength(1);
  });

  it("keeps the outline shown and says why when reading it again fails", async () => {
    let fail = false;
    await renderCourse(courseOutline(), {
      get_course_outline: () => {
        if (fail) {
          throw { code: "progress_unavailable", message: "Progress is unavailable.", detail: null };
        }
        return courseOutline();
      },
    });
    fail = true;
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await emit("progress-changed", {
      courseId: "bio-101",
      itemId: "i-intro",
      progress: itemProgress("i-intro"),
    } satisfies ProgressChanged);
    await waitFor(() => expect(byId("course-message").dataset.kind).toBe("error"));
    expect(byId("course-message").textContent?.trim()).toBe("Progress is unavailable.");
    expect(byId("outline")).toBeTruthy();
    expect(warn).not.toHaveBeenCalled();
  });
});
