// The Settings screen's own settings (language, theme, sync on metered connections,
// notifications, the course folder, updates) and the update banner, in the whole shell against a
// fake backend. The study hours and the server address are tested in App.test.ts.
import type { InvokeArgs } from "@tauri-apps/api/core";
import { emit } from "@tauri-apps/api/event";
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup, fireEvent, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import type { Settings, SettingsChange, UpdateStatus } from "../lib/backend";
import { setLanguage } from "../lib/i18n";
import { applyTheme } from "../lib/theme";
import { callsOf, deferred, ProgressSender, type Handler } from "../test/backend";
import { byId } from "../test/dom";
import { studySettings } from "../test/fixtures";
import { availableStatus, settings, updateStatus } from "../test/settings-fixtures";
import { renderShell } from "../test/shell";

afterEach(() => {
  cleanup();
  clearMocks();
  setLanguage("en");
  applyTheme("system");
  localStorage.clear();
});

/**
 * The settings side of the backend, with state: get_settings answers what update_settings saved;
 * `refuse` may throw a `{ code, message }` for a change, as the Rust validation does.
 */
class FakeSettings {
  current: Settings;
  updates: UpdateStatus;
  refuse: (change: SettingsChange) => void = () => undefined;
  /** What move_library does with its arguments; by default it reports progress, then hangs. */
  move: (args: InvokeArgs | undefined) => unknown = () => new Promise(() => undefined);

  constructor(initial: Partial<Settings> = {}, updates: UpdateStatus = updateStatus()) {
    this.current = settings(initial);
    this.updates = updates;
  }

  handlers(): Record<string, Handler> {
    return {
      get_study_settings: () => studySettings(),
      get_settings: () => this.current,
      update_settings: (args) => {
        const change = (args as { change: SettingsChange }).change;
        this.refuse(change);
        this.current = { ...this.current, ...change };
        return this.current;
      },
      move_library: (args) => this.move(args),
      cancel_task: () => null,
      get_update_status: () => this.updates,
      check_for_update: () => this.updates,
      download_update: () => this.updates,
      cancel_update_download: () => true,
      install_update: () => null,
    };
  }

  /** Changes the update status and tells the UI, as the update service does. */
  async emitUpdates(status: UpdateStatus): Promise<void> {
    this.updates = status;
    await emit("update-status", status);
  }
}

async function openSettings(fake = new FakeSettings(), handlers: Record<string, Handler> = {}) {
  const rendered = await renderShell({ ...fake.handlers(), ...handlers });
  await fireEvent.click(byId("nav-settings"));
  await waitFor(() => expect(document.getElementById("settings-language")).not.toBeNull());
  return { ...rendered, fake };
}

function select(id: string): HTMLSelectElement {
  return byId(id) as HTMLSelectElement;
}

function checkbox(id: string): HTMLInputElement {
  return byId(id) as HTMLInputElement;
}

function text(id: string): string {
  return byId(id).textContent?.trim() ?? "";
}

function changes(calls: { cmd: string; args: Record<string, unknown> }[]): unknown[] {
  return callsOf(calls, "update_settings").map((call) => call.args.change);
}

