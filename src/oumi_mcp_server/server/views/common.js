"use strict";
// The view side of MCP Apps, by hand (no bundle, no network): JSON-RPC 2.0 with the host over
// postMessage, DOM built with textContent only (names and log lines are data, never markup),
// and an SVG line chart. The host forwards tools/call to the server under its own approval.
const oumi = (() => {
  const pending = new Map();
  const handlers = {};
  let nextId = 1;
  const post = (msg) => window.parent.postMessage(msg, "*");

  window.addEventListener("message", (ev) => {
    const m = ev.data;
    if (ev.source !== window.parent || !m || m.jsonrpc !== "2.0") return;
    if (m.method === undefined) {
      const waiter = pending.get(m.id);
      if (!waiter) return;
      pending.delete(m.id);
      if (m.error) waiter.reject(new Error(m.error.message || "host error"));
      else waiter.resolve(m.result);
      return;
    }
    if (m.id !== undefined) post({ jsonrpc: "2.0", id: m.id, result: {} }); // ping, teardown
    const handler = handlers[m.method];
    if (handler) handler(m.params || {});
  });

  function request(method, params, timeoutMs = 60000) {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      setTimeout(() => {
        if (pending.delete(id)) reject(new Error(`${method}: no answer from the host`));
      }, timeoutMs);
      post({ jsonrpc: "2.0", id, method, params });
    });
  }

  const notify = (method, params) => post({ jsonrpc: "2.0", method, params });
  const on = (method, fn) => { handlers[method] = fn; };

  function applyContext(ctx) {
    if (ctx && ctx.theme) document.documentElement.dataset.theme = ctx.theme;
  }

  /** What the host offers this view (known once ui/initialize answered). */
  const host = { tools: false };

  async function start(name) {
    on("ui/notifications/host-context-changed", applyContext);
    const init = await request("ui/initialize", {
      appInfo: { name, version: "1" },
      appCapabilities: {},
      protocolVersion: "2026-01-26",
    });
    applyContext(init && init.hostContext);
    host.tools = Boolean(init && init.hostCapabilities && init.hostCapabilities.serverTools);
    notify("ui/notifications/initialized", {});
    let last = 0;
    const report = () => {
      const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height !== last) notify("ui/notifications/size-changed", { height: (last = height) });
    };
    new ResizeObserver(report).observe(document.documentElement);
    report();
  }

  /** The structured answer of a tool result; an error result throws its message. */
  function answer(result) {
    const text = ((result && result.content) || []).map((c) => c.text || "").join("");
    if (!result || result.isError) {
      let msg = text || "tool error";
      try { const e = JSON.parse(text).error; msg = `${e.message} ${e.fix || ""}`; } catch (_) {}
      throw new Error(msg);
    }
    if (result.structuredContent) return result.structuredContent;
    return JSON.parse(text);
  }

  const callTool = async (name, args) =>
    answer(await request("tools/call", { name, arguments: args }));

  /** Ask the person's assistant (the chat) to do something: it goes through the host's
   * normal tool approval, never around it. */
  const say = (text) =>
    request("ui/message", { role: "user", content: [{ type: "text", text }] });

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function fmt(v, digits = 4) {
    if (v === null || v === undefined || v === "") return "–";
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return String(v);
      return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(digits)));
    }
    return String(v);
  }

  function duration(s) {
    if (s === null || s === undefined) return "–";
    s = Math.round(s);
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
    return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  }

  // A trainer's log line is a dict that starts with its loss; a results dict that merely
  // holds a `loss` (an evaluation's, printed by the same job) is not a training step.
  const LOSS = /^\s*\{\s*['"]loss['"]:\s*['"]?(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/;
  const STEP = /['"](?:global_)?step['"]:\s*['"]?(\d+)/;
  /** (step, loss) from the metric dicts the trainer prints; unnumbered ones by order. */
  function lossPoints(text) {
    const points = [];
    for (const line of String(text || "").split("\n")) {
      const m = LOSS.exec(line);
      if (!m) continue;
      const loss = Number(m[1]);
      const s = STEP.exec(line);
      if (Number.isFinite(loss)) points.push([s ? Number(s[1]) : points.length + 1, loss]);
    }
    return points;
  }

  /** The loss points a job printed, read through get_job_logs (read-only, bounded). */
  async function lossCurve(jobId) {
    const logs = await callTool("get_job_logs", {
      job_id: jobId, stream: "stdout", grep: "^\\s*\\{\\s*[\"']loss[\"']:", tail: 5000, max_bytes: 400000,
    });
    return lossPoints(logs.streams.map((s) => s.text).join("\n"));
  }

  const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2",
    "#ca8a04", "#db2777"];
  const NS = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs, text) => {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
    if (text !== undefined) n.textContent = text;
    return n;
  };

  /** Lines of [{label, points: [[x, y]...]}] on shared axes; `log` plots log10(y). */
  function chart(series, { log = false, xLabel = "step", yLabel = "loss" } = {}) {
    const W = Math.max(320, Math.min(960, document.documentElement.clientWidth - 28 || 640));
    const H = W < 480 ? 200 : 240, L = 52, R = 12, T = 10, B = 34;
    const ys = (y) => (log ? Math.log10(y) : y);
    const pts = series.flatMap((s) => s.points).filter(([, y]) => !log || y > 0);
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img",
      "aria-label": `${yLabel} by ${xLabel}` });
    if (!pts.length) {
      root.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "muted" },
        `no ${yLabel} logged yet`));
      return root;
    }
    let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
    let [y0, y1] = [Math.min(...pts.map((p) => ys(p[1]))), Math.max(...pts.map((p) => ys(p[1])))];
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
    const px = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
    const py = (y) => T + (1 - (ys(y) - y0) / (y1 - y0)) * (H - T - B);
    root.append(svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }));
    root.append(svg("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }));
    for (let i = 0; i <= 4; i++) {
      const v = y0 + ((y1 - y0) * i) / 4;
      const y = T + (1 - i / 4) * (H - T - B);
      root.append(svg("line", { x1: L, y1: y, x2: W - R, y2: y, class: "grid" }));
      root.append(svg("text", { x: L - 6, y: y + 4, "text-anchor": "end", class: "tick" },
        fmt(log ? 10 ** v : v, 3)));
    }
    for (const x of [x0, (x0 + x1) / 2, x1]) {
      root.append(svg("text", { x: px(x), y: H - B + 16, "text-anchor": "middle", class: "tick" },
        fmt(Math.round(x))));
    }
    root.append(svg("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle",
      class: "tick" }, xLabel));
    series.forEach((s, i) => {
      const shown = s.points.filter(([, y]) => !log || y > 0);
      const line = svg("polyline", {
        points: shown.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" "),
        fill: "none", stroke: COLORS[i % COLORS.length], "stroke-width": 2,
        "data-series": i, class: "curve",
      });
      line.append(svg("title", {}, s.label));
      root.append(line);
    });
    return root;
  }

  function swatch(color) {
    const node = el("i");
    node.style.background = color; // CSSOM, not a style attribute: fine under a strict CSP
    return node;
  }

  function legend(labels) {
    return el("div", { class: "legend" }, ...labels.map((label, i) =>
      el("span", {}, swatch(COLORS[i % COLORS.length]), el("span", { text: label }))));
  }

  const TERMINAL = new Set(["completed", "failed", "cancelled", "lost"]);
  const badge = (status) =>
    el("span", { class: `badge s-${String(status).replace(/[^a-z_]/g, "")}`, text: status });

  return { host, start, on, callTool, say, el, fmt, duration, lossPoints, lossCurve, chart, legend,
    badge, TERMINAL };
})();
