// The source page follows its queued or running job: status and progress every two seconds
// from /api/v1/harvest/jobs/<id>, then a reload when the job ends (to show its counts).
(function () {
  "use strict";
  var box = document.getElementById("active-job");
  if (!box) { return; }
  var url = box.getAttribute("data-job-url");
  var state = box.querySelector(".job-state");
  var detail = box.querySelector(".job-detail");
  var bar = box.querySelector(".job-progress");

  function show(job) {
    state.textContent = job.status;
    state.setAttribute("data-state", job.status);
    box.setAttribute("data-status", job.status);
    var p = job.progress || {};
    if (job.status === "queued") {
      detail.textContent = ": waiting for a worker";
    } else if (job.status === "running") {
      detail.textContent = ": " + p.read + " records read" + (p.expected ? " of " + p.expected : "");
    } else {
      var c = job.counts;
      detail.textContent = ": " + c.added + " added, " + c.updated + " updated, " + c.unchanged +
        " unchanged, " + c.withdrawn + " withdrawn, " + c.failed + " failed" +
        (job.error ? ". " + job.error : "");
    }
    if (p.percent !== null && p.percent !== undefined) { bar.value = p.percent; }
    if (job.status === "succeeded" || job.status === "failed") {
      bar.value = 100;
      window.setTimeout(function () { window.location.reload(); }, 1500);
      return false;
    }
    return true;
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) { if (!job || show(job)) { window.setTimeout(poll, 2000); } })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
