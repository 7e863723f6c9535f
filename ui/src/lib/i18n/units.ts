// Dates, sizes and counts in words for the learner. Pure, so it is unit-tested directly. Numbers
// and dates follow the computer's locale (as the rest of the UI does); unit names and plural forms
// come from the messages, so a translation can say "Mo" instead of "MB". `locale` is for tests.
import { format } from "./format";
import { t, type Messages } from "./index";

export interface LocaleOptions {
  /** A BCP 47 tag; the computer's own when absent. */
  locale?: string;
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
  return date.toLocaleDateString(options.locale, {
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
  return (bytes / unit.bytes).toLocaleString(options.locale, {
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
  return format(template, { count: count.toLocaleString(options.locale) });
}

/** Options for an instant (a moment, not a calendar day): shown in the learner's time zone. */
export interface InstantOptions extends LocaleOptions {
  /** An IANA time zone; the computer's own when absent. For tests. */
  timeZone?: string;
}

/** The day of an instant (unix ms) in the learner's time zone and format, e.g. "15 Jan 2026". */
export function formatDay(ms: number, options: InstantOptions = {}): string {
  return new Date(ms).toLocaleDateString(options.locale, {
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
  return (whole / 100).toLocaleString(options.locale, { style: "percent" });
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
    hours: hours.toLocaleString(options.locale),
    minutes: minutes.toLocaleString(options.locale),
  };
  if (hours === 0) return format(messages.durationMinutes, values);
  if (minutes === 0) return format(messages.durationHours, values);
  return format(messages.durationHoursMinutes, values);
}
