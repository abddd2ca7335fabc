// The gate phone: a camera scanner (the browser's BarcodeDetector, or jsQR from
// static/vendor), a typed code, and a queue kept in localStorage while the network is away.
// Without this file the typed-code form posts and the page answers with the result.
(function () {
  "use strict";
  var gate = document.getElementById("gate");
  if (!gate || !window.fetch || !window.localStorage || !window.JSON) return;

  var fairId = gate.getAttribute("data-fair");
  var scanUrl = gate.getAttribute("data-scan-url");
  var csrf = gate.getAttribute("data-csrf");
  var form = document.getElementById("gate-form");
  var codeInput = form.querySelector("input[name=code]");
  var deviceInput = form.querySelector("input[name=device]");
  var outsideInput = form.querySelector("input[name=allow_outside]");
  var live = document.getElementById("gate-live");
  var queueLine = document.getElementById("gate-queue");
  var queueKey = "gate-queue-" + fairId;
  var deviceKey = "gate-device";
  var sending = false;

  function text(name) {
    return gate.getAttribute("data-text-" + name) || "";
  }

  // --- the gate's name, remembered on this phone ---
  if (deviceInput) {
    var saved = localStorage.getItem(deviceKey);
    if (saved && !deviceInput.value) deviceInput.value = saved;
    deviceInput.addEventListener("change", function () {
      localStorage.setItem(deviceKey, deviceInput.value.trim());
    });
  }

  // --- the queue ---
  function readQueue() {
    try {
      var items = JSON.parse(localStorage.getItem(queueKey) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (e) {
      return [];
    }
  }
  function writeQueue(items) {
    localStorage.setItem(queueKey, JSON.stringify(items));
    showQueue();
  }
  function showQueue() {
    var n = readQueue().length;
    queueLine.hidden = n === 0;
    queueLine.textContent = n === 1 ? text("waiting-one") : text("waiting").replace("{n}", n);
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); })
      .join("");
  }

  // --- showing a result: big, coloured, in words, announced ---
  function show(tone, title, message, code) {
    var box = document.createElement("div");
    box.className = "gate-result gate-result--" + tone;
    box.id = "gate-result";
    var head = document.createElement("p");
    head.className = "gate-result__title";
    var mark = document.createElement("span");
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = { ok: "✓", warn: "!", queued: "…" }[tone] || "✕";
    head.appendChild(mark);
    head.appendChild(document.createTextNode(" " + title));
    box.appendChild(head);
    var body = document.createElement("p");
    body.className = "gate-result__text";
    body.textContent = message;
    box.appendChild(body);
    if (code) {
      var line = document.createElement("p");
      line.className = "gate-result__code";
      var c = document.createElement("code");
      c.textContent = code;
      line.appendChild(c);
      box.appendChild(line);
    }
    box.setAttribute("data-result", tone);
    live.textContent = "";
    live.appendChild(box);
  }

  // --- sending ---
  function refreshToken() {
    // A gate phone left open for hours: its form token may have expired; the page has a new one.
    return fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var m = html.match(/data-csrf="([^"]+)"/);
        if (m) csrf = m[1];
      });
  }

  function post(item, retried) {
    return fetch(scanUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(item),
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("json") >= 0;
      if (response.ok && json) return response.json();
      if (response.status === 400 && !json && !retried) {
        return refreshToken().then(function () { return post(item, true); });
      }
      if (json && response.status >= 400 && response.status < 500) {
        // Refused for good (bad scan, not this organiser's fair): nothing to retry.
        return response.json().then(function (body) {
          return { result: "refused", tone: "stop", title: body.error || text("error"), message: "" };
        });
      }
      throw new Error("not sent: " + response.status);
    });
  }

  function flush() {
    if (sending) return Promise.resolve();
    var items = readQueue();
    if (!items.length) return Promise.resolve();
    sending = true;
    var item = items[0];
    return post(item, false)
      .then(function (answer) {
        writeQueue(readQueue().filter(function (x) { return x.client_scan_id !== item.client_scan_id; }));
        show(answer.tone, answer.title, answer.message, answer.code);
        var counts = document.getElementById("gate-counts");
        if (counts && answer.counts) counts.textContent = answer.counts;
        sending = false;
        return flush();
      })
      .catch(function () {
        sending = false;
        showQueue();
      });
  }

  function scan(code) {
    code = (code || "").trim();
    if (!code) return;
    var item = {
      code: code.slice(0, 2000),
      client_scan_id: newId(),
      scanned_at: new Date().toISOString(),
      device: deviceInput ? deviceInput.value.trim().slice(0, 60) : "",
      allow_outside: !!(outsideInput && outsideInput.checked),
    };
    var items = readQueue();
    items.push(item);
    writeQueue(items);
    if (!navigator.onLine) {
      show("queued", text("queued-title"), text("queued"), code.toUpperCase());
      return;
    }
    flush().then(function () {
      if (readQueue().some(function (x) { return x.client_scan_id === item.client_scan_id; })) {
        show("queued", text("queued-title"), text("queued"), code.toUpperCase());
      }
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    scan(codeInput.value);
    codeInput.value = "";
    codeInput.focus();
  });
  window.addEventListener("online", flush);
  window.setInterval(flush, 10000);
  showQueue();
  flush();

  // --- the camera ---
  var box = document.getElementById("gate-camera");
  var video = document.getElementById("gate-video");
  var help = document.getElementById("gate-camera-help");
  var toggle = document.getElementById("gate-camera-toggle");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  box.hidden = false;
  help.textContent = text("camera-on");
  var stream = null;
  var detector = null;
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var last = { code: "", at: 0 };

  function chooseDecoder() {
    if ("BarcodeDetector" in window && window.BarcodeDetector.getSupportedFormats) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") >= 0) detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      }).catch(function () {});
    }
    return Promise.resolve();
  }

  function read() {
    if (!stream || video.readyState < 2) return Promise.resolve(null);
    if (detector) {
      return detector.detect(video).then(function (codes) {
        return codes.length ? codes[0].rawValue : null;
      });
    }
    if (!window.jsQR) return Promise.resolve(null);
    var w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) return Promise.resolve(null);
    var scale = Math.min(1, 640 / Math.max(w, h));
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    return Promise.resolve(found ? found.data : null);
  }

  function loop() {
    if (!stream) return;
    read()
      .then(function (value) {
        var now = Date.now();
        // The same badge held in front of the camera is one scan, not one a frame.
        if (value && !(value === last.code && now - last.at < 4000)) {
          last = { code: value, at: now };
          if (navigator.vibrate) navigator.vibrate(80);
          scan(value);
        } else if (value) {
          last.at = now;
        }
      })
      .catch(function () {})
      .then(function () { window.setTimeout(loop, 200); });
  }

  function start() {
    return navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        video.hidden = false;
        video.srcObject = s;
        return video.play();
      })
      .then(chooseDecoder)
      .then(function () {
        toggle.textContent = toggle.getAttribute("data-stop");
        box.setAttribute("data-scanning", detector ? "barcode-detector" : "jsqr");
        loop();
      })
      .catch(function () {
        stop();
        help.textContent = text("camera-off");
      });
  }

  function stop() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    box.removeAttribute("data-scanning");
    toggle.textContent = toggle.getAttribute("data-start");
  }

  toggle.addEventListener("click", function () {
    if (stream) stop();
    else start();
  });
})();

// Attendance: the list follows the gates while the page is open and visible.
(function () {
  "use strict";
  var page = document.getElementById("attendance");
  if (!page || !window.fetch || !window.DOMParser) return;
  var seconds = parseInt(page.getAttribute("data-live"), 10) || 20;
  window.setInterval(function () {
    if (document.hidden) return;
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("attendance-live");
        var current = document.getElementById("attendance-live");
        if (fresh && current) current.replaceWith(fresh);
      })
      .catch(function () {});
  }, seconds * 1000);
})();
