// 地图 tab, list view: ask the browser for the position (only after the member's consent), send it
// in a POST body to rank the stations, and keep it in memory only (never in a URL or in storage).
(function () {
  "use strict";
  var position = null;

  function $(id) { return document.getElementById(id); }

  function say(text) { var el = $("locate-status"); if (el) el.textContent = text || ""; }

  function filters() {
    var form = $("station-filters");
    var values = {};
    if (!form) return values;
    new FormData(form).forEach(function (value, key) { values[key] = value; });
    return values;
  }

  function postNearby() {
    var box = $("locate");
    if (!box || !position) return;
    var values = filters();
    delete values.q; delete values.district; delete values.home;
    values.lat = position.lat.toFixed(6);
    values.lon = position.lon.toFixed(6);
    htmx.ajax("POST", box.getAttribute("data-nearby-url"),
              { target: "#station_results", swap: "outerHTML", values: values });
  }

  function locate() {
    var button = $("locate-button");
    if (!button) return;
    if (!("geolocation" in navigator)) { say(button.getAttribute("data-failed")); return; }
    say(button.getAttribute("data-locating"));
    navigator.geolocation.getCurrentPosition(function (pos) {
      var lat = pos.coords.latitude, lon = pos.coords.longitude;
      if (!isFinite(lat) || !isFinite(lon)) { say(button.getAttribute("data-bad")); return; }
      position = { lat: lat, lon: lon };
      say("");
      var form = $("station-filters");
      if (form) form.setAttribute("data-near", "1");
      postNearby();
    }, function () {
      position = null;
      say(button.getAttribute("data-failed"));
      var results = $("station_results");
      if (results && results.getAttribute("data-mode") === "locate") results.innerHTML = "";
      // the district picker and search move up, next to the message that points to them
      var choose = document.querySelector(".choose");
      var box = $("locate");
      if (choose && box) box.parentNode.insertBefore(choose, box.nextSibling);
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 });
  }

  // With a position in use, filter changes re-rank near it (POST); otherwise the form's own GET.
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt;
    if (form && form.id === "station-filters" && position && form.getAttribute("data-near") === "1") {
      event.preventDefault();
      postNearby();
    }
  });

  // Our result fragments carry their own message with a 4xx status: show them.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var status = event.detail.xhr.status;
    if (target && target.id === "station_results" && status >= 400 && status < 500) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("#locate-button")) locate();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var box = $("locate");
    if (box && box.getAttribute("data-mode") === "locate") locate();
  });
})();
