// The plan history's version slider: it shows the version it points at while it moves, and
// shows the plan as of that version once let go (or on each arrow key), without the Show
// button. Without script the button does the same.
"use strict";

(function () {
  const slider = document.getElementById("version");
  const form = document.getElementById("version-form");
  const shown = document.getElementById("version-shown");
  if (!slider || !form) {
    return;
  }
  slider.addEventListener("input", function () {
    if (shown) {
      shown.textContent = slider.value;
    }
    slider.setAttribute("aria-valuetext", "version " + slider.value + " of " + slider.max);
  });
  slider.addEventListener("change", function () {
    form.requestSubmit();
  });
  if (new URLSearchParams(window.location.search).has("version")) {
    slider.focus({ preventScroll: true }); // a keyboard reader keeps stepping through versions
  }
})();
