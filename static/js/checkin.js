// Check-in pages: running timers, the position for codes that need it, and print buttons.
// No inline script: data comes from data-* attributes and the #checkin-texts JSON block.
(function () {
  "use strict";

  function texts() {
    var el = document.getElementById("checkin-texts");
    try { return el ? JSON.parse(el.textContent) : {}; } catch (e) { return {}; }
  }

  // [data-since]: a timer counting up from the check-in time.
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var nodes = document.querySelectorAll("[data-since]");
    for (var i = 0; i < nodes.length; i++) {
      var since = Date.parse(nodes[i].getAttribute("data-since"));
      if (isNaN(since)) continue;
      var s = Math.max(0, Math.floor((Date.now() - since) / 1000));
      nodes[i].textContent = Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
    }
  }

  // The confirmation form: ask for a fresh position only when the code needs it.
  function confirmForm(form) {
    var status = form.querySelector("[data-geo-status]");
    var sending = false;
    function send() { if (!sending) { sending = true; form.submit(); } }
    function withPosition() {
      var t = texts();
      if (!("geolocation" in navigator)) { form.elements.geo_error.value = "unsupported"; send(); return; }
      if (status) status.textContent = t.locating || "";
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.lat.value = pos.coords.latitude;
        form.elements.lon.value = pos.coords.longitude;
        form.elements.accuracy.value = pos.coords.accuracy;
        send();
      }, function (err) {
        form.elements.geo_error.value = err && err.code === 1 ? "denied" : "unavailable";
        send();
      }, { enableHighAccuracy: true, maximumAge: 0, timeout: 15000 });
    }
    form.addEventListener("submit", function (event) {
      if (sending) { event.preventDefault(); return; }
      var button = form.querySelector("button[type=submit]");
      if (button) button.setAttribute("aria-disabled", "true");
      if (form.hasAttribute("data-needs-position")) { event.preventDefault(); withPosition(); }
      else { sending = true; }
    });
    if (form.hasAttribute("data-auto")) {
      if (form.hasAttribute("data-needs-position")) withPosition(); else send();
    }
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    if (document.querySelector("[data-since]")) window.setInterval(tick, 1000);
    var form = document.querySelector("form[data-scan-confirm]");
    if (form) confirmForm(form);
  });
})();
