// The shell as a learner (and the end-to-end tests) meet it, rendered in jsdom against a fake
// backend. The real-window tests in tests/e2e/ cover the same hooks against the real backend.
import { emit } from "@tauri-apps/api/event";
import type { InvokeArgs } from "@tauri-apps/api/core";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import App from "./App.svelte";
import { AppState } from "./lib/app-state.svelte";
import {
  appInfo,
  checkingStatus,
  dashboard,
  offlineStatus,
  onlineStatus,
  SERVER,
  studySettings,
} from "./test/fixtures";

afterEach(() => {
  cleanup(); // unmount (and unlisten) while the fake backend is still there
  clearMocks();
});

type Handler = (args: InvokeArgs | undefined) => unknown;

function backend(handlers: Record<string, Handler>): void {
  mockIPC(
    (cmd, args) => {
      // Notices are tested on their own; elsewhere there are none.
      const handler = handlers[cmd] ?? (cmd === "take_notices" ? () => [] : undefined);
      if (!handler) throw { code: "internal", message: `unexpected ${cmd}` };
      return handler(args);
    },
    { shouldMockEvents: true },
  );
}

async function renderReady(handlers: Record<string, Handler>) {
  backend({
    get_app_info: () => appInfo(),
    get_server_status: () => onlineStatus(),
    take_pending_imports: () => [],
    list_courses: () => [],
    get_catalog: () => ({ courses: [] }),
    get_dashboard: () => dashboard(),
    get_study_settings: () => studySettings(),
    ...handlers,
  });
  const result = render(App, { shell: new AppState() });
  await waitFor(() => expect(document.body.dataset.ready).toBe("true"));
  return result;
}

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is not in the page`);
  return element;
}

describe("the shell", () => {
  it("shows a loading state, then the shell with data-ready set", async () => {
    let answer: ((value: unknown) => void) | null = null;
    backend({
      get_app_info: () => appInfo(),
      get_server_status: () => new Promise((resolve) => (answer = resolve)),
      take_pending_imports: () => [],
      get_dashboard: () => dashboard(),
    });
    render(App, { shell: new AppState() });
    expect(screen.getByRole("status").textContent).toBe("Starting Carrel…");
    expect(document.body.dataset.ready).toBeUndefined();
    expect(document.getElementById("nav-dashboard")).toBeNull();

    await waitFor(() => expect(answer).not.toBeNull());
    expect(document.body.dataset.ready).toBeUndefined();
    answer!(onlineStatus());
    await waitFor(() => expect(document.body.dataset.ready).toBe("true"));
    expect(byId("nav-dashboard").getAttribute("aria-current"), "Carrel opens on Home").toBe("page");
    expect(byId("screen-dashboard").querySelector("h1")?.textContent).toBe("Your week");
    expect(document.getElementById("screen-library")).toBeNull();
  });

  it("shows the version, the server, and its state in a polite status region", async () => {
    await renderReady({});
    expect(byId("app-version").textContent).toBe("0.1.0");
    expect(byId("server-url").textContent).toBe(SERVER);
    const state = byId("server-state");
    expect(state.dataset.state).toBe("online");
    expect(state.textContent).toBe("Online");
    const region = state.closest('[role="status"]');
    expect(region?.getAttribute("aria-live")).toBe("polite");
    expect(region?.textContent).toContain(`Connected to ${SERVER}`);
  });

  it("follows server-status events: offline is explained calmly, with the detail", async () => {
    await renderReady({});
    const status = offlineStatus();
    await emit("server-status", status);
    await waitFor(() => expect(byId("server-state").dataset.state).toBe("offline"));
    expect(byId("server-state").textContent).toBe("Offline");
    const region = byId("server-state").closest('[role="status"]');
    expect(region?.textContent).toContain("You can keep studying");
    expect(region?.textContent).toContain(status.detail);
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.queryByRole("alertdialog")).toBeNull();

    await emit("server-status", checkingStatus());
    await waitFor(() => expect(byId("server-state").dataset.state).toBe("checking"));
    expect(byId("server-state").textContent).toBe("Checking…");
  });

  it("navigates between the six screens, one at a time, focusing each heading", async () => {
    await renderReady({});
    const nav = screen.getByRole("navigation", { name: "Main" });
    const buttons = nav.querySelectorAll("button");
    expect(buttons).toHaveLength(6);
    expect(buttons[0]?.id, "Home comes first").toBe("nav-dashboard");
    expect(buttons[0]?.textContent?.trim()).toBe("Home");
    expect(buttons[1]?.id, "Search comes after Home, before the Library").toBe("nav-search");
    expect(buttons[1]?.textContent?.trim()).toBe("Search");
    expect(byId("nav-dashboard").getAttribute("aria-current")).toBe("page");

    const screens = ["dashboard", "search", "library", "course", "outbox", "settings"];
    for (const name of ["search", "library", "course", "outbox", "settings", "dashboard"]) {
      await fireEvent.click(byId(`nav-${name}`));
      const root = byId(`screen-${name}`);
      const heading = root.querySelector("h1");
      expect(heading?.textContent?.trim()).not.toBe("");
      expect(
        document.activeElement,
        "focus goes to the new screen's heading, or to Search's field, where the learner types",
      ).toBe(name === "search" ? byId("search-input") : heading);
      expect(root.closest("main")).not.toBeNull();
      for (const other of screens) {
        expect(byId(`nav-${other}`).getAttribute("aria-current")).toBe(
          other === name ? "page" : null,
        );
        if (other !== name) expect(document.getElementById(`screen-${other}`)).toBeNull();
      }
    }
  });

  it("shows the Outbox's empty state", async () => {
    await renderReady({ list_outbox: () => [] });
    await fireEvent.click(byId("nav-outbox"));
    expect(byId("screen-outbox").textContent).toContain("Nothing waiting to be sent.");
  });

  it("shows why it could not start, and retries", async () => {
    let fail = true;
    backend({
      get_app_info: () => {
        if (fail) throw { code: "internal", message: "Reading settings failed." };
        return appInfo();
      },
      get_server_status: () => onlineStatus(),
    });
    render(App, { shell: new AppState() });
    await waitFor(() => expect(document.body.dataset.ready).toBe("error"));
    expect(byId("load-error").textContent).toBe("Reading settings failed.");
    fail = false;
    await fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(document.body.dataset.ready).toBe("true"));
  });
});

describe("notices about the learner's progress", () => {
  const RESTORED = {
    code: "progress_restored",
    message: "Your progress file was damaged. Carrel restored it from this morning's backup.",
  };
  const UNAVAILABLE = {
    code: "progress_unavailable",
    message: "Carrel cannot save your progress right now.",
  };

  it("shows each notice once at start as an alert, and takes them once", async () => {
    let taken = 0;
    await renderReady({
      take_notices: () => {
        taken += 1;
        return [RESTORED, UNAVAILABLE];
      },
    });
    await waitFor(() => expect(document.getElementById("notice-progress_restored")).not.toBeNull());
    const restored = byId("notice-progress_restored");
    expect(restored.getAttribute("role")).toBe("alert");
    expect(restored.textContent).toContain(RESTORED.message);
    expect(byId("notice-progress_unavailable").textContent).toContain(UNAVAILABLE.message);
    expect(restored.closest("main")?.id, "at the top of the main area").toBe("main");
    expect(screen.getAllByRole("alert")).toHaveLength(2);

    // Moving between screens neither loses nor repeats them.
    await fireEvent.click(byId("nav-settings"));
    expect(screen.getAllByRole("alert")).toHaveLength(2);
    expect(taken).toBe(1);
  });

  it("dismisses a notice; focus moves to the next one, then to the screen's heading", async () => {
    await renderReady({ take_notices: () => [RESTORED, UNAVAILABLE] });
    await waitFor(() => expect(document.getElementById("notice-progress_restored")).not.toBeNull());
    const dismiss = byId("notice-dismiss-progress_restored");
    expect(dismiss.tagName).toBe("BUTTON");
    expect(dismiss.textContent?.trim()).toBe("Dismiss");

    dismiss.focus();
    await fireEvent.click(dismiss);
    await waitFor(() => expect(document.getElementById("notice-progress_restored")).toBeNull());
    expect(byId("notice-progress_unavailable")).toBeTruthy();
    await waitFor(() =>
      expect(document.activeElement).toBe(byId("notice-dismiss-progress_unavailable")),
    );

    await fireEvent.click(byId("notice-dismiss-progress_unavailable"));
    await waitFor(() => expect(screen.queryAllByRole("alert")).toHaveLength(0));
    await waitFor(() => expect(document.activeElement).toBe(byId("screen-dashboard-title")));
  });

  it("starts as usual, quietly, when the notices cannot be taken", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await renderReady({
      take_notices: () => {
        throw { code: "internal", message: "No notices today." };
      },
    });
    await waitFor(() => expect(warn).toHaveBeenCalled());
    expect(screen.queryAllByRole("alert")).toHaveLength(0);
    expect(byId("screen-dashboard")).toBeTruthy();
  });
});

describe("Settings", () => {
  it("shows the backend's error inline on the field, then confirms a good address", async () => {
    const sent: unknown[] = [];
    await renderReady({
      set_server_url: (args) => {
        sent.push(args);
        const url = (args as { url: string }).url;
        if (!url.startsWith("http")) {
          throw { code: "invalid_server_url", message: "Type an address starting with https://" };
        }
        return appInfo({ serverUrl: url });
      },
    });
    await fireEvent.click(byId("nav-settings"));
    const input = byId("settings-server-url") as HTMLInputElement;
    expect(input.value).toBe(SERVER);
    expect(input.type).toBe("url");
    expect(screen.getByLabelText("Course server address")).toBe(input);
    expect(document.getElementById("settings-error")).toBeNull();

    await fireEvent.input(input, { target: { value: "ftp://example.org" } });
    await fireEvent.click(byId("settings-save"));
    await waitFor(() => expect(document.getElementById("settings-error")).not.toBeNull());
    expect(byId("settings-error").textContent).toBe("Type an address starting with https://");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(input.getAttribute("aria-describedby")?.split(" ")).toContain("settings-error");
    expect(document.activeElement).toBe(input);

    await fireEvent.input(input, { target: { value: "https://courses.example.org" } });
    await fireEvent.click(byId("settings-save"));
    await waitFor(() => expect(document.getElementById("settings-error")).toBeNull());
    expect(input.hasAttribute("aria-invalid")).toBe(false);
    expect(screen.getByText("Saved. Carrel now uses https://courses.example.org.")).toBeTruthy();
    expect(sent).toEqual([{ url: "ftp://example.org" }, { url: "https://courses.example.org" }]);
  });

  it("is read-only when the address comes from CARREL_SERVER_URL", async () => {
    await renderReady({ get_app_info: () => appInfo({ serverUrlSource: "environment" }) });
    await fireEvent.click(byId("nav-settings"));
    expect((byId("settings-server-url") as HTMLInputElement).disabled).toBe(true);
    expect((byId("settings-save") as HTMLButtonElement).disabled).toBe(true);
    expect(byId("screen-settings").textContent).toContain("CARREL_SERVER_URL");
  });

  it("shows the version and data folder", async () => {
    await renderReady({});
    await fireEvent.click(byId("nav-settings"));
    const text = byId("screen-settings").textContent ?? "";
    expect(text).toContain("0.1.0");
    expect(text).toContain(appInfo().dataDir);
  });

  it("checks the connection now and shows the result", async () => {
    await renderReady({ check_server_now: () => offlineStatus() });
    await fireEvent.click(byId("nav-settings"));
    await fireEvent.click(byId("settings-check-now"));
    await waitFor(() => expect(byId("server-state").dataset.state).toBe("offline"));
  });
});

describe("Settings: study", () => {
  it("shows the weekly hours and the computer's time zone", async () => {
    await renderReady({
      get_study_settings: () => studySettings({ weeklyHours: 7.5, timeZone: "Europe/Zurich" }),
    });
    await fireEvent.click(byId("nav-settings"));
    await waitFor(() => expect(document.getElementById("settings-weekly-hours")).not.toBeNull());
    const input = byId("settings-weekly-hours") as HTMLInputElement;
    expect(input.type).toBe("number");
    expect(input.step).toBe("0.5");
    expect(input.value).toBe("7.5");
    expect(screen.getByLabelText("Hours a week for study")).toBe(input);
    expect(input.getAttribute("aria-describedby")).toBe("settings-weekly-hours-hint");
    expect(input.hasAttribute("aria-invalid")).toBe(false);
    expect(byId("settings-time-zone").textContent?.trim()).toBe(
      "Weeks and deadlines use your computer's time zone: Europe/Zurich",
    );
  });

  it("shows the backend's error inline on the field, then confirms hours it accepts", async () => {
    const sent: unknown[] = [];
    await renderReady({
      set_weekly_hours: (args) => {
        sent.push(args);
        const hours = (args as { hours: number }).hours;
        if (hours > 80) {
          throw {
            code: "invalid_weekly_hours",
            message: "Enter between 0.5 and 80 hours a week.",
            detail: null,
          };
        }
        return studySettings({ weeklyHours: hours });
      },
    });
    await fireEvent.click(byId("nav-settings"));
    await waitFor(() => expect(document.getElementById("settings-weekly-hours")).not.toBeNull());
    const input = byId("settings-weekly-hours") as HTMLInputElement;

    await fireEvent.input(input, { target: { value: "100" } });
    await fireEvent.click(byId("settings-weekly-hours-save"));
    await waitFor(() =>
      expect(document.getElementById("settings-weekly-hours-error")).not.toBeNull(),
    );
    expect(byId("settings-weekly-hours-error").textContent).toBe(
      "Enter between 0.5 and 80 hours a week.",
    );
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(input.getAttribute("aria-describedby")?.split(" ")).toEqual([
      "settings-weekly-hours-hint",
      "settings-weekly-hours-error",
    ]);
    expect(document.activeElement).toBe(input);
    expect(byId("settings-weekly-hours-saved").textContent).toBe("");

    await fireEvent.input(input, { target: { value: "8" } });
    await fireEvent.click(byId("settings-weekly-hours-save"));
    await waitFor(() => expect(document.getElementById("settings-weekly-hours-error")).toBeNull());
    expect(input.hasAttribute("aria-invalid")).toBe(false);
    expect(byId("settings-weekly-hours-saved").textContent).toBe(
      "Saved. Your plans now use 8 hours a week.",
    );
    expect(byId("settings-weekly-hours-saved").getAttribute("role")).toBe("status");
    expect(sent).toEqual([{ hours: 100 }, { hours: 8 }]);
  });

  it("asks for a number without bothering the backend when the field is empty", async () => {
    const sent: unknown[] = [];
    await renderReady({
      set_weekly_hours: (args) => {
        sent.push(args);
        return studySettings();
      },
    });
    await fireEvent.click(byId("nav-settings"));
    await waitFor(() => expect(document.getElementById("settings-weekly-hours")).not.toBeNull());
    const input = byId("settings-weekly-hours") as HTMLInputElement;
    await fireEvent.input(input, { target: { value: "" } });
    await fireEvent.click(byId("settings-weekly-hours-save"));
    await waitFor(() =>
      expect(document.getElementById("settings-weekly-hours-error")).not.toBeNull(),
    );
    expect(byId("settings-weekly-hours-error").textContent).toBe(
      "Enter a number of hours, for example 6.",
    );
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(sent).toEqual([]);
  });

  it("shows a failure to save that is not about the value without marking the field", async () => {
    await renderReady({
      set_weekly_hours: () => {
        throw { code: "internal", message: "Your settings could not be saved.", detail: null };
      },
    });
    await fireEvent.click(byId("nav-settings"));
    await waitFor(() => expect(document.getElementById("settings-weekly-hours")).not.toBeNull());
    await fireEvent.click(byId("settings-weekly-hours-save"));
    await waitFor(() =>
      expect(document.getElementById("settings-weekly-hours-error")).not.toBeNull(),
    );
    expect(byId("settings-weekly-hours-error").textContent).toBe(
      "Your settings could not be saved.",
    );
    expect(byId("settings-weekly-hours").hasAttribute("aria-invalid")).toBe(false);
  });

  it("says why the study settings could not be read", async () => {
    await renderReady({
      get_study_settings: () => {
        throw { code: "internal", message: "Your settings could not be read.", detail: null };
      },
    });
    await fireEvent.click(byId("nav-settings"));
    await waitFor(() => expect(document.getElementById("settings-study-error")).not.toBeNull());
    expect(byId("settings-study-error").textContent).toBe("Your settings could not be read.");
    expect(document.getElementById("settings-weekly-hours")).toBeNull();
  });
});
