// Behaviour every page shares, kept out of the HTML so the Content-Security-Policy can forbid
// inline scripts: confirm before a destructive form, submit a filter on change, print.
"use strict";

document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

document.addEventListener("change", (event) => {
  if (event.target.matches && event.target.matches("select[data-auto-submit]")) {
    event.target.form.submit();
  }
});

document.addEventListener("click", (event) => {
  if (event.target.closest && event.target.closest("[data-print]")) {
    window.print();
  }
});
