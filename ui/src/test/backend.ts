// A fake backend for tests: answers commands by name (unknown commands fail loudly, as a missing
// Rust command would), records every call, mocks events, and feeds progress through the channel a
// long command received, the way the Rust side does.
import type { InvokeArgs } from "@tauri-apps/api/core";
import { emit } from "@tauri-apps/api/event";
import { mockIPC } from "@tauri-apps/api/mocks";
import type { AccountView } from "../lib/backend/bindings/AccountView";
import type { SyncStatus } from "../lib/backend/bindings/SyncStatus";
import type { TaskProgress } from "../lib/backend/bindings/TaskProgress";
import { account, syncStatus } from "./fixtures";

export type Handler = (args: InvokeArgs | undefined) => unknown;

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

/**
 * What the shell asks on every screen and a test rarely cares about: no course notices, marked
 * seen quietly. A test's own handlers replace these.
 */
export const DEFAULT_HANDLERS: Readonly<Record<string, Handler>> = {
  list_course_notices: () => [],
  mark_notices_seen: () => null,
};

/**
 * Installs the fake backend (DEFAULT_HANDLERS, then `handlers`); returns the calls it receives
 * (event plumbing excluded).
 */
export function fakeBackend(handlers: Record<string, Handler>): Call[] {
  const calls: Call[] = [];
  const all: Record<string, Handler> = { ...DEFAULT_HANDLERS, ...handlers };
  mockIPC(
    (cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      const handler = all[cmd];
      if (!handler) throw { code: "internal", message: `unexpected ${cmd}`, detail: null };
      return handler(args);
    },
    { shouldMockEvents: true },
  );
  return calls;
}

/** The calls of one command. */
export function callsOf(calls: Call[], cmd: string): Call[] {
  return calls.filter((call) => call.cmd === cmd);
}

/** What a command received as `onProgress`: the channel object itself, as mockIPC passes it. */
interface ChannelLike {
  id: number;
}

/** Sends progress reports through a channel, in order, as Tauri delivers them from Rust. */
export class ProgressSender {
  #index = 0;
  readonly #id: number;

  constructor(args: InvokeArgs | undefined) {
    const channel = (args as { onProgress?: ChannelLike } | undefined)?.onProgress;
    if (!channel || typeof channel.id !== "number") {
      throw new Error("the command was not given an onProgress channel");
    }
    this.#id = channel.id;
  }

  send(progress: TaskProgress): void {
    const internals = (
      window as unknown as {
        __TAURI_INTERNALS__: { runCallback: (id: number, data: unknown) => void };
      }
    ).__TAURI_INTERNALS__;
    internals.runCallback(this.#id, { index: this.#index, message: progress });
    this.#index += 1;
  }
}

/** A promise with its resolve and reject, for answers the test gives later. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/**
 * The sync side of the backend, with state: the status (sent again by `emitStatus` as the
 * `sync-status` event, the way the engine does), the account, and what the sign-in and export
 * commands answer. Spread `handlers()` into fakeBackend's handlers.
 */
export class FakeSync {
  status: SyncStatus;
  account: AccountView | null;
  /** sign_in's answer for a login and password: an account, or throw `{ code, message }`. */
  signIn: (login: string, password: string) => AccountView | Promise<AccountView> = (login) =>
    account({ login, store: "keyring" });
  /** Where export_submission and export_support_bundle say they saved; null: cancelled. */
  exportPath: string | null = "/home/learner/submission.zip";
  bundlePath: string | null = "/home/learner/carrel-support.zip";

  constructor(status: SyncStatus = syncStatus(), signedIn: AccountView | null = account()) {
    this.status = status;
    this.account = signedIn;
  }

  handlers(): Record<string, Handler> {
    return {
      get_sync_status: () => this.status,
      sync_now: () => this.status,
      set_sync_held: (args) => {
        const held = (args as { held: boolean }).held;
        this.status = { ...this.status, held, phase: held ? "held" : "idle" };
        return this.status;
      },
      get_account: () => this.account,
      sign_in: async (args) => {
        const { login, password } = args as { login: string; password: string };
        this.account = await this.signIn(login, password);
        return this.account;
      },
      sign_out: () => {
        this.account = null;
        return null;
      },
      retry_submission: () => true,
      export_submission: () => this.exportPath,
      export_support_bundle: () => this.bundlePath,
    };
  }

  /** Changes the status and tells the UI with a `sync-status` event. */
  async emitStatus(changes: Partial<SyncStatus>): Promise<void> {
    this.status = { ...this.status, ...changes };
    await emit("sync-status", this.status);
  }
}
