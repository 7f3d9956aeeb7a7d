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
}());
