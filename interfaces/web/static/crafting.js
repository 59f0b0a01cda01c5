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
  const status = document.getElementById("live-status");
  let reading = null;
  let again = false;

  function say(text) {
    if (status && status.textContent !== text) {
      status.textContent = text;
    }
  }

  async function refresh() {
    if (reading) {
      again = true; // one more read once this one ends: it may predate the news
      return;
    }
    reading = fetch(world.dataset.sections, { credentials: "same-origin", headers: { Accept: "text/html" } });
    try {
      const answer = await reading;
      if (answer.redirected) {
        window.location.assign("/sign-in"); // the session ended
        return;
      }
      if (answer.ok) {
        world.innerHTML = await answer.text();
        say("Updates live.");
      }
    } catch (error) {
      say("Offline: retrying.");
    } finally {
      reading = null;
      if (again) {
        again = false;
        refresh();
      }
    }
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

  const stream = new EventSource(world.dataset.stream);
  stream.addEventListener("open", refresh);
  for (const kind of ["started", "completed", "failed", "cancelled"]) {
    stream.addEventListener(kind, refresh);
  }
  stream.addEventListener("progress", progress);
  stream.addEventListener("error", function () {
    say(stream.readyState === EventSource.CLOSED ? "Not live: reload the page." : "Reconnecting…");
  });
})();
