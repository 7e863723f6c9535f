// The shell's view of background sync: the latest status (kept current by `sync-status` events),
// who is signed in, whether the sign-in dialog is open, and the actions on them. It lives with the
// shell so the indicator, the sign-in dialog and the Outbox screen share one state.
import {
  getAccount,
  getSyncStatus,
  onSyncStatus,
  setSyncHeld,
  signIn,
  signOut,
  syncNow,
  toBackendError,
  unlistenQuietly,
  type AccountView,
  type BackendError,
  type SyncStatus,
  type UnlistenFn,
} from "./backend";

export class SyncState {
  /** The latest status; null until loaded (or when the backend cannot say). */
  status: SyncStatus | null = $state(null);
  /** The signed-in account; null when signed out or not loaded. */
  account: AccountView | null = $state(null);
  /** `account` has been read from the backend at least once. */
  accountLoaded = $state(false);
  /**
   * Signed in, as far as the UI knows: the account once read (it changes at once on signing in
   * or out here), the status's name before that.
   */
  readonly signedIn: boolean = $derived(
    this.accountLoaded ? this.account !== null : (this.status?.signedInAs ?? null) !== null,
  );
  /** The sign-in dialog shows. */
  signInOpen = $state(false);
  /** A "Sync now" asked for by the learner is being handed to the backend. */
  syncingNow = $state(false);
  /** Why the last "Sync now" or hold change failed, if it did. */
  error: BackendError | null = $state(null);

  #unlisten: UnlistenFn | null = null;
  #events = 0;
  #accountRequest = 0;

  /**
   * Listens to `sync-status`, then loads the status and the account. Never rejects: without them
   * the shell works as before, only without the indicator.
   */
  async start(): Promise<void> {
    try {
      this.#unlisten ??= await onSyncStatus((status) => {
        this.#events += 1;
        this.#follow(status);
      });
      const before = this.#events;
      const status = await getSyncStatus();
      // An event that arrived meanwhile is at least as new.
      if (this.#events === before || this.status === null) this.#follow(status);
      await this.refreshAccount();
    } catch {
      // An older backend, or none: the indicator stays hidden.
    }
  }

  /** Reads who is signed in again, keeping where the session is kept when the backend knew it. */
  async refreshAccount(): Promise<void> {
    const current = ++this.#accountRequest;
    try {
      const fresh = await getAccount();
      if (current !== this.#accountRequest) return;
      const known = this.account;
      this.account =
        fresh && fresh.store === null && known?.login === fresh.login && known.server === fresh.server
          ? { ...fresh, store: known.store }
          : fresh;
      this.accountLoaded = true;
    } catch {
      // The last known account stays.
    }
  }

  /** `request`'s status, with how many `sync-status` events had arrived when it was sent. */
  async #counted(request: Promise<SyncStatus>): Promise<[SyncStatus, number]> {
    const before = this.#events;
    return [await request, before];
  }

  /**
   * Follows a status a command answered, unless a `sync-status` event arrived after the command
   * was sent: events and answers travel separately, and the answer (read as the round began) must
   * not replace the status of the round's end — the button would say "Syncing…" until the next.
   */
  #unlessNewer([status, before]: [SyncStatus, number]): void {
    if (this.#events === before || this.status === null) this.#follow(status);
  }

  #follow(status: SyncStatus): void {
    const wasSignedIn = this.status ? this.status.signedInAs !== null : null;
    this.status = status;
    // Signed in or out elsewhere (the server ended the session): read the account again.
    if (wasSignedIn !== null && wasSignedIn !== (status.signedInAs !== null)) {
      void this.refreshAccount();
    }
  }

  /** Signs in; resolves with the account, rejects with the BackendError for the dialog to show. */
  async signIn(login: string, password: string): Promise<AccountView> {
    try {
      const account = await signIn(login, password);
      ++this.#accountRequest;
      this.account = account;
      this.accountLoaded = true;
      return account;
    } catch (reason) {
      throw toBackendError(reason);
    }
  }

  /** Signs out; rejects with the BackendError. Queued work stays queued. */
  async signOut(): Promise<void> {
    try {
      await signOut();
      ++this.#accountRequest;
      this.account = null;
      this.accountLoaded = true;
    } catch (reason) {
      throw toBackendError(reason);
    }
  }

  /** Starts a round now. Never rejects: a failure is kept in `error`. */
  async syncNow(): Promise<void> {
    if (this.syncingNow) return;
    this.syncingNow = true;
    this.error = null;
    try {
      this.#unlessNewer(await this.#counted(syncNow()));
    } catch (reason) {
      this.error = toBackendError(reason);
    } finally {
      this.syncingNow = false;
    }
  }

  /** Holds or releases sync. Never rejects: a failure is kept in `error`, the status unchanged. */
  async setHeld(held: boolean): Promise<void> {
    this.error = null;
    try {
      this.#unlessNewer(await this.#counted(setSyncHeld(held)));
    } catch (reason) {
      this.error = toBackendError(reason);
    }
  }

  /** Stops listening (tests, hot reload). */
  stop(): void {
    unlistenQuietly(this.#unlisten);
    this.#unlisten = null;
  }
}
