// The colour theme: the learner's choice (light, dark, or the computer's) resolved to the light
// or dark tokens of app.css, set as <html data-theme="…">. "system" follows the computer,
// including a change while Carrel runs. The choice is also remembered in localStorage, only as a
// hint that main.ts applies before anything renders (no light flash for a learner who chose
// dark); the settings file stays the truth, applied as soon as the shell has read it.
import type { Theme } from "./backend";

/** What the page is drawn in. */
export type ResolvedTheme = "light" | "dark";

const DARK_QUERY = "(prefers-color-scheme: dark)";
/** Where the hint is kept. */
export const THEME_HINT_KEY = "carrel.theme";

function isTheme(value: unknown): value is Theme {
  return value === "system" || value === "light" || value === "dark";
}

/** The theme for `choice`: itself, or for "system" what the computer prefers. */
export function resolveTheme(choice: Theme, systemPrefersDark: boolean): ResolvedTheme {
  if (choice === "light" || choice === "dark") return choice;
  return systemPrefersDark ? "dark" : "light";
}

let chosen: Theme = "system";
let media: MediaQueryList | null | undefined;

/** The computer's preference, watched once (changes re-apply a "system" choice). */
function darkQuery(): MediaQueryList | null {
  if (media !== undefined) return media;
  media =
    typeof window !== "undefined" && typeof window.matchMedia === "function"
      ? window.matchMedia(DARK_QUERY)
      : null;
  media?.addEventListener("change", () => {
    if (chosen === "system") draw();
  });
  return media;
}

function draw(): ResolvedTheme {
  const resolved = resolveTheme(chosen, darkQuery()?.matches ?? false);
  if (typeof document !== "undefined") document.documentElement.dataset.theme = resolved;
  return resolved;
}

/**
 * Draws the page in `choice` now and from now on (a "system" choice follows the computer's
 * changes); remembers it as the hint for the next start. Returns the theme drawn.
 */
export function applyTheme(choice: Theme): ResolvedTheme {
  chosen = isTheme(choice) ? choice : "system";
  try {
    globalThis.localStorage?.setItem(THEME_HINT_KEY, chosen);
  } catch {
    // No storage (private mode, a test): only the next start's first frame is affected.
  }
  return draw();
}

/** At start, before the settings are read: the theme chosen last time, else the computer's. */
export function applyThemeHint(): ResolvedTheme {
  let hint: unknown = null;
  try {
    hint = globalThis.localStorage?.getItem(THEME_HINT_KEY);
  } catch {
    // No storage: the computer's theme until the settings arrive.
  }
  chosen = isTheme(hint) ? hint : "system";
  return draw();
}

/** The learner's choice in effect. */
export function currentTheme(): Theme {
  return chosen;
}
