// Listening to the shell's events while a component is mounted.
import { unlistenQuietly, type UnlistenFn } from "./backend";

/**
 * Keeps `subscriptions` (the promises `onOutboxChanged(…)` and its kind return) while a component
 * is mounted: call it in `onMount` and return what it returns, which unsubscribes — also from
 * subscriptions that complete after the component went away. A subscription that fails leaves
 * the component working without it.
 */
export function subscribeWhileMounted(...subscriptions: Promise<UnlistenFn>[]): () => void {
  let unlisteners: UnlistenFn[] = [];
  let gone = false;
  void Promise.all(subscriptions).then(
    (list) => {
      if (gone) list.forEach(unlistenQuietly);
      else unlisteners = list;
    },
    () => undefined,
  );
  return () => {
    gone = true;
    unlisteners.forEach(unlistenQuietly);
  };
}
