"use strict";
// The sweep page's Cancel button: the person confirms, then the page POSTs with the token only
// this page was given (the dashboard refuses a cancel without it) and shows the answer.
(function () {
  async function cancel(button) {
    const id = button.dataset.sweep;
    if (!window.confirm("Cancel sweep " + id + "? Every point still queued or running stops; " +
        "points not started never start. Completed points keep their results.")) return;
    const note = document.getElementById("cancel-result");
    button.disabled = true;
    try {
      const resp = await fetch(button.dataset.url, {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "X-Dashboard-CSRF": button.dataset.csrf },
      });
      const body = await resp.json();
      note.textContent = resp.ok ? body.message : body.error.message + " " + body.error.fix;
    } catch (err) {
      note.textContent = "Could not reach the dashboard server.";
      button.disabled = false;
    }
  }
  function mount() {
    const button = document.getElementById("cancel-sweep");
    if (button) button.onclick = function () { cancel(button); };
  }
  window.oumiDash.onMount.push(mount);
  mount();
})();
