import { describe, expect, it } from "vitest";
import { questions, serverGrade } from "../test/assess-fixtures";
import {
  describeWordLimit,
  describeOutboxState,
  describeServerGrade,
  describeVersion,
  describeWordCount,
  formatCountdown,
  isAnswered,
  shortSha,
  describeReceipt,
  describeRuntimeResult,
  summarizeAnswer,
} from "./assess";
import { fr } from "./i18n/fr";

const [single, multiple, truth, matching, ordering] = questions();

describe("summarizeAnswer", () => {
  it("uses the question's texts", () => {
    expect(summarizeAnswer({ type: "single_choice", choice: "b" }, single!)).toBe("Mitochondrion");
    expect(summarizeAnswer({ type: "multiple_response", choices: ["a", "b"] }, multiple!)).toBe(
      "Cell wall; Chloroplast",
    );
    expect(summarizeAnswer({ type: "true_false", value: false }, truth!)).toBe("False");
    expect(summarizeAnswer({ type: "matching", matches: { p1: "p1" } }, matching!)).toBe(
      "Ribosome → Makes proteins",
    );
    expect(summarizeAnswer({ type: "ordering", order: ["y", "x"] }, ordering!)).toBe(
      "Prophase, Metaphase",
    );
  });

  it("falls back to ids without the question, and says when there is no answer", () => {
    expect(summarizeAnswer({ type: "single_choice", choice: "b" })).toBe("b");
    expect(summarizeAnswer(null)).toBe("No answer");
    expect(summarizeAnswer({ type: "essay", text: "  " })).toBe("No answer");
  });
});

describe("isAnswered", () => {
  it("treats empty text and selections as unanswered", () => {
    expect(isAnswered({ type: "short_answer", text: "" })).toBe(false);
    expect(isAnswered({ type: "multiple_response", choices: [] })).toBe(false);
    expect(isAnswered({ type: "true_false", value: false })).toBe(true);
  });
});

describe("describing submissions", () => {
  it("explains each outbox state in plain words", () => {
    expect(describeOutboxState("queued").meaning).toBe(
      "Waiting to be sent — it will go when you're online.",
    );
    expect(describeOutboxState("needs_attention").label).toBe("Needs attention");
  });

  it("names attempts and versions", () => {
    expect(describeVersion({ kind: "quiz", version: 2 })).toBe("Attempt 2");
    expect(describeVersion({ kind: "assignment", version: 2 })).toBe("Version 2");
    expect(describeVersion({ kind: "scorm", version: 3 })).toBe("Attempt 3");
  });

  it("shortens a SHA-256", () => {
    expect(shortSha("0123456789abcdef")).toBe("0123456789ab…");
  });

  it("puts a receipt in words, and shows one it cannot read as it is", () => {
    const receipt = JSON.stringify({
      serverId: 42,
      submissionId: "s",
      sha256: "1f7e930c436fa62787fc5d8f431f988126f1dab7ca8bd92d8fe11ea1d26eb795",
      receivedMs: 0,
      replayed: false,
    });
    expect(describeReceipt(receipt)).toBe("no. 42 · SHA-256 1f7e930c436f…");
    expect(describeReceipt("R-42")).toBe("R-42");
    expect(describeReceipt('{"serverId":"x"}')).toBe('{"serverId":"x"}');
  });
});

describe("formatCountdown and describeWordCount", () => {
  it("formats time left, never negative", () => {
    expect(formatCountdown(20 * 60_000)).toBe("20:00");
    expect(formatCountdown(3_723_000)).toBe("1:02:03");
    expect(formatCountdown(-5)).toBe("0:00");
  });

  it("says the words and the limits asked", () => {
    expect(describeWordCount(1234, 1500, 2500)).toBe("1,234 words · 1,500–2,500 asked");
    expect(describeWordCount(1, null, null)).toBe("1 word");
    expect(describeWordCount(3, 5, null)).toBe("3 words · at least 5 asked");
  });
});

describe("describeWordLimit", () => {
  it("warns below the minimum and above the maximum, and says nothing within", () => {
    expect(describeWordLimit(2, 3, 5)).toEqual({ limit: "below", text: "1 word fewer than the 3 asked. You can still submit." });
    expect(describeWordLimit(7, 3, 5)).toEqual({ limit: "above", text: "2 words more than the 5 asked. You can still submit." });
    expect(describeWordLimit(4, 3, 5)).toBeNull();
    expect(describeWordLimit(4, null, null)).toBeNull();
    expect(describeWordLimit(2_600, 1_500, 2_500)?.text).toBe("100 words more than the 2,500 asked. You can still submit.");
  });
});

describe("server grades", () => {
  it("says the score, passed or not, and nothing about passing without a pass mark", () => {
    expect(describeServerGrade(serverGrade())).toEqual({
      score: "7 of 10 points",
      verdict: "Passed",
      awaitingTutor: false,
    });
    expect(describeServerGrade(serverGrade({ passed: false })).verdict).toBe("Not passed");
    expect(describeServerGrade(serverGrade({ passed: null })).verdict).toBeNull();
  });

  it("an incomplete grade awaits the tutor, and says no verdict yet", () => {
    const described = describeServerGrade(serverGrade({ complete: false, passed: false }));
    expect(described.awaitingTutor).toBe(true);
    expect(described.verdict).toBeNull();
  });

  it("a graded submission whose grade is incomplete is 'Awaiting tutor'", () => {
    expect(describeOutboxState("graded").label).toBe("Graded");
    expect(describeOutboxState("graded", undefined, { complete: true }).label).toBe("Graded");
    expect(describeOutboxState("graded", undefined, { complete: false })).toEqual({
      label: "Awaiting tutor",
      meaning: "Received; part of it is awaiting your tutor's grade.",
    });
  });
});

describe("describeRuntimeResult", () => {
  const result = {
    attempt: 2,
    session: 3,
    completionStatus: "completed",
    successStatus: "passed",
    scoreScaled: 0.85,
    totalTimeSeconds: 754,
  };

  it("says what the module recorded, line by line", () => {
    expect(describeRuntimeResult(result, { locale: "en-GB" })).toEqual([
      { label: "Attempt", value: "Attempt 2, session 3" },
      { label: "Completion", value: "Completed" },
      { label: "Result", value: "Passed" },
      { label: "Score", value: "85%" },
      { label: "Time spent", value: "12 min" },
    ]);
  });

  it("says so when the module reported nothing, and speaks the learner's language", () => {
    const silent = {
      ...result,
      completionStatus: "unknown",
      successStatus: "unknown",
      scoreScaled: null,
      totalTimeSeconds: 0,
    };
    const lines = describeRuntimeResult(silent, { locale: "fr-FR" }, fr);
    expect(lines.map((line) => line.value)).toEqual([
      "Tentative 2, séance 3",
      "Non indiqué par le module",
      "Non indiqué par le module",
      "Non indiqué par le module",
      "Non indiqué par le module",
    ]);
    expect(describeRuntimeResult({ ...result, successStatus: "failed" })[2]?.value).toBe(
      "Not passed",
    );
  });
});
