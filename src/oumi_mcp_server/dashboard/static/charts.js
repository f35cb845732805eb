"use strict";
// Overlaid curves and metric-vs-parameter plots, drawn as SVG from the JSON in each
// `.plot[data-series]` (built with createElementNS and textContent: data never becomes markup).
// Smoothing (EMA) and the log scale are the person's choice, kept across the page's polling.
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const L = 58, R = 12, T = 12, B = 30;
  const state = { ema: 0, log: false };

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const key in attrs) node.setAttribute(key, String(attrs[key]));
    if (parent) parent.appendChild(node);
    return node;
  }
  function fmt(v) {
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(1) : String(+v.toPrecision(3));
  }
  function smooth(points, weight) {
    // TensorBoard's debiased EMA: the first points are not pulled towards zero.
    if (!weight) return points;
    let last = 0, n = 0;
    return points.map(function (p) {
      last = last * weight + (1 - weight) * p[1];
      n += 1;
      return [p[0], last / (1 - Math.pow(weight, n))];
    });
  }
  function ticks(lo, hi) {
    const raw = (hi - lo) / 4 || 1;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map(function (m) { return m * power; })
      .find(function (s) { return s >= raw; });
    const out = [];
    for (let t = Math.floor(lo / step) * step; ; t += step) {
      out.push(t);
      if (t >= hi - step * 1e-9) return out; // the last tick covers the highest value
    }
  }
  function axis(values, log) {
    // [lo, hi, tick values] in plot units (log10 of the value when log is on).
    let lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    if (log) { lo = Math.floor(lo); hi = Math.ceil(hi); }
    if (hi - lo <= 1e-12 * Math.max(Math.abs(lo), Math.abs(hi), 1)) {
      const pad = Math.abs(hi) * 0.05 || 1;
      lo -= pad; hi += pad;
    }
    const t = log ? [] : ticks(lo, hi);
    if (log) for (let v = lo; v <= hi; v += Math.max(1, Math.ceil((hi - lo) / 5))) t.push(v);
    return [Math.min(lo, t[0]), Math.max(hi, t[t.length - 1]), t];
  }
  function draw(box, data) {
    const scatter = data.kind === "scatter";
    const ylog = state.log, xlog = scatter && !!data.xlog;
    const runs = data.runs.map(function (run) {
      let pts = run.points.filter(function (p) {
        return isFinite(p[0]) && isFinite(p[1]) && (!ylog || p[1] > 0) && (!xlog || p[0] > 0);
      });
      if (!scatter) pts = smooth(pts, state.ema);
      return { label: run.label, color: run.color, points: pts.map(function (p) {
        return [xlog ? Math.log10(p[0]) : p[0], ylog ? Math.log10(p[1]) : p[1], p[2]];
      }) };
    });
    const every = [].concat.apply([], runs.map(function (r) { return r.points; }));
    box.textContent = "";
    if (!every.length) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = ylog ? "Nothing positive to draw on a log scale." : "Nothing logged yet.";
      box.appendChild(p);
      return;
    }
    // Drawn at the box's own width, so labels keep their size on a phone (redrawn on resize).
    const W = Math.max(280, Math.round(box.clientWidth || 640)), H = W < 500 ? 220 : 260;
    const xs = axis(every.map(function (p) { return p[0]; }), xlog);
    const ys = axis(every.map(function (p) { return p[1]; }), ylog);
    const svg = el("svg", { viewBox: "0 0 " + W + " " + H, class: "chart", role: "img" }, box);
    el("title", {}, svg).textContent = data.title;
    const x = function (v) { return L + (v - xs[0]) / (xs[1] - xs[0]) * (W - L - R); };
    const y = function (v) { return T + (ys[1] - v) / (ys[1] - ys[0]) * (H - T - B); };
    ys[2].forEach(function (t) {
      el("line", { class: "grid", x1: L, x2: W - R, y1: y(t), y2: y(t) }, svg);
      el("text", { class: "axis", x: L - 6, y: y(t) + 4, "text-anchor": "end" }, svg)
        .textContent = fmt(ylog ? Math.pow(10, t) : t);
    });
    xs[2].forEach(function (t, i) {
      el("text", { class: "axis", x: x(t), y: H - 10, "text-anchor": i ? "middle" : "start" }, svg)
        .textContent = (i ? "" : data.xlabel + " ") + fmt(xlog ? Math.pow(10, t) : t);
    });
    runs.forEach(function (run) {
      if (!run.points.length) return;
      if (!scatter) {
        el("polyline", { class: "run", points: run.points.map(function (p) {
          return x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1);
        }).join(" ") }, svg).style.stroke = run.color;
      }
      const shown = scatter ? run.points : run.points.slice(-1);
      shown.forEach(function (p) {
        const dot = el("circle", { cx: x(p[0]), cy: y(p[1]), r: scatter ? 5 : 3 }, svg);
        dot.style.fill = run.color;
        el("title", {}, dot).textContent = run.label + (p[2] ? " " + p[2] : "") + ": " +
          fmt(ylog ? Math.pow(10, p[1]) : p[1]);
      });
    });
  }
  function mount() {
    const ema = document.getElementById("ema");
    const log = document.getElementById("logscale");
    if (ema) { ema.value = String(state.ema); ema.oninput = update; }
    if (log) { log.checked = state.log; log.onchange = update; }
    update();
  }
  function update() {
    const ema = document.getElementById("ema");
    const log = document.getElementById("logscale");
    state.ema = ema ? Math.min(0.99, Math.max(0, +ema.value || 0)) : 0;
    state.log = !!(log && log.checked);
    const shown = document.getElementById("ema-value");
    if (shown) shown.textContent = state.ema.toFixed(2);
    render();
  }
  function render() {
    document.querySelectorAll(".plot[data-series]").forEach(function (box) {
      let data;
      try { data = JSON.parse(box.dataset.series); } catch (err) { return; }
      draw(box, data);
    });
  }
  let resized = null;
  window.addEventListener("resize", function () {
    clearTimeout(resized);
    resized = setTimeout(render, 150);
  });
  window.oumiDash.onMount.push(mount);
  mount();
})();
