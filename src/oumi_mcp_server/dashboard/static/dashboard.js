"use strict";
// Poll the page's own URL for a fresh fragment while it is visible: every few seconds while
// something runs (data-live="1"), slowly when nothing does ("slow"), never for an ended job ("0").
// A view with data-merge="<name>" takes the fresh fragment through oumiDash.mergers[name] (the run
// table updates its rows in place); any other view is swapped whole, then every onMount hook runs.
window.oumiDash = { onMount: [], mergers: {} };
(function () {
  const EVERY_MS = 3000;
  const SLOW_MS = 15000;
  const stamp = document.getElementById("updated");
  let last = Date.now();
  function due() {
    const view = document.getElementById("view");
    const live = view === null ? "0" : view.dataset.live;
    return live === "1" || (live === "slow" && Date.now() - last >= SLOW_MS);
  }
  function swap(html) {
    const log = document.querySelector("pre.log");
    const atEnd = !log || log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    const keep = log ? log.scrollTop : 0;
    document.querySelector("main").innerHTML = html;
    const fresh = document.querySelector("pre.log");
    if (fresh) fresh.scrollTop = atEnd ? fresh.scrollHeight : keep;
    window.oumiDash.onMount.forEach(function (hook) { hook(); });
  }
  async function refresh() {
    if (document.visibilityState !== "visible" || !due()) return;
    last = Date.now();
    const url = new URL(window.location.href);
    url.searchParams.set("fragment", "1");
    try {
      const resp = await fetch(url, { cache: "no-store", credentials: "same-origin" });
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      const html = await resp.text();
      const view = document.getElementById("view");
      const merge = view && window.oumiDash.mergers[view.dataset.merge || ""];
      if (!merge || !merge(html)) swap(html);
      stamp.textContent = "updated " + new Date().toLocaleTimeString();
      stamp.classList.remove("stale");
    } catch (err) {
      stamp.textContent = "cannot reach the dashboard server; retrying";
      stamp.classList.add("stale");
    }
  }
  const log = document.querySelector("pre.log");
  if (log) log.scrollTop = log.scrollHeight;
  stamp.textContent = "updated " + new Date().toLocaleTimeString();
  setInterval(refresh, EVERY_MS);
  document.addEventListener("visibilitychange", refresh);
})();
