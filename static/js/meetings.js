// The meeting form: show only the fields that apply (where, who, a 党课's study task, the 主题党日 repeat).
// Without JavaScript every field shows and the server decides; no inline script (CSP).
(function () {
  "use strict";

  function checked(form, name) {
    var el = form.querySelector('input[name="' + name + '"]:checked');
    return el ? el.value : "";
  }

  function update(form) {
    var kindField = form.elements.kind;
    var kind = kindField ? kindField.value : "";
    var place = checked(form, "place_kind");
    var audience = checked(form, "audience");
    form.querySelectorAll("[data-place]").forEach(function (el) { el.hidden = el.getAttribute("data-place") !== place; });
    form.querySelectorAll("[data-audience]").forEach(function (el) { el.hidden = el.getAttribute("data-audience") !== audience; });
    form.querySelectorAll("[data-kind]").forEach(function (el) { el.hidden = el.getAttribute("data-kind") !== kind; });
  }

  var DEFAULT_AUDIENCE = { committee: "committee", group: "group" };

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-meeting-form]");
    if (!form) return;
    form.addEventListener("change", function (event) {
      if (event.target.name === "kind") {
        var wanted = DEFAULT_AUDIENCE[event.target.value] || "branch";
        var radio = form.querySelector('input[name="audience"][value="' + wanted + '"]');
        if (radio) radio.checked = true;
      }
      update(form);
    });
    update(form);
  });

  // a read-only address field selects itself when tapped (to copy it)
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-all]")) event.target.select();
  });
})();
