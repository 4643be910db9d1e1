/* The job list's action bar: the position box belongs to "Feature on the product page" only,
   so it is shown while that action is chosen. Without this script it stays, labelled. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";

  var select = document.querySelector("#changelist-form select[name=action]");
  var box = document.querySelector("#changelist-form input.tryon-position");
  if (!select || !box) {
    return;
  }
  var label = box.closest("label") || document.querySelector('label[for="' + box.id + '"]');

  var shown = label || box; // the label wraps the box; admin CSS would override `hidden`

  function sync() {
    var show = select.value === "feature";
    shown.style.display = show ? "" : "none";
    box.disabled = !show;
  }
  select.addEventListener("change", sync);
  sync();
});
