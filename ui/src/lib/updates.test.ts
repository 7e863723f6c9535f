// Following Carrel's updates: which banner the status calls for, and the UpdateState that reads
// the status, follows its events and runs the learner's actions against a fake backend.
import { emit } from "@tauri-apps/api/event";
import { clearMocks } from "@tauri-apps/api/mocks";
import { waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import { callsOf, deferred, fakeBackend } from "../test/backend";
import { availableStatus, LAST_CHECK_MS, updateStatus } from "../test/settings-fixtures";
import type { UpdateStatus } from "./backend";
import { bannerFor, bannerKey, UpdateState } from "./updates.svelte";

afterEach(() => clearMocks());

describe("bannerFor", () => {
  const cases: [string, UpdateStatus | null, ReturnType<typeof bannerFor>][] = [
    ["no status", null, null],
    ["up to date", updateStatus(), null],
    ["checking", updateStatus({ phase: "checking" }), null],
    ["an update to download", availableStatus(), { kind: "available", version: "0.2.0" }],
    ["an update ready", availableStatus("ready"), { kind: "ready", version: "0.2.0" }],
    ["downloading (Settings shows it)", availableStatus("downloading"), null],
    [
      "no successful check for too long",
      updateStatus({ stale: true, phase: "failed", error: "offline" }),
      { kind: "stale", lastSuccessMs: LAST_CHECK_MS },
    ],
    [
      "never a successful check, and the last one failed",
      updateStatus({ stale: true, phase: "failed", lastSuccessMs: null }),
      { kind: "stale", lastSuccessMs: null },
    ],
    [
      "a first start that has not checked yet",
      updateStatus({ stale: true, phase: "idle", lastSuccessMs: null, lastCheckMs: null }),
      null,
    ],
    [
      "an update ready matters more than staleness",
      availableStatus("ready", { stale: true }),
      { kind: "ready", version: "0.2.0" },
    ],
    ["a copy that cannot update itself", updateStatus({ phase: "unsupported" }), null],
  ];
  for (const [name, status, expected] of cases) {
    it(`${name}: ${expected ? expected.kind : "no banner"}`, () => {
      expect(bannerFor(status)).toEqual(expected);
    });
  }

  it("keys a banner by what it says, so a new version or check brings it back", () => {
    expect(bannerKey({ kind: "ready", version: "0.2.0" })).not.toBe(
      bannerKey({ kind: "ready", version: "0.3.0" }),
    );
    expect(bannerKey({ kind: "stale", lastSuccessMs: null })).toBe("stale/never");
  });
});

describe("UpdateState", () => {
  it("reads the status, then follows update-status events", async () => {
    fakeBackend({ get_update_status: () => updateStatus() });
    const updates = new UpdateState();
    await updates.start();
    expect(updates.status?.phase).toBe("upToDate");
    await emit("update-status", availableStatus());
    expect(updates.status?.phase).toBe("available");
    expect(updates.banner).toEqual({ kind: "available", version: "0.2.0" });
    updates.stop();
    await emit("update-status", updateStatus());
    expect(updates.status?.phase, "stopped: no longer listening").toBe("available");
  });

  it("keeps an event that arrived while the status was being read", async () => {
    const answer = deferred<UpdateStatus>();
    const calls = fakeBackend({ get_update_status: () => answer.promise });
    const updates = new UpdateState();
    const started = updates.start();
    // Listening already: the status is being read.
    await waitFor(() => expect(callsOf(calls, "get_update_status")).toHaveLength(1));
    await emit("update-status", availableStatus("downloading"));
    answer.resolve(availableStatus());
    await started;
    expect(updates.status?.phase).toBe("downloading");
  });

  it("starts without a status when the backend cannot say", async () => {
    fakeBackend({
      get_update_status: () => {
        throw { code: "internal", message: "no", detail: null };
      },
    });
    const updates = new UpdateState();
    await expect(updates.start()).resolves.toBeUndefined();
    expect(updates.status).toBeNull();
    expect(updates.banner).toBeNull();
  });

  it("checks, downloads, cancels and installs only when asked", async () => {
    const calls = fakeBackend({
      get_update_status: () => updateStatus(),
      check_for_update: () => availableStatus(),
      download_update: () => availableStatus("ready"),
      cancel_update_download: () => true,
      install_update: () => null,
    });
    const updates = new UpdateState();
    await updates.start();
    expect(callsOf(calls, "install_update"), "nothing installs by itself").toHaveLength(0);
    await updates.check();
    expect(updates.status?.phase).toBe("available");
    expect(updates.checking).toBe(false);
    await updates.download();
    expect(updates.status?.phase).toBe("ready");
    await updates.cancelDownload();
    await updates.install();
    expect(calls.map((call) => call.cmd).filter((cmd) => cmd !== "get_update_status")).toEqual([
      "check_for_update",
      "download_update",
      "cancel_update_download",
      "install_update",
    ]);
    expect(updates.error).toBeNull();
  });

  it("leaves to the status what it already says, and shows other failures", async () => {
    let status = availableStatus("ready");
    fakeBackend({
      get_update_status: () => status,
      install_update: () => {
        status = availableStatus("ready", { blockedBy: "attemptOpen" });
        throw { code: "update_blocked", message: "A quiz attempt is open.", detail: null };
      },
      download_update: () => {
        throw { code: "no_update", message: "There is no update to download.", detail: null };
      },
    });
    const updates = new UpdateState();
    await updates.start();
    await updates.install();
    expect(updates.error, "blockedBy says why; not twice").toBeNull();
    expect(updates.status?.blockedBy, "the status is read again after a refusal").toBe(
      "attemptOpen",
    );
    await updates.download();
    expect(updates.error?.code).toBe("no_update");
    expect(updates.error?.message).toBe("There is no update to download.");
  });

  it("puts a banner away until there is something new to say", async () => {
    fakeBackend({ get_update_status: () => availableStatus() });
    const updates = new UpdateState();
    await updates.start();
    expect(updates.banner?.kind).toBe("available");
    updates.dismissBanner();
    expect(updates.banner).toBeNull();
    await emit("update-status", availableStatus("ready"));
    expect(updates.banner, "ready is news").toEqual({ kind: "ready", version: "0.2.0" });
  });
});
