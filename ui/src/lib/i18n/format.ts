// Filling `{name}` placeholders in messages.

/** A piece of a filled-in message: plain text, or the value of one placeholder. */
export interface MessagePart {
  text: string;
  /** The placeholder this part fills, so a view can mark it up (e.g. wrap the URL in an element). */
  placeholder?: string;
}

const PLACEHOLDER = /\{(\w+)\}/g;

/** Splits `message` into text and filled placeholders, in order. Unknown placeholders stay as text. */
export function formatParts(message: string, values: Record<string, string>): MessagePart[] {
  const parts: MessagePart[] = [];
  let last = 0;
  for (const match of message.matchAll(PLACEHOLDER)) {
    const [whole, name] = match;
    const value = name === undefined ? undefined : values[name];
    if (value === undefined) continue;
    if (match.index > last) parts.push({ text: message.slice(last, match.index) });
    parts.push({ text: value, placeholder: name });
    last = match.index + whole.length;
  }
  if (last < message.length) parts.push({ text: message.slice(last) });
  return mergeText(parts);
}

/** Fills `{name}` placeholders in `message`. */
export function format(message: string, values: Record<string, string>): string {
  return formatParts(message, values)
    .map((part) => part.text)
    .join("");
}

function mergeText(parts: MessagePart[]): MessagePart[] {
  const merged: MessagePart[] = [];
  for (const part of parts) {
    const previous = merged[merged.length - 1];
    if (previous && previous.placeholder === undefined && part.placeholder === undefined) {
      previous.text += part.text;
    } else {
      merged.push({ ...part });
    }
  }
  return merged;
}
