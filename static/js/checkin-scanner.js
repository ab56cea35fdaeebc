// The app's own scanner (qr-scanner, vendored). The camera is asked for only when the member taps 扫码.
// data-scanner="member": a station code opens its confirmation (or is kept offline); a meeting's code
// (/meetings/c/...) opens the meeting sign-in, which needs the network;
// data-scanner="kiosk": staff scan a member's own code into the kiosk form.
(function () {
  "use strict";

  function texts() {
    var el = document.getElementById("checkin-texts");
    try { return el ? JSON.parse(el.textContent) : {}; } catch (e) { return {}; }
  }

  // Whether the server answers (navigator.onLine alone is too hopeful on a weak network).
  function reachable() {
    if (navigator.onLine === false) return Promise.resolve(false);
    var controller = "AbortController" in window ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 3000) : null;
    return fetch("/healthz", { cache: "no-store", credentials: "same-origin", signal: controller && controller.signal })
      .then(function (r) { return r.ok; }, function () { return false; })
      .finally(function () { if (timer) clearTimeout(timer); });
  }

  function stationCode(text) {
    var url;
    try { url = new URL(text, window.location.href); } catch (e) { return null; }
    var m = url.pathname.match(/^\/(meetings\/)?c\/([^/?#]+)$/);
    if (!m) return null;
    return { url: url, code: decodeURIComponent(m[2]), meeting: !!m[1],
             fence: url.hash.indexOf("#g=") === 0 ? url.hash.slice(3) : "" };
  }

  function setup(box) {
    var card = box.closest(".card") || document;
    var startButton = card.querySelector("[data-scan-start]");
    var stopButton = box.querySelector("[data-scan-stop]");
    var status = card.querySelector("[data-scan-status]");
    var video = box.querySelector("video");
    var mode = box.getAttribute("data-scanner");
    var scanner = null;
    var busy = false;
    var t = texts();

    function say(text) { if (status) status.textContent = text || ""; }
    function stop() {
      if (scanner) { scanner.stop(); scanner.destroy(); scanner = null; }
      box.hidden = true;
      if (startButton) startButton.hidden = false;
    }

    function onMember(text) {
      var found = stationCode(text);
      if (!found) { say(t.not_ours); busy = false; return; }
      stop();
      say(t.checking);
      reachable().then(function (online) {
        if (online && found.url.origin === window.location.origin) {
          say(t.opening);
          window.location.assign(found.url.pathname + "?via=app");
        } else if (found.meeting) {
          say(t.meeting_offline); busy = false;
          if (startButton) startButton.hidden = false;
        } else if (window.ScOffline) {
          window.ScOffline.keep(found.code, found.fence).then(function () { say(t.kept); busy = false; });
        } else {
          window.location.assign(found.url.href);
        }
      });
    }

    function onKiosk(text) {
      var form = document.querySelector("form[data-staff-scan]");
      if (!form) return;
      form.elements.code.value = text;
      if (window.crypto && crypto.getRandomValues) {
        var bytes = new Uint8Array(16);
        crypto.getRandomValues(bytes);
        form.elements.nonce.value = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      }
      form.requestSubmit ? form.requestSubmit() : form.submit();
      setTimeout(function () { busy = false; }, 2500);  // then the next member
    }

    function decoded(result) {
      if (busy) return;
      busy = true;
      var text = result && result.data !== undefined ? result.data : result;
      if (mode === "kiosk") onKiosk(text); else onMember(text);
    }

    if (startButton) startButton.addEventListener("click", function () {
      if (!window.QrScanner) { say(t.no_camera); return; }
      box.hidden = false;
      startButton.hidden = true;
      say(t.starting);
      busy = false;
      scanner = new window.QrScanner(video, decoded, {
        returnDetailedScanResult: true, preferredCamera: "environment", maxScansPerSecond: 8
      });
      scanner.start().then(function () { say(""); }, function () { stop(); say(t.no_camera); });
    });
    if (stopButton) stopButton.addEventListener("click", stop);
    window.addEventListener("pagehide", stop);
  }

  // Load the decoder's worker module now, while online: qr-scanner imports it only when the camera
  // starts, which may be after the network is gone. The module map keeps it for that import.
  function preloadWorker() {
    var lib = document.querySelector('script[src*="qr-scanner.umd"]');
    if (!lib) return;
    try { import(new URL("qr-scanner-worker.min.js", lib.src).href).catch(function () {}); } catch (e) { /* old browser */ }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll("[data-scanner]");
    if (boxes.length) preloadWorker();
    for (var i = 0; i < boxes.length; i++) setup(boxes[i]);
  });
})();
