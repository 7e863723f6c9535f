import { describe, expect, it } from "vitest";
import { formatInstant } from "./assess";
import { outboxEntry } from "../test/assess-fixtures";
import { syncStatus } from "../test/fixtures";
import { describeLastSynced, describeSync, dueOf, dueWarnings, DUE_WARNING_MS } from "./sync";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 1, 11, 10, 0, 0);

describe("describeSync", () => {
  it.each([
    ["starting", 0, "Getting ready to send your work…"],
    ["idle", 0, "All work sent"],
    ["idle", 1, "1 waiting to be sent"],
    ["syncing", 0, "Syncing…"],
    ["syncing", 1, "Sending 1 submission…"],
    ["syncing", 2, "Sending 2 submissions…"],
    ["offline", 0, "Offline — all work sent"],
    ["offline", 3, "Offline — 3 waiting"],
    ["signed_out", 0, "Not signed in"],
    ["signed_out", 1, "Sign in to send 1 submission"],
    ["signed_out", 2, "Sign in to send 2 submissions"],
    ["held", 0, "Sync held (metered connection)"],
    ["held", 4, "Sync held (metered connection) — 4 waiting"],
    ["failed", 2, "Sync stopped by a problem on this computer"],
  ] as const)("%s with %i queued: %s", (phase, queued, label) => {
    const described = describeSync(syncStatus({ phase, queued }));
    expect(described.phase).toBe(phase);
    expect(described.label).toBe(label);
  });

  it("counts what needs attention, or says nothing", () => {
    expect(describeSync(syncStatus()).attention).toBeNull();
    expect(describeSync(syncStatus({ needsAttention: 1 })).attention).toBe("1 needs attention");
    expect(describeSync(syncStatus({ needsAttention: 2 })).attention).toBe("2 need attention");
  });

  it("gives the upload's bytes for a progress bar and in words", () => {
    const sending = { submissionId: "sub-1", sent: 1_200_000, total: 4_500_000 };
    const described = describeSync(syncStatus({ phase: "syncing", queued: 1, sending }));
    expect(described.progress?.value).toBe(1_200_000);
    expect(described.progress?.max).toBe(4_500_000);
    expect(described.progress?.text).toBe("Sent 1.2 of 4.5 MB");
    expect(describeSync(syncStatus({ sending: { ...sending, total: 0 } })).progress).toBeNull();
  });

  it("says why sync stopped only when it failed", () => {
    expect(describeSync(syncStatus({ phase: "failed", lastError: "Disk full" })).detail).toBe(
      "Disk full",
    );
    expect(describeSync(syncStatus({ phase: "offline", lastError: "timeout" })).detail).toBeNull();
  });
});

describe("describeLastSynced", () => {
  it("says how long ago, or that it never synced", () => {
    expect(describeLastSynced(syncStatus({ lastSuccessMs: NOW - 5 * 60_000 }), NOW)).toBe(
      "Last synced 5 minutes ago",
    );
    expect(describeLastSynced(syncStatus({ lastSuccessMs: NOW - 10_000 }), NOW)).toBe(
      "Last synced just now",
    );
    expect(describeLastSynced(syncStatus({ lastSuccessMs: NOW - 3 * HOUR }), NOW)).toBe(
      "Last synced 3 hours ago",
    );
    expect(describeLastSynced(syncStatus({ lastSuccessMs: null }), NOW)).toBe("Not synced yet");
  });
});

describe("dueWarnings", () => {
  const due = (hours: number) => NOW + hours * HOUR;

  it("warns about unsent work due within 48 hours or past, soonest first", () => {
    const entries = [
      outboxEntry({ id: "later", title: "Essay", dueMs: due(47) }),
      outboxEntry({ id: "far", dueMs: due(49) }),
      outboxEntry({ id: "past", title: "Quiz 1", dueMs: due(-2) }),
      outboxEntry({ id: "sent", state: "received", dueMs: due(1) }),
      outboxEntry({ id: "graded", state: "graded", dueMs: due(1) }),
      outboxEntry({ id: "none", dueMs: null }),
      outboxEntry({ id: "sending", state: "sending", dueMs: due(5) }),
    ];
    const warnings = dueWarnings(entries, NOW);
    expect(warnings.map((w) => w.entry.id)).toEqual(["past", "sending", "later"]);
    expect(warnings[2]?.text).toBe(
      `“Essay” is due ${formatInstant(due(47))} (in 47 hours) and has not been sent yet. Connect to the internet so Carrel can send it — or export it and send it to your tutor another way.`,
    );
    expect(warnings[0]?.text).toContain(`“Quiz 1” was due ${formatInstant(due(-2))} (2 hours ago)`);
  });

  it("tells work that could not be sent to be exported", () => {
    const [warning] = dueWarnings([outboxEntry({ state: "needs_attention", dueMs: due(3) })], NOW);
    expect(warning?.text).toContain("could not be sent. Export it");
  });

  it("the limit is 48 hours", () => {
    expect(DUE_WARNING_MS).toBe(48 * HOUR);
    expect(dueWarnings([outboxEntry({ dueMs: NOW + DUE_WARNING_MS })], NOW)).toHaveLength(1);
    expect(dueWarnings([outboxEntry({ dueMs: NOW + DUE_WARNING_MS + 1 })], NOW)).toHaveLength(0);
  });

  it("reads no due date from an entry of bindings without dueMs", () => {
    const entry = outboxEntry();
    delete (entry as { dueMs?: unknown }).dueMs;
    expect(dueOf(entry)).toBeNull();
    expect(dueWarnings([entry], NOW)).toEqual([]);
  });
});
