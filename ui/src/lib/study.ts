// The learner's progress in words: an item's state and completion rule, where "Continue" takes
// them, and what "Start" opens. Pure (no Svelte, no IPC), so it is unit-tested directly.
import type { CompletionRule } from "./backend/bindings/CompletionRule";
import type { CourseOutline } from "./backend/bindings/CourseOutline";
import type { CourseStudy } from "./backend/bindings/CourseStudy";
import type { OutlineItem } from "./backend/bindings/OutlineItem";
import { format, t, type Messages } from "./i18n";
import { formatClock, formatNumber, formatPercent, plural, type LocaleOptions } from "./i18n/units";

/** Where the learner is with an item; also its `data-state` test hook. */
export type ItemState = "done" | "started" | "not-started";

/** Done once completed; started once anything was recorded; otherwise not started. */
export function itemState(item: Pick<OutlineItem, "progress">): ItemState {
  if (item.progress === null) return "not-started";
  return item.progress.completedMs !== null ? "done" : "started";
}

/** "Done", "In progress, 45%", "Not started". */
export function describeItemState(
  item: Pick<OutlineItem, "progress">,
  options: LocaleOptions = {},
  messages: Messages = t,
): string {
  switch (itemState(item)) {
    case "done":
      return messages.itemStateDone;
    case "started":
      return format(messages.itemStateStarted, {
        percent: formatPercent(item.progress?.progress ?? 0, options),
      });
    case "not-started":
      return messages.itemStateNotStarted;
  }
}

/** What completes an item, as a short instruction: "Read to the end", "Play 90%". */
export function describeRule(
  rule: CompletionRule,
  options: LocaleOptions = {},
  messages: Messages = t,
): string {
  switch (rule.rule) {
    case "readToEnd":
      return messages.ruleReadToEnd;
    case "allPagesSeen":
      return messages.ruleAllPagesSeen;
    case "watched":
      return format(messages.ruleWatched, { percent: formatPercent(rule.percent / 100, options) });
    case "openedWithApp":
      return messages.ruleOpenedWithApp;
    case "submitted":
      return messages.ruleSubmitted;
    case "markedDone":
      return messages.ruleMarkedDone;
    case "reportedByContent":
      return messages.ruleReportedByContent;
  }
}

/**
 * Where in an item the learner is, for "Continue": "at 1:23" (seconds into a video), "at 40%"
 * (the top of the view, down a page), "page 3". Null when there is no place worth saying (none
 * yet, the very start, or a unit this UI does not know).
 */
export function describePlace(
  position: number | null,
  unit: string | null,
  options: LocaleOptions = {},
  messages: Messages = t,
): string | null {
  if (position === null || !Number.isFinite(position)) return null;
  switch (unit) {
    case "seconds":
      if (position < 1) return null;
      return format(messages.studyWhereSeconds, { time: formatClock(position) });
    case "fraction":
      if (position <= 0) return null;
      return format(messages.studyWhereFraction, { percent: formatPercent(position, options) });
    case "page": {
      if (position < 1) return null;
      const page = formatNumber(Math.floor(position), options);
      return format(messages.studyWherePage, { page });
    }
    default:
      return null;
  }
}

/** Where a video or audio not yet done was stopped: its position in seconds, and in words. */
export function describeStoppedAt(
  item: Pick<OutlineItem, "progress">,
  messages: Messages = t,
): { seconds: number; text: string } | null {
  const progress = item.progress;
  if (progress === null || progress.completedMs !== null) return null;
  if (progress.positionUnit !== "seconds" || progress.position === null) return null;
  if (!Number.isFinite(progress.position) || progress.position < 1) return null;
  return {
    seconds: progress.position,
    text: format(messages.itemStoppedAt, { time: formatClock(progress.position) }),
  };
}

/** "3 of 24 items done". */
export function describeItemsDone(
  completed: number,
  total: number,
  options: LocaleOptions = {},
  messages: Messages = t,
): string {
  const forms = { one: messages.studyItemsDoneOne, other: messages.studyItemsDoneOther };
  // plural() fills {count} and leaves {done} for format().
  return format(plural(total, forms, options, messages), {
    done: formatNumber(completed, options),
  });
}

/** Every item of an outline, in course order. */
export function outlineItems(outline: Pick<CourseOutline, "blocks">): OutlineItem[] {
  return outline.blocks.flatMap((block) => block.modules.flatMap((module) => module.items));
}

const KIND_LABELS: Record<string, keyof Messages> = {
  page: "kindPage",
  pdf: "kindPdf",
  video: "kindVideo",
  file: "kindFile",
  quiz: "kindQuiz",
  assignment: "kindAssignment",
  webinar: "kindWebinar",
  forum: "kindForum",
  external: "kindExternal",
  scorm: "kindInteractive",
  cmi5: "kindInteractive",
};

/** An item's kind as a word ("Page", "Quiz"); "Activity" for a kind this UI does not know. */
export function kindLabel(kind: string, messages: Messages = t): string {
  const key = Object.hasOwn(KIND_LABELS, kind) ? KIND_LABELS[kind] : undefined;
  return key === undefined ? messages.kindOther : messages[key];
}

/** Whether the content window can show an item (it has a file). */
export function canOpen(item: Pick<OutlineItem, "path">): boolean {
  return item.path !== null;
}

/**
 * Whether Open makes sense for an item: the content window can show it, or it is a quiz or an
 * assignment, which Carrel shows in its own view.
 */
export function canOpenItem(item: Pick<OutlineItem, "path" | "kind">): boolean {
  return canOpen(item) || item.kind === "quiz" || item.kind === "assignment" || item.kind === "forum";
}

/**
 * Whether an item is a file the learner opens with another application of their computer (a
 * spreadsheet, a data set), after Carrel asks them.
 */
export function canOpenWithApp(item: Pick<OutlineItem, "kind">): boolean {
  return item.kind === "file";
}

/**
 * What "Start" opens when there is nothing to continue: the next item the backend suggests if
 * the content window can show it, otherwise the first item it can show; null when none.
 */
export function startItem(
  items: readonly OutlineItem[],
  study: Pick<CourseStudy, "nextItemId"> | null,
): OutlineItem | null {
  const next = items.find((item) => item.id === study?.nextItemId);
  if (next && canOpen(next)) return next;
  return items.find(canOpen) ?? null;
}
