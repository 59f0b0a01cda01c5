// A coordinator container's page, live: its config stream (the API's, Server-Sent Events) says
// when the config changed, here or elsewhere. The new values go into the inputs the user has not
// edited (an edit in progress is kept), the form's version moves on so saving applies onto the
// config as it now is, and the history is read again. Without script the page shows the config
// as it was loaded.
"use strict";

(function () {
  const page = document.getElementById("coordinator");
  if (!page || !window.EventSource) {
    return;
  }
  const status = document.getElementById("live-status");
  const version = document.getElementById("version");
  const history = document.getElementById("history-entries");

  function say(text) {
    if (status && status.textContent !== text) {
      status.textContent = text;
    }
  }

  function show(id, text) {
    const element = document.getElementById(id);
    if (element) element.textContent = text;
  }

  async function readHistory() {
    try {
      const answer = await fetch(page.dataset.history, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (answer.ok && !answer.redirected) {
        history.innerHTML = await answer.text();
      }
    } catch (error) {
      // offline: the stream reconnects and says so
    }
  }

  function apply(event) {
    const body = JSON.parse(event.data);
    const shown = Number(version.value);
    show("container-status", body.containerStatus.toLowerCase());
    if (body.version <= shown) {
      return; // the form shows this version already
    }
    for (const [name, value] of Object.entries(body.config)) {
      const input = document.getElementById(name);
      if (!input) continue;
      const text = String(value);
      if (input.value === input.dataset.current) {
        input.value = text; // untouched: it follows the config
      }
      input.dataset.current = text;
    }
    version.value = String(body.version);
    show("container-version", String(body.version));
    say("Updates live. Changed to version " + body.version + ".");
    readHistory();
  }

  const stream = new EventSource(page.dataset.stream);
  stream.addEventListener("open", function () {
    say("Updates live.");
  });
  stream.addEventListener("config", apply);
  stream.addEventListener("error", function () {
    say(stream.readyState === EventSource.CLOSED ? "Not live: reload the page." : "Reconnecting…");
  });
})();
