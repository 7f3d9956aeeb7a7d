/* Questionnaire steps: show or hide questions whose show-if depends on answers on the same page,
   and keep "none of these" checkboxes exclusive. The server decides what counts: this only mirrors
   its conditions (data-show-if, reduced to this page's questions) for a live page. Hidden
   questions keep their inputs, so nothing typed is lost when an answer is changed back; leaving
   the page with unsent changes asks first. */
(function () {
  "use strict";

  var form = document.getElementById("step-form");
  if (!form) { return; }

  function block(id) {
    return form.querySelector('[data-question="' + id + '"]');
  }

  // The current answer to question `id`, typed like the server's; undefined = not answered.
  function valueOf(id) {
    var el = block(id);
    if (!el || el.hidden) { return undefined; }
    var type = el.getAttribute("data-type");
    var inputs = el.querySelectorAll('[name="' + id + '"]');
    var i;
    if (type === "multi") {
      var picked = [];
      for (i = 0; i < inputs.length; i++) { if (inputs[i].checked) { picked.push(inputs[i].value); } }
      return picked.length ? picked : undefined;
    }
    if (type === "single" || type === "boolean") {
      for (i = 0; i < inputs.length; i++) {
        if (inputs[i].checked) {
          var v = inputs[i].value;
          if (type === "boolean" && v !== "unknown") { return v === "yes"; }
          return v;
        }
      }
      return undefined;
    }
    var text = inputs.length ? inputs[0].value.trim() : "";
    if (text === "") { return undefined; }
    if (type === "integer") { return /^-?\d+$/.test(text) ? parseInt(text, 10) : undefined; }
    if (type === "date") { return /^\d{4}-\d{2}-\d{2}$/.test(text) ? text : undefined; }
    return text;
  }

  function includes(list, x) { return list.indexOf(x) !== -1; }

  function test(node) {
    if (node === true || node === false) { return node; }
    if (node.all) { return node.all.every(test); }
    if (node.any) { return node.any.some(test); }
    if (node.not !== undefined) { return !test(node.not); }
    var a = valueOf(node.q);
    var v = node.value;
    if (node.op === "answered") { return (a !== undefined) === v; }
    if (a === undefined) { return false; }
    switch (node.op) {
      case "eq": return a === v;
      case "ne": return a !== v;
      case "in": return includes(v, a);
      case "includes": return includes(a, v);
      case "includes_any": return v.some(function (x) { return includes(a, x); });
      case "includes_all": return v.every(function (x) { return includes(a, x); });
      case "lt": return a < v;
      case "lte": return a <= v;
      case "gt": return a > v;
      case "gte": return a >= v;
      default: return true; // an operator this script does not know: show rather than hide
    }
  }

  var conditional = Array.prototype.slice.call(form.querySelectorAll("[data-show-if]"));

  function refresh() {
    // In page order, so a question hidden above counts as unanswered below, as on the server.
    conditional.forEach(function (el) {
      var show;
      try { show = test(JSON.parse(el.getAttribute("data-show-if"))); } catch (e) { show = true; }
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
}());
