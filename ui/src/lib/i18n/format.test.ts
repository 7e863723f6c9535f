import { describe, expect, it } from "vitest";
import { en } from "./en";
import { format, formatParts } from "./format";

describe("format", () => {
  it("fills placeholders", () => {
    expect(format("Saved. Carrel now uses {url}.", { url: "https://a.example" })).toBe(
      "Saved. Carrel now uses https://a.example.",
    );
  });

  it("leaves unknown placeholders as they are", () => {
    expect(format("{a} and {b}", { a: "1" })).toBe("1 and {b}");
  });

  it("does not re-read placeholders inside values", () => {
    expect(format("{a}", { a: "{b}", b: "no" })).toBe("{b}");
  });
});

describe("formatParts", () => {
  it("splits text and values in order", () => {
    expect(formatParts("Connected to {url} (v{version})", { url: "U", version: "1" })).toEqual([
      { text: "Connected to " },
      { text: "U", placeholder: "url" },
      { text: " (v" },
      { text: "1", placeholder: "version" },
      { text: ")" },
    ]);
  });

  it("keeps a message without placeholders whole", () => {
    expect(formatParts("Offline", {})).toEqual([{ text: "Offline" }]);
  });

  it("merges an unknown placeholder into the surrounding text", () => {
    expect(formatParts("a {x} b {y}", { y: "Y" })).toEqual([
      { text: "a {x} b " },
      { text: "Y", placeholder: "y" },
    ]);
  });
});

describe("en", () => {
  it("is a flat object of non-empty strings", () => {
    for (const [key, value] of Object.entries(en)) {
      expect(typeof value, key).toBe("string");
      expect(value.trim(), key).not.toBe("");
    }
  });
});
