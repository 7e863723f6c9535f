// The quiz page, player and submitted view against a fake backend.
import { clearMocks } from "@tauri-apps/api/mocks";
import { act, cleanup, fireEvent, render, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AppState } from "../lib/app-state.svelte";
import type { AttemptView, QuizState } from "../lib/backend";
import {
  attemptView,
  NOW_MS,
  outboxEntry,
  quizState,
  serverGrade,
} from "../test/assess-fixtures";
import { byId, q } from "../test/dom";
import { callsOf, deferred, fakeBackend, type Handler } from "../test/backend";
import QuizView from "./QuizView.svelte";

afterEach(() => {
  cleanup();
  clearMocks();
  vi.useRealTimers();
});

async function renderQuiz(handlers: Record<string, Handler> = {}, attemptId: string | null = null) {
  const calls = fakeBackend({
    get_quiz: () => quizState(),
    start_quiz_attempt: () => attemptView(),
    save_quiz_answer: () => ({ savedMs: NOW_MS }),
    ...handlers,
  });
  const shell = new AppState();
  render(QuizView, { shell, courseId: "bio-101", itemId: "i-quiz", attemptId });
  await waitFor(() => expect(document.getElementById("quiz-view")?.textContent).not.toContain("Opening the quiz"));
  return { calls, shell };
}

async function startPlayer(handlers: Record<string, Handler> = {}) {
  const rendered = await renderQuiz(handlers);
  await fireEvent.click(byId("quiz-start"));
  await waitFor(() => expect(document.getElementById("quiz-player")).not.toBeNull());
  return rendered;
}

/** An attempt whose saved answers are `answers` (question id → answer). */
function answered(answers: Record<string, AttemptView["questions"][number]["answer"]>, overrides: Partial<AttemptView> = {}) {
  const view = attemptView(overrides);
  return {
    ...view,
    questions: view.questions.map((entry) => ({
      ...entry,
      answer: answers[entry.question.id] ?? null,
      savedMs: answers[entry.question.id] ? NOW_MS : null,
    })),
  };
}

async function goTo(questionId: string) {
  await fireEvent.click(q(`.quiz-nav button[data-question-id="${questionId}"]`));
  await waitFor(() => q(`.quiz-question[data-question-id="${questionId}"]`));
}

describe("the quiz page", () => {
  it("explains graded quizzes, the attempts, time limit and pass mark", async () => {
    await renderQuiz({ get_quiz: () => quizState({ attempts: [] }) });
    const view = byId("quiz-view");
    expect(view.textContent).toContain("Graded by your tutor's server after it is sent");
    expect(byId("quiz-attempts-used").textContent).toBe("0 of 2 used");
    expect(byId("quiz-time-limit").textContent).toBe("20 min");
    expect(view.textContent).toContain("60%");
    expect(byId("quiz-start").textContent?.trim()).toBe("Start attempt");
    expect((byId("quiz-start") as HTMLButtonElement).disabled).toBe(false);
  });

  it("explains practice quizzes", async () => {
    await renderQuiz({ get_quiz: () => quizState({ practice: true }) });
    expect(byId("quiz-mode").textContent).toContain("you see if each answer is right as you go");
  });

  it.each<[QuizState["availability"], string]>([
    ["not_yet_open", "This quiz opens"],
    ["closed", "This quiz closed"],
    ["no_attempts_left", "You have used all your attempts."],
  ])("disables Start when %s, saying why", async (availability, reason) => {
    await renderQuiz({ get_quiz: () => quizState({ availability }) });
    expect((byId("quiz-start") as HTMLButtonElement).disabled).toBe(true);
    expect(byId("quiz-unavailable").textContent).toContain(reason);
    expect(byId("quiz-start").getAttribute("aria-describedby")).toBe("quiz-unavailable");
  });

  it("offers Resume for the attempt in progress", async () => {
    const { calls } = await renderQuiz({ get_quiz: () => quizState({ current: "att-1" }) });
    expect(byId("quiz-start").textContent?.trim()).toBe("Resume attempt");
    await fireEvent.click(byId("quiz-start"));
    await waitFor(() => expect(document.getElementById("quiz-player")).not.toBeNull());
    expect(callsOf(calls, "start_quiz_attempt")[0]?.args).toEqual({ courseId: "bio-101", itemId: "i-quiz" });
  });

  it("lists past attempts with state and grade, each openable for review", async () => {
    const submitted = answered({ q1: { type: "single_choice", choice: "b" } }, {
      submittedMs: NOW_MS,
      submittedBy: "learner",
      submission: outboxEntry({ state: "received", receipt: "R-1" }),
    });
    const { calls } = await renderQuiz({
      get_quiz: () =>
        quizState({
          attempts: [
            {
              id: "att-1",
              number: 1,
              startedMs: NOW_MS - 60_000,
              deadlineMs: null,
              submittedMs: NOW_MS,
              submittedBy: "learner",
              answered: 1,
              submission: outboxEntry({ state: "received", receipt: "R-1" }),
            },
          ],
        }),
      get_quiz_attempt: () => submitted,
    });
    const row = q('.attempt[data-attempt-id="att-1"]');
    expect(row.textContent).toContain("Attempt 1");
    expect(row.textContent).toContain("Received");
    expect(row.textContent).toContain("Awaiting grade");
    await fireEvent.click(row.querySelector("button")!);
    await waitFor(() => expect(document.getElementById("quiz-submitted")).not.toBeNull());
    expect(callsOf(calls, "get_quiz_attempt")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-quiz",
      attemptId: "att-1",
    });
    expect(q("#quiz-submitted").dataset.outboxState).toBe("received");
    expect(byId("quiz-submitted").textContent).toContain("Receipt: R-1");
  });
});

