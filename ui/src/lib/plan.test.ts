import { describe, expect, it } from "vitest";
import {
  courseSummary,
  ESSAY_DUE,
  finishedPlan,
  LEARNER_ZONE,
  notStartedPlan,
  planTime,
  QUIZ_DUE,
  weeklyPlan,
} from "../test/fixtures";
import type { DashboardCourse, PlanItemKind, Workload } from "./backend";
import {
  canOpenKind,
  dashboardOrder,
  describePace,
  describePaceDetail,
  describePhase,
  describePlanTime,
  describeWeeklyHours,
  describeWorkload,
  weekSeconds,
} from "./plan";

const enGB = { locale: "en-GB" };

describe("canOpenKind", () => {
  it.each<[PlanItemKind, boolean]>([
    ["page", true],
    ["pdf", true],
    ["video", true],
    ["file", false],
    ["quiz", true],
    ["assignment", true],
    ["webinar", false],
    ["forum", false],
    ["external", false],
    ["scorm", true],
    ["cmi5", true],
  ])("%s: %s", (kind, openable) => {
    expect(canOpenKind(kind)).toBe(openable);
  });
});

describe("describePhase", () => {
  it("says the week and how many there are while the course runs", () => {
    expect(describePhase(weeklyPlan(), enGB)).toEqual({ phase: "running", text: "Week 2 of 3" });
  });

  it("says when the course starts before it does", () => {
    expect(describePhase(notStartedPlan({ firstDay: "2027-02-15" }), enGB)).toEqual({
      phase: "notStarted",
      text: "Starts Monday 15 February",
    });
  });

  it("gives no date for a preview: the weeks start when the learner does", () => {
    const plan = notStartedPlan({ anchor: "preview" });
    expect(describePhase(plan, enGB)).toEqual({
      phase: "notStarted",
      text: "Your weeks start when you start studying.",
    });
  });

  it("says Finished after the last day", () => {
    expect(describePhase(finishedPlan(), enGB)).toEqual({ phase: "finished", text: "Finished" });
  });
});

describe("describePace", () => {
  it.each([
    ["onTrack", 0, "On track"],
    ["onTrack", -25, "On track"],
    ["behind", -130, "2 h 10 min behind"],
    ["behind", -60, "1 h behind"],
    ["ahead", 45, "45 min ahead"],
    ["ahead", 185, "3 h 5 min ahead"],
  ] as const)("%s by %d min is “%s”", (status, differenceMinutes, words) => {
    expect(describePace({ status, differenceMinutes }, enGB)).toBe(words);
  });

  it("says what the verdict is based on", () => {
    expect(describePaceDetail({ doneMinutes: 180, plannedMinutes: 270 }, enGB)).toBe(
      "Done so far: 3 h of the 4 h 30 min planned by now.",
    );
  });
});

describe("describeWorkload", () => {
  function workload(overrides: Partial<Workload>): Workload {
    return {
      weeklyMinutes: 360,
      remainingMinutes: 1_500,
      remainingWeeks: 5,
      capacityMinutes: 1_800,
      suggestedWeeklyMinutes: 300,
      fits: true,
      ...overrides,
    };
  }

  it("says how much a week finishes the course when the hours are enough", () => {
    expect(describeWorkload(workload({}), enGB)).toBe(
      "About 5 h a week will finish the course.",
    );
  });

  it("rounds the suggestion up to the half hour, so following it is enough", () => {
    expect(describeWorkload(workload({ suggestedWeeklyMinutes: 301 }), enGB)).toBe(
      "About 5 h 30 min a week will finish the course.",
    );
    expect(describeWorkload(workload({ suggestedWeeklyMinutes: 20 }), enGB)).toBe(
      "About 30 min a week will finish the course.",
    );
  });

  it("says what will not fit, and what to plan instead, when the hours are not enough", () => {
    const short = workload({
      weeklyMinutes: 360,
      remainingMinutes: 2_400,
      remainingWeeks: 3,
      capacityMinutes: 1_080,
      suggestedWeeklyMinutes: 800,
      fits: false,
    });
    expect(describeWorkload(short, enGB)).toBe(
      "At 6 h a week the remaining 40 h will not fit in 3 weeks; plan 13 h 30 min a week.",
    );
  });

  it("says fractional weeks to one decimal, and never zero weeks while time is left", () => {
    const short = workload({
      weeklyMinutes: 60,
      remainingMinutes: 600,
      remainingWeeks: 2.44,
      suggestedWeeklyMinutes: 246,
      fits: false,
    });
    expect(describeWorkload(short, enGB)).toContain("will not fit in 2.4 weeks;");
    expect(describeWorkload({ ...short, remainingWeeks: 1 }, enGB)).toContain("fit in 1 week;");
    expect(describeWorkload({ ...short, remainingWeeks: 0.01 }, enGB)).toContain(
      "fit in 0.1 weeks;",
    );
  });

  it("says when everything is done, and what was left when the time is over", () => {
    expect(describeWorkload(workload({ remainingMinutes: 0, suggestedWeeklyMinutes: 0 }))).toBe(
      "Everything in this course is done.",
    );
    expect(describeWorkload(finishedPlan().workload, enGB)).toBe(
      "The course has ended with 2 h 7 min of work not done.",
    );
    expect(
      describeWorkload(workload({ remainingMinutes: 0, suggestedWeeklyMinutes: null })),
    ).toBe("Everything in this course is done.");
  });
});

