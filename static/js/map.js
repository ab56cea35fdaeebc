// 地图 tab, map view: every station as a canvas circle marker (fast with thousands), the member's
// position and the 15-minute reach (only after consent; the position stays in this page's memory),
// and a card for a tapped marker. Tiles come from configuration; for GCJ-02 tiles (AMap) our
// WGS-84 coordinates are shifted into GCJ-02 here.
(function () {
  "use strict";

  // WGS-84 -> GCJ-02 (the published formula; identity outside China).
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
  function inChina(lat, lon) { return lat >= 3.86 && lat <= 53.55 && lon >= 73.66 && lon <= 135.05; }
  function dLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3;
    return r + (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
  }
  function dLon(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3;
    return r + (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
  }
  function wgsToGcj(lat, lon) {
    if (!inChina(lat, lon)) return [lat, lon];
    var rad = lat / 180 * PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    var la = dLat(lon - 105, lat - 35) * 180 / ((A * (1 - EE)) / (magic * sq) * PI);
    var lo = dLon(lon - 105, lat - 35) * 180 / (A / sq * Math.cos(rad) * PI);
    return [lat + la, lon + lo];
  }

  window.scWgsToGcj = wgsToGcj;  // for the browser test against services/coords.py

  function decode(data) {
    var out = [], id = 0, lat = 0, lon = 0;
    for (var i = 0; i < data.n; i++) {
      id += data.id[i]; lat += data.lat[i]; lon += data.lon[i];
      out.push({ id: id, lat: lat / data.scale, lon: lon / data.scale, f: data.f[i] });
    }
    return out;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("map");
    var cfgEl = document.getElementById("map-config");
    var status = document.getElementById("map-status");
    var card = document.getElementById("map-card");
    if (!el || !cfgEl) return;
    function say(text) { if (status) status.textContent = text || ""; }
    if (typeof L === "undefined") { say(el.getAttribute("data-failed")); return; }
    var cfg = JSON.parse(cfgEl.textContent);
    var gcj = cfg.tiles.crs === "gcj02";
    function toMap(lat, lon) { return gcj ? wgsToGcj(lat, lon) : [lat, lon]; }

    var start = cfg.focus ? toMap(cfg.focus.lat, cfg.focus.lon) : toMap(cfg.center.lat, cfg.center.lon);
    var map = L.map(el, { preferCanvas: true, zoomControl: false, maxZoom: cfg.tiles.max_zoom })
      .setView(start, cfg.focus ? 17 : cfg.center.zoom);
    L.control.zoom({ zoomInTitle: el.getAttribute("data-zoom-in"), zoomOutTitle: el.getAttribute("data-zoom-out") })
      .addTo(map);
    cfg.tiles.layers.forEach(function (url, k) {
      L.tileLayer(url, { maxZoom: cfg.tiles.max_zoom, subdomains: cfg.tiles.subdomains || "abc",
                         attribution: k === 0 ? cfg.tiles.attribution : "" }).addTo(map);
    });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    var renderer = L.canvas({ padding: 0.5, tolerance: 8 });
    window.scMap = map;

    function showCard(id) {
      var url = cfg.card.replace("/0/card", "/" + id + "/card");
      htmx.ajax("GET", url, { target: "#map-card", swap: "innerHTML" }).then(function () {
        card.hidden = false;
      });
    }

    say(el.getAttribute("data-loading"));
    fetch(cfg.markers, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        var list = decode(data);
        list.forEach(function (s) {
          L.circleMarker(toMap(s.lat, s.lon), {
            renderer: renderer, radius: 6, weight: 1.5, color: "#ffffff",
            fillColor: s.f ? "#1f6b35" : "#b3121d", fillOpacity: 0.9, bubblingMouseEvents: false
          }).on("click", function () { showCard(s.id); }).addTo(map);
        });
        el.setAttribute("data-markers", String(list.length));
        say("");
      })
      .catch(function () { say(el.getAttribute("data-failed")); });

    if (cfg.focus) showCard(cfg.focus.id);
    map.on("click", function () { card.hidden = true; });
    card.addEventListener("click", function (event) {
      if (event.target.closest("[data-close]")) card.hidden = true;
    });

    if (cfg.consent && "geolocation" in navigator) {
      navigator.geolocation.getCurrentPosition(function (pos) {
        var me = toMap(pos.coords.latitude, pos.coords.longitude);
        var reach = L.circle(me, { radius: cfg.reach_m, color: "#1a5fb4", weight: 2, fillColor: "#1a5fb4", fillOpacity: 0.08,
                       interactive: false }).addTo(map);
        L.circleMarker(me, { radius: 8, color: "#ffffff", weight: 3, fillColor: "#1a5fb4", fillOpacity: 1,
                             interactive: false }).addTo(map);
        if (!cfg.focus) map.fitBounds(reach.getBounds().pad(0.25));
        el.setAttribute("data-reach", String(cfg.reach_m));
        el.setAttribute("data-located", "1");
      }, function () {
        el.setAttribute("data-located", "0");
      }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 });
    }
  });
})();