describe("the quiz player", () => {
  it("saves a choice at once with the right arguments", async () => {
    const { calls } = await startPlayer();
    expect(byId("quiz-progress").textContent).toContain("Question 1 of 8 · 0 answered");
    await fireEvent.click(q('input[name="q-q1"][value="b"]'));
    await waitFor(() => expect(q(".save-state").dataset.state).toBe("saved"));
    expect(callsOf(calls, "save_quiz_answer")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-quiz",
      attemptId: "att-1",
      questionId: "q1",
      answer: { type: "single_choice", choice: "b" },
    });
    expect(byId("quiz-progress").textContent).toContain("1 answered");
    expect(q('.quiz-nav button[data-question-id="q1"]').dataset.state).toBe("answered");
    expect(q('.quiz-nav button[data-question-id="q2"]').dataset.state).toBe("unanswered");
  });

  it("saves multiple responses, true/false, matching and ordering", async () => {
    const { calls } = await startPlayer();
    await fireEvent.click(byId("quiz-next"));
    await fireEvent.click(q('input[name="q-q2"][value="a"]'));
    await fireEvent.click(q('input[name="q-q2"][value="b"]'));
    await goTo("q3");
    await fireEvent.click(q('input[name="q-q3"][value="false"]'));
    await goTo("q4");
    const select = q('select[data-left-id="p1"]') as HTMLSelectElement;
    select.value = "p1";
    await fireEvent.change(select);
    await goTo("q5");
    const rows = () => Array.from(document.querySelectorAll<HTMLElement>("li[data-item-id]"), (li) => li.dataset.itemId);
    expect(rows()).toEqual(["x", "y", "z"]);
    await fireEvent.click(q('li[data-item-id="y"] .move-up'));
    expect(rows()).toEqual(["y", "x", "z"]);
    expect(document.querySelector(".ordering [aria-live]")?.textContent).toBe("Prophase moved to position 1 of 3.");
    await fireEvent.click(q('li[data-item-id="x"] .move-down'));
    expect(rows()).toEqual(["y", "z", "x"]);
    expect((q('li[data-item-id="y"] .move-up') as HTMLButtonElement).disabled).toBe(true);
    await waitFor(() => expect(callsOf(calls, "save_quiz_answer")).toHaveLength(6));
    const answers = callsOf(calls, "save_quiz_answer").map((call) => call.args.answer);
    expect(answers).toEqual([
      { type: "multiple_response", choices: ["a"] },
      { type: "multiple_response", choices: ["a", "b"] },
      { type: "true_false", value: false },
      { type: "matching", matches: { p1: "p1" } },
      { type: "ordering", order: ["y", "x", "z"] },
      { type: "ordering", order: ["y", "z", "x"] },
    ]);
  });

  it("saves typed text after a pause, once, and on leaving the field", async () => {
    const { calls } = await startPlayer();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    await goTo("q6");
    const input = q(".answer-text") as HTMLInputElement;
    await fireEvent.input(input, { target: { value: "mem" } });
    await fireEvent.input(input, { target: { value: "membrane" } });
    expect(q(".save-state").dataset.state).toBe("saving");
    await vi.advanceTimersByTimeAsync(300);
    expect(callsOf(calls, "save_quiz_answer")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(150);
    vi.useRealTimers();
    await waitFor(() => expect(callsOf(calls, "save_quiz_answer")).toHaveLength(1));
    expect(callsOf(calls, "save_quiz_answer")[0]?.args.answer).toEqual({ type: "short_answer", text: "membrane" });
    await goTo("q7");
    const number = q(".answer-text") as HTMLInputElement;
    expect(number.getAttribute("inputmode")).toBe("decimal");
    await fireEvent.input(number, { target: { value: "46" } });
    await fireEvent.blur(number);
    await waitFor(() => expect(callsOf(calls, "save_quiz_answer")).toHaveLength(2));
    expect(callsOf(calls, "save_quiz_answer")[1]?.args.answer).toEqual({ type: "numeric", text: "46" });
  });

  it("counts an essay's words against its limits", async () => {
    await startPlayer();
    await goTo("q8");
    const essay = q("textarea.answer-essay") as HTMLTextAreaElement;
    await fireEvent.input(essay, { target: { value: "Water moves across membranes" } });
    expect(byId("q-q8-words").textContent?.trim()).toBe("4 words · 5–50 asked");
  });

  it("shows a refused save beside the question and keeps the typed value", async () => {
    await startPlayer({
      save_quiz_answer: () => {
        throw { code: "answer_refused", message: "This answer is too long." };
      },
    });
    await goTo("q6");
    const input = q(".answer-text") as HTMLInputElement;
    await fireEvent.input(input, { target: { value: "a long answer" } });
    await fireEvent.blur(input);
    await waitFor(() => expect(q(".save-state").dataset.state).toBe("error"));
    expect(q(".save-state").textContent).toContain("This answer is too long.");
    expect(input.value).toBe("a long answer");
  });

  it("checks a practice answer, shows the feedback and right answer, then locks it", async () => {
    const { calls } = await startPlayer({
      get_quiz: () => quizState({ practice: true }),
      start_quiz_attempt: () => attemptView({ practice: true }),
      check_quiz_answer: () => ({
        grade: { questionId: "q1", points: 1, score: 0, verdict: "incorrect" },
        feedback: "The *mitochondrion* makes energy.",
        key: { type: "single_choice", choice: "b" },
      }),
    });
    const check = () => document.querySelector<HTMLButtonElement>(".check");
    expect(check()?.disabled, "nothing to check before answering").toBe(true);
    await fireEvent.click(q('input[name="q-q1"][value="a"]'));
    await waitFor(() => expect(check()?.disabled).toBe(false));
    await fireEvent.click(check()!);
    await waitFor(() => expect(document.querySelector(".feedback")).not.toBeNull());
    expect(callsOf(calls, "check_quiz_answer")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-quiz",
      attemptId: "att-1",
      questionId: "q1",
    });
    const feedback = q(".feedback");
    expect(feedback.textContent).toContain("Incorrect");
    expect(feedback.querySelector("em")?.textContent).toBe("mitochondrion");
    expect(feedback.textContent).toContain("The right answer: Mitochondrion");
    expect((q('input[name="q-q1"][value="b"]') as HTMLInputElement).disabled).toBe(true);
    expect(q('.quiz-nav button[data-question-id="q1"]').dataset.state).toBe("checked");
    expect(check()).toBeNull();
  });

  it("flags unanswered questions in the review, each linking back", async () => {
    await startPlayer({
      start_quiz_attempt: () => answered({ q1: { type: "single_choice", choice: "b" } }),
    });
    await fireEvent.click(byId("quiz-review"));
    await waitFor(() => expect(document.getElementById("quiz-review-heading")).not.toBeNull());
    const item = (id: string) => q(`.review-item[data-question-id="${id}"]`);
    expect(item("q1").dataset.answered).toBe("true");
    expect(item("q1").textContent).toContain("Mitochondrion");
    expect(item("q2").dataset.answered).toBe("false");
    expect(item("q2").textContent).toContain("Not answered");
    expect(byId("quiz-unanswered-count").textContent).toContain("7 of 8 questions are not answered.");
    await fireEvent.click(item("q3").querySelector("button")!);
    await waitFor(() => q('.quiz-question[data-question-id="q3"]'));
  });

  it("asks before submitting, disables Submit while it runs, then shows what was sent", async () => {
    const submit = deferred<unknown>();
    const submittedView = answered(
      { q1: { type: "single_choice", choice: "b" } },
      { submittedMs: NOW_MS, submittedBy: "learner", submission: outboxEntry() },
    );
    const { calls } = await startPlayer({
      start_quiz_attempt: () => answered({ q1: { type: "single_choice", choice: "b" } }),
      submit_quiz_attempt: () => submit.promise,
      get_quiz_attempt: () => submittedView,
    });
    await fireEvent.click(byId("quiz-review"));
    await fireEvent.click(await waitFor(() => byId("quiz-submit")));
    expect(byId("quiz-submit-dialog").textContent).toContain("You cannot change your answers after submitting");
    expect(callsOf(calls, "submit_quiz_attempt"), "nothing sent before confirming").toHaveLength(0);
    await fireEvent.click(byId("confirm-submit"));
    await waitFor(() => expect(callsOf(calls, "submit_quiz_attempt")).toHaveLength(1));
    expect(byId("confirm-submit").getAttribute("aria-disabled"), "busy, yet focus stays on it in the dialog").toBe("true");
    expect((byId("quiz-submit") as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(byId("confirm-submit"));
    expect(callsOf(calls, "submit_quiz_attempt")).toHaveLength(1);
    submit.resolve(outboxEntry());
    await waitFor(() => expect(document.getElementById("quiz-submitted")).not.toBeNull());
    expect(callsOf(calls, "submit_quiz_attempt")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-quiz",
      attemptId: "att-1",
    });
    const view = byId("quiz-submitted");
    expect(view.dataset.outboxState).toBe("queued");
    expect(view.textContent).toContain("Waiting to be sent — it will go when you're online.");
    expect(view.textContent).toContain("Awaiting grade");
    expect(q('.submitted-question[data-question-id="q1"]').textContent).toContain("Mitochondrion");
    expect(q('.submitted-question[data-question-id="q2"]').textContent).toContain("No answer");
  });

  it("shows the outcome, not an error, when the attempt was already submitted", async () => {
    await startPlayer({
      submit_quiz_attempt: () => {
        throw { code: "already_submitted", message: "Already submitted." };
      },
      get_quiz_attempt: () =>
        answered({}, { submittedMs: NOW_MS, submittedBy: "learner", submission: outboxEntry({ state: "sending" }) }),
    });
    await fireEvent.click(byId("quiz-review"));
    await fireEvent.click(await waitFor(() => byId("quiz-submit")));
    await fireEvent.click(byId("confirm-submit"));
    await waitFor(() => expect(document.getElementById("quiz-submitted")).not.toBeNull());
    expect(byId("quiz-submitted").dataset.outboxState).toBe("sending");
    expect(byId("quiz-message").textContent).toContain("already submitted");
  });

  it("shows practice results: score, pass and feedback", async () => {
    await renderQuiz(
      {
        get_quiz_attempt: () => {
          const view = answered(
            { q1: { type: "single_choice", choice: "b" } },
            { practice: true, submittedMs: NOW_MS, submittedBy: "learner", submission: outboxEntry({ state: "graded" }) },
          );
          view.grade = { questions: [], score: 7, maxScore: 10, pendingPoints: 0, fraction: 0.7, passed: true };
          view.questions[0]!.feedback = {
            grade: { questionId: "q1", points: 1, score: 1, verdict: "correct" },
            feedback: "Well done.",
            key: null,
          };
          return view;
        },
      },
      "att-1",
    );
    await waitFor(() => expect(document.getElementById("quiz-submitted")).not.toBeNull());
    expect(byId("quiz-score").textContent).toContain("7 of 10 points (70%)");
    expect(byId("quiz-score").textContent).toContain("Passed");
    expect(q('.submitted-question[data-question-id="q1"] .feedback').textContent).toContain("Well done.");
  });
});

