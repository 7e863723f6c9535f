import { emit } from "@tauri-apps/api/event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { appInfo, offlineStatus, onlineStatus } from "../../test/fixtures";
import type { ServerStatus } from "./bindings/ServerStatus";
import {
  BackendError,
  checkServerNow,
  getAppInfo,
  getServerStatus,
  onServerStatus,
  SERVER_STATUS_EVENT,
  setServerUrl,
} from "./index";

afterEach(() => clearMocks());

interface Call {
  cmd: string;
  args: unknown;
}

/** Records every command invoked and answers from `answers` by command name. */
function recordCalls(answers: Record<string, unknown>): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    if (!(cmd in answers)) throw { code: "internal", message: `unexpected command ${cmd}` };
    return answers[cmd];
  });
  return calls;
}

describe("command wrappers", () => {
  it("getAppInfo invokes get_app_info with no arguments", async () => {
    const info = appInfo();
    const calls = recordCalls({ get_app_info: info });
    await expect(getAppInfo()).resolves.toEqual(info);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.cmd).toBe("get_app_info");
    expect(calls[0]?.args ?? {}).toEqual({});
  });

  it("getServerStatus invokes get_server_status with no arguments", async () => {
    const status = onlineStatus();
    const calls = recordCalls({ get_server_status: status });
    await expect(getServerStatus()).resolves.toEqual(status);
    expect(calls.map((c) => c.cmd)).toEqual(["get_server_status"]);
    expect(calls[0]?.args ?? {}).toEqual({});
  });

  it("checkServerNow invokes check_server_now with no arguments", async () => {
    const status = offlineStatus();
    const calls = recordCalls({ check_server_now: status });
    await expect(checkServerNow()).resolves.toEqual(status);
    expect(calls.map((c) => c.cmd)).toEqual(["check_server_now"]);
    expect(calls[0]?.args ?? {}).toEqual({});
  });

  it("setServerUrl invokes set_server_url with { url }", async () => {
    const info = appInfo({ serverUrl: "https://courses.example.org" });
    const calls = recordCalls({ set_server_url: info });
    await expect(setServerUrl("https://courses.example.org")).resolves.toEqual(info);
    expect(calls).toEqual([
      { cmd: "set_server_url", args: { url: "https://courses.example.org" } },
    ]);
  });

  it("setServerUrl rejects with the backend's code", async () => {
    mockIPC(() => {
      throw { code: "server_url_locked", message: "Set by CARREL_SERVER_URL." };
    });
    const error = await setServerUrl("https://x.example").then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).code).toBe("server_url_locked");
  });
});

describe("onServerStatus", () => {
  it("listens to the server-status event and hands over each payload", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const seen: ServerStatus[] = [];
    const unlisten = await onServerStatus((status) => seen.push(status));

    await emit(SERVER_STATUS_EVENT, offlineStatus());
    await emit("some-other-event", onlineStatus());
    await emit(SERVER_STATUS_EVENT, onlineStatus());
    expect(seen).toEqual([offlineStatus(), onlineStatus()]);

    unlisten();
    await emit(SERVER_STATUS_EVENT, offlineStatus());
    expect(seen).toHaveLength(2);
  });

  it("uses the event name the Rust side emits", () => {
    expect(SERVER_STATUS_EVENT).toBe("server-status");
  });

  it("rejects with a BackendError when events are unavailable", async () => {
    // No mocks at all: no Tauri.
    await expect(onServerStatus(() => undefined)).rejects.toBeInstanceOf(BackendError);
  });
});
