import { describe, expect, it } from "vitest";
import { countWords } from "./words";

describe("countWords", () => {
  // The backend's own cases (carrel-core assess::grade), so both sides agree.
  it.each<[string, number]>([
    ["", 0],
    ["   \n\t ", 0],
    ["one", 1],
    ["one two  three\nfour", 4],
    ["l'égalité de traitement", 3],
    ["l’égalité", 1],
    ["e-mail well-known state-of-the-art", 3],
    ["non\u2011breaking", 1],
    ["rock 'n' roll", 3],
    ["end-", 1],
    ["-- - — * # > ---", 0],
    ["word--word", 2],
    ["3.5 and 1,000", 5],
    ["snake_case", 2],
    ["**bold** _it_ `code`", 3],
    ["# Heading\n\n- item one\n- item two", 5],
    ["[the link](https://ilo.org/x)", 6],
    ["e\u0301te\u0301 résumé", 2],
    ["Convention No. 143 (1975)", 4],
    ["移民 労働者", 2],
    ["año, niño; ¿qué?", 3],
  ])("%j has %i words", (text, count) => {
    expect(countWords(text)).toBe(count);
  });
});
