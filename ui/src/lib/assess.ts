// Quizzes, assignments and submissions in words: answers summarised, outbox states explained,
// grades, countdowns and instants. Pure (no Svelte, no IPC), so it is unit-tested directly.
import type {
  Answer,
  OutboxEntry,
  OutboxState,
  PresentedQuestion,
  QuizGrade,
  RuntimeResult,
  ServerGrade,
  ShownOption,
  Verdict,
} from "./backend";
import { format, t, type Messages } from "./i18n";
import {
  formatDuration,
  formatNumber,
  formatPercent,
  localeOf,
  plural,
  type InstantOptions,
} from "./i18n/units";

/** What a quiz's or assignment's live region says (screens/AssessmentLayout.svelte), and how. */
export interface AssessmentMessage {
  text: string;
  kind: "error" | "info";
}

/** An instant (unix ms) with date and time in the learner's zone: "Wed 11 Feb 2026, 10:00". */
export function formatInstant(ms: number, options: InstantOptions = {}): string {
  return new Date(ms).toLocaleString(localeOf(options), {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: options.timeZone,
  });
}

/** The time of day of an instant in the learner's zone: "12:04". */
export function formatTimeOfDay(ms: number, options: InstantOptions = {}): string {
  return new Date(ms).toLocaleTimeString(localeOf(options), {
    hour: "2-digit",
    minute: "2-digit",
    timeZone: options.timeZone,
  });
}

/** Time left as a countdown shows it: "19:59", "1:02:03"; never negative. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  if (hours > 0) return `${hours}:${String(minutes).padStart(2, "0")}:${seconds}`;
  return `${minutes}:${seconds}`;
}

/** Whether an answer says anything (an empty text or selection is no answer). */
export function isAnswered(answer: Answer | null | undefined): boolean {
  if (!answer) return false;
  switch (answer.type) {
    case "single_choice":
      return answer.choice !== "";
    case "multiple_response":
      return answer.choices.length > 0;
    case "true_false":
      return true;
    case "matching":
      return Object.values(answer.matches).some((right) => right !== "");
    case "ordering":
      return answer.order.length > 0;
    case "short_answer":
    case "numeric":
    case "essay":
      return answer.text.trim() !== "";
  }
}

function optionText(options: readonly ShownOption[], id: string): string {
  return options.find((option) => option.id === id)?.text ?? id;
}

/**
 * An answer in one line, with the question's option texts when it is known: "Mitochondrion",
 * "Cell wall; Chloroplast", "True", "Ribosome → Makes proteins", "Prophase, Metaphase".
 */
export function summarizeAnswer(
  answer: Answer | null,
  question: PresentedQuestion | null = null,
  messages: Messages = t,
): string {
  if (!answer || !isAnswered(answer)) return messages.submittedNoAnswer;
  const kind = question?.kind;
  switch (answer.type) {
    case "single_choice": {
      const choices = kind && "choices" in kind ? kind.choices : [];
      return optionText(choices, answer.choice);
    }
    case "multiple_response": {
      const choices = kind && "choices" in kind ? kind.choices : [];
      return answer.choices.map((id) => optionText(choices, id)).join("; ");
    }
    case "true_false":
      return answer.value ? messages.playerTrue : messages.playerFalse;
    case "matching": {
      const lefts = kind?.type === "matching" ? kind.lefts : [];
      const rights = kind?.type === "matching" ? kind.rights : [];
      return Object.entries(answer.matches)
        .filter(([, right]) => right !== "")
        .map(([left, right]) => `${optionText(lefts, left)} → ${optionText(rights, right)}`)
        .join("; ");
    }
    case "ordering": {
      const items = kind?.type === "ordering" ? kind.items : [];
      return answer.order.map((id) => optionText(items, id)).join(", ");
    }
    case "short_answer":
    case "numeric":
    case "essay":
      return answer.text;
  }
}

/** "Correct", "Partly correct", "Incorrect", "Not answered", "Awaiting grade". */
export function verdictLabel(verdict: Verdict, messages: Messages = t): string {
  switch (verdict) {
    case "correct":
      return messages.verdictCorrect;
    case "partial":
      return messages.verdictPartial;
    case "incorrect":
      return messages.verdictIncorrect;
    case "unanswered":
      return messages.verdictUnanswered;
    case "pending":
      return messages.verdictPending;
  }
}

/**
 * A submission's state as a short label, and what it means in plain language. A graded one whose
 * server grade is not complete yet is "Awaiting tutor".
 */
export function describeOutboxState(
  state: OutboxState,
  messages: Messages = t,
  serverGrade: Pick<ServerGrade, "complete"> | null = null,
): { label: string; meaning: string } {
  switch (state) {
    case "queued":
      return { label: messages.outboxStateQueued, meaning: messages.outboxMeaningQueued };
    case "sending":
      return { label: messages.outboxStateSending, meaning: messages.outboxMeaningSending };
    case "received":
      return { label: messages.outboxStateReceived, meaning: messages.outboxMeaningReceived };
    case "graded":
      if (serverGrade && !serverGrade.complete) {
        return {
          label: messages.outboxStatePartlyGraded,
          meaning: messages.outboxMeaningPartlyGraded,
        };
      }
      return { label: messages.outboxStateGraded, meaning: messages.outboxMeaningGraded };
    case "needs_attention":
      return {
        label: messages.outboxStateNeedsAttention,
        meaning: messages.outboxMeaningNeedsAttention,
      };
  }
}

/**
 * A grade from the course server in words: "7 of 10 points", "Passed" / "Not passed" (null when
 * the item has no pass mark, or while part of it awaits the tutor), and whether it awaits them.
 */
