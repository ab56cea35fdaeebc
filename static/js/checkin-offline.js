// Offline check-ins: a scan made without network is kept in IndexedDB (code, nonce, scan time and the
// phone's own geofence result: inside or not, distance rounded to 10 m, accuracy; never the position),
// shown as 待同步, and sent when the network returns. The server never counts a retry twice (the nonce).
(function () {
  "use strict";

  var DB = "sc-checkin", STORE = "scans";
  var syncing = false;

  function texts() {
    var el = document.getElementById("checkin-texts");
    try { return el ? JSON.parse(el.textContent) : {}; } catch (e) { return {}; }
  }

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "nonce" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }

  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function put(entry) { return tx("readwrite", function (s) { s.put(entry); }); }
  function remove(nonce) { return tx("readwrite", function (s) { s.delete(nonce); }); }

  function newNonce() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // The geofence on the phone: distance <= radius + min(accuracy, 50 m); accuracy over 150 m gives no result.
  function distance(lat1, lon1, lat2, lon2) {
    var r = 6371008.8, rad = Math.PI / 180;
    var dp = (lat2 - lat1) * rad, dl = (lon2 - lon1) * rad;
    var a = Math.pow(Math.sin(dp / 2), 2) + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.pow(Math.sin(dl / 2), 2);
    return 2 * r * Math.asin(Math.sqrt(a));
  }

  function judge(fence) {
    var parts = (fence || "").split(",").map(Number);
    if (parts.length < 4 || parts.some(isNaN) || parts[3] !== 1 || !("geolocation" in navigator)) return Promise.resolve(null);
    return new Promise(function (resolve) {
      navigator.geolocation.getCurrentPosition(function (pos) {
        var acc = pos.coords.accuracy;
        if (acc > 150) { resolve(null); return; }
        var d = distance(pos.coords.latitude, pos.coords.longitude, parts[0], parts[1]);
        resolve({ inside: d <= parts[2] + Math.min(acc, 50), distance_m: Math.round(d / 10) * 10, accuracy_m: Math.round(acc) });
      }, function () { resolve(null); }, { enableHighAccuracy: true, maximumAge: 0, timeout: 10000 });
    });
  }

  function keep(code, fence) {
    var scannedAt = Date.now();
    return all().then(function (entries) {
      // the same code kept twice (a reload) would count as a check-out: keep it once
      if (entries.some(function (e) { return e.code === code; })) return render();
      return judge(fence).then(function (geo) {
        return put({ nonce: newNonce(), code: code, scanned_at: scannedAt, geo: geo, state: "pending", message: "" });
      }).then(render);
    });
  }

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // A fresh CSRF token: this page may have been kept by the service worker for days.
  function freshToken() {
    return fetch("/checkin/token", { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (body) { return body.csrf || csrf(); }, function () { return csrf(); });
  }

  function sync() {
    if (syncing || navigator.onLine === false) return Promise.resolve();
    syncing = true;
    var token = "";
    return all().then(function (entries) {
      var pending = entries.filter(function (e) { return e.state === "pending"; });
      if (!pending.length) return null;
      return freshToken().then(function (t) { token = t; return pending; });
    }).then(function (pending) {
      return (pending || []).reduce(function (chain, entry) {
        return chain.then(function () {
          return fetch("/checkin/sync", {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": token },
            body: JSON.stringify({ code: entry.code, nonce: entry.nonce, scanned_at: entry.scanned_at, geo: entry.geo })
          }).then(function (response) {
            return response.json().catch(function () { return {}; }).then(function (body) {
              if (response.ok && body.ok) { announce(texts().synced); return remove(entry.nonce); }
              if (response.status >= 400 && response.status < 500 && body.code) {
                entry.state = "failed"; entry.message = body.message || ""; return put(entry);
              }
              throw new Error("retry later");  // 5xx, a sign-in page...: keep it and stop for now
            });
          });
        });
      }, Promise.resolve());
    }).catch(function () { /* offline again: the next 'online' event retries */ })
      .then(function () { syncing = false; return render(); });
  }

  function announce(text) {
    var status = document.querySelector("[data-scan-status]");
    if (status && text) status.textContent = text;
  }

  function render() {
    var card = document.querySelector("[data-offline-card]");
    var list = document.querySelector("[data-offline-list]");
    if (!card || !list) return Promise.resolve();
    return all().then(function (entries) {
      var t = texts();
      list.textContent = "";
      entries.sort(function (a, b) { return a.scanned_at - b.scanned_at; });
      entries.forEach(function (entry) {
        var li = document.createElement("li");
        li.className = "list-row offline-entry";
        li.setAttribute("data-offline-state", entry.state);
        var left = document.createElement("span");
        left.textContent = (t.scanned_at || "") + " " + new Date(entry.scanned_at).toLocaleTimeString();
        if (entry.message) {
          var why = document.createElement("span");
          why.className = "muted small offline-why";
          why.textContent = entry.message;
          left.appendChild(document.createElement("br"));
          left.appendChild(why);
        }
        var tag = document.createElement("span");
        tag.className = entry.state === "failed" ? "tag tag-red" : "tag";
        tag.textContent = entry.state === "failed" ? t.failed : t.pending;
        li.appendChild(left);
        li.appendChild(tag);
        if (entry.state === "failed") {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "btn btn-small btn-ghost";
          button.textContent = t.remove || "×";
          button.addEventListener("click", function () { remove(entry.nonce).then(render); });
          li.appendChild(button);
        }
        list.appendChild(li);
      });
      card.hidden = entries.length === 0;
    }).catch(function () { card.hidden = true; });
  }

  window.ScOffline = { keep: keep, sync: sync, render: render };
  window.addEventListener("online", sync);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) sync(); });
  document.addEventListener("DOMContentLoaded", function () {
    if (!("indexedDB" in window)) return;
    // a code opened by the phone's camera app while offline: the service worker served this page for it
    var opened = window.location.pathname.match(/^\/c\/([^/?#]+)$/);
    if (opened && document.querySelector("[data-offline-shell]")) {
      var fence = window.location.hash.indexOf("#g=") === 0 ? window.location.hash.slice(3) : "";
      keep(decodeURIComponent(opened[1]), fence).then(function () { announce(texts().kept); });
    }
    render().then(sync);
    window.setInterval(sync, 30000);
  });
})();
