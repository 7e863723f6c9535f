// Sample backend values for tests, typed by the generated bindings.
import type { AppInfo } from "../lib/backend/bindings/AppInfo";
import type { ServerStatus } from "../lib/backend/bindings/ServerStatus";

export const SERVER = "http://127.0.0.1:7878";

export function appInfo(overrides: Partial<AppInfo> = {}): AppInfo {
  return {
    version: "0.1.0",
    serverUrl: SERVER,
    serverUrlSource: "settings",
    dataDir: "/home/learner/.local/share/org.carrel.desktop",
    ...overrides,
  };
}

export function onlineStatus(overrides: Partial<ServerStatus> = {}): ServerStatus {
  return {
    serverUrl: SERVER,
    state: "online",
    serverVersion: "0.1.0",
    checkedAtMs: Date.UTC(2026, 0, 15, 9, 30, 5),
    detail: null,
    ...overrides,
  };
}

export function offlineStatus(overrides: Partial<ServerStatus> = {}): ServerStatus {
  return {
    serverUrl: SERVER,
    state: "offline",
    serverVersion: null,
    checkedAtMs: Date.UTC(2026, 0, 15, 9, 31, 0),
    detail: `No course server answers at ${SERVER}. You may be offline, or the server is down; Carrel will try again.`,
    ...overrides,
  };
}

export function checkingStatus(overrides: Partial<ServerStatus> = {}): ServerStatus {
  return {
    serverUrl: SERVER,
    state: "checking",
    serverVersion: null,
    checkedAtMs: null,
    detail: null,
    ...overrides,
  };
}
