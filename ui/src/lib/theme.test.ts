// The colour theme: resolving the choice, drawing it on <html>, following the computer for
// "system", and the hint main.ts applies before the settings are read.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Theme } from "./backend";

/** A computer whose dark preference the test flips, as matchMedia reports it. */
class FakeSystem {
  dark = false;
  readonly #listeners: ((event: MediaQueryListEvent) => void)[] = [];

  install(): void {
    vi.stubGlobal("matchMedia", (query: string) => {
      expect(query, "the theme watches the dark preference").toBe("(prefers-color-scheme: dark)");
      const system = this;
      return {
        get matches() {
          return system.dark;
        },
        media: query,
        addEventListener: (_type: string, listener: (event: MediaQueryListEvent) => void) =>
          this.#listeners.push(listener),
        removeEventListener: () => undefined,
      } as unknown as MediaQueryList;
    });
  }

  set(dark: boolean): void {
    this.dark = dark;
    for (const listener of this.#listeners) listener({ matches: dark } as MediaQueryListEvent);
  }
}

/** A fresh copy of the module (it watches the computer once, at first use). */
async function freshTheme() {
  vi.resetModules();
  return import("./theme");
}

const drawn = () => document.documentElement.dataset.theme;

beforeEach(() => {
  localStorage.clear();
  delete document.documentElement.dataset.theme;
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("resolveTheme", () => {
  const cases: [Theme, boolean, string][] = [
    ["light", true, "light"],
    ["dark", false, "dark"],
    ["system", true, "dark"],
    ["system", false, "light"],
  ];
  for (const [choice, prefersDark, expected] of cases) {
    it(`${choice} on a computer that ${prefersDark ? "prefers" : "does not prefer"} dark is ${expected}`, async () => {
      const { resolveTheme } = await freshTheme();
      expect(resolveTheme(choice, prefersDark)).toBe(expected);
    });
  }
});

describe("applyTheme", () => {
  it("draws the chosen theme on <html> whatever the computer prefers", async () => {
    const system = new FakeSystem();
    system.install();
    const { applyTheme } = await freshTheme();
    expect(applyTheme("dark")).toBe("dark");
    expect(drawn()).toBe("dark");
    system.set(false);
    expect(drawn(), "a chosen theme ignores the computer's changes").toBe("dark");
    applyTheme("light");
    system.set(true);
    expect(drawn()).toBe("light");
  });

  it("follows the computer, including a change while Carrel runs, for system", async () => {
    const system = new FakeSystem();
    system.dark = true;
    system.install();
    const { applyTheme, currentTheme } = await freshTheme();
    expect(applyTheme("system")).toBe("dark");
    expect(currentTheme()).toBe("system");
    system.set(false);
    expect(drawn()).toBe("light");
    system.set(true);
    expect(drawn()).toBe("dark");
  });

  it("draws light for system where the computer's preference cannot be read", async () => {
    // jsdom has no matchMedia, like a very old WebView.
    vi.stubGlobal("matchMedia", undefined);
    const { applyTheme } = await freshTheme();
    expect(applyTheme("system")).toBe("light");
    expect(drawn()).toBe("light");
  });

  it("treats a value it does not know (a hand-edited file) as system", async () => {
    const system = new FakeSystem();
    system.dark = true;
    system.install();
    const { applyTheme, currentTheme } = await freshTheme();
    expect(applyTheme("sepia" as Theme)).toBe("dark");
    expect(currentTheme()).toBe("system");
  });
});

describe("the theme hint for the next start", () => {
  it("applies the theme chosen last time before the settings are read", async () => {
    const system = new FakeSystem();
    system.install();
    const first = await freshTheme();
    first.applyTheme("dark");
    delete document.documentElement.dataset.theme;

    const next = await freshTheme();
    expect(next.applyThemeHint()).toBe("dark");
    expect(drawn()).toBe("dark");
    expect(next.currentTheme()).toBe("dark");
  });

  it("uses the computer's theme without a hint, or with one it does not know", async () => {
    const system = new FakeSystem();
    system.dark = true;
    system.install();
    const { applyThemeHint, THEME_HINT_KEY } = await freshTheme();
    expect(applyThemeHint()).toBe("dark");
    localStorage.setItem(THEME_HINT_KEY, "neon");
    system.dark = false;
    expect(applyThemeHint()).toBe("light");
  });
});
