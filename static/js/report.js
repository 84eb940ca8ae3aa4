// The reading-report page: a live count of the characters the server will count
// (every character except whitespace), against the class's minimum.
(function () {
  "use strict";
  var area = document.querySelector("textarea[data-min-chars]");
  var out = document.getElementById("report-count");
  if (!area || !out) return;
  var minimum = parseInt(area.getAttribute("data-min-chars"), 10) || 0;

  function count(text) {
    // Array.from counts code points, as Python does, not UTF-16 units.
    return Array.from(text.replace(/\s/gu, "")).length;
  }

  function update() {
    var n = count(area.value);
    var enough = n >= minimum;
    out.textContent = enough
      ? "已写 " + n + " 字，已达到 " + minimum + " 字的要求"
      : "已写 " + n + " 字，还差 " + (minimum - n) + " 字（不少于 " + minimum + " 字）";
    out.className = "hint count " + (enough ? "enough" : "short");
  }

  area.addEventListener("input", update);
  update();
})();
