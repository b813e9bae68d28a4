// Review page: the map (Leaflet), the candidate cards (built from the page's JSON as they
// scroll into view), the filters, and the confirm/reject decisions, kept in the browser's
// storage (per flight and candidate, restored on reload) and downloaded as the flight's
// decisions file (qly-decisions-2, read by `review export`).
(function () {
  "use strict";
  var t0 = performance.now();
  var data = JSON.parse(document.getElementById("flight-data").textContent);
  var T = data.labels;
  // A detector class in the page's language; a class the catalogue does not know keeps its name.
  function clsLabel(k) { return (data.class_labels || {})[k] || k; }
  var byId = {};
  data.candidates.forEach(function (c) { byId[c.id] = c; });
  // Storage keys name the flight (its id; the journal's hash for journals without a header)
  // so that two flights' pages, which share the file:// origin, never mix their decisions.
  var flightKey = data.flight_id || data.journal_sha256 || data.flight;
  var prefix = "qly-decision/" + flightKey + "/";
  var savedKey = "qly-decisions-saved/" + flightKey;
  var inspectorKey = "qly-inspector";
  var decisions = {}; // candidate id -> {decision, decided_utc, inspector, revision}

  function fmt(s, args) {
    return s.replace(/\{(\w+)\}/g, function (m, k) { return args[k] === undefined ? m : args[k]; });
  }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { e.textContent = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  // ---- Cards: one empty section per candidate; its content is built when it comes near the
  // viewport (or when its marker is clicked), so a thousand candidates cost a thousand empty
  // boxes, and each card's thumbnails load only then.
  var cardsBox = document.getElementById("cards");
  data.candidates.forEach(function (c) {
    var s = el("section", { "class": "cand undecided" + (c.ok ? "" : " unconfirmed"), id: "cand-" + c.id, "data-uid": c.uid || "" });
    s.qlyId = c.id;
    cardsBox.appendChild(s);
  });

  function row(th, td, cls) {
    var d = el("td", cls ? { "class": cls } : {});
    (Array.isArray(td) ? td : [td]).forEach(function (x) {
      d.appendChild(typeof x === "string" ? document.createTextNode(x) : x);
    });
    return el("tr", {}, [el("th", { text: th }), d]);
  }
  function placeholder(text) { return el("div", { "class": "placeholder", text: text }); }

  function fill(id) {
    var s = document.getElementById("cand-" + id);
    if (!s || s.classList.contains("filled")) { return; }
    var c = byId[id];
    var h = el("h3", {}, [fmt(T.candidate, { id: c.id }) + " ", el("span", { "class": "cls", text: clsLabel(c.cls) }), " ",
      el("span", { "class": "status", id: "status-" + c.id, text: T.undecided })]);
    if (!c.ok) {
      h.appendChild(document.createTextNode(" "));
      h.appendChild(el("span", { "class": "unconf-badge", text: fmt(T.unconfirmed_badge, { seen: c.n, needed: data.min_sightings }) }));
    }
    var crop = c.crop ? el("img", { "class": "crop", alt: fmt(T.crop_alt, { id: c.id }), src: c.crop }) : placeholder(c.missing || "");
    var frame = c.frame ? el("img", { "class": "frame", alt: fmt(T.frame_alt, { file: c.file }), src: c.frame }) : placeholder(c.missing || "");
    var imgs = el("div", { "class": "imgs" }, [
      el("figure", {}, [crop, el("figcaption", { text: T.crop })]),
      el("figure", {}, [frame, el("figcaption", { text: c.file })])]);
    var e = c.e.map(function (v) { return v === null ? "?" : v.toFixed(1); });
    var rows = [
      row(T.class, clsLabel(c.cls)),
      row(T.confidence, fmt(T.confidence_value, { max: c.cmax.toFixed(2), mean: c.cmean.toFixed(2) })),
      row(T.best_time, [c.t + " " + T.utc, el("br"), c.tc + " " + T.cst]),
      row(T.seen, fmt(T.seen_value, { first: c.t0, last: c.t1 })),
      row(T.wgs84, c.lat.toFixed(7) + ", " + c.lon.toFixed(7), "wgs84"),
      row(T.gcj02, c.glat.toFixed(7) + ", " + c.glon.toFixed(7), "gcj02"),
      row(T.position, c.att),
      row(T.sightings, String(c.n)),
      row(T.predicted_error, fmt(T.error_text, { ce90: e[0], cep50: e[1], major: e[2], minor: e[3], bearing: Math.round(c.e[4]) })),
      row(T.camera, fmt(T.camera_text, { height: c.hag === null ? T.unknown : fmt(T.metres, { m: c.hag.toFixed(1) }), slant: c.slant.toFixed(1) })),
      row(T.revision, String(c.rev))];
    if (c.uid) { rows.push(row(T.uid, c.uid, "uid")); }
    var buttons = el("p", {}, [
      el("button", { type: "button", "class": "confirm", "data-id": c.id, "data-decision": "confirmed", text: T.confirm }), " ",
      el("button", { type: "button", "class": "reject", "data-id": c.id, "data-decision": "rejected", text: T.reject })]);
    s.appendChild(h);
    s.appendChild(imgs);
    s.appendChild(el("table", {}, rows));
    s.appendChild(buttons);
    s.classList.add("filled");
    paintCard(c);
  }

  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (en) {
      if (en.isIntersecting) { fill(en.target.qlyId); observer.unobserve(en.target); }
    });
  }, { rootMargin: "800px 0px" }) : null;

  // ---- Decisions.
  function load() {
    var s = storage();
    if (!s) { return; }
    data.candidates.forEach(function (c) {
      var v = s.getItem(prefix + c.id);
      if (!v) { return; }
      try { decisions[c.id] = JSON.parse(v); } catch (e) { s.removeItem(prefix + c.id); }
    });
    var who = s.getItem(inspectorKey);
    if (who) { document.getElementById("inspector").value = who; }
  }

  function inspector() {
    var v = document.getElementById("inspector").value.trim();
    return v === "" ? null : v;
  }

  function exportObject() {
    var who = inspector();
    var list = data.candidates
      .filter(function (c) { return decisions[c.id]; })
      .sort(function (a, b) { return a.id - b.id; })
      .map(function (c) {
        var d = decisions[c.id];
        return {
          candidate_id: c.id,
          revision: d.revision === undefined ? c.rev : d.revision,
          decision: d.decision,
          decided_utc: d.decided_utc,
          inspector: d.inspector || who
        };
      });
    var out = {
      format: "qly-decisions-2",
      flight: data.flight,
      journal_sha256: data.journal_sha256,
      decisions: list
    };
    if (data.flight_id) { out.flight_id = data.flight_id; }
    return out;
  }

  function exportText() { return JSON.stringify(exportObject(), null, 2) + "\n"; }

  function unsaved() {
    var s = storage();
    var saved = s ? s.getItem(savedKey) : null;
    var any = Object.keys(decisions).length > 0;
    return any && saved !== exportText();
  }

  function decisionOf(c) { return decisions[c.id] ? decisions[c.id].decision : "undecided"; }

  function paintCard(c) {
    var card = document.getElementById("cand-" + c.id);
    var d = decisionOf(c);
    card.classList.remove("undecided", "confirmed", "rejected");
    card.classList.add(d);
    var st = document.getElementById("status-" + c.id);
    if (st) { st.textContent = T[d]; }
  }

  function show() {
    document.getElementById("decisions-json").textContent = exportText();
    data.candidates.forEach(paintCard);
    var shown = data.candidates.filter(function (c) { return c.ok; });
    var n = shown.filter(function (c) { return decisions[c.id]; }).length;
    document.getElementById("decided-count").textContent = fmt(T.decided_count, { decided: n, shown: shown.length });
    document.getElementById("unsaved").textContent = unsaved() ? T.not_downloaded : "";
    applyFilters();
  }

  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-decision]");
    if (!b) { return; }
    var id = Number(b.getAttribute("data-id"));
    var c = byId[id];
    decisions[id] = {
      decision: b.getAttribute("data-decision"),
      decided_utc: new Date().toISOString(),
      inspector: inspector(),
      revision: c ? c.rev : undefined
    };
    var s = storage();
    if (s) { s.setItem(prefix + id, JSON.stringify(decisions[id])); }
    show();
  });

  document.getElementById("inspector").addEventListener("input", function () {
    var s = storage();
    var who = inspector();
    if (s) {
      if (who) { s.setItem(inspectorKey, who); } else { s.removeItem(inspectorKey); }
    }
    show();
  });

  // ---- Filters: class, decision, least confidence (the candidate's best), and the switch for
  // unconfirmed sightings. A candidate filtered out leaves both the map and the list.
  var classBox = document.getElementById("filter-class");
  var classes = [];
  data.candidates.forEach(function (c) { if (classes.indexOf(c.cls) < 0) { classes.push(c.cls); } });
  classes.sort().forEach(function (k) {
    var i = el("input", { type: "checkbox", value: k });
    i.checked = true;
    classBox.appendChild(el("label", {}, [i, " " + clsLabel(k)]));
  });
  var confInput = document.getElementById("filter-confidence");
  var sw = document.getElementById("show-unconfirmed");

  function checkedValues(box) {
    return Array.prototype.filter.call(box.querySelectorAll("input"), function (i) { return i.checked; })
      .map(function (i) { return i.value; });
  }

  function passes(c, f) {
    return (c.ok || f.unconfirmed) && f.classes.indexOf(c.cls) >= 0 &&
      f.decisions.indexOf(decisionOf(c)) >= 0 && c.cmax >= f.confidence;
  }

  function currentFilter() {
    return {
      classes: checkedValues(classBox),
      decisions: checkedValues(document.getElementById("filter-decision")),
      confidence: Number(confInput.value),
      unconfirmed: !!(sw && sw.checked)
    };
  }

  function applyFilters() {
    var f = currentFilter();
    document.body.classList.toggle("show-unconfirmed", f.unconfirmed);
    document.getElementById("filter-confidence-value").textContent = f.confidence.toFixed(2);
    var n = 0;
    data.candidates.forEach(function (c) {
      var ok = passes(c, f);
      if (ok) { n += 1; }
      document.getElementById("cand-" + c.id).classList.toggle("filtered", !ok);
      c.visible = ok;
    });
    document.getElementById("shown-count").textContent = fmt(T.shown_count, { n: n, total: data.candidates.length });
    if (mapApi) { mapApi.refresh(); }
  }

  document.getElementById("filters").addEventListener("change", applyFilters);
  confInput.addEventListener("input", applyFilters);
  if (sw) { sw.addEventListener("change", applyFilters); }

  // ---- Map.
  var mapApi = null;
  function selectCard(id) {
    var c = byId[id];
    if (!c) { return; }
    fill(id);
    Array.prototype.forEach.call(document.querySelectorAll(".cand.selected"), function (x) { x.classList.remove("selected"); });
    var card = document.getElementById("cand-" + id);
    card.classList.add("selected");
    card.scrollIntoView({ block: "start" });
  }

  function buildMap() {
    if (typeof L === "undefined") {
      document.getElementById("map").textContent = T.map_missing;
      return null;
    }
    var m = data.map;
    var map = L.map("map", { preferCanvas: true, zoomSnap: 0.5, maxZoom: 22, attributionControl: false });
    L.control.scale({ imperial: false }).addTo(map);
    var overlays = {};
    var empty = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==";
    if (m.basemap) {
      var b = m.basemap;
      var base = L.tileLayer(b.dir + "/{z}/{x}/{y}." + b.ext, {
        minNativeZoom: b.minz, maxNativeZoom: b.maxz, maxZoom: 22, errorTileUrl: empty,
        bounds: m.bounds ? L.latLngBounds(m.bounds).pad(0.5) : undefined
      }).addTo(map);
      overlays[T.basemap_layer + (b.name ? ": " + b.name : "")] = base;
      if (b.attribution) { L.control.attribution({ prefix: false }).addAttribution(b.attribution).addTo(map); }
    }
    if (m.photo_tiles) {
      var p = m.photo_tiles;
      // Only the tiles that exist are asked for (the index), each as JPEG or PNG.
      var Photos = L.GridLayer.extend({
        createTile: function (coords) {
          var key = coords.z + "/" + coords.x + "/" + coords.y;
          var kind = p.index[key];
          if (kind === undefined) { return document.createElement("div"); }
          var img = document.createElement("img");
          img.alt = "";
          img.src = p.dir + "/" + key + (kind ? ".png" : ".jpg");
          return img;
        }
      });
      overlays[T.photos_layer] = new Photos({ minNativeZoom: p.minz, maxNativeZoom: p.maxz, maxZoom: 22 }).addTo(map);
    }
    m.plan.forEach(function (s) {
      var style = s.kind === "lane" ? { color: "#6a8fd0", dashArray: "6 4" } :
        s.kind === "exclusion" ? { color: "#c03030", dashArray: "2 2" } : { color: "#8a8a8a", dashArray: "1 3" };
      style.weight = 2;
      L.polyline(s.pts, style).bindTooltip(T.plan + " " + s.kind).addTo(map);
    });
    L.polyline(m.track.pts, { color: "#202020", weight: 2 })
      .bindTooltip(m.track.from_photos ? T.track_from_photos : T.track).addTo(map);
    var photoDots = L.layerGroup(m.photos.map(function (q) {
      return L.circleMarker([q[0], q[1]], { radius: 3, color: "#202020", weight: 1, fillColor: "#fff", fillOpacity: 1 })
        .bindTooltip(T.photo + ": " + q[2]);
    })).addTo(map);
    var cands = L.layerGroup().addTo(map);
    overlays[T.candidates_layer] = cands;
    overlays[T.photo_points] = photoDots;
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    var markers = {};
    data.candidates.forEach(function (c) {
      var g = L.featureGroup();
      if (c.e[0] !== null) {
        L.circle([c.lat, c.lon], { radius: c.e[0], color: "#e04030", weight: 1, fillOpacity: 0.13, interactive: false }).addTo(g);
      }
      L.circleMarker([c.lat, c.lon], { radius: 6, color: "#fff", weight: 1.5, fillColor: "#e04030", fillOpacity: 1 })
        .bindTooltip(fmt(T.candidate, { id: c.id }) + ": " + clsLabel(c.cls) + " " + c.cmax.toFixed(2))
        .on("click", function () { selectCard(c.id); })
        .addTo(g);
      markers[c.id] = g;
    });
    if (m.bounds) { map.fitBounds(m.bounds, { padding: [20, 20] }); } else { map.setView([0, 0], 2); }

    // Labels that never overprint: after each move or zoom, candidates in view are labelled
    // greedily from the most confident down, and a label whose box would overlap one already
    // placed is left out (its marker stays, with its tooltip).
    var labelBox = el("div", { id: "labels" });
    map.getContainer().appendChild(labelBox);
    function declutter() {
      labelBox.textContent = "";
      var size = map.getSize();
      var placed = [];
      var list = data.candidates.filter(function (c) { return c.visible; })
        .sort(function (a, b) { return b.cmax - a.cmax || a.id - b.id; });
      var n = 0;
      for (var i = 0; i < list.length; i += 1) {
        var c = list[i];
        var pt = map.latLngToContainerPoint([c.lat, c.lon]);
        if (pt.x < 0 || pt.y < 0 || pt.x > size.x || pt.y > size.y) { continue; }
        var text = String(c.id);
        var w = 7 * text.length + 8;
        var r = { x0: pt.x + 7, y0: pt.y - 22, x1: pt.x + 7 + w, y1: pt.y - 6 };
        var clash = placed.some(function (q) { return r.x0 < q.x1 && q.x0 < r.x1 && r.y0 < q.y1 && q.y0 < r.y1; });
        if (clash) { continue; }
        placed.push(r);
        labelBox.appendChild(el("span", { "class": "qly-label", "data-id": c.id, style: "left:" + r.x0 + "px;top:" + r.y0 + "px", text: text }));
        n += 1;
      }
      labelBox.setAttribute("data-placed", n);
    }
    map.on("movestart zoomstart", function () { labelBox.style.display = "none"; });
    map.on("moveend zoomend", function () { labelBox.style.display = ""; declutter(); });
    return {
      map: map,
      refresh: function () {
        data.candidates.forEach(function (c) {
          var on = cands.hasLayer(markers[c.id]);
          if (c.visible && !on) { cands.addLayer(markers[c.id]); }
          if (!c.visible && on) { cands.removeLayer(markers[c.id]); }
        });
        declutter();
      },
      declutter: declutter,
      markers: markers
    };
  }

  document.getElementById("download").addEventListener("click", function () {
    var text = exportText();
    var blob = new Blob([text], { type: "application/json" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = data.decisions_file;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
    var s = storage();
    if (s) { s.setItem(savedKey, text); }
    show();
  });

  // Leaving (closing, reloading) with decisions not downloaded: the browser asks first.
  // They are kept in storage either way; the warning is for the file nobody has yet.
  window.addEventListener("beforeunload", function (ev) {
    if (unsaved()) {
      ev.preventDefault();
      ev.returnValue = "";
    }
  });

  // For tools and tests that read the page state: the JSON that "download" saves, the map,
  // and a card opened as a marker click opens it.
  window.qlyDecisions = function () { return JSON.stringify(exportObject()); };
  window.qlyUnsaved = unsaved;
  window.qlySelect = selectCard;
  load();
  mapApi = buildMap();
  window.qlyMap = mapApi;
  show();
  // The first cards now, so the page opens with content; the rest as they come into view.
  data.candidates.slice(0, 8).forEach(function (c) { fill(c.id); });
  Array.prototype.forEach.call(cardsBox.children, function (s) {
    if (observer) { observer.observe(s); } else { fill(s.qlyId); }
  });
  // Time from the script's start to the first frame painted with the map and cards, for the
  // page's benchmark.
  requestAnimationFrame(function () {
    setTimeout(function () { window.qlyRenderedMs = performance.now(); window.qlyScriptMs = performance.now() - t0; }, 0);
  });
})();
