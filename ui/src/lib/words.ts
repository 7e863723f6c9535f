// Counting words the way the backend does (carrel-core assess::grade::word_count), so the count the
// editor shows is the count the submission carries: a word is a maximal run of letters and digits
// (any script, combining accents included); an apostrophe or hyphen between two such characters
// joins them ("l'égalité", "well-known"); everything else separates words.

const WORD_CHAR = /[\p{Alphabetic}\p{N}\u0300-\u036f]/u;
const JOINERS = new Set(["'", "\u2019", "-", "\u2010", "\u2011"]);

/** The number of words in `text`. */
export function countWords(text: string): number {
  const chars = Array.from(text);
  let count = 0;
  let inWord = false;
  for (let index = 0; index < chars.length; index += 1) {
    const char = chars[index] as string;
    if (WORD_CHAR.test(char)) {
      if (!inWord) count += 1;
      inWord = true;
    } else {
      const next = chars[index + 1];
      const joins = inWord && JOINERS.has(char) && next !== undefined && WORD_CHAR.test(next);
      if (!joins) inWord = false;
    }
  }
  return count;
}
