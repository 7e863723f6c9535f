// The Course screen in the whole shell, against a fake backend: the empty state, the outline of the
// course opened from the Library, and opening items in the content window.
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import App from "../App.svelte";
import { AppState } from "../lib/app-state.svelte";
import type { CourseOutline } from "../lib/backend";
import { emit } from "@tauri-apps/api/event";
import type {
  CompletionRule,
  CourseNotice,
  OutlineItem,
  ProgressChanged,
  WeeklyPlan,
} from "../lib/backend";
import { formatBytes, formatDateRange, formatLongDate, formatWeekDates } from "../lib/i18n/units";
import { describePlanTime } from "../lib/plan";
import { callsOf, deferred, fakeBackend, ProgressSender, type Handler } from "../test/backend";
import {
  appInfo,
  courseOutline,
  courseNotice,
  courseStudy,
  courseSummary,
  dashboard,
  ESSAY_DUE,
  fileItem,
  finishedPlan,
  itemProgress,
  LEARNER_ZONE,
  LIVE_QA,
  notStartedPlan,
  onlineStatus,
  QUIZ_DUE,
  repairReport,
  weeklyPlan,
} from "../test/fixtures";
import { quizState } from "../test/assess-fixtures";

afterEach(() => {
  cleanup();
  clearMocks();
});

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is not in the page`);
  return element;
}

/** The shell, loaded, showing the Library, where courses are opened from. */
async function renderShell(handlers: Record<string, Handler> = {}) {
  const calls = fakeBackend({
    get_app_info: () => appInfo(),
    get_server_status: () => onlineStatus(),
    take_pending_imports: () => [],
    take_notices: () => [],
    list_courses: () => [courseSummary()],
    get_catalog: () => ({ courses: [] }),
    get_dashboard: () => dashboard(),
    get_study_plan: () => weeklyPlan(),
    ...handlers,
  });
  const shell = new AppState();
  render(App, { shell });
  await waitFor(() => expect(document.body.dataset.ready).toBe("true"));
  await fireEvent.click(byId("nav-library"));
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

  it("offers Open for items Carrel can show (content, quizzes, assignments, forums); the others show their kind", async () => {
    const webinar = withItems(courseOutline(), (item) =>
      item.id === "i-reading" ? { ...item, kind: "webinar", path: null } : item,
    );
    await renderCourse(webinar);
    expect(byId("item-open-i-intro").textContent?.trim()).toBe("Open");
    expect(byId("item-open-i-video")).toBeTruthy();
    expect(document.getElementById("item-open-i-reading"), "a webinar happens elsewhere").toBeNull();
    expect(byId("item-i-reading").textContent).toContain("Webinar");
    expect(byId("item-open-i-quiz"), "a quiz opens in Carrel's own view").toBeTruthy();
    expect(byId("item-open-i-forum"), "so does a forum").toBeTruthy();
    expect(byId("item-i-quiz").textContent).toContain("Quiz");
    expect(byId("item-i-forum").textContent).toContain("Forum");
    expect(byId("screen-course").textContent?.toLowerCase()).not.toContain("coming soon");
    // The plan's "This week" may offer the same item: the outline has its own button.
    expect(within(byId("outline")).getByRole("button", { name: "Open Inside a cell" })).toBe(
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
      place: null,
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
      expect(callsOf(calls, "open_course_item")[0]?.args).toEqual({
        courseId: "bio-101",
        itemId,
        place: null,
      });
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
      place: null,
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
    const outline = withItems(studiedOutline(), (item) =>
      item.id === "i-forum" ? { ...item, kind: "webinar" } : item,
    );
    await renderCourse({ ...outline, study: { ...outline.study!, nextItemId: "i-forum" } });
    const next = byId("course-next");
    expect(next.tagName).toBe("P");
    expect(next.dataset.item).toBe("i-forum");
    expect(next.textContent?.trim()).toBe("Up next: Discuss: heredity");
  });

  it("opens a forum in Carrel's own view, at its topics", async () => {
    const { calls, shell } = await renderCourse(courseOutline(), {
      get_forum: () => ({
        courseId: "bio-101",
        itemId: "i-forum",
        title: "Discuss: heredity",
        description: "",
        topics: [],
        draft: null,
        synced: false,
      }),
    });
    await fireEvent.click(byId("item-open-i-forum"));
    expect(shell.assessment).toEqual({
      kind: "forum",
      courseId: "bio-101",
      itemId: "i-forum",
      topicId: null,
    });
    expect(callsOf(calls, "open_course_item")).toHaveLength(0);
  });

  it("opens a quiz up next in Carrel's own view, not the content window", async () => {
    const { calls, shell } = await renderCourse(studiedOutline(), {
      get_quiz: () => quizState(),
    });
    const next = byId("course-next");
    expect(next.tagName).toBe("BUTTON");
    await fireEvent.click(next);
    await waitFor(() => expect(document.getElementById("quiz-view")).not.toBeNull());
    expect(shell.assessment).toEqual({
      kind: "quiz",
      courseId: "bio-101",
      itemId: "i-quiz",
      attemptId: null,
    });
    expect(callsOf(calls, "open_course_item")).toHaveLength(0);
    expect(callsOf(calls, "get_quiz")[0]?.args).toEqual({ courseId: "bio-101", itemId: "i-quiz" });
    // The way back is the first thing, and takes the learner back to the outline.
    await fireEvent.click(byId("assessment-back"));
    await waitFor(() => expect(document.getElementById("outline")).not.toBeNull());
    expect(shell.assessment).toBeNull();
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
      place: null,
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

describe("the course's week plan", () => {
  /** The course opened with `plan` as its weekly plan. */
  async function renderPlan(
    plan: WeeklyPlan = weeklyPlan(),
    handlers: Record<string, Handler> = {},
  ) {
    const rendered = await renderCourse(courseOutline(), {
      get_study_plan: () => plan,
      ...handlers,
    });
    await waitFor(() => expect(document.getElementById("course-plan-phase")).not.toBeNull());
    return rendered;
  }

  function text(id: string): string {
    return byId(id).textContent?.replace(/\s+/g, " ").trim() ?? "";
  }

  it("reads the plan of the course shown, and says the week, pace and workload", async () => {
    const { calls } = await renderPlan();
    expect(callsOf(calls, "get_study_plan").map((call) => call.args)).toEqual([
      { courseId: "bio-101" },
    ]);
    const section = byId("course-plan");
    expect(within(section).getByRole("heading", { level: 2 }).textContent).toBe("This week");
    expect(text("course-plan-phase")).toBe("Week 2 of 3");
    expect(byId("course-plan-phase").dataset.phase).toBe("running");
    expect(byId("course-pace").dataset.status).toBe("behind");
    expect(text("course-pace")).toBe("2 h 10 min behind");
    expect(byId("course-workload").dataset.fits).toBe("true");
    expect(text("course-workload")).toBe("About 1 h 30 min a week will finish the course.");
  });

  it.each([
    ["ahead", 45, "45 min ahead"],
    ["onTrack", 10, "On track"],
  ] as const)("says the pace %s as “%s”", async (status, differenceMinutes, words) => {
    await renderPlan(weeklyPlan({ pace: { ...weeklyPlan().pace, status, differenceMinutes } }));
    expect(byId("course-pace").dataset.status).toBe(status);
    expect(text("course-pace")).toBe(words);
  });

  it("says what to plan when the weekly hours will not finish the course in time", async () => {
    await renderPlan(
      weeklyPlan({
        workload: {
          weeklyMinutes: 360,
          remainingMinutes: 2_400,
          remainingWeeks: 3,
          capacityMinutes: 1_080,
          suggestedWeeklyMinutes: 800,
          fits: false,
        },
      }),
    );
    expect(byId("course-workload").dataset.fits).toBe("false");
    expect(text("course-workload")).toBe(
      "At 6 h a week the remaining 40 h will not fit in 3 weeks; plan 13 h 30 min a week.",
    );
  });

  it.each<[string, WeeklyPlan, string]>([
    ["notStarted", notStartedPlan(), `Starts ${formatLongDate("2026-02-02")}`],
    [
      "notStarted",
      notStartedPlan({ anchor: "preview" }),
      "Your weeks start when you start studying.",
    ],
    ["finished", finishedPlan(), "Finished"],
  ])("says where the course is in time: %s, “%s”", async (phase, plan, words) => {
    await renderPlan(plan);
    expect(byId("course-plan").dataset.phase).toBe(phase);
    expect(text("course-plan-phase")).toBe(words);
    expect(document.getElementById("course-todo"), "no week to do yet, or any more").toBeNull();
  });

  it("lists what remains after the course ended as overdue, and that it did not fit", async () => {
    await renderPlan(finishedPlan());
    expect(byId("course-overdue").querySelectorAll(":scope > li")).toHaveLength(5);
    expect(byId("course-workload").dataset.fits).toBe("false");
    expect(text("course-workload")).toBe("The course has ended with 2 h 7 min of work not done.");
  });

  it("lists this week's items to do, opening those the content window shows", async () => {
    const { calls } = await renderPlan(weeklyPlan(), { open_course_item: () => null });
    const todo = byId("course-todo");
    expect(Array.from(todo.querySelectorAll(":scope > li"), (item) => item.id)).toEqual([
      "course-plan-item-i-reading",
      "course-plan-item-i-forum",
      "course-plan-item-i-essay",
    ]);
    expect(text("course-plan-item-i-reading")).toContain("20 min");
    const open = within(todo).getByRole("button", { name: "Open Reading: the double helix" });
    expect(open.id).toBe("course-plan-open-i-reading");
    await fireEvent.click(open);
    await waitFor(() => expect(callsOf(calls, "open_course_item")).toHaveLength(1));
    expect(callsOf(calls, "open_course_item")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-reading",
      place: null,
    });
    // Opening is recorded: the plan is read again with the outline.
    await waitFor(() => expect(callsOf(calls, "get_study_plan")).toHaveLength(2));
  });

  it("takes the learner to an item Open cannot show, in the outline", async () => {
    const { calls } = await renderPlan();
    const show = byId("course-plan-open-i-forum");
    expect(show.textContent?.trim()).toBe("Show in outline");
    expect(show.getAttribute("aria-label")).toBe("Show in outline: Discuss: heredity");
    await fireEvent.click(show);
    expect(document.activeElement).toBe(byId("item-i-forum"));
    expect(callsOf(calls, "open_course_item")).toHaveLength(0);
  });

  it("flags overdue items with the week they were planned in", async () => {
    await renderPlan();
    const overdue = byId("course-overdue");
    const items = Array.from(overdue.querySelectorAll(":scope > li")) as HTMLElement[];
    expect(items.map((item) => item.id)).toEqual([
      "course-plan-item-i-video",
      "course-plan-item-i-quiz",
    ]);
    expect(items.every((item) => item.dataset.overdue === "true")).toBe(true);
    expect(items[0]?.textContent).toContain("Overdue since week 1");
    expect(byId("course-todo").querySelector("[data-overdue]")).toBeNull();
  });

  it("shows deadlines on the learner's clock, and on the team's when it differs", async () => {
    await renderPlan();
    const quiz = describePlanTime(QUIZ_DUE, LEARNER_ZONE);
    expect(text("course-deadline-i-quiz")).toContain(`Due ${quiz.local}`);
    expect(text("course-deadline-i-quiz")).toContain(`(${quiz.inZone!})`);
    expect(quiz.inZone).toContain("Europe/Zurich");
    const essay = byId("course-deadline-i-essay");
    expect(essay.textContent).toContain(describePlanTime(ESSAY_DUE, LEARNER_ZONE).local);
    expect(essay.querySelector(".other-zone")).toBeNull();
  });

  it("shows this week's live sessions with their start on the learner's clock", async () => {
    await renderPlan();
    const session = byId("course-session-s-1");
    const starts = weeklyPlan().thisWeek.sessions[0]!.starts;
    expect(session.dataset.atMs).toBe(String(starts.atMs));
    expect(session.textContent).toContain("Live Q&A");
    expect(session.querySelector("time")?.getAttribute("datetime")).toBe("2026-02-12T01:00:00");
    expect(session.textContent).toContain(describePlanTime(starts, LEARNER_ZONE).local);
    expect(session.textContent).toContain("Europe/Zurich");
    expect(session.textContent).toContain("1 h long");
    expect(
      session.querySelector(".recording"),
      "recordings are offered in the course calendar only, so one download runs at a time",
    ).toBeNull();
  });

  it("lists every week behind an All weeks disclosure", async () => {
    await renderPlan();
    const weeks = byId("course-weeks");
    expect(weeks.tagName).toBe("DETAILS");
    expect(weeks.hasAttribute("open"), "closed until the learner opens it").toBe(false);
    expect(weeks.querySelector("summary")?.textContent?.trim()).toBe("All weeks");
    const entries = Array.from(weeks.querySelectorAll("li[id^='course-week-']")).filter((e) =>
      /^course-week-\d+$/.test(e.id),
    ) as HTMLElement[];
    expect(entries.map((entry) => entry.id)).toEqual([
      "course-week-1",
      "course-week-2",
      "course-week-3",
    ]);
    expect(entries.map((entry) => entry.dataset.current ?? null)).toEqual([null, "true", null]);

    const first = entries[0]!;
    expect(first.querySelector("h3")?.textContent?.trim()).toBe(
      `Week 1: ${formatWeekDates("2026-02-02", "2026-02-08")}`,
    );
    expect(text("course-week-planned-1")).toBe("Planned: 32 min");
    expect(byId("course-week-time-1").dataset.seconds).toBe("3900");
    expect(text("course-week-time-1")).toBe("Time spent: 1 h 5 min");
    expect(byId("course-week-item-i-intro").dataset.done).toBe("true");
    expect(text("course-week-item-i-intro")).toContain("Done:");
    expect(byId("course-week-item-i-video").dataset.done).toBe("false");
    expect(text("course-week-item-i-video")).toContain("To do:");
    expect(first.contains(byId("course-week-item-i-quiz"))).toBe(true);

    expect(text("course-week-planned-2")).toBe("Planned: 1 h 40 min");
    expect(text("course-week-time-2")).toBe("No time recorded");
    expect(text("course-week-planned-3")).toBe("Nothing planned");
  });

  it("reads the plan again when the content window records progress in this course", async () => {
    let answer = weeklyPlan();
    const { calls } = await renderPlan(weeklyPlan(), { get_study_plan: () => answer });
    const pace = { ...weeklyPlan().pace, status: "onTrack" as const, differenceMinutes: 0 };
    answer = weeklyPlan({ pace });
    await emit("progress-changed", {
      courseId: "bio-101",
      itemId: "i-reading",
      progress: itemProgress("i-reading"),
    } satisfies ProgressChanged);
    await waitFor(() => expect(byId("course-pace").dataset.status).toBe("onTrack"));
    expect(callsOf(calls, "get_study_plan")).toHaveLength(2);

    await emit("progress-changed", {
      courseId: "chem-101",
      itemId: "i-atoms",
      progress: itemProgress("i-atoms"),
    } satisfies ProgressChanged);
    await settle();
    expect(callsOf(calls, "get_study_plan"), "not for another course").toHaveLength(2);
  });

  it("says why there is no plan, and still shows the outline", async () => {
    await renderCourse(courseOutline(), {
      get_study_plan: () => {
        throw { code: "progress_unavailable", message: "Progress is unavailable.", detail: null };
      },
    });
    await waitFor(() => expect(document.getElementById("course-plan-error")).not.toBeNull());
    expect(text("course-plan-error")).toBe("Progress is unavailable.");
    expect(document.getElementById("course-pace")).toBeNull();
    expect(byId("outline")).toBeTruthy();
  });
});

/** The course with a spreadsheet to open with another application, last in its first module. */
function withFile(file: OutlineItem = fileItem()): CourseOutline {
  const outline = courseOutline();
  outline.blocks[0]!.modules[0]!.items.push(file);
  return outline;
}

function isOpen(id: string): boolean {
  return document.getElementById(id)?.hasAttribute("open") ?? false;
}

/** What the backend says when an item's files are missing or damaged on disk. */
const DAMAGED = {
  code: "content_damaged",
  message:
    "This part of the course is missing or damaged on this computer (week1/cell.mp4). Repair the course to download only the files it needs again.",
  detail: "bio-101",
};

describe("opening a file with another application", () => {
  it("offers it for files only, with a label naming the item", async () => {
    await renderCourse(withFile());
    const button = byId("item-open-file-i-data");
    expect(button.tagName).toBe("BUTTON");
    expect(button.textContent?.trim()).toBe("Open with another app");
    expect(
      screen.getByRole("button", { name: "Open Cell counts (spreadsheet) with another app" }),
    ).toBe(button);
    expect(
      document.getElementById("item-open-i-data"),
      "the content window shows no files",
    ).toBeNull();
    expect(document.getElementById("item-open-file-i-intro")).toBeNull();
    expect(document.getElementById("item-open-file-i-reading")).toBeNull();
  });

  it("asks first; Don't open and Escape open nothing and give focus back", async () => {
    const { calls } = await renderCourse(withFile(), { open_course_file: () => null });
    const button = byId("item-open-file-i-data");
    button.focus();
    await fireEvent.click(button);

    expect(isOpen("open-file-dialog")).toBe(true);
    const dialog = byId("open-file-dialog");
    expect(dialog.getAttribute("aria-labelledby")).toBe("open-file-title");
    expect(byId("open-file-body").textContent?.trim()).toBe(
      "“Cell counts (spreadsheet)” will open in another application on this computer. Carrel copies it into its data folder first; the course's copy stays unchanged.",
    );
    expect(document.activeElement, "the safe choice has focus first").toBe(
      byId("open-file-cancel"),
    );

    await fireEvent.click(byId("open-file-cancel"));
    expect(isOpen("open-file-dialog")).toBe(false);
    expect(document.activeElement).toBe(button);

    await fireEvent.click(button);
    await fireEvent.keyDown(byId("open-file-cancel"), { key: "Escape" });
    expect(isOpen("open-file-dialog")).toBe(false);
    await settle();
    expect(callsOf(calls, "open_course_file")).toHaveLength(0);
    expect(callsOf(calls, "get_course_outline"), "nothing changed to read again").toHaveLength(1);
  });

  it("opens the file with open_course_file on confirmation, then shows it done", async () => {
    const done = withFile(
      fileItem({ progress: itemProgress("i-data", { progress: 1, completedMs: DONE_MS }) }),
    );
    let opened = false;
    const { calls } = await renderCourse(withFile(), {
      get_course_outline: () => (opened ? done : withFile()),
      open_course_file: () => {
        opened = true;
        return null;
      },
    });
    const button = byId("item-open-file-i-data");
    button.focus();
    await fireEvent.click(button);
    await fireEvent.click(byId("open-file-confirm"));

    await waitFor(() => expect(callsOf(calls, "open_course_file")).toHaveLength(1));
    expect(callsOf(calls, "open_course_file")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-data",
    });
    expect(callsOf(calls, "open_course_item"), "not the content window").toHaveLength(0);
    await waitFor(() => expect(byId("item-state-i-data").dataset.state).toBe("done"));
    expect(callsOf(calls, "get_course_outline")).toHaveLength(2);
    expect(isOpen("open-file-dialog")).toBe(false);
    expect(document.activeElement).toBe(byId("item-open-file-i-data"));
    await waitFor(() =>
      expect(byId("course-message").textContent?.trim()).toBe(
        "Opened Cell counts (spreadsheet) in another application.",
      ),
    );
    expect(byId("course-message").hasAttribute("data-kind")).toBe(false);
  });

  it.each([
    [
      "file_type_refused",
      "Carrel does not open “setup.exe” with another application: files of this type can run programs on your computer. Ask your course team for another format.",
    ],
    [
      "no_application",
      "No application on this computer opened “counts.ods”. Install one for this type of file; the file is at /home/learner/.local/share/org.carrel.desktop/opened/bio-101/counts.ods.",
    ],
  ])("says why it could not open the file (%s)", async (code, text) => {
    const { calls } = await renderCourse(withFile(), {
      open_course_file: () => {
        throw { code, message: text, detail: null };
      },
    });
    await fireEvent.click(byId("item-open-file-i-data"));
    await fireEvent.click(byId("open-file-confirm"));
    await waitFor(() => expect(byId("course-message").dataset.kind).toBe("error"));
    expect(byId("course-message").textContent?.trim()).toBe(text);
    expect(isOpen("open-file-dialog")).toBe(false);
    expect(document.getElementById("course-repair"), "nothing to repair").toBeNull();
    expect(callsOf(calls, "get_course_outline")).toHaveLength(1);
    expect(byId("item-state-i-data").dataset.state).toBe("not-started");
  });

  it("offers Repair when the file is missing or damaged", async () => {
    await renderCourse(withFile(), {
      open_course_file: () => {
        throw { ...DAMAGED, message: "This file is missing or damaged on this computer." };
      },
    });
    await fireEvent.click(byId("item-open-file-i-data"));
    await fireEvent.click(byId("open-file-confirm"));
    await waitFor(() => expect(document.getElementById("course-repair")).not.toBeNull());
    expect(byId("course-message").dataset.kind).toBe("error");
    expect(byId("course-message").textContent?.trim()).toBe(
      "This file is missing or damaged on this computer.",
    );
  });
});

describe("repairing a course", () => {
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

  /** The course shown, the video's files damaged: Open failed and Repair is offered. */
  async function renderDamaged(handlers: Record<string, Handler> = {}) {
    const rendered = await renderCourse(courseOutline(), {
      open_course_item: () => {
        throw DAMAGED;
      },
      cancel_task: () => null,
      ...handlers,
    });
    byId("item-open-i-video").focus();
    await fireEvent.click(byId("item-open-i-video"));
    await waitFor(() => expect(document.getElementById("course-repair")).not.toBeNull());
    return rendered;
  }

  it("offers Repair when an item's files are damaged, and takes focus to it", async () => {
    const { calls } = await renderDamaged();
    expect(byId("course-message").dataset.kind).toBe("error");
    expect(byId("course-message").textContent?.trim()).toBe(DAMAGED.message);
    const repair = byId("course-repair");
    expect(repair.tagName).toBe("BUTTON");
    expect(repair.textContent?.trim()).toBe("Repair");
    expect(repair.getAttribute("aria-describedby"), "says why it is offered").toBe(
      "course-message",
    );
    await waitFor(() => expect(document.activeElement).toBe(repair));
    expect(callsOf(calls, "repair_course"), "nothing runs before the learner asks").toHaveLength(0);
  });

  it("offers no Repair for other failures", async () => {
    await renderCourse(courseOutline(), {
      open_course_item: () => {
        throw { code: "not_installed", message: "This item is not shown in Carrel's reader." };
      },
    });
    await fireEvent.click(byId("item-open-i-video"));
    await waitFor(() => expect(byId("course-message").dataset.kind).toBe("error"));
    expect(document.getElementById("course-repair")).toBeNull();
  });

  it("repairs with repair_course, shows progress from the channel, then says all is fine", async () => {
    const repairs = pendingRepairs();
    const { calls } = await renderDamaged({ repair_course: repairs.handler });
    await fireEvent.click(byId("course-repair"));

    await waitFor(() => expect(repairs.runs).toHaveLength(1));
    const run = repairs.runs[0]!;
    expect(run.args).toMatchObject({ courseId: "bio-101" });
    expect(typeof run.args.taskId).toBe("string");
    expect(run.args.taskId).not.toBe("");
    // Checking comes first, with nothing to count: an indeterminate bar and Cancel, focused.
    await waitFor(() => expect(document.getElementById("course-repair-label")).not.toBeNull());
    expect(byId("course-repair-label").textContent?.trim()).toBe("Checking files…");
    expect(byId("course-repair-progress").hasAttribute("value")).toBe(false);
    expect(document.getElementById("course-repair"), "the progress line replaces it").toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(byId("course-repair-cancel")));

    run.progress.send({ stage: "download", doneBytes: 1_200_000, totalBytes: 3_400_000 });
    await waitFor(() => expect(byId("course-repair-progress").dataset.done).toBe("1200000"));
    expect(byId("course-repair-label").textContent?.trim()).toMatch(
      /^Downloading… 1[.,]2 of 3[.,]4 MB$/,
    );
    const bar = byId("course-repair-progress") as HTMLProgressElement;
    expect(bar.value).toBe(1_200_000);
    expect(bar.max).toBe(3_400_000);
    expect(bar.getAttribute("aria-labelledby")).toBe("course-repair-label");

    run.answer.resolve(repairReport());
    await waitFor(() => expect(byId("course-message").dataset.kind).toBe("success"));
    expect(byId("course-message").textContent?.trim()).toBe("All files of this course are fine.");
    expect(document.getElementById("course-repair-progress")).toBeNull();
    expect(document.getElementById("course-repair"), "nothing left to repair").toBeNull();
    // Not opened again by itself: the learner opens it, from where focus waits.
    await settle();
    expect(callsOf(calls, "open_course_item")).toHaveLength(1);
    expect(document.activeElement).toBe(byId("item-open-i-video"));
  });

  it.each([
    [["week1/cell.mp4"], 2_400_000, "1 file"],
    [["week1/cell.mp4", "week1/welcome.html", "week2/helix.pdf"], 12_300_000, "3 files"],
  ])("says how many files it downloaded again: %j", async (damagedFiles, newBytes, files) => {
    await renderDamaged({ repair_course: () => repairReport({ damagedFiles, newBytes }) });
    await fireEvent.click(byId("course-repair"));
    await waitFor(() => expect(byId("course-message").dataset.kind).toBe("success"));
    expect(byId("course-message").textContent?.trim()).toBe(
      `Repaired: ${files} downloaded again (${formatBytes(newBytes)}).`,
    );
    expect(byId("course-message").textContent).toMatch(/\(\d+[.,]\d MB\)/);
  });

  it("says why when the course server is out of reach, and offers Repair again", async () => {
    const offline = {
      code: "offline",
      message:
        "The course server cannot be reached. Connect and repair again, or import the course package file again.",
      detail: null,
    };
    const { calls } = await renderDamaged({
      repair_course: () => {
        throw offline;
      },
    });
    await fireEvent.click(byId("course-repair"));
    await waitFor(() => expect(byId("course-message").textContent?.trim()).toBe(offline.message));
    expect(byId("course-message").dataset.kind).toBe("error");
    await waitFor(() => expect(document.getElementById("course-repair")).not.toBeNull());
    expect(callsOf(calls, "repair_course")).toHaveLength(1);
    expect(callsOf(calls, "open_course_item")).toHaveLength(1);
  });

  it("cancels the repair with cancel_task and the same task id", async () => {
    const repairs = pendingRepairs();
    const { calls } = await renderDamaged({ repair_course: repairs.handler });
    await fireEvent.click(byId("course-repair"));
    await waitFor(() => expect(document.getElementById("course-repair-cancel")).not.toBeNull());
    const taskId = repairs.runs[0]?.args.taskId;

    await fireEvent.click(byId("course-repair-cancel"));
    await waitFor(() => expect(callsOf(calls, "cancel_task")).toHaveLength(1));
    expect(callsOf(calls, "cancel_task")[0]?.args).toEqual({ taskId });
    expect(byId("course-repair-cancel").textContent?.trim()).toBe("Cancelling…");
    await fireEvent.click(byId("course-repair-cancel"));
    expect(callsOf(calls, "cancel_task"), "asked once").toHaveLength(1);

    repairs.runs[0]?.answer.reject({
      code: "cancelled",
      message: "Download cancelled.",
      detail: null,
    });
    await waitFor(() => expect(document.getElementById("course-repair-progress")).toBeNull());
    expect(byId("course-message").dataset.kind).toBe("info");
    expect(byId("course-message").textContent?.trim()).toBe("Download cancelled.");
    // The files are still damaged: Repair stays on offer, and takes the focus Cancel had.
    await waitFor(() => expect(document.activeElement).toBe(byId("course-repair")));
  });

  it("shows the progress of a repair started in the Library", async () => {
    const repairs = pendingRepairs();
    const { shell } = await renderCourse(courseOutline(), { repair_course: repairs.handler });
    shell.library.repair({ id: "bio-101", title: "Introduction to Biology" });
    await waitFor(() => expect(document.getElementById("course-repair-label")).not.toBeNull());
    expect(byId("course-repair-label").textContent?.trim()).toBe("Checking files…");
    repairs.runs[0]?.answer.resolve(repairReport());
    await waitFor(() =>
      expect(byId("course-message").textContent?.trim()).toBe("All files of this course are fine."),
    );
  });
});

describe("the course calendar", () => {
  /** The course opened on `nowUtc` (only Date is faked, so waiting still works). */
  async function renderCalendar(
    nowUtc: number,
    plan: WeeklyPlan = weeklyPlan(),
    handlers: Record<string, Handler> = {},
  ) {
    vi.useFakeTimers({ toFake: ["Date"], now: nowUtc });
    const rendered = await renderCourse(courseOutline(), {
      get_study_plan: () => plan,
      ...handlers,
    });
    await waitFor(() => expect(document.getElementById("course-calendar")).not.toBeNull());
    return rendered;
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  function ids(list: string): string[] {
    return Array.from(byId(list).querySelectorAll(":scope > li"), (item) => item.id);
  }

  it("lists every session and deadline ahead, on the learner's clock and the organisers'", async () => {
    // Wednesday 11 February 2026, 12:00 UTC: before the first session.
    await renderCalendar(Date.UTC(2026, 1, 11, 12, 0, 0));
    const section = byId("course-calendar");
    expect(within(section).getByRole("heading", { level: 2 }).textContent).toBe(
      "Course calendar",
    );
    expect(ids("calendar-sessions")).toEqual(["calendar-session-s-1", "calendar-session-s-2"]);
    expect(ids("calendar-deadlines")).toEqual([
      "calendar-deadline-i-quiz",
      "calendar-deadline-i-essay",
    ]);
    const first = byId("calendar-session-s-1");
    const starts = describePlanTime(LIVE_QA.starts, LEARNER_ZONE);
    expect(first.textContent).toContain(starts.local);
    expect(first.textContent).toContain(starts.inZone!);
    expect(first.textContent).toContain("with Dr Ana Ruiz");
    expect(first.textContent).toContain("1 h long");
    // The repeat is organised in the learner's own zone: one clock only.
    expect(byId("calendar-session-s-2").querySelector(".other-zone")).toBeNull();
    expect(byId("calendar-session-s-2").textContent).toContain("1 h 30 min long");
    expect(document.getElementById("calendar-past"), "nothing is past yet").toBeNull();
    expect(byId("course-calendar-export-hint").textContent).toContain(LEARNER_ZONE);
  });

  it("joins a session through the backend, which reads the address from the course", async () => {
    const { calls } = await renderCalendar(Date.UTC(2026, 1, 11, 12, 0, 0), weeklyPlan(), {
      open_webinar_session: () => null,
    });
    const join = within(byId("calendar-session-s-1")).getByRole("button", {
      name: `Join Live Q&A, ${describePlanTime(LIVE_QA.starts, LEARNER_ZONE).local}`,
    });
    await fireEvent.click(join);
    await waitFor(() => expect(callsOf(calls, "open_webinar_session")).toHaveLength(1));
    expect(callsOf(calls, "open_webinar_session")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-live",
      sessionId: "s-1",
    });
    expect(
      within(byId("calendar-session-s-2")).queryByRole("button"),
      "no Join without a join address",
    ).toBeNull();
  });

  it("says why a session could not be joined", async () => {
    await renderCalendar(Date.UTC(2026, 1, 11, 12, 0, 0), weeklyPlan(), {
      open_webinar_session: () => {
        throw { code: "no-application", message: "No web browser opened the session." };
      },
    });
    await fireEvent.click(
      within(byId("calendar-session-s-1")).getByRole("button", { name: /^Join/ }),
    );
    const alert = await within(byId("calendar-session-s-1")).findByRole("alert");
    expect(alert.textContent).toBe("No web browser opened the session.");
  });

  it("folds what is over under Past, without Join", async () => {
    // Thursday 12 February, 00:00 UTC: the first session ended at 18:00.
    await renderCalendar(Date.UTC(2026, 1, 12, 0, 0, 0));
    expect(ids("calendar-sessions")).toEqual(["calendar-session-s-2"]);
    const past = byId("calendar-past");
    expect(past.tagName).toBe("DETAILS");
    expect(past.querySelector("summary")?.textContent?.trim()).toBe("Past (1)");
    const over = byId("calendar-session-s-1");
    expect(past.contains(over)).toBe(true);
    expect(over.dataset.past).toBe("true");
    expect(over.textContent).toContain("Over");
    expect(within(over).queryByRole("button", { name: /^Join/ })).toBeNull();
  });

  it("exports the calendar with its words in the learner's language, and says where", async () => {
    const { calls } = await renderCalendar(Date.UTC(2026, 1, 11, 12, 0, 0), weeklyPlan(), {
      export_calendar: () => "/home/ana/bio-101.ics",
    });
    await fireEvent.click(byId("course-calendar-export"));
    await waitFor(() => expect(callsOf(calls, "export_calendar")).toHaveLength(1));
    expect(callsOf(calls, "export_calendar")[0]?.args).toEqual({
      courseId: "bio-101",
      words: {
        dialogTitle: "Save the course calendar",
        due: "Due: {title}",
        course: "Course: {title}",
        presenter: "Presenter: {name}",
        join: "Join: {url}",
      },
    });
    await waitFor(() =>
      expect(byId("course-calendar").textContent).toContain("Saved to /home/ana/bio-101.ics"),
    );
  });

  it("reads the plan again when a sync round brings a notice for this course", async () => {
    let notices: CourseNotice[] = [];
    const { calls } = await renderCalendar(Date.UTC(2026, 1, 11, 12, 0, 0), weeklyPlan(), {
      list_course_notices: () => notices,
    });
    await waitFor(() => expect(callsOf(calls, "list_course_notices").length).toBeGreaterThan(0));
    const before = callsOf(calls, "get_study_plan").length;
    // Another course's notice changes nothing here.
    notices = [courseNotice({ seq: 6, courseId: "chem-300" })];
    await emit("outbox-changed");
    await waitFor(() => expect(callsOf(calls, "list_course_notices").length).toBeGreaterThan(1));
    expect(callsOf(calls, "get_study_plan")).toHaveLength(before);
    notices = [
      courseNotice({
        seq: 7,
        what: {
          type: "session",
          item_id: "i-live",
          session_id: "s-3",
          starts: "2026-02-18T10:00:00+01:00",
          time_zone: "Europe/Zurich",
        },
      }),
      ...notices,
    ];
    await emit("outbox-changed");
    await waitFor(() => expect(callsOf(calls, "get_study_plan")).toHaveLength(before + 1));
  });

  it("downloads a past session's recording with progress and Cancel, then plays it", async () => {
    const answer = deferred<null>();
    let sender: ProgressSender | null = null;
    let plan = weeklyPlan();
    const { calls } = await renderCalendar(Date.UTC(2026, 1, 12, 0, 0, 0), plan, {
      get_study_plan: () => plan,
      download_recording: (args) => {
        sender = new ProgressSender(args);
        return answer.promise;
      },
      cancel_task: () => null,
      open_recording: () => null,
    });
    const over = byId("calendar-session-s-1");
    const download = within(over).getByRole("button", {
      name: `Download the recording (${formatBytes(48_000_000)}): Live Q&A, ${describePlanTime(LIVE_QA.starts, LEARNER_ZONE).local}`,
    });
    await fireEvent.click(download);
    await waitFor(() => expect(callsOf(calls, "download_recording")).toHaveLength(1));
    const args = callsOf(calls, "download_recording")[0]?.args as Record<string, unknown>;
    expect(args).toMatchObject({ courseId: "bio-101", itemId: "i-live", sessionId: "s-1" });
    sender!.send({ stage: "download", doneBytes: 12_000_000, totalBytes: 48_000_000 });
    const bar = await within(over).findByRole("progressbar");
    await waitFor(() => expect(bar.getAttribute("value")).toBe("12000000"));
    await fireEvent.click(
      within(over).getByRole("button", {
        name: "Cancel the download of the recording of Live Q&A",
      }),
    );
    await waitFor(() => expect(callsOf(calls, "cancel_task")).toHaveLength(1));
    expect(callsOf(calls, "cancel_task")[0]?.args).toEqual({ taskId: args.taskId });

    // It finishes: the plan is read again and says it is here; Watch plays it.
    const reads = callsOf(calls, "get_study_plan").length;
    plan = weeklyPlan({
      calendar: {
        ...weeklyPlan().calendar,
        sessions: [{ ...LIVE_QA, recording: { size: 48_000_000, downloaded: true } }],
      },
    });
    answer.resolve(null);
    await waitFor(() => expect(callsOf(calls, "get_study_plan").length).toBe(reads + 1));
    const watch = await within(byId("calendar-session-s-1")).findByRole("button", {
      name: /^Watch the recording of Live Q&A/,
    });
    await fireEvent.click(watch);
    await waitFor(() => expect(callsOf(calls, "open_recording")).toHaveLength(1));
    expect(callsOf(calls, "open_recording")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-live",
      sessionId: "s-1",
    });
  });

  it("says why a recording could not be downloaded, and offers it again", async () => {
    await renderCalendar(Date.UTC(2026, 1, 12, 0, 0, 0), weeklyPlan(), {
      download_recording: () => {
        throw { code: "offline", message: "The course server cannot be reached." };
      },
    });
    const over = byId("calendar-session-s-1");
    await fireEvent.click(within(over).getByRole("button", { name: /^Download the recording/ }));
    expect((await within(over).findByRole("alert")).textContent).toBe(
      "The course server cannot be reached.",
    );
    expect(within(over).getByRole("button", { name: /^Download the recording/ })).toBeTruthy();
  });

  it("says when a course has no sessions or deadlines, with nothing to export", async () => {
    await renderCalendar(
      Date.UTC(2026, 1, 11, 12, 0, 0),
      weeklyPlan({ calendar: { sessions: [], deadlines: [] } }),
    );
    expect(byId("course-calendar-empty").textContent).toBe(
      "This course has no live sessions or deadlines.",
    );
    expect(document.getElementById("course-calendar-export")).toBeNull();
  });
});
