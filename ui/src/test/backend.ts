// A fake backend for tests: answers commands by name (unknown commands fail loudly, as a missing
// Rust command would), records every call, mocks events, and feeds progress through the channel a
// long command received, the way the Rust side does.
import type { InvokeArgs } from "@tauri-apps/api/core";
import { mockIPC } from "@tauri-apps/api/mocks";
import type { TaskProgress } from "../lib/backend/bindings/TaskProgress";

export type Handler = (args: InvokeArgs | undefined) => unknown;

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

/** Installs the fake backend; returns the calls it receives (event plumbing excluded). */
export function fakeBackend(handlers: Record<string, Handler>): Call[] {
  const calls: Call[] = [];
  mockIPC(
    (cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      const handler = handlers[cmd];
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
