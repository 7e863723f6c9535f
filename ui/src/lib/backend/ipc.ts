// The single gateway to the Rust side. Every command goes through `call`, which turns every
// rejection into a BackendError carrying a stable `code`: the UI branches on codes, never on
// message text. Nothing outside ui/src/lib/backend/ imports @tauri-apps/api.
import { invoke } from "@tauri-apps/api/core";
import { t } from "../i18n";
import type { CommandError } from "./bindings/CommandError";

/** The code of every failure that did not come as a `{ code, message }` object. */
export const UNKNOWN_ERROR = "unknown";

/**
 * A failed command, as the UI handles it. `message` is a sentence for the learner; `detail` is data
 * the UI needs to act on some codes (e.g. the publisher fingerprint of `untrusted_publisher`).
 */
export class BackendError extends Error {
  readonly code: string;
  readonly detail: string | null;

  constructor(code: string, message: string, detail: string | null = null) {
    super(message);
    this.name = "BackendError";
    this.code = code;
    this.detail = detail;
  }
}

function isCommandError(value: unknown): value is CommandError {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.code === "string" && typeof record.message === "string";
}

/** Turns anything a command rejected with (or threw) into a BackendError. */
export function toBackendError(reason: unknown): BackendError {
  if (reason instanceof BackendError) return reason;
  if (isCommandError(reason)) {
    // `detail` is absent from errors of older backends: treat that as no detail.
    const raw: unknown = (reason as { detail?: unknown }).detail;
    const detail = typeof raw === "string" ? raw : null;
    return new BackendError(reason.code, reason.message, detail);
  }
  if (typeof reason === "string" && reason.trim() !== "") {
    return new BackendError(UNKNOWN_ERROR, reason);
  }
  if (reason instanceof Error && reason.message !== "") {
    return new BackendError(UNKNOWN_ERROR, reason.message);
  }
  return new BackendError(UNKNOWN_ERROR, t.errorUnknown);
}

/** Invokes the Rust command `command`; rejects only with BackendError. */
export async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toBackendError(reason);
  }
}
