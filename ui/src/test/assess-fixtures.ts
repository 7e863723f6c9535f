// Sample quizzes, attempts, assignments and outbox entries for tests, typed by the bindings.
import type {
  AssignmentState,
  AttemptQuestion,
  AttemptView,
  Draft,
  OutboxEntry,
  PresentedQuestion,
  QuizState,
  ServerGrade,
  ShownOption,
  SubmissionComment,
  SubmissionDetail,
} from "../lib/backend";

/** The instant the fixtures are "now": Wednesday 11 February 2026, 10:00 UTC. */
export const NOW_MS = Date.UTC(2026, 1, 11, 10, 0, 0);

export function quizState(overrides: Partial<QuizState> = {}): QuizState {
  return {
    courseId: "bio-101",
    itemId: "i-quiz",
    title: "Cells quiz",
    practice: false,
    attemptsAllowed: 2,
    timeLimitMinutes: 20,
    opensMs: Date.UTC(2026, 1, 2, 8, 0, 0),
    closesMs: Date.UTC(2026, 1, 20, 17, 0, 0),
    passingScore: 0.6,
    questionCount: 8,
    maxScore: 10,
    availability: "open",
    current: null,
    attempts: [],
    nowMs: NOW_MS,
    ...overrides,
  };
}

/** Options of a question (choices, items, the sides of a matching), in order: id → text. */
function options(texts: Record<string, string>): ShownOption[] {
  return Object.entries(texts).map(([id, text]) => ({ id, text }));
}

function question(id: string, prompt: string, kind: PresentedQuestion["kind"], points = 1): PresentedQuestion {
  return { id, prompt, points, kind };
}

/** One question of every kind, in this order: q1 single … q8 essay. */
export function questions(): PresentedQuestion[] {
  return [
    question("q1", "Which organelle makes **energy**?", {
      type: "single_choice",
      choices: options({ a: "Nucleus", b: "Mitochondrion" }),
    }),
    question(
      "q2",
      "Which are found in plant cells?",
      { type: "multiple_response", choices: options({ a: "Cell wall", b: "Chloroplast", c: "Centriole" }) },
      2,
    ),
    question("q3", "Cells divide by mitosis.", { type: "true_false" }),
    question(
      "q4",
      "Match each part to its job.",
      {
        type: "matching",
        lefts: options({ p1: "Ribosome", p2: "Nucleus" }),
        rights: options({ p2: "Keeps the DNA", p1: "Makes proteins" }),
      },
      2,
    ),
    question("q5", "Put the phases in order.", {
      type: "ordering",
      items: options({ x: "Metaphase", y: "Prophase", z: "Anaphase" }),
    }),
    question("q6", "Name the cell's outer layer.", { type: "short_answer" }),
    question("q7", "How many chromosomes in a human cell?", { type: "numeric" }),
    question("q8", "Explain osmosis.", { type: "essay", min_words: 5, max_words: 50 }),
  ];
}

export function attemptView(overrides: Partial<AttemptView> = {}): AttemptView {
  return {
    id: "att-1",
    courseId: "bio-101",
    itemId: "i-quiz",
    title: "Cells quiz",
    number: 1,
    practice: false,
    passingScore: 0.6,
    startedMs: NOW_MS - 60_000,
    deadlineMs: null,
    nowMs: NOW_MS,
    submittedMs: null,
    submittedBy: null,
    questions: questions().map(
      (question): AttemptQuestion => ({ question, answer: null, savedMs: null, feedback: null }),
    ),
    grade: null,
    submission: null,
    ...overrides,
  };
}

/**
 * An outbox entry. `dueMs` (when its item is due) is built outside the literal, so the fixture
 * compiles with bindings that have the field and with those that do not yet.
 */
export function outboxEntry(
  overrides: Partial<OutboxEntry> & { dueMs?: number | null } = {},
): OutboxEntry {
  const due = { dueMs: null };
  return {
    id: "sub-1",
    kind: "quiz",
    courseId: "bio-101",
    itemId: "i-quiz",
    title: "Cells quiz",
    version: 1,
    createdMs: NOW_MS,
    state: "queued",
    stateMs: NOW_MS,
    tries: 0,
    receipt: null,
    grade: null,
    problem: null,
    payloadSha256: "a".repeat(64),
    attachments: [],
    nextTryMs: null,
    lastError: null,
    serverGrade: null,
    comments: [],
    ...due,
    ...overrides,
  };
}

