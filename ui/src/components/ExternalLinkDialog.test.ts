// The question asked in the main window when a course page tried to open a website, in the whole
// shell, against a fake backend that sends `external-link-requested` events.
import { emit } from "@tauri-apps/api/event";
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup, fireEvent, waitFor } from "@testing-library/svelte";
import { tick } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { externalWebAddress } from "../lib/app-state.svelte";
import { callsOf, deferred, type Handler } from "../test/backend";
import { byId } from "../test/dom";
import { renderShell } from "../test/shell";

afterEach(() => {
  cleanup();
  clearMocks();
});

const LONG_URL =
  "https://www.example.org/courses/biology/cells/membranes?section=transport&lang=en#active-transport";

/** What a course page's link asks for, as the Rust side sends it. */
async function requestLink(url: unknown): Promise<void> {
  await emit("external-link-requested", { url });
  await tick();
}

function dialogShown(): boolean {
  return document.getElementById("external-link-dialog")?.hasAttribute("open") ?? false;
}

async function renderWithLink(handlers: Record<string, Handler> = {}) {
  const rendered = await renderShell({ open_external_link: () => null, ...handlers });
  await requestLink(LONG_URL);
  await waitFor(() => expect(dialogShown()).toBe(true));
  return rendered;
}

describe("the external link dialog", () => {
  it("shows the host prominently and the full address, with Stay in Carrel focused", async () => {
    await renderWithLink();
    const dialog = byId("external-link-dialog");
    expect(byId("external-link-title").textContent).toBe("Open this website in your browser?");
    expect(dialog.getAttribute("aria-labelledby")).toBe("external-link-title");
    expect(byId("external-link-body").textContent).toContain("a website outside Carrel");
    expect(byId("external-link-body").textContent).toContain("internet connection");
    expect(byId("external-link-host").textContent?.trim()).toBe("www.example.org");
    expect(byId("external-link-url").tagName).toBe("CODE");
    expect(byId("external-link-url").textContent).toBe(LONG_URL);
    expect(byId("external-link-cancel").textContent?.trim()).toBe("Stay in Carrel");
    expect(byId("external-link-confirm").textContent?.trim()).toBe("Open in browser");
    expect(document.activeElement).toBe(byId("external-link-cancel"));
  });

  it("shows the real host of an address that hides it behind a user name", async () => {
    await renderWithLink();
    await requestLink("https://your-bank.example@evil.example:8443/login");
    await waitFor(() =>
      expect(byId("external-link-host").textContent?.trim()).toBe("evil.example:8443"),
    );
  });

  it("Stay in Carrel closes it without opening anything", async () => {
    const { calls } = await renderWithLink();
    await fireEvent.click(byId("external-link-cancel"));
    await waitFor(() => expect(dialogShown()).toBe(false));
    expect(document.getElementById("external-link-url")).toBeNull();
    expect(callsOf(calls, "open_external_link")).toEqual([]);
  });

  it("Escape means Stay in Carrel", async () => {
    const { calls, shell } = await renderWithLink();
    await fireEvent.keyDown(byId("external-link-dialog"), { key: "Escape" });
    await waitFor(() => expect(dialogShown()).toBe(false));
    expect(shell.externalLink).toBeNull();
    expect(callsOf(calls, "open_external_link")).toEqual([]);
  });

  it("Open in browser opens the address, saying Opening… meanwhile, then closes", async () => {
    const answer = deferred<null>();
    const { calls } = await renderWithLink({ open_external_link: () => answer.promise });
    await fireEvent.click(byId("external-link-confirm"));
    await waitFor(() =>
      expect(byId("external-link-confirm").textContent?.trim()).toBe("Opening…"),
    );
    expect(byId("external-link-confirm").getAttribute("aria-disabled")).toBe("true");
    // Neither button acts while the browser is asked.
    await fireEvent.click(byId("external-link-confirm"));
    await fireEvent.click(byId("external-link-cancel"));
    expect(dialogShown()).toBe(true);
    answer.resolve(null);
    await waitFor(() => expect(dialogShown()).toBe(false));
    expect(callsOf(calls, "open_external_link").map((call) => call.args)).toEqual([
      { url: LONG_URL },
    ]);
  });

  it("says why when the browser cannot open it, and stays open to try again", async () => {
    let fail = true;
    const { calls } = await renderWithLink({
      open_external_link: () => {
        if (fail) {
          throw {
            code: "internal",
            message: "No web browser is set up on this computer.",
            detail: null,
          };
        }
        return null;
      },
    });
    await fireEvent.click(byId("external-link-confirm"));
    const alert = await waitFor(() => byId("external-link-error"));
    expect(alert.getAttribute("role")).toBe("alert");
    expect(alert.textContent?.trim()).toBe(
      "The website did not open: No web browser is set up on this computer.",
    );
    expect(dialogShown()).toBe(true);
    expect(byId("external-link-confirm").textContent?.trim()).toBe("Open in browser");
    fail = false;
    await fireEvent.click(byId("external-link-confirm"));
    await waitFor(() => expect(dialogShown()).toBe(false));
    expect(callsOf(calls, "open_external_link")).toHaveLength(2);
  });

  it("ignores anything but an http(s) address", async () => {
    const { shell } = await renderShell({ open_external_link: () => null });
    for (const url of [
      "javascript:alert(1)",
      "file:///etc/passwd",
      "mailto:tutor@example.org",
      "data:text/html,<p>hi</p>",
      "ftp://example.org/file",
      "not a url",
      "https://",
      "",
      42,
      null,
    ]) {
      await requestLink(url);
      expect(shell.externalLink, String(url)).toBeNull();
      expect(dialogShown()).toBe(false);
    }
    await emit("external-link-requested", null);
    await tick();
    expect(dialogShown()).toBe(false);
    expect(document.getElementById("external-link-url")).toBeNull();
  });

  it("a newer request replaces the one asked about, in the same dialog", async () => {
    const { calls } = await renderWithLink();
    await requestLink("http://second.example.net/page");
    await waitFor(() =>
      expect(byId("external-link-url").textContent).toBe("http://second.example.net/page"),
    );
    expect(byId("external-link-host").textContent?.trim()).toBe("second.example.net");
    expect(document.querySelectorAll("#external-link-dialog")).toHaveLength(1);
    // An address Carrel would not open does not replace it.
    await requestLink("javascript:void(0)");
    expect(byId("external-link-url").textContent).toBe("http://second.example.net/page");
    await fireEvent.click(byId("external-link-confirm"));
    await waitFor(() => expect(dialogShown()).toBe(false));
    expect(callsOf(calls, "open_external_link").map((call) => call.args)).toEqual([
      { url: "http://second.example.net/page" },
    ]);
  });

  it("a request arriving while the first opens is asked about next", async () => {
    const answer = deferred<null>();
    const { shell } = await renderWithLink({ open_external_link: () => answer.promise });
    await fireEvent.click(byId("external-link-confirm"));
    await requestLink("https://next.example.com/");
    answer.resolve(null);
    await waitFor(() => expect(shell.openingExternalLink).toBe(false));
    expect(dialogShown()).toBe(true);
    expect(byId("external-link-url").textContent).toBe("https://next.example.com/");
  });

  it("stops listening when the shell stops", async () => {
    const { shell } = await renderShell();
    shell.stop();
    await requestLink("https://example.org/");
    expect(shell.externalLink).toBeNull();
  });
});

describe("externalWebAddress", () => {
  it("accepts http and https addresses with a host, and nothing else", () => {
    expect(externalWebAddress("https://example.org/a")?.host).toBe("example.org");
    expect(externalWebAddress("HTTP://Example.ORG:8080/")?.host).toBe("example.org:8080");
    const refused = ["javascript:alert(1)", "file:///x", "about:blank", "http:", "//x.org", undefined];
    for (const url of refused) {
      expect(externalWebAddress(url), String(url)).toBeNull();
    }
  });
});
