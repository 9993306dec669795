// Small page behaviours bound here rather than in inline handlers, which the pages'
// Content-Security-Policy forbids: a button with data-print prints the page, a select with
// data-autosubmit submits its form when changed.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      window.print();
    }
  });
  document.addEventListener("change", function (event) {
    var field = event.target.closest && event.target.closest("[data-autosubmit]");
    if (field && field.form) {
      field.form.submit();
    }
  });
})();
