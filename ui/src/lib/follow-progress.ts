// Following the progress the content window records, for screens that show it while visible.
import {
  onProgressChanged,
  toBackendError,
  type ProgressChanged,
  type UnlistenFn,
} from "./backend";

/**
 * Calls `onchange` with each progress change until the returned function is called. Never throws:
 * without events (no Tauri) it warns, and the screen shows progress as of when it loaded.
 */
export function followProgress(onchange: (change: ProgressChanged) => void): () => void {
  let stopped = false;
  let unlisten: UnlistenFn | null = null;
  onProgressChanged((change) => {
    if (!stopped) onchange(change);
  }).then(
    (stop) => {
      if (stopped) release(stop);
      else unlisten = stop;
    },
    (reason: unknown) => {
      console.warn("Carrel cannot follow progress changes:", toBackendError(reason).message);
    },
  );
  return () => {
    stopped = true;
    if (unlisten) release(unlisten);
  };
}

function release(unlisten: UnlistenFn) {
  try {
    // Unlistening is asynchronous in Tauri; a backend already gone is no reason to fail.
    void Promise.resolve(unlisten() as unknown).catch(() => undefined);
  } catch {
    // The backend is gone (window closing): nothing left to unsubscribe from.
  }
}
