// The Outbox screen and its nav badge, in the whole shell, against a fake backend.
import { emit } from "@tauri-apps/api/event";
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup, fireEvent, render, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import type { OutboxEntry } from "../lib/backend";
import {
  assignmentSubmissionDetail,
  attemptView,
  outboxEntry,
  quizState,
  quizSubmissionDetail,
  runtimeSubmissionDetail,
  serverGrade,
  submissionComment,
} from "../test/assess-fixtures";
import { byId } from "../test/dom";
import { callsOf, deferred, FakeSync, type Handler } from "../test/backend";
import { syncStatus } from "../test/fixtures";
import { formatInstant } from "../lib/assess";
import { formatWhen } from "../lib/sync";
import OutboxStateBadge from "../components/OutboxStateBadge.svelte";
import { renderShell } from "../test/shell";

afterEach(() => {
  cleanup();
  clearMocks();
});

function row(id: string): HTMLElement {
  const element = document.querySelector<HTMLElement>(`.outbox-entry[data-id="${id}"]`);
  if (!element) throw new Error(`outbox entry ${id} is not in the page`);
  return element;
}

async function renderOutbox(entries: () => OutboxEntry[], handlers: Record<string, Handler> = {}) {
  const rendered = await renderShell({ list_outbox: () => entries(), ...handlers });
  await fireEvent.click(byId("nav-outbox"));
  return rendered;
}

const ENTRIES = [
  outboxEntry({ id: "sub-3", kind: "assignment", title: "Essay", version: 2, state: "needs_attention", tries: 3, problem: "The server refused the file." }),
  outboxEntry({ id: "sub-2", kind: "assignment", title: "Essay", version: 1, state: "received", receipt: "R-42", tries: 1 }),
  outboxEntry({ id: "sub-1", kind: "quiz", title: "Cells quiz", version: 2, state: "queued" }),
];

