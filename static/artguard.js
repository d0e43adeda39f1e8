/* ArtGuard's only script, loaded on every page. Kept out of the HTML so the
   Content-Security-Policy can forbid inline script. */
(function () {
  "use strict";

  // <form data-confirm="Question?">: ask before submitting.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  // A result page still being analysed: poll its status URL, reload when it is done.
  var box = document.getElementById("progress");
  if (!box || !box.hasAttribute("data-status-url")) { return; }
  var url = box.getAttribute("data-status-url");
  var text = document.getElementById("progress-text");
  var badge = document.getElementById("status");
  var delay = 800;
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (data) {
        badge.textContent = data.status;
        badge.className = "badge " + data.status;
        if (data.status === "COMPLETED" || data.status === "FAILED") { window.location.reload(); return; }
        text.textContent = data.status === "PENDING" ? "Waiting for a worker…" : "Analysing the image…";
        delay = Math.min(delay * 1.3, 4000);
        setTimeout(poll, delay);
      })
      .catch(function () { text.textContent = "Lost contact with the server; retrying…"; setTimeout(poll, 4000); });
  }
  setTimeout(poll, delay);
})();
