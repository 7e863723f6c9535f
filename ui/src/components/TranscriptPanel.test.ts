// The transcript on Home against a fake backend: programme progress (what counts, what is left,
// when the oldest course stops counting), a completed programme, certificates, revoked ones.
import { emit } from "@tauri-apps/api/event";
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup, render, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import type { ProgrammeView, TranscriptView } from "../lib/backend";
import { byId } from "../test/dom";
import { fakeBackend } from "../test/backend";
import { formatDay } from "../lib/i18n/units";
import TranscriptPanel from "./TranscriptPanel.svelte";

afterEach(() => {
  cleanup();
  clearMocks();
});

const ISSUED = Date.UTC(2027, 3, 2, 10);
const EXPIRES = Date.UTC(2032, 3, 2, 10);

function programme(overrides: Partial<ProgrammeView> = {}): ProgrammeView {
  return {
    programmeId: "diploma",
    title: "Diploma in Labour Migration",
    description: "",
    required: 3,
    windowYears: 5,
    eligible: [
      { courseId: "rights", title: "Rights at work", certificateId: "c1", issuedMs: ISSUED, expiresMs: EXPIRES },
      { courseId: "recruit", title: "Fair recruitment", certificateId: null, issuedMs: null, expiresMs: null },
      { courseId: "social", title: "Social protection", certificateId: null, issuedMs: null, expiresMs: null },
    ],
    capstone: { courseId: "capstone", title: "Capstone project", certificateId: null, issuedMs: null, expiresMs: null },
    counted: 1,
    complete: false,
    completedMs: null,
    nextExpiryMs: EXPIRES,
    ...overrides,
  };
}

function transcript(overrides: Partial<TranscriptView> = {}): TranscriptView {
  return {
    learnerName: "Ana",
    fetchedMs: ISSUED + 1000,
    certificates: [
      {
        certificateId: "c1",
        courseId: "rights",
        courseTitle: "Rights at work",
        title: "Certificate of Achievement",
        issuedMs: ISSUED,
        revokedMs: null,
        verifyUrl: "https://courses.example.org/certificates/c1",
      },
    ],
    programmes: [programme()],
    ...overrides,
  };
}

describe("the transcript", () => {
  it("shows what counts towards a programme, what is left and when the oldest course expires", async () => {
    fakeBackend({ get_transcript: () => transcript() });
    render(TranscriptPanel);
    await waitFor(() => expect(document.getElementById("programme-diploma")).not.toBeNull());
    const text = byId("programme-diploma").textContent ?? "";
    expect(text).toContain("3 eligible courses within 5 years, and the capstone: Capstone project.");
    expect(text).toContain("1 of 3 courses count now.");
    expect(text).toContain("2 more eligible courses to complete.");
    expect(text).toContain("The capstone to complete: Capstone project.");
    expect(text).toContain(`stops counting on ${formatDay(EXPIRES)}`);
    const counted = [...byId("programme-diploma").querySelectorAll<HTMLElement>("li")].map(
      (li) => [li.dataset.courseId, li.dataset.counted],
    );
    expect(counted).toEqual([
      ["rights", "true"],
      ["recruit", "false"],
      ["social", "false"],
      ["capstone", "false"],
    ]);
    expect(byId("transcript").textContent).toContain("Rights at work");
  });

  it("says when a programme was completed, and marks a revoked certificate", async () => {
    let current = transcript();
    fakeBackend({ get_transcript: () => current });
    render(TranscriptPanel);
    await waitFor(() => expect(document.getElementById("programme-diploma")).not.toBeNull());
    current = transcript({
      programmes: [programme({ complete: true, completedMs: ISSUED, counted: 3, nextExpiryMs: null })],
      certificates: [{ ...transcript().certificates[0]!, revokedMs: ISSUED + 5000 }],
    });
    await emit("transcript-changed", null);
    await waitFor(() => expect(byId("programme-diploma").dataset.complete).toBe("true"));
    expect(byId("programme-diploma").textContent).toContain(`Completed on ${formatDay(ISSUED)}.`);
    expect(byId("programme-diploma").textContent).not.toContain("more eligible");
    const revoked = document.querySelector<HTMLElement>('[data-certificate-id="c1"]');
    expect(revoked?.dataset.revoked).toBe("true");
    expect(revoked?.textContent).toContain("Revoked on");
  });

  it("shows nothing before the first fetch", async () => {
    const calls = fakeBackend({ get_transcript: () => null });
    render(TranscriptPanel);
    await waitFor(() => expect(calls.length).toBeGreaterThan(0));
    expect(document.getElementById("transcript")).toBeNull();
  });
});
