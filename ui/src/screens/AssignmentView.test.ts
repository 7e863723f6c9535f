// The assignment editor against a fake backend.
import { emit } from "@tauri-apps/api/event";
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup, fireEvent, render, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AppState } from "../lib/app-state.svelte";
import type { AssignmentState, DraftEdit, GroupWork } from "../lib/backend";
import { assignmentState, draft, NOW_MS, outboxEntry } from "../test/assess-fixtures";
import { byId } from "../test/dom";
import { callsOf, deferred, fakeBackend, type Handler } from "../test/backend";
import { appInfo, onlineStatus } from "../test/fixtures";
import AssignmentView from "./AssignmentView.svelte";

afterEach(() => {
  cleanup();
  clearMocks();
  vi.useRealTimers();
});

const FILE = { sha256: "f".repeat(64), name: "figure.pdf", size: 120_000 };

async function renderEditor(handlers: Record<string, Handler> = {}, state: AssignmentState = assignmentState()) {
  let current = state;
  const calls = fakeBackend({
    get_assignment: () => current,
    save_assignment_draft: (args) => {
      const edit = (args as { edit: DraftEdit }).edit;
      const saved = draft({ ...edit, revision: current.draft.revision + 1, updatedMs: NOW_MS });
      current = { ...current, draft: saved };
      return saved;
    },
    ...handlers,
  });
  const shell = new AppState();
  render(AssignmentView, { shell, courseId: "bio-101", itemId: "i-essay" });
  await waitFor(() => expect(document.getElementById("draft-text")).not.toBeNull());
  return { calls, shell, set: (next: AssignmentState) => (current = next) };
}

