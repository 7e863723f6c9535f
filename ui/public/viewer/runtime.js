// Carrel's SCORM runtime, in the content window.
//
// It asks the app which SCORM item `?item=` is and where to start (`../runtime`), gives the
// module the object SCORM content looks for in its parent window — `API` (SCORM 1.2) or
// `API_1484_11` (SCORM 2004), from scorm-again, bundled with the app in `../scorm-again/` — and
// shows the module in a frame below.
//
// Every commit reaches the app, which stores it before answering:
// - `LMSCommit`/`Commit` and `LMSFinish`/`Terminate` (which adds `terminate=true`) go through
//   `carrelHttp` below as synchronous requests, so the content learns whether they were stored.
//   scorm-again's own service would send Finish with `sendBeacon`, which the content scheme never
//   receives;
// - when the module initializes, and shortly after every `SetValue`, the whole data model is also
//   sent, so a module that never commits (many do not until Finish) loses nothing when the
//   window or Carrel is closed before it finishes. (WebKit runs no unload handler when a window is
//   destroyed; the app ends such a session itself, from what was stored.)
// Each commit names the attempt it belongs to, so the app refuses one from a window showing an
// earlier attempt. An asset (not a SCO) talks to no runtime; it counts as completed once shown.
"use strict";

/** Every text the runtime shows, in one place for the translations to come. */
const TEXT = {
  loading: "Opening the module…",
  resumed: "Carrying on where you left off.",
  saved: "Your progress in this module is saved.",
  notSaved:
    "Your latest progress in this module could not be saved. Keep this window open and try again; " +
    "if it keeps failing, note where you are.",
  stale:
    "This window is showing an earlier attempt. Close it and open the module again from the course.",
  notInCourse:
    "This module is not part of the open course. Close this window and open it again from the course.",
  cannotStart: "The module could not start. Close this window and open it again.",
};

const params = new URLSearchParams(location.search);
const itemId = params.get("item") || "";
const statusLine = document.getElementById("status");
const frame = document.getElementById("content");
const say = (text) => {
  statusLine.textContent = text;
};

const loadScript = (src) =>
  new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`${src} did not load`));
    document.head.append(script);
  });

/** Counts a commit the app stored on the document (`data-carrel-saved`). */
const counted = () => {
  const root = document.documentElement.dataset;
  root.carrelSaved = String(Number(root.carrelSaved || 0) + 1);
};

/**
 * Numbers each commit of this launch (`seq`): requests may be handled in any order, and the app
 * keeps the data of the newest, so a draft sent before a commit cannot put older data back.
 */
let seq = 0;
const numbered = (url) => `${url}&seq=${++seq}`;

/**
 * Sends a commit without waiting (drafts). Each one the app stored is counted on the document
 * (`data-carrel-saved`), for people and tests to see.
 */
const send = (url, body) =>
  fetch(numbered(url), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    keepalive: true,
  })
    .then((response) => {
      if (response.ok) counted();
      else say(response.status === 409 ? TEXT.stale : TEXT.notSaved);
    })
    .catch(() => say(TEXT.notSaved));

/**
 * scorm-again's HTTP service, replaced: each commit is a synchronous POST, answered once the app
 * has stored it, and the content is told the truth (SCORM's general commit error when it was
 * not). A page being closed may not be allowed to wait; its commit is then sent without waiting.
 */
const carrelHttp = (failure) => ({
  updateSettings() {},
  processHttpRequest(url, params) {
    try {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", numbered(url), false);
      xhr.setRequestHeader("Content-Type", "application/json");
      xhr.send(JSON.stringify(params));
      if (xhr.status >= 200 && xhr.status < 300) {
        counted();
        return { result: "true", errorCode: 0 };
      }
      say(xhr.status === 409 ? TEXT.stale : TEXT.notSaved);
      return { result: "false", errorCode: failure };
    } catch {
      send(url, params);
      return { result: "true", errorCode: 0 };
    }
  },
});

