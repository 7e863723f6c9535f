// Sample quizzes, attempts, assignments and outbox entries for tests, typed by the bindings.
import type {
  AssignmentState,
  AttemptQuestion,
  AttemptView,
  Draft,
  OutboxEntry,
  PresentedQuestion,
  QuizState,
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

/** One question of every kind, in this order: q1 single … q8 essay. */
export function questions(): PresentedQuestion[] {
  return [
    {
      id: "q1",
      prompt: "Which organelle makes **energy**?",
      points: 1,
      kind: {
        type: "single_choice",
        choices: [
          { id: "a", text: "Nucleus" },
          { id: "b", text: "Mitochondrion" },
        ],
      },
    },
    {
      id: "q2",
      prompt: "Which are found in plant cells?",
      points: 2,
      kind: {
        type: "multiple_response",
        choices: [
          { id: "a", text: "Cell wall" },
          { id: "b", text: "Chloroplast" },
          { id: "c", text: "Centriole" },
        ],
      },
    },
    { id: "q3", prompt: "Cells divide by mitosis.", points: 1, kind: { type: "true_false" } },
    {
      id: "q4",
      prompt: "Match each part to its job.",
      points: 2,
      kind: {
        type: "matching",
        lefts: [
          { id: "p1", text: "Ribosome" },
          { id: "p2", text: "Nucleus" },
        ],
        rights: [
          { id: "p2", text: "Keeps the DNA" },
          { id: "p1", text: "Makes proteins" },
        ],
      },
    },
    {
      id: "q5",
      prompt: "Put the phases in order.",
      points: 1,
      kind: {
        type: "ordering",
        items: [
          { id: "x", text: "Metaphase" },
          { id: "y", text: "Prophase" },
          { id: "z", text: "Anaphase" },
        ],
      },
    },
    { id: "q6", prompt: "Name the cell's outer layer.", points: 1, kind: { type: "short_answer" } },
    { id: "q7", prompt: "How many chromosomes in a human cell?", points: 1, kind: { type: "numeric" } },
    {
      id: "q8",
      prompt: "Explain osmosis.",
      points: 1,
      kind: { type: "essay", min_words: 5, max_words: 50 },
    },
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

export function outboxEntry(overrides: Partial<OutboxEntry> = {}): OutboxEntry {
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
    timeZone: "Europe/Zurich",
    minWords: 3,
    maxWords: 2500,
    allowedTypes: ["pdf", "docx"],
    maxAttachmentBytes: 20_000_000,
    maxAttachments: 3,
    declaration: null,
    resubmission: true,
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