describe("the assignment editor", () => {
  it("shows what is asked: individual work, due date in both zones, length and file limits", async () => {
    await renderEditor();
    const view = byId("assignment-view");
    expect(view.textContent).toContain("Individual work");
    expect(byId("assignment-due").textContent).toContain("Europe/Zurich");
    expect(byId("assignment-due").textContent).toContain("your time");
    expect(view.textContent).toContain("3–2500 words");
    expect(byId("attachments-limits").textContent).toBe("0 of 3 files, up to 20 MB each; pdf, docx");
    expect((byId("draft-text") as HTMLTextAreaElement).value).toBe("My essay about cells.");
  });

  it("counts words as the backend does, with the limits asked", async () => {
    await renderEditor();
    await fireEvent.input(byId("draft-text"), { target: { value: "It's a well-known cell." } });
    expect(byId("draft-words").textContent?.trim()).toBe("4 words · 3–2,500 asked");
  });

  it("autosaves after a pause, once, and says when it saved", async () => {
    const { calls } = await renderEditor();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const area = byId("draft-text");
    await fireEvent.input(area, { target: { value: "First" } });
    await fireEvent.input(area, { target: { value: "First words" } });
    expect(byId("draft-save-state").dataset.state).toBe("saving");
    await vi.advanceTimersByTimeAsync(900);
    expect(callsOf(calls, "save_assignment_draft")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(200);
    vi.useRealTimers();
    await waitFor(() => expect(byId("draft-save-state").dataset.state).toBe("saved"));
    expect(callsOf(calls, "save_assignment_draft")).toHaveLength(1);
    expect(callsOf(calls, "save_assignment_draft")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-essay",
      edit: { text: "First words", groupName: null, declared: false },
    });
    expect(byId("draft-save-state").textContent).toContain("Saved");
  });

  it("saves on leaving the field, and on the window being hidden", async () => {
    const { calls } = await renderEditor();
    await fireEvent.input(byId("draft-text"), { target: { value: "Blurred" } });
    await fireEvent.blur(byId("draft-text"));
    await waitFor(() => expect(callsOf(calls, "save_assignment_draft")).toHaveLength(1));
    await fireEvent.input(byId("draft-text"), { target: { value: "Hidden" } });
    Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
    await waitFor(() => expect(callsOf(calls, "save_assignment_draft")).toHaveLength(2));
    Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
    expect(callsOf(calls, "save_assignment_draft")[1]?.args.edit).toMatchObject({ text: "Hidden" });
  });

  it("shows a failed save and keeps the text", async () => {
    await renderEditor({
      save_assignment_draft: () => {
        throw { code: "progress_unavailable", message: "The disk is full." };
      },
    });
    await fireEvent.input(byId("draft-text"), { target: { value: "Keep me" } });
    await fireEvent.blur(byId("draft-text"));
    await waitFor(() => expect(byId("draft-save-state").dataset.state).toBe("error"));
    expect(byId("draft-save-state").textContent).toContain("The disk is full.");
    expect((byId("draft-text") as HTMLTextAreaElement).value).toBe("Keep me");
  });

  it("switches Write and Preview with the arrow keys, rendering Markdown safely", async () => {
    await renderEditor();
    await fireEvent.input(byId("draft-text"), { target: { value: "**bold** <script>x</script>" } });
    const write = byId("draft-tab-write");
    expect(write.getAttribute("aria-selected")).toBe("true");
    await fireEvent.keyDown(write, { key: "ArrowRight" });
    await waitFor(() => expect(byId("draft-tab-preview").getAttribute("aria-selected")).toBe("true"));
    expect(document.activeElement).toBe(byId("draft-tab-preview"));
    const preview = byId("draft-panel-preview");
    expect(preview.hidden).toBe(false);
    expect(preview.querySelector("strong")?.textContent).toBe("bold");
    expect(preview.querySelector("script")).toBeNull();
    expect(byId("draft-panel-write").hidden).toBe(true);
  });

  it("adds picked files, lists refused ones with their message, and removes", async () => {
    let attached = [] as (typeof FILE)[];
    const { calls } = await renderEditor({
      pick_attachments: () => ["/home/me/figure.pdf", "/home/me/run.exe"],
      add_attachments: () => {
        attached = [FILE];
        return { added: [FILE], refused: [{ path: "/home/me/run.exe", message: "run.exe: this type is not accepted." }] };
      },
      get_assignment: () => assignmentState({ attachments: attached }),
      remove_attachment: () => {
        attached = [];
        return draft();
      },
    });
    await fireEvent.click(byId("add-attachments"));
    await waitFor(() => expect(document.querySelector(`.attachment[data-sha256="${FILE.sha256}"]`)).not.toBeNull());
    expect(callsOf(calls, "add_attachments")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-essay",
      paths: ["/home/me/figure.pdf", "/home/me/run.exe"],
    });
    expect(byId("attachments-refused").textContent).toContain("run.exe: this type is not accepted.");
    expect(byId("attachments-limits").textContent).toContain("1 of 3 files");
    const row = document.querySelector<HTMLElement>(`.attachment[data-sha256="${FILE.sha256}"]`)!;
    await fireEvent.click(row.querySelector("button")!);
    await waitFor(() => expect(document.querySelector(".attachment")).toBeNull());
    expect(callsOf(calls, "remove_attachment")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-essay",
      sha256: FILE.sha256,
    });
  });

  it("attaches nothing when the dialog is cancelled", async () => {
    const { calls } = await renderEditor({ pick_attachments: () => [] });
    await fireEvent.click(byId("add-attachments"));
    await waitFor(() => expect(callsOf(calls, "pick_attachments")).toHaveLength(1));
    expect(callsOf(calls, "add_attachments")).toHaveLength(0);
  });

  it("requires the declaration before the review, saying so", async () => {
    const { calls } = await renderEditor({}, assignmentState({ declaration: "This is **my own** work." }));
    expect(byId("declaration-text").querySelector("strong")?.textContent).toBe("my own");
    await fireEvent.click(byId("assignment-submit"));
    await waitFor(() => expect(document.getElementById("declaration-missing")).not.toBeNull());
    expect(byId("declaration-missing").textContent).toBe("Confirm the declaration to submit.");
    expect(document.activeElement).toBe(byId("declaration"));
    await fireEvent.click(byId("declaration"));
    await waitFor(() => expect(callsOf(calls, "save_assignment_draft")).toHaveLength(1));
    expect(callsOf(calls, "save_assignment_draft")[0]?.args.edit).toMatchObject({ declared: true });
    expect(document.getElementById("declaration-missing")).toBeNull();
  });

  it("offers the learner's group from the course server, and uses it on request", async () => {
    const { calls } = await renderEditor(
      {},
      assignmentState({ group: true, serverGroup: { name: "Team Lisbon", members: ["Ben", "Chloé"] } }),
    );
    expect(byId("server-group").textContent).toContain("Your group on the course server: Team Lisbon, with Ben, Chloé.");
    await fireEvent.click(byId("use-server-group"));
    expect((byId("group-name") as HTMLInputElement).value).toBe("Team Lisbon");
    await waitFor(() => expect(callsOf(calls, "save_assignment_draft")).toHaveLength(1));
    expect(callsOf(calls, "save_assignment_draft")[0]?.args.edit).toMatchObject({ groupName: "Team Lisbon" });
    expect(document.getElementById("server-group"), "nothing to offer once it is the group").toBeNull();
  });

  it("says when the course team changed the due date for the learner, and why", async () => {
    await renderEditor({}, assignmentState({ timeZone: null, dueChanged: "Extension for illness" }));
    expect(byId("assignment-due").textContent).toContain("changed for you by your course team: Extension for illness");
  });

  it("shows the group's members, files and the submission another member sent, with its grade", async () => {
    const { calls, set } = await renderEditor(
      { open_group_file: () => null },
      assignmentState({ group: true, groupWork: groupWork() }),
    );
    expect(byId("group-heading").textContent?.trim()).toBe("Your group: Team B");
    expect(byId("group-members").textContent).toContain("Ana (you)");
    expect(byId("group-members").textContent).toContain("Ben");
    expect(byId("group-files").textContent).toContain("country-b-data.csv");
    expect(byId("group-files").textContent).toContain("placed by course team");
    expect(byId("group-submitted-by").textContent).toContain("Submitted for the group by Ben on");
    expect(byId("group-submitted-by").textContent).toContain("1,650 words");
    expect(byId("group-grade-waiting").textContent).toContain("Not graded yet");
    expect(byId("assignment-submit").textContent?.trim(), "the group has submitted").toBe("Review and resubmit");

    const open = document.querySelector<HTMLButtonElement>('.group-file[data-sha256="' + "c".repeat(64) + '"] button');
    expect(open?.getAttribute("aria-label")).toBe("Open country-b-data.csv");
    await fireEvent.click(open!);
    expect(callsOf(calls, "open_group_file")[0]?.args).toEqual({ courseId: "bio-101", sha256: "c".repeat(64) });
    const report = document.querySelector<HTMLButtonElement>(".group-submission-file button");
    expect(report?.getAttribute("aria-label")).toBe("Open report.pdf");
    await waitFor(() => expect(report?.disabled, "one file opens at a time").toBe(false));
    await fireEvent.click(report!);
    await waitFor(() => expect(callsOf(calls, "open_group_file")).toHaveLength(2));
    expect(callsOf(calls, "open_group_file")[1]?.args).toEqual({ courseId: "bio-101", sha256: "d".repeat(64) });

    // A grade arrives with the sync: the view re-reads when the shell says the groups changed.
    const graded = groupWork();
    graded.submission!.grade = {
      score: 15,
      maxScore: 20,
      passed: true,
      feedback: "A clear **comparison**.",
      gradedBy: "Dr Tutor",
      gradedMs: NOW_MS,
    };
    set(assignmentState({ group: true, groupWork: graded }));
    await emit("groups-changed", null);
    await waitFor(() => expect(document.getElementById("group-grade")).not.toBeNull());
    expect(byId("group-grade").textContent).toContain("Graded 15 out of 20");
    expect(byId("group-grade").textContent).toContain("passed");
    expect(byId("group-grade").textContent).toContain("by Dr Tutor");
    expect(byId("group-feedback").querySelector("strong")?.textContent).toBe("comparison");
  });

  it("warns that submitting replaces the group's submission, or refuses when the group has one", async () => {
    await renderEditor({}, assignmentState({ group: true, groupWork: groupWork(), draft: draft({ groupName: "Team B" }) }));
    await fireEvent.click(byId("assignment-submit"));
    await waitFor(() => expect(byId("assignment-review").hasAttribute("open")).toBe(true));
    expect(byId("review-group-replaces").textContent).toContain("Ben already submitted this for your group on");
    expect(byId("review-group-replaces").textContent).toContain("replaces theirs for the whole group");
    cleanup();

    await renderEditor({}, assignmentState({ group: true, resubmission: false, groupWork: groupWork() }));
    expect(byId("assignment-no-resubmission").textContent).toContain(
      "Ben already submitted this for your group, and it takes one submission per group.",
    );
    expect(byId("assignment-submit").hasAttribute("disabled")).toBe(true);
  });

  it("says the group appears after a sync, and counts the learner's group submission from another computer", async () => {
    await renderEditor({}, assignmentState({ group: true }));
    expect(byId("group-work-pending").textContent).toContain("after Carrel syncs");
    cleanup();
    const mine = groupWork();
    mine.submission!.byYou = true;
    await renderEditor({}, assignmentState({ group: true, resubmission: false, groupWork: mine }));
    expect(byId("group-submitted-by").textContent).toContain("Submitted for the group by you on");
    expect(byId("assignment-no-resubmission").textContent).toContain("You have submitted this assignment");
    expect(byId("assignment-submit").hasAttribute("disabled")).toBe(true);
    expect(document.getElementById("review-group-replaces")).toBeNull();
  });

  it("offers no server group for individual work or when it is already the group", async () => {
    await renderEditor(
      {},
      assignmentState({
        group: true,
        draft: draft({ groupName: "Team Lisbon" }),
        serverGroup: { name: "Team Lisbon", members: [] },
      }),
    );
    expect(document.getElementById("server-group")).toBeNull();
  });

  it("reviews exactly what will be sent and submits that revision", async () => {
    const submit = deferred<unknown>();
    const { calls, set } = await renderEditor(
      { submit_assignment: () => submit.promise },
      assignmentState({ group: true, attachments: [FILE], draft: draft({ groupName: "Team A" }) }),
    );
    expect((byId("group-name") as HTMLInputElement).value).toBe("Team A");
    await fireEvent.click(byId("assignment-submit"));
    await waitFor(() => expect(byId("assignment-review").hasAttribute("open")).toBe(true));
    expect(byId("review-revision").textContent).toBe("Draft revision 3");
    expect(byId("review-text").textContent).toContain("My essay about cells.");
    expect(byId("review-words").textContent).toBe("4");
    expect(byId("review-attachments").textContent).toContain("figure.pdf");
    expect(byId("review-group").textContent).toBe("Team A");
    await fireEvent.click(byId("confirm-submit"));
    expect(byId("confirm-submit").getAttribute("aria-disabled"), "busy, yet focus stays on it in the dialog").toBe("true");
    await fireEvent.click(byId("confirm-submit"));
    expect(callsOf(calls, "submit_assignment")).toHaveLength(1);
    expect(callsOf(calls, "submit_assignment")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-essay",
      revision: 3,
    });
    set(assignmentState({ group: true, submissions: [outboxEntry({ kind: "assignment", state: "queued" })] }));
    submit.resolve(outboxEntry({ kind: "assignment" }));
    await waitFor(() => expect(document.querySelector('.submission[data-outbox-state="queued"]')).not.toBeNull());
    expect((byId("draft-text") as HTMLTextAreaElement).value, "submitting never clears the draft").toBe(
      "My essay about cells.",
    );
    expect(byId("assignment-submit").textContent?.trim()).toBe("Review and resubmit");
  });

  it("explains a draft that changed since the review, and reviews the new revision", async () => {
    let tries = 0;
    const { calls, set } = await renderEditor({
      submit_assignment: () => {
        tries += 1;
        if (tries === 1) {
          set(assignmentState({ draft: draft({ text: "Changed elsewhere.", revision: 5 }) }));
          throw { code: "draft_changed", message: "The draft changed." };
        }
        return outboxEntry({ kind: "assignment" });
      },
    });
    await fireEvent.click(byId("assignment-submit"));
    await waitFor(() => expect(byId("assignment-review").hasAttribute("open")).toBe(true));
    await fireEvent.click(byId("confirm-submit"));
    await waitFor(() => expect(document.getElementById("review-draft-changed")).not.toBeNull());
    expect(byId("review-revision").textContent).toBe("Draft revision 5");
    expect(byId("review-text").textContent).toContain("Changed elsewhere.");
    await fireEvent.click(byId("confirm-submit"));
    await waitFor(() => expect(callsOf(calls, "submit_assignment")).toHaveLength(2));
    expect(callsOf(calls, "submit_assignment")[1]?.args.revision).toBe(5);
  });

  it("shows why it is not ready", async () => {
    await renderEditor({
      submit_assignment: () => {
        throw { code: "not_ready", message: "Write at least 3 words." };
      },
    });
    await fireEvent.click(byId("assignment-submit"));
    await waitFor(() => expect(byId("assignment-review").hasAttribute("open")).toBe(true));
    await fireEvent.click(byId("confirm-submit"));
    await waitFor(() => expect(document.getElementById("review-error")).not.toBeNull());
    expect(byId("review-error").textContent).toBe("Write at least 3 words.");
  });

  it("says when it cannot be submitted again, and disables Submit", async () => {
    await renderEditor(
      {},
      assignmentState({ resubmission: false, submissions: [outboxEntry({ kind: "assignment", state: "received" })] }),
    );
    expect(byId("assignment-no-resubmission").textContent).toContain("cannot be submitted again");
    expect((byId("assignment-submit") as HTMLButtonElement).disabled).toBe(true);
  });

  it("views and restores an earlier version, after asking", async () => {
    const version = { id: 7, savedMs: NOW_MS - 3_600_000, words: 2, preview: "Old text" };
    const { calls } = await renderEditor(
      {
        get_draft_version: () => "Old text, in full.",
        restore_draft_version: () => draft({ text: "Old text, in full.", revision: 4 }),
      },
      assignmentState({ versions: [version] }),
    );
    const row = document.querySelector<HTMLElement>('.version[data-version-id="7"]')!;
    await fireEvent.click(row.querySelector(".version-view")!);
    await waitFor(() => expect(document.getElementById("version-text")?.textContent).toBe("Old text, in full."));
    expect(callsOf(calls, "get_draft_version")[0]?.args).toEqual({ courseId: "bio-101", itemId: "i-essay", versionId: 7 });
    await fireEvent.keyDown(byId("version-dialog"), { key: "Escape" });
    await fireEvent.click(row.querySelector(".version-restore")!);
    await waitFor(() => expect(byId("restore-dialog").hasAttribute("open")).toBe(true));
    expect(byId("restore-dialog").textContent).toContain("The current text is kept in the versions");
    expect(callsOf(calls, "restore_draft_version")).toHaveLength(0);
    await fireEvent.click(byId("restore-dialog-confirm"));
    await waitFor(() => expect((byId("draft-text") as HTMLTextAreaElement).value).toBe("Old text, in full."));
    expect(callsOf(calls, "restore_draft_version")[0]?.args).toEqual({ courseId: "bio-101", itemId: "i-essay", versionId: 7 });
  });
});

