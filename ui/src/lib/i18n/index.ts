// The messages the UI shows, in the learner's language. Components import `t` from this module and
// read `t.someKey`; `setLanguage` switches every one of them at once (see ./language.svelte.ts).
export type { Messages } from "./en";
export {
  currentLanguage,
  formatLocale,
  resolveFormatLocale,
  resolveLanguage,
  setLanguage,
  t,
  type LanguageChoice,
  type UiLanguage,
} from "./language.svelte";
export { format, formatParts, type MessagePart } from "./format";