/** What the module starts from: the saved data model when resuming, and who the learner is. */
const initialData = (item) => {
  const saved = item.launch.data ? item.launch.data.cmi : {};
  const resume = item.launch.entry === "resume";
  if (item.version === "1.2") {
    const core = { ...(saved.core || {}) };
    // Per session, not per attempt.
    delete core.session_time;
    delete core.exit;
    Object.assign(core, {
      student_id: item.learner.id,
      student_name: item.learner.name,
      entry: resume ? "resume" : "ab-initio",
      credit: "credit",
      lesson_mode: "normal",
    });
    const data = { ...saved, core };
    if (item.launchData !== null) data.launch_data = item.launchData;
    if (item.masteryScore !== null) {
      data.student_data = { ...(saved.student_data || {}), mastery_score: String(item.masteryScore * 100) };
    }
    return data;
  }
  const data = { ...saved };
  delete data.session_time;
  delete data.exit;
  Object.assign(data, {
    learner_id: item.learner.id,
    learner_name: item.learner.name,
    entry: resume ? "resume" : "ab-initio",
    credit: "credit",
    mode: "normal",
  });
  if (item.launchData !== null) data.launch_data = item.launchData;
  if (item.masteryScore !== null) data.scaled_passing_score = String(item.masteryScore);
  if (item.completionThreshold !== null) data.completion_threshold = String(item.completionThreshold);
  return data;
};

const start = async () => {
  say(TEXT.loading);
  const response = await fetch(`../runtime?item=${encodeURIComponent(itemId)}`);
  if (!response.ok) {
    say(TEXT.notInCourse);
    return;
  }
  const item = await response.json();
  document.title = item.title;
  frame.title = item.title;
  const { attempt, launch } = item.launch;
  const commitUrl = `../runtime?item=${encodeURIComponent(itemId)}&attempt=${attempt}&launch=${launch}`;

  if (!item.sco) {
    frame.src = item.launchUrl;
    await send(commitUrl, {
      completionStatus: "completed",
      successStatus: "unknown",
      runtimeData: { cmi: {} },
    });
    say("");
    return;
  }

  const v12 = item.version === "1.2";
  await loadScript(v12 ? "../scorm-again/scorm12.min.js" : "../scorm-again/scorm2004.min.js");
  const settings = {
    lmsCommitUrl: commitUrl,
    autocommit: false,
    useAsynchronousCommits: false,
    renderCommonCommitFields: true,
    dataCommitFormat: "json",
    terminateCommitParam: "terminate",
    mastery_override: true,
    logLevel: 4,
    // SCORM's general commit failure: 101 in SCORM 1.2, 391 in SCORM 2004.
    httpService: carrelHttp(v12 ? 101 : 391),
  };
  const api = v12 ? new window.Scorm12API(settings) : new window.Scorm2004API(settings);
  api.loadFromJSON(initialData(item));

  let finished = false;
  let timer = 0;
  const draft = () => {
    clearTimeout(timer);
    if (!finished) send(commitUrl, api.renderCommitObject(false));
  };
  // The session is open from here on, for the app to end it if the window closes first.
  api.on(v12 ? "LMSInitialize" : "Initialize", draft);
  api.on(v12 ? "LMSSetValue.cmi.*" : "SetValue.cmi.*", () => {
    clearTimeout(timer);
    timer = setTimeout(draft, 250);
  });
  api.on(v12 ? "LMSFinish" : "Terminate", () => {
    clearTimeout(timer);
    finished = true;
    say(TEXT.saved);
  });

  if (v12) window.API = api;
  else window.API_1484_11 = api;
  say(item.launch.entry === "resume" ? TEXT.resumed : "");
  frame.src = item.launchUrl;
};

start().catch((error) => {
  console.error(error);
  say(TEXT.cannotStart);
});