describe("files dropped on the window", () => {
  it("attach to the draft while the editor shows; course packages still go to the Library", async () => {
    const calls = fakeBackend({
      get_app_info: () => appInfo(),
      get_server_status: () => onlineStatus(),
      take_pending_imports: () => [],
      take_notices: () => [],
      list_outbox: () => [],
      get_assignment: () => assignmentState(),
      add_attachments: () => ({ added: [], refused: [] }),
      list_courses: () => [],
      get_catalog: () => ({ courses: [] }),
      import_course_file: () => new Promise(() => undefined),
    });
    const shell = new AppState();
    await shell.start();
    render(AssignmentView, { shell, courseId: "bio-101", itemId: "i-essay" });
    await waitFor(() => expect(document.getElementById("draft-text")).not.toBeNull());
    await emit("course-files-dropped", { paths: ["/tmp/notes.pdf", "/tmp/Biology.carrel"] });
    await waitFor(() => expect(callsOf(calls, "add_attachments")).toHaveLength(1));
    expect(callsOf(calls, "add_attachments")[0]?.args.paths).toEqual(["/tmp/notes.pdf"]);
    await waitFor(() => expect(callsOf(calls, "import_course_file")).toHaveLength(1));
    expect(callsOf(calls, "import_course_file")[0]?.args.path).toBe("/tmp/Biology.carrel");
    expect(shell.screen).toBe("library");
    cleanup();
    expect(shell.dropTarget, "the editor gone, drops go to the Library again").toBeNull();
    shell.stop();
  });
});

