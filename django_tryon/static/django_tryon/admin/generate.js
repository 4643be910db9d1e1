/* "Generate try-ons" confirmation page: the summary follows the chosen provider, and a
   change of model photos marks the estimate as out of date until it is updated.
   No dependencies; the page works the same without it. */
(function () {
  "use strict";

  var form = document.getElementById("tryon-generate");
  if (!form) {
    return;
  }
  var summary = document.getElementById("tryon-summary");
  var confirm = document.getElementById("tryon-confirm");
  var estimate = document.getElementById("tryon-estimate");
  var staleNote = form.querySelector(".tryon-stale-note");

  function chosenRow() {
    var radio = form.querySelector("#tryon-estimate input[type=radio]:checked");
    return radio ? radio.closest("tr") : null;
  }

  function showSummary() {
    var row = chosenRow();
    if (!row) {
      return;
    }
    summary.textContent = row.getAttribute("data-summary");
    confirm.disabled = row.getAttribute("data-jobs") === "0" || estimate.classList.contains("is-stale");
  }

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "model_photos") {
      estimate.classList.add("is-stale");
      staleNote.hidden = false;
    }
    showSummary();
  });
  showSummary();
})();
