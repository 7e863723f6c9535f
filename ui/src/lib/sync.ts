// Background sync in words: what it is doing, what waits, when it last worked, and which unsent
// submissions are close to their due date. Pure (no Svelte, no IPC), so it is unit-tested directly.
import { isUnsent } from "./app-state.svelte";
import { formatInstant, formatTimeOfDay } from "./assess";
import type { OutboxEntry, SyncPhase, SyncStatus } from "./backend";
import { format, t, type Messages } from "./i18n";
import { formatByteProgress, formatRelativeTime, plural } from "./i18n/units";

/** Unsent work due within this long (or already past) is warned about. */
export const DUE_WARNING_MS = 48 * 60 * 60 * 1000;

export interface SyncDescription {
  phase: SyncPhase;
  /** What sync is doing, in a few words: "All work sent", "Offline — 3 waiting". */
  label: string;
  /** "2 need attention", or null when nothing does. */
  attention: string | null;
  /** The upload under way: bytes for a <progress>, and "Sent 1.2 of 4.5 MB". */
  progress: { value: number; max: number; text: string } | null;
  /** Why sync stopped (phase `failed`), from the backend. */
  detail: string | null;
}

/** The phase and counts of a sync status in words. */
export function describeSync(status: SyncStatus, messages: Messages = t): SyncDescription {
  const queued = status.queued;
  const counted = (one: string, other: string) => plural(queued, { one, other });
  let label: string;
  switch (status.phase) {
    case "starting":
      label = messages.syncPhaseStarting;
      break;
    case "idle":
      label =
        queued === 0
          ? messages.syncPhaseAllSent
          : counted(messages.syncPhaseWaitingOne, messages.syncPhaseWaitingOther);
      break;
    case "syncing":
      label =
        queued === 0
          ? messages.syncPhaseSyncing
          : counted(messages.syncPhaseSendingOne, messages.syncPhaseSendingOther);
      break;
    case "offline":
      label =
        queued === 0
          ? messages.syncPhaseOffline
          : counted(messages.syncPhaseOfflineWaitingOne, messages.syncPhaseOfflineWaitingOther);
      break;
    case "signed_out":
      label =
        queued === 0
          ? messages.syncPhaseSignedOut
          : counted(messages.syncPhaseSignInOne, messages.syncPhaseSignInOther);
      break;
    case "held":
      label =
        queued === 0
          ? messages.syncPhaseHeld
          : counted(messages.syncPhaseHeldWaitingOne, messages.syncPhaseHeldWaitingOther);
      break;
    case "failed":
      label = messages.syncPhaseFailed;
      break;
  }
  const attention =
    status.needsAttention > 0
      ? plural(status.needsAttention, {
          one: messages.syncNeedsAttentionOne,
          other: messages.syncNeedsAttentionOther,
        })
      : null;
  const detail =
    status.phase === "failed" && status.lastError?.trim() ? status.lastError.trim() : null;
  return { phase: status.phase, label, attention, progress: describeSending(status, messages), detail };
}

function describeSending(
  status: SyncStatus,
  messages: Messages,
): SyncDescription["progress"] {
  const sending = status.sending;
  if (!sending || sending.total <= 0) return null;
  const { done, total } = formatByteProgress(sending.sent, sending.total, {}, messages);
  return {
    value: Math.min(sending.sent, sending.total),
    max: sending.total,
    text: format(messages.outboxSendingProgress, { done, total }),
  };
}

/** "Last synced 5 minutes ago", or "Not synced yet". */
export function describeLastSynced(
  status: SyncStatus,
  nowMs: number,
  messages: Messages = t,
): string {
  if (status.lastSuccessMs === null) return messages.syncNeverSynced;
  return format(messages.syncLastSynced, {
    relative: formatRelativeTime(status.lastSuccessMs, nowMs, messages),
  });
}

/** An instant as a time of day when it is today, else with its date: "14:05", "Thu 12 Feb…". */
export function formatWhen(ms: number, nowMs: number): string {
  const sameDay = new Date(ms).toDateString() === new Date(nowMs).toDateString();
  return sameDay ? formatTimeOfDay(ms) : formatInstant(ms);
}

/** When an entry's item is due; null when it has no due date (or the backend does not say). */
export function dueOf(entry: OutboxEntry): number | null {
  // `dueMs` is newer than some bindings: absent there.
  const due = (entry as OutboxEntry & { dueMs?: number | null }).dueMs;
  return typeof due === "number" ? due : null;
}

export interface DueWarning {
  entry: OutboxEntry;
  dueMs: number;
  /** The warning in words, naming the item and its due time. */
  text: string;
}

/**
 * Submissions not received yet whose item is due within 48 hours or already past, soonest first,
 * each with what to do: connect (or export), or, for one that cannot be sent, export.
 */
export function dueWarnings(
  entries: readonly OutboxEntry[],
  nowMs: number,
  messages: Messages = t,
): DueWarning[] {
  const warnings: DueWarning[] = [];
  for (const entry of entries) {
    const dueMs = dueOf(entry);
    if (dueMs === null || !isUnsent(entry) || dueMs - nowMs > DUE_WARNING_MS) continue;
    const time = format(messages.outboxDueWhen, {
      time: formatInstant(dueMs),
      relative: formatRelativeTime(dueMs, nowMs, messages),
    });
    const template =
      entry.state === "needs_attention"
        ? messages.outboxDueStuck
        : dueMs < nowMs
          ? messages.outboxDuePassed
          : messages.outboxDueSoon;
    warnings.push({ entry, dueMs, text: format(template, { title: entry.title, time }) });
  }
  return warnings.sort((a, b) => a.dueMs - b.dueMs);
}
