// Submits a form when one of its <select data-autosubmit> changes (language menu, list
// filters). A static file instead of onchange="" attributes: the Content-Security-Policy
// allows no inline script (issue 8 §3).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field && field.matches && field.matches("select[data-autosubmit]") && field.form) {
    field.form.submit();
  }
});
