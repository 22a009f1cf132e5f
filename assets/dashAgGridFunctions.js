/* Functions the tables' grids call by name (dashboard/components.py, table()).
 *
 * They are here, served from /assets like any script of this server, because dash-ag-grid
 * compiles a function written as a string in the layout with Function(), which the
 * Content-Security-Policy (script-src without 'unsafe-eval') blocks. Formatting needs no
 * function of its own: a valueFormatter is an expression dash-ag-grid evaluates safely.
 */
(function () {
  "use strict";
  var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
  var SUPPRESSED = "[c]"; // svcore.disclosure.SUPPRESSED
  var MISSING = "–"; // dashboard.components.MISSING

  function rank(value) {
    if (typeof value === "number") return isNaN(value) ? 3 : 0;
    if (value === null || value === undefined || value === "" || value === MISSING) return 3;
    if (value === SUPPRESSED) return 2;
    return 1;
  }

  /* The sort order of a published column: numbers as numbers, then text in natural order; a
   * hidden cell ("[c]") and then an empty one after every value, whichever way it is sorted. */
  dagfuncs.svdashPublishedOrder = function (a, b, nodeA, nodeB, isDescending) {
    var ra = rank(a);
    var rb = rank(b);
    if (ra !== rb) {
      // The grid reverses a comparator's answer for a descending sort: not for these two.
      return isDescending && (ra > 1 || rb > 1) ? rb - ra : ra - rb;
    }
    if (ra === 0) return a - b;
    if (ra === 1) {
      return String(a).localeCompare(String(b), "en-GB", { numeric: true, sensitivity: "base" });
    }
    return 0;
  };

  /* ag-grid renders role="grid" without a name: name it by the table's visible caption, and
   * describe it by the note under it (how its numbers were published). */
  dagfuncs.svdashNameGrid = function (captionId, noteId) {
    var caption = document.getElementById(captionId);
    var wrap = caption && caption.closest(".table-wrap");
    var grid = wrap && wrap.querySelector('[role="grid"], [role="treegrid"]');
    if (!grid) return;
    grid.setAttribute("aria-labelledby", captionId);
    if (noteId && document.getElementById(noteId)) grid.setAttribute("aria-describedby", noteId);
  };
})();