export function describeServerGrade(
  grade: ServerGrade,
  messages: Messages = t,
): { score: string; verdict: string | null; awaitingTutor: boolean } {
  const score = format(messages.outboxGradeScore, {
    score: formatNumber(grade.score),
    max: formatNumber(grade.maxScore),
  });
  const verdict =
    !grade.complete || grade.passed === null
      ? null
      : grade.passed
        ? messages.gradePassed
        : messages.gradeFailed;
  return { score, verdict, awaitingTutor: !grade.complete };
}

/** "Attempt 2" for a quiz, "Version 2" for an assignment. */
export function describeVersion(
  entry: Pick<OutboxEntry, "kind" | "version">,
  messages: Messages = t,
): string {
  const n = String(entry.version);
  if (entry.kind === "forum_post") return messages.outboxForumPost;
  // Quizzes and modules count attempts; assignments count versions.
  return format(entry.kind === "assignment" ? messages.outboxVersion : messages.outboxAttempt, {
    n,
  });
}

/** "7 of 10 points (70%)", or null while anything is pending. */
export function describeScore(grade: QuizGrade, messages: Messages = t): string | null {
  if (grade.fraction === null) return null;
  return format(messages.gradeScore, {
    score: formatNumber(grade.score),
    max: formatNumber(grade.maxScore),
    percent: formatPercent(grade.fraction),
  });
}

/** "1 try", "3 tries". */
export function describeTries(tries: number, messages: Messages = t): string {
  return plural(tries, { one: messages.outboxTriesOne, other: messages.outboxTriesOther });
}

/** A SHA-256 shortened for the eye: its first 12 hex digits. */
export function shortSha(sha: string): string {
  return sha.length > 12 ? `${sha.slice(0, 12)}…` : sha;
}

/**
 * A receipt in words: the server's number and the SHA-256 it holds ("no. 42 · SHA-256 1f7e930c…")
 * for the JSON receipt the sync stores; anything else (an older or foreign receipt) as it is.
 */
export function describeReceipt(receipt: string, messages: Messages = t): string {
  try {
    const parsed = JSON.parse(receipt) as { serverId?: unknown; sha256?: unknown };
    if (typeof parsed.serverId === "number" && typeof parsed.sha256 === "string") {
      return format(messages.outboxReceiptParts, {
        id: String(parsed.serverId),
        sha: shortSha(parsed.sha256),
      });
    }
  } catch {
    // Not JSON: shown as it is.
  }
  return receipt;
}

/** "1,234 words · 1,500–2,500 asked"; the limits the assignment or question sets, if any. */
export function describeWordCount(
  count: number,
  min: number | null,
  max: number | null,
  messages: Messages = t,
): string {
  const words = plural(count, { one: messages.wordCountOne, other: messages.wordCount });
  const values = { count: words, min: formatNumber(min ?? 0), max: formatNumber(max ?? 0) };
  if (min !== null && max !== null) return format(messages.wordCountRange, values);
  if (min !== null) return format(messages.wordCountMin, values);
  if (max !== null) return format(messages.wordCountMax, values);
  return words;
}

/**
 * A warning when `count` words fall outside what is asked — "12 words more than the 50 asked.
 * You can still submit." — or null within the limits. Only a warning: the backend accepts any
 * length, and a tutor may too.
 */
export function describeWordLimit(
  count: number,
  min: number | null,
  max: number | null,
  messages: Messages = t,
): { limit: "below" | "above"; text: string } | null {
  const words = (n: number) => plural(n, { one: messages.wordCountOne, other: messages.wordCount });
  if (min !== null && count < min) {
    return {
      limit: "below",
      text: format(messages.wordsBelow, { missing: words(min - count), min: formatNumber(min) }),
    };
  }
  if (max !== null && count > max) {
    return {
      limit: "above",
      text: format(messages.wordsAbove, { extra: words(count - max), max: formatNumber(max) }),
    };
  }
  return null;
}

/** One line of what a SCORM or cmi5 module recorded: a label and its value, as shown. */
export interface RecordedLine {
  label: string;
  value: string;
}

/**
 * What a SCORM or cmi5 session recorded, as the Outbox shows it: attempt and session, completion,
 * success, score and time. A status the module did not report says so.
 */
export function describeRuntimeResult(
  result: Pick<
    RuntimeResult,
    "attempt" | "session" | "completionStatus" | "successStatus" | "scoreScaled" | "totalTimeSeconds"
  >,
  options: InstantOptions = {},
  messages: Messages = t,
): RecordedLine[] {
  const completion: Record<string, string> = {
    completed: messages.runtimeCompleted,
    incomplete: messages.runtimeIncomplete,
    "not attempted": messages.runtimeNotAttempted,
  };
  const success: Record<string, string> = {
    passed: messages.runtimePassed,
    failed: messages.runtimeFailed,
  };
  const pick = (table: Record<string, string>, key: string): string =>
    (Object.hasOwn(table, key) ? table[key] : undefined) ?? messages.runtimeNotReported;
  const score = result.scoreScaled;
  return [
    {
      label: messages.runtimeAttemptLabel,
      value: format(messages.runtimeAttemptValue, {
        attempt: formatNumber(result.attempt, options),
        session: formatNumber(result.session, options),
      }),
    },
    { label: messages.runtimeCompletionLabel, value: pick(completion, result.completionStatus) },
    { label: messages.runtimeSuccessLabel, value: pick(success, result.successStatus) },
    {
      label: messages.runtimeScoreLabel,
      value:
        score === null || !Number.isFinite(score)
          ? messages.runtimeNotReported
          : formatPercent(Math.max(0, score), options),
    },
    {
      label: messages.runtimeTimeLabel,
      value: formatDuration(result.totalTimeSeconds, options, messages) ?? messages.runtimeNotReported,
    },
  ];
}
