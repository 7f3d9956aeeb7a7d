// The report job's progress page: polls the job's status (JSON) and moves the progress bar; when the
// PDF is ready, shows the download link and moves focus to it. A job that ended without a PDF: the
// page is reloaded, and the server shows why. Without script the page reloads itself (<noscript>).
(function () {
  "use strict";
  var box = document.querySelector(".report-job[data-status-url]");
  if (!box) { return; }
  var bar = document.getElementById("report-job-progress");
  var status = document.getElementById("report-job-status");
  var ready = box.querySelector(".report-job__ready");
  var link = document.getElementById("report-job-download");
  var wait = box.querySelector(".report-job__wait");
  var delay = 1000;

  function show(job) {
    bar.value = job.percent;
    bar.setAttribute("aria-valuenow", String(job.percent));
    bar.textContent = job.percent + " %";
    if (status.textContent !== job.message) { status.textContent = job.message; }
  }

  function poll() {
    fetch(box.getAttribute("data-status-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (job) {
        show(job);
        if (job.ready && job.download_url) {
          link.setAttribute("href", job.download_url);
          ready.hidden = false;
          if (wait) { wait.hidden = true; }
          link.focus();
        } else if (job.state === "finished" || job.state === "failed") {
          window.location.assign(box.getAttribute("data-page-url"));
        } else {
          delay = Math.min(delay * 1.3, 4000);
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () { window.setTimeout(poll, 4000); });
  }

  if (ready.hidden) { window.setTimeout(poll, delay); }
}());
