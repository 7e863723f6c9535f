import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { BackendError, call, toBackendError, UNKNOWN_ERROR } from "./ipc";

afterEach(() => clearMocks());

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (reason) {
    return reason;
  }
  throw new Error("expected the promise to reject, it resolved");
}

describe("call", () => {
  it("resolves with what the command returned", async () => {
    mockIPC(() => ({ answer: 42 }));
    await expect(call<{ answer: number }>("anything")).resolves.toEqual({ answer: 42 });
  });

  it("turns a { code, message } rejection into a BackendError with that code", async () => {
    mockIPC(() => {
      throw { code: "invalid_server_url", message: "Type an address starting with https://" };
    });
    const error = await rejectionOf(call("set_server_url", { url: "ftp://x" }));
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toBeInstanceOf(Error);
    expect((error as BackendError).code).toBe("invalid_server_url");
    expect((error as BackendError).message).toBe("Type an address starting with https://");
    expect((error as BackendError).name).toBe("BackendError");
  });

  it("turns a string rejection into code unknown, keeping the text as message", async () => {
    mockIPC(() => Promise.reject("command set_server_url not found"));
    const error = await rejectionOf(call("set_server_url"));
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).code).toBe(UNKNOWN_ERROR);
    expect((error as BackendError).message).toBe("command set_server_url not found");
  });

  it("turns a missing backend (plain browser, no Tauri) into code unknown", async () => {
    // No mockIPC: window.__TAURI_INTERNALS__ has no invoke, as in a browser tab.
    const error = await rejectionOf(call("get_app_info"));
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).code).toBe("unknown");
    expect((error as BackendError).message).not.toBe("");
  });
});

describe("toBackendError", () => {
  it("keeps a BackendError as it is", () => {
    const original = new BackendError("server_url_locked", "Locked.");
    expect(toBackendError(original)).toBe(original);
  });

  it("uses the code and message of a command error object", () => {
    const error = toBackendError({ code: "internal", message: "Restart Carrel." });
    expect(error.code).toBe("internal");
    expect(error.message).toBe("Restart Carrel.");
    expect(error.detail).toBeNull();
  });

  it("keeps a command error's detail when it is a string", () => {
    const error = toBackendError({
      code: "untrusted_publisher",
      message: "Unknown.",
      detail: "SHA256:ab",
    });
    expect(error.detail).toBe("SHA256:ab");
    expect(
      toBackendError({ code: "offline", message: "Offline.", detail: null }).detail,
    ).toBeNull();
    expect(toBackendError({ code: "offline", message: "Offline.", detail: 7 }).detail).toBeNull();
  });

  it.each([
    ["an object without code", { message: "no code" }],
    ["an object with a numeric code", { code: 7, message: "seven" }],
    ["an object without message", { code: "internal" }],
    ["null", null],
    ["undefined", undefined],
    ["a number", 42],
    ["an empty string", ""],
  ])("gives code unknown and a sentence for %s", (_, reason) => {
    const error = toBackendError(reason);
    expect(error.code).toBe("unknown");
    expect(error.message.length).toBeGreaterThan(10);
  });

  it("keeps the message of a thrown Error", () => {
    const error = toBackendError(new TypeError("window.__TAURI_INTERNALS__ is undefined"));
    expect(error.code).toBe("unknown");
    expect(error.message).toBe("window.__TAURI_INTERNALS__ is undefined");
  });
});
