// The call's chat panel, live: the other side's lines and files as they come. The call
// page (call.js) re-dispatches each room event as a DOM CustomEvent "room:<type>" on the
// document, detail = the event's data: a chat line {id, side, author, body, sent_at} or
// a file {key, side, author, name, size, shared_at}. Our own posts come back the same
// way after htmx has already swapped them in: a line already shown is skipped.
// Also: a file over the limit is refused here before it is sent (the server says the
// same, in a 413/422, to a page without JavaScript).
(function () {
  "use strict";
  if (window.callChatLoaded) return; // the panel is swapped in again after each post
  window.callChatLoaded = true;

  function panel() { return document.querySelector("[data-chat-panel]"); }

  // In the clinic's time zone, as the server writes the lines it renders.
  function clock(iso, zone) {
    var at = new Date(iso);
    if (isNaN(at)) return "";
    var options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    try {
      return at.toLocaleTimeString(document.documentElement.lang || undefined, Object.assign({ timeZone: zone || undefined }, options));
    } catch (error) { // an unknown zone name
      return at.toLocaleTimeString(document.documentElement.lang || undefined, options);
    }
  }

  function sizeText(bytes) {
    var fr = (document.documentElement.lang || "").indexOf("fr") === 0;
    if (bytes < 1048576) return Math.ceil(bytes / 1024) + (fr ? " ko" : " KB");
    var mb = (bytes / 1048576).toFixed(1);
    return (fr ? mb.replace(".", ",") : mb) + (fr ? " Mo" : " MB");
  }

  function item(root, data, at) {
    var li = document.createElement("li");
    li.className = "chat-line side-" + data.side + (data.side === root.getAttribute("data-side") ? " mine" : "");
    var meta = document.createElement("span");
    meta.className = "chat-meta";
    var author = document.createElement("span");
    author.className = "chat-author";
    author.textContent = data.author || "";
    var time = document.createElement("time");
    time.setAttribute("datetime", at || "");
    time.textContent = clock(at, root.getAttribute("data-time-zone"));
    meta.append(author, " ", time);
    var body = document.createElement("span");
    body.className = "chat-body";
    li.append(meta, body);
    return { li: li, body: body };
  }

  function append(root, li) {
    var list = root.querySelector(".chat-lines");
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
    var empty = root.querySelector(".chat-empty");
    if (empty) empty.hidden = true;
  }

  document.addEventListener("room:chat", function (event) {
    var root = panel(), data = event.detail || {};
    if (!root || data.id == null || root.querySelector('[data-line-id="' + Number(data.id) + '"]')) return;
    var made = item(root, data, data.sent_at);
    made.li.setAttribute("data-line-id", String(Number(data.id)));
    made.body.textContent = data.body || "";
    append(root, made.li);
  });

  document.addEventListener("room:file", function (event) {
    var root = panel(), data = event.detail || {};
    if (!root || !data.key || !/^[A-Za-z0-9_-]+$/.test(data.key)) return;
    if (root.querySelector('[data-file-key="' + data.key + '"]')) return;
    var made = item(root, data, data.shared_at);
    made.li.className += " chat-file";
    made.li.setAttribute("data-file-key", data.key);
    var link = document.createElement("a");
    link.href = root.getAttribute("data-file-url") + data.key;
    link.setAttribute("download", "");
    link.textContent = data.name || "";
    var size = document.createElement("span");
    size.className = "muted";
    size.textContent = "(" + sizeText(Number(data.size) || 0) + ")";
    made.body.append(link, " ", size);
    append(root, made.li);
  });

  // Too big: said next to the field at once, and the form is not sent.
  document.addEventListener("submit", function (event) {
    var input = event.target.querySelector && event.target.querySelector("input[type=file][data-max-bytes]");
    if (!input || !input.files || !input.files[0]) return;
    var error = document.getElementById(input.id + "-error");
    var tooBig = input.files[0].size > Number(input.getAttribute("data-max-bytes"));
    if (error) {
      error.hidden = !tooBig;
      error.textContent = tooBig ? input.getAttribute("data-too-big") : "";
    }
    if (tooBig) {
      event.preventDefault();
      event.stopImmediatePropagation();
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", input.id + "-hint " + input.id + "-error");
      input.focus();
    }
  }, true);
})();
