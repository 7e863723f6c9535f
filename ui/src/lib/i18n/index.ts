// The messages the UI shows. Today English only; the i18n layer will choose the learner's language
// here, and components keep importing `t` from this module.
import { en, type Messages } from "./en";

export const t: Messages = en;
export type { Messages };
export { format, formatParts, type MessagePart } from "./format";
