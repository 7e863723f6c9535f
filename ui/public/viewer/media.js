// Carrel's media player for course video and audio, in the content window.
//
// It asks the app which item shows `?path=` (`../item`), plays its media from where the learner
// stopped, and reports what was actually played (`played` spans, so "watched 90 %" means played,
// not skipped to) and where the player is (`at`, on pause and seek). Reports go to `../report`;
// each is recorded durably before the app answers.
"use strict";

const params = new URLSearchParams(location.search);
const path = params.get("path") || "";
const player = document.getElementById("player");
const statusLine = document.getElementById("status");
const rule = document.getElementById("rule");

const post = (report) =>
  fetch("../report", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ path, ...report }),
    keepalive: true,
  }).catch(() => {});

const clock = (seconds) => {
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
};

// The span being played: from where playback (re)started to the last time seen while playing.
let spanFrom = null;
let lastTime = 0;
const flushSpan = () => {
  const duration = player.duration;
  if (spanFrom !== null && Number.isFinite(duration) && duration > 0 && lastTime > spanFrom) {
    post({ kind: "played", from: spanFrom, to: lastTime, duration });
  }
  spanFrom = player.paused ? null : lastTime;
};
const reportAt = () => {
  if (Number.isFinite(player.currentTime)) post({ kind: "at", seconds: player.currentTime });
};

player.addEventListener("playing", () => {
  lastTime = player.currentTime;
  spanFrom = lastTime;
});
player.addEventListener("timeupdate", () => {
  if (!player.seeking) lastTime = player.currentTime;
});
player.addEventListener("pause", () => {
  lastTime = player.currentTime;
  flushSpan();
  spanFrom = null;
  reportAt();
});
player.addEventListener("seeking", () => {
  // What was played before the jump counts; the jump itself does not.
  flushSpan();
  spanFrom = null;
});
player.addEventListener("seeked", () => {
  lastTime = player.currentTime;
  if (!player.paused) spanFrom = lastTime;
  reportAt();
});
player.addEventListener("ended", () => {
  lastTime = player.duration;
  flushSpan();
  spanFrom = null;
  reportAt();
});
// While playing, a span is reported every 5 s so little is lost if the app is closed abruptly.
setInterval(() => {
  if (!player.paused && spanFrom !== null) {
    flushSpan();
    reportAt();
  }
}, 5000);

let activeSince = Date.now();
setInterval(() => {
  const now = Date.now();
  const seconds = (now - activeSince) / 1000;
  activeSince = now;
  if (document.visibilityState === "visible" && (document.hasFocus() || !player.paused)) {
    post({ kind: "active", seconds: Math.min(seconds, 60) });
  }
}, 15000);
window.addEventListener("pagehide", () => {
  if (!player.paused) {
    lastTime = player.currentTime;
    flushSpan();
  }
  reportAt();
});

const start = async () => {
  const answer = await fetch(`../item?path=${encodeURIComponent(path)}`);
  if (!answer.ok) {
    statusLine.textContent = "This video is not part of the open course.";
    return;
  }
  const item = await answer.json();
  document.getElementById("title").textContent = item.title;
  document.title = item.title;
  if (item.rule && item.rule.rule === "watched") {
    rule.textContent = `Counts as done once you have played ${item.rule.percent} % of it.`;
  }
  const resumeAt =
    item.progress && item.progress.positionUnit === "seconds" ? item.progress.position || 0 : 0;
  player.addEventListener(
    "loadedmetadata",
    () => {
      if (resumeAt > 0 && resumeAt < player.duration - 1) {
        player.currentTime = resumeAt;
        statusLine.textContent = `Resumed at ${clock(resumeAt)}.`;
      }
      document.documentElement.dataset.carrelReady = "true";
    },
    { once: true },
  );
  player.addEventListener("error", () => {
    statusLine.textContent =
      "This video cannot be played. Its file may be damaged; repair the course from the Library.";
  });
  if (item.captionsUrl) {
    const track = document.createElement("track");
    track.kind = "captions";
    track.src = item.captionsUrl;
    track.srclang = document.documentElement.lang || "en";
    track.label = "Captions";
    player.append(track);
  }
  player.src = item.mediaUrl;
};

start().catch(() => {
  statusLine.textContent = "The player could not start. Close this window and open the video again.";
});
