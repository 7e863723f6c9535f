// Carrel's PDF viewer for course PDFs, in the content window.
//
// It asks the app which item shows `?path=` (`../item`), opens the PDF with pdf.js (bundled with
// the app in `../pdfjs/`, never fetched from elsewhere) at the page where the learner left off,
// and shows the pages in one scrolling column, drawing only those near the view. It reports the
// page shown and the pages seen (`pages`: the app adds them up across sessions and counts the PDF
// done once every page has been seen) and time on task (`active`) to `../report`.
//
// The page runs under the app's strict policy (scripts and styles from the app only, no eval, no
// WebAssembly), so pdf.js runs with `isEvalSupported: false` and `useWasm: false` (its JPEG 2000
// and JBIG2 decoders then use their JavaScript versions). Styles are set through CSSOM only.

/** Every text the viewer shows, in one place for the translations to come. */
const TEXT = {
  loading: "Opening the PDF…",
  rule: "Counts as done once you have seen every page.",
  notInCourse:
    "This PDF is not part of the open course. Close this window and open it again from the course.",
  damaged:
    "This PDF cannot be shown. Its file may be damaged; repair the course from the Library.",
  password:
    "This PDF is protected by a password, which Carrel cannot open. " +
    "Ask the course's authors for a copy without one.",
  tooOld:
    "This PDF cannot be shown: this computer's web view is too old for Carrel's PDF viewer. " +
    "Update the system, then open the PDF again.",
  cannotStart: "The PDF viewer could not start. Close this window and open the PDF again.",
  resumed: (page) => `Opened at page ${page}, where you left off.`,
  pageFailed: "This page cannot be shown.",
  page: "Page",
  pageOf: (page, pages) => `Page ${page} of ${pages}`,
  ofPages: (pages) => `of ${pages}`,
  pageControls: "Pages",
  previousPage: "Previous page",
  nextPage: "Next page",
  zoomControls: "Zoom",
  zoomOut: "Zoom out",
  zoomIn: "Zoom in",
  zoomLevel: (percent) => `${percent} %`,
  fitWidth: "Fit width",
};

/** How long a page must stay on screen to count as seen. */
const SEEN_AFTER_MS = 1000;
/** Reports wait this long so that scrolling through pages sends one report, not dozens. */
const REPORT_DELAY_MS = 500;
/** The app refuses reports over 4 KB: page lists longer than this go in several reports. */
const MAX_SEEN_PER_REPORT = 400;
/** Pages within this margin of the view are drawn; others are placeholders. */
const NEAR_MARGIN = "150% 0px";
/** The most pixels one page's canvas may have (pdf.js's own default): memory is bounded. */
const MAX_CANVAS_PIXELS = 2 ** 24;
/** Zoom levels (1 = 100 %, a PDF point as 96/72 CSS pixels) that the buttons step through. */
const ZOOMS = [0.25, 0.33, 0.5, 0.67, 0.75, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4];
/** CSS pixels per PDF point at 100 %. */
const CSS_PER_POINT = 96 / 72;
/** Horizontal room kept around pages when fitting the width (pdf.css's padding and shadow). */
const FIT_MARGIN = 24;

const params = new URLSearchParams(location.search);
const path = params.get("path") || "";
const byId = (id) => document.getElementById(id);
const ui = {
  title: byId("title"),
  rule: byId("rule"),
  status: byId("status"),
  bar: byId("pdf-bar"),
  nav: byId("pdf-nav"),
  prev: byId("pdf-prev"),
  next: byId("pdf-next"),
  pageLabel: byId("pdf-page-label"),
  pageInput: byId("pdf-page"),
  pages: byId("pdf-pages"),
  zoomGroup: byId("pdf-zoom-group"),
  zoomOut: byId("pdf-zoom-out"),
  zoomIn: byId("pdf-zoom-in"),
  zoom: byId("pdf-zoom"),
  fit: byId("pdf-fit"),
  document: byId("pdf-document"),
};

/** A failure with a message for the learner. */
class ViewerError extends Error {}

const say = (text, { error = false } = {}) => {
  ui.status.textContent = text;
  ui.status.classList.toggle("error", error);
};

