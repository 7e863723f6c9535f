// One typed wrapper per Rust command, and the events the shell emits. Command, argument and event
// names match src-tauri/src/commands/ and src-tauri/src/events.rs.
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { AppInfo } from "./bindings/AppInfo";
import type { ServerStatus } from "./bindings/ServerStatus";
import { call, toBackendError } from "./ipc";

export type { UnlistenFn };

/** Error codes the backend documents (src-tauri/src/error.rs). */
export const ErrorCode = {
  InvalidServerUrl: "invalid_server_url",
  ServerUrlLocked: "server_url_locked",
  SettingsUnavailable: "settings_unavailable",
  Internal: "internal",
  Unknown: "unknown",
} as const;

/** App version, server in use and where that address came from, data folder. */
export function getAppInfo(): Promise<AppInfo> {
  return call<AppInfo>("get_app_info");
}

/** The last known server status, without waiting for the network. */
export function getServerStatus(): Promise<ServerStatus> {
  return call<ServerStatus>("get_server_status");
}

/** Checks the server now and resolves with the fresh status. */
export function checkServerNow(): Promise<ServerStatus> {
  return call<ServerStatus>("check_server_now");
}

/**
 * Saves a new course server address and starts checking it; resolves with the updated AppInfo.
 * Rejects with code `invalid_server_url` or `server_url_locked` (see ErrorCode).
 */
export function setServerUrl(url: string): Promise<AppInfo> {
  return call<AppInfo>("set_server_url", { url });
}

/** Name of the event carrying each new ServerStatus. */
export const SERVER_STATUS_EVENT = "server-status";

/** Calls `handler` with every new server status; rejects only with BackendError. */
export async function onServerStatus(
  handler: (status: ServerStatus) => void,
): Promise<UnlistenFn> {
  try {
    return await listen<ServerStatus>(SERVER_STATUS_EVENT, (event) => handler(event.payload));
  } catch (reason) {
    throw toBackendError(reason);
  }
}
