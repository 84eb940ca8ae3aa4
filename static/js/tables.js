// Gives each table cell its column's heading (data-label), so narrow screens can show every
// row as a card with labelled fields (see site.css) instead of a table that scrolls sideways.
(function () {
  "use strict";
  document.querySelectorAll("table").forEach(function (table) {
    var headings = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    if (!headings.length) return;
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var column = 0;
      Array.prototype.forEach.call(row.children, function (cell) {
        var span = cell.colSpan || 1;
        if (span === 1 && headings[column] && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", headings[column]);
        }
        column += span;
      });
    });
  });
})();

// Lists of people shown whole on one page (a class's queue, progress, reports, results) get a
// search box by name or student number; paged lists search on the server instead.
(function () {
  "use strict";
  if (document.querySelector("form.filters input[name=q]")) return;
  document.querySelectorAll(".table-wrap").forEach(function (wrap) {
    var table = wrap.querySelector("table");
    var headings = table ? Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    }) : [];
    if (headings.indexOf("学号") < 0) return;
    var rows = Array.prototype.filter.call(table.querySelectorAll("tbody tr"), function (row) {
      return !row.querySelector("td[colspan]");
    });
    if (rows.length < 2) return;
    var box = document.createElement("div");
    box.className = "search";
    box.setAttribute("role", "search");
    box.innerHTML = '<input type="search" placeholder="搜索姓名或学号" aria-label="搜索姓名或学号">' +
      '<span class="muted" aria-live="polite"></span>';
    var input = box.querySelector("input");
    var count = box.querySelector("span");
    function apply() {
      var wanted = input.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (row) {
        var match = !wanted || row.textContent.toLowerCase().indexOf(wanted) >= 0;
        row.hidden = !match;
        if (match) shown += 1;
      });
      count.textContent = "共 " + rows.length + " 人" + (wanted ? "，显示 " + shown + " 人" : "");
    }
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault(); // never submit a surrounding form
    });
    input.addEventListener("input", apply);
    wrap.parentNode.insertBefore(box, wrap);
    apply();
  });
})();
