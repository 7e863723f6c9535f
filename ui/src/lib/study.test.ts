import { describe, expect, it } from "vitest";
import { courseOutline, courseStudy, itemProgress } from "../test/fixtures";
import type { CompletionRule } from "./backend";
import {
  canOpenWithApp,
  describeItemState,
  describeItemsDone,
  describePlace,
  describeRule,
  describeStoppedAt,
  itemState,
  kindLabel,
  outlineItems,
  startItem,
} from "./study";

const enGB = { locale: "en-GB" };

describe("itemState", () => {
  it("is not started without progress, started with some, done once completed", () => {
    expect(itemState({ progress: null })).toBe("not-started");
    expect(itemState({ progress: itemProgress("a", { progress: 0 }) })).toBe("started");
    expect(itemState({ progress: itemProgress("a", { completedMs: 1 }) })).toBe("done");
  });
});

describe("describeItemState", () => {
  it("says the state in words, with how far for an item in progress", () => {
    expect(describeItemState({ progress: null }, enGB)).toBe("Not started");
    expect(describeItemState({ progress: itemProgress("a", { progress: 0.45 }) }, enGB)).toBe(
      "In progress, 45%",
    );
    expect(
      describeItemState({ progress: itemProgress("a", { progress: 0.4, completedMs: 1 }) }, enGB),
    ).toBe("Done");
  });
});

describe("describeRule", () => {
  it.each<[CompletionRule, string]>([
    [{ rule: "readToEnd" }, "Read to the end"],
    [{ rule: "allPagesSeen" }, "See every page"],
    [{ rule: "watched", percent: 90 }, "Play 90%"],
    [{ rule: "openedWithApp" }, "Open it with an app"],
    [{ rule: "submitted" }, "Submit it"],
    [{ rule: "markedDone" }, "Mark it done"],
    [{ rule: "reportedByContent" }, "Finish it in the module"],
  ])("%j is “%s”", (rule, words) => {
    expect(describeRule(rule, enGB)).toBe(words);
  });
});

describe("describePlace", () => {
  it.each([
    [83, "seconds", "at 1:23"],
    [3_723, "seconds", "at 1:02:03"],
    [0.4, "fraction", "at 40%"],
    [3, "page", "page 3"],
    [1_204, "page", "page 1,204"],
  ])("%d %s is “%s”", (position, unit, words) => {
    expect(describePlace(position, unit, enGB)).toBe(words);
  });

  it.each([
    [null, "seconds"],
    [0, "seconds"],
    [0, "fraction"],
    [0, "page"],
    [12, "lines"],
    [12, null],
    [Number.NaN, "page"],
  ])("says nothing for %s %s", (position, unit) => {
    expect(describePlace(position, unit, enGB)).toBeNull();
  });
});

describe("describeStoppedAt", () => {
  it("says where a video or audio not done was stopped", () => {
    const progress = itemProgress("v", { position: 83.4, positionUnit: "seconds" });
    expect(describeStoppedAt({ progress })).toEqual({ seconds: 83.4, text: "Stopped at 1:23" });
  });

  it("says nothing once done, at the start, or for other units", () => {
    const at = (overrides: Parameters<typeof itemProgress>[1]) => ({
      progress: itemProgress("v", { position: 83, positionUnit: "seconds", ...overrides }),
    });
    expect(describeStoppedAt(at({ completedMs: 1 }))).toBeNull();
    expect(describeStoppedAt(at({ position: 0 }))).toBeNull();
    expect(describeStoppedAt(at({ positionUnit: "fraction", position: 0.5 }))).toBeNull();
    expect(describeStoppedAt({ progress: null })).toBeNull();
  });
});

describe("describeItemsDone", () => {
  it("counts by the total's plural form", () => {
    expect(describeItemsDone(3, 24, enGB)).toBe("3 of 24 items done");
    expect(describeItemsDone(0, 1, enGB)).toBe("0 of 1 item done");
    expect(describeItemsDone(1_000, 1_200, enGB)).toBe("1,000 of 1,200 items done");
  });
});

describe("startItem", () => {
  const items = outlineItems(courseOutline());

  it("lists the items in course order", () => {
    expect(items.map((item) => item.id)).toEqual([
      "i-intro",
      "i-video",
      "i-quiz",
      "i-reading",
      "i-forum",
    ]);
  });

  it("is the suggested next item when the content window shows it", () => {
    expect(startItem(items, courseStudy({ nextItemId: "i-reading" }))?.id).toBe("i-reading");
  });

  it("is the first item the content window shows otherwise", () => {
    expect(startItem(items, courseStudy({ nextItemId: "i-quiz" }))?.id).toBe("i-intro");
    expect(startItem(items, courseStudy({ nextItemId: null }))?.id).toBe("i-intro");
    expect(startItem(items, null)?.id).toBe("i-intro");
  });

  it("is nothing when no item can be shown", () => {
    const unshown = items.map((item) => ({ ...item, path: null }));
    expect(startItem(unshown, courseStudy())).toBeNull();
  });
});

describe("canOpenWithApp", () => {
  it.each([
    ["file", true],
    ["page", false],
    ["pdf", false],
    ["video", false],
    ["quiz", false],
    ["external", false],
  ])("%s → %s", (kind, expected) => {
    expect(canOpenWithApp({ kind })).toBe(expected);
  });
});

describe("kindLabel", () => {
  it.each([
    ["page", "Page"],
    ["pdf", "PDF"],
    ["video", "Video"],
    ["quiz", "Quiz"],
    ["assignment", "Assignment"],
    ["webinar", "Webinar"],
    ["forum", "Forum"],
    ["external", "Link"],
    ["scorm", "Interactive module"],
    ["cmi5", "Interactive module"],
    ["file", "File"],
    ["hologram", "Activity"],
    ["toString", "Activity"],
  ])("%s is “%s”", (kind, word) => {
    expect(kindLabel(kind)).toBe(word);
  });
});
