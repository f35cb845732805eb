"use strict";
// The run table: sort (click a header), filter (status, command, sweep, name), choose columns,
// select rows to compare. The person's choices live here, so polling updates rows in place
// (keyed by data-id) instead of re-rendering the table.
(function () {
  const state = { key: null, desc: false, hidden: new Set(), known: new Set(),
    selected: new Set() };

  function table() { return document.getElementById("runs"); }
  function rows() { const t = table(); return t ? Array.from(t.tBodies[0].rows) : []; }
  function column(key) {
    const t = table();
    const cells = t ? Array.from(t.tHead.rows[0].cells) : [];
    return cells.findIndex(function (th) { return (th.dataset.key || th.dataset.col) === key; });
  }
  function sortValue(row, index) {
    const raw = row.cells[index] ? row.cells[index].dataset.sort || "" : "";
    const n = Number(raw);
    return raw !== "" && isFinite(n) ? n : raw.toLowerCase();
  }
  function sort() {
    const t = table();
    if (!t || state.key === null) return;
    const index = column(state.key);
    if (index < 0) return;
    const sorted = rows().sort(function (a, b) {
      const x = sortValue(a, index), y = sortValue(b, index);
      if (x === "" || y === "") return x === y ? 0 : x === "" ? 1 : -1; // blanks last
      const c = typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0) :
        typeof x === "number" ? -1 : 1;
      return state.desc ? -c : c;
    });
    sorted.forEach(function (r) { t.tBodies[0].appendChild(r); });
    Array.from(t.tHead.rows[0].cells).forEach(function (th, i) {
      th.setAttribute("aria-sort", i !== index ? "none" : state.desc ? "descending" : "ascending");
    });
  }
  function options() {
    ["status", "command", "sweep"].forEach(function (key) {
      const select = document.getElementById("f-" + key);
      if (!select) return;
      const have = new Set(Array.from(select.options).map(function (o) { return o.value; }));
      rows().forEach(function (r) {
        const value = r.dataset[key];
        if (value && !have.has(value)) {
          have.add(value);
          select.appendChild(new Option(value, value));
        }
      });
    });
  }
  function filter() {
    const want = {};
    ["status", "command", "sweep"].forEach(function (key) {
      const select = document.getElementById("f-" + key);
      want[key] = select ? select.value : "";
    });
    const box = document.getElementById("f-name");
    const text = box ? box.value.trim().toLowerCase() : "";
    let shown = 0;
    rows().forEach(function (r) {
      const ok = ["status", "command", "sweep"].every(function (k) {
        return !want[k] || r.dataset[k] === want[k];
      }) && (!text || (r.dataset.name + " " + r.dataset.id).toLowerCase().includes(text));
      r.hidden = !ok;
      if (ok) shown += 1;
    });
    const t = table();
    if (t) t.dataset.shown = String(shown);
  }
  function columns() {
    const t = table();
    if (!t) return;
    // A column seen for the first time takes the server's default (shown or one click away);
    // after that, the person's choice.
    t.tHead.querySelectorAll("th[data-col]").forEach(function (th) {
      if (state.known.has(th.dataset.col)) return;
      state.known.add(th.dataset.col);
      if (th.hidden) state.hidden.add(th.dataset.col);
    });
    document.querySelectorAll(".cols input[data-col]").forEach(function (box) {
      box.checked = !state.hidden.has(box.dataset.col);
    });
    t.querySelectorAll("[data-col]").forEach(function (cell) {
      cell.hidden = state.hidden.has(cell.dataset.col);
    });
  }
  function selection() {
    const ids = [];
    rows().forEach(function (r) {
      const box = r.cells[0].querySelector("input");
      box.checked = state.selected.has(r.dataset.id);
      if (box.checked) ids.push(r.dataset.id);
    });
    const link = document.getElementById("compare");
    if (!link) return;
    link.textContent = "Compare selected (" + ids.length + ")";
    link.classList.toggle("off", ids.length < 2);
    link.href = "/compare?ids=" + ids.map(encodeURIComponent).join(",");
  }
  function apply() { options(); sort(); filter(); columns(); selection(); }

  function merge(html) {
    // Update the rows in place; false (swap the whole view) when the columns changed.
    const t = table();
    const fresh = document.createElement("template");
    fresh.innerHTML = html;
    const next = fresh.content.getElementById("runs");
    if (!t || !next || next.dataset.cols !== t.dataset.cols) return false;
    const view = document.getElementById("view");
    view.dataset.live = fresh.content.firstElementChild.dataset.live;
    const body = t.tBodies[0];
    const old = new Map(rows().map(function (r) { return [r.dataset.id, r]; }));
    Array.from(next.tBodies[0].rows).forEach(function (row) {
      const have = old.get(row.dataset.id);
      old.delete(row.dataset.id);
      if (!have) { body.insertBefore(row, body.firstChild); return; }
      Object.assign(have.dataset, row.dataset);
      for (let i = 1; i < row.cells.length; i++) {
        const a = have.cells[i], b = row.cells[i];
        if (a.innerHTML !== b.innerHTML) a.innerHTML = b.innerHTML;
        a.dataset.sort = b.dataset.sort || "";
      }
    });
    old.forEach(function (r) { r.remove(); });
    ["count", "timings"].forEach(function (id) {
      const mine = document.getElementById(id), theirs = fresh.content.getElementById(id);
      if (mine && theirs) {
        const open = mine.open;
        mine.replaceWith(theirs);
        theirs.open = open;
      }
    });
    apply();
    return true;
  }

  function mount() {
    const t = table();
    if (!t) return;
    t.tHead.onclick = function (ev) {
      const th = ev.target.closest("th");
      const key = th && (th.dataset.key || th.dataset.col);
      if (!key) return;
      state.desc = state.key === key ? !state.desc : false;
      state.key = key;
      sort();
    };
    t.tHead.onkeydown = function (ev) { if (ev.key === "Enter") t.tHead.onclick(ev); };
    t.onchange = function (ev) {
      const box = ev.target;
      if (box.id === "sel-all") {
        rows().forEach(function (r) {
          if (!r.hidden) state.selected[box.checked ? "add" : "delete"](r.dataset.id);
        });
      } else if (box.closest("td.sel")) {
        state.selected[box.checked ? "add" : "delete"](box.closest("tr").dataset.id);
      }
      selection();
    };
    document.querySelectorAll("#f-status, #f-command, #f-sweep, #f-name").forEach(function (c) {
      c.oninput = filter;
    });
    document.querySelectorAll(".cols input[data-col]").forEach(function (box) {
      box.onchange = function () {
        state.hidden[box.checked ? "delete" : "add"](box.dataset.col);
        columns();
      };
    });
    apply();
  }
  window.oumiDash.mergers.runs = merge;
  window.oumiDash.onMount.push(mount);
  mount();
})();
