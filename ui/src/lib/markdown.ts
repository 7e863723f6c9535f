// Markdown for Carrel's own UI text: quiz prompts, choices and feedback, declarations, and the
// learner's assignment text. Raw HTML is escaped (html: false), nothing is turned into a link by
// itself (linkify: false), and links and images are rendered inert: the UI window must never
// navigate away or fetch anything because of text in a course or typed by the learner. A link
// keeps its text and shows its address in a tooltip; an image shows its description.
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: false, typographer: false, breaks: false });

md.renderer.rules.link_open = (tokens, index) => {
  const href = tokens[index]?.attrGet("href") ?? "";
  return `<span class="md-link" title="${md.utils.escapeHtml(String(href))}">`;
};
md.renderer.rules.link_close = () => "</span>";
md.renderer.rules.image = (tokens, index, _options, _env, self) => {
  const token = tokens[index];
  const alt = token ? self.renderInlineAsText(token.children ?? [], _options, _env) : "";
  const src = token?.attrGet("src") ?? "";
  return `<span class="md-image" title="${md.utils.escapeHtml(String(src))}">[${md.utils.escapeHtml(alt)}]</span>`;
};

// Headings in course or learner text must not break the page's own heading order: they are
// shown as emphasised paragraphs.
md.renderer.rules.heading_open = (tokens, index) =>
  `<p class="md-heading" data-level="${tokens[index]?.tag.slice(1) ?? ""}">`;
md.renderer.rules.heading_close = () => "</p>";

/** Markdown as HTML safe to insert: paragraphs, lists, code, emphasis; no raw HTML, no links. */
export function renderMarkdown(text: string): string {
  return md.render(text);
}

/** One line of Markdown (a choice, a title) as inline HTML, without a paragraph around it. */
export function renderMarkdownInline(text: string): string {
  return md.renderInline(text);
}
