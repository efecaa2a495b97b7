// Small behaviours every page shares. Loaded with `defer`; no inline script anywhere (CSP).
"use strict";

// Wide tables scroll inside their own box instead of widening the page: templates wrap them
// in .table-responsive; this catches any table a template left bare.
document.querySelectorAll("main table").forEach(function (table) {
  if (!table.closest(".table-responsive")) {
    var box = document.createElement("div");
    box.className = "table-responsive";
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
  }
});
