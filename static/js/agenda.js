// The agenda's slots: a click (or Enter) on a slot opens its page in <dialog id="slot-dialog">
// with htmx, as a modal (Escape closes it, focus returns to the slot). One listener for the
// page, so a week of hundreds of slots carries no attributes for it. Without JavaScript, or
// with a modifier key (a new tab), the slot is a plain link to its page.
(function () {
  "use strict";
  var opener = null;
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.slot");
    var dialog = document.getElementById("slot-dialog");
    if (!link || !dialog || !window.htmx) return;
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    opener = link.id;
    window.htmx.ajax("GET", link.getAttribute("href"), { target: "#slot-dialog", swap: "innerHTML" });
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
