// Open agendas updated live. The page works without this script (a refresh shows the
// truth); with it, the agenda listens to /staff/live (server-sent events) and, when a
// change touches what it shows, fetches the current URL again as an htmx request and
// swaps #agenda in place, keeping the scroll positions and the focus. While a dialog is
// open the agenda is only marked stale, and refreshed once the dialog closes.
(function () {
  "use strict";
  var DEBOUNCE_MS = 250; // a burst of changes (a week opened) is one refresh
  var source = null;
  var timer = null;
  var busy = false; // a refresh is under way
  var again = false; // another change came during it
  var broken = false; // the stream dropped: changes may have been missed meanwhile

  function agenda() {
    return document.querySelector("#agenda[data-live-agenda]");
  }

  function listed(element, name) {
    var value = element.getAttribute("data-live-" + name) || "";
    return value.split(",").map(function (item) { return item.trim(); }).filter(Boolean);
  }

  function meets(shown, changed) {
    for (var i = 0; i < changed.length; i++) if (shown.indexOf(String(changed[i])) >= 0) return true;
    return false;
  }

  // Whether the change touches what the agenda shows: one of its days (when it lists
  // days), and one of its practitioners or sites (when it lists any).
  function touches(element, change) {
    var days = listed(element, "days");
    if (days.length && !meets(days, change.days || [])) return false;
    var practitioners = listed(element, "practitioners");
    var sites = listed(element, "sites");
    if (!practitioners.length && !sites.length) return true;
    return meets(practitioners, change.practitioners || []) || meets(sites, change.sites || []);
  }

  function dialogOpen() {
    return !!document.querySelector("dialog[open]");
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  }

  function markStale(element) {
    element.setAttribute("data-live-stale", "");
  }

  // A stable name for an element across the swap: its id, else its tag, classes and rank.
  function keyOf(element, root) {
    if (element.id) return "#" + element.id;
    var tag = element.tagName + "." + element.className;
    var same = root.querySelectorAll(element.tagName);
    var rank = 0;
    for (var i = 0; i < same.length && same[i] !== element; i++) {
      if (same[i].tagName + "." + same[i].className === tag) rank++;
    }
    return tag + "@" + rank;
  }

  function find(key, root) {
    if (key.charAt(0) === "#") return root.querySelector("[id='" + key.slice(1).replace(/'/g, "\\'") + "']");
    var at = key.lastIndexOf("@");
    var tag = key.slice(0, at);
    var rank = parseInt(key.slice(at + 1), 10);
    var same = root.querySelectorAll(tag.split(".")[0]);
    for (var i = 0; i < same.length; i++) {
      if (same[i].tagName + "." + same[i].className === tag && rank-- === 0) return same[i];
    }
    return null;
  }

  function remember(element) {
    var scrolled = [];
    var all = element.querySelectorAll("*");
    for (var i = 0; i < all.length; i++) {
      if (all[i].scrollLeft || all[i].scrollTop) {
        scrolled.push([keyOf(all[i], element), all[i].scrollLeft, all[i].scrollTop]);
      }
    }
    var active = document.activeElement;
    return {
      x: window.scrollX,
      y: window.scrollY,
      scrolled: scrolled,
      focus: active && active !== element && element.contains(active) ? keyOf(active, element) : null,
    };
  }

  function restore(element, kept) {
    for (var i = 0; i < kept.scrolled.length; i++) {
      var box = find(kept.scrolled[i][0], element);
      if (box) {
        box.scrollLeft = kept.scrolled[i][1];
        box.scrollTop = kept.scrolled[i][2];
      }
    }
    window.scrollTo(kept.x, kept.y);
    if (kept.focus) {
      var target = find(kept.focus, element);
      if (target) target.focus({ preventScroll: true });
    }
  }

  function refresh() {
    var current = agenda();
    if (!current) return;
    if (dialogOpen()) return markStale(current); // refreshed when the dialog closes
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    var url = window.location.href;
    fetch(url, {
      credentials: "same-origin",
      headers: { "HX-Request": "true", "HX-Current-URL": url, "HX-Target": "agenda" },
    })
      .then(function (response) {
        var signIn = response.headers.get("HX-Redirect");
        if (signIn) {
          window.location.href = signIn; // the session has ended
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        var shown = agenda();
        // The page may have moved on (another day) while this was fetched: keep it.
        if (!html || !shown || window.location.href !== url) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("agenda");
        if (!fresh) return;
        if (dialogOpen()) return markStale(shown);
        var kept = remember(shown);
        var adopted = document.importNode(fresh, true);
        shown.replaceWith(adopted);
        if (window.htmx) window.htmx.process(adopted);
        restore(adopted, kept);
      })
      .catch(function () { /* offline for a moment: the next change or a refresh shows it */ })
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          schedule();
        }
      });
  }

  function onChange(message) {
    var element = agenda();
    if (!element) return;
    var change;
    try {
      change = JSON.parse(message.data);
    } catch (error) {
      return;
    }
    if (touches(element, change)) schedule();
  }

  function listen() {
    var element = agenda();
    if (!element || source || typeof window.EventSource !== "function") return;
    var url = element.getAttribute("data-live-url") || "/staff/live";
    // The page's shared stream when staff-live.js is there (waiting.js listens to it too).
    source = window.staffLive ? window.staffLive.source(url) : new EventSource(url);
    source.addEventListener("agenda", onChange);
    source.addEventListener("open", function () {
      if (broken) schedule(); // back after a gap: what changed meanwhile was not heard
      broken = false;
      document.documentElement.setAttribute("data-live", "open"); // for styles and tests
    });
    if (source.readyState === EventSource.OPEN) document.documentElement.setAttribute("data-live", "open");
    source.addEventListener("error", function () {
      broken = true;
      document.documentElement.setAttribute("data-live", "lost");
      if (source && source.readyState === EventSource.CLOSED) source = null; // signed out
    });
  }

  // A dialog closed (the slot's): a stale agenda catches up.
  document.addEventListener("close", function () {
    var element = agenda();
    if (element && element.hasAttribute("data-live-stale") && !dialogOpen()) schedule();
  }, true);
  // An action taken in this page's slot dialog says so (HX-Trigger: agenda-changed): no
  // need to wait for the stream's echo, nor for a stream at all.
  document.addEventListener("agenda-changed", function () {
    if (agenda()) schedule();
  });
  document.addEventListener("htmx:afterSettle", listen); // the agenda may arrive by htmx
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", listen);
  else listen();
})();