// Labels of the controls.
ui.nav.setAttribute("aria-label", TEXT.pageControls);
ui.zoomGroup.setAttribute("aria-label", TEXT.zoomControls);
ui.pageLabel.textContent = TEXT.page;
const label = (button, text, keys, shortcut) => {
  button.setAttribute("aria-label", text);
  button.title = `${text} (${keys})`;
  button.setAttribute("aria-keyshortcuts", shortcut);
};
// Zoom keys: Command on macOS, Control elsewhere.
const mac = /^Mac/.test(navigator.platform);
const [modName, modKey] = mac ? ["⌘", "Meta"] : ["Ctrl", "Control"];
label(ui.prev, TEXT.previousPage, "Page Up", "PageUp");
label(ui.next, TEXT.nextPage, "Page Down", "PageDown");
label(ui.zoomOut, TEXT.zoomOut, `${modName} −`, `${modKey}+Minus`);
label(ui.zoomIn, TEXT.zoomIn, `${modName} +`, `${modKey}+Plus`);
ui.fit.textContent = TEXT.fitWidth;
ui.fit.title = `${TEXT.fitWidth} (${modName} 0)`;
ui.fit.setAttribute("aria-keyshortcuts", `${modKey}+0`);

// ---------------------------------------------------------------------------------------------
// Reports

const post = (report) =>
  fetch("../report", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ path, ...report }),
    keepalive: true,
  }).then(
    // A refused report (4xx) would be refused again; anything else is worth sending again.
    (answer) => answer.ok || (answer.status >= 400 && answer.status < 500),
    () => false,
  );

/** Pages seen since the last report. */
const unsent = new Set();
let reportedPage = 0;
let reportTimer = 0;

const sendReport = () => {
  clearTimeout(reportTimer);
  reportTimer = 0;
  const page = view.current;
  const pages = view.pages.length;
  if (!view.ready || page < 1 || page > pages) return;
  if (unsent.size === 0 && page === reportedPage) return;
  const seen = [...unsent].sort((a, b) => a - b);
  unsent.clear();
  reportedPage = page;
  for (let at = 0; at === 0 || at < seen.length; at += MAX_SEEN_PER_REPORT) {
    const chunk = seen.slice(at, at + MAX_SEEN_PER_REPORT);
    post({ kind: "pages", page, pages, seen: chunk }).then((sent) => {
      if (sent) return;
      // Kept for the next report (the next page turn, or leaving the viewer).
      for (const number of chunk) unsent.add(number);
      reportedPage = 0;
    });
  }
};

const scheduleReport = () => {
  if (view.ready && !reportTimer) reportTimer = setTimeout(sendReport, REPORT_DELAY_MS);
};

let activeSince = Date.now();
setInterval(() => {
  const now = Date.now();
  const seconds = (now - activeSince) / 1000;
  activeSince = now;
  if (view.ready && document.visibilityState === "visible" && document.hasFocus()) {
    post({ kind: "active", seconds: Math.min(seconds, 60) });
  }
}, 15000);

window.addEventListener("pagehide", sendReport);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") sendReport();
  scheduleUpdate();
});

// ---------------------------------------------------------------------------------------------
// The document

/**
 * @typedef {object} Page
 * @property {number} number 1-based
 * @property {any} proxy pdf.js's PDFPageProxy, null when the page cannot be read
 * @property {number} width CSS pixels at scale 1
 * @property {number} height CSS pixels at scale 1
 * @property {HTMLDivElement} el
 * @property {HTMLCanvasElement | null} canvas
 * @property {any} task the render task running
 * @property {any} text the TextLayer
 * @property {HTMLDivElement | null} textDiv
 * @property {number} rendered the scale drawn at, 0 when not drawn
 * @property {boolean} failed
 * @property {(() => void)[]} waiters
 */

const view = {
  lib: null,
  pdf: null,
  /** @type {Page[]} */
  pages: [],
  /** CSS pixels per PDF point. */
  scale: CSS_PER_POINT,
  fit: true,
  current: 0,
  /** A page the learner went to: it stays the current page while it is wholly in view. */
  pinned: 0,
  /** Document y of each page's top, and its height, as laid out. */
  tops: [],
  heights: [],
  /** Pages near the view (to draw). */
  near: new Set(),
  seen: new Set(),
  ready: false,
};

