// Workplace: progress bar of a running plan job. Polls the status URL and opens the result
// page when the job has ended. No dependencies; served by the service itself.
(function () {
  "use strict";
  var box = document.getElementById("framsteg");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("stapel");
  var step = document.getElementById("steg");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { setTimeout(poll, 2000); return; }
        bar.max = s.of; bar.value = s.step; bar.textContent = s.step + " av " + s.of;
        step.textContent = s.text;
        if (s.status === "done" || s.status === "failed") { window.location.reload(); return; }
        setTimeout(poll, 700);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
}());

// Plan page: a click on the coverage map (same-origin frame) fills the "add a site" fields.
(function () {
  "use strict";
  var frame = document.querySelector("iframe.map[data-pick]");
  var latField = document.getElementById("add_lat");
  var lonField = document.getElementById("add_lon");
  if (!frame || !latField || !lonField) { return; }
  function hook() {
    var win = frame.contentWindow;
    if (!win || !win.L) { return; }
    Object.keys(win).forEach(function (name) {
      var candidate = win[name];
      if (name.indexOf("map_") === 0 && candidate instanceof win.L.Map) {
        candidate.on("click", function (e) {
          latField.value = e.latlng.lat.toFixed(6).replace(".", ",");
          lonField.value = e.latlng.lng.toFixed(6).replace(".", ",");
          latField.focus();
        });
      }
    });
  }
  frame.addEventListener("load", hook);
  hook();
}());
