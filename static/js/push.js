// 我的 → push reminders on this phone: nothing is asked on page load; a tap on 开启推送 asks the browser for
// permission, subscribes with the server's VAPID key and hands the subscription to the server.
(function () {
  "use strict";
  var box = document.getElementById("push-box");
  if (!box) return;
  var $ = function (sel) { return box.querySelector(sel); };
  var state = $("[data-push-state]"), msg = $("[data-push-msg]"), actions = $("[data-push-actions]");
  var on = $("[data-push-on]"), off = $("[data-push-off]"), test = $("[data-push-test]");

  function say(text) { msg.textContent = text || ""; }
  function show(subscribed) {
    state.textContent = subscribed ? state.dataset.on : state.dataset.off;
    on.hidden = subscribed; off.hidden = !subscribed; test.hidden = !subscribed;
    actions.hidden = false;
  }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say(msg.dataset.unsupported);
    return;
  }
  function key(base64) {
    var padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function post(url, body) {
    var token = document.querySelector('meta[name="csrf-token"]');
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.content : "" },
      body: JSON.stringify(body) }).then(function (r) {
      return r.json().catch(function () { return { ok: false, message: msg.dataset.failed }; });
    });
  }
  function registration() {
    return navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () { return navigator.serviceWorker.ready; });
  }
  function current() {
    return registration().then(function (reg) { return reg.pushManager.getSubscription(); });
  }
  function busy(flag) { [on, off, test].forEach(function (b) { b.disabled = flag; }); }

  current().then(function (sub) { show(!!sub); }).catch(function () { show(false); });

  on.addEventListener("click", function () {
    busy(true); say("");
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { say(msg.dataset.denied); return null; }
      return registration().then(function (reg) {
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(box.dataset.key) })
          .catch(function () { say(msg.dataset.unreachable); return null; });
      }).then(function (sub) {
        if (!sub) return null;
        return post(box.dataset.subscribe, { subscription: sub.toJSON() }).then(function (answer) {
          say(answer.message);
          if (answer.ok) { show(true); return; }
          return sub.unsubscribe().then(function () { show(false); });
        });
      });
    }).catch(function () { say(msg.dataset.failed); }).finally(function () { busy(false); });
  });

  test.addEventListener("click", function () {
    busy(true); say("");
    current().then(function (sub) {
      if (!sub) { show(false); return null; }
      return post(box.dataset.test, { endpoint: sub.endpoint }).then(function (answer) {
        say(answer.message);
        if (answer.status === 409 || answer.dropped) show(false);
      });
    }).catch(function () { say(msg.dataset.failed); }).finally(function () { busy(false); });
  });

  off.addEventListener("click", function () {
    busy(true); say("");
    current().then(function (sub) {
      if (!sub) { show(false); return null; }
      var endpoint = sub.endpoint;
      return sub.unsubscribe().then(function () {
        return post(box.dataset.unsubscribe, { endpoint: endpoint });
      }).then(function (answer) { say(answer.message); show(false); });
    }).catch(function () { say(msg.dataset.failed); }).finally(function () { busy(false); });
  });
})();
