import { cleanup, render } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import Markdown from "../components/Markdown.svelte";
import { renderMarkdown, renderMarkdownInline } from "./markdown";

afterEach(() => cleanup());

describe("renderMarkdown", () => {
  it("renders emphasis, lists and code", () => {
    const html = renderMarkdown("Some **bold** and *it*\n\n- one\n- two\n\n`x < y`");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain("<em>it</em>");
    expect(html).toContain("<li>one</li>");
    expect(html).toContain("<code>x &lt; y</code>");
  });

  it("escapes raw HTML: no script or event handler gets through", () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">');
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(2)&quot;&gt;");
  });

  it("renders links as inert text, the address only in a tooltip", () => {
    const html = renderMarkdown("[site](https://example.org/a?b=1&c=2) here");
    expect(html).not.toContain("<a");
    expect(html).not.toContain("href");
    expect(html).toContain('<span class="md-link" title="https://example.org/a?b=1&amp;c=2">site</span>');
  });

  it("never renders javascript: links as links", () => {
    const html = renderMarkdown("[click](javascript:alert(1)) and <javascript:alert(2)>");
    expect(html).not.toContain("<a");
    expect(html).not.toContain('title="javascript');
    expect(html).toContain("click");
  });

  it("does not make links out of bare addresses", () => {
    expect(renderMarkdown("see https://example.org")).not.toContain("md-link");
  });

  it("shows an image's description instead of loading it", () => {
    const html = renderMarkdown('![a cell](https://example.org/x.png "t")');
    expect(html).not.toContain("<img");
    expect(html).toContain("[a cell]");
  });

  it("renders inline text without a paragraph", () => {
    expect(renderMarkdownInline("a *b*")).toBe("a <em>b</em>");
  });
});

describe("Markdown.svelte", () => {
  it("renders a block and an inline variant", () => {
    const { container } = render(Markdown, { text: "Hello <b>x</b> **y**" });
    const block = container.querySelector("div.markdown");
    expect(block?.querySelector("p strong")?.textContent).toBe("y");
    expect(block?.querySelector("b")).toBeNull();
    cleanup();
    const inline = render(Markdown, { text: "[go](https://e.org)", inline: true });
    const span = inline.container.querySelector("span.markdown");
    expect(span?.querySelector("a")).toBeNull();
    expect(span?.querySelector(".md-link")?.getAttribute("title")).toBe("https://e.org");
  });
});
