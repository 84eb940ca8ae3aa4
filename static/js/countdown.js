// Counts down every [data-countdown] element (seconds given by the server) once a minute.
(function () {
  "use strict";
  var started = Date.now();
  function render() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Math.max(0, Number(el.dataset.countdown) - Math.floor((Date.now() - started) / 1000));
      var days = Math.floor(left / 86400), hours = Math.floor((left % 86400) / 3600);
      var minutes = Math.floor((left % 3600) / 60);
      var text = el.querySelector("[data-countdown-text]");
      if (text) {
        text.textContent = (days ? days + " 天 " : "") + hours + " 小时 " + minutes + " 分";
      }
    });
  }
  setInterval(render, 30000);
})();