describe("a graded quiz's result from the course server", () => {
  it("replaces awaiting grade with the server's grade, feedback and comments", async () => {
    await renderQuiz(
      {
        get_quiz_attempt: () =>
          answered(
            {},
            {
              submittedMs: NOW_MS,
              submittedBy: "learner",
              submission: outboxEntry({
                state: "graded",
                serverGrade: serverGrade({ score: 8 }),
                comments: [{ author: "Dr Rivera", text: "Nice.", atMs: NOW_MS }],
              }),
            },
          ),
      },
      "att-1",
    );
    await waitFor(() => expect(document.getElementById("quiz-submitted")).not.toBeNull());
    expect(byId("quiz-submitted").dataset.outboxState).toBe("graded");
    expect(document.getElementById("quiz-score"), "no 'Awaiting grade' once graded").toBeNull();
    const grade = q("#quiz-submitted .server-grade");
    expect(grade.dataset.grade).toBe("8");
    expect(grade.textContent).toContain("8 of 10 points");
    expect(q("#quiz-submitted .submission-comment").textContent).toContain("Nice.");
  });
});

describe("the countdown", () => {
  it("runs from the backend's clock, announces 5 and 1 minutes left, and reloads at zero", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    // The UI's clock is an hour off the backend's: it must not matter.
    vi.setSystemTime(NOW_MS + 3_600_000);
    const deadlineMs = NOW_MS + 6 * 60_000;
    const { calls } = await startPlayer({
      start_quiz_attempt: () => attemptView({ deadlineMs, nowMs: NOW_MS }),
      get_quiz_attempt: () =>
        answered({}, { submittedMs: deadlineMs, submittedBy: "time_limit", submission: outboxEntry() }),
    });
    expect(byId("quiz-time-left").textContent).toContain("6:00");
    await act(() => vi.advanceTimersByTime(61_000));
    expect(byId("quiz-time-left").textContent).toContain("4:59");
    expect(byId("quiz-time-announce").textContent).toBe("5 minutes left.");
    await act(() => vi.advanceTimersByTime(4 * 60_000));
    expect(byId("quiz-time-announce").textContent).toBe("1 minute left.");
    expect(callsOf(calls, "get_quiz_attempt")).toHaveLength(0);
    await act(() => vi.advanceTimersByTime(60_000));
    vi.useRealTimers();
    await waitFor(() => expect(document.getElementById("quiz-submitted")).not.toBeNull());
    expect(callsOf(calls, "get_quiz_attempt")[0]?.args.attemptId).toBe("att-1");
    expect(byId("quiz-message").textContent).toBe(
      "Time is up — your answers saved until then were submitted.",
    );
  });
});