/** A grade from the course server: 7 of 10, passed, by a tutor with feedback. */
export function serverGrade(overrides: Partial<ServerGrade> = {}): ServerGrade {
  return {
    score: 7,
    maxScore: 10,
    passed: true,
    complete: true,
    feedback: "Good work on **osmosis**.",
    gradedBy: "Dr Rivera",
    gradedMs: NOW_MS + 3_600_000,
    detail: null,
    ...overrides,
  };
}

export function submissionComment(overrides: Partial<SubmissionComment> = {}): SubmissionComment {
  return {
    author: "Dr Rivera",
    text: "See the *second* paragraph.",
    atMs: NOW_MS + 7_200_000,
    ...overrides,
  };
}

export function draft(overrides: Partial<Draft> = {}): Draft {
  return {
    text: "My essay about cells.",
    groupName: null,
    declared: false,
    revision: 3,
    updatedMs: NOW_MS - 120_000,
    ...overrides,
  };
}

export function assignmentState(overrides: Partial<AssignmentState> = {}): AssignmentState {
  return {
    courseId: "bio-101",
    itemId: "i-essay",
    title: "Essay: a cell of your choice",
    group: false,
    instructionsPath: "week2/essay.html",
    dueMs: Date.UTC(2026, 1, 15, 15, 59, 0),
    dueChanged: null,
    timeZone: "Europe/Zurich",
    minWords: 3,
    maxWords: 2500,
    allowedTypes: ["pdf", "docx"],
    maxAttachmentBytes: 20 * 1024 * 1024,
    maxAttachments: 3,
    declaration: null,
    resubmission: true,
    serverGroup: null,
    groupWork: null,
    draft: draft(),
    attachments: [],
    versions: [],
    submissions: [],
    nowMs: NOW_MS,
    ...overrides,
  };
}

export function quizSubmissionDetail(): SubmissionDetail {
  return {
    entry: outboxEntry(),
    work: {
      kind: "quiz",
      submissionId: "sub-1",
      courseId: "bio-101",
      courseVersion: "1.0.0",
      itemId: "i-quiz",
      quizId: "cells",
      definitionSha256: "d".repeat(64),
      attemptId: "att-1",
      attemptNumber: 1,
      startedMs: NOW_MS - 60_000,
      deadlineMs: null,
      submittedMs: NOW_MS,
      submittedBy: "learner",
      clockOffsetMs: null,
      answers: [
        { questionId: "q1", answer: { type: "single_choice", choice: "b" }, savedMs: NOW_MS },
        { questionId: "q6", answer: { type: "short_answer", text: "membrane" }, savedMs: NOW_MS },
      ],
    },
  };
}

/** The detail of a SCORM session's result, suspended half way. */
export function runtimeSubmissionDetail(): SubmissionDetail {
  return {
    entry: outboxEntry({ id: "sub-4", kind: "scorm", itemId: "i-golf", title: "Golf Explained", state: "queued" }),
    work: {
      kind: "runtime",
      submissionId: "sub-4",
      courseId: "bio-101",
      itemId: "i-golf",
      standard: "scorm-1.2",
      attempt: 1,
      session: 2,
      completionStatus: "incomplete",
      successStatus: "unknown",
      score: null,
      scoreScaled: null,
      totalTimeSeconds: 1_500,
      suspended: true,
      endedMs: NOW_MS,
      runtimeData: { cmi: { core: { lesson_location: "3" } } },
    },
  };
}

export function assignmentSubmissionDetail(): SubmissionDetail {
  const attachment = { sha256: "b".repeat(64), name: "figure.pdf", size: 120_000 };
  return {
    entry: outboxEntry({
      id: "sub-2",
      kind: "assignment",
      itemId: "i-essay",
      title: "Essay: a cell of your choice",
      state: "received",
      receipt: "R-42",
      attachments: [attachment],
      payloadSha256: "c".repeat(64),
    }),
    work: {
      kind: "assignment",
      submissionId: "sub-2",
      courseId: "bio-101",
      courseVersion: "1.0.0",
      itemId: "i-essay",
      assignmentId: "essay",
      groupName: null,
      version: 1,
      revision: 3,
      text: "# My essay\n\nAbout *cells*.",
      words: 4,
      declaration: "This is my own work.",
      submittedMs: NOW_MS,
      late: false,
      attachments: [attachment],
    },
  };
}
