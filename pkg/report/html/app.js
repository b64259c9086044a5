// The Guardrail HTML report: plain DOM code over the embedded data, and
// cytoscape.js for the network graph. No request leaves the page.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("data").textContent);
  var S = data.strings || [];
  var SEV = ["info", "low", "medium", "high", "critical"];
  var rows = (data.findings || []).map(function (r) {
    return { sev: r[0], rule: S[r[1]], ns: S[r[2]], kind: S[r[3]], name: S[r[4]], file: S[r[5]], line: r[6],
      msg: S[r[7]], field: S[r[8]], container: S[r[9]], state: r[10] };
  });
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { for (var k in attrs) { if (k === "class") { e.className = attrs[k]; } else { e.setAttribute(k, attrs[k]); } } }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function objectOf(r) { return (r.ns ? r.ns + "/" : "") + r.kind + "/" + r.name; }
  function where(r) { return r.file ? r.file + (r.line ? ":" + r.line : "") : "live object " + objectOf(r); }

  // Theme: the system's, switchable.
  var root = document.documentElement;
  if (window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches) { root.classList.add("dark"); }
  document.getElementById("theme").addEventListener("click", function () { root.classList.toggle("dark"); if (cy) { styleGraph(); } });

  var s = data.summary || {};
  document.getElementById("meta").textContent = (data.source || "scan") + " · Guardrail " + (data.version || "") + " · " + data.generated +
    (s.partial ? " · PARTIAL: part of the input could not be read" : "");

  // Tabs, with arrow keys between them.
  var tabs = Array.prototype.slice.call(document.querySelectorAll("[role=tab]"));
  function show(tab) {
    tabs.forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    });
    if (tab.id === "tab-network") { drawNetwork(); }
    if (tab.id === "tab-rbac") { drawRBAC(); }
  }
  tabs.forEach(function (t, i) {
    t.addEventListener("click", function () { show(t); });
    t.addEventListener("keydown", function (e) {
      var j = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : -1;
      if (j >= 0) { var n = tabs[(j + tabs.length) % tabs.length]; n.focus(); show(n); }
    });
  });

  // Posture.
  var cards = document.getElementById("summary");
  [["Score", s.score === undefined || s.score === null ? "n/a" : s.score + "/100"], ["Critical", s.critical], ["High", s.high], ["Medium", s.medium],
   ["Low", s.low], ["Suppressed", s.suppressed], ["Objects", s.objects]].forEach(function (c) {
    var card = el("div", { "class": "card" }); card.appendChild(el("b", null, String(c[1] === undefined ? 0 : c[1]))); card.appendChild(document.createTextNode(c[0]));
    cards.appendChild(card);
  });
  var nsRows = data.namespaces || [];
  var nsSort = { key: "score", dir: 1 };
  function renderNamespaces() {
    var tb = document.querySelector("#ns-table tbody");
    tb.textContent = "";
    var sorted = nsRows.slice().sort(function (a, b) {
      var k = nsSort.key, x, y;
      if (k === "name") { x = a.name; y = b.name; } else if (k === "score" || k === "objects") { x = a[k]; y = b[k]; } else { x = a.counts[+k]; y = b.counts[+k]; }
      return (x < y ? -1 : x > y ? 1 : 0) * nsSort.dir;
    });
    sorted.forEach(function (n) {
      var tr = el("tr", { "data-namespace": n.name });
      tr.appendChild(el("td", null, n.name || "(cluster-scoped)"));
      tr.appendChild(el("td", { "class": "num" }, String(n.score)));
      [4, 3, 2, 1].forEach(function (i) { tr.appendChild(el("td", { "class": "num sev-" + i }, String(n.counts[i]))); });
      tr.appendChild(el("td", { "class": "num" }, String(n.objects)));
      var worst = rows.filter(function (r) { return r.state === 0 && r.ns === n.name; }).sort(function (a, b) { return b.sev - a.sev; }).slice(0, 3);
      var td = el("td");
      worst.forEach(function (r) { td.appendChild(el("div", { "class": "sev-" + r.sev }, r.rule + " " + r.kind + "/" + r.name)); });
      tr.appendChild(td);
      tb.appendChild(tr);
    });
  }
  document.querySelectorAll("#ns-table [data-sort]").forEach(function (b) {
    b.addEventListener("click", function () {
      var k = b.getAttribute("data-sort");
      nsSort = { key: k, dir: nsSort.key === k ? -nsSort.dir : (k === "name" || k === "score" ? 1 : -1) };
      renderNamespaces();
    });
  });
  renderNamespaces();

  // Findings, filtered.
  function fill(id, values) {
    var sel = document.getElementById(id);
    values.forEach(function (v) { var o = el("option", { value: v[0] }, v[1]); sel.appendChild(o); });
  }
  function distinct(f) { var m = {}; rows.forEach(function (r) { m[f(r)] = true; }); return Object.keys(m).sort(); }
  fill("f-severity", [4, 3, 2, 1, 0].map(function (i) { return [String(i), SEV[i] + " and above"]; }));
  fill("f-rule", distinct(function (r) { return r.rule; }).map(function (v) { return [v, v]; }));
  fill("f-category", distinct(function (r) { return (data.rules[r.rule] || {}).category || ""; }).filter(Boolean).map(function (v) { return [v, v]; }));
  fill("f-namespace", distinct(function (r) { return r.ns; }).map(function (v) { return [v, v || "(cluster-scoped)"]; }));
  fill("f-kind", distinct(function (r) { return r.kind; }).map(function (v) { return [v, v]; }));
  if (data.baseline) { document.getElementById("l-new").hidden = false; }
  var LIMIT = 2000;
  function visible() {
    var v = function (id) { return document.getElementById(id).value; };
    var sev = v("f-severity"), rule = v("f-rule"), cat = v("f-category"), ns = v("f-namespace"), kind = v("f-kind");
    var text = v("f-text").toLowerCase(), supp = document.getElementById("f-suppressed").checked, onlyNew = document.getElementById("f-new").checked;
    return rows.filter(function (r) {
      if (r.state !== 0 && !supp) { return false; }
      if (onlyNew && r.state !== 0) { return false; }
      if (sev !== "" && r.sev < +sev) { return false; }
      if (rule && r.rule !== rule) { return false; }
      if (cat && (data.rules[r.rule] || {}).category !== cat) { return false; }
      if (document.getElementById("f-namespace").selectedIndex > 0 && r.ns !== ns) { return false; }
      if (kind && r.kind !== kind) { return false; }
      if (text && (objectOf(r) + " " + r.msg + " " + r.field + " " + r.rule).toLowerCase().indexOf(text) < 0) { return false; }
      return true;
    }).sort(function (a, b) { return b.sev - a.sev; });
  }
  function renderFindings() {
    var list = visible();
    var tb = document.querySelector("#findings-table tbody");
    tb.textContent = "";
    list.slice(0, LIMIT).forEach(function (r) {
      var cls = r.state !== 0 ? "suppressed" : (data.baseline ? "new" : "");
      var tr = el("tr", { "class": cls, "data-severity": SEV[r.sev] });
      tr.appendChild(el("td", { "class": "sev sev-" + r.sev }, SEV[r.sev] + (r.state === 2 ? " (baseline)" : r.state === 1 ? " (excepted)" : "")));
      var td = el("td"); var a = el("a", { href: "#rule-" + r.rule }, r.rule);
      a.addEventListener("click", function () { show(document.getElementById("tab-rules")); });
      td.appendChild(a); tr.appendChild(td);
      tr.appendChild(el("td", null, objectOf(r) + (r.container ? " [" + r.container + "]" : "")));
      tr.appendChild(el("td", null, where(r) + (r.field ? " " + r.field : "")));
      tr.appendChild(el("td", null, r.msg));
      tb.appendChild(tr);
    });
    document.getElementById("count").textContent = list.length + " findings" + (list.length > LIMIT ? ", showing the first " + LIMIT + " (filter to narrow)" : "");
  }
  document.getElementById("filters").addEventListener("input", renderFindings);
  document.getElementById("filters").addEventListener("submit", function (e) { e.preventDefault(); });
  renderFindings();

  // Rules: rationale, fix, references.
  var rs = document.getElementById("rules");
  Object.keys(data.rules || {}).sort().forEach(function (id) {
    var r = data.rules[id];
    var d = el("div", { "class": "rule", id: "rule-" + id });
    d.appendChild(el("h3", null, id + ": " + r.title));
    d.appendChild(el("p", { "class": "sev sev-" + SEV.indexOf(r.severity) }, r.severity + " · " + r.category));
    d.appendChild(el("p", null, r.rationale));
    d.appendChild(el("p", null, "Fix: " + r.remediation));
    (r.references || []).forEach(function (ref, i) {
      var p = el("p");
      var url = (r.links || [])[i];
      if (url && /^https:\/\//.test(url)) { p.appendChild(el("a", { href: url, rel: "noreferrer noopener" }, ref)); } else { p.textContent = ref; }
      d.appendChild(p);
    });
    rs.appendChild(d);
  });

  // Network: workloads grouped by namespace, peers apart; dashed edges
  // depend on the CNI or on the member of a peer class. Above a threshold
  // namespaces are drawn instead of workloads; tapping one drills down.
  var cy = null, AGGREGATE = 300;
  function nsOf(id) { var i = id.indexOf("/"); return i < 0 ? null : id.slice(0, i); }
  function elementsFor(edges, aggregate) {
    var nodes = {}, els = [], agg = {};
    function node(id) {
      if (nodes[id]) { return; }
      nodes[id] = true;
      var ns = nsOf(id);
      if (aggregate) { els.push({ data: { id: id, label: id, peer: ns === null ? 1 : 0 } }); return; }
      if (ns !== null && !nodes["ns:" + ns]) { nodes["ns:" + ns] = true; els.push({ data: { id: "ns:" + ns, label: ns, group: 1 } }); }
      els.push({ data: { id: id, label: ns === null ? id : id.slice(ns.length + 1), parent: ns === null ? undefined : "ns:" + ns, peer: ns === null ? 1 : 0 } });
    }
    edges.forEach(function (e, i) {
      var s = e.s, t = e.t;
      if (aggregate) { s = nsOf(s) === null ? s : nsOf(s); t = nsOf(t) === null ? t : nsOf(t); }
      node(s); node(t);
      if (aggregate) {
        var k = s + ">" + t;
        if (!agg[k]) { agg[k] = { data: { id: "e" + i, source: s, target: t, n: 0, depends: 1, label: "" } }; els.push(agg[k]); }
        agg[k].data.n++; if (e.v === "allow") { agg[k].data.depends = 0; }
        agg[k].data.label = agg[k].data.n + " connections";
      } else {
        els.push({ data: { id: "e" + i, source: s, target: t, label: e.p, depends: e.v === "allow" ? 0 : 1, because: e.b || "", verdict: e.v } });
      }
    });
    return els;
  }
  function styleGraph() {
    var cs = getComputedStyle(root);
    cy.style([
      { selector: "node", style: { label: "data(label)", "font-size": 10, color: cs.getPropertyValue("--fg"), "background-color": cs.getPropertyValue("--accent") } },
      { selector: "node[group = 1]", style: { "background-opacity": 0.08, "border-width": 1, "border-color": cs.getPropertyValue("--line"), "text-valign": "top" } },
      { selector: "node[peer = 1]", style: { shape: "diamond", "background-color": cs.getPropertyValue("--high") } },
      { selector: "edge", style: { width: 1.5, "curve-style": "bezier", "target-arrow-shape": "triangle", "line-color": cs.getPropertyValue("--muted"), "target-arrow-color": cs.getPropertyValue("--muted") } },
      { selector: "edge[depends = 1]", style: { "line-style": "dashed" } },
      { selector: "edge:selected", style: { "line-color": cs.getPropertyValue("--accent"), "target-arrow-color": cs.getPropertyValue("--accent"), label: "data(label)", "font-size": 9 } }
    ]);
  }
  function drawNetwork(only) {
    var note = document.getElementById("net-note");
    if (!data.network) { note.textContent = "No network data in this report (scan manifests or a live cluster with -o html)."; return; }
    if (cy && !only) { return; }
    var edges = data.network.edges || [];
    var workloads = {};
    edges.forEach(function (e) { workloads[e.s] = 1; workloads[e.t] = 1; });
    var aggregate = !only && Object.keys(workloads).length > AGGREGATE;
    if (only) { edges = edges.filter(function (e) { return nsOf(e.s) === only || nsOf(e.t) === only; }); }
    note.textContent = edges.length + " connections" + (aggregate ? ", aggregated by namespace (tap one to see its workloads)" : "") +
      (only ? " touching " + only : "") + (data.network.omitted ? "; " + data.network.omitted + " more left out" : "") +
      ". Dashed: depends on the CNI or on which member of a peer class. Peers: " + (data.network.peers || []).join(", ") + ".";
    if (cy) { cy.destroy(); }
    cy = cytoscape({ container: document.getElementById("cy"), elements: elementsFor(edges, aggregate),
      layout: { name: edges.length > 3000 ? "grid" : "cose", animate: false } });
    styleGraph();
    cy.on("tap", "edge", function (ev) {
      var d = ev.target.data();
      document.getElementById("edge-info").textContent = d.source + " -> " + d.target + " " + d.label + (d.verdict ? " (" + d.verdict + ")" : "") + (d.because ? ": " + d.because : "");
    });
    if (aggregate) { cy.on("tap", "node", function (ev) { if (nsOf(ev.target.id()) === null && ev.target.data("peer") !== 1) { drawNetwork(ev.target.id()); } }); }
    window.__guardrail.cy = cy;
  }
  // RBAC: subject -> binding -> role -> capability, subjects coloured by
  // their risk score, the chains of rbac risks also as a table.
  var cyRBAC = null;
  function drawRBAC() {
    var chains = data.rbac || [];
    var note = document.getElementById("rbac-note");
    note.textContent = chains.length ? chains.length + " risky grants of subjects users bound (Kubernetes' own left out), riskiest first." : "No risky RBAC grant in this input.";
    var tb = document.querySelector("#rbac-table tbody");
    if (tb.children.length === 0) {
      chains.forEach(function (c) {
        var tr = el("tr");
        [c.subject, String(c.score), c.binding, c.role, c.risk, c.scope].forEach(function (v) { tr.appendChild(el("td", null, v)); });
        tb.appendChild(tr);
      });
    }
    if (cyRBAC || !chains.length) { return; }
    var els = [], seen = {};
    function node(id, label, kind, score) {
      if (seen[id]) { return; }
      seen[id] = true;
      els.push({ data: { id: id, label: label, kind: kind, score: score || 0 } });
    }
    function edge(a, b) { var id = a + ">" + b; if (!seen[id]) { seen[id] = true; els.push({ data: { id: id, source: a, target: b } }); } }
    chains.forEach(function (c) {
      var s = "s:" + c.subject, b = "b:" + c.binding, r = "r:" + c.role, k = "k:" + c.risk + " (" + c.scope + ")";
      node(s, c.subject, "subject", c.score); node(b, c.binding, "binding"); node(r, c.role, "role"); node(k, c.risk + " (" + c.scope + ")", "risk");
      edge(s, b); edge(b, r); edge(r, k);
    });
    var cs = getComputedStyle(root);
    cyRBAC = cytoscape({ container: document.getElementById("cy-rbac"), elements: els, layout: { name: "breadthfirst", directed: true, spacingFactor: 1.1 } });
    cyRBAC.style([
      { selector: "node", style: { label: "data(label)", "font-size": 9, color: cs.getPropertyValue("--fg"), "background-color": cs.getPropertyValue("--muted") } },
      { selector: "node[kind = 'subject']", style: { "background-color": cs.getPropertyValue("--low") } },
      { selector: "node[kind = 'subject'][score >= 100]", style: { "background-color": cs.getPropertyValue("--high") } },
      { selector: "node[kind = 'subject'][score >= 200]", style: { "background-color": cs.getPropertyValue("--critical") } },
      { selector: "node[kind = 'role']", style: { shape: "round-rectangle", "background-color": cs.getPropertyValue("--accent") } },
      { selector: "node[kind = 'risk']", style: { shape: "diamond", "background-color": cs.getPropertyValue("--high") } },
      { selector: "edge", style: { width: 1.2, "curve-style": "bezier", "target-arrow-shape": "triangle", "line-color": cs.getPropertyValue("--line"), "target-arrow-color": cs.getPropertyValue("--line") } }
    ]);
    window.__guardrail.cyRBAC = cyRBAC;
  }

  window.__guardrail = { visibleRows: function () { return document.querySelectorAll("#findings-table tbody tr").length; }, cy: null, show: function (id) { show(document.getElementById(id)); } };
})();
