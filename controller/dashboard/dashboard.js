/* dashboard.js - the status page: polls /status every two seconds and
 * redraws what changed (map markers, one card per RegionSet), and keeps
 * a region selector that writes RegionSet YAML (folder source) or saves
 * through the region API (Postgres source). Plain DOM, no libraries. */
(function () {
  "use strict";

  /* The same colors as the --converged... variables in dashboard.css. */
  var PHASES = {
    Converged: "#16a34a",
    Progressing: "#f59e0b",
    Degraded: "#dc2626",
    Invalid: "#7c3aed"
  };
  var UNKNOWN = "#94a3b8";
  var POLL_MS = 2000;
  var SVGNS = "http://www.w3.org/2000/svg";

  var st = {
    catalog: [],          /* regions in catalog order */
    byCode: {},
    continents: [],       /* [{name, regions: [...]}] in catalog order */
    list: null,           /* the last /status answer */
    mode: "",
    cards: {},            /* name -> {json, node} */
    closedEvents: {},     /* names whose event list the user folded */
    markerSig: "",
    sel: null,            /* the selector's state */
    polls: 0
  };

  function $(id) { return document.getElementById(id); }

  /* el("td", {className: "num", text: "3", data: {region: "fra"}},
   * [children]) builds an element; text is always set as text. */
  function el(tag, props, kids) {
    var n = document.createElement(tag);
    setProps(n, props);
    addKids(n, kids);
    return n;
  }

  function setProps(n, props) {
    var k;
    if (!props) return;
    for (k in props) {
      if (!Object.prototype.hasOwnProperty.call(props, k)) continue;
      var v = props[k];
      if (v === undefined || v === null) continue;
      if (k === "text") n.textContent = v;
      else if (k === "className") n.setAttribute("class", v);
      else if (k === "data") {
        for (var d in v) n.setAttribute("data-" + d, String(v[d]));
      } else if (k === "style") n.setAttribute("style", v);
      else n.setAttribute(k, v);
    }
  }

  function addKids(n, kids) {
    if (kids === undefined || kids === null) return;
    if (!Array.isArray(kids)) kids = [kids];
    kids.forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      n.appendChild(typeof c === "string" || typeof c === "number" ?
                    document.createTextNode(String(c)) : c);
    });
  }

  function svg(tag, props) {
    var n = document.createElementNS(SVGNS, tag);
    setProps(n, props);
    return n;
  }

  function phaseColor(p) { return PHASES[p] || UNKNOWN; }

  function swatch(phase) {
    return el("span", {className: "swatch",
                       style: "background:" + phaseColor(phase)});
  }

  function badge(phase) {
    return el("span", {className: "badge phase-badge", data: {phase: phase},
                       style: "background:" + phaseColor(phase)},
              phase || "Unknown");
  }

  /* Equirectangular: one SVG unit per degree. */
  function px(lon) { return lon + 180; }
  function py(lat) { return 90 - lat; }

  function fmtTime(iso) {
    var d = new Date(iso);
    if (!iso || isNaN(d.getTime())) return "";
    var now = new Date();
    var p2 = function (x) { return (x < 10 ? "0" : "") + x; };
    var t = p2(d.getHours()) + ":" + p2(d.getMinutes()) + ":" +
            p2(d.getSeconds());
    if (d.toDateString() === now.toDateString()) return t;
    return p2(d.getMonth() + 1) + "-" + p2(d.getDate()) + " " +
           t.slice(0, 5);
  }

  function regionLabel(code) {
    var r = st.byCode[code];
    return r ? r.city + ", " + r.country : code;
  }

  /* --- the map ---------------------------------------------------- */

  function drawBase() {
    var land = $("land"), grat = $("graticule"), lon, lat;
    WORLD.forEach(function (poly) {
      var d = "";
      for (var i = 0; i < poly.length; i += 2)
        d += (i ? "L" : "M") + px(poly[i]).toFixed(1) + " " +
             py(poly[i + 1]).toFixed(1);
      land.appendChild(svg("path", {d: d + "Z", className: "land"}));
    });
    for (lon = -150; lon <= 150; lon += 30)
      grat.appendChild(svg("line", {x1: px(lon), x2: px(lon), y1: 10,
                                    y2: 148, className: "grat"}));
    for (lat = -30; lat <= 60; lat += 30)
      grat.appendChild(svg("line", {x1: 0, x2: 360, y1: py(lat),
                                    y2: py(lat),
                                    className: lat ? "grat" : "grat eq"}));
  }

  function drawCatalog() {
    var g = $("catalog");
    st.catalog.forEach(function (r) {
      g.appendChild(svg("circle", {cx: px(r.longitude), cy: py(r.latitude),
                                   r: 0.75, className: "cat",
                                   data: {region: r.code}}));
    });
  }

  function drawLegend() {
    var g = $("legend");
    ["Converged", "Progressing", "Degraded"].forEach(function (p) {
      g.appendChild(el("span", null, [swatch(p), p]));
    });
  }

  /* One marker per region of each set; sets sharing a region sit on a
   * small ring around it so that each stays visible. */
  function drawMarkers(items) {
    var at = {}, order = [], sig, g = $("markers");
    items.forEach(function (it) {
      ((it.status && it.status.regions) || []).forEach(function (rg) {
        if (!st.byCode[rg.region]) return;
        if (!at[rg.region]) { at[rg.region] = []; order.push(rg.region); }
        at[rg.region].push({set: it.metadata.name, rg: rg});
      });
    });
    sig = JSON.stringify(order.map(function (c) {
      return [c, at[c].map(function (m) {
        return [m.set, m.rg.phase, m.rg.desired, m.rg.ready, m.rg.updated,
                m.rg.current, m.rg.primary, m.rg.reason];
      })];
    }));
    if (sig === st.markerSig) return;
    st.markerSig = sig;
    hideTip();
    while (g.firstChild) g.removeChild(g.firstChild);
    order.forEach(function (code) {
      var r = st.byCode[code], ms = at[code], k = ms.length;
      ms.forEach(function (m, i) {
        var a = -Math.PI / 2 + i * 2 * Math.PI / k;
        var off = k > 1 ? 2.1 : 0;
        var c = svg("circle", {
          cx: (px(r.longitude) + off * Math.cos(a)).toFixed(2),
          cy: (py(r.latitude) + off * Math.sin(a)).toFixed(2),
          r: k > 1 ? 1.8 : 2.3,
          fill: phaseColor(m.rg.phase),
          className: "marker",
          tabindex: 0,
          "aria-label": m.set + " in " + code + ": " + m.rg.phase +
            ", desired " + m.rg.desired + ", ready " + m.rg.ready +
            ", updated " + m.rg.updated,
          data: {set: m.set, region: code, phase: m.rg.phase,
                 desired: m.rg.desired, ready: m.rg.ready,
                 updated: m.rg.updated, current: m.rg.current}
        });
        c.addEventListener("mouseenter", function () { showTip(c, m); });
        c.addEventListener("focus", function () { showTip(c, m); });
        c.addEventListener("mouseleave", hideTip);
        c.addEventListener("blur", hideTip);
        c.addEventListener("click", function () { goToRow(m.set, code); });
        g.appendChild(c);
      });
    });
  }

  function showTip(node, m) {
    var tip = $("tip"), wrap = tip.parentNode, rg = m.rg;
    var b = node.getBoundingClientRect(), w = wrap.getBoundingClientRect();
    while (tip.firstChild) tip.removeChild(tip.firstChild);
    addKids(tip, [
      el("div", {className: "t-head"}, [m.set + " \u00b7 " + rg.region,
        rg.primary ? el("span", {className: "tag"}, "primary") : null]),
      el("div", null, regionLabel(rg.region)),
      el("div", null, [swatch(rg.phase), " " + rg.phase +
                       (rg.reason ? " (" + rg.reason + ")" : "")]),
      el("div", {className: "t-counts"}, [
        el("span", null, ["desired ", el("b", null, String(rg.desired))]),
        el("span", null, ["ready ", el("b", null, String(rg.ready))]),
        el("span", null, ["updated ", el("b", null, String(rg.updated))])
      ]),
      rg.message ? el("div", null, rg.message) : null
    ]);
    tip.hidden = false;
    var x = b.left - w.left + b.width / 2 + 10;
    if (x + tip.offsetWidth > w.width)
      x = b.left - w.left - tip.offsetWidth - 10;
    tip.style.left = Math.max(0, x) + "px";
    tip.style.top = Math.max(0, b.top - w.top - 8) + "px";
    node.classList.add("hl");
  }

  function hideTip() {
    var tip = $("tip");
    tip.hidden = true;
    Array.prototype.forEach.call(document.querySelectorAll(".marker.hl"),
      function (n) { n.classList.remove("hl"); });
  }

  function goToRow(set, code) {
    var card = st.cards[set], row;
    if (!card) return;
    card.node.scrollIntoView({behavior: "smooth", block: "center"});
    row = card.node.querySelector('tr[data-region="' + code + '"]');
    card.node.classList.add("flash");
    if (row) row.classList.add("hl");
    setTimeout(function () {
      card.node.classList.remove("flash");
      if (row) row.classList.remove("hl");
    }, 1600);
  }

  /* --- one card per RegionSet -------------------------------------- */

  function condGood(c) {
    var t = c.status === "True";
    if (c.type === "Ready" || c.type === "SpecValid")
      return t ? "good" : "bad";
    if (c.type === "Progressing") return "";
    return t ? "bad" : "good";
  }

  function renderConditions(conds) {
    return el("div", {className: "conds"}, (conds || []).map(function (c) {
      var tip = c.reason + (c.message ? ": " + c.message : "") +
                " (since " + fmtTime(c.lastTransitionTime) + ")";
      return el("span", {className: "cond " + condGood(c), title: tip,
                         data: {type: c.type, status: c.status}},
                [el("b", null, c.type), " " + c.status +
                 (c.reason ? " \u00b7 " + c.reason : "")]);
    }));
  }

  function renderRegions(regions) {
    var head = el("tr", null, ["Region", "Phase", "Desired", "Current",
                               "Ready", "Updated", "Reason"].map(
      function (h, i) {
        return el("th", {className: i >= 2 && i <= 5 ? "num" : ""}, h);
      }));
    var rows = regions.map(function (rg) {
      var pct = rg.desired > 0 ? Math.min(100, 100 * rg.ready / rg.desired) :
                (rg.current === 0 ? 100 : 0);
      return el("tr", {data: {region: rg.region, phase: rg.phase}}, [
        el("td", {className: "c-region"}, [
          el("span", {className: "rcode"}, rg.region),
          el("span", {className: "rcity"},
             st.byCode[rg.region] ? st.byCode[rg.region].city : ""),
          rg.primary ? el("span", {className: "tag"}, "primary") : null]),
        el("td", {className: "c-phase"}, el("span", {className: "phase-cell"},
           [swatch(rg.phase), rg.phase])),
        el("td", {className: "num c-desired"}, String(rg.desired)),
        el("td", {className: "num c-current"}, String(rg.current)),
        el("td", {className: "num c-ready"}, [String(rg.ready),
           el("div", {className: "bar"},
              el("i", {style: "width:" + pct.toFixed(0) + "%;background:" +
                       phaseColor(rg.phase)}))]),
        el("td", {className: "num c-updated"}, String(rg.updated)),
        el("td", {className: "reason c-reason"}, [rg.reason || "",
           rg.message ? el("span", {className: "msg"}, rg.message) : null])
      ]);
    });
    if (!rows.length)
      rows = [el("tr", null, el("td", {colspan: 7, className: "reason"},
                                "no regions observed yet"))];
    return el("table", {className: "regions"},
              [el("thead", null, head), el("tbody", null, rows)]);
  }

  function renderEvents(name, events) {
    var list = (events || []).slice().reverse().slice(0, 10);
    var d = el("details", {className: "events"}, [
      el("summary", null, "Recent events (" + (events || []).length + ")"),
      el("ol", null, list.map(function (ev) {
        return el("li", {data: {reason: ev.reason}}, [
          el("time", {datetime: ev.time, title: ev.time}, fmtTime(ev.time)),
          el("span", {className: "ev-region"}, ev.region || "\u2014"),
          el("span", {className: "ev-reason"}, ev.reason),
          el("span", {className: "ev-msg"}, ev.message)]);
      }))]);
    d.open = !st.closedEvents[name];
    d.addEventListener("toggle", function () {
      st.closedEvents[name] = !d.open;
    });
    return d;
  }

  function renderCard(it) {
    var name = it.metadata.name, s = it.status || {}, spec = it.spec;
    var sub = [];
    if (spec) {
      sub.push(el("span", null, ["app ", el("b", null, spec.app)]));
      sub.push(el("span", {className: "mono"}, spec.image));
    }
    sub.push(el("span", null, "generation " + it.metadata.generation +
                (s.observedGeneration !== it.metadata.generation ?
                 " (observed " + s.observedGeneration + ")" : "")));
    if (s.sourceFile) sub.push(el("span", {className: "mono"}, s.sourceFile));
    if (s.unmanagedMachines)
      sub.push(el("span", null, s.unmanagedMachines + " unmanaged machines"));
    return el("section", {className: "card set", data: {set: name,
                                                         phase: s.phase}}, [
      el("div", {className: "set-head"}, [el("h3", null, name),
                                          badge(s.phase)]),
      el("div", {className: "set-sub"}, sub),
      s.lastError ? el("div", {className: "error-line"}, s.lastError) : null,
      renderConditions(s.conditions),
      renderRegions(s.regions || []),
      renderEvents(name, s.events)
    ]);
  }

  function renderCards(items) {
    var box = $("sets"), seen = {};
    items.forEach(function (it) {
      var name = it.metadata.name, json = JSON.stringify(it);
      var c = st.cards[name];
      seen[name] = true;
      if (!c || c.json !== json) {
        var node = renderCard(it);
        if (c) box.replaceChild(node, c.node);
        st.cards[name] = c = {json: json, node: node};
      }
      box.appendChild(c.node);      /* keeps the /status order */
    });
    Object.keys(st.cards).forEach(function (name) {
      if (!seen[name]) {
        box.removeChild(st.cards[name].node);
        delete st.cards[name];
      }
    });
    var empty = box.querySelector(".empty");
    if (!items.length && !empty)
      box.appendChild(el("div", {className: "card empty"},
                         "No RegionSets loaded yet."));
    else if (items.length && empty)
      box.removeChild(empty);
  }

  /* --- header and totals ------------------------------------------- */

  function renderHeader(md) {
    var src = $("source");
    while (src.firstChild) src.removeChild(src.firstChild);
    addKids(src, [
      el("span", {className: "kind"}, md.sourceKind || "yaml"),
      el("span", null, ["source ", el("b", {className: "mono"}, md.source)]),
      md.revision ? el("span", null, ["revision ", el("b",
        {className: "mono", title: md.revision}, md.revision.slice(0, 12))]) :
        null,
      md.lastLoadTime ? el("span", null, ["loaded ",
        el("b", null, fmtTime(md.lastLoadTime))]) : null
    ]);
    var ban = $("banner"), msg = "";
    if (md.sourceFailed)
      msg = "The latest load failed; the last good state stays in force: ";
    if (md.lastLoadError) msg += md.lastLoadError;
    ban.textContent = msg;
    ban.hidden = !msg;
  }

  function renderTotals(items) {
    var n = {}, desired = 0, ready = 0;
    items.forEach(function (it) {
      var p = (it.status && it.status.phase) || "Unknown";
      n[p] = (n[p] || 0) + 1;
      ((it.status && it.status.regions) || []).forEach(function (rg) {
        desired += rg.desired;
        ready += rg.ready;
      });
    });
    var t = $("totals");
    while (t.firstChild) t.removeChild(t.firstChild);
    addKids(t, [el("b", null, String(items.length)),
                items.length === 1 ? " RegionSet" : " RegionSets",
                " \u00b7 ", el("b", null, ready + "/" + desired),
                " machines ready"]);
    Object.keys(n).sort().forEach(function (p) {
      addKids(t, [" \u00b7 ", el("span", {data: {phase: p}},
                                 [n[p] + " " + p])]);
    });
  }

  function setLive(ok, text) {
    $("live").setAttribute("data-state", ok ? "ok" : "error");
    $("live-text").textContent = text;
  }

  function render(list) {
    var items = list.items || [], md = list.metadata || {};
    st.list = list;
    st.polls++;
    if (st.mode !== (md.sourceKind || "yaml")) {
      st.mode = md.sourceKind || "yaml";
      document.body.setAttribute("data-mode", st.mode);
      st.sel = null;              /* the selector starts over */
    }
    renderHeader(md);
    renderTotals(items);
    drawMarkers(items);
    renderCards(items);
    selectorSync(items);
    setLive(true, "live \u00b7 " + fmtTime(new Date().toISOString()));
  }

  function poll() {
    fetch("/status", {cache: "no-store"}).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(render).catch(function (e) {
      setLive(false, "controller unreachable, retrying (" + e.message + ")");
    }).then(function () {
      setTimeout(poll, POLL_MS);
    });
  }

  /* --- the region selector ----------------------------------------- */

  function findItem(name) {
    var items = (st.list && st.list.items) || [];
    for (var i = 0; i < items.length; i++)
      if (items[i].metadata.name === name) return items[i];
    return null;
  }

  /* The base select lists the sets; YAML mode can also start afresh
   * (the region API changes apps that exist, so DB mode cannot). */
  function selectorSync(items) {
    var base = $("sel-base"), want = [], have = [], keep = base.value;
    if (st.mode !== "postgres") want.push(["", "New RegionSet"]);
    items.forEach(function (it) {
      if (it.spec) want.push([it.metadata.name, it.metadata.name +
                              (st.mode === "postgres" ? " (app " +
                               it.spec.app + ")" : "")]);
    });
    Array.prototype.forEach.call(base.options, function (o) {
      have.push([o.value, o.textContent]);
    });
    if (JSON.stringify(have) !== JSON.stringify(want)) {
      while (base.firstChild) base.removeChild(base.firstChild);
      want.forEach(function (w) {
        base.appendChild(el("option", {value: w[0]}, w[1]));
      });
      if (want.some(function (w) { return w[0] === keep; }))
        base.value = keep;
    }
    if (st.sel === null) {
      /* The first set, or a new one when there is none. */
      var first = want[st.mode === "postgres" ? 0 : 1];
      first = first ? first[0] : "";
      base.value = first;
      selectorLoad(first);
    }
    $("sel-mode").textContent = st.mode === "postgres" ? "database" : "yaml";
    $("sel-help").textContent = st.mode === "postgres" ?
      "Choose an app's regions and save them through the region API " +
      "(POST /apps/{id}/regions) with the app's platform id and an admin " +
      "or owner token; both stay in this page. The controller rolls the " +
      "change out when it reads the database." :
      "Choose regions and copy the RegionSet YAML to commit to the " +
      "source repository. Nothing is written from this page.";
    $("sel-base-label").textContent = st.mode === "postgres" ? "App" :
                                      "Start from";
    $("sel-save").disabled = !base.value;
  }

  function selectorLoad(name) {
    var it = name ? findItem(name) : null, spec = it && it.spec;
    var first = st.catalog.length ? st.catalog[0].code : "iad";
    st.sel = {
      base: spec ? name : "",
      name: spec ? name : "my-app",
      app: spec ? spec.app : "my-app",
      image: spec ? spec.image : "registry.fly.io/my-app:v1",
      primary: spec ? spec.primaryRegion : first,
      extra: spec ? spec.regions.map(function (r) { return r.code; }) : []
    };
    $("sel-name").value = st.sel.name;
    $("sel-app").value = st.sel.app;
    $("sel-image").value = st.sel.image;
    $("sel-primary").value = st.sel.primary;
    $("sel-save-status").textContent = "";
    $("sel-copy-status").textContent = "";
    selectorRefresh();
  }

  function buildSelector() {
    var prim = $("sel-primary"), box = $("sel-continents");
    st.continents.forEach(function (ct) {
      prim.appendChild(el("optgroup", {label: ct.name + " (" +
                                       ct.regions.length + ")"},
        ct.regions.map(function (r) {
          return el("option", {value: r.code},
                    r.city + ", " + r.country + " (" + r.code + ")");
        })));
      box.appendChild(el("fieldset", {className: "continent",
                                      data: {continent: ct.name}}, [
        el("legend", null, [ct.name, el("em", {className: "ct-count"})]),
        el("div", {className: "opts"}, ct.regions.map(function (r) {
          var cb = el("input", {type: "checkbox", value: r.code,
                                data: {code: r.code}});
          cb.addEventListener("change", function () {
            if (!st.sel) return;
            var i = st.sel.extra.indexOf(r.code);
            if (cb.checked && i < 0) st.sel.extra.push(r.code);
            if (!cb.checked && i >= 0) st.sel.extra.splice(i, 1);
            selectorRefresh();
          });
          return el("label", {className: "opt", title: r.name + " \u00b7 " +
                              r.city + ", " + r.country},
                    [cb, r.city, el("span", {className: "code"}, r.code)]);
        }))]));
    });
    prim.addEventListener("change", function () {
      if (!st.sel) return;
      st.sel.primary = prim.value;
      var i = st.sel.extra.indexOf(prim.value);
      if (i >= 0) st.sel.extra.splice(i, 1);
      selectorRefresh();
    });
    $("sel-base").addEventListener("change", function () {
      selectorLoad($("sel-base").value);
    });
    ["name", "app", "image"].forEach(function (f) {
      $("sel-" + f).addEventListener("input", function () {
        if (!st.sel) return;
        st.sel[f] = $("sel-" + f).value.trim();
        selectorRefresh();
      });
    });
    $("sel-reset").addEventListener("click", function () {
      selectorLoad($("sel-base").value);
    });
    $("sel-reset-db").addEventListener("click", function () {
      selectorLoad($("sel-base").value);
    });
    $("sel-copy").addEventListener("click", copyYaml);
    $("sel-save").addEventListener("click", saveRegions);
  }

  function selectorRefresh() {
    if (!st.sel) return;
    var s = st.sel, all = [s.primary].concat(s.extra);
    Array.prototype.forEach.call(
      document.querySelectorAll("#sel-continents input"), function (cb) {
        var code = cb.value;
        cb.checked = s.extra.indexOf(code) >= 0;
        cb.disabled = code === s.primary;
        cb.parentNode.classList.toggle("is-primary", code === s.primary);
      });
    st.continents.forEach(function (ct) {
      var n = ct.regions.filter(function (r) {
        return all.indexOf(r.code) >= 0;
      }).length;
      var fs = document.querySelector('fieldset[data-continent="' +
                                      ct.name + '"] .ct-count');
      fs.textContent = n + " / " + ct.regions.length;
      fs.parentNode.parentNode.setAttribute("data-selected", n);
    });
    $("sel-count").textContent = s.extra.length + " selected";
    $("sel-summary").textContent = all.length + (all.length === 1 ?
      " region: " : " regions: ") + s.primary + " (primary)" +
      (s.extra.length ? ", " + s.extra.join(", ") : "");
    $("sel-yaml").textContent = regionSetYaml();
    drawChosen(all);
  }

  function drawChosen(codes) {
    var g = $("chosen");
    while (g.firstChild) g.removeChild(g.firstChild);
    codes.forEach(function (code, i) {
      var r = st.byCode[code];
      if (!r) return;
      g.appendChild(svg("circle", {cx: px(r.longitude), cy: py(r.latitude),
                                   r: 4, className: i ? "chosen" :
                                   "chosen primary", data: {region: code}}));
    });
  }

  /* --- YAML -------------------------------------------------------- */

  var YAML_WORDS = /^(true|false|yes|no|on|off|y|n|null|~)$/i;

  function yScalar(v) {
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    if (v === null || v === undefined) return "null";
    var s = String(v);
    if (/^[A-Za-z_\/][A-Za-z0-9_.\/:@+%-]*$/.test(s) && !YAML_WORDS.test(s))
      return s;
    if (/^[0-9]+(s|m|h|%)$/.test(s)) return s;     /* 300s, 25% */
    return JSON.stringify(s);    /* a JSON string is a YAML one too */
  }

  function isScalar(v) { return v === null || typeof v !== "object"; }

  /* Block style, two spaces; lists of scalars in flow style. */
  function yEmit(v, ind, out) {
    var pad = new Array(ind + 1).join(" ");
    Object.keys(v).forEach(function (k) {
      var x = v[k], key = pad + yScalar(k) + ":";
      if (isScalar(x)) out.push(key + " " + yScalar(x));
      else if (Array.isArray(x) && x.every(isScalar))
        out.push(key + " [" + x.map(yScalar).join(", ") + "]");
      else if (Array.isArray(x)) {
        out.push(key);
        x.forEach(function (item) {
          var sub = [];
          if (isScalar(item)) {
            out.push(pad + "  - " + yScalar(item));
            return;
          }
          yEmit(item, ind + 4, sub);
          if (!sub.length) { out.push(pad + "  - {}"); return; }
          sub[0] = pad + "  - " + sub[0].slice(ind + 4);
          Array.prototype.push.apply(out, sub);
        });
      } else if (!Object.keys(x).length) out.push(key + " {}");
      else {
        out.push(key);
        yEmit(x, ind + 2, out);
      }
    });
  }

  /* The spec in force as /status shows it (every default filled in),
   * with the selector's regions; fields that only mean something for
   * HTTP checks are left out of the others. */
  function regionSetYaml() {
    var s = st.sel, it = s.base ? findItem(s.base) : null;
    var spec = it && it.spec, counts = {}, out = [], k;
    var doc = {app: s.app, image: s.image, primaryRegion: s.primary};
    if (spec) {
      spec.regions.forEach(function (r) { counts[r.code] = r.count; });
      if (spec.primaryCount !== 1) doc.primaryCount = spec.primaryCount;
    }
    if (s.extra.length)
      doc.regions = s.extra.map(function (code) {
        return counts[code] > 1 ? {code: code, count: counts[code]} : code;
      });
    if (spec) {
      for (k in spec) {
        if (k in doc || k === "regions" || k === "primaryCount" ||
            k === "primaryRegion") continue;
        doc[k] = spec[k];
      }
      if (doc.checks) doc.checks = cleanChecks(doc.checks);
    }
    if (spec) {
      out.push("# RegionSet " + s.base + " from the spec in force " +
               "(defaults filled in),");
      out.push("# with the regions chosen on the dashboard. Commit it " +
               "in place of its document" +
               (it.status && it.status.sourceFile ?
                " in " + it.status.sourceFile + "." : "."));
    } else {
      out.push("# A new RegionSet: commit it to the source folder; " +
               "unset fields take their defaults.");
    }
    out.push("apiVersion: rhone.dev/v1", "kind: RegionSet", "metadata:",
             "  name: " + yScalar(s.name), "spec:");
    yEmit(doc, 2, out);
    return out.join("\n") + "\n";
  }

  function cleanChecks(checks) {
    var res = {};
    Object.keys(checks).forEach(function (name) {
      var c = {}, src = checks[name];
      Object.keys(src).forEach(function (f) {
        if (src.type !== "http" && (f === "path" || f === "method")) return;
        c[f] = src[f];
      });
      res[name] = c;
    });
    return res;
  }

  function copyYaml() {
    var text = $("sel-yaml").textContent, out = $("sel-copy-status");
    function done(ok) {
      out.className = "status-text " + (ok ? "ok" : "");
      out.textContent = ok ? "Copied to the clipboard." :
                        "Selected: press Ctrl+C to copy.";
      if (!ok) {
        var range = document.createRange();
        range.selectNodeContents($("sel-yaml"));
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
      }
    }
    function fallback() {
      var ta = el("textarea", {readonly: "",
                               style: "position:fixed;top:0;opacity:0"});
      var ok = false;
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(ta);
      done(ok);
    }
    if (navigator.clipboard && window.isSecureContext)
      navigator.clipboard.writeText(text).then(function () { done(true); },
                                               fallback);
    else
      fallback();
  }

  /* --- saving through the region API (Postgres source) ------------- */

  var UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  function apiCall(method, id, token, body) {
    var init = {method: method, cache: "no-store", credentials: "omit",
                headers: {"Authorization": "Bearer " + token}};
    if (body) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch("/apps/" + encodeURIComponent(id) + "/regions", init)
      .then(function (r) {
        return r.text().then(function (t) {
          var j = null;
          try { j = JSON.parse(t); } catch (e) { j = null; }
          return {status: r.status, ok: r.ok, json: j,
                  error: (j && j.error) || t.trim() || r.statusText};
        });
      });
  }

  /* The API names apps by their platform id: read the app first and
   * save only when that id is the chosen app's. */
  function saveRegions() {
    var s = st.sel, out = $("sel-save-status"), btn = $("sel-save");
    var token = $("sel-token").value.trim(), it = findItem(s.base);
    var id = $("sel-appid").value.trim().toLowerCase();
    function say(cls, text) {
      out.className = "status-text " + cls;
      out.textContent = text;
    }
    if (!it || !it.spec) return say("err", "Choose an app first.");
    if (!UUID.test(id))
      return say("err", "Enter the app's platform id (apps.id, a UUID).");
    if (!token) return say("err", "Enter an API token first.");
    var app = it.spec.app;
    var want = {primary_region: s.primary,
                additional_regions: s.extra.slice()};
    btn.disabled = true;
    say("", "Saving\u2026");
    apiCall("GET", id, token).then(function (got) {
      if (!got.ok)
        return say("err", "Not saved (HTTP " + got.status + "): " + got.error);
      if (!got.json || got.json.fly_app_id !== app)
        return say("err", "Not saved: " + id + " is the app " +
                   ((got.json && got.json.fly_app_id) || "?") + ", not " +
                   app + ".");
      return apiCall("POST", id, token, want).then(function (r) {
        if (!r.ok)
          return say("err", "Not saved (HTTP " + r.status + "): " + r.error);
        var j = r.json || {};
        say("ok", "Saved: " + app + " runs in " +
            [j.primary_region || s.primary].concat(
              j.additional_regions || s.extra).join(", ") +
            ". The controller rolls it out when it reads the database.");
      });
    }).catch(function (e) {
      say("err", "Could not reach the controller: " + e.message);
    }).then(function () {
      btn.disabled = false;
    });
  }

  /* --- start ------------------------------------------------------- */

  function start(cat) {
    var seen = {};
    st.catalog = cat.regions || [];
    st.catalog.forEach(function (r) {
      st.byCode[r.code] = r;
      if (!seen[r.continent]) {
        seen[r.continent] = {name: r.continent, regions: []};
        st.continents.push(seen[r.continent]);
      }
      seen[r.continent].regions.push(r);
    });
    drawCatalog();
    buildSelector();
    poll();
  }

  function loadCatalog() {
    fetch("/catalog.json", {cache: "no-store"}).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(start).catch(function (e) {
      setLive(false, "no region catalog, retrying (" + e.message + ")");
      setTimeout(loadCatalog, POLL_MS);
    });
  }

  drawBase();
  drawLegend();
  loadCatalog();
})();
