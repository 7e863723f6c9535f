import { render } from "@testing-library/svelte";
import { tick } from "svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { en, type Messages } from "./en";
import { es } from "./es";
import { fr } from "./fr";
import {
  currentLanguage,
  formatLocale,
  resolveFormatLocale,
  resolveLanguage,
  setLanguage,
  t,
  type LanguageChoice,
  type UiLanguage,
} from "./index";
import LanguageProbe from "./LanguageProbe.test.svelte";

const translations: Record<string, Messages> = { fr, es };

function placeholders(message: string): string[] {
  return [...new Set([...message.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? ""))].sort();
}

afterEach(() => {
  setLanguage("en");
});

describe("translations", () => {
  for (const [language, messages] of Object.entries(translations)) {
    it(`${language} has exactly the keys of en`, () => {
      // A missing key would show English mid-sentence; an extra one is a key en.ts renamed.
      expect(Object.keys(messages).sort()).toEqual(Object.keys(en).sort());
    });

    it(`${language} keeps every message's placeholders`, () => {
      const english: Record<string, string> = en;
      const broken = Object.entries(messages)
        .filter(([key, text]) => {
          return placeholders(text).join() !== placeholders(english[key] ?? "").join();
        })
        .map(([key, text]) => `${key}: ${text}`);
      // A renamed or dropped {placeholder} would show the braces, or lose the value, at run time.
      expect(broken).toEqual([]);
    });

    it(`${language} has no empty message and names its own locale`, () => {
      expect(Object.entries(messages).filter(([, text]) => text.trim() === "")).toEqual([]);
      expect(messages.locale).toBe(language);
    });
  }
});

describe("accessible names", () => {
  // A button showing `visible` and named `label` for screen readers must keep its visible words
  // in its name (WCAG 2.5.3, axe's label-content-name-mismatch): speech users say what they see.
  const pairs: [keyof Messages, keyof Messages][] = [
    ["playerMoveUp", "playerMoveUpLabel"],
    ["playerMoveDown", "playerMoveDownLabel"],
    ["forumReplyTo", "forumReplyToLabel"],
    ["forumRemoveFile", "forumRemoveFileLabel"],
  ];
  for (const [language, messages] of [["en", en], ["fr", fr], ["es", es]] as const) {
    it(`keep the visible text in the name, in ${language}`, () => {
      for (const [visible, label] of pairs) {
        expect(messages[label].toLowerCase(), label).toContain(messages[visible].toLowerCase());
      }
    });
  }
});

describe("resolveLanguage", () => {
  const cases: [LanguageChoice, readonly string[], string][] = [
    ["fr", ["en-US"], "fr"],
    ["es", [], "es"],
    ["en", ["fr-FR"], "en"],
    ["system", ["fr-CA", "en-US"], "fr"],
    ["system", ["es-419"], "es"],
    ["system", ["de-DE", "pt-BR", "es-ES", "fr"], "es"],
    ["system", ["ES"], "es"],
    ["system", ["fr_BE"], "fr"],
    ["system", ["de-DE", "ja"], "en"],
    ["system", [], "en"],
    ["system", [""], "en"],
  ];
  for (const [choice, languages, expected] of cases) {
    it(`${choice} with [${languages.join(", ")}] is ${expected}`, () => {
      expect(resolveLanguage(choice, languages)).toBe(expected);
    });
  }

  it("treats a choice it does not know as system", () => {
    // A settings file may hold a language a later Carrel dropped, or anything at all.
    expect(resolveLanguage("de" as LanguageChoice, ["es-MX"])).toBe("es");
    expect(resolveLanguage("de" as LanguageChoice, ["de"])).toBe("en");
  });
});

describe("resolveFormatLocale", () => {
  const cases: [UiLanguage, readonly string[], string][] = [
    ["en", ["en-GB"], "en-GB"],
    ["en", ["fr-FR", "en-GB", "en-US"], "en-GB"],
    ["fr", ["en-US", "en"], "fr"],
    ["fr", ["fr-CA"], "fr-CA"],
    ["es", ["es-MX", "es"], "es-MX"],
    ["es", [], "es"],
    ["en", ["en_GB.UTF-8"], "en-GB"],
    ["en", ["EN-gb"], "en-GB"],
    ["en", ["", "not a tag", "en-AU"], "en-AU"],
    ["fr", ["de-DE"], "fr"],
  ];
  for (const [language, locales, expected] of cases) {
    it(`${language} with [${locales.join(", ")}] is ${expected}`, () => {
      expect(resolveFormatLocale(language, locales)).toBe(expected);
    });
  }
});