describe("the Outbox", () => {
  it("keeps its empty state when nothing was submitted", async () => {
    await renderOutbox(() => []);
    expect(byId("screen-outbox").textContent).toContain("Nothing waiting to be sent.");
    expect(document.getElementById("nav-outbox-badge")).toBeNull();
  });

  it("lists every submission with kind, version, state in plain words, tries, receipt and problem", async () => {
    await renderOutbox(() => ENTRIES);
    await waitFor(() => expect(document.querySelectorAll(".outbox-entry")).toHaveLength(3));
    expect(Array.from(document.querySelectorAll<HTMLElement>(".outbox-entry"), (li) => li.dataset.id)).toEqual([
      "sub-3",
      "sub-2",
      "sub-1",
    ]);
    const quiz = row("sub-1");
    expect(quiz.dataset.kind).toBe("quiz");
    expect(quiz.dataset.state).toBe("queued");
    expect(quiz.textContent).toContain("Attempt 2");
    expect(quiz.textContent).toContain("Introduction to Biology");
    expect(quiz.textContent).toContain("Waiting to be sent — it will go when you're online.");
    expect(row("sub-2").textContent).toContain("Version 1");
    expect(row("sub-2").textContent).toContain("Receipt: R-42");
    expect(row("sub-3").textContent).toContain("Needs attention");
    expect(row("sub-3").textContent).toContain("The server refused the file.");
    expect(row("sub-3").textContent).toContain("3 tries");
  });

  it("counts the submissions not received yet on the nav item", async () => {
    await renderOutbox(() => ENTRIES);
    await waitFor(() => expect(document.getElementById("nav-outbox-badge")).not.toBeNull());
    expect(byId("nav-outbox-badge").dataset.count).toBe("2");
    expect(byId("nav-outbox").textContent).toContain("2 not sent yet");
  });

  it("follows outbox-changed", async () => {
    let entries: OutboxEntry[] = [];
    const { calls } = await renderOutbox(() => entries);
    await waitFor(() => expect(callsOf(calls, "list_outbox").length).toBeGreaterThan(0));
    entries = [ENTRIES[2]!];
    await emit("outbox-changed");
    await waitFor(() => expect(document.querySelectorAll(".outbox-entry")).toHaveLength(1));
    expect(byId("nav-outbox-badge").dataset.count).toBe("1");
  });

  it("shows exactly what a quiz submission sent, and opens its review", async () => {
    const { calls, shell } = await renderOutbox(() => ENTRIES, {
      get_submission: () => quizSubmissionDetail(),
      get_quiz: () => quizState(),
      get_quiz_attempt: () => attemptView({ submittedMs: 1, submittedBy: "learner", submission: outboxEntry() }),
    });
    await waitFor(() => row("sub-1"));
    await fireEvent.click(row("sub-1").querySelector("button.toggle")!);
    await waitFor(() => expect(document.querySelector(".submitted-answer")).not.toBeNull());
    expect(callsOf(calls, "get_submission")[0]?.args).toEqual({ id: "sub-1" });
    const detail = byId("submission-detail");
    expect(detail.dataset.payloadSha256).toBe("a".repeat(64));
    expect(detail.querySelector('[data-question-id="q6"]')?.textContent).toContain("membrane");
    expect(row("sub-1").querySelector("button.toggle")?.getAttribute("aria-expanded")).toBe("true");
    await fireEvent.click(detail.querySelector(".open-review")!);
    expect(shell.assessment).toEqual({ kind: "quiz", courseId: "bio-101", itemId: "i-quiz", attemptId: "att-1" });
    await waitFor(() => expect(document.getElementById("quiz-submitted")).not.toBeNull());
  });

  it("shows an assignment's text as Markdown and its files with their SHA-256", async () => {
    await renderOutbox(() => ENTRIES, { get_submission: () => assignmentSubmissionDetail() });
    await waitFor(() => row("sub-2"));
    await fireEvent.click(row("sub-2").querySelector("button.toggle")!);
    await waitFor(() => expect(document.querySelector(".submitted-attachment")).not.toBeNull());
    const detail = byId("submission-detail");
    expect(detail.querySelector(".md-heading")?.textContent).toBe("My essay");
    expect(detail.querySelector("h1"), "the learner's headings keep the page's order").toBeNull();
    expect(detail.querySelector("em")?.textContent).toBe("cells");
    const file = detail.querySelector<HTMLElement>(".submitted-attachment")!;
    expect(file.dataset.sha256).toBe("b".repeat(64));
    expect(file.querySelector("code")?.getAttribute("title")).toBe("b".repeat(64));
    expect(file.textContent).toContain("figure.pdf");
    expect(file.textContent, "sizes as the backend writes them: 120,000 bytes, powers of 1024").toContain("118 KB");
    expect(detail.textContent).toContain("This is my own work.");
  });

  it("shows what a SCORM module recorded, with its own icon, and that the attempt can go on", async () => {
    const entries = [outboxEntry({ id: "sub-4", kind: "scorm", title: "Golf Explained", state: "queued" })];
    await renderOutbox(() => entries, { get_submission: () => runtimeSubmissionDetail() });
    await waitFor(() => row("sub-4"));
    expect(row("sub-4").dataset.kind).toBe("scorm");
    expect(row("sub-4").querySelector(".kind svg")).not.toBeNull();
    await fireEvent.click(row("sub-4").querySelector("button.toggle")!);
    await waitFor(() => expect(document.querySelector(".recorded")).not.toBeNull());
    const lines = [...byId("submission-detail").querySelectorAll(".recorded > div")].map((line) => [
      line.querySelector("dt")?.textContent,
      line.querySelector("dd")?.textContent,
    ]);
    expect(lines).toEqual([
      ["Attempt", "Attempt 1, session 2"],
      ["Completion", "Not finished"],
      ["Result", "Not reported by the module"],
      ["Score", "Not reported by the module"],
      ["Time spent", "25 min"],
    ]);
    expect(byId("submission-detail").textContent).toContain("You can carry on with this attempt");
  });
});

