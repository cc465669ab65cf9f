// The deposit record page (issue 12 §1): when finance picks another vendor, the panel above
// the form shows that vendor's balance, required amount and amount owed. The panel is
// rendered by the server (record/position/?vendor=<id>); this file only swaps it in. A static
// file, not inline script: the Content-Security-Policy allows none.
document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("id_vendor");
  var panel = document.getElementById("deposit-position");
  if (!select || !panel || !select.dataset.positionUrl) {
    return;
  }
  select.addEventListener("change", function () {
    var url = select.dataset.positionUrl + "?vendor=" + encodeURIComponent(select.value);
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        panel.innerHTML = html;
        var page = new URL(window.location.href);
        page.searchParams.set("vendor", select.value);
        window.history.replaceState(null, "", page.toString());
      })
      .catch(function () {
        panel.textContent = "";
      });
  });
});
