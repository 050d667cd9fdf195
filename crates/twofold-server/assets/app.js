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

// Buttons that save recovery codes tick "I have saved these codes".
function markSaved() {
  const saved = document.getElementById("saved");
  if (saved) saved.checked = true;
}
for (const button of document.querySelectorAll("[data-marks-saved]")) {
  button.addEventListener("click", markSaved);
}

// <button data-download="name.txt" data-content="…">: saves a text file.
for (const button of document.querySelectorAll("[data-download]")) {
  button.addEventListener("click", () => {
    const blob = new Blob([button.dataset.content], { type: "text/plain" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = button.dataset.download;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });
}

for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