describe("answers are never lost", () => {
  it("saves text typed before the pause when the learner moves to another question", async () => {
    const { calls } = await startPlayer();
    await goTo("q6");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    await fireEvent.input(q(".answer-text"), { target: { value: "membrane" } });
    await fireEvent.click(byId("quiz-next"));
    vi.useRealTimers();
    await waitFor(() => expect(callsOf(calls, "save_quiz_answer")).toHaveLength(1));
    expect(callsOf(calls, "save_quiz_answer")[0]?.args.answer).toEqual({ type: "short_answer", text: "membrane" });
  });

  it("saves text typed before the pause when the learner leaves the quiz", async () => {
    const { calls } = await startPlayer();
    await goTo("q8");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    await fireEvent.input(q("textarea.answer-essay"), { target: { value: "Water moves." } });
    cleanup();
    vi.useRealTimers();
    await waitFor(() => expect(callsOf(calls, "save_quiz_answer")).toHaveLength(1));
    expect(callsOf(calls, "save_quiz_answer")[0]?.args.answer).toEqual({ type: "essay", text: "Water moves." });
  });

  it("retries a failed save before submitting, and does not submit while an answer is not saved", async () => {
    let failing = true;
    const { calls } = await startPlayer({
      save_quiz_answer: () => {
        if (failing) throw { code: "progress_unavailable", message: "The disk is full." };
        return { savedMs: NOW_MS };
      },
      submit_quiz_attempt: () => outboxEntry(),
      get_quiz_attempt: () => answered({}, { submittedMs: NOW_MS, submittedBy: "learner", submission: outboxEntry() }),
    });
    await goTo("q6");
    await fireEvent.input(q(".answer-text"), { target: { value: "membrane" } });
    await fireEvent.blur(q(".answer-text"));
    await waitFor(() => expect(q(".save-state").dataset.state).toBe("error"));
    expect(q(".save-state [role=alert]").textContent, "a failure is announced").toContain("The disk is full.");
    await fireEvent.click(byId("quiz-review"));
    await waitFor(() => expect(q('.review-item[data-question-id="q6"]').textContent).toContain("Not saved"));
    await fireEvent.click(byId("quiz-submit"));
    await fireEvent.click(byId("confirm-submit"));
    await waitFor(() => expect(document.querySelector("#quiz-review-heading ~ [role=alert]")).not.toBeNull());
    expect(q("#quiz-review-heading ~ [role=alert]").textContent).toContain("questions 6 are not saved");
    expect(callsOf(calls, "submit_quiz_attempt"), "submitting would drop the typed answer").toHaveLength(0);
    expect(byId("quiz-submit-dialog").hasAttribute("open")).toBe(false);

    failing = false;
    const tries = callsOf(calls, "save_quiz_answer").length;
    await fireEvent.click(byId("quiz-submit"));
    await fireEvent.click(byId("confirm-submit"));
    await waitFor(() => expect(callsOf(calls, "submit_quiz_attempt")).toHaveLength(1));
    const saves = callsOf(calls, "save_quiz_answer");
    expect(saves.length, "the answer was saved again before submitting").toBe(tries + 1);
    expect(saves[saves.length - 1]?.args.answer).toEqual({ type: "short_answer", text: "membrane" });
  });

  it("does not announce saving and saved: the save state is no live region", async () => {
    await startPlayer();
    const state = q(".save-state");
    expect(state.getAttribute("aria-live")).toBeNull();
    expect(state.getAttribute("role")).toBeNull();
    expect(state.closest("[aria-live]")).toBeNull();
  });
});

