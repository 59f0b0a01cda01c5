// A crafting world's page, live: the world's job event stream (the API's, Server-Sent Events,
// every owner's) moves each running job's progress bar on its periodic "progress" events, and
// when a job starts, completes, fails or is cancelled the page's sections (jobs, managers,
// inventories) are read again and swapped in. On every (re)connection they are read too, so
// nothing that happened while disconnected is missed. Without script the page shows the world
// as it was loaded.
"use strict";

(function () {
  const world = document.getElementById("world");
  if (!world || !window.EventSource) {
    return;
  }

  function progress(event) {
    const record = JSON.parse(event.data);
    const bar = document.getElementById("progress-" + record.jobId);
    const percent = document.getElementById("percent-" + record.jobId);
    if (!bar) return;
    const shown = Math.round(record.progress * 100) + "%";
    bar.value = record.progress;
    bar.textContent = shown;
    if (percent) percent.textContent = shown;
  }

  // liveSections: console.js, loaded (deferred) before this file by every page
  const stream = liveSections(world, ["started", "completed", "failed", "cancelled"]);
  stream.addEventListener("progress", progress);
})();