describe("describePlanTime", () => {
  it("adds the clock of the zone a deadline was set in when it reads differently", () => {
    // Friday 17:00 in Zurich is Saturday midnight in Manila.
    expect(describePlanTime(QUIZ_DUE, LEARNER_ZONE, enGB)).toEqual({
      local: "Sat 14 Feb, 00:00",
      inZone: "Fri 13 Feb, 17:00 in Europe/Zurich",
    });
  });

  it("gives one clock when the deadline was set in the learner's zone", () => {
    expect(describePlanTime(ESSAY_DUE, LEARNER_ZONE, enGB)).toEqual({
      local: "Sun 15 Feb, 23:59",
      inZone: null,
    });
  });

  it("gives one clock when the other zone reads the same (Singapore beside Manila)", () => {
    const same = planTime(ESSAY_DUE.atMs, 2, "Asia/Singapore", "2026-02-15T23:59:00");
    expect(describePlanTime(same, LEARNER_ZONE, enGB).inZone).toBeNull();
  });

  it("gives one clock when the zone is not known to this system, or not given", () => {
    expect(describePlanTime(planTime(ESSAY_DUE.atMs, 2, "Mars/Olympus"), LEARNER_ZONE, enGB))
      .toEqual({ local: "Sun 15 Feb, 23:59", inZone: null });
    expect(describePlanTime(planTime(ESSAY_DUE.atMs, 2), LEARNER_ZONE, enGB).inZone).toBeNull();
  });
});

describe("weekSeconds", () => {
  it("finds the time spent in a course week by its number", () => {
    const plan = weeklyPlan();
    expect(plan.weeks.map((week) => weekSeconds(plan, week))).toEqual([3_900, 0, 0]);
  });

  it("is 0 for a week without an entry", () => {
    const plan = weeklyPlan({ timeOnTask: [] });
    expect(weekSeconds(plan, plan.weeks[0]!)).toBe(0);
  });
});

describe("describeWeeklyHours", () => {
  it("says the hours a week with the right plural", () => {
    expect(describeWeeklyHours(1, enGB)).toBe("1 hour a week");
    expect(describeWeeklyHours(6, enGB)).toBe("6 hours a week");
    expect(describeWeeklyHours(7.5, enGB)).toBe("7.5 hours a week");
  });
});

describe("dashboardOrder", () => {
  function entry(id: string, completedItems: number, lastStudiedMs: number | null) {
    return {
      course: courseSummary({ id, itemCount: 10, completedItems, lastStudiedMs }),
      plan: null,
    } satisfies DashboardCourse;
  }

  it("puts courses in progress first, then those not started, then those finished", () => {
    const courses = [
      entry("finished-recently", 10, 3_000),
      entry("in-progress-recent", 4, 2_000),
      entry("not-started-a", 0, null),
      entry("in-progress-older", 1, 1_000),
      entry("not-started-b", 0, null),
    ];
    expect(dashboardOrder(courses).map((c) => c.course.id)).toEqual([
      "in-progress-recent",
      "in-progress-older",
      "not-started-a",
      "not-started-b",
      "finished-recently",
    ]);
  });

  it("keeps the backend's order within each group and does not change the list given", () => {
    const courses = [entry("b", 0, null), entry("a", 0, null)];
    expect(dashboardOrder(courses).map((c) => c.course.id)).toEqual(["b", "a"]);
    expect(courses.map((c) => c.course.id)).toEqual(["b", "a"]);
  });
});