const asset = (name) => new URL(`../pdfjs/${name}`, import.meta.url).href;

/** pdf.js, or why it cannot run here (an engine older than its build target fails to parse it). */
const loadLibrary = async () => {
  try {
    return await import("../pdfjs/pdf.min.mjs");
  } catch (error) {
    console.error(error);
    throw new ViewerError(error instanceof SyntaxError ? TEXT.tooOld : TEXT.cannotStart);
  }
};

/**
 * Starts pdf.js's worker from the app's own files. (pdf.js would wrap a worker from a custom
 * scheme in a blob: script, since such URLs have no origin it can compare.) The promise rejects if
 * the worker cannot load, which pdf.js itself would wait for forever.
 */
const startWorker = (lib) => {
  const worker = new Worker(asset("pdf.worker.min.mjs"), { type: "module" });
  lib.GlobalWorkerOptions.workerPort = worker;
  return new Promise((_, reject) => {
    worker.addEventListener("error", (event) => {
      console.error("pdf.js worker", event.message);
      reject(new ViewerError(TEXT.cannotStart));
    });
  });
};

const messageFor = (error) => {
  if (error instanceof ViewerError) return error.message;
  if (error && error.name === "PasswordException") return TEXT.password;
  return TEXT.damaged;
};

const createPage = (number, proxy, fallback) => {
  const viewport = proxy ? proxy.getViewport({ scale: 1 }) : fallback;
  const el = document.createElement("div");
  el.className = "pdf-page";
  el.dataset.pageNumber = String(number);
  el.setAttribute("role", "region");
  el.setAttribute("aria-label", TEXT.pageOf(number, view.pdf.numPages));
  if (proxy) el.style.setProperty("--user-unit", String(proxy.userUnit || 1));
  return {
    number,
    proxy,
    width: viewport.width,
    height: viewport.height,
    el,
    canvas: null,
    task: null,
    text: null,
    textDiv: null,
    rendered: 0,
    failed: !proxy,
    waiters: [],
  };
};

const settle = (page) => {
  for (const resolve of page.waiters.splice(0)) resolve();
};

const whenDrawn = (page) =>
  page.rendered || page.failed
    ? Promise.resolve()
    : new Promise((resolve) => page.waiters.push(resolve));

const markFailed = (page) => {
  page.failed = true;
  page.el.classList.add("failed");
  page.el.dataset.error = TEXT.pageFailed;
  const name = TEXT.pageOf(page.number, view.pdf.numPages);
  page.el.setAttribute("aria-label", `${name}. ${TEXT.pageFailed}`);
  settle(page);
};

// ---------------------------------------------------------------------------------------------
// Layout and place

/** Sizes every page for the current scale, then measures where each one is. */
const layout = () => {
  for (const page of view.pages) {
    page.el.style.width = `${Math.floor(page.width * view.scale)}px`;
    page.el.style.height = `${Math.floor(page.height * view.scale)}px`;
    page.el.style.setProperty("--scale-factor", String(view.scale));
  }
  measure();
  showZoom();
};

const measure = () => {
  view.tops = view.pages.map((page) => page.el.offsetTop);
  view.heights = view.pages.map((page) => page.el.offsetHeight);
};

/** The part of the document the learner sees, below the sticky bar (document coordinates). */
const visibleArea = () => {
  const barBottom = Math.max(0, ui.bar.getBoundingClientRect().bottom);
  const top = window.scrollY + barBottom;
  const bottom = window.scrollY + window.innerHeight;
  return { top, bottom, height: Math.max(1, bottom - top) };
};

/** The index of the first page whose bottom is below `y`. */
const firstPageEndingBelow = (y) => {
  let low = 0;
  let high = view.pages.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (view.tops[mid] + view.heights[mid] > y) high = mid;
    else low = mid + 1;
  }
  return low;
};

