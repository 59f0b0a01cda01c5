// The console's progressive enhancement: pages work without it; with it the dashboard, the
// jobs board and a crafting world stay live. A page's stream (Server-Sent Events) says when what
// it shows moved on; the page's sections (its data-sections: /dashboard/sections,
// /jobs/sections?filter, a world's sections) are then read again and swapped in. On every
// (re)connection they are read too, so nothing that happened while disconnected is missed. No
// inline script anywhere: the pages' Content-Security-Policy runs only this origin's files.
"use strict";

// Keeps `container`'s sections live: read again whenever its data-stream sends one of `events`.
// Returns the stream, for pages that listen to more of it (crafting.js).
function liveSections(container, events) {
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
    reading = fetch(container.dataset.sections, { credentials: "same-origin", headers: { Accept: "text/html" } });
    try {
      const answer = await reading;
      if (answer.redirected || answer.status === 401) {
        window.location.assign("/sign-in"); // the session ended
        return;
      }
      if (answer.ok) {
        const html = await answer.text();
        const focused = document.activeElement && document.activeElement.id;
        container.innerHTML = html;
        if (focused) {
          const element = document.getElementById(focused);
          if (element) element.focus();
        }
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

  const stream = new EventSource(container.dataset.stream);
  stream.addEventListener("open", refresh);
  for (const event of events) {
    stream.addEventListener(event, refresh);
  }
  stream.addEventListener("error", function () {
    say(stream.readyState === EventSource.CLOSED ? "Not live: reload the page." : "Reconnecting…");
    if (stream.readyState === EventSource.CLOSED) {
      refresh(); // a closed stream may mean the session ended: the read then goes to sign-in
    }
  });
  return stream;
}

(function () {
  const container = document.querySelector("[data-stream][data-sections][data-live-board]"); // dashboard, jobs
  if (container && window.EventSource) {
    liveSections(container, ["changed"]);
  }
})();

// A long operation (a catalog import, a rebuild) on the page that started it: its part is read
// again at each "progress" of its stream, and once more at "done", when the stream is closed.
(function () {
  const container = document.querySelector("[data-stream][data-sections][data-operation]");
  if (container && window.EventSource) {
    const stream = liveSections(container, ["progress", "done"]);
    stream.addEventListener("done", function () {
      stream.close();
    });
  }
})();

// The stockpile form's plan selector: as the item's type id is typed, the plans that make it
// are read from /stockpiles/plans (what the API's plans-by-product query answers) and offered.
// Without script, the list offers the plans of the item given in ?typeId=, and the edit page
// those of its marker's item.
(function () {
  const typeId = document.querySelector("input[data-plans]");
  const select = document.getElementById("planId");
  if (!typeId || !select || typeId.readOnly) {
    return;
  }
  let timer = null;
  let asked = typeId.value;

  async function offer() {
    const value = typeId.value.trim();
    if (value === asked) return;
    asked = value;
    try {
      const answer = await fetch(typeId.dataset.plans + "?typeId=" + encodeURIComponent(value), {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (answer.ok && !answer.redirected && asked === value) {
        select.innerHTML = await answer.text();
      }
    } catch (error) {
      // offline: the selector keeps its options; the server checks the plan on saving
    }
  }

  typeId.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(offer, 250);
  });
  typeId.addEventListener("change", offer);
})();