describe("Settings: every setting", () => {
  it("shows each setting as saved, with its label", async () => {
    const fake = new FakeSettings({
      language: "es",
      theme: "light",
      syncOnMetered: false,
      notifications: false,
      updateChannel: "beta",
      autoInstallUpdates: true,
      libraryDir: "/media/big/Courses",
      libraryDirIsDefault: false,
    });
    await openSettings(fake);
    // The saved language applies as the shell starts.
    expect(byId("screen-settings").querySelector("h1")?.textContent).toBe("Configuración");
    setLanguage("en");
    await waitFor(() =>
      expect(byId("screen-settings").querySelector("h1")?.textContent).toBe("Settings"),
    );
    expect(select("settings-language").value).toBe("es");
    expect(select("settings-theme").value).toBe("light");
    expect(checkbox("settings-sync-metered").checked).toBe(false);
    expect(checkbox("settings-notifications").checked).toBe(false);
    expect(select("settings-update-channel").value).toBe("beta");
    expect(checkbox("settings-auto-install").checked).toBe(true);
    expect(text("settings-library-dir")).toBe("/media/big/Courses");
    expect(byId("settings-library-dir").dataset.default).toBe("false");

    expect(screen.getByLabelText("Language")).toBe(byId("settings-language"));
    expect(screen.getByLabelText("Theme")).toBe(byId("settings-theme"));
    expect(screen.getByLabelText("Sync on metered connections")).toBe(
      byId("settings-sync-metered"),
    );
    expect(screen.getByLabelText("Show notifications")).toBe(byId("settings-notifications"));
    expect(screen.getByLabelText("Update channel")).toBe(byId("settings-update-channel"));
    expect(
      screen.getByLabelText("Install updates automatically when Carrel is idle"),
    ).toBe(byId("settings-auto-install"));
    expect(screen.getByLabelText("Move the courses to this folder")).toBe(
      byId("settings-library-new"),
    );
    for (const id of [
      "settings-language",
      "settings-theme",
      "settings-sync-metered",
      "settings-notifications",
      "settings-update-channel",
      "settings-auto-install",
      "settings-library-new",
    ]) {
      expect(byId(id).getAttribute("aria-describedby"), `${id} has its hint`).toContain(
        `${id}-hint`,
      );
    }
    // The checkboxes of a group are in a fieldset named by its legend.
    expect(byId("settings-sync-metered").closest("fieldset")?.querySelector("legend")?.textContent)
      .toBe("Sync and notifications");
    expect(byId("settings-auto-install").closest("fieldset")?.querySelector("legend")?.textContent)
      .toBe("How Carrel updates");
  });

  it("names the default course folder as such", async () => {
    await openSettings();
    expect(byId("settings-library-dir").dataset.default).toBe("true");
    expect(byId("screen-settings").textContent).toContain(
      "This is the default folder, inside Carrel's data folder.",
    );
  });

  it("switches the language at once and saves it", async () => {
    const { calls } = await openSettings();
    await fireEvent.change(select("settings-language"), { target: { value: "fr" } });
    expect(byId("screen-settings").querySelector("h1")?.textContent, "applied live").toBe(
      "Paramètres",
    );
    expect(document.documentElement.lang).toBe("fr");
    await waitFor(() =>
      expect(text("settings-language-saved")).toBe(
        "Enregistré. Carrel utilise désormais cette langue.",
      ),
    );
    expect(byId("settings-language-saved").getAttribute("role")).toBe("status");
    expect(byId("nav-settings").textContent?.trim()).toBe("Paramètres");
    expect(changes(calls)).toEqual([{ language: "fr" }]);

    await fireEvent.change(select("settings-language"), { target: { value: "system" } });
    await waitFor(() => expect(changes(calls)).toHaveLength(2));
    expect(changes(calls)[1]).toEqual({ language: "system" });
  });

  it("applies the theme at once as <html data-theme> and saves it", async () => {
    const { calls } = await openSettings();
    await fireEvent.change(select("settings-theme"), { target: { value: "dark" } });
    expect(document.documentElement.dataset.theme).toBe("dark");
    await waitFor(() => expect(text("settings-theme-saved")).toBe("Saved. Carrel now uses this theme."));
    await fireEvent.change(select("settings-theme"), { target: { value: "light" } });
    expect(document.documentElement.dataset.theme).toBe("light");
    await waitFor(() => expect(changes(calls)).toEqual([{ theme: "dark" }, { theme: "light" }]));
  });

  it("saves each checkbox and select as it changes, and confirms it beside the control", async () => {
    const { calls, fake } = await openSettings();
    await fireEvent.click(checkbox("settings-sync-metered"));
    await waitFor(() =>
      expect(text("settings-sync-metered-saved")).toBe(
        "Saved. On metered connections, Carrel waits before syncing.",
      ),
    );
    await fireEvent.click(checkbox("settings-notifications"));
    await waitFor(() =>
      expect(text("settings-notifications-saved")).toBe("Saved. Carrel shows no notifications."),
    );
    await fireEvent.change(select("settings-update-channel"), { target: { value: "beta" } });
    await waitFor(() =>
      expect(text("settings-update-channel-saved")).toBe(
        "Saved. Carrel looks for updates on this channel.",
      ),
    );
    await fireEvent.click(checkbox("settings-auto-install"));
    await waitFor(() =>
      expect(text("settings-auto-install-saved")).toBe(
        "Saved. Carrel installs updates by itself when it is idle.",
      ),
    );
    expect(changes(calls)).toEqual([
      { syncOnMetered: false },
      { notifications: false },
      { updateChannel: "beta" },
      { autoInstallUpdates: true },
    ]);
    expect(fake.current).toMatchObject({
      syncOnMetered: false,
      notifications: false,
      updateChannel: "beta",
      autoInstallUpdates: true,
    });
    for (const id of [
      "settings-sync-metered-saved",
      "settings-notifications-saved",
      "settings-update-channel-saved",
      "settings-auto-install-saved",
    ]) {
      expect(byId(id).getAttribute("role"), `${id} is announced`).toBe("status");
    }

    await fireEvent.click(checkbox("settings-sync-metered"));
    await waitFor(() =>
      expect(text("settings-sync-metered-saved")).toBe(
        "Saved. Carrel also syncs on metered connections.",
      ),
    );
  });

  it("shows a refusal beside its control and puts the choice back", async () => {
    const fake = new FakeSettings();
    fake.refuse = (change) => {
      if (change.theme) {
        throw {
          code: "settings_unavailable",
          message: "Your settings could not be saved (disk full). Check that the disk is not full",
          detail: null,
        };
      }
    };
    await openSettings(fake);
    const theme = select("settings-theme");
    await fireEvent.change(theme, { target: { value: "dark" } });
    await waitFor(() => expect(document.getElementById("settings-theme-error")).not.toBeNull());
    expect(text("settings-theme-error")).toBe(
      "Your settings could not be saved (disk full). Check that the disk is not full",
    );
    expect(theme.getAttribute("aria-invalid")).toBe("true");
    expect(theme.getAttribute("aria-describedby")?.split(" ")).toEqual([
      "settings-theme-hint",
      "settings-theme-error",
    ]);
    expect(theme.value, "the choice goes back to the saved one").toBe("system");
    expect(document.documentElement.dataset.theme, "and so does the page").toBe("light");
    expect(text("settings-theme-saved")).toBe("");

    // Another control is unaffected; the error goes once a change is saved.
    await fireEvent.click(checkbox("settings-notifications"));
    await waitFor(() => expect(text("settings-notifications-saved")).not.toBe(""));
    expect(document.getElementById("settings-theme-error")).not.toBeNull();
    fake.refuse = () => undefined;
    await fireEvent.change(theme, { target: { value: "dark" } });
    await waitFor(() => expect(document.getElementById("settings-theme-error")).toBeNull());
    expect(theme.hasAttribute("aria-invalid")).toBe(false);
  });

  it("keeps a quick second choice while the first is still being saved", async () => {
    const first = deferred<Settings>();
    const fake = new FakeSettings();
    let answered = 0;
    const { calls } = await openSettings(fake, {
      update_settings: (args) => {
        const change = (args as { change: SettingsChange }).change;
        fake.current = { ...fake.current, ...change };
        answered += 1;
        return answered === 1 ? first.promise : fake.current;
      },
    });
    await fireEvent.change(select("settings-theme"), { target: { value: "dark" } });
    await fireEvent.click(checkbox("settings-notifications"));
    expect(checkbox("settings-notifications").checked).toBe(false);
    first.resolve(settings({ theme: "dark" }));
    await waitFor(() => expect(changes(calls)).toHaveLength(2));
    await waitFor(() => expect(text("settings-notifications-saved")).not.toBe(""));
    expect(select("settings-theme").value).toBe("dark");
    expect(checkbox("settings-notifications").checked, "not undone by the first answer").toBe(
      false,
    );
  });

  it("says so when the settings cannot be read, keeping the rest of the screen", async () => {
    await renderShell({
      ...new FakeSettings().handlers(),
      get_settings: () => {
        throw { code: "internal", message: "The settings file is locked.", detail: null };
      },
    });
    await fireEvent.click(byId("nav-settings"));
    await waitFor(() =>
      expect(byId("screen-settings").textContent).toContain(
        "Carrel could not read these settings: The settings file is locked.",
      ),
    );
    expect(document.getElementById("settings-language")).toBeNull();
    expect(byId("settings-server-url")).toBeTruthy();
    expect(byId("update-panel")).toBeTruthy();
  });
});

