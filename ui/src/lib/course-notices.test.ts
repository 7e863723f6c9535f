import { describe, expect, it } from "vitest";
import { formatInstant } from "./assess";
import {
  describeNotice,
  describeNoticeTime,
  formatDue,
  namesFromDashboard,
  noticeCourse,
} from "./course-notices";
import { formatBytes } from "./i18n/units";
import { courseNotice, courseSummary, dashboard } from "../test/fixtures";

const NAMES = namesFromDashboard(dashboard());
const DUE = "2026-03-02T17:00:00+01:00";
const NOW = Date.UTC(2026, 1, 11, 10, 0, 0);

describe("namesFromDashboard", () => {
  it("knows each installed course's title, and the items its plan lists", () => {
    const names = namesFromDashboard(
      dashboard({
        courses: [
          ...dashboard().courses,
          { course: courseSummary({ id: "hist-200", title: "Modern History" }), plan: null },
        ],
      }),
    );
    expect(names.courses.get("bio-101")).toBe("Introduction to Biology");
    expect(names.courses.get("hist-200"), "a course without a plan is still installed").toBe(
      "Modern History",
    );
    expect(names.items.get("bio-101/i-essay")).toBe("Essay: a cell of your choice");
    expect(names.items.get("bio-101/i-intro"), "items of every week, not only this one").toBe(
      "Welcome",
    );
  });

  it("knows nothing before the dashboard is loaded", () => {
    const names = namesFromDashboard(null);
    expect(names.courses.size + names.items.size).toBe(0);
  });
});

describe("noticeCourse", () => {
  it("names the course by its title when installed, else by its id", () => {
    expect(noticeCourse(courseNotice(), NAMES)).toBe("Introduction to Biology");
    expect(noticeCourse(courseNotice({ courseId: "chem-300" }), NAMES)).toBe("chem-300");
  });
});

describe("describeNotice", () => {
  it("heads an announcement with its title; its body is shown apart, as Markdown", () => {
    const words = describeNotice(courseNotice(), NAMES);
    expect(words).toEqual({ heading: "Week 2", text: null, reason: null });
  });

  it("says a new version is on the server, with the course's title in it", () => {
    const notice = courseNotice({
      what: { type: "new_version", version: "1.1.0", title: "Introduction to Biology (2026)" },
    });
    const words = describeNotice(notice, NAMES);
    expect(words.heading).toBe("Version 1.1.0 is available");
    expect(words.text).toBe(
      "A new version (1.1.0) of Introduction to Biology (2026) is on your course server — update it in Library.",
    );
  });

  it("names a new version's course as installed when the notice has no title", () => {
    const notice = courseNotice({ what: { type: "new_version", version: "2.0.0", title: " " } });
    expect(describeNotice(notice, NAMES).text).toContain("(2.0.0) of Introduction to Biology is");
  });

  it("says an item's new due date, by its title when known, with the reason", () => {
    const notice = courseNotice({
      what: { type: "schedule", item_id: "i-essay", due: DUE, reason: "Extension granted" },
    });
    const words = describeNotice(notice, NAMES);
    expect(words.heading).toBe("New due date");
    expect(words.text).toBe(
      `Your due date for Essay: a cell of your choice is now ${formatInstant(Date.parse(DUE))}.`,
    );
    expect(words.reason).toBe("Why: Extension granted");
  });

  it("names an item it does not know by its id, and says nothing of an empty reason", () => {
    const notice = courseNotice({
      courseId: "chem-300",
      what: { type: "schedule", item_id: "lab-4", due: DUE, reason: "  " },
    });
    const words = describeNotice(notice, NAMES);
    expect(words.text).toMatch(/^Your due date for lab-4 is now /);
    expect(words.reason).toBeNull();
  });

  it("does not take another course's item of the same id for this one's", () => {
    const notice = courseNotice({
      courseId: "chem-300",
      what: { type: "schedule", item_id: "i-essay", due: DUE, reason: null },
    });
    expect(describeNotice(notice, NAMES).text).toMatch(/^Your due date for i-essay is now /);
  });

  it("says a live session was scheduled or moved, in the learner's time", () => {
    const notice = courseNotice({
      what: {
        type: "session",
        item_id: "i-live",
        session_id: "s-3",
        starts: DUE,
        time_zone: "Europe/Zurich",
      },
    });
    const words = describeNotice(notice, NAMES);
    expect(words.heading).toBe("Live session scheduled");
    expect(words.text).toBe(
      `i-live: a session on ${formatInstant(Date.parse(DUE))} (your time). See the course calendar.`,
    );
  });

  it("says a session's recording can be downloaded, with its size", () => {
    const notice = courseNotice({
      what: { type: "recording", item_id: "i-quiz", session_id: "s-1", size: 48_000_000 },
    });
    const words = describeNotice(notice, NAMES);
    expect(words.heading).toBe("Recording available");
    expect(words.text).toBe(
      `The recording of a session of Cells quiz (${formatBytes(48_000_000)}) can be downloaded from the course calendar, to watch offline.`,
    );
  });

  it("says a live session was cancelled", () => {
    const notice = courseNotice({
      what: {
        type: "session",
        item_id: "i-quiz",
        session_id: "s-1",
        starts: null,
        time_zone: null,
      },
    });
    const words = describeNotice(notice, NAMES);
    expect(words.heading).toBe("Live session cancelled");
    expect(words.text).toBe("A session of Cells quiz was cancelled. See the course calendar.");
  });

  it("says a due date was lifted", () => {
    const notice = courseNotice({
      what: { type: "schedule", item_id: "i-quiz", due: null, reason: null },
    });
    expect(describeNotice(notice, NAMES).text).toBe("Cells quiz no longer has a due date.");
  });
});

describe("formatDue", () => {
  it("reads an RFC 3339 instant in the learner's zone", () => {
    expect(formatDue(DUE, { locale: "en-GB", timeZone: "UTC" })).toBe(
      formatInstant(Date.UTC(2026, 2, 2, 16, 0, 0), { locale: "en-GB", timeZone: "UTC" }),
    );
  });

  it("shows text that is not a date as it is", () => {
    expect(formatDue("end of term")).toBe("end of term");
  });
});

describe("describeNoticeTime", () => {
  it("says how long ago the server made the notice", () => {
    expect(describeNoticeTime(NOW - 3 * 86_400_000, NOW)).toBe("3 days ago");
  });

  it("never says a notice was made in the future when the server's clock is ahead", () => {
    expect(describeNoticeTime(NOW + 5 * 60_000, NOW)).toBe("just now");
  });
});
