// Updates of Carrel itself, as the UI follows them: the status the backend publishes (the
// `update-status` event, read once at start), the learner's actions (check, download, cancel,
// install), and what the shell's banner should say. Installing is only ever the learner's click
// here: the backend alone installs by itself, when the learner chose that in Settings.
import {
  cancelUpdateDownload,
  checkForUpdate,
  downloadUpdate,
  ErrorCode,
  getUpdateStatus,
  installUpdate,
  onUpdateStatus,
  toBackendError,
  unlistenQuietly,
  type BackendError,
  type UnlistenFn,
  type UpdateStatus,
} from "./backend";

/** What the shell's update banner is about, if anything. */
export type UpdateBanner =
  | { kind: "ready"; version: string }
  | { kind: "available"; version: string }
  | { kind: "stale"; lastSuccessMs: number | null };

/**
 * The banner `status` calls for: an update ready to install, one to download, or a warning that
 * Carrel has not managed to check for too long. A first start that has never checked yet is no
 * reason to warn; a check that failed with none ever succeeding is.
 */
export function bannerFor(status: UpdateStatus | null): UpdateBanner | null {
  if (!status) return null;
  const version = status.available?.version;
  if (status.phase === "ready" && version) return { kind: "ready", version };
  if (status.phase === "available" && version) return { kind: "available", version };
  if (status.stale && (status.lastSuccessMs !== null || status.phase === "failed")) {
    return { kind: "stale", lastSuccessMs: status.lastSuccessMs };
  }
  return null;
}

/** A banner's identity: a dismissed banner comes back only when there is something new to say. */
export function bannerKey(banner: UpdateBanner): string {
  if (banner.kind === "stale") return `stale/${banner.lastSuccessMs ?? "never"}`;
  return `${banner.kind}/${banner.version}`;
}

/** Codes whose news the status itself carries (phase, `error`, `blockedBy`): not shown twice. */
const SHOWN_BY_STATUS: readonly string[] = [
  ErrorCode.UpdateFailed,
  ErrorCode.Cancelled,
  ErrorCode.UpdateBlocked,
];

export class UpdateState {
  /** The latest status; null until read (or when it cannot be). */
  status: UpdateStatus | null = $state(null);
  /** A check asked for by the learner is running. */
  checking = $state(false);
  /** Why the learner's last action failed, when the status does not already say it. */
  error: BackendError | null = $state(null);
  /** The banner the learner put away ("Not now"), by bannerKey. */
  dismissed: string | null = $state(null);

  /** What the shell's banner says; null: no banner. */
  readonly banner: UpdateBanner | null = $derived.by(() => {
    const banner = bannerFor(this.status);
    return banner && bannerKey(banner) !== this.dismissed ? banner : null;
  });

  #unlisten: UnlistenFn | null = null;
  #events = 0;

  /** Follows the backend's status. Never rejects: without it, Settings says nothing is known. */
  async start(): Promise<void> {
    try {
      this.#unlisten ??= await onUpdateStatus((status) => {
        this.#events += 1;
        this.status = status;
      });
    } catch {
      // No events (an old backend, a test): the status is read on each action instead.
    }
    const before = this.#events;
    try {
      const status = await getUpdateStatus();
      // An event that arrived meanwhile is at least as new.
      if (this.#events === before || this.status === null) this.status = status;
    } catch {
      // Settings shows the panel without a status; nothing else depends on it.
    }
  }

  stop(): void {
    unlistenQuietly(this.#unlisten);
    this.#unlisten = null;
  }

  /** Asks for a newer Carrel now. Never rejects. */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    await this.#run(async () => {
      this.status = await checkForUpdate();
    });
    this.checking = false;
  }

  /** Downloads the update found; progress arrives as events. Never rejects. */
  async download(): Promise<void> {
    await this.#run(async () => {
      this.status = await downloadUpdate();
    });
  }

  /** Stops the download. Never rejects. */
  async cancelDownload(): Promise<void> {
    await this.#run(async () => {
      await cancelUpdateDownload();
    });
  }

  /** Installs the downloaded update; Carrel restarts. Never rejects. */
  async install(): Promise<void> {
    await this.#run(async () => {
      await installUpdate();
    });
  }

  /** Puts the banner away until it has something new to say. */
  dismissBanner(): void {
    const banner = bannerFor(this.status);
    if (banner) this.dismissed = bannerKey(banner);
  }

  async #run(action: () => Promise<void>): Promise<void> {
    this.error = null;
    try {
      await action();
    } catch (reason) {
      const error = toBackendError(reason);
      if (!SHOWN_BY_STATUS.includes(error.code)) this.error = error;
      // The events said what happened; read the status in case they could not.
      try {
        this.status = await getUpdateStatus();
      } catch {
        // The last status stays.
      }
    }
  }
}
