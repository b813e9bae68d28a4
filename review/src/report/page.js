// Review page: confirm/reject decisions, kept in page state and exported as decisions.json.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("flight-data").textContent);
  var decisions = {}; // candidate id -> {decision, decided_utc}

  function exportObject() {
    var list = data.candidates
      .filter(function (c) { return decisions[c.id]; })
      .map(function (c) {
        return {
          candidate_id: c.id,
          revision: c.revision,
          decision: decisions[c.id].decision,
          decided_utc: decisions[c.id].decided_utc
        };
      });
    return {
      format: "qly-decisions-1",
      flight: data.flight,
      journal_sha256: data.journal_sha256,
      decisions: list
    };
  }

  function show() {
    var json = JSON.stringify(exportObject(), null, 2);
    document.getElementById("decisions-json").textContent = json;
    data.candidates.forEach(function (c) {
      var d = decisions[c.id];
      var el = document.getElementById("status-" + c.id);
      var card = document.getElementById("cand-" + c.id);
      el.textContent = d ? d.decision : "undecided";
      card.className = "cand " + (d ? d.decision : "undecided");
    });
    var n = Object.keys(decisions).length;
    document.getElementById("decided-count").textContent =
      n + " of " + data.candidates.length + " decided";
  }

  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-decision]");
    if (!b) { return; }
    var id = Number(b.getAttribute("data-id"));
    decisions[id] = {
      decision: b.getAttribute("data-decision"),
      decided_utc: new Date().toISOString()
    };
    show();
  });

  document.getElementById("download").addEventListener("click", function () {
    var blob = new Blob([JSON.stringify(exportObject(), null, 2) + "\n"],
                        { type: "application/json" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "decisions.json";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
  });

  // For tools and tests that read the page state: the JSON that "download" saves.
  window.qlyDecisions = function () { return JSON.stringify(exportObject()); };
  show();
})();
