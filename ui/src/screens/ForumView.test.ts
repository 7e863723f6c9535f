// A course forum against a fake backend: topics with what is new, a topic read and marked read,
// the learner's posts on their way, and writing a reply or a topic (draft kept, posted once).
import { emit } from "@tauri-apps/api/event";
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup, fireEvent, render, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AppState } from "../lib/app-state.svelte";
import type { ForumDraft, ForumView, NewPost, PostView, TopicSummary, TopicView } from "../lib/backend";
import { outboxEntry } from "../test/assess-fixtures";
import { byId } from "../test/dom";
import { callsOf, fakeBackend, type Handler } from "../test/backend";
import ForumViewScreen from "./ForumView.svelte";

afterEach(() => {
  cleanup();
  clearMocks();
  vi.useRealTimers();
});

const AT = Date.UTC(2027, 1, 10, 9, 30);

function summary(overrides: Partial<TopicSummary> = {}): TopicSummary {
  return {
    id: "intro",
    title: "Introduce yourself",
    fromCourse: true,
    author: null,
    pinned: false,
    hidden: false,
    replies: 2,
    unread: 1,
    waiting: 0,
    lastPostMs: AT,
    ...overrides,
  };
}

function forum(overrides: Partial<ForumView> = {}): ForumView {
  return {
    courseId: "bio-101",
    itemId: "i-forum",
    title: "Block 1 forum",
    description: "Share your *experience*.",
    topics: [
      summary(),
      summary({
        id: "p-7",
        title: "Recruitment fees",
        fromCourse: false,
        author: "Ben",
        replies: 0,
        unread: 0,
        waiting: 1,
      }),
    ],
    draft: null,
    synced: true,
    ...overrides,
  };
}

function post(overrides: Partial<PostView> = {}): PostView {
  return {
    postId: "p-1",
    replyTo: null,
    replyToAuthor: null,
    author: "Ana",
    byTutor: false,
    mine: false,
    body: "I am Ana, from **Lisbon**.",
    attachments: [],
    atMs: AT,
    hidden: false,
    pinned: false,
    new: true,
    state: "posted",
    problem: null,
    ...overrides,
  };
}

function topic(overrides: Partial<TopicView> = {}): TopicView {
  return {
    courseId: "bio-101",
    itemId: "i-forum",
    forumTitle: "Block 1 forum",
    topic: summary(),
    opening: null,
    prompt: "Tell the group who you are.",
    posts: [
      post(),
      post({
        postId: "p-2",
        author: "",
        mine: true,
        new: false,
        body: "Welcome!",
        replyTo: "p-1",
        replyToAuthor: "Ana",
        state: "waiting",
      }),
    ],
    draft: null,
    ...overrides,
  };
}

async function renderForum(topicId: string | null, handlers: Record<string, Handler> = {}) {
  const calls = fakeBackend({
    get_forum: () => forum(),
    get_forum_topic: () => topic(),
    mark_forum_topic_read: () => null,
    save_forum_draft: () => null,
    post_to_forum: () => outboxEntry({ kind: "forum_post" }),
    ...handlers,
  });
  const shell = new AppState();
  render(ForumViewScreen, { shell, courseId: "bio-101", itemId: "i-forum", topicId });
  await waitFor(() => expect(document.getElementById("forum-view")?.textContent).not.toContain("Loading"));
  return { calls, shell };
}

