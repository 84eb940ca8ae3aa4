// Issue a whole class's certificates a batch at a time, with a progress bar.
(function () {
  "use strict";
  const box = document.getElementById("batch");
  const button = document.getElementById("batch-issue");
  if (!box || !button) return;
  const bar = document.getElementById("batch-progress");
  const status = document.getElementById("batch-status");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  function step() {
    return fetch(box.dataset.url, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf } })
      .then(function (response) {
        if (!response.ok) throw new Error("颁发失败（" + response.status + "）");
        return response.json();
      })
      .then(function (result) {
        bar.max = Math.max(result.total, 1);
        bar.value = result.done;
        status.textContent = "已颁发 " + result.done + " / " + result.total;
        if (result.remaining > 0 && result.issued > 0) return step();
        status.textContent += "，完成" + (result.blocked ? "（" + result.blocked + " 人不符合条件）" : "");
        setTimeout(function () { window.location.reload(); }, 800);
      });
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    bar.hidden = false;
    step().catch(function (error) { status.textContent = error.message; button.disabled = false; });
  });
})();
