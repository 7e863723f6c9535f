// Folding bursts of requests for the same work into as few runs as still give a fresh answer.

/**
 * Wraps `run` so that at most one run is in flight and at most one more is queued: a call while
 * `run` runs asks for one more run after it (however many calls came meanwhile), because what it
 * reads may have changed since it started. The returned promise settles when a run that began
 * after the call has finished. `run` should not reject; if it does, the next run still starts.
 */
export function coalesce(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;

  function start(): Promise<void> {
    const current = (async () => {
      try {
        await run();
      } finally {
        running = null;
      }
    })();
    running = current;
    return current;
  }

  return function request(): Promise<void> {
    if (running === null) return start();
    queued ??= running.then(
      () => {
        queued = null;
        return start();
      },
      () => {
        queued = null;
        return start();
      },
    );
    return queued;
  };
}
