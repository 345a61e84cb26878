// The waiting room, live on every staff page (issue 13): the navigation's count follows the
// clinic's waiting room; a patient who arrives is announced by a visible notice (a
// role=status region, read by screen readers), a short sound (WebAudio: no file to fetch)
// and, once allowed, a browser notification (a knock in an unfocused tab is not missed).
// On the waiting room page the list itself is refreshed (an htmx swap of its block), and
// once a minute so that the waited times move. The page works without this script.
(function () {
  "use strict";
  var ANNOUNCED = "waiting-announced"; // sessionStorage: a refresh of the patient's page is no new knock
  var DEBOUNCE_MS = 250;
  var TICK_MS = 60000;
  var audio = null;
  var timer = null;

  function notices() {
    return document.getElementById("waiting-notices");
  }

  function list() {
    return document.querySelector("#waiting-room[data-waiting-room]");
  }

  function setCount(count) {
    var badges = document.querySelectorAll("[data-waiting-count]");
    for (var i = 0; i < badges.length; i++) {
      var badge = badges[i];
      if (badge.firstChild && badge.firstChild.nodeType === Node.TEXT_NODE) badge.firstChild.nodeValue = String(count);
      else badge.insertBefore(document.createTextNode(String(count)), badge.firstChild);
      badge.hidden = !count;
    }
  }

  function announced(id) {
    try {
      var seen = JSON.parse(sessionStorage.getItem(ANNOUNCED) || "[]");
      if (seen.indexOf(id) >= 0) return true;
      seen.push(id);
      sessionStorage.setItem(ANNOUNCED, JSON.stringify(seen.slice(-100)));
    } catch (error) { /* storage refused: announce anyway */ }
    return false;
  }

  // The sound needs an AudioContext started by a gesture (browsers' autoplay rule): one is
  // made on the first click or key press of the page, and used for every knock after it.
  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context || audio) return;
    try {
      audio = new Context();
    } catch (error) {
      audio = null;
    }
  }

  function chime() {
    var root = document.documentElement;
    root.setAttribute("data-waiting-chimes", String(Number(root.getAttribute("data-waiting-chimes") || 0) + 1));
    if (!audio) unlockAudio();
    if (!audio) return;
    if (audio.state === "suspended" && audio.resume) audio.resume();
    var start = audio.currentTime + 0.02;
    [880, 1320].forEach(function (frequency, i) {
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.type = "sine";
      tone.frequency.value = frequency;
      var at = start + i * 0.18;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
      tone.connect(gain).connect(audio.destination);
      tone.start(at);
      tone.stop(at + 0.17);
    });
  }

  function notify(region, text, id) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      var shown = new Notification(region.getAttribute("data-notify-title") || "", { body: text, tag: "waiting-" + id });
      shown.onclick = function () {
        window.focus();
        window.location.href = region.getAttribute("data-waiting-url");
      };
      document.documentElement.setAttribute("data-waiting-notified", String(id));
    } catch (error) { /* a browser that only notifies from a service worker */ }
  }

  function announce(news) {
    var region = notices();
    if (!region) return;
    var text = (region.getAttribute("data-arrived-text") || "{name}").replace("{name}", news.patient);
    var notice = document.createElement("p");
    notice.className = "notice waiting-notice";
    notice.setAttribute("data-appointment", String(news.appointment_id));
    notice.appendChild(document.createTextNode(text + " "));
    if (!list()) {
      var link = document.createElement("a");
      link.href = region.getAttribute("data-waiting-url");
      link.textContent = region.getAttribute("data-open-text");
      notice.appendChild(link);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "button small waiting-dismiss";
    close.textContent = "×";
    close.setAttribute("aria-label", (region.getAttribute("data-dismiss-text") || "Dismiss") + ": " + text);
    close.addEventListener("click", function () { notice.remove(); });
    notice.appendChild(close);
    region.appendChild(notice);
    chime();
    notify(region, text, news.appointment_id);
  }

  // What the keyboard was on, found again in the swapped list by its row and its name.
  function focusKey(root) {
    var active = document.activeElement;
    if (!active || !root.contains(active) || active === root) return null;
    var row = active.closest("tr");
    return { row: row && row.id, label: active.getAttribute("aria-label") || active.textContent };
  }

  function refocus(key) {
    var root = list();
    if (!key || !root) return;
    var scope = (key.row && document.getElementById(key.row)) || root;
    var candidates = scope.querySelectorAll("a, button");
    for (var i = 0; i < candidates.length; i++) {
      var label = candidates[i].getAttribute("aria-label") || candidates[i].textContent;
      if (label === key.label) return candidates[i].focus({ preventScroll: true });
    }
  }

  function refresh() {
    var root = list();
    if (!root || !window.htmx) return;
    var key = focusKey(root);
    // What the last action said ("Done: …") stays through a refresh the stream asked for.
    var said = root.querySelector(":scope > .notice");
    var url = root.getAttribute("data-refresh-url") || window.location.pathname;
    var done = window.htmx.ajax("GET", url, { target: "#waiting-room", swap: "outerHTML" });
    if (done && done.then) done.then(function () {
      var fresh = list();
      if (said && fresh && !fresh.querySelector(":scope > .notice")) {
        var heading = fresh.querySelector("h1");
        if (heading) heading.after(said);
      }
      refocus(key);
    });
  }

  function schedule() {
    if (!list()) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  }

  function onWaiting(message) {
    var news;
    try {
      news = JSON.parse(message.data);
    } catch (error) {
      return;
    }
    if (typeof news.count === "number") setCount(news.count);
    if (news.state === "waiting" && news.present && news.patient && !announced(news.appointment_id)) announce(news);
    schedule();
  }

  function offerNotifications() {
    var offer = document.getElementById("waiting-allow");
    if (!offer || !("Notification" in window) || Notification.permission !== "default") return;
    offer.hidden = false;
    offer.querySelector("button").addEventListener("click", function () {
      var asked = Notification.requestPermission(function () { offer.hidden = Notification.permission === "default"; });
      if (asked && asked.then) asked.then(function () { offer.hidden = Notification.permission === "default"; });
    });
  }

  function start() {
    offerNotifications();
    document.addEventListener("pointerdown", unlockAudio, { once: true });
    document.addEventListener("keydown", unlockAudio, { once: true });
    setInterval(function () { if (list() && !document.hidden) refresh(); }, TICK_MS);
    if (typeof window.EventSource !== "function") return;
    var source = window.staffLive ? window.staffLive.source("/staff/live") : new EventSource("/staff/live");
    var root = document.documentElement;
    var broken = false;
    if (source.readyState === EventSource.OPEN) root.setAttribute("data-waiting-live", "open");
    source.addEventListener("waiting", onWaiting);
    source.addEventListener("open", function () {
      if (broken) schedule(); // back after a gap: arrivals meanwhile were not heard
      broken = false;
      root.setAttribute("data-waiting-live", "open");
    });
    source.addEventListener("error", function () {
      broken = true;
      root.setAttribute("data-waiting-live", "lost");
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