/** The pages on screen and how many of their pixels are. */
const pagesInView = () => {
  const area = visibleArea();
  const shown = [];
  for (let i = firstPageEndingBelow(area.top); i < view.pages.length; i++) {
    const top = view.tops[i];
    if (top >= area.bottom) break;
    const visible = Math.min(area.bottom, top + view.heights[i]) - Math.max(area.top, top);
    if (visible > 0) shown.push({ index: i, visible });
  }
  return { area, shown };
};

/** Scrolls so that page `number` starts at the top of the view. */
const goToPage = (number) => {
  const count = view.pages.length;
  if (count === 0) return;
  const target = Math.min(count, Math.max(1, Math.round(number)));
  view.pinned = target;
  // The first page with the title and rule above it; any other at the top of the view.
  const y = target === 1 ? 0 : view.tops[target - 1] - ui.bar.offsetHeight - 6;
  window.scrollTo(0, Math.max(0, y));
  setCurrent(target);
  scheduleUpdate();
};

/** Where the learner is, to come back to after a zoom: a page and how far down it. */
const place = () => {
  const index = Math.max(0, view.current - 1);
  const { top } = visibleArea();
  const height = Math.max(1, view.heights[index]);
  return { index, fraction: (top - view.tops[index]) / height };
};

const restorePlace = ({ index, fraction }) => {
  const y = view.tops[index] + fraction * view.heights[index];
  window.scrollTo(0, Math.max(0, y - ui.bar.offsetHeight));
};

const setCurrent = (number) => {
  if (number === view.current) return;
  view.current = number;
  ui.pageInput.dataset.page = String(number);
  if (document.activeElement !== ui.pageInput) ui.pageInput.value = String(number);
  ui.prev.disabled = number <= 1;
  ui.next.disabled = number >= view.pages.length;
  scheduleReport();
  pump();
};

// ---------------------------------------------------------------------------------------------
// What is on screen: the current page, and pages seen

/** Since when each page not yet seen has been on screen enough to count. */
const onScreenSince = new Map();
let seenTimer = 0;
let updateFrame = 0;

function scheduleUpdate() {
  if (!updateFrame) updateFrame = requestAnimationFrame(update);
}

function update() {
  updateFrame = 0;
  if (view.pages.length === 0) return;
  const { area, shown } = pagesInView();

  // The current page: the one the learner went to while it is wholly in view, else the one
  // taking most of the view (the first of equals).
  const whole = (entry) =>
    entry.visible >= view.heights[entry.index] - 1 || entry.visible >= area.height - 1;
  const pinned = view.pinned && shown.find((entry) => entry.index === view.pinned - 1);
  if (pinned && whole(pinned)) {
    setCurrent(view.pinned);
  } else {
    view.pinned = 0;
    let best = null;
    for (const entry of shown) if (!best || entry.visible > best.visible + 0.5) best = entry;
    if (best) setCurrent(best.index + 1);
  }

  if (!view.ready) return;
  // Seen: at least half of the page, or the whole height of the view, for SEEN_AFTER_MS.
  const now = performance.now();
  const counting = new Set();
  if (document.visibilityState === "visible") {
    for (const entry of shown) {
      const number = entry.index + 1;
      const enough = entry.visible >= view.heights[entry.index] / 2 - 1 || whole(entry);
      if (enough && !view.seen.has(number)) counting.add(number);
    }
  }
  for (const number of onScreenSince.keys()) {
    if (!counting.has(number)) onScreenSince.delete(number);
  }
  let wait = Infinity;
  for (const number of counting) {
    const since = onScreenSince.get(number) ?? now;
    onScreenSince.set(number, since);
    if (now - since >= SEEN_AFTER_MS) {
      onScreenSince.delete(number);
      view.seen.add(number);
      unsent.add(number);
      scheduleReport();
    } else {
      wait = Math.min(wait, since + SEEN_AFTER_MS - now);
    }
  }
  clearTimeout(seenTimer);
  if (wait < Infinity) seenTimer = setTimeout(scheduleUpdate, wait + 20);
}

window.addEventListener("scroll", scheduleUpdate, { passive: true });

// ---------------------------------------------------------------------------------------------
// Drawing pages near the view, one at a time, nearest to the current page first

