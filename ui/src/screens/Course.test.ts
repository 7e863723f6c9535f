// The Course screen in the whole shell, against a fake backend: the empty state, the outline of the
// course opened from the Library, and opening items in the content window.
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import App from "../App.svelte";
import { AppState } from "../lib/app-state.svelte";
import type { CourseOutline } from "../lib/backend";
import { formatDateRange } from "../lib/i18n/units";
import { callsOf, fakeBackend, type Handler } from "../test/backend";
import { appInfo, courseOutline, courseSummary, onlineStatus } from "../test/fixtures";

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
    list_courses: () => [courseSummary()],
    get_catalog: () => ({ courses: [] }),
    ...handlers,
  });
  const shell = new AppState();
  render(App, { shell });
  await waitFor(() => expect(document.body.dataset.ready).toBe("true"));
  return { calls, shell };
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

  it("opens an item in the content window with its course, path and title", async () => {
    const { calls } = await renderCourse(courseOutline(), { open_course_item: () => null });
    await fireEvent.click(byId("item-open-i-video"));
    await waitFor(() => expect(callsOf(calls, "open_course_item")).toHaveLength(1));
    expect(callsOf(calls, "open_course_item")[0]?.args).toEqual({
      courseId: "bio-101",
      path: "week1/cell.mp4",
      title: "Inside a cell",
    });
    expect(byId("course-message").hasAttribute("data-kind")).toBe(false);
  });

  it("opens the course home page", async () => {
    const { calls } = await renderCourse(courseOutline(), { open_course_item: () => null });
    await fireEvent.click(byId("course-home-open"));
    await waitFor(() => expect(callsOf(calls, "open_course_item")).toHaveLength(1));
    expect(callsOf(calls, "open_course_item")[0]?.args).toEqual({
      courseId: "bio-101",
      path: "index.html",
      title: "Introduction to Biology",
    });
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
