// The plans pages' enhancements; each works without script too.
// - A plan's step tree: Collapse all / Expand all (each step's own toggle is its summary).
// - The history's version slider: it shows the version it points at while it moves, and shows
//   the plan as of that version once let go (or on each arrow key), without the Show button.
"use strict";

(function () {
  const tree = document.getElementById("steps-tree");
  if (tree) {
    const bar = document.createElement("div");
    bar.className = "actions tree-actions";
    for (const [label, open] of [["Collapse all", false], ["Expand all", true]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "quiet";
      button.textContent = label;
      button.addEventListener("click", function () {
        for (const step of tree.querySelectorAll("details")) {
          step.open = open;
        }
      });
      bar.appendChild(button);
    }
    tree.before(bar);
  }

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