describe("formatLocale", () => {
  it("is the chosen language's when the computer speaks another", () => {
    vi.spyOn(navigator, "languages", "get").mockReturnValue(["en-US", "en"]);
    setLanguage("fr");
    // A French UI on an English computer must not show "Mon 29 Mar" and "08:21:17 PM".
    expect(formatLocale()).toBe("fr");
    setLanguage("es");
    expect(formatLocale()).toBe("es");
  });

  it("keeps the computer's regional format when it speaks the chosen language", () => {
    vi.spyOn(navigator, "languages", "get").mockReturnValue(["en-GB", "fr-FR"]);
    setLanguage("en");
    expect(formatLocale(), "an en-GB computer keeps day-month order in English").toBe("en-GB");
    setLanguage("fr");
    expect(formatLocale(), "the computer's next language that matches").toBe("fr-FR");
  });
});

describe("setLanguage", () => {
  it("switches the messages t reads, and the page's language", () => {
    expect(setLanguage("fr")).toBe("fr");
    expect(t.navSettings).toBe(fr.navSettings);
    expect(currentLanguage()).toBe("fr");
    expect(document.documentElement.lang).toBe("fr");

    setLanguage("es");
    expect(t.navSettings).toBe(es.navSettings);
    expect(document.documentElement.lang).toBe("es");

    setLanguage("en");
    expect(t.navSettings).toBe(en.navSettings);
    expect(document.documentElement.lang).toBe("en");
  });

  it("follows the computer's languages for system", () => {
    vi.spyOn(navigator, "languages", "get").mockReturnValue(["es-AR", "en"]);
    expect(setLanguage("system")).toBe("es");
    expect(t.locale).toBe("es");
  });

  it("keeps t usable as a plain, read-only object", () => {
    setLanguage("fr");
    expect(Object.keys(t)).toEqual(Object.keys(en));
    expect("navSettings" in t).toBe(true);
    expect("noSuchKey" in t).toBe(false);
    // Spreading takes the current language's messages.
    expect({ ...t }).toEqual(fr);
    expect(() => {
      (t as Record<string, string>).navSettings = "x";
    }).toThrow(TypeError);
    expect(t.navSettings).toBe(fr.navSettings);
  });

  it("shows a component's messages in the new language without remounting it", async () => {
    render(LanguageProbe);
    const text = (id: string) => document.getElementById(id)?.textContent;
    expect(text("probe-nav")).toBe("Settings");
    expect(text("probe-items")).toBe("3 items");

    setLanguage("fr");
    await tick();
    expect(text("probe-nav")).toBe("Paramètres");
    expect(text("probe-items")).toBe("3 éléments");
    expect(text("probe-language")).toBe("fr");

    setLanguage("es");
    await tick();
    expect(text("probe-nav")).toBe("Configuración");
    expect(text("probe-items")).toBe("3 elementos");
  });

  it("shows a component's dates and numbers in the new language, live", async () => {
    vi.spyOn(navigator, "languages", "get").mockReturnValue(["en-US", "en"]);
    render(LanguageProbe);
    const text = (id: string) => document.getElementById(id)?.textContent;
    expect(text("probe-date")).toBe("Mon, Mar 29, 08:21 PM");
    expect(text("probe-number")).toBe("1,234.5");

    setLanguage("fr");
    await tick();
    // French names and a 24-hour clock, though the computer speaks American English.
    expect(text("probe-date")).toBe("lun. 29 mars, 20:21");
    expect(text("probe-number")).toMatch(/^1\s234,5$/);

    setLanguage("es");
    await tick();
    expect(text("probe-date")).toBe("lun, 29 mar, 20:21");
    expect(text("probe-number")).toBe("1234,5");
  });
});

describe("a translation missing a key", () => {
  it("falls back to English for that key only", async () => {
    vi.resetModules();
    vi.doMock("./es", () => {
      const { navSettings: _dropped, ...rest } = es;
      return { es: rest };
    });
    try {
      const fresh = await import("./language.svelte");
      fresh.setLanguage("es");
      expect(fresh.t.navSettings).toBe(en.navSettings);
      expect(fresh.t.navLibrary).toBe(es.navLibrary);
      fresh.setLanguage("en");
    } finally {
      vi.doUnmock("./es");
      vi.resetModules();
    }
  });
});
