// Small enhancements on top of pages that work without JavaScript.
(function () {
  "use strict";

  // Move focus to what changed: an error summary first, else the new step's heading,
  // so screen readers announce it after an HTMX swap.
  function focusFirst(root) {
    root = root || document;
    var target = root.querySelector("[data-autofocus][role=alert]") || root.querySelector("[data-autofocus]");
    if (target && document.activeElement !== target) target.focus({ preventScroll: false });
  }

  // The chosen service's description appears under the drop-down.
  function describe(select) {
    var out = document.getElementById(select.getAttribute("data-describes"));
    var option = select.options[select.selectedIndex];
    if (out) out.textContent = (option && option.getAttribute("data-description")) || "";
  }

  // The hold's countdown on the review page (the page also states the end time in
  // words). The server rounds the seconds left up, so 0:00 never shows while the
  // hold still runs; then the page says the time has run out.
  var timer = null;
  function countdown(root) {
    var holder = (root || document).querySelector("[data-countdown]");
    if (timer) clearInterval(timer);
    if (!holder) return;
    var end = Date.now() + parseInt(holder.getAttribute("data-countdown"), 10) * 1000;
    var out = holder.querySelector(".countdown");
    var lapsed = holder.querySelector("[data-lapsed]");
    function tick() {
      var left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      out.textContent = "(" + Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0") + ")";
      if (left > 0) return;
      clearInterval(timer);
      holder.classList.add("lapsed");
      if (lapsed) {
        lapsed.hidden = false;
        lapsed.textContent = lapsed.getAttribute("data-lapsed");
      }
    }
    tick();
    timer = setInterval(tick, 1000);
  }

  // Inside the clinic's website (the widget), tell the parent page our height: the
  // body's, which the stylesheet lets shrink when framed (the document's own height
  // never drops below the frame's, so the frame could only grow).
  var framed = window.parent !== window;
  if (framed) document.documentElement.classList.add("framed");
  function reportHeight() {
    if (!framed) return;
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    window.parent.postMessage({ type: "clinic-booking:height", height: height }, "*");
  }

  function enhance(root) {
    var selects = (root || document).querySelectorAll("select[data-describes]");
    for (var i = 0; i < selects.length; i++) describe(selects[i]);
    countdown(root);
    reportHeight();
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-describes]")) describe(event.target);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    enhance(document);
    focusFirst(event.detail.elt && event.detail.elt.isConnected ? event.detail.elt.parentNode : document);
  });
  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    if (document.querySelector("[data-autofocus][role=alert]")) focusFirst(document);
  });
  window.addEventListener("resize", reportHeight);
  if (window.ResizeObserver) new ResizeObserver(reportHeight).observe(document.body);
})();
