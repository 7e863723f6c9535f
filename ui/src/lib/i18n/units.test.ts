import { afterEach, describe, expect, it, vi } from "vitest";
import { en } from "./en";
import { setLanguage } from "./index";
import {
  formatByteProgress,
  formatBytes,
  formatFileSize,
  formatClock,
  formatDate,
  formatDateRange,
  formatDateTime,
  formatDay,
  formatDuration,
  formatLongDate,
  formatMinutes,
  formatNumber,
  formatPercent,
  formatRelativeTime,
  formatWeekDates,
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

describe("formatFileSize", () => {
  // The very strings carrel-core's assess::attachments::human_size writes, so a refusal's
  // "larger than the 20 MB limit" and the editor's "up to 20 MB each" agree.
  it.each([
    [0, "0 KB"],
    [1, "1 KB"],
    [86_016, "84 KB"],
    [120_000, "118 KB"],
    [1_048_575, "1,024 KB"],
    [1_048_576, "1 MB"],
    [1_572_864, "1.5 MB"],
    [20 * 1024 * 1024, "20 MB"],
    [-5, "0 KB"],
    [Number.NaN, "0 KB"],
  ])("%d bytes is %s", (bytes, text) => {
    expect(formatFileSize(bytes, enGB)).toBe(text);
  });

  it("uses the locale's decimal separator and the messages' unit", () => {
    const fr = { ...en, fileSizeMB: "{n} Mo" };
    expect(formatFileSize(1_572_864, { locale: "fr-FR" }, fr)).toBe("1,5 Mo");
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

describe("formatMinutes", () => {
  it.each([
    [0, "0 min"],
    [-5, "0 min"],
    [Number.NaN, "0 min"],
    [0.5, "0 min"],
    [1, "1 min"],
    [45, "45 min"],
    [45.9, "45 min"],
    [60, "1 h"],
    [130, "2 h 10 min"],
    [2_400, "40 h"],
  ])("%d min is %s", (minutes, text) => {
    expect(formatMinutes(minutes, enGB)).toBe(text);
  });
});

describe("formatLongDate", () => {
  it("says the weekday, day and month", () => {
    expect(formatLongDate("2027-02-15", enGB)).toBe("Monday 15 February");
    expect(formatLongDate("2027-02-15", { locale: "en-US" })).toBe("Monday, February 15");
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it.each(["America/Los_Angeles", "Pacific/Kiritimati"])(
    "never moves the day in the time zone %s",
    (timeZone) => {
      vi.stubEnv("TZ", timeZone);
      expect(formatLongDate("2026-03-01", enGB)).toBe("Sunday 1 March");
    },
  );

  it("returns text that is not an ISO date as it is", () => {
    expect(formatLongDate("soon", enGB)).toBe("soon");
  });
});

describe("formatWeekDates", () => {
  // ICU puts thin spaces around the dash; compare with plain spaces.
  const plain = (text: string) => text.replace(/\s/g, " ");

  it("gives Monday to Sunday as one range, saying month and year once when shared", () => {
    expect(plain(formatWeekDates("2026-02-09", "2026-02-15", enGB))).toBe("9 – 15 Feb 2026");
    expect(plain(formatWeekDates("2026-02-23", "2026-03-01", enGB))).toBe("23 Feb – 1 Mar 2026");
    expect(plain(formatWeekDates("2026-12-28", "2027-01-03", enGB))).toBe(
      "28 Dec 2026 – 3 Jan 2027",
    );
  });

  it("falls back to both dates as they are when they are not a range", () => {
    expect(formatWeekDates("2026-02-15", "2026-02-09", enGB)).toBe("2026-02-15 to 2026-02-09");
    expect(formatWeekDates("x", "2026-02-09", enGB)).toBe("x to 2026-02-09");
  });
});

describe("formatDateTime", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("shows the wall clock given, with the weekday", () => {
    expect(formatDateTime("2027-03-29T05:59:00", enGB)).toBe("Mon 29 Mar, 05:59");
    expect(formatDateTime("2027-03-28T23:59:59.5", enGB)).toBe("Sun 28 Mar, 23:59");
    expect(formatDateTime("2027-03-29T17:30", enGB)).toBe("Mon 29 Mar, 17:30");
  });

  it("does not convert the wall clock to the computer's time zone", () => {
    // The backend already put it on the right clock; a conversion would move it by hours.
    vi.stubEnv("TZ", "Pacific/Kiritimati");
    expect(formatDateTime("2027-03-28T23:59:00", enGB)).toBe("Sun 28 Mar, 23:59");
  });

  it("returns text that is not a civil date-time as it is", () => {
    expect(formatDateTime("2027-03-29T05:59:00Z", enGB)).toBe("2027-03-29T05:59:00Z");
    expect(formatDateTime("tomorrow", enGB)).toBe("tomorrow");
  });
});

describe("formatRelativeTime", () => {
  const now = Date.UTC(2026, 1, 11, 10, 0, 0);
  it("says just now within a minute, then minutes, hours (up to two days) and days", () => {
    expect(formatRelativeTime(now - 59_000, now)).toBe("just now");
    expect(formatRelativeTime(now + 30_000, now)).toBe("just now");
    expect(formatRelativeTime(now - 5 * 60_000, now)).toBe("5 minutes ago");
    expect(formatRelativeTime(now - 59 * 60_000 - 59_000, now)).toBe("59 minutes ago");
    expect(formatRelativeTime(now + 3 * 3_600_000, now)).toBe("in 3 hours");
    expect(formatRelativeTime(now - 47 * 3_600_000, now)).toBe("47 hours ago");
    expect(formatRelativeTime(now + 2 * 24 * 3_600_000, now)).toBe("in 2 days");
    expect(formatRelativeTime(now - 5 * 24 * 3_600_000 - 1, now)).toBe("5 days ago");
  });

  it("uses the messages' words for just now", () => {
    expect(formatRelativeTime(now, now, { ...en, timeJustNow: "à l'instant" })).toBe("à l'instant");
  });
});

describe("without a locale", () => {
  afterEach(() => {
    setLanguage("en");
  });

  it("formats in the language chosen in Settings, not the computer's", () => {
    vi.spyOn(navigator, "languages", "get").mockReturnValue(["en-US", "en"]);
    setLanguage("fr");
    expect(formatDateTime("2027-03-29T20:21:17")).toBe("lun. 29 mars, 20:21");
    expect(formatLongDate("2026-02-15")).toBe("dimanche 15 février");
    expect(formatDate("2026-02-01")).toBe("1 févr. 2026");
    // French groups thousands with a (narrow) no-break space and writes a decimal comma.
    expect(formatNumber(1234.5)).toMatch(/^1\s234,5$/);
    expect(formatBytes(40_100_000)).toBe("40,1 Mo");
    expect(formatPercent(0.45)).toMatch(/^45\s%$/);
  });

  it("keeps the computer's day-month order and 24-hour clock in its own language", () => {
    vi.spyOn(navigator, "languages", "get").mockReturnValue(["en-GB"]);
    setLanguage("en");
    expect(formatDateTime("2027-03-29T20:21:17")).toBe("Mon 29 Mar, 20:21");
    expect(formatDate("2026-02-01")).toBe("1 Feb 2026");
    expect(formatNumber(1234.5)).toBe("1,234.5");
  });

  it("takes a locale given over the UI's", () => {
    setLanguage("fr");
    expect(formatDate("2026-02-01", { locale: "en-US" })).toBe("Feb 1, 2026");
    expect(formatNumber(1234.5, { locale: "en-US" })).toBe("1,234.5");
  });
});
