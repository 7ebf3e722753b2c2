// Tandem web shell: the little script htmx needs around it (no inline scripts: the CSP forbids them).
// htmx swaps 2xx, 409 and 422 answers itself (see the htmx-config meta tag). Other failures of an
// htmx request (403, 404, 429, 500) come back as a small error fragment, shown here in the flash
// region; a request that never reached the server shows the region's offline message.
(function () {
  "use strict";

  function flash() {
    return document.getElementById("flash");
  }

  function show(html, text) {
    var region = flash();
    if (!region) { return; }
    if (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var alert = doc.querySelector(".alert");
      if (alert) {
        region.replaceChildren(document.importNode(alert, true));
        region.scrollIntoView({ block: "nearest" });
        return;
      }
    }
    var box = document.createElement("div");
    box.className = "alert bad";
    box.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = text || region.dataset.failed || "";
    box.appendChild(p);
    region.replaceChildren(box);
    region.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("htmx:beforeRequest", function () {
    var region = flash();
    if (region) { region.replaceChildren(); }
  });
  document.addEventListener("htmx:responseError", function (evt) {
    show(evt.detail.xhr && evt.detail.xhr.responseText, null);
  });
  document.addEventListener("htmx:sendError", function () {
    var region = flash();
    show(null, region && region.dataset.offline);
  });

  // A long list of choices (e.g. the firms to share an expert with) gets a filter box: options that do not
  // contain the typed text are hidden, chosen ones always stay in view. Without script the list is whole.
  document.addEventListener("input", function (evt) {
    var box = evt.target;
    if (!box.matches || !box.matches("input[data-filter-for]")) { return; }
    var list = document.getElementById(box.dataset.filterFor);
    if (!list) { return; }
    var wanted = box.value.trim().toLowerCase();
    Array.prototype.forEach.call(list.options, function (opt) {
      opt.hidden = !!wanted && !opt.selected && opt.text.toLowerCase().indexOf(wanted) < 0;
    });
  });
})();
