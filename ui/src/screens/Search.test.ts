// The Search screen in the whole shell against a fake backend: searching as the learner types and
// on Enter, the course filter, results with their marked words (as text, never HTML), opening a
// result at its section, the hint, the empty state, stale answers, and errors.
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup, fireEvent, render, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import App from "../App.svelte";
import { AppState } from "../lib/app-state.svelte";
import type { SearchHit } from "../lib/backend";
import { callsOf, deferred, fakeBackend, type Handler } from "../test/backend";
import {
  appInfo,
  courseSummary,
  dashboard,
  onlineStatus,
  searchHit,
  studySettings,
} from "../test/fixtures";

afterEach(() => {
  cleanup();
  clearMocks();
});

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is not in the page`);
  return element;
}

function text(id: string): string {
  return byId(id).textContent?.replace(/\s+/g, " ").trim() ?? "";
}

const CHEM = courseSummary({ id: "chem-201", title: "Organic Chemistry" });

/** The shell, on the Search screen, with bio-101 and chem-201 installed. */
async function renderSearch(handlers: Record<string, Handler> = {}) {
  const calls = fakeBackend({
    get_app_info: () => appInfo(),
    get_server_status: () => onlineStatus(),
    take_pending_imports: () => [],
    take_notices: () => [],
    get_dashboard: () => dashboard(),
    get_study_settings: () => studySettings(),
    mark_interactive: () => null,
    list_courses: () => [courseSummary(), CHEM],
    search_courses: () => [searchHit()],
    ...handlers,
  });
  const shell = new AppState();
  render(App, { shell });
  await waitFor(() => expect(document.body.dataset.ready).toBe("true"));
  await fireEvent.click(byId("nav-search"));
  await waitFor(() => expect(byId("search-course").querySelectorAll("option")).toHaveLength(3));
  return { calls, shell };
}

async function type(value: string) {
  await fireEvent.input(byId("search-input"), { target: { value } });
}

async function submit() {
  await fireEvent.submit(byId("search-input").closest("form")!);
}

describe("the Search screen", () => {
  it("is in the main navigation, focuses its field, and shows the hint before anything is typed", async () => {
    const { calls } = await renderSearch();
    expect(byId("screen-search").querySelector("h1")?.textContent).toBe("Search your courses");
    expect(document.activeElement, "the learner can type at once").toBe(byId("search-input"));
    const input = byId("search-input") as HTMLInputElement;
    expect(input.type).toBe("search");
    expect(input.labels?.[0]?.textContent?.trim()).toBeTruthy();
    expect(text("search-hint")).toBe(
      "Search the text of every course on this computer, offline. Words in English, French and Spanish match their other forms.",
    );
    const options = [...byId("search-course").querySelectorAll("option")];
    expect(options.map((option) => [option.value, option.textContent?.trim()])).toEqual([
      ["", "All courses"],
      ["bio-101", "Introduction to Biology"],
      ["chem-201", "Organic Chemistry"],
    ]);
    expect(callsOf(calls, "search_courses"), "nothing typed, nothing searched").toHaveLength(0);
    expect(document.getElementById("search-results")).toBeNull();
    expect(document.getElementById("search-empty")).toBeNull();
  });

  it("searches all courses as the learner types, after a pause", async () => {
    const { calls } = await renderSearch();
    await type("cell");
    expect(callsOf(calls, "search_courses"), "not at every key").toHaveLength(0);
    await waitFor(() => expect(callsOf(calls, "search_courses")).toHaveLength(1));
    expect(callsOf(calls, "search_courses")[0]?.args).toEqual({ query: "cell", courseId: null });
    await waitFor(() => expect(document.getElementById("search-results")).not.toBeNull());
    expect(text("search-count")).toBe("1 result");
  });

  it("searches at once on Enter, and types once however fast the keys come", async () => {
    const { calls } = await renderSearch();
    await type("c");
    await type("ce");
    await type("cells");
    await submit();
    await waitFor(() => expect(callsOf(calls, "search_courses")).toHaveLength(1));
    expect(callsOf(calls, "search_courses")[0]?.args).toEqual({ query: "cells", courseId: null });
    // The pause timer was dropped by Enter: no second search of the same text.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(callsOf(calls, "search_courses")).toHaveLength(1);
  });

  it("searches only the chosen course", async () => {
    const { calls } = await renderSearch();
    await type("bond");
    await submit();
    await waitFor(() => expect(callsOf(calls, "search_courses")).toHaveLength(1));
    await fireEvent.change(byId("search-course"), { target: { value: "chem-201" } });
    await waitFor(() => expect(callsOf(calls, "search_courses")).toHaveLength(2));
    expect(callsOf(calls, "search_courses")[1]?.args).toEqual({
      query: "bond",
      courseId: "chem-201",
    });
  });

  it("shows each result's page, course, section and snippet, with matching words marked", async () => {
    const hits: SearchHit[] = [
      searchHit(),
      searchHit({
        courseId: "chem-201",
        itemId: "i-bonds",
        title: "Covalent bonds",
        heading: "Covalent bonds",
        anchor: null,
        headingIndex: 0,
        snippet: [{ text: "Atoms share ", hit: false }, { text: "cells", hit: true }],
      }),
      searchHit({ courseId: "gone-1", itemId: "p1", title: "Orphan", heading: "" }),
    ];
    await renderSearch({ search_courses: () => hits });
    await type("cells");
    await submit();
    await waitFor(() => expect(document.getElementById("search-results")).not.toBeNull());

    const list = byId("search-results");
    expect(list.tagName).toBe("OL");
    expect([...list.children].map((item) => item.id), "best first, as answered").toEqual([
      "search-hit-bio-101-i-intro",
      "search-hit-chem-201-i-bonds",
      "search-hit-gone-1-p1",
    ]);
    expect(text("search-count")).toBe("3 results");
    expect(byId("search-count").getAttribute("aria-live")).toBe("polite");

    const first = within(byId("search-hit-bio-101-i-intro"));
    expect(first.getByRole("heading", { level: 2 }).textContent).toBe("Welcome");
    expect(first.getByText("Introduction to Biology")).toBeTruthy();
    expect(first.getByText("Mitosis"), "the section, unlike the title").toBeTruthy();
    const marks = [...byId("search-hit-bio-101-i-intro").querySelectorAll("mark")];
    expect(marks.map((mark) => mark.textContent)).toEqual(["cells", "divide"]);
    expect(byId("search-hit-bio-101-i-intro").querySelector(".snippet")?.textContent).toBe(
      "How cells divide into two daughter cells…",
    );

    const second = byId("search-hit-chem-201-i-bonds");
    expect(second.textContent).toContain("Organic Chemistry");
    expect(
      within(second).getAllByText("Covalent bonds"),
      "a section named as the page is not said twice",
    ).toHaveLength(1);
    expect(byId("search-hit-gone-1-p1").textContent, "an unknown course: its id").toContain(
      "gone-1",
    );
  });

  it("shows snippet text as text, never as HTML", async () => {
    const attack = "<img src=x onerror=alert(1)>";
    await renderSearch({
      search_courses: () => [
        searchHit({
          title: "<b>bold</b>",
          heading: "<script>x</script>",
          snippet: [
            { text: attack, hit: false },
            { text: "<i>cells</i>", hit: true },
          ],
        }),
      ],
    });
    await type("cells");
    await submit();
    await waitFor(() => expect(document.getElementById("search-results")).not.toBeNull());
    const hit = byId("search-hit-bio-101-i-intro");
    expect(hit.querySelector("img"), "no element made from the page's text").toBeNull();
    expect(hit.querySelector("b, i, script")).toBeNull();
    expect(hit.querySelector(".snippet")?.textContent).toBe(`${attack}<i>cells</i>`);
    expect(hit.querySelector("mark")?.textContent).toBe("<i>cells</i>");
  });

  it("opens a result at its section", async () => {
    const { calls } = await renderSearch({ open_course_item: () => null });
    await type("cells");
    await submit();
    await waitFor(() => expect(document.getElementById("search-results")).not.toBeNull());
    const open = byId("search-open-bio-101-i-intro");
    expect(open.getAttribute("aria-label")).toBe("Open Welcome in Introduction to Biology");
    await fireEvent.click(open);
    await waitFor(() => expect(callsOf(calls, "open_course_item")).toHaveLength(1));
    expect(callsOf(calls, "open_course_item")[0]?.args).toEqual({
      courseId: "bio-101",
      itemId: "i-intro",
      place: { anchor: "mitosis", headingIndex: 2 },
    });
    expect(byId("search-message").hasAttribute("data-kind")).toBe(false);
  });

  it("says why a result could not be opened", async () => {
    await renderSearch({
      open_course_item: () => {
        throw { code: "content_damaged", message: "Files are damaged.", detail: "bio-101" };
      },
    });
    await type("cells");
    await submit();
    await waitFor(() => expect(document.getElementById("search-results")).not.toBeNull());
    await fireEvent.click(byId("search-open-bio-101-i-intro"));
    await waitFor(() => expect(byId("search-message").dataset.kind).toBe("error"));
    expect(text("search-message")).toBe("Files are damaged.");
  });

  it("says when no page matches, and goes back to the hint when the field is cleared", async () => {
    await renderSearch({ search_courses: () => [] });
    await type("  zebra ");
    await submit();
    await waitFor(() => expect(document.getElementById("search-empty")).not.toBeNull());
    expect(text("search-empty")).toBe("No page mentions “zebra”.");
    expect(document.getElementById("search-results")).toBeNull();

    await type("");
    await waitFor(() => expect(document.getElementById("search-empty")).toBeNull());
    expect(text("search-count")).toBe("");
  });

  it("ignores an answer that arrives after the answer to a later search", async () => {
    const slow = deferred<SearchHit[]>();
    const answers: Array<() => unknown> = [
      () => slow.promise,
      () => [searchHit({ itemId: "i-new", title: "Newer" })],
    ];
    const { calls } = await renderSearch({ search_courses: () => answers.shift()!() });
    await type("cel");
    await submit();
    await type("cells");
    await submit();
    await waitFor(() => expect(document.getElementById("search-hit-bio-101-i-new")).not.toBeNull());
    expect(callsOf(calls, "search_courses")).toHaveLength(2);

    slow.resolve([searchHit({ itemId: "i-old", title: "Older" })]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(document.getElementById("search-hit-bio-101-i-old"), "the stale answer").toBeNull();
    expect(document.getElementById("search-hit-bio-101-i-new")).not.toBeNull();
  });

  it("shows why the search failed in a live region", async () => {
    await renderSearch({
      search_courses: () => {
        throw { code: "search_unavailable", message: "Search is not available.", detail: null };
      },
    });
    await type("cells");
    await submit();
    await waitFor(() => expect(byId("search-message").dataset.kind).toBe("error"));
    expect(text("search-message")).toBe("Search is not available.");
    expect(byId("search-message").getAttribute("aria-live")).toBe("polite");
  });
});
