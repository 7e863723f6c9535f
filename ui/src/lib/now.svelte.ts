// The current time for views that say how long ago something was ("last synced 5 minutes ago"):
// read during a component's setup, it ticks while the component is mounted.

/** The time now (unix ms), updated every `everyMs` while the calling component is mounted. */
export function useNow(everyMs = 30_000): { readonly ms: number } {
  let ms = $state(Date.now());
  $effect(() => {
    const timer = setInterval(() => (ms = Date.now()), everyMs);
    return () => clearInterval(timer);
  });
  return {
    get ms() {
      return ms;
    },
  };
}
