// The slot dialog over the agenda: htmx swaps a slot's panel into <dialog id="slot-dialog">
// (the agenda's slot links), and this opens it as a modal, names it by the panel's heading,
// moves focus into it and, when it closes (Esc, or the Close button), back to the link that
// opened it. Without JavaScript the same links open the slot's own page.
(function () {
  "use strict";

  var opener = null;
  var title = null;

  function dialog() {
    return document.getElementById("slot-dialog");
  }

  function focusInside(box) {
    var target = box.querySelector("[data-autofocus][role=alert]") || box.querySelector("[data-autofocus]") || box.querySelector("h1, h2");
    if (target) {
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus();
    }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var box = dialog();
    if (box && !box.open && event.detail.target === box) opener = event.detail.elt;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var box = dialog();
    if (!box || !box.contains(event.detail.target) && event.detail.target !== box) return;
    var heading = box.querySelector("#slot-title");
    if (heading) box.setAttribute("aria-labelledby", "slot-title");
    if (!box.open) {
      title = document.title;
      box.showModal();
    }
    focusInside(box);
  });

  // A refusal that is not about the form (403, 404, 500…) replaces the page's main content
  // (base.html's htmx config): close the dialog so that it can be read.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var box = dialog();
    var status = event.detail.xhr && event.detail.xhr.status;
    if (!box || !box.open || !box.contains(event.detail.elt)) return;
    if (status >= 400 && [409, 422, 429].indexOf(status) === -1) box.close();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-close-dialog]");
    if (!button) return;
    var box = button.closest("dialog");
    if (box) box.close();
  });

  // Focus goes back where it came from. The content stays (a refusal may still be swapping
  // out of it); the next slot's replaces it before the dialog opens again.
  document.addEventListener(
    "close",
    function (event) {
      var box = dialog();
      if (event.target !== box) return;
      if (title) document.title = title;
      // The agenda may have been refreshed meanwhile: the same slot's new link, then.
      var href = opener && opener.getAttribute("href");
      var again = opener && !opener.isConnected && href ? document.querySelector('a[href="' + href + '"]') : null;
      if (opener && opener.isConnected) opener.focus();
      else if (again) again.focus();
      else {
        var main = document.getElementById("main");
        if (main) main.focus();
      }
      opener = null;
    },
    true
  );
})();