describe("the assignment editor, more", () => {
  it("warns, without blocking, of a text outside the word limits, in the editor and the review", async () => {
    const { calls } = await renderEditor(
      { submit_assignment: () => outboxEntry({ kind: "assignment" }) },
      assignmentState({ minWords: 3, maxWords: 5, draft: draft({ text: "Two words" }) }),
    );
    expect(byId("draft-words-limit").textContent).toBe("1 word fewer than the 3 asked. You can still submit.");
    expect(byId("draft-words-limit").dataset.limit).toBe("below");
    expect(byId("draft-text").getAttribute("aria-describedby")).toBe("draft-words draft-words-limit");
    await fireEvent.input(byId("draft-text"), { target: { value: "One two three four five six seven" } });
    expect(byId("draft-words-limit").textContent).toBe("2 words more than the 5 asked. You can still submit.");
    await fireEvent.click(byId("assignment-submit"));
    await waitFor(() => expect(byId("assignment-review").hasAttribute("open")).toBe(true));
    expect(byId("review-words").textContent).toBe("7");
    expect(byId("review-words-limit").textContent).toBe("2 words more than the 5 asked. You can still submit.");
    await fireEvent.click(byId("confirm-submit"));
    await waitFor(() => expect(callsOf(calls, "submit_assignment")).toHaveLength(1));
  });

  it("does not announce saving and saved; a failed save is an alert", async () => {
    await renderEditor({
      save_assignment_draft: () => {
        throw { code: "progress_unavailable", message: "The disk is full." };
      },
    });
    expect(byId("draft-save-state").getAttribute("aria-live")).toBeNull();
    expect(byId("draft-save-state").getAttribute("role")).toBeNull();
    await fireEvent.input(byId("draft-text"), { target: { value: "Keep me" } });
    await fireEvent.blur(byId("draft-text"));
    await waitFor(() => expect(byId("draft-save-state").querySelector("[role=alert]")?.textContent).toContain("The disk is full."));
  });

  it("does not review, nor restore a version over, text that could not be saved", async () => {
    const version = { id: 7, savedMs: NOW_MS - 3_600_000, words: 2, preview: "Old text" };
    const { calls } = await renderEditor(
      {
        save_assignment_draft: () => {
          throw { code: "progress_unavailable", message: "The disk is full." };
        },
        restore_draft_version: () => draft({ text: "Old text, in full.", revision: 4 }),
      },
      assignmentState({ versions: [version] }),
    );
    await fireEvent.input(byId("draft-text"), { target: { value: "Typed and not saved" } });
    await fireEvent.click(byId("assignment-submit"));
    await waitFor(() => expect(byId("assignment-message").textContent).toContain("not saved yet"));
    expect(byId("assignment-review").hasAttribute("open")).toBe(false);
    await fireEvent.click(document.querySelector<HTMLElement>('.version[data-version-id="7"] .version-restore')!);
    await waitFor(() => expect(byId("restore-dialog").hasAttribute("open")).toBe(true));
    await fireEvent.click(byId("restore-dialog-confirm"));
    await waitFor(() => expect(byId("restore-dialog").hasAttribute("open")).toBe(false));
    expect(callsOf(calls, "restore_draft_version"), "restoring would replace the only copy").toHaveLength(0);
    expect((byId("draft-text") as HTMLTextAreaElement).value).toBe("Typed and not saved");
    expect(byId("assignment-message").textContent).toContain("before restoring");
  });

  it("writes file sizes as the backend does (powers of 1024, KB and MB)", async () => {
    await renderEditor(
      {},
      assignmentState({ maxAttachmentBytes: 5 * 1024 * 1024, attachments: [{ ...FILE, size: 86_016 }] }),
    );
    expect(byId("attachments-limits").textContent).toContain("up to 5 MB each");
    expect(document.querySelector(`.attachment[data-sha256="${FILE.sha256}"]`)?.textContent).toContain("84 KB");
  });

  it("switches tabs with Left, Home and End too, and removing a file leaves focus on Add files", async () => {
    await renderEditor(
      { remove_attachment: () => draft() },
      assignmentState({ attachments: [FILE] }),
    );
    await fireEvent.keyDown(byId("draft-tab-write"), { key: "End" });
    await waitFor(() => expect(document.activeElement).toBe(byId("draft-tab-preview")));
    await fireEvent.keyDown(byId("draft-tab-preview"), { key: "ArrowLeft" });
    await waitFor(() => expect(document.activeElement).toBe(byId("draft-tab-write")));
    expect(byId("draft-tab-write").getAttribute("tabindex")).toBe("0");
    expect(byId("draft-tab-preview").getAttribute("tabindex")).toBe("-1");
    await fireEvent.click(document.querySelector<HTMLElement>(".attachment .remove")!);
    await waitFor(() => expect(document.activeElement).toBe(byId("add-attachments")));
    expect(byId("assignment-message").textContent).toContain("Removed figure.pdf.");
  });
});

function groupWork(): GroupWork {
  return {
    name: "Team B",
    members: [
      { displayName: "Ana", you: true },
      { displayName: "Ben", you: false },
    ],
    files: [
      {
        file: { sha256: "c".repeat(64), name: "country-b-data.csv", size: 2048 },
        addedBy: "course team",
        addedMs: NOW_MS - 86_400_000,
      },
    ],
    submission: {
      submissionId: "s-ben",
      submittedBy: "Ben",
      byYou: false,
      receivedMs: NOW_MS - 3_600_000,
      words: 1650,
      attachments: [{ sha256: "d".repeat(64), name: "report.pdf", size: 30_000 }],
      count: 1,
      grade: null,
    },
    fetchedMs: NOW_MS,
  };
}
