"use strict";
// The sweep page's Cancel button: the person confirms, then the page POSTs with the token only
// this page was given (the dashboard refuses a cancel without it) and shows the answer.
(function () {
  async function cancel(button) {
    const id = button.dataset.sweep;
    if (!window.confirm("Cancel sweep " + id + "? Every point still queued or running stops; " +
        "points not started never start. Completed points keep their results.")) return;
    button.disabled = true;
    try {
      const resp = await fetch(button.dataset.url, {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "X-Dashboard-CSRF": button.dataset.csrf },
      });
      const body = await resp.json();
      said = resp.ok ? body.message : body.error.message + " " + body.error.fix;
    } catch (err) {
      said = "Could not reach the dashboard server.";
      button.disabled = false;
    }
    mount(); // the page may have been redrawn by polling meanwhile
  }
  let said = "";
  function mount() {
    const button = document.getElementById("cancel-sweep");
    if (button) button.onclick = function () { cancel(button); };
    const note = document.getElementById("cancel-result");
    if (note && said) note.textContent = said;
  }
  window.oumiDash.onMount.push(mount);
  mount();
})();
