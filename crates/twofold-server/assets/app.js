// twofold: the little script the pages need. No inline script anywhere
// (the CSP forbids it); everything hangs off data attributes.
"use strict";

// <button data-copy="text">: copies the text and says so.
for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    const original = button.textContent;
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Copy failed: select the text instead";
    }
    setTimeout(() => { button.textContent = original; }, 2000);
  });
}