describe("a forum's topics", () => {
  it("lists the course's topics and the participants', with what is new and what waits", async () => {
    const { shell } = await renderForum(null);
    const topics = [...document.querySelectorAll<HTMLElement>(".topic")];
    expect(topics.map((li) => li.dataset.topicId)).toEqual(["intro", "p-7"]);
    expect(topics[0]?.textContent).toContain("From the course");
    expect(topics[0]?.textContent).toContain("2 replies");
    expect(topics[0]?.textContent).toContain("1 new");
    expect(topics[1]?.textContent).toContain("Started by Ben");
    expect(topics[1]?.textContent).toContain("0 replies");
    expect(topics[1]?.textContent).toContain("1 waiting to be sent");
    expect(document.getElementById("forum-not-synced")).toBeNull();
    await fireEvent.click(byId("forum-topic-p-7"));
    expect(shell.assessment).toEqual({ kind: "forum", courseId: "bio-101", itemId: "i-forum", topicId: "p-7" });
  });

  it("says posts arrive with the sync when it has never synced", async () => {
    await renderForum(null, { get_forum: () => forum({ synced: false }) });
    expect(byId("forum-not-synced").textContent).toContain("sign in");
  });

  it("starts a topic only with a title and a text, and posts it once", async () => {
    const { calls } = await renderForum(null);
    await fireEvent.click(byId("forum-new-topic-post"));
    expect(byId("forum-new-topic-problem").textContent).toBe("Give your topic a title.");
    await fireEvent.input(byId("forum-new-topic-title"), { target: { value: "Fees" } });
    await fireEvent.click(byId("forum-new-topic-post"));
    expect(byId("forum-new-topic-problem").textContent).toBe("Write your message before posting.");
    expect(callsOf(calls, "post_to_forum")).toHaveLength(0);
    await fireEvent.input(byId("forum-new-topic-body"), { target: { value: "Who pays them?" } });
    await fireEvent.click(byId("forum-new-topic-post"));
    await waitFor(() => expect(callsOf(calls, "post_to_forum")).toHaveLength(1));
    const sent = callsOf(calls, "post_to_forum")[0]?.args as { post: NewPost };
    expect(sent.post).toEqual({
      topicId: null,
      replyTo: null,
      title: "Fees",
      body: "Who pays them?",
      attachments: [],
    });
    await waitFor(() => expect(byId("forum-message").textContent).toContain("Outbox"));
    expect((byId("forum-new-topic-body") as HTMLTextAreaElement).value).toBe("");
  });
});

