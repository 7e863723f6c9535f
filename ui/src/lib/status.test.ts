import { afterEach, describe, expect, it, vi } from "vitest";
import { checkingStatus, offlineStatus, onlineStatus, SERVER } from "../test/fixtures";
import { formatLocale, setLanguage } from "./i18n";
import { describeLastChecked, describeStatus } from "./status";

describe("describeStatus", () => {
  it("online: Online, connected to the URL, with the server version", () => {
    const d = describeStatus(onlineStatus({ serverVersion: "0.3.1" }));
    expect(d.state).toBe("online");
    expect(d.label).toBe("Online");
    expect(d.summary).toBe(`Connected to ${SERVER} (server version 0.3.1)`);
    expect(d.detail).toBeNull();
  });

  it("online without a version says only where it is connected", () => {
    const d = describeStatus(onlineStatus({ serverVersion: null }));
    expect(d.summary).toBe(`Connected to ${SERVER}`);
  });

  it("offline: Offline, a calm explanation naming the URL, and the backend's detail", () => {
    const status = offlineStatus();
    const d = describeStatus(status);
    expect(d.label).toBe("Offline");
    expect(d.summary).toBe(
      `Can't reach ${SERVER}. You can keep studying; your work is saved on this computer and will be sent when the server is reachable.`,
    );
    expect(d.detail).toBe(status.detail);
  });

  it("offline with no (or a blank) detail shows none", () => {
    expect(describeStatus(offlineStatus({ detail: null })).detail).toBeNull();
    expect(describeStatus(offlineStatus({ detail: "  " })).detail).toBeNull();
  });

  it("checking: Checking…, and ignores any detail", () => {
    const d = describeStatus(checkingStatus({ detail: "stale" }));
    expect(d.label).toBe("Checking…");
    expect(d.summary).toContain(SERVER);
    expect(d.detail).toBeNull();
  });

  it("marks exactly one part of the summary as the URL, for every state", () => {
    for (const status of [onlineStatus(), offlineStatus(), checkingStatus()]) {
      const d = describeStatus(status);
      const urls = d.summaryParts.filter((part) => part.placeholder === "url");
      expect(urls).toEqual([{ text: SERVER, placeholder: "url" }]);
      expect(d.summaryParts.map((part) => part.text).join("")).toBe(d.summary);
    }
  });

  it("gives each state a different label", () => {
    const labels = new Set(
      [onlineStatus(), offlineStatus(), checkingStatus()].map((s) => describeStatus(s).label),
    );
    expect(labels.size).toBe(3);
  });
});

describe("describeLastChecked", () => {
  it("is null before the first check finished", () => {
    expect(describeLastChecked(checkingStatus())).toBeNull();
  });

  it("gives the time of the check in the given time zone", () => {
    const status = onlineStatus({ checkedAtMs: Date.UTC(2026, 0, 15, 9, 30, 5) });
    expect(describeLastChecked(status, { locale: "en-GB", timeZone: "UTC" })).toBe(
      "Last checked at 09:30:05",
    );
    expect(describeLastChecked(status, { locale: "en-GB", timeZone: "Africa/Nairobi" })).toBe(
      "Last checked at 12:30:05",
    );
  });

  it("uses the computer's local time by default", () => {
    const at = new Date(2026, 5, 1, 16, 4, 9); // local time
    const text = describeLastChecked(onlineStatus({ checkedAtMs: at.getTime() }));
    expect(text).toBe(
      `Last checked at ${at.toLocaleTimeString(formatLocale(), { hour: "2-digit", minute: "2-digit", second: "2-digit" })}`,
    );
  });

  describe("in French", () => {
    afterEach(() => {
      setLanguage("en");
    });

    it("tells the time on a French clock, though the computer speaks English", () => {
      vi.spyOn(navigator, "languages", "get").mockReturnValue(["en-US", "en"]);
      setLanguage("fr");
      const status = onlineStatus({ checkedAtMs: Date.UTC(2026, 0, 15, 20, 21, 17) });
      // Not "08:21:17 PM", the English computer's own format.
      expect(describeLastChecked(status, { timeZone: "UTC" })).toBe(
        "Dernière vérification à 20:21:17",
      );
    });
  });
});