describe("Settings: moving the course folder", () => {
  it("asks for a folder without bothering the backend when the field is empty", async () => {
    const { calls } = await openSettings();
    await fireEvent.click(byId("settings-library-move"));
    await waitFor(() => expect(document.getElementById("settings-library-error")).not.toBeNull());
    expect(text("settings-library-error")).toBe("Enter the full path of an empty or new folder.");
    expect(callsOf(calls, "move_library")).toHaveLength(0);
    expect(document.activeElement).toBe(byId("settings-library-new"));
  });

  it("shows why a folder is refused, on the field", async () => {
    const fake = new FakeSettings();
    fake.move = () => {
      throw {
        code: "library_move_refused",
        message: "the folder /media/big is not empty; choose an empty or new folder",
        detail: null,
      };
    };
    const { calls } = await openSettings(fake);
    await fireEvent.input(byId("settings-library-new"), { target: { value: " /media/big " } });
    await fireEvent.click(byId("settings-library-move"));
    await waitFor(() => expect(document.getElementById("settings-library-error")).not.toBeNull());
    expect(text("settings-library-error")).toBe(
      "Your courses were not moved: the folder /media/big is not empty; choose an empty or new folder.",
    );
    const input = byId("settings-library-new");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(input.getAttribute("aria-describedby")?.split(" ")).toContain("settings-library-error");
    expect(document.activeElement).toBe(input);
    expect(callsOf(calls, "move_library")[0]?.args).toMatchObject({ dir: "/media/big" });
    expect((byId("settings-library-move") as HTMLButtonElement).disabled).toBe(false);
  });

  it("shows the copy's progress with Cancel, and cancels that task", async () => {
    const fake = new FakeSettings();
    const moved = deferred<null>();
    let sender: ProgressSender | null = null;
    fake.move = (args) => {
      sender = new ProgressSender(args);
      return moved.promise;
    };
    const { calls } = await openSettings(fake, {
      cancel_task: () => {
        moved.reject({
          code: "cancelled",
          message: "the move was cancelled; your courses stay where they were",
          detail: null,
        });
        return null;
      },
    });
    await fireEvent.input(byId("settings-library-new"), { target: { value: "/media/big/Courses" } });
    await fireEvent.click(byId("settings-library-move"));
    await waitFor(() => expect(sender).not.toBeNull());
    expect(text("settings-library-progress-label")).toBe("Preparing to move your courses…");
    expect((byId("settings-library-move") as HTMLButtonElement).disabled).toBe(true);
    sender!.send({ stage: "install", doneBytes: 20_000_000, totalBytes: 40_000_000 });
    await waitFor(() =>
      expect(byId("settings-library-progress").getAttribute("aria-valuenow")).toBe("20000000"),
    );
    const progress = byId("settings-library-progress") as HTMLProgressElement;
    expect(progress.max).toBe(40_000_000);
    expect(progress.getAttribute("aria-labelledby")).toBe("settings-library-progress-label");
    expect(text("settings-library-progress-label")).toBe("Copying your courses… 20.0 of 40.0 MB");

    await fireEvent.click(byId("settings-library-cancel"));
    await waitFor(() => expect(document.getElementById("settings-library-progress")).toBeNull());
    const taskId = callsOf(calls, "move_library")[0]?.args.taskId;
    expect(callsOf(calls, "cancel_task").map((call) => call.args)).toEqual([{ taskId }]);
    expect(text("settings-library-error")).toBe(
      "The move was cancelled. Your courses stay where they were.",
    );
  });

  it("says Carrel restarts once the courses are copied", async () => {
    const fake = new FakeSettings();
    fake.move = () => null;
    await openSettings(fake);
    await fireEvent.input(byId("settings-library-new"), { target: { value: "/media/big/Courses" } });
    await fireEvent.click(byId("settings-library-move"));
    await waitFor(() =>
      expect(text("settings-library-status")).toBe("Your courses were copied. Carrel is restarting…"),
    );
    expect(byId("settings-library-status").getAttribute("role")).toBe("status");
    expect((byId("settings-library-move") as HTMLButtonElement).disabled).toBe(true);
  });
});

