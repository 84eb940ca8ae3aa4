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

  // A draft in this browser: written as the trainee types, offered back when the page opens
  // (after a closed tab or a crash), dropped once a newer report reached the server.
  var key = area.getAttribute("data-draft-key");
  var note = document.getElementById("report-draft");
  var submittedAt = Date.parse(area.getAttribute("data-submitted-at") || "") || 0;
  var serverDraftAt = Date.parse(area.getAttribute("data-server-draft-at") || "") || 0;
  var timer = null;

  function readDraft() {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function keep() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      try {
        localStorage.setItem(key, JSON.stringify({ text: area.value, saved_at: Date.now() }));
        if (note) note.textContent = "草稿已保存在本浏览器（" + new Date().toLocaleTimeString("zh-CN") + "）";
      } catch (e) {
        if (note) note.textContent = "本浏览器无法保存草稿，请及时提交或保存到服务器";
      }
    }, 500);
  }

  if (key) {
    var draft = readDraft();
    if (draft && ((draft.submitted && submittedAt) || draft.saved_at <= submittedAt)) {
      localStorage.removeItem(key);  // that text was submitted since
    } else if (draft && draft.text && draft.text !== area.value && draft.saved_at > serverDraftAt) {
      area.value = draft.text;
      if (note) note.textContent = "已恢复本浏览器中未提交的草稿（" + new Date(draft.saved_at).toLocaleString("zh-CN") + "）";
    }
    area.addEventListener("input", keep);
    area.form.addEventListener("submit", function (event) {
      if (event.submitter && event.submitter.hasAttribute("formaction")) return;  // a draft
      clearTimeout(timer);
      // Kept until the page shows the report reached the server: a failed submit loses nothing.
      localStorage.setItem(key, JSON.stringify({ text: area.value, saved_at: Date.now(), submitted: true }));
    });
  }

  area.addEventListener("input", update);
  update();
})();
