// The Outbox screen and its nav badge, in the whole shell, against a fake backend.
import { emit } from "@tauri-apps/api/event";
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup, fireEvent, render, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import App from "../App.svelte";
import { AppState } from "../lib/app-state.svelte";
import type { OutboxEntry } from "../lib/backend";
import {
  assignmentSubmissionDetail,
  attemptView,
  outboxEntry,
  quizState,
  quizSubmissionDetail,
} from "../test/assess-fixtures";
import { byId } from "../test/dom";
import { callsOf, fakeBackend, type Handler } from "../test/backend";
import { appInfo, courseSummary, dashboard, onlineStatus } from "../test/fixtures";

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
  const calls = fakeBackend({
    get_app_info: () => appInfo(),
    get_server_status: () => onlineStatus(),
    take_pending_imports: () => [],
    take_notices: () => [],
    get_dashboard: () => dashboard(),
    list_courses: () => [courseSummary()],
    list_outbox: () => entries(),
    ...handlers,
  });
  const shell = new AppState();
  render(App, { shell });
  await waitFor(() => expect(document.body.dataset.ready).toBe("true"));
  await fireEvent.click(byId("nav-outbox"));
  return { calls, shell };
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
});
