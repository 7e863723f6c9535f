// The language the UI speaks, switchable while the app runs. Components read messages through `t`,
// one object for the app's lifetime: each read of `t.someKey` looks up the current language's
// messages, and the language is Svelte state, so every template, `$derived` and effect that read a
// message shows the new language as soon as `setLanguage` changes it. (Text computed once and kept
// in a plain variable stays as it was: read messages where they are shown.) Dates, times and
// numbers follow the language too, through `formatLocale`, in the same live way.
import { en, type Messages } from "./en";
import { es } from "./es";
import { fr } from "./fr";

/** A language the UI is translated into. */
export type UiLanguage = "en" | "fr" | "es";

/**
 * The learner's setting: a language, or whatever the computer's languages prefer. The same values
 * as the backend's `Language` setting (bindings/Language.ts).
 */
export type LanguageChoice = "system" | UiLanguage;

const catalogues: Readonly<Record<UiLanguage, Messages>> = { en, fr, es };

function isLanguage(value: string): value is UiLanguage {
  return Object.hasOwn(catalogues, value);
}

/**
 * The language for `choice`: itself, or for "system" the first of `navigatorLanguages` (most
 * preferred first, as `navigator.languages`) whose primary subtag Carrel speaks ("fr-CA" → fr),
 * else English.
 */
export function resolveLanguage(
  choice: LanguageChoice,
  navigatorLanguages: readonly string[],
): UiLanguage {
  // A choice read from a settings file may be anything; what Carrel does not speak means "system".
  if (choice !== "system" && isLanguage(choice)) return choice;
  for (const tag of navigatorLanguages) {
    const primary = primaryLanguage(tag);
    if (isLanguage(primary)) return primary;
  }
  return "en";
}

/** The language subtag of a locale tag, lower case: "fr-CA" → "fr", "EN_gb" → "en". */
function primaryLanguage(tag: string): string {
  return tag.split(/[-_]/, 1)[0]?.trim().toLowerCase() ?? "";
}

/**
 * `tag` as a well-formed BCP 47 tag ("en_GB.UTF-8" → "en-GB", as a POSIX locale names it), or
 * null for what is none.
 */
function canonicalLocale(tag: string): string | null {
  const bare = tag.split(/[.@]/, 1)[0]?.trim().replaceAll("_", "-") ?? "";
  if (bare === "") return null;
  try {
    return Intl.getCanonicalLocales(bare)[0] ?? null;
  } catch {
    return null;
  }
}

/**
 * The locale to format dates, times and numbers in for `language`: the first of `computerLocales`
 * (most preferred first) that speaks it, so an English UI on an en-GB computer keeps day-month
 * order and the 24-hour clock; else the language's own tag, so a French UI on an English computer
 * says "lun. 29 mars" rather than "Mon 29 Mar".
 */
export function resolveFormatLocale(
  language: UiLanguage,
  computerLocales: readonly string[],
): string {
  for (const tag of computerLocales) {
    const locale = canonicalLocale(tag);
    if (locale !== null && primaryLanguage(locale) === language) return locale;
  }
  return language;
}

/** The computer's preferred languages, most preferred first; none outside a browser. */
function systemLanguages(): readonly string[] {
  if (typeof navigator === "undefined") return [];
  if (navigator.languages && navigator.languages.length > 0) return navigator.languages;
  return navigator.language ? [navigator.language] : [];
}

// The locale the runtime formats in when given none; it does not change while the app runs.
let runtimeLocale: string | undefined;

/**
 * The computer's locales, most preferred first: its languages, then the locale its JavaScript
 * engine formats in by default.
 */
function computerLocales(): readonly string[] {
  runtimeLocale ??= new Intl.DateTimeFormat().resolvedOptions().locale;
  return [...systemLanguages(), runtimeLocale];
}

/** Screen readers and hyphenation follow the page's language. */
function applyToDocument(language: UiLanguage): void {
  if (typeof document !== "undefined") document.documentElement.lang = language;
}

// Until the settings are read, the computer's language: what "system", the default, would choose.
const initial = resolveLanguage("system", systemLanguages());
let current = $state<UiLanguage>(initial);
applyToDocument(initial);

/** Switches the UI to `choice` ("system": the computer's languages); returns the language used. */
export function setLanguage(choice: LanguageChoice): UiLanguage {
  current = resolveLanguage(choice, systemLanguages());
  applyToDocument(current);
  return current;
}

/** The language the UI speaks now; reactive, so a template or `$derived` reading it follows. */
export function currentLanguage(): UiLanguage {
  return current;
}

/**
 * The BCP 47 locale dates, times and numbers are formatted in now: the computer's own when it
 * speaks the UI's language ("en-GB"), else the language's tag ("fr"). Reactive, like
 * `currentLanguage`: a template or `$derived` that formats with it follows a language change.
 */
export function formatLocale(): string {
  return resolveFormatLocale(current, computerLocales());
}

/** The current language's message for `key`, or English's when a translation lacks it. */
function message(key: string): string | undefined {
  const messages: Readonly<Record<string, string>> = catalogues[current];
  const english: Readonly<Record<string, string>> = en;
  if (Object.hasOwn(messages, key)) return messages[key];
  return Object.hasOwn(english, key) ? english[key] : undefined;
}

/**
 * The messages of the current language. Read-only; its keys are English's, so spreading it or
 * listing its keys works as with a plain object (a snapshot, not live).
 */
export const t: Messages = new Proxy({} as Messages, {
  get: (_target, key) => (typeof key === "string" ? message(key) : undefined),
  has: (_target, key) => typeof key === "string" && Object.hasOwn(en, key),
  ownKeys: () => Object.keys(en),
  getOwnPropertyDescriptor: (_target, key) => {
    if (typeof key !== "string" || !Object.hasOwn(en, key)) return undefined;
    // Configurable, as the (empty) target has no such property: a Proxy invariant.
    return { value: message(key), enumerable: true, configurable: true, writable: false };
  },
  set: () => false,
  defineProperty: () => false,
  deleteProperty: () => false,
});
