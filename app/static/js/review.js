/* The review page: each rating is saved as it is made (a JSON POST per finding or section, with the
   page's CSRF token), and kept in this browser (localStorage) until the server confirms it, so a
   dropped connection, a sign-out in another tab or a reload loses nothing. Without this script the
   page's form saves everything with its buttons, as before. */
(function () {
  "use strict";

  var form = document.getElementById("review-form");
  if (!form) { return; }
  var url = form.getAttribute("data-save-url");
  var key = "eduaudit:review:" + form.getAttribute("data-report-id") + ":" + form.getAttribute("data-submission");
  var FIELDS = ["rating", "comment", "action", "owner", "due"];
  var tokenInput = form.querySelector('input[name="csrf_token"]');

  function load() {
    try { return JSON.parse(window.localStorage.getItem(key) || "{}") || {}; } catch (e) { return {}; }
  }
  function store(all) {
    try {
      if (Object.keys(all).length) { window.localStorage.setItem(key, JSON.stringify(all)); }
      else { window.localStorage.removeItem(key); }
    } catch (e) { /* storage full or disabled: the server copy is all there is */ }
  }
  if (!url) { store({}); return; }  // decided: nothing left to save here

  function field(block, name) {
    return form.querySelector('[name="t' + block.getAttribute("data-index") + "_" + name + '"]');
  }
  function values(block) {
    var target = block.getAttribute("data-target");
    var cut = target.indexOf(":");
    var out = {kind: target.slice(0, cut), id: target.slice(cut + 1)};
    FIELDS.forEach(function (name) { var el = field(block, name); out[name] = el ? el.value : ""; });
    return out;
  }
  function same(a, b) {
    return !!a && !!b && FIELDS.every(function (name) { return a[name] === b[name]; });
  }
  function setState(block, state, text) {
    var el = block.querySelector(".save-state");
    if (!el) { return; }
    el.textContent = text;
    el.className = "save-state save-state--" + state;
    block.setAttribute("data-save-state", state);
  }
  function text(name) { return form.getAttribute("data-text-" + name) || ""; }

  function save(block) {
    var target = block.getAttribute("data-target");
    var v = values(block);
    var all = load();
    all[target] = v;
    store(all);
    if (!v.rating) { setState(block, "unsaved", text("unsaved")); return; }
    setState(block, "saving", text("saving"));
    window.fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": tokenInput.value},
      body: JSON.stringify(v)
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!json) { return {ok: false, body: {error: text("signed-out")}}; }
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (result) {
      if (result.ok && result.body.saved) {
        var now = load();
        if (same(now[target], v)) { delete now[target]; store(now); }
        if (same(values(block), v)) { setState(block, "saved", text("saved")); }
      } else {
        setState(block, "error", result.body.error || text("unsaved"));
      }
    }, function () {
      setState(block, "error", text("offline"));
    });
  }

  var blocks = Array.prototype.slice.call(form.querySelectorAll("fieldset[data-target]"));
  var pending = {};
  blocks.forEach(function (block) {
    var target = block.getAttribute("data-target");
    block.addEventListener("change", function () { window.clearTimeout(pending[target]); save(block); });
    block.addEventListener("input", function (event) {
      if (event.target.tagName !== "TEXTAREA" && event.target.type !== "text") { return; }
      window.clearTimeout(pending[target]);
      pending[target] = window.setTimeout(function () { save(block); }, 800);
    });
  });

  // What this browser kept but the server never confirmed: put it back and send it again.
  var kept = load();
  blocks.forEach(function (block) {
    var v = kept[block.getAttribute("data-target")];
    if (!v) { return; }
    FIELDS.forEach(function (name) { var el = field(block, name); if (el && typeof v[name] === "string") { el.value = v[name]; } });
    save(block);
  });
  window.addEventListener("online", function () {
    var again = load();
    blocks.forEach(function (block) { if (again[block.getAttribute("data-target")]) { save(block); } });
  });
})();
