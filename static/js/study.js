// Study pages: reading heartbeats while the page is visible, and the task form's sections.
// The server decides how much time counts (elapsed time between beats, capped); this only says "still here".
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function startHeartbeats(box) {
    var url = box.getAttribute("data-beat-url");
    var every = Math.max(1, parseInt(box.getAttribute("data-beat-seconds"), 10) || 15) * 1000;
    var timer = null;
    var busy = false;

    function finished() {
      var status = document.getElementById("reading_status");
      return status && status.getAttribute("data-state") === "completed";
    }

    function beat() {
      if (busy || document.visibilityState !== "visible" || finished()) return;
      busy = true;
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" }
      }).then(function (response) {
        // 429: a beat too soon after the last one (e.g. the tab came back quickly); the next one counts.
        return response.ok ? response.text() : null;
      }).then(function (html) {
        var status = document.getElementById("reading_status");
        if (html && status) {
          status.outerHTML = html;
          if (finished()) stop();
        }
      }).catch(function () { /* offline: time simply does not count */ })
        .then(function () { busy = false; });
    }

    function start() {
      if (timer || finished()) return;
      beat();
      timer = window.setInterval(beat, every);
    }

    function stop() {
      if (timer) window.clearInterval(timer);
      timer = null;
    }

    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") start(); else stop();
    });
    window.addEventListener("pagehide", stop);
    if (document.visibilityState === "visible") start();
  }

  // The task form shows only the settings of the chosen completion.
  function toggleSections(form) {
    var select = form.querySelector('select[name="completion"]');
    if (!select) return;
    function update() {
      form.querySelectorAll("[data-show-when]").forEach(function (section) {
        section.hidden = section.getAttribute("data-show-when") !== select.value;
      });
    }
    select.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-beat-url]");
    if (box) startHeartbeats(box);
    var form = document.querySelector(".task-form");
    if (form) toggleSections(form);
  });
})();
