// The shell's state: what the backend told us (app info, server status), which screen is shown,
// and the actions the shell offers. Svelte 5 runes; one instance (`app`) serves the whole UI, and
// tests make their own with `new AppState()`.
import {
  BackendError,
  checkServerNow,
  ErrorCode,
  getAppInfo,
  getServerStatus,
  onServerStatus,
  setServerUrl,
  toBackendError,
  type AppInfo,
  type ServerStatus,
  type UnlistenFn,
} from "./backend";

/** The destinations of the main navigation, in order. */
export const SCREENS = ["library", "course", "outbox", "settings"] as const;
export type Screen = (typeof SCREENS)[number];

export function isScreen(value: string): value is Screen {
  return (SCREENS as readonly string[]).includes(value);
}

export class AppState {
  /** Version, server address and data folder; null until loaded. */
  info: AppInfo | null = $state(null);
  /** The latest server status; null until loaded. */
  status: ServerStatus | null = $state(null);
  /** The screen shown. */
  screen: Screen = $state("library");
  /** Why loading the shell failed, if it did. */
  loadError: BackendError | null = $state(null);
  /** A check asked for by the learner is running. */
  checkingNow = $state(false);
  /** Why the last check asked for by the learner failed, if it did. */
  checkError: BackendError | null = $state(null);

  /** Info and status are loaded: the shell can render. */
  readonly loaded: boolean = $derived(this.info !== null && this.status !== null);

  #unlisten: UnlistenFn | null = null;
  #statusEvents = 0;
  #starting: Promise<void> | null = null;

  /**
   * Subscribes to server status events, then loads info and status. Never rejects: a failure is
   * kept in `loadError`, and calling start() again retries.
   */
  start(): Promise<void> {
    this.#starting ??= this.#start().finally(() => {
      this.#starting = null;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.loadError = null;
    try {
      // Listen first so no status emitted while loading is missed.
      this.#unlisten ??= await onServerStatus((status) => {
        this.#statusEvents += 1;
        this.status = status;
      });
      const eventsBefore = this.#statusEvents;
      const [info, status] = await Promise.all([getAppInfo(), getServerStatus()]);
      this.info = info;
      // An event that arrived meanwhile is at least as new as what get_server_status returned.
      if (this.#statusEvents === eventsBefore || this.status === null) this.status = status;
    } catch (reason) {
      this.loadError = toBackendError(reason);
    }
  }

  /** Stops listening to the backend (tests, hot reload). */
  stop(): void {
    const unlisten = this.#unlisten;
    this.#unlisten = null;
    if (!unlisten) return;
    try {
      // Unlistening is asynchronous in Tauri; a backend already gone is no reason to fail.
      void Promise.resolve(unlisten() as unknown).catch(() => undefined);
    } catch {
      // The backend is gone (window closing): nothing left to unsubscribe from.
    }
  }

  navigate(screen: Screen): void {
    this.screen = screen;
  }

  /** Checks the server now. Never rejects: a failure is kept in `checkError`. */
  async checkNow(): Promise<void> {
    if (this.checkingNow) return;
    this.checkingNow = true;
    this.checkError = null;
    try {
      this.status = await checkServerNow();
    } catch (reason) {
      this.checkError = toBackendError(reason);
    } finally {
      this.checkingNow = false;
    }
  }

  /**
   * Saves a new server address. Resolves with the updated info; rejects with the BackendError
   * (codes in ErrorCode) for the form to show. The new server's status arrives as events.
   */
  async saveServerUrl(url: string): Promise<AppInfo> {
    try {
      const info = await setServerUrl(url.trim());
      this.info = info;
      return info;
    } catch (reason) {
      const error = toBackendError(reason);
      if (error.code === ErrorCode.ServerUrlLocked) {
        // The environment took over the address since we loaded: show the lock.
        await getAppInfo().then(
          (info) => (this.info = info),
          () => undefined,
        );
      }
      throw error;
    }
  }
}

/** The app's one state. */
export const app = new AppState();
