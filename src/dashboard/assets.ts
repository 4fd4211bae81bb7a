// The dashboard's three static files. Plain HTML, CSS and browser JavaScript, no framework and
// no chart library: the charts are a few SVG paths (src/dashboard/dashboard-page.ts serves them).

export const DASHBOARD_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/app.js" defer></script>
</head>
<body>
<header>
  <h1>Switchyard</h1>
  <span id="status" data-testid="status">loading…</span>
  <label>window
    <select id="window">
      <option value="15">15 min</option>
      <option value="30" selected>30 min</option>
      <option value="60">1 h</option>
      <option value="180">3 h</option>
    </select>
  </label>
  <button id="forget" type="button">forget key</button>
</header>
<form id="login" hidden>
  <label>Admin API key <input id="key" type="password" autocomplete="off" required></label>
  <button type="submit">Show</button>
  <p class="hint">The key stays in this tab (session storage). You can also open <code>/dashboard#key=…</code>.</p>
</form>
<main id="main" hidden>
  <section class="tiles">
    <div class="tile"><h2>Requests</h2><b data-testid="requests">–</b><small><span data-testid="rps">–</span> req/s</small></div>
    <div class="tile"><h2>Error rate</h2><b data-testid="error-rate">–</b><small><span data-testid="errors">–</span> errors</small></div>
    <div class="tile"><h2>Latency p50 / p95 / p99</h2><b data-testid="latency">–</b><small>whole answer</small></div>
    <div class="tile"><h2>TTFT p50 / p95 / p99</h2><b data-testid="ttft">–</b><small>streams, first chunk</small></div>
    <div class="tile"><h2>Output tokens/s</h2><b data-testid="tps">–</b><small>in <span data-testid="input-tokens">–</span> · out <span data-testid="output-tokens">–</span></small></div>
    <div class="tile"><h2>Cost</h2><b data-testid="cost">–</b><small><span data-testid="cost-1k">–</span> /1k tok · <span data-testid="cost-req">–</span> /req</small></div>
    <div class="tile"><h2>Cache hit ratio</h2><b data-testid="cache-ratio">–</b><small data-testid="cache-tiers">–</small></div>
  </section>
  <section class="charts">
    <figure><figcaption>Requests / min <i class="k a">all</i> <i class="k b">errors</i></figcaption><svg id="chart-traffic" data-testid="chart-traffic" viewBox="0 0 320 110"></svg></figure>
    <figure><figcaption>Latency (s) <i class="k a">p50</i> <i class="k b">p95</i> <i class="k c">p99</i></figcaption><svg id="chart-latency" viewBox="0 0 320 110"></svg></figure>
    <figure><figcaption>TTFT (s) <i class="k a">p50</i> <i class="k b">p95</i> <i class="k c">p99</i></figcaption><svg id="chart-ttft" viewBox="0 0 320 110"></svg></figure>
    <figure><figcaption>Output tokens / s <i class="k a">tokens</i></figcaption><svg id="chart-tokens" viewBox="0 0 320 110"></svg></figure>
    <figure><figcaption>Cost / min (USD) <i class="k a">cost</i></figcaption><svg id="chart-cost" viewBox="0 0 320 110"></svg></figure>
  </section>
  <section class="wide">
    <h2>Regions</h2>
    <svg id="map" viewBox="0 0 360 180" aria-label="regions on a world grid"></svg>
    <table data-testid="regions"><thead><tr><th>region</th><th>endpoints up</th><th>running</th><th>waiting</th><th>KV max</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="wide"><h2>Endpoints</h2>
    <table data-testid="endpoints"><thead><tr><th>endpoint</th><th>health</th><th>running</th><th>waiting</th><th>KV</th><th>GPU</th><th>in flight here</th><th>breaker</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="grid3">
    <div><h2>By region</h2><table data-testid="by-region"></table></div>
    <div><h2>By model</h2><table data-testid="by-model"></table></div>
    <div><h2>By tenant</h2><table data-testid="by-tenant"></table></div>
  </section>
  <section class="grid3">
    <div><h2>Errors by type</h2><table data-testid="errors-by-type"><thead><tr><th>type</th><th>code</th><th>count</th></tr></thead><tbody></tbody></table></div>
    <div><h2>Cache by tier</h2><table data-testid="cache"><thead><tr><th>result</th><th>requests</th></tr></thead><tbody></tbody></table></div>
  </section>
