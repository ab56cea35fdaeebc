// ServiceCircle's page script: CSRF for htmx, confirmations, the service worker and install prompt.
// No inline scripts and no eval: the CSP forbids both.
(function () {
  "use strict";

  // Every htmx request carries the CSRF token from the page's meta tag.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) event.detail.headers["X-CSRFToken"] = meta.content;
  });

  // 503 (database busy or restarting): wait for Retry-After (at most 10 s) and send the same request
  // once more; if that fails too, or for any other error the server sent a notice for, show it.
  var RETRIED = "data-sc-retried";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var xhr = detail.xhr;
    var elt = (detail.requestConfig && detail.requestConfig.elt) || detail.elt;  // who sent it, not the target
    if (xhr.status === 503 && elt && !elt.hasAttribute(RETRIED) && window.htmx) {
      detail.shouldSwap = false;
      detail.isError = false;
      elt.setAttribute(RETRIED, "1");
      var wait = parseInt(xhr.getResponseHeader("Retry-After") || "1", 10);
      wait = isNaN(wait) ? 1 : Math.min(Math.max(wait, 0), 10);
      var config = detail.requestConfig || {};
      window.setTimeout(function () {
        window.htmx.ajax(config.verb || "get", config.path || xhr.responseURL, { source: elt }).finally(function () {
          elt.removeAttribute(RETRIED);
        });
      }, wait * 1000);
      return;
    }
    if (xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget") === "#notice") {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  // A form with data-confirm asks before it posts.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  // The service worker: offline page and cached shell.
  // A page that works offline names its kit (<meta name="sc-offline-kit">): once the page has loaded
  // (its files are in the HTTP cache), the service worker keeps the kit for when the network is gone.
  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
      var kit = document.querySelector('meta[name="sc-offline-kit"]');
      if (kit) {
        navigator.serviceWorker.ready.then(function (registration) {
          if (registration.active) registration.active.postMessage({ kit: kit.content });
        });
      }
    });
  }

  // Install prompt where the browser offers one; a hint on iOS Safari.
  var deferred = null;
  var DISMISSED = "sc-install-dismissed";
  function dismissed() { try { return localStorage.getItem(DISMISSED) === "1"; } catch (e) { return false; } }
  function show(id) { var el = document.getElementById(id); if (el && !dismissed()) el.hidden = false; }
  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    deferred = event;
    show("install-banner");
  });
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest("[data-install]") && deferred) {
      deferred.prompt();
      deferred = null;
      document.getElementById("install-banner").hidden = true;
    }
    if (target.closest("[data-install-dismiss]")) {
      try { localStorage.setItem(DISMISSED, "1"); } catch (e) { /* private mode */ }
      target.closest(".install-banner").hidden = true;
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var ua = navigator.userAgent;
    var ios = /iPhone|iPad|iPod/.test(ua) && !window.MSStream;
    var standalone = window.navigator.standalone === true || window.matchMedia("(display-mode: standalone)").matches;
    if (ios && !standalone && document.querySelector(".tabbar")) show("ios-hint");
  });
})();