describe("a topic", () => {
  it("shows the posts, new ones marked, and marks them read once shown", async () => {
    const { calls } = await renderForum("intro");
    expect(byId("forum-title").textContent).toContain("Introduce yourself");
    expect(byId("forum-prompt").textContent).toContain("Tell the group");
    const first = byId("forum-post-p-1");
    expect(first.dataset.new).toBe("true");
    expect(first.querySelector("strong")?.textContent).toBe("Lisbon");
    const mine = byId("forum-post-p-2");
    expect(mine.textContent).toContain("You");
    expect(mine.textContent).toContain("In reply to Ana");
    expect(mine.textContent).toContain("Waiting to be sent");
    expect(document.getElementById("forum-reply-to-p-2")).toBeNull();
    await waitFor(() => expect(callsOf(calls, "mark_forum_topic_read")).toHaveLength(1));
    expect(callsOf(calls, "mark_forum_topic_read")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-forum",
      topicId: "intro",
      postIds: ["p-1"],
    });
  });

  it("keeps a post's text from learners once a tutor hid it, and says why a post was refused", async () => {
    await renderForum("intro", {
      get_forum_topic: () =>
        topic({
          posts: [
            post({ hidden: true, body: "" }),
            post({ postId: "p-3", mine: true, state: "needs_attention", problem: "The topic is closed." }),
          ],
        }),
    });
    expect(byId("forum-post-p-1").textContent).toContain("A tutor hid this post.");
    expect(byId("forum-post-p-3").textContent).toContain("Not posted: The topic is closed.");
  });

  it("saves the draft when the learner picks another post to answer, and not while posting", async () => {
    const { calls } = await renderForum("intro", {
      get_forum_topic: () =>
        topic({ draft: { topicId: "intro", replyTo: null, title: "", body: "Kept", attachments: [] } }),
    });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    await fireEvent.click(byId("forum-reply-to-p-1"));
    await vi.advanceTimersByTimeAsync(1000);
    vi.useRealTimers();
    await waitFor(() => expect(callsOf(calls, "save_forum_draft")).toHaveLength(1));
    expect((callsOf(calls, "save_forum_draft")[0]?.args as { draft: ForumDraft }).draft.replyTo).toBe("p-1");
    await fireEvent.click(byId("forum-reply-post"));
    await waitFor(() => expect(callsOf(calls, "post_to_forum")).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(callsOf(calls, "save_forum_draft"), "the posted draft is not saved again").toHaveLength(1);
  });

  it("answers a post: the reply names it, is saved as a draft, and is posted with it", async () => {
    const { calls } = await renderForum("intro");
    await fireEvent.click(byId("forum-reply-to-p-1"));
    expect(byId("forum-reply-replying-to").textContent).toContain("Replying to Ana");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    await fireEvent.input(byId("forum-reply-body"), { target: { value: "Welcome, Ana." } });
    await vi.advanceTimersByTimeAsync(1000);
    vi.useRealTimers();
    await waitFor(() => expect(callsOf(calls, "save_forum_draft")).toHaveLength(1));
    const saved = callsOf(calls, "save_forum_draft")[0]?.args as { draft: ForumDraft };
    expect(saved.draft).toEqual({
      topicId: "intro",
      replyTo: "p-1",
      title: "",
      body: "Welcome, Ana.",
      attachments: [],
    });
    await fireEvent.click(byId("forum-reply-post"));
    await waitFor(() => expect(callsOf(calls, "post_to_forum")).toHaveLength(1));
    expect((callsOf(calls, "post_to_forum")[0]?.args as { post: NewPost }).post).toEqual({
      topicId: "intro",
      replyTo: "p-1",
      title: null,
      body: "Welcome, Ana.",
      attachments: [],
    });
    await waitFor(() => expect(document.getElementById("forum-reply-replying-to")).toBeNull());
  });

  it("brings back the reply being written, to the post it answered", async () => {
    await renderForum("intro", {
      get_forum_topic: () =>
        topic({
          draft: { topicId: "intro", replyTo: "p-1", title: "", body: "Half written", attachments: [] },
        }),
    });
    expect((byId("forum-reply-body") as HTMLTextAreaElement).value).toBe("Half written");
    expect(byId("forum-reply-replying-to").textContent).toContain("Ana");
  });

  it("opens a post's file through the backend, which fetches it if needed", async () => {
    const file = { sha256: "a".repeat(64), name: "list.csv", size: 2048 };
    const { calls } = await renderForum("intro", {
      get_forum_topic: () => topic({ posts: [post({ attachments: [file] })] }),
      open_forum_attachment: () => null,
    });
    const button = byId("forum-post-p-1").querySelector<HTMLButtonElement>(`button[data-sha256="${file.sha256}"]`);
    expect(button?.getAttribute("aria-label")).toBe("Open list.csv");
    await fireEvent.click(button!);
    await waitFor(() => expect(callsOf(calls, "open_forum_attachment")).toHaveLength(1));
    expect(callsOf(calls, "open_forum_attachment")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-forum",
      postId: "p-1",
      sha256: file.sha256,
    });
  });

  it("reads the topic again when the sync brings posts", async () => {
    let posts = [post()];
    await renderForum("intro", { get_forum_topic: () => topic({ posts }) });
    // Read now on the laptop, so the backend no longer says new; this view still shows it new.
    posts = [
      post({ new: false }),
      post({ postId: "p-9", author: "Tina", byTutor: true, body: "Keep to the topic." }),
    ];
    await emit("forum-changed", null);
    await waitFor(() => expect(document.getElementById("forum-post-p-9")).not.toBeNull());
    expect(byId("forum-post-p-9").textContent).toContain("Tutor");
    // Still marked new while this view shows it.
    expect(byId("forum-post-p-1").dataset.new).toBe("true");
  });
});
