// The agenda's slots: a click (or Enter) on a slot opens its page in <dialog id="slot-dialog">
// with htmx, as a modal (Escape closes it, focus returns to the slot). One listener for the
// page, so a week of hundreds of slots carries no attributes for it. Without JavaScript, or
// with a modifier key (a new tab), the slot is a plain link to its page.
(function () {
  "use strict";
  var opener = null;
  var agendaUrl = null; // the view the dialog opened over (the slot's page may take the address)
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.slot");
    var dialog = document.getElementById("slot-dialog");
    if (!link || !dialog || !window.htmx) return;
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    opener = link.id;
    agendaUrl = window.location.href;
    // The link is the request's source, as if it carried hx-get: the slot dialog's own
    // script (slot-dialog.js) takes it as the element to give the focus back to.
    window.htmx.ajax("GET", link.getAttribute("href"), { source: link, target: "#slot-dialog", swap: "innerHTML" });
  });
  // Opens the dialog if nothing else has (slot-dialog.js, loaded before, opens it first and
  // remembers the page's title).
  document.addEventListener("htmx:afterSettle", function (event) {
    var dialog = document.getElementById("slot-dialog");
    if (!dialog || typeof dialog.showModal !== "function" || dialog.open) return;
    if (event.detail.target === dialog || dialog.contains(event.detail.target)) dialog.showModal();
  });
  document.addEventListener("close", function (event) {
    if (!event.target || event.target.id !== "slot-dialog") return;
    // Closed: the address names the agenda again, so a refresh shows it.
    if (agendaUrl && window.location.href !== agendaUrl) window.history.replaceState(window.history.state, "", agendaUrl);
    agendaUrl = null;
    var back = opener && document.getElementById(opener);
    if (back) back.focus();
  }, true);
})();
