// Review page: confirm/reject decisions, kept in the browser's storage (per flight and
// candidate, restored on reload) and downloaded as the flight's decisions file
// (qly-decisions-2, read by `review export`).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("flight-data").textContent);
  // Storage keys name the flight (its id; the journal's hash for journals without a header)
  // so that two flights' pages, which share the file:// origin, never mix their decisions.
  var flightKey = data.flight_id || data.journal_sha256 || data.flight;
  var prefix = "qly-decision/" + flightKey + "/";
  var savedKey = "qly-decisions-saved/" + flightKey;
  var inspectorKey = "qly-inspector";
  var decisions = {}; // candidate id -> {decision, decided_utc, inspector, revision}

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

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
      .map(function (c) {
        var d = decisions[c.id];
        return {
          candidate_id: c.id,
          revision: d.revision === undefined ? c.revision : d.revision,
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

  function show() {
    document.getElementById("decisions-json").textContent = exportText();
    data.candidates.forEach(function (c) {
      var d = decisions[c.id];
      var el = document.getElementById("status-" + c.id);
      var card = document.getElementById("cand-" + c.id);
      el.textContent = data.text[d ? d.decision : "undecided"];
      card.classList.remove("undecided", "confirmed", "rejected");
      card.classList.add(d ? d.decision : "undecided");
    });
    var shown = data.candidates.filter(function (c) { return c.confirmed; });
    var n = shown.filter(function (c) { return decisions[c.id]; }).length;
    document.getElementById("decided-count").textContent =
      data.text.decided_of.replace("{n}", n).replace("{m}", shown.length);
    document.getElementById("unsaved").textContent = unsaved()
      ? data.text.not_downloaded : "";
  }

  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-decision]");
    if (!b) { return; }
    var id = Number(b.getAttribute("data-id"));
    var c = data.candidates.filter(function (x) { return x.id === id; })[0];
    decisions[id] = {
      decision: b.getAttribute("data-decision"),
      decided_utc: new Date().toISOString(),
      inspector: inspector(),
      revision: c ? c.revision : undefined
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

  var sw = document.getElementById("show-unconfirmed");
  if (sw) {
    sw.addEventListener("change", function () {
      document.body.classList.toggle("show-unconfirmed", sw.checked);
    });
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

  // For tools and tests that read the page state: the JSON that "download" saves.
  window.qlyDecisions = function () { return JSON.stringify(exportObject()); };
  window.qlyUnsaved = unsaved;
  load();
  show();
})();
