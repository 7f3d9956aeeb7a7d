/* Questionnaire steps: show or hide questions whose show-if depends on answers on the same page,
   and keep "none of these" checkboxes exclusive. The server decides what counts: this only mirrors
   its conditions (data-show-if, reduced to this page's questions) for a live page, evaluated by
   showif.js (loaded before this file); here is only the work with the page. Hidden
   questions keep their inputs, so nothing typed is lost when an answer is changed back; leaving
   the page with unsent changes asks first. */
(function () {
  "use strict";

  var form = document.getElementById("step-form");
  var ShowIf = window.ShowIf;
  if (!form) { return; }

  function block(id) {
    return form.querySelector('[data-question="' + id + '"]');
  }

  // What the page gives for question `id`: the checked values of checkboxes (an array), the
  // checked radio's value (undefined if none) or the text of the input. A hidden question has no
  // answer, as on the server.
  function rawValue(el, id) {
    var type = el.getAttribute("data-type");
    var inputs = el.querySelectorAll('[name="' + id + '"]');
    var i;
    if (type === "multi") {
      var picked = [];
      for (i = 0; i < inputs.length; i++) { if (inputs[i].checked) { picked.push(inputs[i].value); } }
      return picked;
    }
    if (type === "single" || type === "boolean") {
      for (i = 0; i < inputs.length; i++) { if (inputs[i].checked) { return inputs[i].value; } }
      return undefined;
    }
    return inputs.length ? inputs[0].value : undefined;
  }

  // The current answer to question `id`, typed like the server's; undefined = not answered.
  function valueOf(id) {
    var el = block(id);
    if (!el || el.hidden) { return undefined; }
    return ShowIf.answer(el.getAttribute("data-type"), rawValue(el, id));
  }

  function includes(list, x) { return list.indexOf(x) !== -1; }

  var conditional = Array.prototype.slice.call(form.querySelectorAll("[data-show-if]"));

  function refresh() {
    // In page order, so a question hidden above counts as unanswered below, as on the server.
    conditional.forEach(function (el) {
      var show;
      try { show = ShowIf.evaluate(JSON.parse(el.getAttribute("data-show-if")), valueOf); } catch (e) { show = true; }
      el.hidden = !show;
    });
  }

  function exclusive(event) {
    var input = event.target;
    if (input.type !== "checkbox" || !input.checked) { return; }
    var el = input.closest("[data-exclusive]");
    if (!el) { return; }
    var lone = el.getAttribute("data-exclusive").split(" ");
    var boxes = el.querySelectorAll('input[type="checkbox"]');
    for (var i = 0; i < boxes.length; i++) {
      var other = boxes[i];
      if (other === input) { continue; }
      if (includes(lone, input.value) || includes(lone, other.value)) { other.checked = false; }
    }
  }

  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }

  // Answers typed on this page are saved only when the form is sent: warn before leaving with
  // unsent changes (a reload, a link, closing the tab). Sending the form clears the warning.
  var dirty = false;
  function touched() { dirty = true; }
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) { return; }
    event.preventDefault();
    event.returnValue = "";
  });
  form.addEventListener("submit", function () { dirty = false; });

  form.addEventListener("change", function (event) { exclusive(event); refresh(); touched(); });
  form.addEventListener("input", function () { refresh(); touched(); });
  refresh();

  // What the user changed survives a save the server refuses or never sees (the session ended in
  // another tab, the page expired, the form was too large, someone saved at the same instant): it is
  // kept in this browser when the form is sent, under the audit, step and version, and put back the
  // next time the step opens, with the revision it was typed on, so the server's merge still sees
  // what others changed meanwhile. kept.js drops the copy once the server confirms the save.
  var keptKey = form.getAttribute("data-kept-key");
  var posted = form.hasAttribute("data-posted");  // the page shows the input it was sent: nothing to put back
  var revision = form.querySelector('input[name="revision"]');

  function fieldValues() {
    var out = {};
    Array.prototype.forEach.call(form.querySelectorAll("[data-question] [name]"), function (el) {
      if (!out[el.name]) { out[el.name] = []; }
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) { out[el.name].push(el.value); }
      } else {
        out[el.name].push(el.value);
      }
    });
    return out;
  }
  function readKept() {
    try { return JSON.parse(window.localStorage.getItem(keptKey) || "null"); } catch (e) { return null; }
  }

  function keep() {
    var now = fieldValues();
    var fields = {};
    var any = false;
    Object.keys(now).forEach(function (name) {
      // On a page showing its sent input every field is the user's; otherwise only what they changed,
      // so putting it back cannot undo another user's answers to the questions this user left alone.
      if (posted || JSON.stringify(now[name]) !== JSON.stringify(loaded[name])) { fields[name] = now[name]; any = true; }
    });
    if (!any) { return; }
    try {
      window.localStorage.setItem(keptKey, JSON.stringify({base: revision ? revision.value : "", fields: fields}));
    } catch (e) { /* storage full or disabled: the form is sent all the same */ }
  }

  function putBack(kept) {
    Object.keys(kept.fields || {}).forEach(function (name) {
      var values = kept.fields[name];
      if (!Array.isArray(values)) { return; }
      Array.prototype.forEach.call(form.querySelectorAll("[data-question] [name]"), function (el) {
        if (el.name !== name) { return; }
        if (el.type === "checkbox" || el.type === "radio") { el.checked = values.indexOf(el.value) !== -1; }
        else { el.value = typeof values[0] === "string" ? values[0] : ""; }
      });
    });
    if (revision && /^[0-9]+$/.test(String(kept.base))) { revision.value = kept.base; }
    refresh();
    touched();
    var notice = document.getElementById("kept-notice");
    if (notice) { notice.hidden = false; }
  }

  var loaded = fieldValues();
  if (keptKey) {
    var kept = readKept();
    if (kept && !posted) { putBack(kept); }
    form.addEventListener("submit", keep);
  }
}());
