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

  // The upload form: a file over the limit is refused here, before anything is sent; otherwise
  // the form tells the server how many files it carries (?files=N), so the server can refuse an
  // oversized body from its Content-Length alone, before reading it.
  var upload = document.getElementById("upload-form");
  if (upload) {
    upload.addEventListener("submit", function (event) {
      var input = document.getElementById("id_files");
      var max = parseInt(upload.getAttribute("data-max-bytes"), 10);
      var big = Array.prototype.filter.call(input.files || [], function (file) { return file.size > max; });
      if (big.length) {
        event.preventDefault();
        var list = document.getElementById("upload-errors");
        if (!list) {
          list = document.createElement("ul");
          list.className = "errorlist";
          list.id = "upload-errors";
          upload.parentNode.insertBefore(list, upload);
        }
        list.textContent = "";
        big.forEach(function (file) {
          var item = document.createElement("li");
          item.textContent = file.name + ": " + upload.getAttribute("data-too-large");
          list.appendChild(item);
        });
        return;
      }
      upload.action = "?files=" + Math.max(1, (input.files || []).length);
    });
  }

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