</main>
<p id="problem" role="alert" hidden></p>
</body>
</html>
`;

export const DASHBOARD_CSS = String.raw`
:root { color-scheme: light dark; --fg: #1d2430; --muted: #6b7585; --bg: #f6f7f9; --card: #fff; --line: #dde1e7; --a: #2f6fde; --b: #d9480f; --c: #7a3fb8; --ok: #2b9348; --bad: #c92a2a; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --muted: #98a2b3; --bg: #12151b; --card: #1b2029; --line: #2c3340; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1rem; align-items: center; padding: .6rem 1rem; border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { font-size: 1.1rem; margin: 0; }
#status { color: var(--muted); flex: 1; }
main, form { padding: 1rem; }
h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 .4rem; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: .6rem; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; }
.tile b { display: block; font-size: 1.35rem; font-variant-numeric: tabular-nums; }
.tile small { color: var(--muted); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: .6rem; margin-top: .8rem; }
figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .5rem; }
figcaption { font-size: .8rem; color: var(--muted); }
svg { width: 100%; height: auto; display: block; }
.k { font-style: normal; margin-left: .5rem; }
.k::before { content: ""; display: inline-block; width: .8rem; height: .2rem; margin-right: .25rem; vertical-align: middle; }
.k.a::before { background: var(--a); } .k.b::before { background: var(--b); } .k.c::before { background: var(--c); }
.line { fill: none; stroke-width: 1.6; } .line.a { stroke: var(--a); } .line.b { stroke: var(--b); } .line.c { stroke: var(--c); }
.axis { stroke: var(--line); stroke-width: .6; } .tick { fill: var(--muted); font-size: 8px; }
.wide, .grid3 { margin-top: .8rem; }
.grid3 { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: .6rem; }
.wide, .grid3 > div { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .6rem; overflow-x: auto; min-width: 0; }
.dotpt.a { fill: var(--a); } .dotpt.b { fill: var(--b); } .dotpt.c { fill: var(--c); }
#map { max-width: 540px; margin-bottom: .5rem; } .land { fill: none; stroke: var(--line); stroke-width: .5; }
.dot.up { fill: var(--ok); } .dot.down { fill: var(--bad); } .dot.unknown { fill: var(--muted); } .dot-label { font-size: 8px; fill: var(--fg); }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .2rem .4rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 500; font-size: .8rem; }
td.num, th.num { text-align: right; }
.up { color: var(--ok); } .down { color: var(--bad); }
#problem { margin: 1rem; padding: .6rem; border: 1px solid var(--bad); color: var(--bad); border-radius: 6px; }
.hint { color: var(--muted); }
`;

export const DASHBOARD_JS = String.raw`"use strict";
(function () {
  var REFRESH_MS = 5000;
  var STORAGE = "switchyard.adminKey";
  var timer = null;

  function $(id) { return document.getElementById(id); }
  function q(sel) { return document.querySelector(sel); }
  function text(sel, value) { var el = q(sel); if (el) el.textContent = value; }

  function takeKeyFromFragment() {
    var m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
    if (!m) return;
    sessionStorage.setItem(STORAGE, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }

  function fmtInt(n) { return n == null ? "–" : Math.round(n).toLocaleString("en-US"); }
  function fmtPct(x) { return x == null ? "–" : (x * 100).toFixed(x < 0.1 ? 2 : 1) + " %"; }
  function fmtSec(s) { return s == null ? "–" : s < 1 ? Math.round(s * 1000) + " ms" : s.toFixed(2) + " s"; }
  function fmtUsd(x) { if (x == null) return "–"; if (x === 0) return "$0"; return "$" + (x < 0.01 ? x.toPrecision(3) : x.toFixed(x < 10 ? 4 : 2)); }
  function fmtRate(x) { return x == null ? "–" : x < 10 ? x.toFixed(2) : x.toFixed(1); }
  function trio(p) { return p && p.count > 0 ? fmtSec(p.p50) + " / " + fmtSec(p.p95) + " / " + fmtSec(p.p99) : "–"; }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    (children || []).forEach(function (c) { node.append(c instanceof Node ? c : document.createTextNode(String(c))); });
    return node;
  }
  function svgEl(tag, attrs) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    return node;
  }

  function rows(tbody, list, cells) {
    tbody.replaceChildren.apply(tbody, list.map(function (item) {
      return el("tr", {}, cells(item).map(function (c) {
        var td = el("td", c.cls ? { class: c.cls } : {}, [c.v]);
        return td;
      }));
    }));
  }

  // A line chart of one or more series over the minutes: y from 0 to the largest value.
  function chart(svg, points, series) {
    var W = 320, H = 110, L = 34, B = 14, T = 6;
    var max = 0;
    series.forEach(function (s) { points.forEach(function (p) { var v = s.get(p); if (v != null && v > max) max = v; }); });
    if (max === 0) max = 1;
    var kids = [svgEl("line", { class: "axis", x1: L, y1: H - B, x2: W, y2: H - B }), svgEl("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B })];
    var top = svgEl("text", { class: "tick", x: 2, y: T + 6 }); top.textContent = max < 1 ? max.toPrecision(2) : String(Math.round(max * 100) / 100);
    var bottom = svgEl("text", { class: "tick", x: 2, y: H - B }); bottom.textContent = "0";
    kids.push(top, bottom);
    var n = points.length;
    series.forEach(function (s) {
      var d = "", dots = [], gap = true;
      points.forEach(function (p, i) {
        var v = s.get(p);
        if (v == null) { gap = true; return; }
        var x = L + (n <= 1 ? (W - L) / 2 : (i * (W - L)) / (n - 1));
        var y = H - B - (v / max) * (H - B - T);
        d += (gap ? "M" : "L") + x.toFixed(1) + " " + y.toFixed(1);
        gap = false;
        dots.push([x, y]);
      });
      if (dots.length > 1) kids.push(svgEl("path", { class: "line " + s.cls, d: d }));
      // A lone minute with data (percentiles need traffic) shows as a dot.
      else if (dots.length === 1) kids.push(svgEl("circle", { class: "dotpt " + s.cls, cx: dots[0][0], cy: dots[0][1], r: 2.5 }));
    });
    if (n > 0) {
      var first = svgEl("text", { class: "tick", x: L, y: H - 2 }); first.textContent = new Date(points[0].t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      var last = svgEl("text", { class: "tick", x: W - 24, y: H - 2 }); last.textContent = new Date(points[n - 1].t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      kids.push(first, last);
    }
    svg.replaceChildren.apply(svg, kids);
  }

  function map(svg, regions) {
    var kids = [];
    for (var lon = -180; lon <= 180; lon += 30) kids.push(svgEl("line", { class: "land", x1: lon + 180, y1: 0, x2: lon + 180, y2: 180 }));
    for (var lat = -90; lat <= 90; lat += 30) kids.push(svgEl("line", { class: "land", x1: 0, y1: 90 - lat, x2: 360, y2: 90 - lat }));
    regions.forEach(function (r) {
      var x = r.longitude + 180, y = 90 - r.latitude;
      var state = r.endpoints === 0 ? "unknown" : r.healthy === r.endpoints ? "up" : r.healthy === 0 ? "down" : "unknown";
      var dot = svgEl("circle", { class: "dot " + state, cx: x, cy: y, r: 3 + Math.min(6, r.running / 4) });
      var title = svgEl("title", {}); title.textContent = r.id + ": " + r.healthy + "/" + r.endpoints + " up, " + r.running + " running, " + r.waiting + " waiting";
      dot.append(title);
      var label = svgEl("text", { class: "dot-label", x: x + 6, y: y + 3 }); label.textContent = r.id;
      kids.push(dot, label);
    });
    svg.replaceChildren.apply(svg, kids);
  }

  function breakdownTable(table, list) {
    var head = el("thead", {}, [el("tr", {}, ["name", "requests", "errors", "tokens in", "tokens out", "cost", "$/1k tok", "$/req"].map(function (h, i) { return el("th", i ? { class: "num" } : {}, [h]); }))]);
    var body = el("tbody");
    rows(body, list, function (r) {
      return [{ v: r.name }, { v: fmtInt(r.requests), cls: "num" }, { v: fmtPct(r.errorRate), cls: "num" }, { v: fmtInt(r.inputTokens), cls: "num" }, { v: fmtInt(r.outputTokens), cls: "num" }, { v: fmtUsd(r.costUsd), cls: "num" }, { v: fmtUsd(r.costPer1kTokensUsd), cls: "num" }, { v: fmtUsd(r.costPerRequestUsd), cls: "num" }];
    });
    table.replaceChildren(head, body);
  }

  function render(s) {
    var w = s.window;
    text("[data-testid=requests]", fmtInt(w.requests));
    text("[data-testid=rps]", fmtRate(w.requestsPerSecond));
    text("[data-testid=error-rate]", fmtPct(w.errorRate));
    text("[data-testid=errors]", fmtInt(w.errors));
    text("[data-testid=latency]", trio(w.latency));
    text("[data-testid=ttft]", trio(w.ttft));
    text("[data-testid=tps]", fmtRate(w.outputTokensPerSecond));
    text("[data-testid=input-tokens]", fmtInt(w.inputTokens));
    text("[data-testid=output-tokens]", fmtInt(w.outputTokens));
    text("[data-testid=cost]", fmtUsd(w.costUsd));
    text("[data-testid=cost-1k]", fmtUsd(w.costPer1kTokensUsd));
    text("[data-testid=cost-req]", fmtUsd(w.costPerRequestUsd));
    text("[data-testid=cache-ratio]", fmtPct(w.cacheHitRatio));
    text("[data-testid=cache-tiers]", Object.keys(w.cache).sort().map(function (k) { return k + " " + w.cache[k]; }).join(" · ") || "no cacheable requests");

    var pts = s.series;
    chart($("chart-traffic"), pts, [{ cls: "a", get: function (p) { return p.requests; } }, { cls: "b", get: function (p) { return p.errors; } }]);
    chart($("chart-latency"), pts, ["p50", "p95", "p99"].map(function (k, i) { return { cls: "abc"[i], get: function (p) { return p.latency[k]; } }; }));
    chart($("chart-ttft"), pts, ["p50", "p95", "p99"].map(function (k, i) { return { cls: "abc"[i], get: function (p) { return p.ttft[k]; } }; }));
    chart($("chart-tokens"), pts, [{ cls: "a", get: function (p) { return p.outputTokensPerSecond; } }]);
    chart($("chart-cost"), pts, [{ cls: "a", get: function (p) { return p.costUsd; } }]);

    map($("map"), s.regions);
    rows(q("[data-testid=regions] tbody"), s.regions, function (r) {
      return [{ v: r.id }, { v: r.healthy + " / " + r.endpoints, cls: "num " + (r.healthy === r.endpoints ? "up" : "down") }, { v: fmtInt(r.running), cls: "num" }, { v: fmtInt(r.waiting), cls: "num" }, { v: fmtPct(r.kvCacheUsage), cls: "num" }];
    });
    rows(q("[data-testid=endpoints] tbody"), s.endpoints, function (e) {
      var health = e.healthy == null ? "no probe" : e.healthy ? "up" : "down";
      return [{ v: e.id }, { v: health, cls: e.healthy ? "up" : e.healthy === false ? "down" : "" }, { v: fmtInt(e.running), cls: "num" }, { v: fmtInt(e.waiting), cls: "num" }, { v: fmtPct(e.kvCacheUsage), cls: "num" }, { v: fmtPct(e.gpuUtilization), cls: "num" }, { v: fmtInt(e.inflight), cls: "num" }, { v: e.breaker }];
    });
    breakdownTable(q("[data-testid=by-region]"), s.byRegion);
    breakdownTable(q("[data-testid=by-model]"), s.byModel);
    breakdownTable(q("[data-testid=by-tenant]"), s.byTenant);
    rows(q("[data-testid=errors-by-type] tbody"), s.errorsByType, function (e) { return [{ v: e.type }, { v: e.code }, { v: fmtInt(e.count), cls: "num" }]; });
    rows(q("[data-testid=cache] tbody"), Object.keys(w.cache).sort().map(function (k) { return [k, w.cache[k]]; }), function (r) { return [{ v: r[0] }, { v: fmtInt(r[1]), cls: "num" }]; });

    var age = s.snapshotAgeSeconds == null ? "no health snapshot" : "health " + Math.round(s.snapshotAgeSeconds) + " s old";
    text("#status", "updated " + new Date(s.now).toLocaleTimeString() + " · last " + s.windowMinutes + " min · " + age + " · refreshes every " + REFRESH_MS / 1000 + " s");
  }

  function problem(message) {
    var p = $("problem");
    p.textContent = message;
    p.hidden = message === "";
  }

  function showLogin() {
    $("main").hidden = true;
    $("login").hidden = false;
    text("#status", "an admin API key is needed");
    if (timer) clearTimeout(timer);
  }

  async function refresh() {
    if (timer) clearTimeout(timer);
    var key = sessionStorage.getItem(STORAGE);
    if (!key) return showLogin();
    try {
      var res = await fetch("/admin/stats?minutes=" + encodeURIComponent($("window").value), { headers: { authorization: "Bearer " + key }, cache: "no-store" });
      var body = await res.json();
      if (res.status === 401 || res.status === 403) {
        sessionStorage.removeItem(STORAGE);
        problem((body.error && body.error.message) || "the key was refused");
        return showLogin();
      }
      if (!res.ok) throw new Error((body.error && body.error.message) || "HTTP " + res.status);
      $("login").hidden = true;
      $("main").hidden = false;
      problem("");
      render(body);
    } catch (error) {
      problem("Could not load the numbers: " + (error && error.message ? error.message : String(error)) + ". Retrying.");
    }
    timer = setTimeout(refresh, REFRESH_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    takeKeyFromFragment();
    $("login").addEventListener("submit", function (event) {
      event.preventDefault();
      sessionStorage.setItem(STORAGE, $("key").value.trim());
      $("key").value = "";
      refresh();
    });
    $("forget").addEventListener("click", function () { sessionStorage.removeItem(STORAGE); showLogin(); });
    $("window").addEventListener("change", refresh);
    refresh();
  });
})();
`;
