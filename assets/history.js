// Back and Forward between two views of the same page (a filter or control a person changed,
// or a chart they clicked): reload that address, so the view is exactly what the address says.
// Steps between pages are Dash's own (its router re-renders the page from the address), and
// a step that only moves within the page (#main, the skip link) is left alone.
(function () {
  var path = window.location.pathname;
  var search = window.location.search;
  function remember() {
    path = window.location.pathname;
    search = window.location.search;
  }
  ["pushState", "replaceState"].forEach(function (name) {
    var original = window.history[name];
    window.history[name] = function () {
      var result = original.apply(this, arguments);
      remember();
      return result;
    };
  });
  window.addEventListener("popstate", function () {
    if (window.location.pathname === path && window.location.search !== search) {
      window.location.reload();
      return;
    }
    remember();
  });
})();