describe("Settings: updates", () => {
  it("shows the version, the last successful check and Check now when up to date", async () => {
    const { calls } = await openSettings();
    expect(byId("update-panel").dataset.phase).toBe("upToDate");
    expect(text("update-version")).toBe("You are using Carrel 0.1.0.");
    expect(text("update-last-success")).toMatch(/^Last successful update check: .*2026/);
    expect(text("update-message")).toBe("Carrel is up to date.");
    expect(byId("update-message").getAttribute("role")).toBe("status");
    expect(document.getElementById("update-stale")).toBeNull();
    await fireEvent.click(byId("update-check"));
    await waitFor(() => expect(callsOf(calls, "check_for_update")).toHaveLength(1));
  });

  it("warns when the last successful check is too long ago, or never happened", async () => {
    const fake = new FakeSettings({}, updateStatus({ stale: true }));
    await openSettings(fake);
    expect(text("update-stale")).toContain("for more than two weeks");
    await fake.emitUpdates(
      updateStatus({ stale: true, lastSuccessMs: null, phase: "failed", error: "No answer." }),
    );
    await waitFor(() => expect(text("update-last-success")).toBe("Last successful update check: never"));
    expect(text("update-stale")).toContain("has not yet been able to check");
    expect(text("update-error")).toBe("No answer.");
    expect(byId("update-panel").dataset.phase).toBe("failed");
  });

  it("offers an update with its notes, downloads it with progress and Cancel, then installs on request", async () => {
    const fake = new FakeSettings({}, availableStatus());
    const { calls } = await openSettings(fake, {
      download_update: () => new Promise(() => undefined),
    });
    expect(byId("update-panel").dataset.phase).toBe("available");
    expect(text("update-message")).toBe("Carrel 0.2.0 is available.");
    expect(byId("update-notes").querySelector("strong")?.textContent, "Markdown notes").toBe(
      "resume",
    );
    expect(document.getElementById("update-install")).toBeNull();

    byId("update-download").focus();
    await fireEvent.click(byId("update-download"));
    await waitFor(() => expect(callsOf(calls, "download_update")).toHaveLength(1));
    await fake.emitUpdates(
      availableStatus("downloading", { downloadedBytes: 2_000_000, totalBytes: 8_000_000 }),
    );
    await waitFor(() => expect(byId("update-panel").dataset.phase).toBe("downloading"));
    const progress = byId("update-progress") as HTMLProgressElement;
    expect(progress.max).toBe(8_000_000);
    expect(progress.value).toBe(2_000_000);
    expect(progress.getAttribute("aria-valuenow")).toBe("2000000");
    expect(progress.getAttribute("aria-labelledby")).toBe("update-progress-label");
    expect(text("update-progress-label")).toBe("Downloading the update… 2.0 of 8.0 MB");
    await waitFor(() =>
      expect(document.activeElement, "focus follows to Cancel").toBe(byId("update-cancel")),
    );
    await fireEvent.click(byId("update-cancel"));
    await waitFor(() => expect(callsOf(calls, "cancel_update_download")).toHaveLength(1));

    await fake.emitUpdates(availableStatus("ready", { autoInstall: true }));
    await waitFor(() => expect(byId("update-panel").dataset.phase).toBe("ready"));
    expect(text("update-message")).toBe("Carrel 0.2.0 is downloaded and verified, ready to install.");
    expect(text("update-install-hint")).toContain("by itself when no quiz attempt is open");
    expect(callsOf(calls, "install_update"), "never installed without a click").toHaveLength(0);
    await fireEvent.click(byId("update-install"));
    await waitFor(() => expect(callsOf(calls, "install_update")).toHaveLength(1));
  });

  it("says why installing waits", async () => {
    const fake = new FakeSettings({}, availableStatus("ready", { blockedBy: "attemptOpen" }));
    await openSettings(fake);
    expect(byId("update-blocked").dataset.blockedBy).toBe("attemptOpen");
    expect(text("update-blocked")).toContain("while a quiz attempt is open");
    expect(byId("update-install").getAttribute("aria-describedby")).toBe(
      "update-install-hint update-blocked",
    );
    await fake.emitUpdates(availableStatus("ready", { blockedBy: "sending" }));
    await waitFor(() => expect(text("update-blocked")).toContain("while Carrel is sending your work"));
  });

  it("shows what failed with Try again", async () => {
    const fake = new FakeSettings(
      {},
      updateStatus({ phase: "failed", error: "The update was refused because it is not signed." }),
    );
    const { calls } = await openSettings(fake);
    expect(text("update-error")).toBe("The update was refused because it is not signed.");
    expect(text("update-message")).toContain("Carrel keeps running this version");
    await fireEvent.click(byId("update-retry"));
    await waitFor(() => expect(callsOf(calls, "check_for_update")).toHaveLength(1));
  });

  it("explains that a copy not installed with an installer cannot update itself", async () => {
    await openSettings(new FakeSettings({}, updateStatus({ phase: "unsupported" })));
    expect(byId("update-panel").dataset.phase).toBe("unsupported");
    expect(text("update-unsupported")).toContain("cannot update itself");
    expect(document.getElementById("update-check")).toBeNull();
  });

  it("follows update-status events", async () => {
    const fake = new FakeSettings();
    await openSettings(fake);
    await fake.emitUpdates(updateStatus({ phase: "checking" }));
    await waitFor(() => expect(text("update-message")).toBe("Checking for updates…"));
    expect(byId("update-check").getAttribute("aria-disabled")).toBe("true");
  });
});

