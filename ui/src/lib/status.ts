// How a server status is put into words for the learner. Pure (no Svelte, no IPC), so it is
// unit-tested directly.
import type { ConnectionState } from "./backend/bindings/ConnectionState";
import type { ServerStatus } from "./backend/bindings/ServerStatus";
import { format, formatParts, t, type MessagePart, type Messages } from "./i18n";
import { localeOf, type InstantOptions } from "./i18n/units";

export interface StatusDescription {
  state: ConnectionState;
  /** One or two words for the badge: "Online", "Offline", "Checking…". */
  label: string;
  /** What the state means for the learner, e.g. "Connected to https://…". */
  summary: string;
  /** `summary` in parts; the part with `placeholder === "url"` is the server address. */
  summaryParts: MessagePart[];
  /** Why the server is offline, from the backend, when it said. */
  detail: string | null;
}

/** Label and explanation for each connection state. */
export function describeStatus(status: ServerStatus, messages: Messages = t): StatusDescription {
  const url = status.serverUrl;
  let label: string;
  let template: string;
  const values: Record<string, string> = { url };
  let detail: string | null = null;
  switch (status.state) {
    case "online":
      label = messages.statusOnline;
      if (status.serverVersion) {
        template = messages.statusConnectedToVersion;
        values.version = status.serverVersion;
      } else {
        template = messages.statusConnectedTo;
      }
      break;
    case "offline":
      label = messages.statusOffline;
      template = messages.statusCantReach;
      detail = nonEmpty(status.detail);
      break;
    case "checking":
      label = messages.statusChecking;
      template = messages.statusCheckingUrl;
      break;
  }
  const summaryParts = formatParts(template, values);
  return {
    state: status.state,
    label,
    summary: summaryParts.map((part) => part.text).join(""),
    summaryParts,
    detail,
  };
}

/**
 * "Last checked at 14:05:09" in local time, or null before the first check finished. `locale` and
 * `timeZone` exist for tests; the app passes neither and gets the UI's locale and the computer's
 * time zone.
 */
export function describeLastChecked(
  status: ServerStatus,
  options: InstantOptions = {},
  messages: Messages = t,
): string | null {
  if (status.checkedAtMs === null) return null;
  const time = new Date(status.checkedAtMs).toLocaleTimeString(localeOf(options), {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZone: options.timeZone,
  });
  return format(messages.statusLastChecked, { time });
}

function nonEmpty(text: string | null): string | null {
  return text !== null && text.trim() !== "" ? text : null;
}
