// Carrel's script in course pages (injected by the app before the page's own scripts).
//
// It keeps the learner's place: on load it asks the app where they were in this page and scrolls
// there; as they read it reports how far they got (`scrolled`) and, while the window is in front,
// how long they spent (`active`). Reports go to the app's own route on the content scheme
// (`.carrel/report`), which applies them only to the item of the open course that shows this
// file. It does nothing in the app's viewers (`.carrel/…`), which report for themselves, nor in
// frames or non-HTML documents.
(() => {
  "use strict";
  if (window.top !== window) return;
  const base = `${location.protocol}//${location.host}/`;
  const parts = location.pathname.split("/").filter(Boolean);
  if (parts.length < 2 || parts[0] === ".carrel") return;
  let path;
  try {
    path = parts.slice(1).map(decodeURIComponent).join("/");
  } catch {
    return;
  }

  const post = (report) =>
    fetch(`${base}.carrel/report`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ path, ...report }),
      keepalive: true,
    }).catch(() => {});

  let ready = false;
  let seen = 0;
  const measure = () => {
    const el = document.scrollingElement || document.documentElement;
    const height = Math.max(el.scrollHeight, 1);
    const top = Math.max(0, el.scrollTop);
    seen = Math.max(seen, Math.min(1, (top + window.innerHeight) / height));
    return { position: Math.min(1, top / height), seen };
  };
  let last = "";
  const reportScroll = () => {
    if (!ready) return;
    const now = measure();
    const key = `${now.position.toFixed(4)}:${now.seen.toFixed(4)}`;
    if (key === last) return;
    last = key;
    post({ kind: "scrolled", ...now });
  };
  let timer = 0;
  const onScroll = () => {
    clearTimeout(timer);
    timer = setTimeout(reportScroll, 300);
  };

  // A search hit opens the page at a heading: `#<id>` (the browser scrolls there itself) or
  // `#carrel-heading-<n>`, the n-th of the page's h1–h3 (for headings without an id).
  const goToHeading = () => {
    const match = /^#carrel-heading-(\d+)$/.exec(location.hash);
    if (!match) return false;
    const heading = document.querySelectorAll("h1, h2, h3")[Number(match[1])];
    if (!heading) return false;
    heading.scrollIntoView({ block: "start" });
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
    return true;
  };
  window.addEventListener("hashchange", () => {
    goToHeading();
    reportScroll();
  });

  const restore = async () => {
    if (location.hash) {
      // Opened at a place (a search hit, a link): that place wins over the saved one.
      goToHeading();
      ready = true;
      document.documentElement.dataset.carrelReady = "true";
      reportScroll();
      return;
    }
    try {
      const answer = await fetch(`${base}.carrel/item?path=${encodeURIComponent(path)}`);
      if (answer.ok) {
        const item = await answer.json();
        const p = item.progress;
        if (p && p.positionUnit === "fraction" && p.position > 0) {
          const el = document.scrollingElement || document.documentElement;
          window.scrollTo(0, p.position * el.scrollHeight);
        }
      }
    } catch {
      // Reading still works; the place is simply not restored.
    }
    ready = true;
    document.documentElement.dataset.carrelReady = "true";
    reportScroll();
  };

  let activeSince = Date.now();
  const ACTIVE_EVERY_MS = 15000;
  setInterval(() => {
    const now = Date.now();
    const seconds = (now - activeSince) / 1000;
    activeSince = now;
    if (document.visibilityState === "visible" && document.hasFocus()) {
      post({ kind: "active", seconds: Math.min(seconds, 60) });
    }
  }, ACTIVE_EVERY_MS);

  window.addEventListener("scroll", onScroll, { passive: true });
  window.addEventListener("resize", onScroll, { passive: true });
  window.addEventListener("pagehide", reportScroll);
  if (document.readyState === "complete") restore();
  else window.addEventListener("load", restore, { once: true });
})();
