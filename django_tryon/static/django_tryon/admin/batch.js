/* The batch page, live: polls status.json and updates the figures, the bar and the cards.
   No dependencies. Stops once no job is active; backs off while the server doesn't answer. */
(function () {
  "use strict";

  var root = document.querySelector(".tryon-batch[data-status-url]");
  if (!root) {
    return;
  }
  var url = root.getAttribute("data-status-url");
  var interval = parseInt(root.getAttribute("data-poll-ms"), 10) || 2000;
  var delay = interval;
  var SEGMENTS = ["succeeded", "failed", "canceled", "running"];

  function setText(selector, value) {
    root.querySelectorAll(selector).forEach(function (node) {
      node.textContent = String(value);
    });
  }

  function updateBar(progress) {
    var x = 0;
    SEGMENTS.forEach(function (key) {
      var rect = root.querySelector('[data-bar="' + key + '"]');
      var width = progress.total ? (100 * progress[key]) / progress.total : 0;
      if (rect) {
        rect.setAttribute("x", x.toFixed(3));
        rect.setAttribute("width", width.toFixed(3));
      }
      x += width;
    });
    var bar = root.querySelector("[role=progressbar]");
    if (bar) {
      bar.setAttribute("aria-valuenow", String(progress.percent));
    }
  }

  function updateCard(job) {
    var card = root.querySelector('[data-job="' + job.id + '"]');
    if (!card || card.getAttribute("data-status") === job.status) {
      return;
    }
    card.setAttribute("data-status", job.status);
    var badge = card.querySelector("[data-badge]");
    badge.className = "tryon-badge tryon-badge--" + job.status;
    badge.textContent = job.label;
    var error = card.querySelector("[data-error]");
    error.textContent = job.error;
    error.hidden = !job.error;
    if (job.result) {
      var image = document.createElement("img");
      image.className = "tryon-thumb tryon-thumb--lg";
      image.src = job.result;
      image.alt = badge.textContent;
      var holder = card.querySelector("[data-result]");
      holder.replaceChildren(image);
    }
  }

  function render(data) {
    var progress = data.progress;
    Object.keys(progress).forEach(function (key) {
      setText('[data-stat="' + key + '"]', progress[key]);
    });
    updateBar(progress);
    data.jobs.forEach(updateCard);
    root.querySelectorAll("[data-when-failed]").forEach(function (node) {
      node.hidden = !progress.failed;
    });
    root.querySelectorAll("[data-when-succeeded]").forEach(function (node) {
      node.hidden = !progress.succeeded;
    });
    if (progress.finished) {
      root.classList.add("is-finished");
      root.querySelector("[data-finished]").hidden = false;
      root.querySelector("[data-running]").hidden = true;
    }
    return progress.finished;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        delay = interval;
        if (!render(data)) {
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () {
        delay = Math.min(delay * 2, 30000);
        window.setTimeout(poll, delay);
      });
  }

  if (!root.classList.contains("is-finished")) {
    window.setTimeout(poll, interval);
  }
})();