describe("the update banner", () => {
  it("offers an update ready to install on other screens, and opens Updates", async () => {
    const fake = new FakeSettings({}, availableStatus("ready"));
    const { calls } = await renderShell(fake.handlers());
    await waitFor(() => expect(document.getElementById("update-banner")).not.toBeNull());
    expect(byId("update-banner").dataset.kind).toBe("ready");
    expect(text("update-banner-text")).toBe("Carrel 0.2.0 is ready to install.");
    expect(byId("update-banner").getAttribute("role")).toBe("status");
    expect(callsOf(calls, "install_update")).toHaveLength(0);

    await fireEvent.click(byId("update-banner-open"));
    await waitFor(() => expect(byId("nav-settings").getAttribute("aria-current")).toBe("page"));
    expect(document.getElementById("update-banner"), "Settings has the full panel").toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(byId("settings-updates-heading")));
  });

  it("installs from the banner only on the learner's click", async () => {
    const fake = new FakeSettings({}, availableStatus("ready"));
    const { calls } = await renderShell(fake.handlers());
    await waitFor(() => expect(document.getElementById("update-banner-install")).not.toBeNull());
    await fireEvent.click(byId("update-banner-install"));
    await waitFor(() => expect(callsOf(calls, "install_update")).toHaveLength(1));
  });

  it("warns when updates are overdue, and goes away with Not now", async () => {
    const fake = new FakeSettings({}, updateStatus({ stale: true }));
    await renderShell(fake.handlers());
    await waitFor(() => expect(document.getElementById("update-banner")).not.toBeNull());
    expect(byId("update-banner").dataset.kind).toBe("stale");
    expect(text("update-banner-text")).toMatch(/^Carrel has not been able to check for updates since .*2026/);
    await fireEvent.click(byId("update-banner-dismiss"));
    await waitFor(() => expect(document.getElementById("update-banner")).toBeNull());
  });

  it("is not shown when there is nothing to say", async () => {
    const fake = new FakeSettings();
    await renderShell(fake.handlers());
    await fake.emitUpdates(updateStatus({ phase: "checking" }));
    expect(document.getElementById("update-banner")).toBeNull();
  });
});

describe("the saved language and theme at start", () => {
  it("are applied as the shell starts", async () => {
    await renderShell(new FakeSettings({ language: "fr", theme: "dark" }).handlers());
    expect(byId("nav-settings").textContent?.trim()).toBe("Paramètres");
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(document.documentElement.lang).toBe("fr");
  });

  it("stay the computer's when the settings cannot be read", async () => {
    await renderShell({
      get_settings: () => {
        throw { code: "internal", message: "no", detail: null };
      },
    });
    expect(byId("nav-settings").textContent?.trim()).toBe("Settings");
  });
});
