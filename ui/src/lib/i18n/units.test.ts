import { afterEach, describe, expect, it, vi } from "vitest";
import { en } from "./en";
import {
  formatByteProgress,
  formatBytes,
  formatClock,
  formatDate,
  formatDateRange,
  formatDay,
  formatDuration,
  formatPercent,
  plural,
} from "./units";

const enGB = { locale: "en-GB" };

describe("formatDate", () => {
  it("formats a calendar day in the learner's locale", () => {
    expect(formatDate("2026-02-01", enGB)).toBe("1 Feb 2026");
    expect(formatDate("2026-02-01", { locale: "en-US" })).toBe("Feb 1, 2026");
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it.each(["America/Los_Angeles", "Pacific/Kiritimati", "UTC"])(
    "never moves the day in the time zone %s",
    (timeZone) => {
      // Parsed or shown as an instant, a day would slip to the one before (or after) away from UTC.
      vi.stubEnv("TZ", timeZone);
      expect(formatDate("2026-01-01", enGB)).toBe("1 Jan 2026");
      expect(formatDate("2026-12-31", enGB)).toBe("31 Dec 2026");
    },
  );

  it("returns text that is not an ISO date as it is", () => {
    expect(formatDate("next spring", enGB)).toBe("next spring");
  });
});

describe("formatDateRange", () => {
  it("says both ends, one end, or nothing", () => {
    expect(formatDateRange("2026-02-02", "2026-06-26", enGB)).toBe("2 Feb 2026 to 26 Jun 2026");
    expect(formatDateRange("2026-02-02", null, enGB)).toBe("From 2 Feb 2026");
    expect(formatDateRange(null, "2026-06-26", enGB)).toBe("Until 26 Jun 2026");
    expect(formatDateRange(null, null, enGB)).toBeNull();
  });
});

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [999, "999 B"],
    [1_000, "1 kB"],
    [512_400, "512 kB"],
    [40_100_000, "40.1 MB"],
    [1_250_000_000, "1.3 GB"],
    [-5, "0 B"],
    [Number.NaN, "0 B"],
  ])("%d bytes is %s", (bytes, text) => {
    expect(formatBytes(bytes, enGB)).toBe(text);
  });

  it("uses the locale's decimal separator and the messages' unit", () => {
    const fr = { ...en, sizeMB: "{n} Mo" };
    expect(formatBytes(40_100_000, { locale: "fr-FR" }, fr)).toBe("40,1 Mo");
  });
});

describe("formatByteProgress", () => {
  it("puts both numbers in the total's unit", () => {
    expect(formatByteProgress(12_300_000, 40_100_000, enGB)).toEqual({
      done: "12.3",
      total: "40.1 MB",
    });
    expect(formatByteProgress(5_000, 2_000_000_000, enGB)).toEqual({
      done: "0.0",
      total: "2.0 GB",
    });
  });

  it("never shows more done than the total", () => {
    expect(formatByteProgress(50, 40, enGB)).toEqual({ done: "40", total: "40 B" });
  });
});

describe("plural", () => {
  const forms = { one: en.courseItemsOne, other: en.courseItemsOther };

  it("chooses the form by the messages' plural rules", () => {
    expect(plural(1, forms, enGB)).toBe("1 item");
    expect(plural(0, forms, enGB)).toBe("0 items");
    expect(plural(24, forms, enGB)).toBe("24 items");
    expect(plural(1200, forms, enGB)).toBe("1,200 items");
  });
});

describe("formatDay", () => {
  it("gives the day of an instant in the learner's time zone", () => {
    const lateEvening = Date.UTC(2026, 0, 15, 23, 30, 0);
    expect(formatDay(lateEvening, { locale: "en-GB", timeZone: "UTC" })).toBe("15 Jan 2026");
    // Already the next morning in Kiritimati (UTC+14).
    expect(formatDay(lateEvening, { locale: "en-GB", timeZone: "Pacific/Kiritimati" })).toBe(
      "16 Jan 2026",
    );
  });
});

describe("formatPercent", () => {
  it.each([
    [0, "0%"],
    [0.45, "45%"],
    [0.29, "29%"],
    [0.996, "99%"],
    [1, "100%"],
    [1.5, "100%"],
    [-0.2, "0%"],
    [Number.NaN, "0%"],
  ])("%d is %s, never rounded up to a share not reached", (share, text) => {
    expect(formatPercent(share, enGB)).toBe(text);
  });

  it("follows the locale's way of writing percentages", () => {
    // French puts a (narrow, by ICU version) no-break space before the sign.
    expect(formatPercent(0.4, { locale: "fr-FR" })).toMatch(/^40\s%$/);
  });
});

describe("formatClock", () => {
  it.each([
    [0, "0:00"],
    [5, "0:05"],
    [83, "1:23"],
    [83.9, "1:23"],
    [600, "10:00"],
    [3_723, "1:02:03"],
    [-4, "0:00"],
  ])("%d s is %s", (seconds, text) => {
    expect(formatClock(seconds)).toBe(text);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, null],
    [-3, null],
    [20, "less than a minute"],
    [60, "1 min"],
    [2_700, "45 min"],
    [3_600, "1 h"],
    [3_900, "1 h 5 min"],
    [45_000, "12 h 30 min"],
  ])("%d s is %s", (seconds, text) => {
    expect(formatDuration(seconds, enGB)).toBe(text);
  });
});