describe("the Outbox with sync", () => {
  const HOUR = 3_600_000;

  async function renderSynced(
    entries: OutboxEntry[],
    fake = new FakeSync(),
    handlers: Record<string, Handler> = {},
  ) {
    const rendered = await renderOutbox(() => entries, { ...fake.handlers(), ...handlers });
    await waitFor(() => expect(document.querySelectorAll(".outbox-entry")).toHaveLength(entries.length));
    await waitFor(() => byId("outbox-sync"));
    return { ...rendered, fake };
  }

  it("shows a queued submission's next try and why the last one failed", async () => {
    const nextTryMs = Date.now() + 10 * 60_000;
    await renderSynced([
      outboxEntry({ id: "q", state: "queued", tries: 2, nextTryMs, lastError: "The server took too long to answer." }),
    ]);
    const next = row("q").querySelector<HTMLElement>(".next-try")!;
    expect(next.textContent?.trim()).toBe(`Next try at ${formatWhen(nextTryMs, Date.now())}`);
    expect(next.dataset.nextTryMs).toBe(String(nextTryMs));
    expect(row("q").querySelector(".last-error")?.textContent?.trim()).toBe(
      "Last try: The server took too long to answer.",
    );
  });

  it("shows the upload's progress on the submission being sent", async () => {
    const fake = new FakeSync(
      syncStatus({ phase: "syncing", queued: 2, sending: { submissionId: "s", sent: 512_000, total: 2_048_000 } }),
    );
    await renderSynced(
      [outboxEntry({ id: "s", state: "sending", title: "Essay" }), outboxEntry({ id: "q", state: "queued" })],
      fake,
    );
    const bar = row("s").querySelector<HTMLProgressElement>("progress")!;
    expect(bar.value).toBe(512_000);
    expect(bar.max).toBe(2_048_000);
    expect(bar.getAttribute("aria-label")).toBe("Sending Essay");
    expect(row("s").textContent).toContain("Sent 0.5 of 2.0 MB");
    expect(row("q").querySelector("progress")).toBeNull();
  });

  it("shows when a received submission was received", async () => {
    const stateMs = Date.UTC(2026, 1, 11, 12, 5);
    await renderSynced([outboxEntry({ id: "r", state: "received", receipt: "R-9", stateMs })]);
    expect(row("r").querySelector(".received-at")?.textContent?.trim()).toBe(
      `Received ${formatInstant(stateMs)}`,
    );
    expect(row("r").querySelector(".next-try")).toBeNull();
  });

  it("shows a grade: score, passed, who graded, feedback and comments as safe Markdown", async () => {
    const grade = serverGrade({ feedback: "Good work on **osmosis**. <img src=x onerror=alert(1)>" });
    await renderSynced([
      outboxEntry({
        id: "g",
        state: "graded",
        receipt: "R-1",
        serverGrade: grade,
        comments: [submissionComment(), submissionComment({ author: "Sam", text: "Well done." })],
      }),
    ]);
    const graded = row("g");
    expect(graded.dataset.state).toBe("graded");
    const element = graded.querySelector<HTMLElement>(".server-grade")!;
    expect(element.dataset.grade).toBe("7");
    expect(element.dataset.passed).toBe("true");
    expect(element.textContent).toContain("7 of 10 points");
    expect(element.textContent).toContain("Passed");
    expect(element.textContent).toContain(`Graded by Dr Rivera, ${formatInstant(grade.gradedMs)}`);
    expect(element.querySelector("strong.verdict")?.textContent).toBe("Passed");
    expect(element.querySelector(".markdown strong")?.textContent).toBe("osmosis");
    expect(element.querySelector("img"), "the tutor's HTML is shown as text, never run").toBeNull();
    const comments = graded.querySelectorAll(".submission-comment");
    expect(comments).toHaveLength(2);
    expect(comments[0]?.textContent).toContain(`Dr Rivera, ${formatInstant(submissionComment().atMs)}`);
    expect(comments[0]?.querySelector("em")?.textContent).toBe("second");
    expect(comments[1]?.textContent).toContain("Well done.");
    expect(graded.querySelector(".badge")?.textContent).toBe("Graded");
  });

  it("a grade not passed, one graded automatically, and one awaiting the tutor", async () => {
    await renderSynced([
      outboxEntry({ id: "f", state: "graded", serverGrade: serverGrade({ score: 3, passed: false, gradedBy: null, feedback: null }) }),
      outboxEntry({ id: "p", state: "graded", serverGrade: serverGrade({ score: 4, complete: false, passed: null }) }),
    ]);
    const failed = row("f").querySelector<HTMLElement>(".server-grade")!;
    expect(failed.dataset.grade).toBe("3");
    expect(failed.textContent).toContain("Not passed");
    expect(failed.textContent).toContain("Graded automatically");
    expect(failed.querySelector(".feedback")).toBeNull();
    const partial = row("p").querySelector<HTMLElement>(".server-grade")!;
    expect(partial.dataset.complete).toBe("false");
    expect(partial.textContent).toContain("Awaiting tutor: part of it is still to be graded.");
    expect(partial.textContent).not.toContain("Passed");
    expect(row("p").querySelector(".badge")?.textContent).toBe("Awaiting tutor");
  });

  it("offers a submission that needs attention as a file for the tutor, and says where it went", async () => {
    const fake = new FakeSync();
    const { calls } = await renderSynced(
      [outboxEntry({ id: "n", state: "needs_attention", title: "Essay", problem: "The course has closed." })],
      fake,
    );
    expect(row("n").textContent).toContain("The course has closed.");
    const button = row("n").querySelector<HTMLElement>("button.export-submission")!;
    expect(button.textContent?.trim()).toBe("Export for your tutor");
    expect(button.getAttribute("aria-label")).toBe("Export for your tutor: Essay");
    await fireEvent.click(button);
    await waitFor(() => expect(row("n").textContent).toContain("Saved to /home/learner/submission.zip"));
    expect(callsOf(calls, "export_submission").map((call) => call.args)).toEqual([{ id: "n" }]);
    fake.exportPath = null;
    await fireEvent.click(button);
    await waitFor(() => expect(callsOf(calls, "export_submission")).toHaveLength(2));
    await waitFor(() => expect(row("n").textContent).not.toContain("Saved to"));
  });

  it("sends a submission that needs attention again with Try again", async () => {
    let state: OutboxEntry["state"] = "needs_attention";
    const { calls } = await renderOutbox(
      () => [outboxEntry({ id: "n", state, title: "Essay", problem: "Injected." })],
      {
        ...new FakeSync().handlers(),
        retry_submission: () => {
          state = "queued";
          return true;
        },
      },
    );
    await waitFor(() => byId("outbox-sync"));
    const button = row("n").querySelector<HTMLElement>("button.retry-submission")!;
    expect(button.getAttribute("aria-label")).toBe("Send “Essay” again");
    await fireEvent.click(button);
    await waitFor(() => expect(row("n").getAttribute("data-state")).toBe("queued"));
    expect(callsOf(calls, "retry_submission").map((call) => call.args)).toEqual([{ id: "n" }]);
    expect(row("n").querySelector("button.retry-submission")).toBeNull();
  });

  it("says why Try again failed, as an alert", async () => {
    await renderSynced([outboxEntry({ id: "n", state: "needs_attention", title: "Essay" })], new FakeSync(), {
      retry_submission: () => {
        throw { code: "internal", message: "The database is busy." };
      },
    });
    await fireEvent.click(row("n").querySelector<HTMLElement>("button.retry-submission")!);
    await waitFor(() =>
      expect(row("n").querySelector("[role=alert]")?.textContent).toContain("The database is busy."),
    );
  });

  it("says why an export failed, as an alert", async () => {
    await renderSynced([outboxEntry({ id: "n", state: "needs_attention" })], new FakeSync(), {
      export_submission: () => {
        throw { code: "export_failed", message: "The folder cannot be written to.", detail: null };
      },
    });
    await fireEvent.click(row("n").querySelector("button.export-submission")!);
    await waitFor(() => expect(row("n").querySelector('[role="alert"]')?.textContent).toBe("The folder cannot be written to."));
  });

  it("offers the export on every submission's detail", async () => {
    const { calls } = await renderSynced([outboxEntry({ id: "sub-2", state: "received" })], new FakeSync(), {
      get_submission: () => assignmentSubmissionDetail(),
    });
    expect(row("sub-2").querySelector(".export-submission"), "only needs-attention ones on the row").toBeNull();
    await fireEvent.click(row("sub-2").querySelector("button.toggle")!);
    await waitFor(() => byId("submission-export"));
    await fireEvent.click(byId("submission-export"));
    await waitFor(() => expect(callsOf(calls, "export_submission").map((call) => call.args)).toEqual([{ id: "sub-2" }]));
    await waitFor(() => expect(byId("submission-detail").textContent).toContain("Saved to /home/learner/submission.zip"));
  });

  it("holds sync with a real checkbox bound to set_sync_held", async () => {
    const { calls } = await renderSynced([]);
    const box = byId("sync-held") as HTMLInputElement;
    expect(box.type).toBe("checkbox");
    expect(box.checked).toBe(false);
    expect(box.labels?.[0]?.textContent).toBe("Hold sync on metered or costly connections");
    await fireEvent.click(box);
    await waitFor(() => expect(callsOf(calls, "set_sync_held").map((call) => call.args)).toEqual([{ held: true }]));
    await waitFor(() => expect(byId("sync-indicator").dataset.phase).toBe("held"));
    expect(box.checked).toBe(true);
    await fireEvent.click(box);
    await waitFor(() => expect(callsOf(calls, "set_sync_held")[1]?.args).toEqual({ held: false }));
    await waitFor(() => expect(box.checked).toBe(false));
  });

  it("puts the box back and says why when holding fails", async () => {
    await renderSynced([], new FakeSync(), {
      set_sync_held: () => {
        throw { code: "internal", message: "The settings could not be saved", detail: null };
      },
    });
    const box = byId("sync-held") as HTMLInputElement;
    await fireEvent.click(box);
    await waitFor(() => expect(byId("outbox-sync").querySelector('[role="alert"]')?.textContent).toBe("The settings could not be saved"));
    expect(box.checked).toBe(false);
  });

  it("warns about unsent work due within 48 hours, naming it and the due time", async () => {
    const now = Date.now();
    const soon = now + 5 * HOUR;
    await renderSynced([
      outboxEntry({ id: "soon", title: "Final essay", state: "queued", dueMs: soon }),
      outboxEntry({ id: "later", title: "Later quiz", state: "queued", dueMs: now + 72 * HOUR }),
      outboxEntry({ id: "sent", title: "Sent quiz", state: "received", dueMs: now + HOUR }),
    ]);
    const warnings = document.querySelectorAll<HTMLElement>(".due-warning");
    expect(Array.from(warnings, (warning) => warning.dataset.id)).toEqual(["soon"]);
    expect(warnings[0]?.textContent).toContain(`“Final essay” is due ${formatInstant(soon)}`);
    expect(warnings[0]?.textContent).toContain("Connect to the internet");
    expect(warnings[0]?.textContent).toContain("export it and send it to your tutor");
  });

  it("no warning without a due date", async () => {
    await renderSynced([outboxEntry({ id: "q", state: "queued" })]);
    expect(document.querySelector(".due-warning")).toBeNull();
  });

  it("saves a support bundle and says where", async () => {
    const answer = deferred<string | null>();
    const { calls } = await renderSynced([], new FakeSync(), { export_support_bundle: () => answer.promise });
    const button = byId("support-bundle");
    expect(button.textContent?.trim()).toBe("Save a support bundle");
    await fireEvent.click(button);
    await waitFor(() => expect(button.getAttribute("aria-disabled")).toBe("true"));
    expect(button.textContent?.trim()).toBe("Saving…");
    answer.resolve("/home/learner/carrel-support.zip");
    await waitFor(() => expect(byId("outbox-sync").textContent).toContain("Saved to /home/learner/carrel-support.zip"));
    expect(callsOf(calls, "export_support_bundle")).toHaveLength(1);
  });

  it("says when it last synced, and syncs now", async () => {
    const last = Date.now() - 2 * HOUR;
    const { calls } = await renderSynced([], new FakeSync(syncStatus({ lastSuccessMs: last, phase: "offline", queued: 1 })));
    expect(byId("outbox-last-sync").textContent?.trim()).toBe(
      `Last successful sync: ${formatInstant(last)} (2 hours ago)`,
    );
    expect(byId("outbox-sync-summary").textContent).toContain("Offline — 1 waiting");
    await fireEvent.click(byId("outbox-sync-now"));
    expect(callsOf(calls, "sync_now")).toHaveLength(1);
  });
});

describe("OutboxStateBadge", () => {
  it("shows a graded submission's score beside the badge, or awaiting tutor", () => {
    const { container, unmount } = render(OutboxStateBadge, {
      entry: outboxEntry({ state: "graded", serverGrade: serverGrade() }),
    });
    expect(container.querySelector(".badge")?.textContent).toBe("Graded");
    expect(container.querySelector(".score")?.textContent).toBe("7 of 10 points");
    expect(container.textContent).toContain("Received and graded.");
    unmount();
    const partial = render(OutboxStateBadge, {
      entry: outboxEntry({ state: "graded", serverGrade: serverGrade({ complete: false }) }),
    });
    expect(partial.container.querySelector(".badge")?.textContent).toBe("Awaiting tutor");
    expect(partial.container.querySelector(".score")).toBeNull();
  });
});
