// Dates, sizes and counts in words for the learner. Pure but for the UI's language, so it is
// unit-tested directly. Numbers and dates follow the language chosen in Settings (`formatLocale`:
// the computer's regional format when it speaks that language), read at each call, so text
// formatted in a template or `$derived` follows a change of language; unit names and plural forms
// come from the messages, so a translation can say "Mo" instead of "MB". `locale` is for tests.
import { format } from "./format";
import { formatLocale, t, type Messages } from "./index";

export interface LocaleOptions {
  /** A BCP 47 tag; the UI's (`formatLocale()`) when absent. */
  locale?: string;
}

/** The locale `options` ask for, else the UI's. */
export function localeOf(options: LocaleOptions = {}): string {
  return options.locale ?? formatLocale();
}

/** A number in the UI's locale: "1,234" in English, "1 234" in French. */
export function formatNumber(value: number, options: LocaleOptions = {}): string {
  return value.toLocaleString(localeOf(options));
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A calendar date ("2026-02-01") in the learner's format, e.g. "1 Feb 2026". The date is a day,
 * not an instant: it is formatted in UTC so no time zone can move it to the day before. Text that
 * is not an ISO date is returned as it is.
 */
export function formatDate(iso: string, options: LocaleOptions = {}): string {
  const match = ISO_DATE.exec(iso);
  if (!match) return iso;
  const [, year, month, day] = match;
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleDateString(localeOf(options), {
    year: "numeric",
    month: "short",
    day: "numeric",
    timeZone: "UTC",
  });
}

/** "1 Feb 2026 to 30 Jun 2026", "From …", "Until …", or null for a course without dates. */
export function formatDateRange(
  starts: string | null,
  ends: string | null,
  options: LocaleOptions = {},
  messages: Messages = t,
): string | null {
  if (starts && ends) {
    return format(messages.datesRange, {
      starts: formatDate(starts, options),
      ends: formatDate(ends, options),
    });
  }
  if (starts) return format(messages.datesFrom, { date: formatDate(starts, options) });
  if (ends) return format(messages.datesUntil, { date: formatDate(ends, options) });
  return null;
}

interface SizeUnit {
  /** Bytes in one unit. */
  bytes: number;
  /** Digits after the decimal point. */
  digits: number;
  message: keyof Messages;
}

// Decimal units, as disks and operating systems' file managers mostly count.
const UNITS: readonly SizeUnit[] = [
  { bytes: 1e9, digits: 1, message: "sizeGB" },
  { bytes: 1e6, digits: 1, message: "sizeMB" },
  { bytes: 1e3, digits: 0, message: "sizeKB" },
  { bytes: 1, digits: 0, message: "sizeB" },
];

function unitFor(bytes: number): SizeUnit {
  // The last unit (bytes) always matches.
  return UNITS.find((unit) => bytes >= unit.bytes) ?? (UNITS[UNITS.length - 1] as SizeUnit);
}

function number(bytes: number, unit: SizeUnit, options: LocaleOptions): string {
  return (bytes / unit.bytes).toLocaleString(localeOf(options), {
    minimumFractionDigits: unit.digits,
    maximumFractionDigits: unit.digits,
  });
}

/** A size in bytes for people: "40.1 MB", "512 kB", "0 B". */
export function formatBytes(
  bytes: number,
  options: LocaleOptions = {},
  messages: Messages = t,
): string {
  const safe = Number.isFinite(bytes) && bytes > 0 ? bytes : 0;
  const unit = unitFor(safe);
  return format(messages[unit.message], { n: number(safe, unit, options) });
}

const KIB = 1024;
const MIB = 1024 * 1024;

/**
 * The size of a file attached to an assignment, as the backend writes it in its messages about
 * attachments (carrel-core assess::attachments::human_size: powers of 1024, "MB" and "KB"), so the
 * limit the editor shows is the limit a refusal names: "20 MB", "1.5 MB", "118 KB" (rounded up).
 */
export function formatFileSize(
  bytes: number,
  options: LocaleOptions = {},
  messages: Messages = t,
): string {
  const safe = Number.isFinite(bytes) && bytes > 0 ? bytes : 0;
  if (safe >= MIB) {
    // Whole megabytes without a decimal ("20 MB"), others with one ("1.5 MB").
    const unit: SizeUnit = { bytes: MIB, digits: safe % MIB === 0 ? 0 : 1, message: "fileSizeMB" };
    return format(messages[unit.message], { n: number(safe, unit, options) });
  }
  return format(messages.fileSizeKB, { n: formatNumber(Math.ceil(safe / KIB), options) });
}

/**
 * Progress through `total` bytes, both in the unit of the total, for messages like
 * "Downloading… {done} of {total}": `{ done: "12.3", total: "40.1 MB" }`.
 */
export function formatByteProgress(
  done: number,
  total: number,
  options: LocaleOptions = {},
  messages: Messages = t,
): { done: string; total: string } {
  const safeTotal = Number.isFinite(total) && total > 0 ? total : 0;
  const safeDone = Math.min(Number.isFinite(done) && done > 0 ? done : 0, safeTotal);
  const unit = unitFor(safeTotal);
  return {
    done: number(safeDone, unit, options),
    total: format(messages[unit.message], { n: number(safeTotal, unit, options) }),
  };
}

/**
 * `one` or `other` by the plural rules of the messages' language, with `{count}` filled in:
 * "1 item", "12 items".
 */
export function plural(
  count: number,
  forms: { one: string; other: string },
  options: LocaleOptions = {},
  messages: Messages = t,
): string {
  const rule = new Intl.PluralRules(messages.locale).select(count);
  const template = rule === "one" ? forms.one : forms.other;
  return format(template, { count: formatNumber(count, options) });
}

/** Options for an instant (a moment, not a calendar day): shown in the learner's time zone. */
export interface InstantOptions extends LocaleOptions {
  /** An IANA time zone; the computer's own when absent. For tests. */
  timeZone?: string;
}

/** The day of an instant (unix ms) in the learner's time zone and format, e.g. "15 Jan 2026". */
export function formatDay(ms: number, options: InstantOptions = {}): string {
  return new Date(ms).toLocaleDateString(localeOf(options), {
    year: "numeric",
    month: "short",
    day: "numeric",
    timeZone: options.timeZone,
  });
}

/**
 * A share (0–1) as a whole percentage in the learner's format: "45%". Rounded down, so a share
 * not quite reached (0.996 of a page) never reads as 100%.
 */
export function formatPercent(share: number, options: LocaleOptions = {}): string {
  const safe = Number.isFinite(share) ? Math.min(Math.max(share, 0), 1) : 0;
  // Scaled first so binary fractions (0.29 * 100 = 28.999…) do not lose a point.
  const whole = Math.floor(Math.round(safe * 10_000) / 100);
  return (whole / 100).toLocaleString(localeOf(options), { style: "percent" });
}

/** A place in a video or audio as a player shows it: "1:23", "1:02:03". */
export function formatClock(seconds: number): string {
  const total = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = String(total % 60).padStart(2, "0");
  if (hours > 0) return `${hours}:${String(minutes).padStart(2, "0")}:${secs}`;
  return `${minutes}:${secs}`;
}

/**
 * Time spent, in hours and minutes: "2 h 5 min", "45 min", "3 h", or "less than a minute";
 * null for none at all.
 */
export function formatDuration(
  seconds: number,
  options: LocaleOptions = {},
  messages: Messages = t,
): string | null {
  if (!Number.isFinite(seconds) || seconds <= 0) return null;
  const totalMinutes = Math.floor(seconds / 60);
  if (totalMinutes === 0) return messages.durationUnderMinute;
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  const values = {
    hours: formatNumber(hours, options),
    minutes: formatNumber(minutes, options),
  };
  if (hours === 0) return format(messages.durationMinutes, values);
  if (minutes === 0) return format(messages.durationHours, values);
  return format(messages.durationHoursMinutes, values);
}

/**
 * A number of minutes as a duration, as for time spent: "2 h 10 min", "45 min", "3 h"; "0 min"
 * for none (or less than a minute), so a plan can say it.
 */
export function formatMinutes(
  minutes: number,
  options: LocaleOptions = {},
  messages: Messages = t,
): string {
  const whole = Number.isFinite(minutes) && minutes >= 1 ? Math.floor(minutes) : 0;
  // formatDuration says something for every positive whole minute, and nothing for none.
  return (
    formatDuration(whole * 60, options, messages) ??
    format(messages.durationMinutes, { minutes: formatNumber(0, options) })
  );
}

/** Parses an ISO calendar date ("2026-02-09") as UTC midnight, so no zone moves it; else null. */
function civilDate(iso: string): Date | null {
  const match = ISO_DATE.exec(iso);
  if (!match) return null;
  const [, year, month, day] = match;
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return Number.isNaN(date.getTime()) ? null : date;
}

const CIVIL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;

/**
 * Parses a civil date and time ("2027-03-29T05:59:00", a wall clock with no zone) as if it were
 * UTC, so formatting it in UTC shows that very wall clock; else null.
 */
function civilDateTime(iso: string): Date | null {
  const match = CIVIL_DATE_TIME.exec(iso);
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match;
  const date = new Date(
    Date.UTC(
      Number(year),
      Number(month) - 1,
      Number(day),
      Number(hour),
      Number(minute),
      Number(second ?? 0),
    ),
  );
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * A calendar date with its weekday, for when something starts: "Monday 15 February". Like
 * formatDate, a day is never moved by a time zone. Text that is not an ISO date is returned as it
 * is.
 */
export function formatLongDate(iso: string, options: LocaleOptions = {}): string {
  const date = civilDate(iso);
  if (!date) return iso;
  return date.toLocaleDateString(localeOf(options), {
    weekday: "long",
    day: "numeric",
    month: "long",
    timeZone: "UTC",
  });
}

/**
 * The days of a week, Monday to Sunday (ISO calendar dates), as one range in the learner's
 * format: "9–15 Feb 2026", "23 Feb – 1 Mar 2026". Falls back to the two dates as they are.
 */
export function formatWeekDates(
  monday: string,
  sunday: string,
  options: LocaleOptions = {},
  messages: Messages = t,
): string {
  const from = civilDate(monday);
  const to = civilDate(sunday);
  if (!from || !to || to < from) {
    return format(messages.datesRange, { starts: monday, ends: sunday });
  }
  return new Intl.DateTimeFormat(localeOf(options), {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  }).formatRange(from, to);
}

/**
 * A wall-clock date and time (a civil ISO date-time such as "2027-03-29T05:59:00", already on the
 * clock it is to be read on) in the learner's format: "Mon 29 Mar, 05:59". It is not converted to
 * any time zone. Text that is not a civil date-time is returned as it is.
 */
export function formatDateTime(civil: string, options: LocaleOptions = {}): string {
  const date = civilDateTime(civil);
  if (!date) return civil;
  return date.toLocaleString(localeOf(options), {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "UTC",
  });
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * An instant (unix ms) relative to `nowMs`, in the messages' language: "just now" within a
 * minute, else "5 minutes ago", "in 3 hours" (up to two days: "in 47 hours" is clearer than
 * "tomorrow" about a deadline), "3 days ago".
 */
export function formatRelativeTime(ms: number, nowMs: number, messages: Messages = t): string {
  const delta = ms - nowMs;
  const size = Math.abs(delta);
  if (!Number.isFinite(delta) || size < MINUTE_MS) return messages.timeJustNow;
  const words = new Intl.RelativeTimeFormat(messages.locale, { numeric: "always" });
  // Truncated towards zero, so "59 minutes" never reads as "1 hour" too soon.
  if (size < HOUR_MS) return words.format(Math.trunc(delta / MINUTE_MS), "minute");
  if (size < 2 * DAY_MS) return words.format(Math.trunc(delta / HOUR_MS), "hour");
  return words.format(Math.trunc(delta / DAY_MS), "day");
}
