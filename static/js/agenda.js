// The agenda's slot dialog: htmx puts a slot's page into <dialog id="slot-dialog">; show it
// as a modal (Escape closes it, focus returns to the slot). Without JavaScript the slot is
// a plain link to its page.
(function () {
  "use strict";
  var opener = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.matches && elt.matches("a.slot")) opener = elt.id;
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = event.detail.target;
    if (!dialog || dialog.id !== "slot-dialog" || typeof dialog.showModal !== "function") return;
    if (!dialog.open) dialog.showModal();
  });
  document.addEventListener("close", function (event) {
    if (!event.target || event.target.id !== "slot-dialog") return;
    var back = opener && document.getElementById(opener);
    if (back) back.focus();
  }, true);
})();
