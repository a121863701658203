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
