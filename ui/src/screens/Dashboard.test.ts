// The Dashboard (Home), the screen Carrel opens on, in the whole shell against a fake backend:
// completion across courses, each course's week, pace, work and deadlines, opening items and
// courses, the empty state, and following progress recorded in the content window.
import { emit } from "@tauri-apps/api/event";
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import App from "../App.svelte";
import { AppState } from "../lib/app-state.svelte";
import { formatInstant } from "../lib/assess";
import type {
  CourseNotice,
  Dashboard,
  DashboardCourse,
  ProgressChanged,
  WeeklyPlan,
} from "../lib/backend";
import { formatLongDate } from "../lib/i18n/units";
import { describePlanTime } from "../lib/plan";
import { callsOf, deferred, fakeBackend, type Handler } from "../test/backend";
import {
  appInfo,
  courseNotice,
  courseOutline,
  courseSummary,
  dashboard,
  ESSAY_DUE,
  finishedPlan,
  itemProgress,
  LEARNER_ZONE,
  notStartedPlan,
  onlineStatus,
  plannedItem,
  QUIZ_DUE,
  studySettings,
  weeklyPlan,
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

function text(id: string): string {
  return byId(id).textContent?.replace(/\s+/g, " ").trim() ?? "";
}

/** The shell as it opens, on the Dashboard, once the dashboard is shown (unless not `loaded`). */
async function renderDashboard(handlers: Record<string, Handler> = {}, loaded = true) {
  const calls = fakeBackend({
    get_app_info: () => appInfo(),
    get_server_status: () => onlineStatus(),
    take_pending_imports: () => [],
    take_notices: () => [],
    get_dashboard: () => dashboard(),
    list_courses: () => [courseSummary()],
    get_catalog: () => ({ courses: [] }),
    get_course_outline: () => courseOutline(),
    get_study_plan: () => weeklyPlan(),
    get_study_settings: () => studySettings(),
    ...handlers,
  });
  const shell = new AppState();
  render(App, { shell });
  await waitFor(() => expect(document.body.dataset.ready).toBe("true"));
  if (loaded) {
    await waitFor(() => expect(document.getElementById("dashboard-time-zone")).not.toBeNull());
  }
  return { calls, shell };
}

/** The dashboard with bio-101 planned by `plan`. */
function withPlan(plan: WeeklyPlan, overrides: Partial<DashboardCourse["course"]> = {}): Dashboard {
  const base = dashboard();
  return {
    ...base,
    courses: [{ course: { ...base.courses[0]!.course, ...overrides }, plan }],
  };
}

/** A get_dashboard answering each of `answers` in turn, then the last one again. */
function inTurn(...answers: Dashboard[]): Handler {
  let index = 0;
  return () => answers[Math.min(index++, answers.length - 1)];
}

const CHANGE: ProgressChanged = {
  courseId: "bio-101",
  itemId: "i-reading",
  progress: itemProgress("i-reading"),
};

/** Lets pending promises and event deliveries run, for checking that something did not happen. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe("the Dashboard", () => {
  it("is the screen Carrel opens on, first in the navigation, called Home", async () => {
    const { calls, shell } = await renderDashboard();
    expect(shell.screen).toBe("dashboard");
    const nav = screen.getByRole("navigation", { name: "Main" });
    const first = nav.querySelector("button");
    expect(first?.id).toBe("nav-dashboard");
    expect(first?.textContent?.trim()).toBe("Home");
    expect(first?.getAttribute("aria-current")).toBe("page");
    expect(callsOf(calls, "get_dashboard")).toHaveLength(1);
    expect(callsOf(calls, "get_dashboard")[0]?.args).toEqual({});
    expect(callsOf(calls, "list_courses"), "the Library is not loaded until shown").toHaveLength(0);
  });

  it("tells the shell once that it is interactive, after its data is shown", async () => {
    const { calls } = await renderDashboard({ mark_interactive: () => null });
    await waitFor(() => expect(callsOf(calls, "mark_interactive")).toHaveLength(1));
    expect(callsOf(calls, "mark_interactive")[0]?.args).toEqual({ screen: "dashboard" });
    const order = calls.map((c) => c.cmd);
    expect(order.indexOf("mark_interactive")).toBeGreaterThan(order.indexOf("get_dashboard"));
    await emit("progress-changed", CHANGE);
    await settle();
    expect(callsOf(calls, "mark_interactive"), "a refresh is not a start").toHaveLength(1);
  });

  it("shows completion across all courses as a labelled progress bar", async () => {
    await renderDashboard({
      get_dashboard: () => dashboard({ completedItems: 7, totalItems: 40 }),
    });
    const overall = byId("dashboard-overall");
    expect(overall.dataset.completed).toBe("7");
    expect(overall.dataset.total).toBe("40");
    expect(overall.textContent).toContain("7 of 40 items done");
    expect(screen.getByRole("progressbar", { name: "Progress across all your courses" })).toBe(
      overall,
    );
  });

  it("shows each course with a plan: its title, completion, week and pace", async () => {
    await renderDashboard();
    const card = byId("dashboard-course-bio-101");
    expect(within(card).getByRole("heading", { level: 2 }).textContent).toBe(
      "Introduction to Biology",
    );
    const progress = byId("dashboard-progress-bio-101");
    expect(card.contains(progress)).toBe(true);
    expect(progress.dataset.completed).toBe("1");
    expect(progress.dataset.total).toBe("24");
    expect(text("dashboard-phase-bio-101")).toBe("Week 2 of 3");
    expect(byId("dashboard-phase-bio-101").dataset.phase).toBe("running");
    const pace = byId("dashboard-pace-bio-101");
    expect(card.contains(pace)).toBe(true);
    expect(pace.dataset.status).toBe("behind");
    expect(text("dashboard-pace-bio-101")).toBe("2 h 10 min behind");
  });

  it.each([
    ["ahead", 45, "45 min ahead"],
    ["onTrack", -12, "On track"],
    ["behind", -60, "1 h behind"],
  ] as const)("says the pace %s (%d min) as “%s”", async (status, differenceMinutes, words) => {
    const pace = { ...weeklyPlan().pace, status, differenceMinutes };
    await renderDashboard({ get_dashboard: () => withPlan(weeklyPlan({ pace })) });
    expect(byId("dashboard-pace-bio-101").dataset.status).toBe(status);
    expect(text("dashboard-pace-bio-101")).toBe(words);
  });

  it("says when a course starts, with nothing to do yet", async () => {
    await renderDashboard({
      get_dashboard: () => withPlan(notStartedPlan({ firstDay: "2027-02-15" })),
    });
    expect(byId("dashboard-phase-bio-101").dataset.phase).toBe("notStarted");
    expect(text("dashboard-phase-bio-101")).toBe(`Starts ${formatLongDate("2027-02-15")}`);
    expect(text("dashboard-phase-bio-101")).toContain("Monday");
    expect(document.getElementById("dashboard-todo-bio-101")).toBeNull();
    expect(document.getElementById("dashboard-overdue-bio-101")).toBeNull();
  });

  it("says a course is finished, and lists what was left undone as overdue", async () => {
    await renderDashboard({ get_dashboard: () => withPlan(finishedPlan()) });
    expect(byId("dashboard-phase-bio-101").dataset.phase).toBe("finished");
    expect(text("dashboard-phase-bio-101")).toBe("Finished");
    expect(document.getElementById("dashboard-todo-bio-101")).toBeNull();
    const overdue = byId("dashboard-overdue-bio-101").querySelectorAll(":scope > li");
    const prefix = /^dashboard-course-bio-101-item-/;
    const ids = Array.from(overdue, (item) => item.id.replace(prefix, ""));
    expect(ids).toEqual(["i-video", "i-quiz", "i-reading", "i-forum", "i-essay"]);
    expect(byId("dashboard-course-bio-101").textContent).not.toContain("more item");
  });

  it("lists this week's items to do, five at most, saying how many more", async () => {
    const todo = Array.from({ length: 7 }, (_, index) =>
      plannedItem({ itemId: `i-${index + 1}`, title: `Page ${index + 1}`, week: 2 }),
    );
    const plan = weeklyPlan();
    await renderDashboard({
      get_dashboard: () => withPlan({ ...plan, thisWeek: { ...plan.thisWeek, todo } }),
    });
    const list = byId("dashboard-todo-bio-101");
    const items = list.querySelectorAll(":scope > li");
    expect(Array.from(items, (item) => item.id)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `dashboard-course-bio-101-item-i-${n}`),
    );
    expect(byId("dashboard-course-bio-101").textContent).toContain("and 2 more items");
  });

  it("offers Open for pages, PDFs, videos, quizzes and assignments, and Open in course for the others", async () => {
    await renderDashboard();
    const todo = byId("dashboard-todo-bio-101");
    expect(within(todo).getByRole("button", { name: "Open Reading: the double helix" })).toBe(
      byId("dashboard-course-bio-101-open-i-reading"),
    );
    expect(text("dashboard-course-bio-101-open-i-reading")).toBe("Open");
    expect(text("dashboard-course-bio-101-open-i-forum")).toBe("Open in course");
    expect(
      within(todo).getByRole("button", { name: "Open Essay: a cell of your choice" }),
      "an assignment opens in Carrel's own view",
    ).toBe(byId("dashboard-course-bio-101-open-i-essay"));
    expect(text("dashboard-course-bio-101-open-i-video"), "a video opens").toBe("Open");
  });

  it("opens an item in the content window by course and item, then reads the plan again", async () => {
    const { calls } = await renderDashboard({ open_course_item: () => null });
    await fireEvent.click(byId("dashboard-course-bio-101-open-i-reading"));
    await waitFor(() => expect(callsOf(calls, "open_course_item")).toHaveLength(1));
    expect(callsOf(calls, "open_course_item")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-reading",
      place: null,
    });
    await waitFor(() => expect(callsOf(calls, "get_dashboard")).toHaveLength(2));
    expect(byId("dashboard-message").hasAttribute("data-kind")).toBe(false);
  });

  it("says why an item could not be opened, in the live region", async () => {
    await renderDashboard({
      open_course_item: () => {
        throw {
          code: "not_installed",
          message: "This item is not on this computer.",
          detail: null,
        };
      },
    });
    await fireEvent.click(byId("dashboard-course-bio-101-open-i-video"));
    await waitFor(() => expect(byId("dashboard-message").dataset.kind).toBe("error"));
    expect(text("dashboard-message")).toBe("This item is not on this computer.");
    expect(byId("dashboard-message").getAttribute("aria-live")).toBe("polite");
  });

  it("opens the course on the Course screen for an item Open cannot show", async () => {
    const { calls, shell } = await renderDashboard();
    await fireEvent.click(byId("dashboard-course-bio-101-open-i-forum"));
    expect(shell.screen).toBe("course");
    expect(shell.currentCourseId).toBe("bio-101");
    await waitFor(() => expect(document.getElementById("outline")).not.toBeNull());
    expect(callsOf(calls, "get_course_outline")[0]?.args).toEqual({ courseId: "bio-101" });
    expect(callsOf(calls, "open_course_item")).toHaveLength(0);
  });

  it("opens a course with Open course, as the Library's Open does", async () => {
    const { shell } = await renderDashboard();
    const button = byId("dashboard-open-course-bio-101");
    expect(button.textContent?.trim()).toBe("Open course");
    expect(screen.getByRole("button", { name: "Open course: Introduction to Biology" })).toBe(
      button,
    );
    await fireEvent.click(button);
    expect(shell.currentCourseId).toBe("bio-101");
    await waitFor(() => expect(byId("outline-title").textContent).toBe("Introduction to Biology"));
    expect(byId("nav-course").getAttribute("aria-current")).toBe("page");
  });

  it("flags overdue items with the week they were planned in", async () => {
    await renderDashboard();
    const overdue = byId("dashboard-overdue-bio-101");
    const items = Array.from(overdue.querySelectorAll(":scope > li")) as HTMLElement[];
    expect(items.map((item) => item.id)).toEqual([
      "dashboard-course-bio-101-item-i-video",
      "dashboard-course-bio-101-item-i-quiz",
    ]);
    for (const item of items) {
      expect(item.dataset.overdue).toBe("true");
      expect(item.textContent).toContain("Overdue since week 1");
    }
    const todo = byId("dashboard-todo-bio-101").querySelectorAll("[data-overdue]");
    expect(todo, "this week's items are not overdue").toHaveLength(0);
  });

  it("shows this week's deadlines on the learner's clock, and on the team's when it differs", async () => {
    await renderDashboard();
    const quiz = byId("dashboard-deadline-i-quiz");
    expect(quiz.dataset.atMs).toBe(String(QUIZ_DUE.atMs));
    expect(quiz.dataset.done).toBe("false");
    const quizTime = describePlanTime(QUIZ_DUE, LEARNER_ZONE);
    expect(quizTime.inZone, "the fixture's zones read differently").not.toBeNull();
    expect(quiz.textContent).toContain(`Due ${quizTime.local}`);
    expect(quiz.textContent).toContain(quizTime.inZone!);
    expect(quiz.textContent).toContain("Europe/Zurich");
    expect(quiz.querySelector("time")?.getAttribute("datetime")).toBe("2026-02-14T00:00:00");

    const essay = byId("dashboard-deadline-i-essay");
    expect(essay.textContent).toContain(`Due ${describePlanTime(ESSAY_DUE, LEARNER_ZONE).local}`);
    expect(essay.textContent, "set in the learner's own zone: one clock").not.toContain(
      LEARNER_ZONE,
    );
    expect(essay.querySelector(".other-zone")).toBeNull();
    // In order, earliest first, inside the course's card.
    const card = byId("dashboard-course-bio-101");
    expect(Array.from(card.querySelectorAll("[id^='dashboard-deadline-']"), (e) => e.id)).toEqual([
      "dashboard-deadline-i-quiz",
      "dashboard-deadline-i-essay",
    ]);
  });

  it("marks a deadline already met", async () => {
    const plan = weeklyPlan();
    const deadlines = plan.thisWeek.deadlines.map((deadline) =>
      deadline.itemId === "i-quiz" ? { ...deadline, done: true } : deadline,
    );
    await renderDashboard({
      get_dashboard: () => withPlan({ ...plan, thisWeek: { ...plan.thisWeek, deadlines } }),
    });
    expect(byId("dashboard-deadline-i-quiz").dataset.done).toBe("true");
    expect(byId("dashboard-deadline-i-quiz").textContent).toContain("Done");
    expect(byId("dashboard-deadline-i-essay").textContent).not.toContain("Done");
  });

  it("puts courses in progress first, then those not started, then those finished", async () => {
    const entry = (id: string, completedItems: number, lastStudiedMs: number | null) => ({
      course: courseSummary({ id, title: id, itemCount: 4, completedItems, lastStudiedMs }),
      plan: weeklyPlan(),
    });
    await renderDashboard({
      get_dashboard: () =>
        dashboard({
          // The backend's order: the most recently studied first.
          courses: [
            entry("done-101", 4, 3_000),
            entry("chem-101", 2, 2_000),
            entry("art-101", 0, null),
          ],
        }),
    });
    const cards = byId("dashboard-courses").querySelectorAll(":scope > li");
    expect(Array.from(cards, (card) => card.id)).toEqual([
      "dashboard-course-chem-101",
      "dashboard-course-art-101",
      "dashboard-course-done-101",
    ]);
  });

  it("lists a course without a plan apart, with its completion and Open course", async () => {
    const { shell } = await renderDashboard({
      get_dashboard: () =>
        dashboard({
          courses: [
            dashboard().courses[0]!,
            { course: courseSummary({ id: "hist-200", title: "Modern History" }), plan: null },
          ],
        }),
    });
    expect(document.getElementById("dashboard-course-hist-200")).toBeNull();
    const other = byId("dashboard-other-hist-200");
    expect(other.textContent).toContain("Modern History");
    expect(other.textContent).toContain("Carrel could not make a weekly plan for this course.");
    expect(byId("dashboard-progress-hist-200").dataset.total).toBe("24");
    await fireEvent.click(byId("dashboard-open-course-hist-200"));
    expect(shell.currentCourseId).toBe("hist-200");
    expect(shell.screen).toBe("course");
  });

  it("says which time zone times are in and the hours a week, with a way to Settings", async () => {
    const { shell } = await renderDashboard({
      get_dashboard: () =>
        dashboard({ settings: studySettings({ weeklyHours: 7.5, timeZone: "Europe/Zurich" }) }),
    });
    expect(text("dashboard-time-zone")).toBe("Times are shown in Europe/Zurich.");
    expect(text("dashboard-weekly-hours")).toBe("You set aside 7.5 hours a week for study.");
    await fireEvent.click(byId("dashboard-change-hours"));
    expect(shell.screen).toBe("settings");
    await waitFor(() => expect(document.getElementById("settings-weekly-hours")).not.toBeNull());
  });

  it("explains what it is for when there are no courses, with a way to the Library", async () => {
    const { shell } = await renderDashboard({
      get_dashboard: () => dashboard({ courses: [], completedItems: 0, totalItems: 0 }),
    });
    const empty = byId("dashboard-empty");
    expect(empty.textContent).toContain("No courses to plan yet");
    expect(empty.textContent).toContain("what to do each week");
    expect(document.getElementById("dashboard-courses")).toBeNull();
    expect(document.getElementById("dashboard-overall")).toBeNull();
    await fireEvent.click(byId("dashboard-go-library"));
    expect(shell.screen).toBe("library");
    await waitFor(() => expect(document.getElementById("screen-library")).not.toBeNull());
  });

  it("says why it could not load, and tries again", async () => {
    let fail = true;
    await renderDashboard(
      {
        get_dashboard: () => {
          if (fail) {
            throw { code: "internal", message: "Your progress could not be read.", detail: null };
          }
          return dashboard();
        },
      },
      false,
    );
    await waitFor(() => expect(document.getElementById("dashboard-error")).not.toBeNull());
    expect(text("dashboard-error")).toBe("Your progress could not be read.");
    fail = false;
    await fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(document.getElementById("dashboard-course-bio-101")).not.toBeNull());
    expect(document.getElementById("dashboard-error")).toBeNull();
  });

  it("keeps headings in order: h1, then h2 per course, then h3 per list", async () => {
    await renderDashboard();
    const levels = Array.from(byId("screen-dashboard").querySelectorAll("h1, h2, h3"), (h) =>
      Number(h.tagName[1]),
    );
    expect(levels[0]).toBe(1);
    for (let i = 1; i < levels.length; i += 1) {
      expect(levels[i]! - levels[i - 1]!).toBeLessThanOrEqual(1);
    }
  });
});

describe("the Dashboard following progress", () => {
  it("reads the dashboard again when the content window records progress", async () => {
    const caughtUp = withPlan(
      weeklyPlan({ pace: { ...weeklyPlan().pace, status: "onTrack", differenceMinutes: -5 } }),
      { completedItems: 3 },
    );
    const { calls } = await renderDashboard({
      get_dashboard: inTurn(dashboard(), { ...caughtUp, completedItems: 3 }),
    });
    expect(byId("dashboard-pace-bio-101").dataset.status).toBe("behind");
    await emit("progress-changed", CHANGE);
    await waitFor(() => expect(byId("dashboard-pace-bio-101").dataset.status).toBe("onTrack"));
    expect(callsOf(calls, "get_dashboard")).toHaveLength(2);
    expect(byId("dashboard-overall").dataset.completed).toBe("3");
    expect(byId("dashboard-progress-bio-101").dataset.completed).toBe("3");
  });

  it("reads it at most once more for a burst of progress changes", async () => {
    const answers: ReturnType<typeof deferred<Dashboard>>[] = [];
    let loads = 0;
    const { calls } = await renderDashboard({
      get_dashboard: () => {
        loads += 1;
        if (loads === 1) return dashboard();
        const answer = deferred<Dashboard>();
        answers.push(answer);
        return answer.promise;
      },
    });
    for (let i = 0; i < 5; i += 1) await emit("progress-changed", CHANGE);
    await waitFor(() => expect(answers).toHaveLength(1));
    await settle();
    expect(callsOf(calls, "get_dashboard"), "one reload in flight").toHaveLength(2);

    answers[0]!.resolve(dashboard());
    await waitFor(() => expect(answers).toHaveLength(2));
    answers[1]!.resolve(dashboard({ completedItems: 2 }));
    await waitFor(() => expect(byId("dashboard-overall").dataset.completed).toBe("2"));
    await settle();
    expect(callsOf(calls, "get_dashboard"), "and one more after it, not five").toHaveLength(3);
  });

  it("stops following progress when the learner leaves the Dashboard", async () => {
    const { calls } = await renderDashboard();
    await fireEvent.click(byId("nav-outbox"));
    await emit("progress-changed", CHANGE);
    await settle();
    expect(callsOf(calls, "get_dashboard")).toHaveLength(1);
  });

  it("keeps what it shows and says why when reading it again fails", async () => {
    let fail = false;
    await renderDashboard({
      get_dashboard: () => {
        if (fail) {
          throw { code: "progress_unavailable", message: "Progress is unavailable.", detail: null };
        }
        return dashboard();
      },
    });
    fail = true;
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await emit("progress-changed", CHANGE);
    await waitFor(() => expect(byId("dashboard-message").dataset.kind).toBe("error"));
    expect(text("dashboard-message")).toBe("Progress is unavailable.");
    expect(byId("dashboard-course-bio-101")).toBeTruthy();
    expect(warn).not.toHaveBeenCalled();
  });
});

describe("the course team's notices on Home", () => {
  const DAY = 86_400_000;
  const DUE = "2026-03-02T17:00:00+01:00";

  /** Notices newest first, seq `count` down to 1, none seen. */
  function announcements(count: number): CourseNotice[] {
    return Array.from({ length: count }, (_, index) =>
      courseNotice({
        seq: count - index,
        what: { type: "announcement", title: `Notice ${count - index}`, body: "Hello." },
      }),
    );
  }

  function shownNotices(): HTMLElement[] {
    return Array.from(byId("course-notices").querySelectorAll<HTMLElement>(".course-notice"));
  }

  function marks(calls: ReturnType<typeof fakeBackend>) {
    return callsOf(calls, "mark_notices_seen").map((call) => call.args);
  }

  it("shows each kind, newest first, with its course (title when installed) and when", async () => {
    const atMs = Date.now() - 3 * DAY;
    await renderDashboard({
      list_course_notices: () => [
        courseNotice({ seq: 9, atMs, seen: true }),
        courseNotice({
          seq: 8,
          seen: true,
          what: { type: "new_version", version: "1.1.0", title: "Introduction to Biology" },
        }),
        courseNotice({
          seq: 7,
          seen: true,
          courseId: "chem-300",
          what: { type: "schedule", item_id: "lab-4", due: DUE, reason: "Lab closed that week" },
        }),
      ],
    });
    const panel = byId("course-notices");
    expect(within(panel).getByRole("heading", { level: 2 }).textContent).toBe(
      "From your course team",
    );
    expect(screen.getByRole("region", { name: "From your course team" })).toBe(panel);
    const items = shownNotices();
    expect(items.map((item) => [item.dataset.seq, item.dataset.type])).toEqual([
      ["9", "announcement"],
      ["8", "new_version"],
      ["7", "schedule"],
    ]);

    const announcement = byId("course-notice-9");
    expect(text("course-notice-9-heading")).toBe("Week 2");
    expect(byId("course-notice-9-body").querySelector("strong")?.textContent).toBe("chapter 3");
    expect(announcement.textContent).toContain("Introduction to Biology");
    const time = announcement.querySelector("time");
    expect(time?.textContent?.trim()).toBe("3 days ago");
    expect(time?.getAttribute("datetime")).toBe(new Date(atMs).toISOString());

    expect(text("course-notice-8-heading")).toBe("Version 1.1.0 is available");
    expect(text("course-notice-8-body")).toBe(
      "A new version (1.1.0) of Introduction to Biology is on your course server — update it in Library.",
    );

    const schedule = byId("course-notice-7");
    expect(text("course-notice-7-heading")).toBe("New due date");
    expect(text("course-notice-7-body")).toBe(
      `Your due date for lab-4 is now ${formatInstant(Date.parse(DUE))}.`,
    );
    expect(schedule.textContent).toContain("Why: Lab closed that week");
    expect(schedule.textContent, "a course not installed goes by its id").toContain("chem-300");
  });

  it("names the item of a new due date by its title when the plan lists it", async () => {
    await renderDashboard({
      list_course_notices: () => [
        courseNotice({ what: { type: "schedule", item_id: "i-essay", due: DUE, reason: null } }),
      ],
    });
    expect(text("course-notice-1-body")).toBe(
      `Your due date for Essay: a cell of your choice is now ${formatInstant(Date.parse(DUE))}.`,
    );
    expect(byId("course-notice-1").querySelector(".reason")).toBeNull();
  });

  it("shows HTML in an announcement as text: nothing runs, nothing loads", async () => {
    const hostile = [
      "<script>window.__carrelPwned = 1</script>",
      '<img src="x" onerror="window.__carrelPwned = 2">',
    ].join("\n\n");
    await renderDashboard({
      list_course_notices: () => [
        courseNotice({ what: { type: "announcement", title: "<b>Hi</b>", body: hostile } }),
      ],
    });
    const body = byId("course-notice-1-body");
    expect(body.querySelector("script, img, [onerror]")).toBeNull();
    expect(body.textContent).toContain("<script>window.__carrelPwned = 1</script>");
    expect(body.textContent).toContain('<img src="x" onerror="window.__carrelPwned = 2">');
    expect(byId("course-notice-1-heading").querySelector("b")).toBeNull();
    expect(text("course-notice-1-heading")).toContain("<b>Hi</b>");
    await settle();
    expect((window as { __carrelPwned?: number }).__carrelPwned).toBeUndefined();
  });

  it("offers the Library to update a course a new version of which is on the server", async () => {
    const { shell } = await renderDashboard({
      list_course_notices: () => [
        courseNotice({ what: { type: "new_version", version: "1.1.0", title: "Biology" } }),
      ],
    });
    const button = screen.getByRole("button", {
      name: "Go to Library to update Introduction to Biology",
    });
    expect(button.id).toBe("course-notice-1-library");
    await fireEvent.click(button);
    expect(shell.screen).toBe("library");
  });

  it("marks those not seen before as New, in words, and reports the newest seen once", async () => {
    const { calls } = await renderDashboard({
      list_course_notices: () => [
        courseNotice({ seq: 12 }),
        courseNotice({ seq: 11 }),
        courseNotice({ seq: 10, seen: true }),
      ],
    });
    await waitFor(() => expect(marks(calls)).toEqual([{ seq: 12 }]));
    const [first, second, third] = shownNotices();
    for (const item of [first!, second!]) {
      expect(item.dataset.new, "still marked while Home shows it").toBe("true");
      expect(item.querySelector("h3")?.textContent).toMatch(/^\s*New\s+Week 2\s*$/);
    }
    expect(third!.dataset.new).toBeUndefined();
    expect(third!.textContent).not.toContain("New");

    // Reading the list again, or the Dashboard again, is no reason to mark again.
    await emit("outbox-changed");
    await emit("progress-changed", CHANGE);
    await settle();
    expect(marks(calls), "once, with the newest seq shown").toEqual([{ seq: 12 }]);
    expect(byId("course-notice-12").dataset.new).toBe("true");
  });

  it("does not report seen when every notice shown was seen before", async () => {
    const { calls } = await renderDashboard({
      list_course_notices: () => [courseNotice({ seq: 3, seen: true })],
    });
    await settle();
    expect(byId("course-notice-3").dataset.new).toBeUndefined();
    expect(marks(calls)).toEqual([]);
  });

  it("shows the newest five, and the others with Show all", async () => {
    const { calls } = await renderDashboard({ list_course_notices: () => announcements(8) });
    expect(shownNotices().map((item) => item.dataset.seq)).toEqual(["8", "7", "6", "5", "4"]);
    await waitFor(() => expect(marks(calls)).toEqual([{ seq: 8 }]));
    const button = byId("course-notices-show-all");
    expect(button.textContent?.trim()).toBe("Show all (8)");
    expect(button.getAttribute("aria-expanded")).toBe("false");
    expect(button.getAttribute("aria-controls")).toBe("course-notices-list");

    await fireEvent.click(button);
    expect(shownNotices().map((item) => item.dataset.seq)).toEqual([
      "8", "7", "6", "5", "4", "3", "2", "1",
    ]);
    expect(button.getAttribute("aria-expanded")).toBe("true");
    expect(button.textContent?.trim()).toBe("Show fewer");
    await waitFor(() => expect(document.activeElement).toBe(byId("course-notice-3-heading")));
    expect(byId("course-notice-1").dataset.new, "not seen before Home showed them: New too").toBe(
      "true",
    );
    await settle();
    expect(marks(calls), "the older ones were seen with the newest").toEqual([{ seq: 8 }]);

    await fireEvent.click(button);
    expect(shownNotices()).toHaveLength(5);
  });

  it("has no Show all for five notices or fewer", async () => {
    await renderDashboard({ list_course_notices: () => announcements(5) });
    expect(shownNotices()).toHaveLength(5);
    expect(document.getElementById("course-notices-show-all")).toBeNull();
  });

  it("shows no panel, not an empty one, when there are no notices", async () => {
    await renderDashboard({ list_course_notices: () => [] });
    expect(document.getElementById("course-notices")).toBeNull();
    expect(byId("screen-dashboard").textContent).not.toContain("From your course team");
    expect(document.getElementById("nav-dashboard-badge")).toBeNull();
  });

  it("shows what a sync round brought (outbox-changed), and reports the new one seen", async () => {
    let notices: CourseNotice[] = [];
    const { calls } = await renderDashboard({ list_course_notices: () => notices });
    expect(document.getElementById("course-notices")).toBeNull();

    notices = [courseNotice({ seq: 5 })];
    await emit("outbox-changed");
    await waitFor(() => expect(document.getElementById("course-notice-5")).not.toBeNull());
    await waitFor(() => expect(marks(calls)).toEqual([{ seq: 5 }]));

    notices = [courseNotice({ seq: 6 }), { ...notices[0]!, seen: true }];
    await emit("outbox-changed");
    await waitFor(() => expect(marks(calls)).toEqual([{ seq: 5 }, { seq: 6 }]));
    expect(shownNotices().map((item) => item.dataset.seq)).toEqual(["6", "5"]);
    expect(byId("course-notice-5").dataset.new, "new when this panel showed it").toBe("true");
  });

  it("reads the notices again when Home opens", async () => {
    const { calls } = await renderDashboard();
    const before = callsOf(calls, "list_course_notices").length;
    await fireEvent.click(byId("nav-settings"));
    await fireEvent.click(byId("nav-dashboard"));
    await waitFor(() => expect(callsOf(calls, "list_course_notices")).toHaveLength(before + 1));
  });

  it("counts the notices not seen on Home's navigation item until Home shows them", async () => {
    let notices: CourseNotice[] = [];
    const { calls } = await renderDashboard({
      list_course_notices: () => notices,
      list_outbox: () => [],
    });
    await fireEvent.click(byId("nav-outbox"));
    notices = [
      courseNotice({ seq: 3 }),
      courseNotice({ seq: 2 }),
      courseNotice({ seq: 1, seen: true }),
    ];
    await emit("outbox-changed");

    await waitFor(() => expect(document.getElementById("nav-dashboard-badge")).not.toBeNull());
    const badge = byId("nav-dashboard-badge");
    expect(badge.dataset.count).toBe("2");
    expect(badge.querySelector(".visually-hidden")?.textContent?.trim()).toBe(
      "2 new from your course team",
    );
    expect(screen.getByRole("button", { name: /^Home\s+2 new from your course team$/ })).toBe(
      byId("nav-dashboard"),
    );
    expect(marks(calls), "not shown yet: not seen").toEqual([]);

    await fireEvent.click(byId("nav-dashboard"));
    await waitFor(() => expect(marks(calls)).toEqual([{ seq: 3 }]));
    await waitFor(() => expect(document.getElementById("nav-dashboard-badge")).toBeNull());
    expect(byId("course-notice-3").dataset.new).toBe("true");
  });

  it("keeps headings in order with the notices: h2 for the panel, h3 per notice", async () => {
    await renderDashboard({ list_course_notices: () => announcements(2) });
    const levels = Array.from(byId("screen-dashboard").querySelectorAll("h1, h2, h3"), (h) =>
      Number(h.tagName[1]),
    );
    for (let i = 1; i < levels.length; i += 1) {
      expect(levels[i]! - levels[i - 1]!).toBeLessThanOrEqual(1);
    }
    expect(byId("course-notices").querySelectorAll("h3")).toHaveLength(2);
  });
});
