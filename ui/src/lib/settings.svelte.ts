// The Settings screen's state: every setting as the backend has it, each choice saved as soon as
// the learner makes it (and the language and theme applied at once, before the save returns), what
// was saved or refused per control, and moving the course library to another folder.
import {
  cancelTask,
  ErrorCode,
  getSettings,
  moveLibrary,
  toBackendError,
  updateSettings,
  type BackendError,
  type Settings,
  type SettingsChange,
  type TaskProgress,
} from "./backend";
import { format, setLanguage, t } from "./i18n";
import { newTaskId } from "./library.svelte";
import { applyTheme } from "./theme";

/** The settings saved as soon as their control changes. */
export type ChoiceKey =
  | "language"
  | "theme"
  | "syncOnMetered"
  | "notifications"
  | "updateChannel"
  | "autoInstallUpdates";

/** Shows the UI in the settings' language and theme. */
export function applyAppearance(settings: Pick<Settings, "language" | "theme">): void {
  setLanguage(settings.language);
  applyTheme(settings.theme);
}

/** The course library on its way to another folder. */
export interface LibraryMove {
  /** The folder it goes to, as typed. */
  dir: string;
  taskId: string;
  /** The last progress report; null before the first. */
  progress: TaskProgress | null;
  /** The learner asked to stop. */
  cancelling: boolean;
}

/** What to tell the learner about a library move that did not happen. */
export function describeMoveFailure(error: BackendError): string {
  if (error.code === ErrorCode.Cancelled) return t.settingsLibraryMoveCancelled;
  if (error.code === ErrorCode.LibraryMoveRefused) {
    return format(t.settingsLibraryMoveRefused, { reason: error.message });
  }
  return error.message;
}

export class SettingsState {
  /** Every setting; null until read (or when it cannot be: see loadError). */
  settings: Settings | null = $state(null);
  /** Why the settings could not be read. */
  loadError: BackendError | null = $state(null);
  /** Choices being saved. */
  saving: Partial<Record<ChoiceKey, true>> = $state({});
  /** Choices saved since the screen opened: the confirmation shown beside them. */
  saved: Partial<Record<ChoiceKey, true>> = $state({});
  /** Why a choice was refused, per control: the backend's sentence. */
  errors: Partial<Record<ChoiceKey, string>> = $state({});
  /** The running library move, if any. */
  move: LibraryMove | null = $state(null);
  /** Why the last move did not happen. */
  moveError: string | null = $state(null);
  /** The library was copied: Carrel is restarting on the new folder. */
  restarting = $state(false);

  /** Saves go one after another, so the last answer is the latest state. */
  #queue: Promise<unknown> = Promise.resolve();
  #pending = new Map<ChoiceKey, number>();

  /** Reads every setting. Never rejects: a failure is kept in `loadError`. */
  async load(): Promise<void> {
    this.loadError = null;
    try {
      this.settings = await getSettings();
    } catch (reason) {
      this.loadError = toBackendError(reason);
    }
  }

  /**
   * The learner chose `value` for `key`: shown (and, for the language and theme, applied) at once,
   * then saved. Resolves with whether it was saved; when refused, the choice goes back to what it
   * was and `errors[key]` says why.
   */
  async change<K extends ChoiceKey>(key: K, value: Settings[K]): Promise<boolean> {
    const current = this.settings;
    if (!current) return false;
    const before = current[key];
    this.settings = { ...current, [key]: value };
    this.#applyIfAppearance(key);
    this.errors = without(this.errors, key);
    this.saved = without(this.saved, key);
    this.saving = { ...this.saving, [key]: true };
    this.#pending.set(key, (this.#pending.get(key) ?? 0) + 1);
    const change: SettingsChange = { [key]: value };
    const request = this.#queue.then(() => updateSettings(change));
    this.#queue = request.catch(() => undefined);
    let ok: boolean;
    try {
      const updated = await request;
      this.#settle(key);
      this.settings = this.#keepPending(updated);
      this.saved = { ...this.saved, [key]: true };
      ok = true;
    } catch (reason) {
      this.#settle(key);
      if (!this.#pending.has(key) && this.settings) {
        this.settings = { ...this.settings, [key]: before };
      }
      this.errors = { ...this.errors, [key]: toBackendError(reason).message };
      ok = false;
    }
    if (!this.#pending.has(key)) this.saving = without(this.saving, key);
    this.#applyIfAppearance(key);
    return ok;
  }

  /** `updated`, with the choices still being saved shown as the learner made them. */
  #keepPending(updated: Settings): Settings {
    const shown = this.settings;
    if (!shown || this.#pending.size === 0) return updated;
    const merged: Settings = { ...updated };
    for (const key of this.#pending.keys()) copy(merged, shown, key);
    return merged;
  }

  #settle(key: ChoiceKey): void {
    const left = (this.#pending.get(key) ?? 1) - 1;
    if (left > 0) this.#pending.set(key, left);
    else this.#pending.delete(key);
  }

  #applyIfAppearance(key: ChoiceKey): void {
    if ((key === "language" || key === "theme") && this.settings) applyAppearance(this.settings);
  }

  /**
   * Copies the course library into `dir`, then Carrel restarts on it. Never rejects: when the move
   * does not happen, `moveError` says why and the library stays where it was.
   */
  async moveLibrary(dir: string): Promise<void> {
    if (this.move) return;
    this.moveError = null;
    const target = dir.trim();
    if (target === "") {
      this.moveError = t.settingsLibraryNeedsFolder;
      return;
    }
    const move: LibraryMove = {
      dir: target,
      taskId: newTaskId(),
      progress: null,
      cancelling: false,
    };
    this.move = move;
    try {
      await moveLibrary(target, move.taskId, (progress) => {
        if (this.move?.taskId === move.taskId) this.move = { ...this.move, progress };
      });
      // The backend restarts Carrel now; until the window goes, say so.
      this.restarting = true;
    } catch (reason) {
      this.moveError = describeMoveFailure(toBackendError(reason));
    } finally {
      if (this.move?.taskId === move.taskId) this.move = null;
    }
  }

  /** Asks the running move to stop; it then fails with `cancelled`. Never rejects. */
  async cancelMove(): Promise<void> {
    const move = this.move;
    if (!move || move.cancelling) return;
    this.move = { ...move, cancelling: true };
    try {
      await cancelTask(move.taskId);
    } catch {
      // The move ended meanwhile: its own answer says how.
    }
  }
}

function without<V>(record: Partial<Record<ChoiceKey, V>>, key: ChoiceKey) {
  if (!(key in record)) return record;
  const copy = { ...record };
  delete copy[key];
  return copy;
}

function copy<K extends ChoiceKey>(to: Settings, from: Settings, key: K): void {
  to[key] = from[key];
}