const nearObserver = new IntersectionObserver(
  (entries) => {
    for (const entry of entries) {
      const page = view.pages[Number(entry.target.dataset.pageNumber) - 1];
      if (!page) continue;
      if (entry.isIntersecting) {
        view.near.add(page);
      } else {
        view.near.delete(page);
        release(page);
      }
    }
    scheduleUpdate();
    pump();
  },
  { rootMargin: NEAR_MARGIN },
);

/** Frees a page's canvas and text (it is far from the view). */
const release = (page) => {
  page.task?.cancel();
  page.task = null;
  page.text?.cancel();
  page.text = null;
  page.textDiv?.remove();
  page.textDiv = null;
  if (page.canvas) {
    // Zero-sized first: WebKit frees a canvas's memory sooner that way.
    page.canvas.width = 0;
    page.canvas.height = 0;
    page.canvas.remove();
    page.canvas = null;
  }
  page.rendered = 0;
  page.proxy?.cleanup();
};

/** The device pixels per CSS pixel to draw at, within MAX_CANVAS_PIXELS. */
const outputRatio = (viewport) => {
  const ratio = window.devicePixelRatio || 1;
  const pixels = viewport.width * viewport.height * ratio * ratio;
  return pixels > MAX_CANVAS_PIXELS ? ratio * Math.sqrt(MAX_CANVAS_PIXELS / pixels) : ratio;
};

const draw = async (page) => {
  const scale = view.scale;
  const viewport = page.proxy.getViewport({ scale });
  const ratio = outputRatio(viewport);
  const canvas = document.createElement("canvas");
  canvas.className = "pdf-canvas";
  canvas.setAttribute("aria-hidden", "true");
  canvas.width = Math.max(1, Math.floor(viewport.width * ratio));
  canvas.height = Math.max(1, Math.floor(viewport.height * ratio));
  const context = canvas.getContext("2d", { alpha: false });
  const transform =
    ratio === 1
      ? null
      : [canvas.width / viewport.width, 0, 0, canvas.height / viewport.height, 0, 0];
  const task = page.proxy.render({ canvasContext: context, viewport, transform });
  page.task = task;
  try {
    await task.promise;
  } catch (error) {
    canvas.width = 0;
    canvas.height = 0;
    if (page.task === task) page.task = null;
    if (error && error.name === "RenderingCancelledException") return;
    console.error(`page ${page.number}`, error);
    markFailed(page);
    return;
  }
  page.task = null;
  if (!view.near.has(page) || view.scale !== scale) {
    // Scrolled away or zoomed while drawing.
    canvas.width = 0;
    canvas.height = 0;
    return;
  }
  // The new drawing replaces the old one only when complete: no blank flash while zooming.
  if (page.canvas) {
    page.canvas.width = 0;
    page.canvas.height = 0;
    page.canvas.replaceWith(canvas);
  } else {
    page.el.prepend(canvas);
  }
  page.canvas = canvas;
  page.rendered = scale;
  addText(page, viewport);
  settle(page);
};

/** The page's text, transparent over the drawing: selectable, and read by screen readers. */
const addText = (page, viewport) => {
  page.text?.cancel();
  page.textDiv?.remove();
  const div = document.createElement("div");
  div.className = "textLayer";
  page.el.append(div);
  const text = new view.lib.TextLayer({
    textContentSource: page.proxy.streamTextContent({ includeMarkedContent: true }),
    container: div,
    viewport,
  });
  page.text = text;
  page.textDiv = div;
  text.render().then(
    () => {
      // Lets a selection run past the last line of the page (as pdf.js's own viewer does).
      const end = document.createElement("div");
      end.className = "endOfContent";
      div.append(end);
    },
    (error) => {
      if (error && error.name !== "AbortException") {
        console.warn(`text of page ${page.number}`, error);
      }
    },
  );
};

const nextToDraw = () => {
  let best = null;
  for (const page of view.near) {
    if (page.failed || page.rendered === view.scale) continue;
    const distance = Math.abs(page.number - view.current);
    if (!best || distance < Math.abs(best.number - view.current)) best = page;
  }
  return best;
};

