// The chains page's copy button: one click puts the multibuy text on the clipboard. Where the
// browser refuses the clipboard (no permission, an insecure origin) the text is selected in
// its box and copied the old way; failing that, it stays selected for Ctrl+C. Without script
// the button stays hidden and the box is there to select by hand.
"use strict";

(function () {
  const button = document.getElementById("copy-multibuy");
  if (!button) {
    return;
  }
  const box = document.getElementById(button.dataset.copies);
  const status = document.getElementById("copy-status");

  function say(text) {
    if (status) status.textContent = text;
  }

  function byHand() {
    box.focus();
    box.select();
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    say(copied ? "Copied." : "Selected: press Ctrl+C (⌘C) to copy.");
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(box.value).then(function () {
        say("Copied.");
      }, byHand);
    } else {
      byHand();
    }
  });
})();
