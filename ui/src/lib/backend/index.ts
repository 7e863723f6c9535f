// The typed interface to the Rust side. Import from here, not from @tauri-apps/api.
export { BackendError, UNKNOWN_ERROR, call, toBackendError } from "./ipc";
export * from "./commands";
export type { AppInfo } from "./bindings/AppInfo";
export type { CommandError } from "./bindings/CommandError";
export type { ConnectionState } from "./bindings/ConnectionState";
export type { ServerStatus } from "./bindings/ServerStatus";
export type { ServerUrlSource } from "./bindings/ServerUrlSource";