let pumping = false;
async function pump() {
  if (pumping || !view.pdf) return;
  pumping = true;
  try {
    for (let page = nextToDraw(); page; page = nextToDraw()) await draw(page);
  } finally {
    pumping = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Zoom

const fitScale = () => {
  const widest = view.pages.reduce((most, page) => Math.max(most, page.width), 1);
  const room = ui.document.clientWidth - FIT_MARGIN;
  return Math.min(ZOOMS[ZOOMS.length - 1] * CSS_PER_POINT, Math.max(0.1, room / widest));
};

const showZoom = () => {
  const percent = Math.round((view.scale / CSS_PER_POINT) * 100);
  ui.zoom.textContent = TEXT.zoomLevel(percent);
  ui.fit.setAttribute("aria-pressed", String(view.fit));
  const zoom = view.scale / CSS_PER_POINT;
  ui.zoomOut.disabled = zoom <= ZOOMS[0] + 0.001;
  ui.zoomIn.disabled = zoom >= ZOOMS[ZOOMS.length - 1] - 0.001;
};

const setScale = (scale, fit) => {
  if (view.pages.length === 0) return;
  const kept = place();
  const changed = Math.abs(scale - view.scale) > 1e-6;
  view.fit = fit;
  view.scale = scale;
  if (changed) {
    // Drawings at the old scale are stale; the one in progress would be wasted work.
    for (const page of view.near) page.task?.cancel();
  }
  layout();
  restorePlace(kept);
  scheduleUpdate();
  pump();
};

const zoomBy = (direction) => {
  const zoom = view.scale / CSS_PER_POINT;
  const next =
    direction > 0
      ? ZOOMS.find((step) => step > zoom * 1.01)
      : [...ZOOMS].reverse().find((step) => step < zoom * 0.99);
  if (next !== undefined) setScale(next * CSS_PER_POINT, false);
};

const fitWidth = () => setScale(fitScale(), true);

let lastWidth = 0;
new ResizeObserver(() => {
  const width = ui.document.clientWidth;
  if (!view.ready || width === lastWidth) return;
  lastWidth = width;
  if (view.fit) fitWidth();
  else {
    measure();
    scheduleUpdate();
  }
}).observe(ui.document);
window.addEventListener("resize", () => {
  if (!view.ready) return;
  measure();
  scheduleUpdate();
});

// ---------------------------------------------------------------------------------------------
// Controls and keys

/**
 * PageDown/PageUp: the next or previous page, except within a page much taller than the view
 * (zoomed in), which they scroll through first.
 */
const step = (direction) => {
  const index = view.current - 1;
  const area = visibleArea();
  const top = view.tops[index];
  const bottom = top + view.heights[index];
  const much = area.height / 4;
  if (direction > 0) {
    const below = bottom - area.bottom;
    if (below > much) window.scrollBy(0, Math.min(area.height * 0.9, below));
    else if (view.current < view.pages.length) goToPage(view.current + 1);
  } else {
    const above = area.top - top;
    if (above > much) window.scrollBy(0, -Math.min(area.height * 0.9, above));
    else if (above > 1) goToPage(view.current);
    else if (view.current > 1) goToPage(view.current - 1);
  }
};

ui.prev.addEventListener("click", () => goToPage(view.current - 1));
ui.next.addEventListener("click", () => goToPage(view.current + 1));
ui.zoomIn.addEventListener("click", () => zoomBy(1));
ui.zoomOut.addEventListener("click", () => zoomBy(-1));
ui.fit.addEventListener("click", fitWidth);

const typedPage = () => {
  const typed = Number.parseInt(ui.pageInput.value.trim(), 10);
  if (Number.isInteger(typed) && typed >= 1 && typed <= view.pages.length) goToPage(typed);
  ui.pageInput.value = String(view.current);
};
ui.pageInput.addEventListener("change", typedPage);
ui.pageInput.addEventListener("keydown", (event) => {
  if (event.key === "Enter") typedPage();
  if (event.key === "Escape") {
    ui.pageInput.value = String(view.current);
    ui.pageInput.select();
  }
});
ui.pageInput.addEventListener("focus", () => ui.pageInput.select());
ui.pageInput.addEventListener("blur", () => {
  ui.pageInput.value = String(view.current);
});

document.addEventListener("keydown", (event) => {
  if (!view.ready || event.defaultPrevented) return;
  if ((event.ctrlKey || event.metaKey) && !event.altKey) {
    if (event.key === "+" || event.key === "=") zoomBy(1);
    else if (event.key === "-" || event.key === "_") zoomBy(-1);
    else if (event.key === "0") fitWidth();
    else return;
    event.preventDefault();
    return;
  }
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const target = event.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) return;
  switch (event.key) {
    case "PageDown":
      step(1);
      break;
    case "PageUp":
      step(-1);
      break;
    case "Home":
      goToPage(1);
      break;
    case "End":
      goToPage(view.pages.length);
      break;
    default:
      return;
  }
  event.preventDefault();
});

// ---------------------------------------------------------------------------------------------
// Start

const start = async () => {
  say(TEXT.loading);
  const answer = await fetch(`../item?path=${encodeURIComponent(path)}`);
  if (!answer.ok) throw new ViewerError(TEXT.notInCourse);
  const item = await answer.json();
  ui.title.textContent = item.title;
  document.title = item.title;
  ui.document.setAttribute("aria-label", item.title);
  if (item.rule && item.rule.rule === "allPagesSeen") ui.rule.textContent = TEXT.rule;
  if (!item.pdfUrl) throw new ViewerError(TEXT.notInCourse);

  const lib = await loadLibrary();
  view.lib = lib;
  const workerFailed = startWorker(lib);
  const loading = lib.getDocument({
    url: item.pdfUrl,
    isEvalSupported: false,
    useWasm: false,
    wasmUrl: asset("wasm/"),
    cMapUrl: asset("cmaps/"),
    cMapPacked: true,
    standardFontDataUrl: asset("standard_fonts/"),
    enableXfa: false,
  });
  const pdf = await Promise.race([loading.promise, workerFailed]);
  view.pdf = pdf;

  // Every page's size first, so that placeholders have their final size and the place restored
  // stays put. A page that cannot be read gets the first page's size and says so.
  const numbers = Array.from({ length: pdf.numPages }, (_, i) => i + 1);
  const proxies = await Promise.allSettled(numbers.map((number) => pdf.getPage(number)));
  const first = proxies.find((result) => result.status === "fulfilled");
  if (!first) throw new ViewerError(TEXT.damaged);
  const fallback = first.value.getViewport({ scale: 1 });
  view.pages = proxies.map((result, i) =>
    createPage(i + 1, result.status === "fulfilled" ? result.value : null, fallback),
  );
  for (const page of view.pages) {
    if (page.failed) markFailed(page);
    ui.document.append(page.el);
  }
  ui.pages.dataset.pages = String(view.pages.length);
  ui.pages.textContent = TEXT.ofPages(view.pages.length);
  for (const control of [ui.pageInput, ui.zoomIn, ui.zoomOut, ui.fit]) control.disabled = false;

  const progress = item.progress;
  const resume =
    progress && progress.positionUnit === "page" && Number.isFinite(progress.position)
      ? Math.min(view.pages.length, Math.max(1, Math.round(progress.position)))
      : 1;
  // Said before the layout is measured: the status line sits above the pages.
  say(resume > 1 ? TEXT.resumed(resume) : "");

  view.scale = fitScale();
  layout();
  // Tall content may have brought a scroll bar, narrowing the room to fit.
  if (Math.abs(fitScale() - view.scale) > 1e-3) {
    view.scale = fitScale();
    layout();
  }
  lastWidth = ui.document.clientWidth;
  for (const page of view.pages) nearObserver.observe(page.el);

  goToPage(resume);
  if (resume === 1) view.pinned = 0;
  await whenDrawn(view.pages[resume - 1]);

  view.ready = true;
  reportedPage = view.current;
  document.documentElement.dataset.carrelReady = "true";
  scheduleUpdate();
};

start().catch((error) => {
  console.error(error);
  say(messageFor(error), { error: true });
  // Controls for a document that is not there would only mislead.
  ui.bar.hidden = true;
  document.documentElement.dataset.carrelError = "true";
});
