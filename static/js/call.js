// The video call, on both sides (data-side on #call): the patient's device check, waiting
// room and call; the practitioner's call window. Signalling over the room's WebSocket
// (the protocol: app/video/signalling.py); media one-to-one, browser to browser.
//
// Negotiation is "perfect negotiation": the practitioner's side makes the offer once the
// room is in_call; the patient's side is the polite one and answers. Every room event
// the socket brings is also dispatched on document as "room:<type>" (the chat listens).
(function () {
  "use strict";
  var root = document.getElementById("call");
  if (!root) return;
  var words = JSON.parse(document.getElementById("call-words").textContent);
  var side = root.getAttribute("data-side");
  var mayJoin = root.getAttribute("data-may-join") === "true";
  var polite = side === "patient";
  var STATS_EVERY_MS = 2000;
  var RESTART_AFTER_MS = 3000; // an ICE restart this long after "disconnected", not ~30 s later at "failed"
  var PING_EVERY_MS = 20000;

  function $(id) { return document.getElementById(id); }
  function show(id, shown) { var el = $(id); if (el) el.hidden = !shown; }
  function say(text) { var out = $("call-status"); if (out && out.textContent !== text) out.textContent = text; }

  var socket = null;
  var me = null;
  var iceServers = [];
  var state = root.getAttribute("data-state");
  var joined = false; // the patient pressed "Join the waiting room" (or came back after a refresh)
  var closedForGood = false;
  var retries = 0;
  var pc = null;
  var peer = null; // the socket id of the other side, for the current connection
  var makingOffer = false;
  var ignoreOffer = false;
  var stream = null; // camera and microphone: acquired once, tracks replaced (iOS)
  var screenTrack = null;
  var restartTimer = null;
  var statsTimer = null;
  var pingTimer = null;
  var queue = Promise.resolve(); // socket events, one after the other
  var lastLoss = null;
  var poorSamples = 0;
  var goodSamples = 0;
  var audioOnly = false;
  var meterContext = null;
  var storageKey = "call-joined:" + root.getAttribute("data-socket");

  // ---- devices -----------------------------------------------------------------

  function deviceError(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") return words.blocked;
    if (name === "NotFoundError" || name === "OverconstrainedError") return words.missing;
    if (name === "NotReadableError" || name === "AbortError") return words.busy;
    return words.unsupported;
  }

  function message(text, ok) {
    var out = $("device-message");
    if (!out) return;
    out.hidden = !text;
    out.textContent = text || "";
    out.className = "device-message " + (ok ? "success" : "error-summary");
    out.setAttribute("role", ok ? "status" : "alert");
  }

  function chosen(id) { var select = $(id); return select && select.value ? { exact: select.value } : undefined; }

  function constraints() {
    var camera = chosen("camera-choice");
    var microphone = chosen("microphone-choice");
    return {
      audio: microphone ? { deviceId: microphone } : true,
      video: camera ? { deviceId: camera } : { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 720 } }
    };
  }

  function stopStream() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
  }

  // Camera and microphone; if the camera cannot be had, the microphone alone (a call
  // by voice is better than none).
  function acquire() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return Promise.reject({ name: "NotSupportedError" });
    }
    stopStream(); // iOS mutes the earlier tracks when a camera is acquired twice
    return navigator.mediaDevices.getUserMedia(constraints()).catch(function (error) {
      if (error.name !== "NotFoundError" && error.name !== "NotReadableError") throw error;
      return navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    }).then(function (acquired) {
      stream = acquired;
      var local = $("local-video");
      if (local) local.srcObject = stream;
      var preview = $("preview-video");
      if (preview) preview.srcObject = stream;
      replaceSenders();
      return stream;
    });
  }

  function fill(select, devices, kind, fallback) {
    if (!select) return;
    var current = select.value;
    select.textContent = "";
    var n = 0;
    devices.forEach(function (device) {
      if (device.kind !== kind) return;
      n++;
      var option = document.createElement("option");
      option.value = device.deviceId;
      option.textContent = device.label || fallback + " " + n;
      select.appendChild(option);
    });
    if (current) select.value = current;
    return n;
  }

  function listDevices() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return Promise.resolve();
    return navigator.mediaDevices.enumerateDevices().then(function (devices) {
      var cameras = fill($("camera-choice"), devices, "videoinput", words.camera);
      fill($("microphone-choice"), devices, "audioinput", "Micro");
      var sinks = "setSinkId" in HTMLMediaElement.prototype ? fill($("speaker-choice"), devices, "audiooutput", words.speaker_default) : 0;
      show("speaker-field", sinks > 0);
      show("call-switch", cameras > 1);
      var track = stream && stream.getVideoTracks()[0];
      var settings = track && track.getSettings ? track.getSettings() : {};
      if (settings.deviceId && $("camera-choice")) $("camera-choice").value = settings.deviceId;
      var audio = stream && stream.getAudioTracks()[0];
      var audioSettings = audio && audio.getSettings ? audio.getSettings() : {};
      if (audioSettings.deviceId && $("microphone-choice")) $("microphone-choice").value = audioSettings.deviceId;
    });
  }

  // The microphone's level on a meter, so the patient sees it hears them.
  function meter() {
    var out = $("mic-level");
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!out || !Context || !stream || !stream.getAudioTracks().length) return;
    if (meterContext) meterContext.close();
    meterContext = new Context();
    var analyser = meterContext.createAnalyser();
    meterContext.createMediaStreamSource(stream).connect(analyser);
    var data = new Uint8Array(analyser.fftSize);
    (function tick() {
      if (!meterContext || meterContext.state === "closed") return;
      analyser.getByteTimeDomainData(data);
      var peak = 0;
      for (var i = 0; i < data.length; i++) peak = Math.max(peak, Math.abs(data[i] - 128) / 128);
      out.value = peak;
      requestAnimationFrame(tick);
    })();
  }

  function testDevices() {
    message("");
    return acquire().then(function () {
      show("device-preview", true);
      message(words.device_ok, true);
      meter();
      return listDevices();
    }).catch(function (error) {
      message(deviceError(error), false);
    });
  }

  function speakerChosen() {
    var select = $("speaker-choice");
    var remote = $("remote-video");
    if (select && select.value && remote && remote.setSinkId) remote.setSinkId(select.value).catch(function () {});
  }

  // ---- the socket ----------------------------------------------------------------

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function signal(data) { send({ type: "signal", data: data }); }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.getAttribute("data-socket"));
    socket.onopen = function () {
      retries = 0;
      clearInterval(pingTimer);
      pingTimer = setInterval(function () { send({ type: "ping" }); }, PING_EVERY_MS);
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      document.dispatchEvent(new CustomEvent("room:" + frame.type, { detail: frame.data }));
      queue = queue.then(function () { return received(frame); }).catch(function (error) {
        if (window.console) console.warn("call:", error);
      });
    };
    socket.onclose = function () {
      clearInterval(pingTimer);
      if (closedForGood) return;
      say(words.lost);
      retries++;
      setTimeout(connect, Math.min(10000, 1000 * retries));
    };
  }

  function received(frame) {
    if (frame.type === "hello") {
      me = frame.data.you;
      iceServers = frame.data.ice_servers || [];
      var status = frame.data.status;
      // Back in a running call (a refresh, a lost socket): ask the other side for a fresh offer.
      if (status.state === "in_call" && side === "patient" && !pc) {
        return applyState(status).then(function () { signal({ ready: true }); });
      }
      return applyState(status);
    }
    if (frame.type === "state") return applyState(frame.data);
    if (frame.type === "signal") return onSignal(frame.data || {}, frame.sender);
    return null;
  }

  // ---- the room's state ----------------------------------------------------------

  function applyState(status) {
    state = status.state;
    root.setAttribute("data-state", state);
    var late = $("call-late");
    if (late) {
      late.hidden = !status.late_minutes;
      if (status.late_minutes) late.textContent = words.late.replace("{minutes}", status.late_minutes);
    }
    if (side === "staff") refreshStaffState();
    if (state === "ended") return ended();
    if (state === "in_call") {
      show("before-call", false);
      show("waiting-room", false);
      show("call-stage", mayJoin);
      say(side === "patient" ? words.in_call : words.staff_in_call);
      if (mayJoin) return startCall();
      return null;
    }
    if (side === "patient") {
      if (joined) {
        show("before-call", false);
        show("waiting-room", true);
        say(words.waiting);
      }
    } else {
      say(state === "waiting" ? (status.present ? words.staff_waiting : words.staff_away) : words.staff_empty);
    }
    return null;
  }

  // The staff window's state block (Accept, who is waiting) as the server renders it.
  function refreshStaffState() {
    if (window.htmx && $("call-state")) {
      window.htmx.ajax("GET", location.pathname, { target: "#call-state", swap: "outerHTML" });
    }
  }

  function ended() {
    closedForGood = true;
    hangUpLocally();
    show("before-call", false);
    show("waiting-room", false);
    show("call-stage", false);
    show("call-ended", true);
    say(words.ended);
    try { sessionStorage.removeItem(storageKey); } catch (e) { /* private mode */ }
    if (socket) socket.close();
    return null;
  }

  function hangUpLocally() {
    clearInterval(statsTimer);
    clearTimeout(restartTimer);
    if (pc) pc.close();
    pc = null;
    if (screenTrack) screenTrack.stop();
    screenTrack = null;
    stopStream();
    if (meterContext) meterContext.close();
    meterContext = null;
  }

  // ---- the connection --------------------------------------------------------------

  function startCall() {
    if (pc) return Promise.resolve();
    var ready = stream ? Promise.resolve() : acquire().catch(function (error) { message(deviceError(error), false); });
    return ready.then(function () {
      if (!pc && state === "in_call") newConnection();
    });
  }

  function newConnection() {
    if (pc) pc.close();
    makingOffer = ignoreOffer = false;
    audioOnly = false;
    lastLoss = null;
    pc = new RTCPeerConnection({ iceServers: iceServers });
    var connection = pc;
    if (stream) {
      stream.getTracks().forEach(function (track) { connection.addTrack(track, stream); });
    }
    // Without a camera or microphone, still receive the other side.
    if (!stream || !stream.getAudioTracks().length) connection.addTransceiver("audio", { direction: "recvonly" });
    if (!stream || !stream.getVideoTracks().length) connection.addTransceiver("video", { direction: "recvonly" });
    connection.ontrack = function (event) {
      var remote = $("remote-video");
      if (!remote) return;
      if (!remote.srcObject || remote.srcObject.id !== (event.streams[0] && event.streams[0].id)) {
        remote.srcObject = event.streams[0] || new MediaStream([event.track]);
      }
      speakerChosen();
      play(remote);
    };
    connection.onicecandidate = function (event) {
      if (connection === pc) signal({ candidate: event.candidate });
    };
    connection.onnegotiationneeded = function () {
      // The practitioner offers; the patient only renegotiates a running connection.
      if (polite && !connection.remoteDescription) return;
      makingOffer = true;
      connection.setLocalDescription().then(function () {
        signal({ description: connection.localDescription });
      }).catch(function (error) {
        if (window.console) console.warn("call: offer", error);
      }).then(function () { makingOffer = false; });
    };
    connection.oniceconnectionstatechange = function () {
      if (connection !== pc) return;
      var ice = connection.iceConnectionState;
      clearTimeout(restartTimer);
      if (ice === "disconnected") {
        quality("reconnecting");
        restartTimer = setTimeout(function () {
          if (connection === pc && connection.iceConnectionState !== "connected" && connection.iceConnectionState !== "completed") connection.restartIce();
        }, RESTART_AFTER_MS);
      } else if (ice === "failed") {
        quality("reconnecting");
        connection.restartIce();
      } else if (ice === "connected" || ice === "completed") {
        quality("good");
      }
    };
    clearInterval(statsTimer);
    statsTimer = setInterval(measure, STATS_EVERY_MS);
  }

  function onSignal(data, sender) {
    if (!mayJoin || state !== "in_call") return null;
    if (data.ready) {
      // The patient came back without a connection: a fresh one, and a fresh offer.
      if (side === "staff") {
        peer = sender;
        return startCall().then(function () { if (pc && pc.remoteDescription) newConnection(); });
      }
      return null;
    }
    return startCall().then(function () {
      if (!pc) return null;
      var description = data.description;
      if (description) {
        // The other side reloaded its page: its new connection replaces ours.
        if (description.type === "offer" && peer && sender && sender !== peer && polite) newConnection();
        peer = sender || peer;
        var collision = description.type === "offer" && (makingOffer || pc.signalingState !== "stable");
        ignoreOffer = !polite && collision;
        if (ignoreOffer) return null;
        var connection = pc;
        return connection.setRemoteDescription(description).then(function () {
          if (description.type !== "offer") return null;
          return connection.setLocalDescription().then(function () {
            signal({ description: connection.localDescription });
          });
        });
      }
      if ("candidate" in data) {
        return pc.addIceCandidate(data.candidate || null).catch(function (error) {
          if (!ignoreOffer && window.console) console.warn("call: candidate", error);
        });
      }
      return null;
    });
  }

  // Autoplay with sound may be refused until the person taps: then the video plays
  // without sound, and a button asks for the tap that turns the sound on.
  function play(video) {
    var playing = video.play();
    if (!playing || !playing.catch) return;
    playing.catch(function (error) {
      if (error.name !== "NotAllowedError") return;
      var button = $("start-sound");
      video.muted = true;
      video.play().catch(function () {});
      if (!button) return;
      button.hidden = false;
      button.onclick = function () {
        button.hidden = true;
        video.muted = false;
        video.play().catch(function () {});
      };
    });
  }

  function senderOf(kind) {
    if (!pc) return null;
    var senders = pc.getSenders();
    for (var i = 0; i < senders.length; i++) {
      if (senders[i].track && senders[i].track.kind === kind) return senders[i];
    }
    var transceivers = pc.getTransceivers();
    for (var j = 0; j < transceivers.length; j++) {
      var receiver = transceivers[j].receiver;
      if (receiver.track && receiver.track.kind === kind) return transceivers[j].sender;
    }
    return null;
  }

  // New tracks (another camera or microphone) into the running call, without renegotiation.
  function replaceSenders() {
    if (!pc || !stream) return;
    stream.getTracks().forEach(function (track) {
      if (track.kind === "video" && screenTrack) return; // the screen stays shared
      var sender = senderOf(track.kind);
      if (sender) sender.replaceTrack(track);
    });
    applyToggles();
  }

  // ---- quality -----------------------------------------------------------------------

  function quality(level) {
    var out = $("call-quality");
    if (!out || out.getAttribute("data-quality") === level) return;
    out.setAttribute("data-quality", level);
    out.textContent = words["quality_" + level];
  }

  function measure() {
    var connection = pc;
    if (!connection) return;
    connection.getStats().then(function (report) {
      var rtt = null, jitter = 0, lost = 0, received = 0, limited = "none", outgoing = null;
      report.forEach(function (stat) {
        if (stat.type === "candidate-pair" && stat.nominated && stat.state === "succeeded") {
          rtt = stat.currentRoundTripTime;
          outgoing = stat.availableOutgoingBitrate;
        } else if (stat.type === "inbound-rtp" && stat.kind === "audio") {
          jitter = stat.jitter || 0;
          lost += stat.packetsLost || 0;
          received += stat.packetsReceived || 0;
        } else if (stat.type === "outbound-rtp" && stat.kind === "video" && stat.qualityLimitationReason) {
          limited = stat.qualityLimitationReason;
        }
      });
      var ice = connection.iceConnectionState;
      if (ice === "disconnected" || ice === "failed" || ice === "checking") return quality("reconnecting");
      var loss = 0;
      if (lastLoss) {
        var newLost = lost - lastLoss.lost, newReceived = received - lastLoss.received;
        loss = newLost + newReceived > 0 ? newLost / (newLost + newReceived) : 0;
      }
      lastLoss = { lost: lost, received: received };
      var poor = (rtt !== null && rtt > 0.4) || jitter > 0.05 || loss > 0.05 || limited === "bandwidth";
      quality(poor ? "poor" : "good");
      fallBack(poor, outgoing);
    }).catch(function () {});
  }

  // Video cannot be kept (bandwidth-limited, under ~150 kbit/s, three samples running):
  // stop sending it and keep the sound; send it again once the link has recovered.
  function fallBack(poor, outgoing) {
    var weak = poor && outgoing !== null && outgoing !== undefined && outgoing < 150000;
    poorSamples = weak ? poorSamples + 1 : 0;
    goodSamples = !poor && outgoing && outgoing > 400000 ? goodSamples + 1 : 0;
    if (!audioOnly && poorSamples >= 3) setVideoSending(false);
    else if (audioOnly && goodSamples >= 5) setVideoSending(true);
  }

  function setVideoSending(on) {
    var sender = senderOf("video");
    if (!sender || !sender.getParameters) return;
    var parameters = sender.getParameters();
    if (!parameters.encodings || !parameters.encodings.length) return;
    parameters.encodings.forEach(function (encoding) { encoding.active = on; });
    sender.setParameters(parameters).then(function () {
      audioOnly = !on;
      show("call-audio-only", audioOnly);
      if (audioOnly) say(words.audio_only);
    }).catch(function () {});
  }

  // ---- controls -----------------------------------------------------------------------

  function pressed(id) { var button = $(id); return !!button && button.getAttribute("aria-pressed") === "true"; }

  function applyToggles() {
    if (!stream) return;
    stream.getAudioTracks().forEach(function (track) { track.enabled = !pressed("call-mute"); });
    stream.getVideoTracks().forEach(function (track) { track.enabled = !pressed("call-camera"); });
  }

  function toggle(id) {
    var button = $(id);
    button.setAttribute("aria-pressed", String(!pressed(id)));
    applyToggles();
  }

  function shareScreen() {
    var button = $("call-share");
    if (screenTrack) return stopSharing();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) return say(words.share_failed);
    return navigator.mediaDevices.getDisplayMedia({ video: true, audio: false }).then(function (display) {
      screenTrack = display.getVideoTracks()[0];
      var sender = senderOf("video");
      if (sender) sender.replaceTrack(screenTrack);
      $("local-video").srcObject = display;
      button.setAttribute("aria-pressed", "true");
      screenTrack.onended = stopSharing; // the browser's own "Stop sharing"
    }).catch(function () { say(words.share_failed); });
  }

  function stopSharing() {
    if (screenTrack) screenTrack.stop();
    screenTrack = null;
    $("call-share").setAttribute("aria-pressed", "false");
    var camera = stream && stream.getVideoTracks()[0];
    var sender = senderOf("video");
    if (sender) sender.replaceTrack(camera || null);
    if (stream) $("local-video").srcObject = stream;
  }

  // Phones: the next camera, on the same stream (the old track is stopped first: iOS
  // mutes a camera acquired twice), into the running call by replaceTrack.
  function switchCamera() {
    var select = $("camera-choice");
    return navigator.mediaDevices.enumerateDevices().then(function (devices) {
      var cameras = devices.filter(function (device) { return device.kind === "videoinput"; });
      var old = stream && stream.getVideoTracks()[0];
      var current = old && old.getSettings ? old.getSettings().deviceId : null;
      var index = 0;
      for (var i = 0; i < cameras.length; i++) if (cameras[i].deviceId === current) index = i;
      var next = cameras[(index + 1) % cameras.length];
      if (!next) return null;
      if (old) { old.stop(); stream.removeTrack(old); }
      return navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: next.deviceId } } }).then(function (got) {
        var track = got.getVideoTracks()[0];
        if (!stream) stream = new MediaStream();
        stream.addTrack(track);
        if (select) select.value = next.deviceId;
        var sender = senderOf("video");
        if (sender && !screenTrack) sender.replaceTrack(track);
        $("local-video").srcObject = stream;
        applyToggles();
      });
    }).catch(function (error) { say(deviceError(error)); });
  }

  function hangUp() {
    send({ type: "hangup" });
  }

  function join() {
    joined = true;
    try { sessionStorage.setItem(storageKey, "1"); } catch (e) { /* private mode */ }
    show("before-call", false);
    show("waiting-room", true);
    say(words.connecting);
    if (meterContext) { meterContext.close(); meterContext = null; }
    var ready = stream ? Promise.resolve() : acquire().catch(function () { return null; });
    ready.then(function () { if (!socket) connect(); });
  }

  // ---- wiring -----------------------------------------------------------------------

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button");
    if (!button || !root.contains(button)) return;
    var id = button.id;
    if (id === "device-test") testDevices();
    else if (id === "join-room") join();
    else if (id === "call-mute" || id === "call-camera") toggle(id);
    else if (id === "call-share") shareScreen();
    else if (id === "call-switch") switchCamera();
    else if (id === "call-hangup") hangUp();
  });
  document.addEventListener("change", function (event) {
    var id = event.target.id;
    if (id === "camera-choice" || id === "microphone-choice") {
      acquire().then(function () { meter(); return listDevices(); }).catch(function (error) { message(deviceError(error), false); });
    } else if (id === "speaker-choice") {
      speakerChosen();
    }
  });
  // The chat panel comes from another part of the platform: while it is missing (404) or
  // failing, the call page stays as it is instead of being replaced by the error page.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.elt;
    if (target && target.id === "call-chat" && event.detail.xhr.status >= 400) {
      event.detail.shouldSwap = false;
      event.detail.isError = false;
    }
  });
  // A payment request (issue 14), told to the room: the patient sees "Pay" (or that it is
  // paid) at once; the call window reloads its payment panel.
  var LOCALES = { fr: "fr-CA", en: "en-CA" };
  document.addEventListener("room:payment", function (event) {
    var data = event.detail || {};
    if (side !== "patient") {
      var panel = $("payment-panel");
      if (panel && window.htmx) window.htmx.ajax("GET", panel.getAttribute("data-url"), { target: "#payment-panel", swap: "outerHTML" });
      return;
    }
    var box = $("call-pay");
    if (!box) return;
    var paid = data.status === "paid";
    box.hidden = data.status === "expired";
    box.setAttribute("data-status", data.status || "");
    show("call-pay-due", !paid);
    show("call-pay-link-row", !paid);
    show("call-paid", paid);
    var amount = $("call-pay-amount");
    if (amount && data.amount_cents && data.currency) {
      var lang = document.documentElement.lang || "en";
      try {
        amount.textContent = new Intl.NumberFormat(LOCALES[lang] || lang, { style: "currency", currency: String(data.currency).toUpperCase() }).format(data.amount_cents / 100);
      } catch (e) { /* an unknown currency: keep the text as it is */ }
    }
  });
  window.addEventListener("pagehide", function () { closedForGood = true; if (socket) socket.close(); hangUpLocally(); });

  if (state === "ended") {
    show("call-ended", true);
    return;
  }
  if (side === "staff") {
    connect(); // a secretary's socket hears the state only
  } else {
    var back = false;
    try { back = sessionStorage.getItem(storageKey) === "1"; } catch (e) { /* private mode */ }
    if (back || state === "in_call") join(); // a refresh keeps the place (and the call)
  }
})();
