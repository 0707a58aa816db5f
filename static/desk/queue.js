/* The queue page: when its self-refresh (htmx polling, every 30 s) may run, and saving the
   current filters as a view. Written here; no third-party code. */
(function () {
  "use strict";

  // Polling pauses while boxes are ticked for a bulk assignment, while the bulk form has the
  // focus, and while the tab is hidden: a refresh would drop what the user is doing.
  window.queueMayRefresh = function () {
    if (document.hidden) return false;
    if (document.querySelector("#results input[name=ticket]:checked")) return false;
    var active = document.activeElement;
    return !(active && active.closest && active.closest("#bulk-assign"));
  };

  // A saved view keeps the filters and sort the page shows now (htmx pushes them to the URL).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "save-view") return;
    var params = new URLSearchParams(window.location.search);
    params.delete("page");
    form.querySelector("input[name='view-query']").value = params.toString();
  });
})();
