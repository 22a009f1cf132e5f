// Back and Forward between two views of the same page (a filter or control a person changed,
// or a chart they clicked): reload that address, so the view is exactly what the address says.
// Page-to-page steps are Dash's own (its router re-renders the page from the address).
(function () {
  var lastPath = window.location.pathname;
  window.addEventListener("popstate", function () {
    if (window.location.pathname === lastPath) {
      window.location.reload();
    }
    lastPath = window.location.pathname;
  });
  // Dash's links push addresses without a popstate: keep the page we are on up to date.
  window.addEventListener("_dashprivate_pushstate", function () {
    lastPath = window.location.pathname;
  });
})();