describe("the quiz player by keyboard", () => {
  it("moves focus to the question's heading on Next, Previous and the navigator", async () => {
    await startPlayer();
    await fireEvent.click(byId("quiz-next"));
    await waitFor(() => expect(document.activeElement).toBe(byId("quiz-question-heading")));
    expect(byId("quiz-question-heading").textContent).toContain("Question 2 of 8");
    await fireEvent.click(q('.quiz-nav button[data-question-id="q5"]'));
    await waitFor(() => expect(byId("quiz-question-heading").textContent).toContain("Question 5 of 8"));
    expect(document.activeElement).toBe(byId("quiz-question-heading"));
    expect(q('.quiz-nav button[data-question-id="q5"]').getAttribute("aria-current")).toBe("step");
  });

  it("keeps focus on the item moved, on its other button at the end of the list", async () => {
    await startPlayer();
    await goTo("q5");
    await fireEvent.click(q('li[data-item-id="z"] .move-up'));
    await waitFor(() => expect(document.activeElement).toBe(q('li[data-item-id="z"] .move-up')));
    await fireEvent.click(q('li[data-item-id="z"] .move-up'));
    await waitFor(() => expect(document.activeElement).toBe(q('li[data-item-id="z"] .move-down')));
    const rows = Array.from(document.querySelectorAll<HTMLElement>("li[data-item-id]"), (li) => li.dataset.itemId);
    expect(rows).toEqual(["z", "x", "y"]);
  });

  it("does not carry an ordering's announcement over to another question", async () => {
    await startPlayer();
    await goTo("q5");
    await fireEvent.click(q('li[data-item-id="y"] .move-up'));
    expect(q(".ordering [aria-live]").textContent).toBe("Prophase moved to position 1 of 3.");
    await goTo("q4");
    await goTo("q5");
    expect(q(".ordering [aria-live]").textContent).toBe("");
  });

  it("shows a practice key only once checked, then gives the feedback focus", async () => {
    await startPlayer({
      get_quiz: () => quizState({ practice: true }),
      start_quiz_attempt: () => attemptView({ practice: true }),
      check_quiz_answer: () => ({
        grade: { questionId: "q1", points: 1, score: 1, verdict: "correct" },
        feedback: null,
        key: { type: "single_choice", choice: "b" },
      }),
    });
    await fireEvent.click(q('input[name="q-q1"][value="b"]'));
    await waitFor(() => expect(q(".save-state").dataset.state).toBe("saved"));
    expect(byId("quiz-player").textContent).not.toContain("The right answer");
    expect(document.querySelector(".feedback")).toBeNull();
    await fireEvent.click(q(".check"));
    await waitFor(() => expect(document.activeElement).toBe(byId("quiz-feedback-q1")));
    expect(byId("quiz-feedback-q1").textContent).toContain("The right answer: Mitochondrion");
  });

  it("traps focus in the submit dialog, starting on Keep working; Escape closes it and returns focus", async () => {
    const { calls } = await startPlayer();
    await fireEvent.click(byId("quiz-review"));
    byId("quiz-submit").focus();
    await fireEvent.click(byId("quiz-submit"));
    await waitFor(() => expect(byId("quiz-submit-dialog").hasAttribute("open")).toBe(true));
    expect(document.activeElement).toBe(byId("quiz-submit-dialog-cancel"));
    await fireEvent.keyDown(byId("quiz-submit-dialog-cancel"), { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(byId("confirm-submit"));
    await fireEvent.keyDown(byId("confirm-submit"), { key: "Tab" });
    expect(document.activeElement).toBe(byId("quiz-submit-dialog-cancel"));
    await fireEvent.keyDown(byId("quiz-submit-dialog-cancel"), { key: "Escape" });
    await waitFor(() => expect(byId("quiz-submit-dialog").hasAttribute("open")).toBe(false));
    expect(document.activeElement).toBe(byId("quiz-submit"));
    expect(callsOf(calls, "submit_quiz_attempt")).toHaveLength(0);
  });

  it("warns, without blocking, when an essay is over its word limit", async () => {
    await startPlayer();
    await goTo("q8");
    const essay = q("textarea.answer-essay");
    await fireEvent.input(essay, { target: { value: Array.from({ length: 60 }, () => "word").join(" ") } });
    expect(byId("q-q8-words-limit").textContent).toBe("10 words more than the 50 asked. You can still submit.");
    expect(byId("q-q8-words-limit").dataset.limit).toBe("above");
    expect(essay.getAttribute("aria-describedby")).toContain("q-q8-words-limit");
    expect(document.querySelector("#q-q8-words ~ [aria-live]")?.textContent, "said once, on crossing").toBe(
      "10 words more than the 50 asked. You can still submit.",
    );
    await fireEvent.input(essay, { target: { value: "Water moves across a membrane freely." } });
    expect(document.getElementById("q-q8-words-limit")).toBeNull();
  });
});

describe("the countdown, resumed", () => {
  it("says the time really left when resumed under five minutes", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    vi.setSystemTime(NOW_MS);
    await startPlayer({ start_quiz_attempt: () => attemptView({ deadlineMs: NOW_MS + 3 * 60_000, nowMs: NOW_MS }) });
    expect(byId("quiz-time-announce").textContent).toBe("3 minutes left.");
    await act(() => vi.advanceTimersByTime(2 * 60_000 + 1_000));
    expect(byId("quiz-time-announce").textContent).toBe("1 minute left.");
  });
});
